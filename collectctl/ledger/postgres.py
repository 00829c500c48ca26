"""The ledger on PostgreSQL: a connection with the small sqlite3-like interface the ledger
modules use, migrations under an advisory lock, and advisory locks for writers, syncs and dunning.

psycopg 3 (the ``collectctl[postgresql]`` extra) is imported here only, when a profile's ledger is
on PostgreSQL. Each profile's tables live in its own schema, first on the search path; the
session's temporary schema holds a sync's staging tables. The connection runs in autocommit mode
(each read sees the latest commit, like SQLite outside a transaction); :meth:`PgLedger.write`
opens a transaction and takes the profile's write lock first (``pg_advisory_xact_lock``), the
equivalent of SQLite's ``BEGIN IMMEDIATE``: writers of one profile queue, readers never wait.
"""

from __future__ import annotations

import os
import socket
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from collectctl.errors import CollectctlError, LockTimeout
from collectctl.ledger.dialect import POSTGRESQL, Target, redact
from collectctl.ledger.pgsql import copy_plan, insert_table, split_script, translate

#: The second half of an advisory-lock key (the first is the schema's).
LOCKS = {"write": 1, "sync": 2, "dunning": 3, "migrate": 4}


def _import_psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise CollectctlError(
            "this profile's ledger is on PostgreSQL, but the PostgreSQL driver is not installed",
            hint="Install it with: pip install 'collectctl[postgresql]'",
        ) from None
    return psycopg


def schema_key(schema: str) -> int:
    """The first half of this schema's advisory-lock keys (a non-negative 31-bit number)."""
    return zlib.crc32(f"collectctl:{schema}".encode()) & 0x7FFFFFFF


def quote_ident(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class Row(tuple):  # type: ignore[type-arg]
    """A result row readable by position and by column name (like ``sqlite3.Row``)."""

    _names: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)


class Cursor:
    """The result of :meth:`PgConnection.execute` (iterate, ``fetchone``, ``fetchall``,
    ``description``, ``rowcount``, ``lastrowid``)."""

    def __init__(self, cur: Any, named: bool, lastrowid: int | None = None) -> None:
        self._cur = cur
        self._named = named
        self.lastrowid = lastrowid
        self.rowcount: int = cur.rowcount

    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        desc = self._cur.description
        if desc is None:
            return None
        return [(c.name, None, None, None, None, None, None) for c in desc]

    def _wrap(self, row: Any) -> Any:
        if row is None or not self._named:
            return row
        out = Row(row)
        out._names = tuple(c.name for c in self._cur.description)
        return out

    def fetchone(self) -> Any:
        if self._cur.description is None:
            return None
        return self._wrap(self._cur.fetchone())

    def fetchall(self) -> list[Any]:
        if self._cur.description is None:
            return []
        return [self._wrap(r) for r in self._cur.fetchall()]

    def fetchmany(self, size: int = 1000) -> list[Any]:
        if self._cur.description is None:
            return []
        return [self._wrap(r) for r in self._cur.fetchmany(size)]

    def __iter__(self) -> Iterator[Any]:
        if self._cur.description is None:
            return iter(())
        return (self._wrap(r) for r in self._cur)


class PgConnection:
    """A psycopg connection that speaks the ledger's SQL (see :mod:`collectctl.ledger.pgsql`)."""

    dialect = POSTGRESQL

    def __init__(self, raw: Any, schema: str) -> None:
        self.raw = raw
        self.schema = schema
        #: set to anything but None for rows readable by name (like sqlite3.Row)
        self.row_factory: Any = None
        self._id_tables: set[str] | None = None
        self._columns: dict[str, list[str]] = {}

    # -- the sqlite3-like interface ----------------------------------------------------------
    def execute(self, sql: str, params: Any = None) -> Cursor:
        """Run one statement (``?`` or ``:name`` parameters)."""
        special = self._special(sql)
        if special is not None:
            return special
        text, takes = translate(sql)
        table = insert_table(sql)
        returning = table is not None and table in self.id_tables()
        if returning:
            text += " RETURNING id"
        cur = self.raw.cursor()
        cur.execute(text, _params(params) if takes else None)
        lastrowid = None
        if returning:
            row = cur.fetchone()
            lastrowid = int(row[0]) if row else None
        return Cursor(cur, self.row_factory is not None, lastrowid)

    def executemany(self, sql: str, rows: Iterable[Any]) -> Cursor:
        """Run one statement for each parameter row (a plain ``INSERT INTO temp_table VALUES``,
        as a sync's staging load does, goes through COPY)."""
        plan = copy_plan(sql)
        if plan is not None:
            self._copy(plan, rows)
            return _empty(self.raw)
        text, _ = translate(sql)
        cur = self.raw.cursor()
        cur.executemany(text, [_params(r) for r in rows])
        return Cursor(cur, False)

    def _copy(self, plan: tuple[str, list[str | None]], rows: Iterable[Any]) -> None:
        table, items = plan
        columns = self._columns.get(table)
        if columns is None:
            cur = self.raw.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = self._columns[table] = [c.name for c in cur.description]
        names = ", ".join(quote_ident(c) for c in columns[: len(items)])
        slots = [k for k, item in enumerate(items) if item is None]
        constants = {k: int(item) for k, item in enumerate(items) if item is not None}
        with self.raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                values: list[Any] = [None] * len(items)
                for k, v in zip(slots, row, strict=True):
                    values[k] = v
                for k, v in constants.items():
                    values[k] = v
                copy.write_row(values)

    def executescript(self, script: str) -> None:
        """Run every statement of ``script``."""
        for statement in split_script(script):
            self.execute(statement)

    def close(self) -> None:
        self.raw.close()

    @property
    def in_transaction(self) -> bool:
        return bool(self.raw.info.transaction_status != 0)  # 0 = IDLE

    # -- helpers ------------------------------------------------------------------------------
    def id_tables(self) -> set[str]:
        """Tables of the profile's schema whose ``id`` column numbers new rows."""
        if self._id_tables is None:
            cur = self.raw.execute(
                """SELECT table_name FROM information_schema.columns
                   WHERE table_schema = %s AND column_name = 'id' AND is_identity = 'YES'""",
                (self.schema,),
            )
            self._id_tables = {r[0] for r in cur.fetchall()}
        return self._id_tables

    def forget_tables(self) -> None:
        self._id_tables = None

    def _special(self, sql: str) -> Cursor | None:
        """SQLite statements with no PostgreSQL equivalent: ATTACH/DETACH of the staging
        file (its tables are temporary tables here) and PRAGMAs."""
        head = sql.lstrip()[:16].upper()
        if head.startswith(("ATTACH", "PRAGMA")):
            return _empty(self.raw)
        if head.startswith("DETACH"):
            self._columns.clear()
            self.raw.execute(
                "DROP TABLE IF EXISTS pg_temp.s_customers, pg_temp.s_invoices, "
                "pg_temp.s_allocations, pg_temp.s_deletions CASCADE"
            )
            return _empty(self.raw)
        return None


def _empty(raw: Any) -> Cursor:
    return Cursor(raw.cursor(), False)


def _params(params: Any) -> Any:
    if params is None:
        return ()
    if isinstance(params, dict):
        return params
    if isinstance(params, Sequence) and not isinstance(params, str | bytes):
        return tuple(params)
    return params


def _register_loaders(psycopg: Any, raw: Any) -> None:
    """Integral NUMERIC results (PostgreSQL's SUM of BIGINT) as int, booleans as 0/1: the
    values SQLite gives, so both dialects hand the same Python values up."""
    from psycopg.adapt import Loader

    class IntegralNumeric(Loader):  # type: ignore[misc]
        def load(self, data: Any) -> Any:
            text = bytes(data)
            if b"." in text or b"N" in text or b"n" in text:
                from decimal import Decimal

                return Decimal(text.decode())
            return int(text)

    class IntBool(Loader):  # type: ignore[misc]
        def load(self, data: Any) -> Any:
            return 1 if bytes(data) == b"t" else 0

    raw.adapters.register_loader("numeric", IntegralNumeric)
    raw.adapters.register_loader("bool", IntBool)


def connect(target: Target, *, create_schema: bool = True) -> PgConnection:
    """Connect to ``target``'s server with its schema first on the search path.
    An unreachable server or a refused login is a one-line CollectctlError (exit 1)."""
    psycopg = _import_psycopg()
    kwargs: dict[str, Any] = {
        "autocommit": True,
        "application_name": "collectctl",
        "connect_timeout": int(os.environ.get("COLLECTCTL_CONNECT_TIMEOUT", "10") or 10),
    }
    if target.password:
        kwargs["password"] = target.password
    try:
        raw = psycopg.connect(target.url, **kwargs)
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CollectctlError(
            f"cannot reach the PostgreSQL ledger at {redact(target.url)}: {reason}; "
            "nothing was written",
            hint="Check that the server is up and the URL, user and password (PGPASSWORD, "
            "~/.pgpass or the profile's .env) are right; see docs/team.md.",
        ) from None
    _register_loaders(psycopg, raw)
    quoted = quote_ident(target.schema)
    raw.execute(f"SET search_path = {quoted}, public")
    return PgConnection(raw, target.schema)


def lock_holder(conn: PgConnection, name: str) -> str:
    """Who holds lock ``name`` of the profile (host, pid, since), as recorded when taken."""
    try:
        row = conn.raw.execute(
            "SELECT host, pid, since, username FROM collectctl_locks WHERE name = %s", (name,)
        ).fetchone()
    except Exception:
        row = None
    if not row:
        return "another collectctl process"
    host, pid, since, user = row
    return f"{user} on {host}, pid {pid}, since {since}"


@contextmanager
def advisory_lock(conn: PgConnection, name: str, *, timeout: float, what: str) -> Iterator[None]:
    """Hold the profile's session-level advisory lock ``name`` (``sync``, ``dunning``) across
    machines; wait up to ``timeout`` s, then raise LockTimeout naming the holder."""
    from collectctl.ledger.connection import now_iso

    key = (schema_key(conn.schema), LOCKS[name])
    deadline = time.monotonic() + timeout
    while True:
        got = conn.raw.execute("SELECT pg_try_advisory_lock(%s::int4, %s::int4)", key).fetchone()[0]
        if got:
            break
        if time.monotonic() >= deadline:
            raise LockTimeout(
                f"another {what} of this profile is running ({lock_holder(conn, name)}); "
                f"waited {timeout:g} s",
                hint="Let it finish and run this one again (or raise COLLECTCTL_LOCK_TIMEOUT).",
            )
        time.sleep(0.1)
    try:
        conn.raw.execute(
            """INSERT INTO collectctl_locks (name, host, pid, since, username)
               VALUES (%s, %s, %s, %s, current_user)
               ON CONFLICT (name) DO UPDATE SET host = excluded.host, pid = excluded.pid,
                   since = excluded.since, username = excluded.username""",
            (name, socket.gethostname(), os.getpid(), now_iso()),
        )
        yield
    finally:
        try:
            if conn.in_transaction:
                conn.raw.execute("ROLLBACK")
            conn.raw.execute("DELETE FROM collectctl_locks WHERE name = %s", (name,))
        finally:
            conn.raw.execute("SELECT pg_advisory_unlock(%s::int4, %s::int4)", key)


_META = """
CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS collectctl_locks (
    name TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, since TEXT NOT NULL,
    username TEXT NOT NULL);
"""

#: Tables of a schema that are bookkeeping of this module, not ledger data.
META_TABLES = ("schema_version", "collectctl_locks")


class PgLedger:
    """A profile's ledger in a PostgreSQL schema, with the interface of the SQLite ``Ledger``:
    ``conn``, :meth:`write`, :attr:`version`, :meth:`lock`, :meth:`close`."""

    dialect = POSTGRESQL
    path = None

    def __init__(self, target: Target, conn: PgConnection) -> None:
        self.target = target
        self.conn = conn

    @classmethod
    def open(cls, target: Target) -> PgLedger:
        """Connect and migrate (under the schema's advisory lock, in one transaction)."""
        ledger = cls(target, connect(target))
        try:
            ledger._migrate()
        except BaseException:
            ledger.conn.close()
            raise
        return ledger

    @property
    def display(self) -> str:
        return self.target.display

    def close(self) -> None:
        self.conn.close()

    @property
    def version(self) -> int:
        row = self.conn.raw.execute(
            "SELECT to_regclass(%s) IS NOT NULL",
            (f"{quote_ident(self.target.schema)}.schema_version",),
        ).fetchone()
        if not row or not row[0]:
            return 0
        row = self.conn.raw.execute("SELECT MAX(version) FROM schema_version").fetchone()
        return int(row[0] or 0)

    def _migrate(self) -> None:
        from collectctl.ledger.schema import LATEST, postgresql_migrations

        if self.version == LATEST:
            return
        raw = self.conn.raw
        raw.execute("BEGIN")
        try:
            raw.execute(
                "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)",
                (schema_key(self.target.schema), LOCKS["migrate"]),
            )
            raw.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(self.target.schema)}")
            for statement in split_script(_META):
                raw.execute(statement)
            current = self.version  # again, under the lock: another machine may have migrated
            if current > LATEST:
                raise CollectctlError(
                    f"the ledger {self.display} was written by a newer collectctl (schema "
                    f"{current}, this one knows {LATEST})",
                    hint="Upgrade collectctl.",
                )
            for script in postgresql_migrations()[current:LATEST]:
                for statement in split_script(script):
                    raw.execute(statement)
            raw.execute("DELETE FROM schema_version")
            raw.execute("INSERT INTO schema_version (version) VALUES (%s)", (LATEST,))
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        raw.execute("COMMIT")
        self.conn.forget_tables()

    @contextmanager
    def write(self) -> Iterator[PgConnection]:
        """One write transaction, holding the profile's write lock: committed on success,
        rolled back on any error or interruption. Waits for another writer up to
        ``COLLECTCTL_LOCK_TIMEOUT`` seconds, then raises LockTimeout."""
        from collectctl.ledger.connection import lock_timeout

        psycopg = _import_psycopg()
        raw = self.conn.raw
        wait = lock_timeout()
        raw.execute("BEGIN")
        try:
            raw.execute(f"SET LOCAL lock_timeout = '{int(wait * 1000)}ms'")
            raw.execute(
                "SELECT pg_advisory_xact_lock(%s::int4, %s::int4)",
                (schema_key(self.target.schema), LOCKS["write"]),
            )
            raw.execute("SET LOCAL lock_timeout = 0")
        except psycopg.errors.LockNotAvailable:
            raw.execute("ROLLBACK")
            raise LockTimeout(
                f"the ledger {self.display} is busy: another collectctl process has been "
                f"writing to it for more than {wait:g} s",
                hint="Try again when it has finished (or raise COLLECTCTL_LOCK_TIMEOUT).",
            ) from None
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        try:
            yield self.conn
        except BaseException:
            if not raw.closed:
                raw.execute("ROLLBACK")
            raise
        else:
            raw.execute("COMMIT")

    @contextmanager
    def lock(self, name: str, *, timeout: float, what: str) -> Iterator[None]:
        """The profile's ``name`` lock (``sync``, ``dunning``) across machines."""
        with advisory_lock(self.conn, name, timeout=timeout, what=what):
            yield

    def size(self) -> int:
        """Bytes the schema's tables and indexes take on the server."""
        row = self.conn.raw.execute(
            """SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c
               JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = %s AND c.relkind IN ('r', 'm')""",
            (self.target.schema,),
        ).fetchone()
        return int(row[0])

    def backup(self, target: Any) -> Any:
        raise CollectctlError(
            "a PostgreSQL ledger is backed up with pg_dump, not by collectctl",
            hint="pg_dump --schema=SCHEMA DATABASE > backup.sql (see docs/team.md).",
        )

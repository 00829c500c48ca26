"""The connection to a PostgreSQL ledger: the small sqlite3-like interface the ledger modules
use (:class:`PgConnection`), and :func:`connect`. The ledger itself — migrations, the write lock
and the session locks — is :class:`~collectctl.ledger.pgledger.PgLedger`.

psycopg 3 (the ``collectctl[postgresql]`` extra) is imported here only, when a profile's ledger is
on PostgreSQL. Each profile's tables live in its own schema, first on the search path; the
session's temporary schema holds a sync's staging tables. The connection runs in autocommit mode
(each read sees the latest commit, like SQLite outside a transaction); ``PgLedger.write``
opens a transaction and takes the profile's write lock first (``pg_advisory_xact_lock``), the
equivalent of SQLite's ``BEGIN IMMEDIATE``: writers of one profile queue, readers never wait.
"""

from __future__ import annotations

import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from collectctl.errors import CollectctlError
from collectctl.ledger.dialect import POSTGRESQL, Target, redact
from collectctl.ledger.pgsql import copy_plan, insert_table, split_script, translate

#: The second half of an advisory-lock key (the first is the schema's).
LOCKS = {"write": 1, "sync": 2, "dunning": 3, "migrate": 4}

#: ``CREATE INDEX st.name ON table`` (or ``temp.``): an index on a temporary table.
_TEMP_INDEX = re.compile(
    r"^\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:st|temp)\.\w+\s+ON\s+(\w+)",
    re.IGNORECASE,
)

#: Rows fetched at a time when a result is iterated.
ITER_BLOCK = 2000

#: Settings of every collectctl session (the server's defaults are made for many small
#: queries; collectctl's reports aggregate a whole ledger in a few statements):
#: no JIT (compiling a report's expressions cost ~0.6 s of server CPU per statement at 1M
#: invoices and saved less), room to sort and hash a report's rows in memory (the server's
#: 4 MB default spills them to disk), and index look-ups priced as the cached reads they are
#: (the default 4.0 is for spinning disks: it made the planner scan a million-row index
#: rather than look 20,000 rows up). ``temp_buffers`` is the memory for a sync's staging
#: tables (temporary tables, read through it alone; the 8 MB default against ~600 MB of
#: staging for a million invoices made most index look-ups into them a read from the OS).
#: It is taken only as temporary tables fill, so only a sync uses it.
SESSION_SETTINGS = {
    "jit": "off",
    "work_mem": "64MB",
    "random_page_cost": "1.1",
    "temp_buffers": "1GB",
}


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


class Row(tuple[Any, ...]):
    """A result row readable by position and by column name (like ``sqlite3.Row``)."""

    _names: tuple[str, ...] = ()

    def keys(self) -> list[str]:
        return list(self._names)

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return tuple.__getitem__(self, self._names.index(key))
        return tuple.__getitem__(self, key)


class Cursor:
    """The result of :meth:`PgConnection.execute` (iterate, ``fetchone``, ``fetchall``,
    ``description``, ``rowcount``, ``lastrowid``)."""

    def __init__(self, cur: Any, named: bool, lastrowid: int | None = None) -> None:
        self._cur = cur
        self._named = named
        self._names: tuple[str, ...] | None = None
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
        if self._names is None:
            self._names = tuple(c.name for c in self._cur.description)
        out = Row(row)
        out._names = self._names
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
        return self._rows()

    def _rows(self) -> Iterator[Any]:
        # In blocks: psycopg turns a block into tuples in C, one row at a time in Python.
        while True:
            block = self._cur.fetchmany(ITER_BLOCK)
            if not block:
                return
            if self._named:
                yield from (self._wrap(r) for r in block)
            else:
                yield from block


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
        #: statements to run once the current write transaction has committed (VACUUM)
        self.after_commit: list[str] = []

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
        try:
            cur.execute(text, _params(params) if takes else None)
        except Exception as exc:
            raise self._lost(exc) from exc
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
        try:
            cur.executemany(text, [_params(r) for r in rows])
        except Exception as exc:
            raise self._lost(exc) from exc
        return Cursor(cur, False)

    def _lost(self, exc: Exception, *, committing: bool = False) -> Exception:
        """A one-line CollectctlError when the server went away; a constraint violation as
        ``sqlite3.IntegrityError`` (the ledger modules catch that one on both dialects, e.g. a
        unique claim already taken); else ``exc`` unchanged."""
        if not self.raw.broken and not self.raw.closed:
            import psycopg

            if isinstance(exc, psycopg.IntegrityError):
                import sqlite3

                return sqlite3.IntegrityError(str(exc).strip())
            return exc
        outcome = (
            "the server may or may not have committed the last write (check with `collectctl "
            "account show` before repeating it)"
            if committing
            else "nothing of this command was committed"
        )
        return CollectctlError(
            f"lost the connection to the PostgreSQL ledger (schema {self.schema}): "
            f"{str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}; "
            f"{outcome}",
            hint="Check the server and run the command again (see docs/team.md).",
        )

    def _copy(self, plan: tuple[str, list[str | None]], rows: Iterable[Any]) -> None:
        table, items = plan
        columns = self._columns.get(table)
        if columns is None:
            cur = self.raw.execute(f"SELECT * FROM {table} LIMIT 0")
            columns = self._columns[table] = [c.name for c in cur.description]
        names = ", ".join(quote_ident(c) for c in columns[: len(items)])
        width = sum(1 for item in items if item is None)
        # The row as given, with each constant spliced in at its place: ``(a, b) -> (a, 1, b)``.
        cuts: list[tuple[int, tuple[int, ...]]] = []
        pending = 0
        for item in items:
            if item is None:
                pending += 1
            else:
                cuts.append((pending, (int(item),)))
                pending = 0
        with self.raw.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                if len(row) != width:
                    raise ValueError(f"{table}: {len(row)} values for {width} placeholders")
                if cuts:
                    row = _splice(tuple(row), cuts)
                write(row)

    def executescript(self, script: str) -> None:
        """Run every statement of ``script``. A script that indexes temporary tables (a sync's
        staging tables, once loaded) also analyses them: autovacuum never does, and without
        statistics the planner guesses their size for every check and join that follows."""
        analyse: list[str] = []
        for statement in split_script(script):
            self.execute(statement)
            m = _TEMP_INDEX.match(statement)
            if m and m.group(1) not in analyse:
                analyse.append(m.group(1))
        # Outside a transaction (as a sync indexes its loaded staging tables) VACUUM too: it
        # sets the visibility map, without which every index-only look-up into them also
        # reads the table row.
        maintain = "ANALYZE" if self.in_transaction else "VACUUM (ANALYZE)"
        for table in analyse:
            self.raw.execute(f"{maintain} pg_temp.{quote_ident(table)}")

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


def _splice(row: tuple[Any, ...], cuts: list[tuple[int, tuple[int, ...]]]) -> tuple[Any, ...]:
    """``row`` with each ``(n, (constant,))`` of ``cuts`` inserted after the next ``n`` values."""
    out: tuple[Any, ...] = ()
    start = 0
    for at, constant in cuts:
        out += row[start : start + at] + constant
        start += at
    return out + row[start:]


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
    """Integral NUMERIC results (PostgreSQL's SUM of BIGINT) as int, other NUMERICs as float,
    booleans as 0/1: the values SQLite gives, so both dialects hand the same Python values up."""
    from psycopg.adapt import Loader

    class IntegralNumeric(Loader):
        def load(self, data: Any) -> Any:
            text = bytes(data)
            if b"." in text or b"N" in text or b"n" in text:
                return float(text)  # SQLite has no NUMERIC: a non-integer is a REAL
            return int(text)

    class IntBool(Loader):
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
    # pg_catalog after the profile's schema, so that the schema's sum(bigint) (migration 11:
    # a BIGINT total, as SQLite's SUM gives, instead of a NUMERIC) is the one SUM resolves to.
    raw.execute(f"SET search_path = {quoted}, pg_catalog, public")
    for name, value in SESSION_SETTINGS.items():
        raw.execute(f"SET {name} = '{value}'")
    return PgConnection(raw, target.schema)

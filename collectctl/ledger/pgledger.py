"""A profile's ledger in a PostgreSQL schema (:class:`PgLedger`): migrations under an advisory
lock, the write lock, and the session locks (sync, dunning) shared by every machine.

The holder of a session lock is recorded in the schema's ``collectctl_locks`` table (user, host,
pid, since) so a process that waits too long can say who is in the way; PostgreSQL releases the
lock itself when the holder's session ends, and the next holder overwrites the row.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from collectctl.errors import CollectctlError, LockTimeout
from collectctl.ledger.dialect import POSTGRESQL, Target
from collectctl.ledger.pgsql import split_script
from collectctl.ledger.postgres import (
    LOCKS,
    PgConnection,
    _import_psycopg,
    connect,
    quote_ident,
    schema_key,
)


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


#: The ledger's tables a first load fills (vacuumed and analysed once it has committed).
BULK_TABLES = ("customers", "invoices", "allocations")


def drop_indexes_for_bulk_load(conn: Any) -> list[str]:
    """A first sync into an empty ledger on PostgreSQL (the counterpart of SQLite's
    ``changes._drop_indexes_for_bulk_load``): drop the secondary indexes of ``invoices`` and
    ``allocations`` inside the write transaction, so the load appends rows instead of making
    millions of random index inserts, and return the SQL that builds them again (sorted builds,
    with more memory than the server's default). The indexes behind the tables' keys stay: the
    load looks invoices up by them. Only the tables' owner may drop and build indexes: for
    another role (a collector with the least privileges of docs/team.md) nothing is dropped and
    the load maintains the indexes as it goes. Once the load has committed, :meth:`PgLedger.write`
    vacuums and analyses the tables: the server then has statistics for the planner and a
    visibility map for index-only scans (autovacuum would get there later, or never where it is
    off), and the first reads do not pay for setting every row's hint bits."""
    rows = conn.raw.execute(
        """SELECT c.relname, pg_get_indexdef(x.indexrelid)
           FROM pg_index x
           JOIN pg_class c ON c.oid = x.indexrelid
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_namespace n ON n.oid = t.relnamespace
           WHERE n.nspname = %s AND t.relname IN ('invoices', 'allocations')
             AND pg_has_role(current_user, t.relowner, 'MEMBER')
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
           ORDER BY c.relname""",
        (conn.schema,),
    ).fetchall()
    for name, _ in rows:
        conn.raw.execute(f"DROP INDEX {quote_ident(conn.schema)}.{quote_ident(name)}")
    conn.after_commit.append("VACUUM (ANALYZE) " + ", ".join(BULK_TABLES))
    if not rows:
        return []
    return [f"SET LOCAL maintenance_work_mem = '{BULK_INDEX_MEMORY}'"] + [sql for _, sql in rows]


#: ``maintenance_work_mem`` while a first load builds its indexes (each sorts in memory).
BULK_INDEX_MEMORY = "256MB"


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
        self.conn.after_commit.clear()
        try:
            yield self.conn
        except BaseException:
            self.conn.after_commit.clear()
            if not raw.closed and not raw.broken:
                raw.execute("ROLLBACK")
            raise
        try:
            raw.execute("COMMIT")
        except psycopg.OperationalError as exc:
            raise self.conn._lost(exc, committing=True) from exc
        self._after_commit()

    def _after_commit(self) -> None:
        """Run the maintenance the committed transaction asked for (``conn.after_commit``:
        a VACUUM after a first load, which cannot run inside a transaction). The data is
        committed already: a failure here (a role that does not own the tables, say) is no
        reason to fail the command (nor is a connection lost now: the next command says so)."""
        psycopg = _import_psycopg()
        pending = list(self.conn.after_commit)
        self.conn.after_commit.clear()
        for statement in pending:
            try:
                self.conn.raw.execute(statement)
            except psycopg.Error:
                break

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

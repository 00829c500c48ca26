"""Opening the ledger: WAL mode, migrations (with a backup first), the write lock.

Readers never wait (WAL). Writers take SQLite's write lock with ``BEGIN IMMEDIATE``; a second writer
waits up to ``COLLECTCTL_LOCK_TIMEOUT`` seconds (default 30) and then fails with
:class:`~collectctl.errors.LockTimeout` — it never corrupts or half-writes the ledger.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from collectctl.errors import CollectctlError, LockTimeout
from collectctl.ledger.schema import LATEST, MIGRATIONS


def lock_timeout() -> float:
    """Seconds a writer waits for another writer (``COLLECTCTL_LOCK_TIMEOUT``, default 30)."""
    try:
        return max(0.0, float(os.environ.get("COLLECTCTL_LOCK_TIMEOUT", "30")))
    except ValueError:
        return 30.0


#: The page cache of a ledger connection, in KiB (``PRAGMA cache_size`` takes it negative).
CACHE_KIB = 65536


def _connect(path: Path | str, timeout: float) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = OFF")  # integrity is enforced by the sync engine
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")  # 64 MiB
    return conn


def copy_database(source: Path, dest: Path) -> None:
    """Copy the SQLite file ``source`` to ``dest`` with SQLite's online backup API (a
    consistent copy while others write), reading the original only."""
    from contextlib import closing

    with (
        closing(sqlite3.connect(f"{Path(source).resolve().as_uri()}?mode=ro", uri=True)) as src,
        closing(sqlite3.connect(str(dest))) as dst,
    ):
        src.backup(dst)


def _unreadable(exc: sqlite3.DatabaseError) -> bool:
    """SQLite's own errors for a file that is not a database or is damaged (a bare
    ``DatabaseError``), not the ``OperationalError`` of a statement (syntax, a lock)."""
    return type(exc) is sqlite3.DatabaseError or "malformed" in str(exc)


def _not_a_ledger(path: Path, exc: sqlite3.DatabaseError) -> CollectctlError:
    """The error for a ledger file SQLite cannot read (not a database, or damaged)."""
    return CollectctlError(
        f"{path} is not a readable collectctl ledger ({exc}); nothing was changed",
        hint="Restore it from a backup (a ledger.db.vN.bak beside it, or your own), or move it "
        "away to start an empty one.",
    )


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


class Ledger:
    """An open ledger file. Use :meth:`open`; :meth:`write` for a write transaction.

    :class:`~collectctl.ledger.pgledger.PgLedger` has the same interface for a PostgreSQL
    ledger; :func:`collectctl.ledger.opening.open_ledger` opens either.
    """

    dialect = "sqlite"

    def __init__(self, path: Path, conn: sqlite3.Connection) -> None:
        self.path = path
        self.conn = conn

    @property
    def display(self) -> str:
        """Where the ledger is, for messages."""
        return str(self.path)

    def size(self) -> int:
        """Bytes the ledger file (and its write-ahead log) takes on disk."""
        total = 0
        for suffix in ("", "-wal"):
            part = self.path.with_name(self.path.name + suffix)
            if part.exists():
                total += part.stat().st_size
        return total

    @contextmanager
    def lock(self, name: str, *, timeout: float, what: str) -> Iterator[None]:
        """The profile's ``name`` lock (``sync``, ``dunning``): a file lock beside the ledger."""
        with file_lock(self.path.parent / f"{name}.lock", timeout=timeout, what=what):
            yield

    @classmethod
    def open(cls, path: Path) -> Ledger:
        """Open (creating and migrating as needed) the ledger at ``path``."""
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            conn = _connect(path, lock_timeout())
        except sqlite3.DatabaseError as exc:
            if not _unreadable(exc):
                raise
            raise _not_a_ledger(path, exc) from None
        ledger = cls(path, conn)
        try:
            ledger._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            if not _unreadable(exc):
                raise
            raise _not_a_ledger(path, exc) from None
        except BaseException:
            conn.close()
            raise
        return ledger

    def close(self) -> None:
        self.conn.close()

    @property
    def version(self) -> int:
        return int(self.conn.execute("PRAGMA user_version").fetchone()[0])

    def _migrate(self) -> None:
        current = self.version
        if current > LATEST:
            raise CollectctlError(
                f"{self.path} was written by a newer collectctl (schema {current}, this one "
                f"knows {LATEST})",
                hint="Upgrade collectctl.",
            )
        if current == LATEST:
            return
        if current > 0:
            self.backup(self.path.with_name(f"{self.path.name}.v{current}.bak"))
        with self.write():
            # Re-check inside the lock: another process may have migrated meanwhile.
            current = self.version
            for number in range(current, LATEST):
                for statement in _statements(MIGRATIONS[number]):
                    self.conn.execute(statement)
            self.conn.execute(f"PRAGMA user_version = {LATEST}")

    def backup(self, target: Path) -> Path:
        """Copy the ledger to ``target`` with SQLite's online backup API."""
        dest = sqlite3.connect(str(target))
        try:
            self.conn.backup(dest)
        finally:
            dest.close()
        return target

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (``BEGIN IMMEDIATE``): committed on success, rolled back on any
        error or interruption. Waits for another writer up to :func:`lock_timeout` seconds."""
        conn = self.conn
        deadline = time.monotonic() + lock_timeout()
        while True:
            try:
                conn.execute("BEGIN IMMEDIATE")
                break
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc):
                    raise
                if time.monotonic() >= deadline:
                    raise LockTimeout(
                        f"the ledger {self.path} is busy: another collectctl process has been "
                        f"writing to it for more than {lock_timeout():g} s",
                        hint="Try again when it has finished (or raise COLLECTCTL_LOCK_TIMEOUT).",
                    ) from None
                time.sleep(0.05)
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")


@contextmanager
def file_lock(path: Path, *, timeout: float, what: str) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path``; wait up to ``timeout`` s, then raise LockTimeout
    naming the holder (pid, since) written into the file."""
    import fcntl

    deadline = time.monotonic() + timeout
    with path.open("a+") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise LockTimeout(
                        f"another {what} of this profile is running ({holder}); "
                        f"waited {timeout:g} s",
                        hint="Let it finish and run this one again (or raise "
                        "COLLECTCTL_LOCK_TIMEOUT).",
                    ) from None
                time.sleep(0.1)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} since {now_iso()}")
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _statements(script: str) -> list[str]:
    """Split a migration script into statements (sqlite3.complete_statement aware)."""
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    if buf.strip():
        out.append(buf.strip())
    return out


def now_iso() -> str:
    """The current UTC time as ISO text with offset (for logs; never used for domain dates)."""
    from collectctl.clock import utc_stamp

    return utc_stamp("seconds")

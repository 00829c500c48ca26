"""Opening a profile's ledger on whichever backend its :class:`~collectctl.ledger.dialect.Target`
names (kept apart from both backends' modules so neither imports the other)."""

from __future__ import annotations

import sqlite3
from typing import Any

from collectctl.ledger.connection import Ledger
from collectctl.ledger.dialect import Target


def open_ledger(target: Target) -> Ledger | Any:
    """Open (creating and migrating as needed) the ledger ``target`` names: a SQLite file, or
    a schema on a PostgreSQL server (the driver is imported only then)."""
    if target.backend == "postgresql":
        from collectctl.ledger.pgledger import PgLedger

        return PgLedger.open(target)
    assert target.path is not None
    return Ledger.open(target.path)


def existing_version(target: Target) -> int:
    """The schema version of the ledger ``target`` names, read without creating or migrating
    anything: 0 while it does not exist (no SQLite file, no schema on the server)."""
    if target.backend == "postgresql":
        from collectctl.ledger.pgledger import PgLedger
        from collectctl.ledger.postgres import connect

        ledger = PgLedger(target, connect(target))
        try:
            return ledger.version
        finally:
            ledger.close()
    assert target.path is not None
    if not target.path.is_file():
        return 0
    try:
        conn = sqlite3.connect(f"{target.path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error:
        return -1  # unreadable: the normal open reports it
    try:
        return int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.Error:
        return -1
    finally:
        conn.close()

"""Opening a profile's ledger on whichever backend its :class:`~collectctl.ledger.dialect.Target`
names (kept apart from both backends' modules so neither imports the other)."""

from __future__ import annotations

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

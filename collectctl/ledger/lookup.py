"""Read-only look-ups for shell completion: ids people type, straight from a ledger file.

Completion runs on every Tab press, so these open the ledger read-only (never migrating or
creating anything) and answer with what exists; a missing or unreadable ledger answers nothing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

#: Record id prefix -> table (as :data:`collectctl.ledger.collection.RECORD_TABLES`).
RECORD_TABLES = {
    "ACT": "contacts",
    "PRM": "promises",
    "DSP": "disputes",
    "HLD": "holds",
    "ESC": "escalations",
}


def _query(path: Path, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if not path.is_file():
        return []
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=0.5)) as conn:
            return conn.execute(sql, params).fetchall()
    except sqlite3.Error:
        return []


def customers(path: Path) -> list[tuple[str, str]]:
    """``(id, name)`` of every customer, by id."""
    rows = _query(path, "SELECT ext_id, name FROM customers ORDER BY ext_id")
    return [(str(a), str(b)) for a, b in rows]


def invoices(path: Path, customer: str | None = None) -> list[tuple[str, str]]:
    """``(id, number)`` of every invoice (of ``customer`` when given), by number."""
    if customer:
        rows = _query(
            path,
            "SELECT i.ext_id, i.number FROM invoices i JOIN customers c ON c.id = i.customer "
            "WHERE c.ext_id = ? ORDER BY i.number",
            (customer,),
        )
    else:
        rows = _query(path, "SELECT ext_id, number FROM invoices ORDER BY number")
    return [(str(a), str(b)) for a, b in rows]


def record_ids(path: Path, prefixes: tuple[str, ...] = tuple(RECORD_TABLES)) -> list[str]:
    """``PRM-3``-style ids of the records with these prefixes."""
    out: list[str] = []
    for prefix in prefixes:
        table = RECORD_TABLES[prefix]
        out += [f"{prefix}-{n}" for (n,) in _query(path, f"SELECT id FROM {table} ORDER BY id")]
    return out


def plan_ids(path: Path) -> list[tuple[str, str]]:
    """``(PL-n, state)`` of every plan."""
    rows = _query(path, "SELECT id, CASE WHEN cancelled_on IS NULL THEN '' ELSE 'cancelled' END "
                  "FROM plans ORDER BY id")  # fmt: skip
    return [(f"PL-{n}", str(state)) for n, state in rows]

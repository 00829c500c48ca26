"""Read-only look-ups for shell completion: ids people type, straight from a ledger file.

Completion runs on every Tab press, so these open the ledger read-only (never migrating or
creating anything) and answer with what exists; a missing or unreadable ledger answers nothing.
"""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

#: Record id prefix -> table (as :data:`collectctl.ledger.collection.RECORD_TABLES`).
RECORD_TABLES = {
    "ACT": "contacts",
    "PRM": "promises",
    "DSP": "disputes",
    "HLD": "holds",
    "ESC": "escalations",
    "ASG": "assignments",
}
#: The names worth completing for an owner: assignees, and everyone who assigned or logged.
OWNERS_SQL = """SELECT owner FROM assignments WHERE owner IS NOT NULL
                UNION SELECT created_by FROM assignments WHERE created_by IS NOT NULL
                UNION SELECT created_by FROM contacts WHERE created_by IS NOT NULL"""


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


def owners(path: Path) -> list[str]:
    """Names accounts were assigned to, and of everyone who assigned one or logged a contact."""
    return sorted({str(n) for (n,) in _query(path, OWNERS_SQL)})


def owners_postgresql(target: Any) -> list[str]:
    """:func:`owners` of a shared ledger: a read-only look-up with a 2-second connect timeout;
    an unreachable server, a refused login or an older schema answers nothing."""
    try:
        import psycopg
    except ImportError:
        return []
    kwargs: dict[str, Any] = {"connect_timeout": 2, "application_name": "collectctl-complete"}
    if target.password:
        kwargs["password"] = target.password
    try:
        with psycopg.connect(target.url, autocommit=True, **kwargs) as conn:
            conn.execute("SELECT set_config('search_path', %s, false)", (target.schema,))
            conn.execute("SET default_transaction_read_only = on")
            return sorted({str(n) for (n,) in conn.execute(OWNERS_SQL)})
    except psycopg.Error:
        return []

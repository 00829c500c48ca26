"""Reading the books: customers, invoices, allocations, and per-source sync status."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import date
from typing import Any


def source_status(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """One row per source that has synced: its last successful sync and current counts."""
    rows = []
    for source, finished, mode, description in conn.execute(
        """SELECT source, finished_at, mode, description FROM sync_log
           WHERE id IN (SELECT MAX(id) FROM sync_log GROUP BY source) ORDER BY source"""
    ):
        counts = {
            table: conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE source = ?", (source,)
            ).fetchone()[0]
            for table in ("customers", "invoices", "allocations")
        }
        rows.append(
            {
                "source": source,
                "last_sync": finished,
                "mode": mode,
                **counts,
                "description": description,
            }
        )
    return rows


class CustomerRow(dict):  # type: ignore[type-arg]
    """A customer row as a dict (``key`` is the ledger's integer key, ``id`` the source's id)."""


_CUSTOMER_COLUMNS = (
    "id AS key, source, ext_id AS id, name, email, phone, address, kind, currency, timezone, "
    "language, "
    "terms_days, active"
)


def find_customer(conn: sqlite3.Connection, ref: str) -> CustomerRow:
    """Resolve a customer id typed by a user: ``ID``, or ``SOURCE:ID`` when two sources share
    an id. Raises NotFoundError (exit 1) with a hint when there is no such customer or the id is
    ambiguous."""
    from collectctl.errors import NotFoundError

    conn.row_factory = sqlite3.Row
    try:
        rows = conn.execute(
            f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE ext_id = ? ORDER BY source", (ref,)
        ).fetchall()
        if not rows and ":" in ref:
            source, _, ext = ref.partition(":")
            rows = conn.execute(
                f"SELECT {_CUSTOMER_COLUMNS} FROM customers WHERE source = ? AND ext_id = ?",
                (source, ext),
            ).fetchall()
    finally:
        conn.row_factory = None
    if len(rows) == 1:
        return CustomerRow(dict(rows[0]))
    if not rows:
        raise NotFoundError(
            f"no customer with id {ref!r} in this profile's ledger",
            hint="`collectctl aging` lists customers with open balances; ids are the source's "
            "own (CSV id column, QuickBooks Id).",
        )
    choices = ", ".join(f"{r['source']}:{r['id']}" for r in rows)
    raise NotFoundError(
        f"customer id {ref!r} exists in more than one source ({choices})",
        hint="Write it as SOURCE:ID, e.g. " + f"{rows[0]['source']}:{rows[0]['id']}.",
    )


# -- accounts (collectctl account) -------------------------------------------------------------


def customer_refs(
    conn: sqlite3.Connection, keys: Sequence[int]
) -> dict[int, tuple[str, str, str, str]]:
    """``{customer key: (source, id, name, kind)}`` for the given ledger keys."""
    out: dict[int, tuple[str, str, str, str]] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for key, source, ext, name, kind in conn.execute(
            f"SELECT id, source, ext_id, name, kind FROM customers WHERE id IN ({marks})", chunk
        ):
            out[key] = (source, ext, name, kind)
    return out


def oldest_open_due(
    conn: sqlite3.Connection, as_of: date, *, currency: str | None = None
) -> dict[tuple[int, str], str]:
    """``{(customer key, currency): earliest due date}`` of the invoices open as of ``as_of``
    (same rules as aging: issued on or before it, not void, balance > 0 counting allocations
    dated on or before it). One pass over the aging index."""
    from collectctl.ledger.aging import late_allocations_sql

    d = as_of.isoformat()
    cte, join, late = late_allocations_sql(conn, d)
    params: dict[str, object] = {"d": d}
    cur = ""
    if currency:
        cur = "AND i.currency = :cur"
        params["cur"] = currency
    sql = f"""
        {cte}
        SELECT i.customer, i.currency, MIN(i.due_date) FROM invoices i {join}
        WHERE i.void = 0 AND i.issue_date <= :d {cur} AND i.amount - i.allocated + {late} > 0
        GROUP BY i.customer, i.currency
    """
    return {(key, code): due for key, code, due in conn.execute(sql, params)}


def find_invoice(conn: sqlite3.Connection, customer: CustomerRow, ref: str) -> dict[str, Any]:
    """An invoice of ``customer`` typed by a user: its id, else its printed number.
    NotFoundError (exit 1) when the customer has no such invoice."""
    from collectctl.errors import NotFoundError

    for column in ("ext_id", "number"):
        rows = conn.execute(
            f"""SELECT ext_id, number, currency, void FROM invoices
                WHERE customer = ? AND {column} = ? ORDER BY ext_id""",
            (customer["key"], ref),
        ).fetchall()
        if len(rows) == 1:
            ext, number, cur, void = rows[0]
            return {"id": ext, "number": number, "currency": cur, "void": bool(void)}
    raise NotFoundError(
        f"customer {customer['id']!r} has no invoice {ref!r}",
        hint=f"`collectctl account show {customer['id']}` lists its invoices.",
    )


def customer_invoices(conn: sqlite3.Connection, key: int, as_of: date) -> list[dict[str, Any]]:
    """Every invoice of one customer with ``paid`` = allocations dated on or before
    ``as_of`` (minor units), ordered by due date and number."""
    cur = conn.execute(
        """SELECT i.ext_id AS id, i.number, i.issue_date, i.due_date, i.currency, i.amount,
                  i.void, i.description,
                  COALESCE((SELECT SUM(a.amount) FROM allocations a
                            WHERE a.invoice = i.id AND a.date <= ?), 0) AS paid
           FROM invoices i WHERE i.customer = ? ORDER BY i.due_date, i.number, i.ext_id""",
        (as_of.isoformat(), key),
    )
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def customer_allocations(conn: sqlite3.Connection, key: int, as_of: date) -> list[dict[str, Any]]:
    """Every allocation of one customer dated on or before ``as_of``, oldest first, with the
    invoice's number (``None`` when unapplied) and whether it points at a live invoice."""
    cur = conn.execute(
        """SELECT a.payment_id, a.date, a.kind, a.currency, a.amount, a.invoice_ext,
                  i.number AS invoice_number, a.invoice IS NOT NULL AS linked, a.method,
                  a.reference
           FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice
           WHERE a.customer = ? AND a.date <= ? ORDER BY a.date, a.payment_id, a.id""",
        (key, as_of.isoformat()),
    )
    names = [c[0] for c in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


def invoice_numbers(conn: sqlite3.Connection, source: str, exts: Sequence[str]) -> dict[str, str]:
    """``{invoice id: number}`` for the ids of ``source`` still in the books."""
    out: dict[str, str] = {}
    wanted = sorted(set(exts))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for ext, number in conn.execute(
            f"SELECT ext_id, number FROM invoices WHERE source = ? AND ext_id IN ({marks})",
            [source, *chunk],
        ):
            out[ext] = number
    return out

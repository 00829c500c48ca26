"""Reading the books: customers, invoices, allocations, and per-source sync status."""

from __future__ import annotations

import sqlite3
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


class CustomerRow(dict[str, Any]):
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
        close = closest_customers(conn, ref)
        suggestion = f"Did you mean {' or '.join(close)}? " if close else ""
        raise NotFoundError(
            f"no customer with id {ref!r} in this profile's ledger",
            hint=f"{suggestion}`collectctl account list` lists the accounts; ids are the "
            "source's own (CSV id column, QuickBooks Id).",
        )
    choices = ", ".join(f"{r['source']}:{r['id']}" for r in rows)
    raise NotFoundError(
        f"customer id {ref!r} exists in more than one source ({choices})",
        hint="Write it as SOURCE:ID, e.g. " + f"{rows[0]['source']}:{rows[0]['id']}.",
    )


def closest_customers(conn: sqlite3.Connection, ref: str, limit: int = 3) -> list[str]:
    """Customer ids closest to ``ref`` by id or by name, case-insensitive, as ``'id' (name)``."""
    import difflib

    rows = conn.execute("SELECT ext_id, name FROM customers ORDER BY ext_id").fetchall()
    wanted = ref.casefold()
    by_key: dict[str, str] = {}
    for ext, name in rows:
        by_key.setdefault(str(ext).casefold(), ext)
        by_key.setdefault(str(name).casefold(), ext)
    names = {ext: name for ext, name in rows}
    found: list[str] = []
    hits = [k for k in by_key if wanted and (wanted in k or k == wanted)]
    hits += difflib.get_close_matches(wanted, list(by_key), n=limit * 2, cutoff=0.6)
    for key in hits:
        ext = by_key[key]
        if ext not in found:
            found.append(ext)
    return [f"{ext!r} ({names[ext]})" for ext in found[:limit]]


# -- accounts (collectctl account) -------------------------------------------------------------


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


def never_synced(conn: sqlite3.Connection) -> bool:
    """True when no sync ever completed into this ledger (its books are empty, not paid up)."""
    return conn.execute("SELECT 1 FROM sync_log LIMIT 1").fetchone() is None


#: The ``sync_cursors`` key under which a source's "payment dates are approximate" note is kept
#: (written by :func:`collectctl.ledger.changes.store_payment_dates`).
APPROXIMATE_PAYMENT_DATES = "{}:approximate-payment-dates"


def approximate_payment_sources(conn: sqlite3.Connection) -> list[str]:
    """The sources whose last sync said their payment dates are approximate, by name."""
    suffix = APPROXIMATE_PAYMENT_DATES.format("")
    rows = conn.execute(
        "SELECT source FROM sync_cursors WHERE source LIKE ? ORDER BY source", (f"%{suffix}",)
    ).fetchall()
    return [r[0][: -len(suffix)] for r in rows]

"""Aged receivables straight from the ledger, summed in SQL over integer minor units.

As of date D an invoice's balance is ``amount − allocations dated ≤ D``, computed as
``amount − allocated + (allocations dated after D)``: ``allocated`` (all allocations, kept by the
sync) makes the usual as-of dates touch only the few allocations dated after D. Invoices are read
through the covering ``invoices_aging`` index in (customer, currency) order, so SQLite groups a
million invoices without sorting. Unapplied credit as of D = unapplied payments and credits
(less refunds) dated ≤ D, plus allocations dated ≤ D to void invoices or to invoices issued after
D, plus any excess of allocations over an invoice's amount.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from collectctl.domain.aging import AgingLine


@dataclass(frozen=True)
class OpenInvoice:
    """An invoice open as of the report date (minor units)."""

    invoice_id: str
    number: str
    customer_key: int
    customer_id: str
    customer: str
    currency: str
    issue_date: date
    due_date: date
    amount: int
    balance: int


@dataclass(frozen=True)
class AsOfSql:
    """SQL pieces for "allocations dated on or before D" of invoice ``i``.

    ``applied`` is that sum and ``open`` the invoice's balance as of D. Whichever side of D has
    fewer allocation rows is summed: those after D when D is recent (none at all for today),
    those on or before D when D is far back.
    """

    cte: str
    join: str
    applied: str
    open: str
    #: a cheap filter keeping every invoice that can contribute (a superset)
    relevant: str


#: Allocations dated after ``:d``, summed per invoice, and its join to invoice ``i``.
_LATE_CTE = (
    "WITH late AS MATERIALIZED (SELECT invoice, SUM(amount) AS amt FROM allocations "
    "WHERE date > :d AND invoice IS NOT NULL GROUP BY invoice) "
)
_LATE_JOIN = "LEFT JOIN late l ON l.invoice = i.id"


def as_of_sql(conn: sqlite3.Connection, as_of: str) -> AsOfSql:
    late = conn.execute(
        "SELECT COUNT(*) FROM allocations WHERE date > ? AND invoice IS NOT NULL", (as_of,)
    ).fetchone()[0]
    if not late:
        return AsOfSql(
            "",
            "",
            "i.allocated",
            "(i.amount - i.allocated)",
            "(i.amount != i.allocated OR i.void != 0 OR i.issue_date > :d)",
        )
    total = conn.execute("SELECT COUNT(*) FROM allocations WHERE invoice IS NOT NULL").fetchone()[0]
    if late * 2 <= total:
        return AsOfSql(
            _LATE_CTE,
            _LATE_JOIN,
            "(i.allocated - COALESCE(l.amt, 0))",
            "(i.amount - i.allocated + COALESCE(l.amt, 0))",
            "(i.amount != i.allocated OR i.void != 0 OR i.issue_date > :d "
            "OR l.invoice IS NOT NULL)",
        )
    return AsOfSql(
        "WITH early AS MATERIALIZED (SELECT invoice, SUM(amount) AS amt FROM allocations "
        "WHERE date <= :d AND invoice IS NOT NULL GROUP BY invoice) ",
        "LEFT JOIN early e ON e.invoice = i.id",
        "COALESCE(e.amt, 0)",
        "(i.amount - COALESCE(e.amt, 0))",
        "(i.issue_date <= :d OR e.invoice IS NOT NULL)",
    )


def customer_lines(
    conn: sqlite3.Connection,
    as_of: date,
    cutoffs: Sequence[date],
    *,
    basis: str = "due",
    currency: str | None = None,
) -> list[AgingLine]:
    """One :class:`AgingLine` per (customer, currency) with anything open or unapplied.

    ``cutoffs`` are the bucket boundaries as dates (basis date ≥ ``cutoffs[k]`` means bucket
    ≤ k: :func:`collectctl.domain.aging.cutoffs`), so SQL compares dates and does no date
    arithmetic.
    """
    d = as_of.isoformat()
    cuts = [c.isoformat() for c in cutoffs]
    column = "i.due_date" if basis == "due" else "i.issue_date"
    params: dict[str, object] = {"d": d}
    case = ["CASE"]
    for k, cut in enumerate(cuts):
        params[f"c{k}"] = cut
        case.append(f"WHEN {column} >= :c{k} THEN {k}")
    case.append(f"ELSE {len(cuts)} END")
    n = len(cuts) + 1
    q = as_of_sql(conn, d)
    live = "(i.void = 0 AND i.issue_date <= :d)"
    where = f"WHERE {q.relevant}"
    if currency:
        where += " AND i.currency = :cur"
        params["cur"] = currency
    sums = ", ".join(f"SUM(CASE WHEN k = {k} THEN bal ELSE 0 END)" for k in range(n))
    # Invoices that contribute nothing (paid exactly, or not yet issued and not prepaid) are
    # skipped before any bucket arithmetic: most of a ledger is paid.
    sql = f"""
        {q.cte}
        SELECT customer, currency, {sums}, SUM(unap) FROM (
            SELECT i.customer AS customer, i.currency AS currency,
                CASE WHEN {live} THEN MAX({q.open}, 0) ELSE 0 END AS bal,
                CASE WHEN {live} THEN MIN({q.open}, 0) ELSE -{q.applied} END AS unap,
                {" ".join(case)} AS k
            FROM invoices i {q.join} {where})
        GROUP BY customer, currency
    """
    lines: dict[tuple[int, str], AgingLine] = {}
    for row in conn.execute(sql, params):
        key = (row[0], row[1])
        lines[key] = AgingLine(row[0], row[1], list(row[2 : 2 + n]), row[2 + n])
    unapplied_sql = """
        SELECT customer, currency, SUM(CASE WHEN kind = 'refund' THEN amount ELSE -amount END)
        FROM allocations INDEXED BY allocations_unapplied
        WHERE invoice IS NULL AND date <= :d {cur}
        GROUP BY customer, currency
    """.format(cur="AND currency = :cur" if currency else "")
    for cust, cur, amount in conn.execute(unapplied_sql, params):
        line = lines.get((cust, cur))
        if line is None:
            line = lines[(cust, cur)] = AgingLine(cust, cur, [0] * n, 0)
        line.unapplied += amount
    return [line for line in lines.values() if not line.empty]


def customer_names(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
    """``{customer key: (id, name)}`` for the given ledger keys."""
    out: dict[int, tuple[str, str]] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for key, ext, name in conn.execute(
            f"SELECT id, ext_id, name FROM customers WHERE id IN ({marks})", chunk
        ):
            out[key] = (ext, name)
    return out


def open_invoices(
    conn: sqlite3.Connection, as_of: date, *, currency: str | None = None
) -> list[OpenInvoice]:
    """Invoices issued on or before ``as_of``, not void, with a balance > 0 as of that date."""
    d = as_of.isoformat()
    q = as_of_sql(conn, d)
    params: dict[str, object] = {"d": d}
    cur = ""
    if currency:
        cur = "AND i.currency = :cur"
        params["cur"] = currency
    sql = f"""
        {q.cte}
        SELECT i.ext_id, i.number, c.id, c.ext_id, c.name, i.currency, i.issue_date,
               i.due_date, i.amount, {q.open} AS bal
        FROM invoices i {q.join} JOIN customers c ON c.id = i.customer
        WHERE i.void = 0 AND i.issue_date <= :d {cur} AND {q.open} > 0
    """
    return [
        OpenInvoice(
            r[0],
            r[1],
            r[2],
            r[3],
            r[4],
            r[5],
            date.fromisoformat(r[6]),
            date.fromisoformat(r[7]),
            r[8],
            r[9],
        )
        for r in conn.execute(sql, params)
    ]

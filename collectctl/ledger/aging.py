"""Aged receivables straight from the ledger, summed in SQL over integer minor units.

As of date D an invoice's balance is ``amount − allocations dated ≤ D``, computed as
``amount − allocated + (allocations dated after D)``: ``allocated`` (all allocations, kept by the
sync) makes the usual as-of dates touch only the few allocations dated after D. The invoices that
can contribute without any allocation after D — the unsettled ones — are read through the partial
covering index ``invoices_unsettled`` in (customer, currency) order, so SQLite groups them without
sorting, and the few with allocations after D are corrected from those allocations. Unapplied
credit as of D = unapplied payments and credits (less refunds) dated ≤ D, plus allocations dated
≤ D to void invoices or to invoices issued after D, plus any excess of allocations over an
invoice's amount.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any


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


#: The invoices in the partial index ``invoices_unsettled``: not fully allocated, void, or paid
#: in full before their issue date. Any other invoice is settled: as of any date it contributes
#: nothing unless it has allocations after that date (allocations are positive, so an invoice
#: whose allocations all lie on or before D is paid in full by D, and ``paid_on`` — the date
#: the allocations first covered the amount — is then on or before D).
UNSETTLED = "(i.amount != i.allocated OR i.void != 0 OR i.paid_on < i.issue_date)"

#: The settled invoices (not :data:`UNSETTLED`) that can contribute as of ``:d``: paid in full
#: after it, and issued on or before it or allocated to on or before it (``first_allocation``,
#: kept by the sync; see its migration). Read through ``invoices_paid_on``, in paid_on order.
SETTLED_OPEN = (
    f"i.paid_on > :d AND NOT {UNSETTLED} AND (i.issue_date <= :d OR i.first_allocation <= :d)"
)


#: The columns of the ``settled`` CTE (:func:`early_cte`) that aging by customer reads.
SETTLED_COLUMNS = "i.id, i.customer, i.currency, i.void, i.issue_date, i.due_date, i.amount"


def early_cte(cur: str = "", columns: str = SETTLED_COLUMNS) -> str:
    """Two CTEs for an as-of date far back: ``settled``, the :data:`SETTLED_OPEN` invoices
    (``columns`` of them, read once through ``invoices_paid_on``), and ``early``, the
    allocations dated on or before ``:d``, summed per invoice, of the invoices that can
    contribute (those and the :data:`UNSETTLED` ones) and were allocated to by then; ``cur`` is
    an extra condition on invoice ``i`` (a currency)."""
    return (
        f"WITH settled AS MATERIALIZED (SELECT {columns}, i.first_allocation AS first_allocation "
        f"FROM invoices i INDEXED BY invoices_paid_on WHERE {SETTLED_OPEN}{cur}), "
        "early AS MATERIALIZED (SELECT a.invoice AS invoice, SUM(a.amount) AS amt "
        "FROM allocations a INDEXED BY allocations_by_invoice "
        "WHERE a.date <= :d AND a.invoice IN ("
        f"SELECT i.id FROM invoices i INDEXED BY invoices_unsettled "
        f"WHERE {UNSETTLED} AND i.first_allocation <= :d{cur} UNION ALL "
        "SELECT s.id FROM settled s WHERE s.first_allocation <= :d) "
        "GROUP BY a.invoice) "
    )


#: Allocations dated after ``:d``, summed per invoice, and its join to invoice ``i``: read in
#: invoice order (no sort), or, when they are few, straight from the date index and sorted.
_LATE = "WITH late AS MATERIALIZED ("
_LATE_CTE = (
    f"{_LATE}SELECT invoice, SUM(amount) AS amt FROM allocations "
    "WHERE date > :d AND invoice IS NOT NULL GROUP BY invoice) "
)
_FEW_LATE_CTE = (
    f"{_LATE}SELECT invoice, SUM(amount) AS amt FROM allocations INDEXED BY allocations_by_date "
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
            _FEW_LATE_CTE if late * 16 <= total else _LATE_CTE,
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


#: One (customer, currency) line as :func:`named_lines` returns it: ``(customer key, customer id,
#: name, currency, *buckets, unapplied, origin)`` in minor units; ``origin`` is 0 when invoices
#: contributed to the line, 1 when only unapplied payments did.
NamedLine = tuple[Any, ...]


def named_lines(
    conn: sqlite3.Connection,
    as_of: date,
    cutoffs: Sequence[date],
    *,
    basis: str = "due",
    currency: str | None = None,
) -> list[NamedLine]:
    """Every (customer, currency) with anything open or unapplied, with the customer's id and
    name (:data:`NamedLine`), in no particular order — one statement.

    ``cutoffs`` are the bucket boundaries as dates (basis date ≥ ``cutoffs[k]`` means bucket
    ≤ k: :func:`collectctl.domain.aging.cutoffs`), so SQL compares dates and does no date
    arithmetic.

    When at most half of the allocations lie after the date (the usual as-of dates), the
    unsettled invoices (:data:`UNSETTLED`) are summed as if none did, read through their partial
    covering index with no per-invoice look-up, and the invoices that have allocations after
    the date are added as corrections (their exact contribution less the one just summed): the
    sums are linear, so the result is exact. Otherwise every invoice is read with the
    allocations on or before the date (:func:`as_of_sql`).
    """
    d = as_of.isoformat()
    column = "i.due_date" if basis == "due" else "i.issue_date"
    params: dict[str, object] = {"d": d}
    case = ["CASE"]
    for k, cut in enumerate(c.isoformat() for c in cutoffs):
        params[f"c{k}"] = cut
        case.append(f"WHEN {column} >= :c{k} THEN {k}")
    case.append(f"ELSE {len(cutoffs)} END")
    bucket = " ".join(case)
    n = len(cutoffs) + 1
    cur = ""
    if currency:
        cur = " AND i.currency = :cur"
        params["cur"] = currency
    live = "(i.void = 0 AND i.issue_date <= :d)"
    sums = ", ".join(f"SUM(CASE WHEN k = {k} THEN bal ELSE 0 END) AS b{k}" for k in range(n))
    cols = ", ".join(f"b{k}" for k in range(n))
    zeros = ", ".join(f"0 AS b{k}" for k in range(n))

    def contribution(open_: str, applied: str) -> tuple[str, str]:
        """The (balance, unapplied) an invoice adds, from its open amount and applied sum."""
        return (
            f"CASE WHEN {live} THEN MAX({open_}, 0) ELSE 0 END",
            f"CASE WHEN {live} THEN MIN({open_}, 0) ELSE -{applied} END",
        )

    def grouped(bal: str, unap: str, source: str, where: str) -> str:
        return f"""
            SELECT customer, currency, {sums}, SUM(unap) AS u, 0 AS origin FROM (
                SELECT i.customer AS customer, i.currency AS currency, {bal} AS bal,
                       {unap} AS unap, {bucket} AS k
                FROM {source} WHERE {where}{cur}) AS t
            GROUP BY customer, currency"""

    q = as_of_sql(conn, d)
    origin = "MIN(origin)"
    if not q.cte or q.cte.startswith(_LATE):
        # Every unsettled invoice as if nothing were allocated after the date (the partial
        # index, in (customer, currency) order: no sort); a settled one contributes nothing
        # unless it has allocations after the date (see the migration of invoices_unsettled).
        bal, unap = contribution("(i.amount - i.allocated)", "i.allocated")
        parts = [grouped(bal, unap, "invoices i INDEXED BY invoices_unsettled", UNSETTLED)]
        if q.cte:
            # The invoices with allocations after the date: exact less what was summed above.
            exact_bal, exact_unap = contribution(q.open, q.applied)
            parts.append(
                grouped(
                    f"{exact_bal} - CASE WHEN {UNSETTLED} THEN {bal} ELSE 0 END",
                    f"{exact_unap} - CASE WHEN {UNSETTLED} THEN {unap} ELSE 0 END",
                    "late l CROSS JOIN invoices i ON i.id = l.invoice",
                    "1",
                )
            )
        cte = q.cte
    else:
        # Far back (most allocations after the date): only the unsettled invoices and the
        # settled ones that can contribute (SETTLED_OPEN) are read, with the allocations on or
        # before the date of those allocated to by then. Invoices issued after the date and
        # not allocated to by then contribute nothing and are skipped.
        cte = early_cte(cur)
        applied = "COALESCE(e.amt, 0)"
        bal, unap = contribution(f"(i.amount - {applied})", applied)
        early = "LEFT JOIN early e ON e.invoice = i.id"
        parts = [
            grouped(
                bal,
                unap,
                f"invoices i INDEXED BY invoices_unsettled {early}",
                f"{UNSETTLED} AND (i.issue_date <= :d OR e.invoice IS NOT NULL)",
            ),
            grouped(bal, unap, f"settled i {early}", "1"),
        ]
        # A line of unapplied payments only is listed after its customer's line of invoices
        # (origin 0) when the customer has any invoice issued by the date, as when every such
        # invoice was read (its paid ones contribute nothing, so they are not read here).
        origin = (
            "CASE WHEN MIN(origin) = 1 AND EXISTS (SELECT 1 FROM invoices x "
            "INDEXED BY invoices_aging WHERE x.customer = p.customer "
            "AND x.currency = p.currency AND x.issue_date <= :d) THEN 0 ELSE MIN(origin) END"
        )
    parts.append(
        f"""
        SELECT customer, currency, {zeros},
               SUM(CASE WHEN kind = 'refund' THEN amount ELSE -amount END) AS u, 1 AS origin
        FROM allocations INDEXED BY allocations_unapplied
        WHERE invoice IS NULL AND date <= :d{cur.replace("i.", "")}
        GROUP BY customer, currency"""
    )
    totals = ", ".join(f"SUM(b{k}) AS b{k}" for k in range(n))
    nonzero = " OR ".join([*(f"SUM(b{k}) != 0" for k in range(n)), "SUM(u) != 0"])
    sql = f"""
        {cte}
        SELECT g.customer, c.ext_id, c.name, g.currency, {cols}, u, origin FROM (
            SELECT customer, currency, {totals}, SUM(u) AS u, {origin} AS origin
            FROM ({" UNION ALL ".join(parts)}) AS p
            GROUP BY customer, currency
            HAVING {nonzero}) AS g
        CROSS JOIN customers c ON c.id = g.customer
    """
    return conn.execute(sql, params).fetchall()


def customer_names(conn: sqlite3.Connection, keys: Sequence[int]) -> dict[int, tuple[str, str]]:
    """``{customer key: (id, name)}`` for the given ledger keys."""
    out: dict[int, tuple[str, str]] = {}
    wanted = sorted(set(keys))
    if len(wanted) > _READ_ALL_NAMES:
        # Most of the customers: one pass over the table beats thousands of key look-ups.
        every = conn.execute("SELECT id, ext_id, name FROM customers").fetchall()
        ids, exts, names = zip(*every, strict=True)
        found = dict(zip(ids, zip(exts, names, strict=True), strict=True))
        return {key: found[key] for key in wanted if key in found}
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for key, ext, name in conn.execute(
            f"SELECT id, ext_id, name FROM customers WHERE id IN ({marks})", chunk
        ):
            out[key] = (ext, name)
    return out


#: Above this many keys, :func:`customer_names` reads the whole customers table.
_READ_ALL_NAMES = 2000


#: One open invoice as :func:`open_invoice_rows` returns it: ``(invoice id, number, customer key,
#: currency, issue date, due date, amount, balance, ledger key)``, dates as ISO text, money in
#: minor units.
InvoiceRow = tuple[str, str, int, str, str, str, int, int, int]


def open_invoice_rows(
    conn: sqlite3.Connection, as_of: date, *, currency: str | None = None
) -> list[InvoiceRow]:
    """Invoices issued on or before ``as_of``, not void, with a balance > 0 as of that date, as
    plain tuples (:data:`InvoiceRow`), ordered by customer key, due date, number, invoice id and
    ledger key (sorted by SQLite, byte-wise: the code-point order of Python's strings).

    When few allocations lie after the date, the invoices not fully allocated are open by the
    date whatever was allocated after it (allocations are positive): SQL reads them with their
    balance of today, and the allocations after the date are added back here, per invoice,
    from one grouped read (cheaper than a look-up per row in SQL); the fully allocated ones
    with allocations after the date come from those allocations.
    """
    d = as_of.isoformat()
    q = as_of_sql(conn, d)
    params: dict[str, object] = {"d": d}
    cur = ""
    if currency:
        cur = " AND i.currency = :cur"
        params["cur"] = currency
    cols = "i.ext_id, i.number, i.customer, i.currency, i.issue_date, i.due_date, i.amount"
    live = f"i.void = 0 AND i.issue_date <= :d{cur}"
    if not q.cte or q.cte.startswith(_LATE):
        # Open by the date means not fully allocated now, or allocations after the date. The
        # balance read is today's (amount - allocated); the allocations after the date are
        # added below.
        sql = f"""
            SELECT {cols}, i.amount - i.allocated AS bal, i.id AS id
            FROM invoices i INDEXED BY invoices_unsettled
            WHERE {UNSETTLED} AND {live} AND i.amount > i.allocated
        """
        if q.cte:
            sql += f"""
            UNION ALL
            SELECT {cols}, i.amount - i.allocated, i.id
            FROM late l CROSS JOIN invoices i ON i.id = l.invoice
            WHERE {live} AND i.amount <= i.allocated AND i.amount - i.allocated + l.amt > 0
            """
        cte = q.cte
    else:
        # Far back: the unsettled invoices and the settled ones that can be open by the date
        # (SETTLED_OPEN), with the allocations on or before the date (see named_lines).
        cte = early_cte(cur, f"i.id, i.void, {cols}")
        bal = "i.amount - COALESCE(e.amt, 0)"
        early = "LEFT JOIN early e ON e.invoice = i.id"
        sql = f"""
            SELECT {cols}, {bal} AS bal, i.id AS id
            FROM invoices i INDEXED BY invoices_unsettled {early}
            WHERE {UNSETTLED} AND {live} AND {bal} > 0
            UNION ALL
            SELECT {cols}, {bal}, i.id
            FROM settled i {early}
            WHERE {live} AND {bal} > 0
        """
    # Column names of the first SELECT (SQLite and PostgreSQL name a compound's columns so).
    sql = f"{cte} SELECT * FROM ({sql}) AS u ORDER BY customer, due_date, number, ext_id, id"
    rows: list[InvoiceRow] = conn.execute(sql, params).fetchall()
    if q.cte.startswith(_LATE):
        late = dict(conn.execute(f"{q.cte} SELECT invoice, amt FROM late", params).fetchall())
        rows = [r if r[8] not in late else (*r[:7], r[7] + late[r[8]], r[8]) for r in rows]
    return rows

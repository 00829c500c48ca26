"""Reconciliation candidates straight from the ledger (``collectctl reconcile``).

Every check is one set query over the whole ledger (or one customer), never a loop over
customers. This module returns typed candidates only; the pure rules of
:mod:`collectctl.domain.reconcile` turn them into findings (applied by
:mod:`collectctl.reports.reconcile`). As of date D only invoices issued on or before D and
allocations dated on or before D count, exactly as in aging (through the same as-of SQL,
:func:`collectctl.ledger.aging.as_of_sql`); the source-balance check compares the source's
figure with the ledger's *current* balance, because that is what the source reports.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from collectctl.domain.reconcile import Credit, OpenItem
from collectctl.ledger.aging import UNSETTLED, AsOfSql, as_of_sql
from collectctl.ledger.days import DAYS as _DAYS
from collectctl.ledger.dialect import dialect_of

Account = tuple[int, str]  # (customer key, currency)


def _day(text: str) -> date:
    return _DAYS[text]


def _in_chunks(
    conn: sqlite3.Connection, sql: str, keys: list[int], params: dict[str, Any]
) -> list[Any]:
    """Run ``sql`` (with ``{keys}`` for an IN list) over ``keys`` 500 at a time."""
    rows: list[Any] = []
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        marks = ",".join(f":k{n}" for n in range(len(chunk)))
        args = dict(params, **{f"k{n}": key for n, key in enumerate(chunk)})
        rows += conn.execute(sql.format(keys=marks), args).fetchall()
    return rows


@dataclass(frozen=True)
class Overpaid:
    """An invoice whose allocations dated ≤ D exceed its amount; ``allocations`` are its
    ``(payment id, date, amount)`` by then, oldest first."""

    customer_key: int
    currency: str
    invoice_id: str
    number: str
    amount: int
    paid: int
    allocations: tuple[tuple[str, date, int], ...]


def as_of(conn: sqlite3.Connection, d: str) -> AsOfSql:
    """The SQL of "allocations dated on or before D" (:func:`collectctl.ledger.aging.as_of_sql`),
    worked out once for the checks of one report (it counts the allocations after D)."""
    return as_of_sql(conn, d)


def overpaid(
    conn: sqlite3.Connection, d: str, customer: int | None, q: AsOfSql | None = None
) -> list[Overpaid]:
    """Invoices whose allocations dated ≤ D exceed their amount, with those allocations.

    Such an invoice is overpaid today too (allocations only add up), so it is unsettled
    (``allocated != amount``): only the partial index ``invoices_unsettled`` is read."""
    q = q or as_of_sql(conn, d)
    params: dict[str, Any] = {"d": d, "cust": customer}
    who = "AND i.customer = :cust" if customer is not None else ""
    rows = conn.execute(
        f"""{q.cte}
        SELECT i.id, i.ext_id, i.number, i.customer, i.currency, i.amount, {q.applied} AS paid
        FROM invoices i INDEXED BY invoices_unsettled {q.join}
        WHERE {UNSETTLED} AND i.void = 0 AND i.issue_date <= :d AND i.allocated > i.amount
          AND {q.applied} > i.amount {who}""",
        params,
    ).fetchall()
    allocations: dict[int, list[tuple[str, date, int]]] = defaultdict(list)
    for invoice, payment_id, day, amount in _in_chunks(
        conn,
        """SELECT invoice, payment_id, date, amount FROM allocations
           WHERE invoice IN ({keys}) AND date <= :d ORDER BY invoice, date, id""",
        [r[0] for r in rows],
        params,
    ):
        allocations[invoice].append((payment_id, _day(day), amount))
    return [
        Overpaid(cust, currency, ext, number, amount, paid, tuple(allocations[key]))
        for key, ext, number, cust, currency, amount, paid in rows
    ]


def account_credit(
    conn: sqlite3.Connection, d: str, customer: int | None
) -> tuple[dict[Account, list[Credit]], dict[Account, tuple[int, list[str]]]]:
    """Credit on account as of D (money on account, allocations to void or not-yet-issued
    invoices) and refunds, per account."""
    params: dict[str, Any] = {"d": d, "cust": customer}
    who = "AND customer = :cust" if customer is not None else ""
    credits: dict[Account, list[Credit]] = defaultdict(list)
    refund_totals: dict[Account, int] = defaultdict(int)
    refund_ids: dict[Account, list[str]] = defaultdict(list)
    days = _DAYS
    for cust, currency, payment_id, day, amount, kind in conn.execute(
        f"""SELECT customer, currency, payment_id, date, amount, kind
            FROM allocations INDEXED BY allocations_unapplied_ids
            WHERE invoice IS NULL AND +date <= :d {who}""",
        params,
    ):
        if kind == "refund":
            refund_totals[(cust, currency)] += amount
            refund_ids[(cust, currency)].append(payment_id)
        else:
            credits[(cust, currency)].append(Credit(payment_id, days[day], amount, None, kind))
    refunds = {key: (total, refund_ids[key]) for key, total in refund_totals.items()}
    for cust, currency, payment_id, day, amount, kind, ext in _credit_allocations(
        conn, params, customer
    ):
        credits[(cust, currency)].append(Credit(payment_id, _day(day), amount, ext, kind))
    return credits, refunds


#: Allocations dated ≤ D (and ``a.id``) to invoices ``i`` that are void or issued after D:
#: the columns :func:`_credit_allocations` returns, then its sort key.
_CREDIT_COLUMNS = (
    "a.customer, a.currency, a.payment_id, a.date, a.amount, a.kind, i.ext_id, "
    "i.void, i.issue_date, i.due_date, i.amount, i.allocated, i.id, a.id"
)


#: From this many invoices issued after D on, :func:`_credit_allocations` reads every invoice.
_MANY_LATER = 50_000


def _credit_allocations(
    conn: sqlite3.Connection, params: dict[str, Any], customer: int | None
) -> list[tuple[Any, ...]]:
    """``(customer, currency, payment id, date, amount, kind, invoice id)`` of the allocations
    dated ≤ D to void invoices or to invoices issued after D, in the order of a pass over
    ``invoices_aging`` and, per invoice, ``allocations_by_invoice``.

    Over the whole ledger the void invoices come from ``invoices_unsettled`` (a void invoice is
    unsettled) and those issued after D from a range of ``invoices_by_issue``, instead of a pass
    over every invoice, unless many invoices were issued after D (a date far back: then one pass
    over every invoice is cheaper than looking up each one's allocations in issue-date order);
    the rows are then put in the single pass's order."""
    later = 0
    if customer is None:
        later = conn.execute(
            f"""SELECT COUNT(*) FROM (SELECT 1 FROM invoices i INDEXED BY invoices_by_issue
                WHERE i.void = i.void AND i.void = 0 AND i.issue_date > :d LIMIT {_MANY_LATER})""",
            params,
        ).fetchone()[0]
    if customer is not None or later >= _MANY_LATER:
        who = "AND i.customer = :cust" if customer is not None else ""
        hint = "INDEXED BY invoices_aging" if customer is None else ""  # covers the filter
        sources = [
            f"""SELECT {_CREDIT_COLUMNS} FROM invoices i {hint} CROSS JOIN allocations a
                ON a.invoice = i.id WHERE (i.void = 1 OR i.issue_date > :d) AND +a.date <= :d
                {who}"""
        ]
    else:
        sources = [
            f"""SELECT {_CREDIT_COLUMNS} FROM invoices i INDEXED BY invoices_unsettled
                CROSS JOIN allocations a ON a.invoice = i.id
                WHERE {UNSETTLED} AND i.void = 1 AND +a.date <= :d""",
            f"""SELECT {_CREDIT_COLUMNS} FROM invoices i INDEXED BY invoices_by_issue
                CROSS JOIN allocations a ON a.invoice = i.id
                WHERE i.void = i.void AND i.void = 0 AND i.issue_date > :d AND +a.date <= :d""",
        ]
    rows = [row for sql in sources for row in conn.execute(sql, params)]
    # invoices_aging order (customer, currency, void, issue, due, amount, allocated, key), then
    # allocations_by_invoice order (date, amount, key)
    rows.sort(key=lambda r: (r[0], r[1], *r[7:13], r[3], r[4], r[13]))
    return [row[:7] for row in rows]


def open_items(
    conn: sqlite3.Connection, d: str, accounts: list[Account], q: AsOfSql | None = None
) -> dict[Account, list[OpenItem]]:
    """Open invoices as of D of the given accounts (accounts passed as JSON).

    When at most half of the allocations lie after D (the usual dates), an invoice open as of D
    is either unsettled (the partial covering index ``invoices_unsettled``, read per account) or
    settled with allocations after D (read from those allocations): the few hundred thousand
    settled invoices of the accounts are never visited. Otherwise every invoice of the accounts
    is read with its allocations on or before D."""
    if not accounts:
        return {}
    q = q or as_of_sql(conn, d)
    with_accounts = "acc(customer, currency) AS (SELECT json_extract(value, '$[0]'), " + (
        "json_extract(value, '$[1]') FROM json_each(:accounts))"
    )
    if dialect_of(conn) == "postgresql":
        with_accounts = (
            "acc(customer, currency) AS (SELECT (value->>0)::bigint, value->>1 "
            "FROM json_array_elements(CAST(:accounts AS json)) AS value)"
        )
    cte = f"{q.cte}, {with_accounts}" if q.cte else f"WITH {with_accounts}"
    params = {"d": d, "accounts": json.dumps(accounts)}
    columns = "i.customer, i.currency, i.ext_id, i.number, i.issue_date, i.due_date"
    few_late = not q.cte or q.join.startswith("LEFT JOIN late ")
    if few_late:
        rows = conn.execute(
            f"""{cte}
            SELECT {columns}, {q.open} AS bal
            FROM acc CROSS JOIN invoices i INDEXED BY invoices_unsettled
              ON i.customer = acc.customer AND i.currency = acc.currency
            {q.join}
            WHERE {UNSETTLED} AND i.void = 0 AND i.issue_date <= :d AND {q.open} > 0""",
            params,
        ).fetchall()
        if q.cte:
            # settled invoices (allocated = amount) open as of D: their allocations after D
            wanted = set(map(tuple, accounts))
            rows += [
                row
                for row in conn.execute(
                    f"""{q.cte}
                    SELECT {columns}, l.amt FROM late l CROSS JOIN invoices i ON i.id = l.invoice
                    WHERE ({UNSETTLED}) IS NOT TRUE AND i.void = 0 AND i.issue_date <= :d""",
                    params,
                )
                if (row[0], row[1]) in wanted
            ]
    else:
        rows = conn.execute(
            f"""{cte}
            SELECT {columns}, {q.open} AS bal
            FROM acc JOIN invoices i ON i.customer = acc.customer AND i.currency = acc.currency
            {q.join}
            WHERE i.void = 0 AND i.issue_date <= :d AND {q.open} > 0""",
            params,
        ).fetchall()
    out: dict[Account, list[OpenItem]] = defaultdict(list)
    days = _DAYS
    for cust, currency, ext, number, issue, due, balance in rows:
        out[(cust, currency)].append(OpenItem(ext, number, days[issue], days[due], balance))
    return out


@dataclass(frozen=True)
class Duplicate:
    """Payments with different ids sharing customer, currency, date, amount and reference."""

    customer_key: int
    currency: str
    date: date
    amount: int
    reference: str
    payment_ids: tuple[str, ...]


#: The rows the duplicate check looks at: payments with a reference (the predicate of the
#: partial index ``allocations_payment_refs``, written the same way so the planner uses it).
_REFERENCED = "kind = 'payment' AND reference IS NOT NULL AND reference != ''"


def duplicates(conn: sqlite3.Connection, d: str, customer: int | None) -> list[Duplicate]:
    """Payments (kind ``payment``, with a reference) that share customer, currency, date,
    amount and reference under different ids. A payment's amount is the sum of its rows.

    Only the keys in ``payment_ref_groups`` (customer, currency, date and reference shared by
    payments of different ids, kept by the sync: :func:`note_payment_refs`) can hold
    duplicates; only their rows are read and summed per payment."""
    who = "AND customer = :cust" if customer is not None else ""
    group_array = "json_group_array(payment_id)"
    if dialect_of(conn) == "postgresql":
        group_array = "json_agg(payment_id)::text"
    rows = conn.execute(
        f"""WITH g AS MATERIALIZED (
                SELECT customer, currency, date, reference FROM payment_ref_groups
                WHERE date <= :d {who}),
            p AS (
                SELECT a.customer, a.currency, a.date, a.reference, a.payment_id,
                       SUM(a.amount) AS amount
                FROM g CROSS JOIN allocations a INDEXED BY allocations_payment_refs
                  ON a.customer = g.customer AND a.currency = g.currency AND a.date = g.date
                     AND a.reference = g.reference
                WHERE {_REFERENCED_A}
                GROUP BY a.customer, a.currency, a.date, a.reference, a.source, a.payment_id)
            SELECT customer, currency, date, reference, amount, {group_array}
            FROM p GROUP BY customer, currency, date, reference, amount
            HAVING COUNT(*) > 1""",
        {"d": d, "cust": customer},
    ).fetchall()
    return [
        Duplicate(cust, currency, _day(day), amount, ref, tuple(json.loads(ids)))
        for cust, currency, day, ref, amount, ids in rows
    ]


_REFERENCED_A = "a.kind = 'payment' AND a.reference IS NOT NULL AND a.reference != ''"


def note_payment_refs(conn: sqlite3.Connection, source: str | None) -> None:
    """Add to ``payment_ref_groups`` the keys (customer, currency, date, reference) that payments
    of different ids now share (call in the sync's write transaction, after the allocations are
    written).

    With ``source``, only the keys of the allocations the incremental sync just added or changed
    (``temp.d_allocations``) are looked at, each against the rows of its key; with ``None`` (a
    source's first load), every payment with a reference, in one pass. Keys are never removed
    here: :func:`duplicates` checks them against the allocations, so a stale one costs a look-up
    and nothing else."""
    if source is None:
        conn.execute(
            f"""INSERT OR IGNORE INTO payment_ref_groups (customer, currency, date, reference)
                SELECT customer, currency, date, reference
                FROM allocations INDEXED BY allocations_payment_refs WHERE {_REFERENCED}
                GROUP BY customer, currency, date, reference
                HAVING MIN(source) != MAX(source) OR MIN(payment_id) != MAX(payment_id)"""
        )
        return
    conn.execute(
        f"""INSERT OR IGNORE INTO payment_ref_groups (customer, currency, date, reference)
            SELECT DISTINCT a.customer, a.currency, a.date, a.reference
            FROM temp.d_allocations d CROSS JOIN allocations a
              ON a.source = :src AND a.payment_id = d.payment_id
             AND a.invoice_ext = d.invoice_ext AND a.seq = d.seq
            WHERE d.op != 'remove' AND {_REFERENCED_A}
              AND EXISTS (
                SELECT 1 FROM allocations b INDEXED BY allocations_payment_refs
                WHERE b.customer = a.customer AND b.currency = a.currency AND b.date = a.date
                  AND b.reference = a.reference AND b.kind = 'payment'
                  AND b.reference IS NOT NULL AND b.reference != ''
                  AND (b.source != a.source OR b.payment_id != a.payment_id))""",
        {"src": source},
    )


@dataclass(frozen=True)
class Mismatch:
    """An invoice whose source-reported balance differs from the ledger's (minor units)."""

    customer_key: int
    currency: str
    invoice_id: str
    number: str
    source_balance: int
    ledger_balance: int


def mismatches(conn: sqlite3.Connection, d: str, customer: int | None) -> list[Mismatch]:
    """Invoices whose source-reported balance differs from ``max(amount − allocated, 0)``
    (read through the partial index ``invoices_source_balance``: only the invoices with one)."""
    who = "AND customer = :cust" if customer is not None else ""
    rows = conn.execute(
        f"""SELECT customer, currency, ext_id, number, source_balance,
                   MAX(amount - allocated, 0) AS bal
            FROM invoices INDEXED BY invoices_source_balance
            WHERE source_balance IS NOT NULL AND void = 0 AND issue_date <= :d
              AND source_balance != MAX(amount - allocated, 0) {who}""",
        {"d": d, "cust": customer},
    ).fetchall()
    return [Mismatch(*row) for row in rows]

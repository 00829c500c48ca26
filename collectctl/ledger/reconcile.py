"""Reconciliation candidates straight from the ledger (``collectctl reconcile``).

Every check is one set query over the whole ledger (or one customer), never a loop over
customers; the rules that turn candidates into findings are pure
(:mod:`collectctl.domain.reconcile`). As of date D only invoices issued on or before D and
allocations dated on or before D count, exactly as in aging (allocations dated after D are taken
back out through the same ``late`` CTE); the source-balance check compares the source's figure
with the ledger's *current* balance, because that is what the source reports.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import date
from typing import Any

from collectctl.domain.reconcile import (
    KINDS,
    Credit,
    Finding,
    OpenItem,
    balance_mismatch,
    credit_findings,
    duplicate_payment,
    overpayment,
)
from collectctl.ledger.aging import customer_names, late_allocations_sql
from collectctl.ledger.dialect import dialect_of
from collectctl.money import from_minor

Account = tuple[int, str]  # (customer key, currency)


def _day(text: str) -> date:
    return date.fromisoformat(text)


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


def overpaid(
    conn: sqlite3.Connection, d: str, customer: int | None
) -> tuple[list[Finding], dict[Account, list[Credit]]]:
    """Invoices whose allocations dated ≤ D exceed their amount: findings and excess credit."""
    cte, join, late = late_allocations_sql(conn, d)
    params: dict[str, Any] = {"d": d, "cust": customer}
    who = "AND i.customer = :cust" if customer is not None else ""
    rows = conn.execute(
        f"""{cte}
        SELECT i.id, i.ext_id, i.number, i.customer, i.currency, i.amount,
               i.allocated - {late} AS paid
        FROM invoices i {join}
        WHERE i.void = 0 AND i.issue_date <= :d AND i.allocated - {late} > i.amount {who}""",
        params,
    ).fetchall()
    allocations: dict[int, list[tuple[str, str, int]]] = defaultdict(list)
    for invoice, payment_id, day, amount in _in_chunks(
        conn,
        """SELECT invoice, payment_id, date, amount FROM allocations
           WHERE invoice IN ({keys}) AND date <= :d ORDER BY invoice, date, id""",
        [r[0] for r in rows],
        params,
    ):
        allocations[invoice].append((payment_id, day, amount))
    findings: list[Finding] = []
    credits: dict[Account, list[Credit]] = defaultdict(list)
    for key, ext, number, cust, currency, amount, paid in rows:
        allocs = allocations[key]
        findings.append(
            overpayment(cust, currency, ext, number, amount, paid, [a[0] for a in allocs])
        )
        running, culprit = 0, allocs[-1] if allocs else ("", d, 0)
        for alloc in allocs:
            running += alloc[2]
            if running > amount:
                culprit = alloc
                break
        credits[(cust, currency)].append(
            Credit(culprit[0], _day(culprit[1]), paid - amount, ext, "payment")
        )
    return findings, credits


def account_credit(
    conn: sqlite3.Connection, d: str, customer: int | None
) -> tuple[dict[Account, list[Credit]], dict[Account, tuple[int, list[str]]]]:
    """Credit on account as of D (money on account, allocations to void or not-yet-issued
    invoices) and refunds, per account."""
    params: dict[str, Any] = {"d": d, "cust": customer}
    who = "AND customer = :cust" if customer is not None else ""
    credits: dict[Account, list[Credit]] = defaultdict(list)
    refunds: dict[Account, tuple[int, list[str]]] = {}
    for cust, currency, payment_id, day, amount, kind in conn.execute(
        f"""SELECT customer, currency, payment_id, date, amount, kind FROM allocations
            WHERE invoice IS NULL AND +date <= :d {who}""",
        params,
    ):
        if kind == "refund":
            total, ids = refunds.get((cust, currency), (0, []))
            refunds[(cust, currency)] = (total + amount, [*ids, payment_id])
        else:
            credits[(cust, currency)].append(Credit(payment_id, _day(day), amount, None, kind))
    who_i = "AND i.customer = :cust" if customer is not None else ""
    for cust, currency, payment_id, day, amount, kind, ext in conn.execute(
        f"""SELECT a.customer, a.currency, a.payment_id, a.date, a.amount, a.kind, i.ext_id
            FROM invoices i CROSS JOIN allocations a ON a.invoice = i.id
            WHERE (i.void = 1 OR i.issue_date > :d) AND +a.date <= :d {who_i}""",
        params,
    ):
        credits[(cust, currency)].append(Credit(payment_id, _day(day), amount, ext, kind))
    return credits, refunds


def open_items(
    conn: sqlite3.Connection, d: str, accounts: list[Account]
) -> dict[Account, list[OpenItem]]:
    """Open invoices as of D of the given accounts (one query; accounts passed as JSON)."""
    if not accounts:
        return {}
    cte, join, late = late_allocations_sql(conn, d)
    with_accounts = "acc(customer, currency) AS (SELECT json_extract(value, '$[0]'), " + (
        "json_extract(value, '$[1]') FROM json_each(:accounts))"
    )
    if dialect_of(conn) == "postgresql":
        with_accounts = (
            "acc(customer, currency) AS (SELECT (value->>0)::bigint, value->>1 "
            "FROM json_array_elements(CAST(:accounts AS json)) AS value)"
        )
    cte = f"{cte}, {with_accounts}" if cte else f"WITH {with_accounts}"
    out: dict[Account, list[OpenItem]] = defaultdict(list)
    for cust, currency, ext, number, issue, due, balance in conn.execute(
        f"""{cte}
        SELECT i.customer, i.currency, i.ext_id, i.number, i.issue_date, i.due_date,
               i.amount - i.allocated + {late} AS bal
        FROM acc JOIN invoices i ON i.customer = acc.customer AND i.currency = acc.currency
        {join}
        WHERE i.void = 0 AND i.issue_date <= :d AND i.amount - i.allocated + {late} > 0""",
        {"d": d, "accounts": json.dumps(accounts)},
    ):
        out[(cust, currency)].append(OpenItem(ext, number, _day(issue), _day(due), balance))
    return out


def duplicates(conn: sqlite3.Connection, d: str, customer: int | None) -> list[Finding]:
    """Payments (kind ``payment``, with a reference) that share customer, currency, date,
    amount and reference under different ids. A payment's amount is the sum of its rows."""
    who = "AND customer = :cust" if customer is not None else ""
    group_array = "json_group_array(payment_id)"
    if dialect_of(conn) == "postgresql":
        group_array = "json_agg(payment_id)::text"
    rows = conn.execute(
        f"""WITH g AS MATERIALIZED (
                SELECT customer, currency, date FROM allocations INDEXED BY allocations_by_customer
                WHERE +date <= :d {who} GROUP BY customer, currency, date HAVING COUNT(*) > 1),
            p AS (
                SELECT a.customer, a.currency, a.date, a.reference, a.payment_id,
                       SUM(a.amount) AS amount
                FROM g CROSS JOIN allocations a
                  ON a.customer = g.customer AND a.currency = g.currency AND a.date = g.date
                WHERE a.kind = 'payment' AND a.reference IS NOT NULL AND a.reference != ''
                GROUP BY a.source, a.payment_id, a.customer, a.currency, a.date, a.reference)
            SELECT customer, currency, date, reference, amount, {group_array}
            FROM p GROUP BY customer, currency, date, reference, amount
            HAVING COUNT(*) > 1""",
        {"d": d, "cust": customer},
    ).fetchall()
    return [
        duplicate_payment(cust, currency, _day(day), amount, ref, json.loads(ids))
        for cust, currency, day, ref, amount, ids in rows
    ]


def mismatches(conn: sqlite3.Connection, d: str, customer: int | None) -> list[Finding]:
    """Invoices whose source-reported balance differs from ``max(amount − allocated, 0)``."""
    who = "AND customer = :cust" if customer is not None else ""
    rows = conn.execute(
        f"""SELECT customer, currency, ext_id, number, source_balance,
                   MAX(amount - allocated, 0) AS bal
            FROM invoices
            WHERE source_balance IS NOT NULL AND void = 0 AND issue_date <= :d
              AND source_balance != MAX(amount - allocated, 0) {who}""",
        {"d": d, "cust": customer},
    ).fetchall()
    return [balance_mismatch(*row) for row in rows]


def find(conn: sqlite3.Connection, as_of: date, customer: int | None = None) -> list[Finding]:
    """Every finding as of ``as_of`` (for one customer key, or all), unsorted."""
    d = as_of.isoformat()
    found, excess = overpaid(conn, d, customer)
    credits, refunds = account_credit(conn, d, customer)
    for account, items in excess.items():
        credits[account].extend(items)
    accounts = sorted(set(credits) | set(refunds))
    needs_open = [
        a for a in accounts if sum(c.amount for c in credits.get(a, [])) > refunds.get(a, (0,))[0]
    ]
    items = open_items(conn, d, needs_open)
    for account in accounts:
        refunded, refund_ids = refunds.get(account, (0, []))
        found += credit_findings(
            account[0],
            account[1],
            credits.get(account, []),
            refunded,
            refund_ids,
            items.get(account, []),
            as_of,
        )
    found += duplicates(conn, d, customer)
    found += mismatches(conn, d, customer)
    return found


def document(conn: sqlite3.Connection, as_of: date, customer: int | None = None) -> dict[str, Any]:
    """The JSON document of ``collectctl reconcile`` (shape in docs/reconcile.md)."""
    findings = find(conn, as_of, customer)
    who = customer_names(conn, [f.customer_key for f in findings])
    findings.sort(
        key=lambda f: (
            who[f.customer_key][1].casefold(),
            f.currency,
            who[f.customer_key][0],
            *f.sort_key(),
        )
    )
    rows = []
    counts = dict.fromkeys(KINDS, 0)
    for f in findings:
        ext, name = who[f.customer_key]
        counts[f.kind] += 1
        rows.append(
            {
                "kind": f.kind,
                "customer_id": ext,
                "customer": name,
                "currency": f.currency,
                "amount": from_minor(f.amount, f.currency),
                "invoice_ids": f.invoice_ids,
                "payment_ids": f.payment_ids,
                "amounts": {k: from_minor(v, f.currency) for k, v in f.amounts.items()},
                "applications": [
                    {
                        "payment_id": a.payment_id,
                        "from_invoice_id": a.from_invoice_id,
                        "invoice_id": a.invoice_id,
                        "number": a.number,
                        "amount": from_minor(a.amount, f.currency),
                    }
                    for a in f.applications
                ],
                "suggestion": f.suggestion,
            }
        )
    return {"as_of": as_of, "findings": rows, "counts": counts}

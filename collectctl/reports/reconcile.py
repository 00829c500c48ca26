"""The ``collectctl reconcile`` document: ledger candidates through the reconcile rules.

:mod:`collectctl.ledger.reconcile` finds candidates with set queries; the pure rules of
:mod:`collectctl.domain.reconcile` turn them into findings; this module names and formats them
(shape in docs/reconcile.md).
"""

from __future__ import annotations

import sqlite3
from datetime import date
from typing import Any

from collectctl.domain.reconcile import (
    KINDS,
    Finding,
    balance_mismatch,
    credit_findings,
    duplicate_payment,
    overpayment,
    overpayment_credit,
)
from collectctl.ledger import reconcile as candidates
from collectctl.ledger.aging import customer_names
from collectctl.money import from_minor
from collectctl.output import Column, Report


def find(conn: sqlite3.Connection, as_of: date, customer: int | None = None) -> list[Finding]:
    """Every finding as of ``as_of`` (for one customer key, or all), unsorted."""
    d = as_of.isoformat()
    found: list[Finding] = []
    credits, refunds = candidates.account_credit(conn, d, customer)
    for o in candidates.overpaid(conn, d, customer):
        ids = [a[0] for a in o.allocations]
        found.append(
            overpayment(o.customer_key, o.currency, o.invoice_id, o.number, o.amount, o.paid, ids)
        )
        credits[(o.customer_key, o.currency)].append(
            overpayment_credit(o.invoice_id, o.amount, o.paid, o.allocations, as_of)
        )
    accounts = sorted(set(credits) | set(refunds))
    needs_open = [
        a for a in accounts if sum(c.amount for c in credits.get(a, [])) > refunds.get(a, (0,))[0]
    ]
    items = candidates.open_items(conn, d, needs_open)
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
    found += [
        duplicate_payment(x.customer_key, x.currency, x.date, x.amount, x.reference, x.payment_ids)
        for x in candidates.duplicates(conn, d, customer)
    ]
    found += [
        balance_mismatch(
            m.customer_key, m.currency, m.invoice_id, m.number, m.source_balance, m.ledger_balance
        )
        for m in candidates.mismatches(conn, d, customer)
    ]
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


COLUMNS = [
    Column("kind"),
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("amount", kind="money"),
    Column("invoice_ids"),
    Column("payment_ids"),
    Column("suggestion"),
]


def to_report(document: dict[str, Any]) -> Report:
    """Rows for table/csv/md: id lists joined with spaces; JSON keeps the whole document."""
    rows = [
        {
            **finding,
            "invoice_ids": " ".join(finding["invoice_ids"]),
            "payment_ids": " ".join(finding["payment_ids"]),
        }
        for finding in document["findings"]
    ]
    counts = ", ".join(f"{n} {kind}" for kind, n in document["counts"].items() if n)
    footer = [f"\n{len(rows)} finding{'s' if len(rows) != 1 else ''}: {counts}"] if rows else []
    return Report(columns=COLUMNS, rows=rows, document=document, footer=footer)

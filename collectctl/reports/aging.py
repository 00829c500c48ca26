"""The aged-receivables report: ledger aggregates + domain buckets -> the contract's rows.

``by customer``: one row per customer and currency (``customer_id, customer, currency, <buckets>,
unapplied, total``). ``by invoice``: one row per open invoice (``invoice_id, number, customer_id,
customer, currency, issue_date, due_date, days, bucket, amount, balance``). Totals are per currency
and always sum the rows shown. Money leaves here as exact decimal strings with the currency's
decimals (formatted from integer minor units), ready for every output format.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from collectctl.domain.aging import bucket_index, bucket_names, cutoffs, totals_by_currency
from collectctl.ledger.aging import customer_lines, customer_names, open_invoices
from collectctl.money import format_minor, formatter, from_minor
from collectctl.output import Column, Report


def _passes(total_minor: int, currency: str, min_balance: Decimal | None) -> bool:
    return min_balance is None or from_minor(total_minor, currency) >= min_balance


def any_of(value: str | Collection[str] | None) -> frozenset[str] | None:
    """A filter option given once, repeated ("any of these"), or not at all (None)."""
    if value is None or isinstance(value, str):
        return None if not value else frozenset([value])
    return frozenset(value) or None


def single(values: frozenset[str] | None) -> str | None:
    """The one value to push down into SQL, when the filter has exactly one."""
    return next(iter(values)) if values and len(values) == 1 else None


def by_customer(
    conn: sqlite3.Connection,
    as_of: date,
    bounds: Sequence[int],
    *,
    basis: str = "due",
    currency: str | Collection[str] | None = None,
    min_balance: Decimal | None = None,
    customers: Collection[int] | None = None,
) -> dict[str, Any]:
    """The JSON document of ``collectctl aging`` (``--by customer``); ``currency`` and
    ``customers`` (ledger keys) keep the rows matching any of the values given."""
    names = bucket_names(bounds)
    currencies = any_of(currency)
    lines = customer_lines(
        conn, as_of, cutoffs(as_of, bounds), basis=basis, currency=single(currencies)
    )
    lines = [
        ln
        for ln in lines
        if _passes(ln.total, ln.currency, min_balance)
        and (currencies is None or ln.currency in currencies)
        and (customers is None or ln.customer_key in customers)
    ]
    who = customer_names(conn, [ln.customer_key for ln in lines])
    lines.sort(
        key=lambda ln: (who[ln.customer_key][1].casefold(), ln.currency, who[ln.customer_key][0])
    )
    fmts: dict[str, Callable[[int], str]] = {}
    rows = []
    for ln in lines:
        fmt = fmts.get(ln.currency) or fmts.setdefault(ln.currency, formatter(ln.currency))
        ext, name = who[ln.customer_key]
        row: dict[str, Any] = {"customer_id": ext, "customer": name, "currency": ln.currency}
        row.update(zip(names, map(fmt, ln.buckets), strict=True))
        row["unapplied"] = fmt(ln.unapplied)
        row["total"] = fmt(ln.total)
        rows.append(row)
    totals = []
    for t in totals_by_currency(
        ((ln.currency, ln.buckets, ln.unapplied) for ln in lines), len(names)
    ):
        fmt = formatter(t.currency)
        total: dict[str, Any] = {"currency": t.currency}
        total.update(zip(names, map(fmt, t.buckets), strict=True))
        total["unapplied"] = fmt(t.unapplied)
        total["total"] = fmt(t.total)
        totals.append(total)
    return {"as_of": as_of, "basis": basis, "buckets": names, "rows": rows, "totals": totals}


def by_invoice(
    conn: sqlite3.Connection,
    as_of: date,
    bounds: Sequence[int],
    *,
    basis: str = "due",
    currency: str | Collection[str] | None = None,
    min_balance: Decimal | None = None,
    customers: Collection[int] | None = None,
) -> dict[str, Any]:
    """The JSON document of ``collectctl aging --by invoice`` (filters as :func:`by_customer`)."""
    names = bucket_names(bounds)
    currencies = any_of(currency)
    invoices = [
        inv
        for inv in open_invoices(conn, as_of, currency=single(currencies))
        if _passes(inv.balance, inv.currency, min_balance)
        and (currencies is None or inv.currency in currencies)
        and (customers is None or inv.customer_key in customers)
    ]
    invoices.sort(
        key=lambda i: (i.customer.casefold(), i.customer_id, i.due_date, i.number, i.invoice_id)
    )
    rows = []
    sums = []
    for inv in invoices:
        basis_date = inv.due_date if basis == "due" else inv.issue_date
        days = (as_of - basis_date).days
        k = bucket_index(days, bounds)
        rows.append(
            {
                "invoice_id": inv.invoice_id,
                "number": inv.number,
                "customer_id": inv.customer_id,
                "customer": inv.customer,
                "currency": inv.currency,
                "issue_date": inv.issue_date,
                "due_date": inv.due_date,
                "days": days,
                "bucket": names[k],
                "amount": format_minor(inv.amount, inv.currency),
                "balance": format_minor(inv.balance, inv.currency),
            }
        )
        buckets = [0] * len(names)
        buckets[k] = inv.balance
        sums.append((inv.currency, buckets, 0))
    totals = []
    for t in totals_by_currency(sums, len(names)):
        total: dict[str, Any] = {"currency": t.currency}
        for label, value in zip(names, t.buckets, strict=True):
            total[label] = format_minor(value, t.currency)
        total["total"] = format_minor(t.total, t.currency)
        totals.append(total)
    return {"as_of": as_of, "basis": basis, "buckets": names, "rows": rows, "totals": totals}


def to_report(document: dict[str, Any], by: str) -> Report:
    """Wrap an aging document in a :class:`Report` for any output format."""
    names = document["buckets"]
    money = [Column(n, kind="money") for n in names]
    if by == "invoice":
        columns = [
            Column("invoice_id"),
            Column("number"),
            Column("customer_id"),
            Column("customer"),
            Column("currency"),
            Column("issue_date", kind="date"),
            Column("due_date", kind="date"),
            Column("days", kind="int"),
            Column("bucket"),
            Column("amount", kind="money"),
            Column("balance", kind="money"),
        ]
        # Human formats show each currency's total under the balance column.
        human_totals = [
            {"profile": t.get("profile"), "currency": t["currency"], "balance": t["total"]}
            for t in document["totals"]
        ]
        return Report(
            columns=columns,
            rows=document["rows"],
            totals=human_totals,
            totals_columns=[Column("currency"), Column("balance", kind="money")],
            document=document,
        )
    columns = [
        Column("customer_id"),
        Column("customer"),
        Column("currency"),
        *money,
        Column("unapplied", kind="money"),
        Column("total", kind="money"),
    ]
    totals_columns = [
        Column("currency"),
        *money,
        Column("unapplied", kind="money"),
        Column("total", kind="money"),
    ]
    return Report(
        columns=columns,
        rows=document["rows"],
        totals=document["totals"],
        totals_columns=totals_columns,
        document=document,
    )

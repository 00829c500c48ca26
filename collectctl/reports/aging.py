"""The aged-receivables report: ledger aggregates + domain buckets -> the contract's rows.

``by customer``: one row per customer and currency (``customer_id, customer, currency, <buckets>,
unapplied, total``). ``by invoice``: one row per open invoice (``invoice_id, number, customer_id,
customer, currency, issue_date, due_date, days, bucket, amount, balance``). Totals are per currency
and always sum the rows shown. Money leaves here as exact decimal strings with the currency's
decimals (formatted from integer minor units), ready for every output format.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Iterator, Sequence
from datetime import date
from decimal import Decimal
from itertools import pairwise
from typing import Any

from collectctl.domain.aging import bucket_index, bucket_names, cutoffs, totals_by_currency
from collectctl.ledger.aging import InvoiceRow, customer_names, named_lines, open_invoice_rows
from collectctl.money import format_minor, formatter, from_minor
from collectctl.output import Column, Report, Rows


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


def customer_document(
    conn: sqlite3.Connection,
    as_of: date,
    bounds: Sequence[int],
    *,
    basis: str = "due",
    currency: str | Collection[str] | None = None,
    min_balance: Decimal | None = None,
    customers: Collection[int] | None = None,
) -> dict[str, Any]:
    """:func:`by_customer`'s document with the rows kept as :class:`~collectctl.output.Rows`
    (one tuple per row: what the command writes, in any format)."""
    names = bucket_names(bounds)
    n = len(names)
    currencies = any_of(currency)
    lines = named_lines(
        conn, as_of, cutoffs(as_of, bounds), basis=basis, currency=single(currencies)
    )
    if currencies is not None or customers is not None or min_balance is not None:
        lines = [
            ln
            for ln in lines
            if (currencies is None or ln[3] in currencies)
            and (customers is None or ln[0] in customers)
            and _passes(sum(ln[4 : 4 + n]) + ln[4 + n], ln[3], min_balance)
        ]
    # By case-folded name, currency, customer id; then as the ledger lists the lines (those
    # with invoices first, by customer key).
    order = sorted(
        (ln[2].casefold(), ln[3], ln[1], ln[5 + n], ln[0], k) for k, ln in enumerate(lines)
    )
    fmts = {cur: formatter(cur) for cur in {ln[3] for ln in lines}}
    cells = []
    for *_, k in order:
        ln = lines[k]
        fmt = fmts[ln[3]]
        buckets = ln[4 : 4 + n]
        cells.append(
            (
                ln[1],
                ln[2],
                ln[3],
                *map(fmt, buckets),
                fmt(ln[4 + n]),
                fmt(sum(buckets) + ln[4 + n]),
            )
        )
    keys = ["customer_id", "customer", "currency", *names, "unapplied", "total"]
    totals = []
    for t in totals_by_currency(((ln[3], ln[4 : 4 + n], ln[4 + n]) for ln in lines), n):
        fmt = formatter(t.currency)
        total: dict[str, Any] = {"currency": t.currency}
        total.update(zip(names, map(fmt, t.buckets), strict=True))
        total["unapplied"] = fmt(t.unapplied)
        total["total"] = fmt(t.total)
        totals.append(total)
    return {
        "as_of": as_of,
        "basis": basis,
        "buckets": names,
        "rows": Rows(keys, cells),
        "totals": totals,
    }


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
    return _plain_rows(
        customer_document(
            conn,
            as_of,
            bounds,
            basis=basis,
            currency=currency,
            min_balance=min_balance,
            customers=customers,
        )
    )


def invoice_document(
    conn: sqlite3.Connection,
    as_of: date,
    bounds: Sequence[int],
    *,
    basis: str = "due",
    currency: str | Collection[str] | None = None,
    min_balance: Decimal | None = None,
    customers: Collection[int] | None = None,
) -> dict[str, Any]:
    """:func:`by_invoice`'s document with the rows kept as :class:`~collectctl.output.Rows`."""
    names = bucket_names(bounds)
    currencies = any_of(currency)
    invoices = open_invoice_rows(conn, as_of, currency=single(currencies))
    if currencies is not None or customers is not None or min_balance is not None:
        invoices = [
            inv
            for inv in invoices
            if (currencies is None or inv[3] in currencies)
            and (customers is None or inv[2] in customers)
            and _passes(inv[7], inv[3], min_balance)
        ]
    at = 5 if basis == "due" else 4
    ages: dict[str, tuple[int, int]] = {}
    fmts: dict[str, Callable[[int], str]] = {}
    sums: dict[str, list[int]] = {}
    cells = []
    for ext, name, rows in _by_customer_rank(conn, invoices):
        for number_id, number, _key, cur, issue, due, amount, balance, _ in rows:
            basis_date = due if at == 5 else issue
            age = ages.get(basis_date)
            if age is None:
                days = (as_of - date.fromisoformat(basis_date)).days
                age = ages[basis_date] = (days, bucket_index(days, bounds))
            fmt = fmts.get(cur)
            if fmt is None:
                fmt = fmts[cur] = formatter(cur)
                sums[cur] = [0] * len(names)
            sums[cur][age[1]] += balance
            cells.append(
                (
                    number_id,
                    number,
                    ext,
                    name,
                    cur,
                    issue,
                    due,
                    age[0],
                    names[age[1]],
                    fmt(amount),
                    fmt(balance),
                )
            )
    keys = [
        "invoice_id",
        "number",
        "customer_id",
        "customer",
        "currency",
        "issue_date",
        "due_date",
        "days",
        "bucket",
        "amount",
        "balance",
    ]
    totals = []
    for t in totals_by_currency(((cur, sums[cur], 0) for cur in sums), len(names)):
        total: dict[str, Any] = {"currency": t.currency}
        for label, value in zip(names, t.buckets, strict=True):
            total[label] = format_minor(value, t.currency)
        total["total"] = format_minor(t.total, t.currency)
        totals.append(total)
    return {
        "as_of": as_of,
        "basis": basis,
        "buckets": names,
        "rows": Rows(keys, cells),
        "totals": totals,
    }


def _by_customer_rank(
    conn: sqlite3.Connection, invoices: list[InvoiceRow]
) -> Iterator[tuple[str, str, Sequence[InvoiceRow]]]:
    """``(customer id, name, its invoices)`` in the report's order (the contract's customer
    name, due date, number): customers by case-folded name, each one's invoices by due date,
    number, invoice id and ledger key.

    ``invoices`` come from the ledger in (customer key, due date, number, id, key) order, so each
    customer's invoices are one run of it, already in order; only the runs are put in rank
    order. Customers whose names are equal case-folded ("Acme", "ACME"; or one id in two
    sources) share a rank, and their invoices are merged in (due date, number, customer id,
    invoice id, key) order (one at a time).
    """
    if not invoices:
        return
    keys = [inv[2] for inv in invoices]
    starts = [0, *(n for n, (a, b) in enumerate(pairwise(keys), 1) if a != b)]
    ends = [*starts[1:], len(invoices)]
    who = customer_names(conn, [keys[n] for n in starts])
    named = {key: name.casefold() for key, (_ext, name) in who.items()}
    rank_of = {pair: n for n, pair in enumerate(sorted(set(named.values())))}
    runs: list[list[int]] = [[] for _ in rank_of]  # per rank, the runs (by start)
    for run, start in enumerate(starts):
        runs[rank_of[named[keys[start]]]].append(run)
    for members in runs:
        if not members:
            continue
        if len(members) == 1:
            ext, name = who[keys[starts[members[0]]]]
            yield ext, name, invoices[starts[members[0]] : ends[members[0]]]
            continue
        # Several ledger customers with this case-folded name: their invoices merged in
        # order, each with its own customer's name (which may differ in case).
        shared = [inv for run in members for inv in invoices[starts[run] : ends[run]]]
        shared.sort(key=lambda i: (i[5], i[1], who[i[2]][0], i[0], i[8]))
        for inv in shared:
            ext, name = who[inv[2]]
            yield ext, name, (inv,)


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
    """The JSON document of ``collectctl aging --by invoice`` (filters as :func:`by_customer`;
    dates as ISO text)."""
    return _plain_rows(
        invoice_document(
            conn,
            as_of,
            bounds,
            basis=basis,
            currency=currency,
            min_balance=min_balance,
            customers=customers,
        )
    )


def _plain_rows(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` with its :class:`~collectctl.output.Rows` as a list of dicts."""
    return {**document, "rows": list(document["rows"])}


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

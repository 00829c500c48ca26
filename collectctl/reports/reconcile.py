"""The ``collectctl reconcile`` document: ledger candidates through the reconcile rules.

:mod:`collectctl.ledger.reconcile` finds candidates with set queries; the pure rules of
:mod:`collectctl.domain.reconcile` turn them into findings; this module names and formats them
(shape in docs/reconcile.md).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import Any, TextIO, overload

from collectctl.domain.reconcile import (
    KINDS,
    Finding,
    balance_mismatch,
    credit_findings,
    duplicate_payment,
    overpayment,
    overpayment_credit,
)
from collectctl.gc_pause import gc_paused
from collectctl.ledger import reconcile as candidates
from collectctl.ledger.aging import customer_names
from collectctl.money import formatter, from_minor
from collectctl.output import Column, Report, Rows, json_value


def find(conn: sqlite3.Connection, as_of: date, customer: int | None = None) -> list[Finding]:
    """Every finding as of ``as_of`` (for one customer key, or all), unsorted."""
    d = as_of.isoformat()
    found: list[Finding] = []
    credits, refunds = candidates.account_credit(conn, d, customer)
    q = candidates.as_of(conn, d)
    for o in candidates.overpaid(conn, d, customer, q):
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
    items = candidates.open_items(conn, d, needs_open, q)
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
    """The JSON document of ``collectctl reconcile`` (shape in docs/reconcile.md); its
    ``findings`` are :class:`FindingRows`."""
    with gc_paused():  # tens of thousands of acyclic objects: reference counting frees them
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
    counts = dict.fromkeys(KINDS, 0)
    for f in findings:
        counts[f.kind] += 1
    return {"as_of": as_of, "findings": FindingRows(findings, who), "counts": counts}


#: The keys of one finding in the document, in order.
FINDING_KEYS = (
    "kind",
    "customer_id",
    "customer",
    "currency",
    "amount",
    "invoice_ids",
    "payment_ids",
    "amounts",
    "applications",
    "suggestion",
)

_ENCODE = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for str


def finding_dict(f: Finding, who: tuple[str, str]) -> dict[str, Any]:
    """One finding as the document holds it: money as ``Decimal``, ``who`` is the customer's
    (id, name)."""
    return {
        "kind": f.kind,
        "customer_id": who[0],
        "customer": who[1],
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


def finding_json(f: Finding, who: tuple[str, str], money: Callable[[int], str]) -> str:
    """:func:`finding_dict` as compact JSON, byte for byte what ``json.dumps`` (``ensure_ascii``
    off, money as strings) writes for it, built from the minor units: ``money`` is
    :func:`collectctl.money.formatter` of the finding's currency (its text is
    ``str(from_minor(...))``, digits, ``-`` and ``.`` only, so it needs no escaping)."""
    enc = _ENCODE
    amounts = ", ".join(f'{enc(k)}: "{money(v)}"' for k, v in f.amounts.items())
    applications = ", ".join(
        f'{{"payment_id": {enc(a.payment_id)}, "from_invoice_id": '
        f"{'null' if a.from_invoice_id is None else enc(a.from_invoice_id)}, "
        f'"invoice_id": {enc(a.invoice_id)}, "number": {enc(a.number)}, '
        f'"amount": "{money(a.amount)}"}}'
        for a in f.applications
    )
    return (
        f'{{"kind": {enc(f.kind)}, "customer_id": {enc(who[0])}, "customer": {enc(who[1])}, '
        f'"currency": {enc(f.currency)}, "amount": "{money(f.amount)}", '
        f'"invoice_ids": [{", ".join(map(enc, f.invoice_ids))}], '
        f'"payment_ids": [{", ".join(map(enc, f.payment_ids))}], '
        f'"amounts": {{{amounts}}}, "applications": [{applications}], '
        f'"suggestion": {enc(f.suggestion)}}}'
    )


class FindingRows(Rows):
    """The findings of the document: a sequence of :func:`finding_dict` mappings (built when
    read, for table/csv/md and indented JSON), and compact JSON from :meth:`json` straight from
    the minor units, with no ``Decimal`` or dict per finding."""

    __slots__ = ("findings", "who")

    def __init__(self, findings: list[Finding], who: dict[int, tuple[str, str]]) -> None:
        super().__init__(FINDING_KEYS, [])
        self.findings = findings
        self.who = who

    def __len__(self) -> int:
        return len(self.findings)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [finding_dict(f, self.who[f.customer_key]) for f in self.findings[index]]
        f = self.findings[index]
        return finding_dict(f, self.who[f.customer_key])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        who = self.who
        return (finding_dict(f, who[f.customer_key]) for f in self.findings)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def json(self) -> str:
        """The findings as a JSON array, as ``json.dumps`` writes the list of
        :func:`finding_dict` (through :func:`finding_json`)."""
        money: dict[str, Callable[[int], str]] = {}
        parts = []
        who = self.who
        for f in self.findings:
            fmt = money.get(f.currency)
            if fmt is None:
                fmt = money[f.currency] = formatter(f.currency)
            try:
                parts.append(finding_json(f, who[f.customer_key], fmt))
            except TypeError:  # a value that is not a str where one is expected
                parts.append(
                    json.dumps(
                        finding_dict(f, who[f.customer_key]),
                        default=json_value,
                        ensure_ascii=False,
                    )
                )
        return "[" + ", ".join(parts) + "]"

    def write_json(self, out: TextIO) -> None:
        """Write :meth:`json`'s text to ``out`` (what :func:`collectctl.output.write_json`
        calls for a document's rows)."""
        out.write(self.json())


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


def _table_row(finding: dict[str, Any]) -> dict[str, Any]:
    return {
        **finding,
        "invoice_ids": " ".join(finding["invoice_ids"]),
        "payment_ids": " ".join(finding["payment_ids"]),
    }


class TableRows(Sequence[dict[str, Any]]):
    """The rows of table/csv/md: the findings with their id lists joined with spaces, made
    when read (``--format json`` writes the document and never reads them)."""

    def __init__(self, findings: Sequence[dict[str, Any]]) -> None:
        self.findings = findings

    def __len__(self) -> int:
        return len(self.findings)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [_table_row(f) for f in self.findings[index]]
        return _table_row(self.findings[index])

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return map(_table_row, self.findings)


def to_report(document: dict[str, Any]) -> Report:
    """Rows for table/csv/md (:class:`TableRows`); JSON keeps the whole document."""
    rows = TableRows(document["findings"])
    counts = ", ".join(f"{n} {kind}" for kind, n in document["counts"].items() if n)
    footer = [f"\n{len(rows)} finding{'s' if len(rows) != 1 else ''}: {counts}"] if rows else []
    return Report(columns=COLUMNS, rows=rows, document=document, footer=footer)

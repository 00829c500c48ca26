"""What a letter holds, built from a typed account input (no SQL here, no clock).

:class:`LetterAccount` is the small typed input a letter needs (fed by
:mod:`collectctl.letters.accounts` from the ledger). :func:`build_letter` decides what is demanded
(disputed invoices and invoices on a plan in good standing are listed but not demanded), nets
unapplied credit into the total, adds statutory interest and compensation from the ``final``
stage on, and returns the template context (plain values only) and the code-built blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from collectctl.domain.dunning_policy import demands
from collectctl.domain.interest import Interest, RateTable, interest
from collectctl.letters.blocks import Address, Block, BlockRef, Table, one_line
from collectctl.money import format_minor

INTEREST_STAGES = frozenset({"final", "pre-legal"})
DEADLINE_DAYS: dict[str, int] = {
    "courtesy": 0,
    "reminder": 7,
    "firm": 7,
    "final": 14,
    "pre-legal": 14,
}


@dataclass(frozen=True, slots=True)
class AccountInvoice:
    """One open invoice of the account as of the letter date (money in minor units)."""

    invoice_id: str
    number: str
    issue_date: date
    due_date: date
    amount: int
    paid: int
    balance: int
    days: int
    disputed: str | None = None  # DSP-n
    plan: str | None = None  # PL-n in good standing
    allocations: tuple[tuple[date, int], ...] = ()  # every allocation (date, amount), any date


@dataclass(frozen=True, slots=True)
class LetterAccount:
    """What a letter needs to know about one account and currency."""

    source: str
    customer_id: str
    name: str
    address: str | None
    email: str | None
    kind: str
    language: str | None
    currency: str
    invoices: tuple[AccountInvoice, ...]
    unapplied: int = 0  # unapplied credit, <= 0 (minor units); netted into the total
    interest_regime: str | None = None  # per-customer override


@dataclass(frozen=True, slots=True)
class LetterSettings:
    """Profile settings that shape a letter (from ``[creditor]`` and ``[letters]``)."""

    creditor: Mapping[str, str]
    regime: str = "none"  # resolved for this customer
    contract_rate: Decimal | None = None
    rates: RateTable | None = None
    deadline_days: Mapping[str, int] = field(default_factory=lambda: dict(DEADLINE_DAYS))


@dataclass(frozen=True, slots=True)
class LetterContent:
    """The context for the template, the code-built blocks and the figures for the record."""

    context: dict[str, Any]
    refs: dict[str, list[Block]]
    demanded: tuple[AccountInvoice, ...]
    total: int
    interest: int
    compensation: int
    figures: dict[str, Any]
    warnings: tuple[str, ...]


def _money(units: int, currency: str) -> str:
    return f"{currency} {Decimal(format_minor(units, currency)):,}"


def reference(account: LetterAccount) -> str:
    """The reference the debtor should quote: account id and currency."""
    return f"{account.customer_id}/{account.currency}"


def build_letter(
    account: LetterAccount,
    stage: str,
    as_of: date,
    settings: LetterSettings,
    *,
    only: Sequence[str] = (),
    ref: str | None = None,
) -> LetterContent:
    """The letter's content for ``stage`` as at ``as_of``; ``only`` limits it to invoice ids."""
    cur = account.currency
    chosen = [i for i in account.invoices if not only or i.invoice_id in only]
    demanded = [i for i in chosen if not i.disputed and not i.plan and demands(stage, i.days)]
    aside = [i for i in chosen if i.disputed or i.plan]
    open_total = sum(i.balance for i in demanded)
    credit = min(0, account.unapplied)
    total = max(0, open_total + credit)
    workings: list[tuple[AccountInvoice, Interest]] = []
    warnings: list[str] = []
    if stage in INTEREST_STAGES and settings.regime != "none":
        for inv in demanded:
            got = interest(
                settings.regime,
                currency=cur,
                amount=inv.amount,
                due=inv.due_date,
                allocations=inv.allocations,
                as_of=as_of,
                rates=settings.rates,
                contract_rate=settings.contract_rate,
            )
            if got is not None:
                workings.append((inv, got))
                warnings.extend(w for w in got.warnings if w not in warnings)
    interest_total = sum(w.total for _, w in workings)
    compensation = sum(w.compensation or 0 for _, w in workings)
    grand = total + interest_total + compensation
    deadline = as_of + timedelta(days=settings.deadline_days.get(stage, 7))
    refs: dict[str, list[Block]] = {
        "address": [Address(_address_lines(account))],
        "invoices": [_invoice_table(demanded, cur, open_total, credit, total)] if demanded else [],
        "not_demanded": [_aside_table(aside, cur)] if aside else [],
        "interest": [_interest_table(workings, cur)] if workings else [],
    }
    law = workings[0][1].law if workings else None
    creditor = {
        k: str(settings.creditor.get(k) or "")
        for k in ("name", "address", "email", "phone", "payment_details")
    }
    context: dict[str, Any] = {
        "creditor": creditor,
        "customer": {
            "id": account.customer_id,
            "name": account.name,
            "email": account.email or "",
            "kind": account.kind,
        },
        "letter": {
            "date": as_of.isoformat(),
            "stage": stage,
            "reference": reference(account),
            "ref": ref or "",
            "deadline": deadline.isoformat(),
            "currency": cur,
        },
        "totals": {
            "open": _money(open_total, cur),
            "credit": _money(-credit, cur) if credit else "",
            "due": _money(total, cur),
            "interest": _money(interest_total, cur),
            "compensation": _money(compensation, cur),
            "grand": _money(grand, cur),
            "has_credit": bool(credit),
            "has_interest": bool(workings),
        },
        "interest": {
            "law": law or "",
            "regime": settings.regime,
            "applies": bool(workings),
            "daily": _daily(workings, cur),
            "basis": "; ".join(rate_sources([w for _, w in workings])),
        },
        "invoices": [
            {
                "number": i.number,
                "balance": _money(i.balance, cur),
                "days": i.days,
                "due_date": i.due_date.isoformat(),
            }
            for i in demanded
        ],
        "not_demanded": [{"number": i.number, "why": _why(i)} for i in aside],
        "blocks": {name: BlockRef(name) for name in refs},
    }
    figures = {
        "currency": cur,
        "open": open_total,
        "credit": credit,
        "total": total,
        "interest": interest_total,
        "compensation": compensation,
        "grand_total": grand,
        "deadline": deadline.isoformat(),
        "law": law,
        "invoices": [i.invoice_id for i in demanded],
        "not_demanded": [i.invoice_id for i in aside],
    }
    return LetterContent(
        context,
        refs,
        tuple(demanded),
        total,
        interest_total,
        compensation,
        figures,
        tuple(warnings),
    )


def _address_lines(account: LetterAccount) -> tuple[str, ...]:
    lines = [one_line(account.name)]
    lines += [ln.strip() for ln in (account.address or "").splitlines() if ln.strip()]
    return tuple(lines)


def _why(i: AccountInvoice) -> str:
    return f"under review ({i.disputed})" if i.disputed else f"on a payment plan ({i.plan})"


def _invoice_table(
    rows: Sequence[AccountInvoice], cur: str, open_total: int, credit: int, total: int
) -> Table:
    body = tuple(
        (
            one_line(i.number),
            i.issue_date.isoformat(),
            i.due_date.isoformat(),
            _money(i.amount, cur),
            _money(i.paid, cur),
            _money(i.balance, cur),
            str(max(0, i.days)),
        )
        for i in rows
    )
    totals: list[tuple[str, ...]] = []
    if credit:
        totals.append(("Open balance", "", "", "", "", _money(open_total, cur), ""))
        totals.append(("Unapplied credit", "", "", "", "", _money(credit, cur), ""))
    totals.append(("Total due", "", "", "", "", _money(total, cur), ""))
    return Table(
        ("Invoice", "Issued", "Due", "Amount", "Paid/credited", "Balance", "Days overdue"),
        ("left", "left", "left", "right", "right", "right", "right"),
        body,
        tuple(totals),
    )


def _aside_table(rows: Sequence[AccountInvoice], cur: str) -> Table:
    return Table(
        ("Invoice", "Due", "Balance", "Not demanded"),
        ("left", "left", "right", "left"),
        tuple(
            (one_line(i.number), i.due_date.isoformat(), _money(i.balance, cur), _why(i))
            for i in rows
        ),
    )


def _interest_table(workings: Sequence[tuple[AccountInvoice, Interest]], cur: str) -> Table:
    rows: list[tuple[str, ...]] = []
    for inv, w in workings:
        for seg in w.segments:
            rows.append(
                (
                    one_line(inv.number),
                    f"{seg.start} – {seg.end}",
                    str(seg.days),
                    _money(seg.balance, cur),
                    f"{seg.rate} %",
                    f"{seg.daily.quantize(Decimal('0.0001'))}",
                    "",
                )
            )
        comp = (
            f"{w.compensation_currency} {Decimal(format_minor(w.compensation, cur)):,}"
            if w.compensation is not None
            else "—"
        )
        rows.append(
            (one_line(inv.number), "interest total", str(w.days), "", "", "", _money(w.total, cur))
        )
        rows.append((one_line(inv.number), "fixed compensation", "", "", "", "", comp))
    interest_total = sum(w.total for _, w in workings)
    comp_total = sum(w.compensation or 0 for _, w in workings)
    return Table(
        ("Invoice", "Period", "Days", "On balance", "Rate", "Daily", "Amount"),
        ("left", "left", "right", "right", "right", "right", "right"),
        tuple(rows),
        (
            ("Interest", "", "", "", "", "", _money(interest_total, cur)),
            ("Compensation", "", "", "", "", "", _money(comp_total, cur)),
        ),
    )


def _daily(workings: Sequence[tuple[AccountInvoice, Interest]], cur: str) -> str:
    if not workings:
        return ""
    daily = sum((w.segments[-1].daily for _, w in workings if w.segments), Decimal(0))
    return f"{cur} {daily.quantize(Decimal('0.01'), rounding=ROUND_HALF_UP)}"


def rate_sources(workings: Sequence[Interest]) -> list[str]:
    """Distinct rate sources, for the letter's basis line."""
    out: list[str] = []
    for w in workings:
        out.extend(s for s in w.rate_sources if s not in out)
    return out

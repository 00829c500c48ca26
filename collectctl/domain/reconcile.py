"""Reconciliation rules (``collectctl reconcile``): discrepancies to fix before chasing.

Pure functions over plain values in integer minor units of ONE currency; the ledger module
(:mod:`collectctl.ledger.reconcile`) finds the candidates with set queries;
:mod:`collectctl.reports.reconcile` hands them here.

Finding kinds, in the order a report lists them for one customer and currency:

``overpayment``
    Allocations dated on or before the as-of date exceed an invoice's amount; the excess is
    unapplied credit.
``unapplied_payment_match``
    An invoice is past due and an unapplied payment of exactly its open balance sits on the
    account: almost certainly the payment for it, recorded without the invoice.
``unapplied_credit``
    Credit on account (unapplied payments and credits, overpayment excess, allocations to void
    invoices) that could pay open invoices of the same customer and currency. The suggested
    applications are oldest credit to oldest invoice (by due date), after the exact matches.
``duplicate_payment``
    Two or more payments with different ids but the same customer, currency, date, amount and
    reference.
``refund_exceeds_credit``
    Refunds larger than the credit they return: the account's unapplied goes positive.
``source_balance_mismatch``
    The source reports an open balance (QuickBooks ``Invoice.Balance``) that differs from the
    ledger's ``amount − allocations`` (floored at zero: an overpaid invoice is open 0).
"""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from operator import attrgetter
from typing import NamedTuple

from collectctl.money import formatter

#: Every finding kind, in report order.
KINDS: tuple[str, ...] = (
    "overpayment",
    "unapplied_payment_match",
    "unapplied_credit",
    "duplicate_payment",
    "refund_exceeds_credit",
    "source_balance_mismatch",
)


class Credit(NamedTuple):
    """One piece of credit on an account (minor units; a tuple: tens of thousands are made per
    report).

    :param payment_id: the payment (or credit note) the money came from.
    :param date: when it became credit (the payment's date).
    :param amount: how much of it is credit (> 0).
    :param invoice_id: the invoice it sits on when it is excess over that invoice (overpayment)
        or an allocation to a void invoice; ``None`` for money on account.
    :param kind: the allocation kind: ``payment`` or ``credit`` (``write_off`` to a void invoice).
    """

    payment_id: str
    date: date
    amount: int
    invoice_id: str | None = None
    kind: str = "payment"


class OpenItem(NamedTuple):
    """An invoice open as of the report date (minor units; a tuple, like :class:`Credit`)."""

    invoice_id: str
    number: str
    issue_date: date
    due_date: date
    balance: int


class Application(NamedTuple):
    """A suggested application: ``amount`` of ``payment_id``'s credit to ``invoice_id`` (a
    tuple, like :class:`Credit`)."""

    payment_id: str
    from_invoice_id: str | None
    invoice_id: str
    number: str
    amount: int


@dataclass
class Finding:
    """One discrepancy, in minor units of ``currency`` (the ledger adds names and formats).

    ``amount`` is the headline figure of the kind (the excess, the credit to apply, the payment,
    the difference); ``amounts`` holds every figure by name.
    """

    kind: str
    customer_key: int
    currency: str
    amount: int
    amounts: dict[str, int]
    suggestion: str
    invoice_ids: list[str] = field(default_factory=list)
    payment_ids: list[str] = field(default_factory=list)
    applications: list[Application] = field(default_factory=list)

    def sort_key(self) -> tuple[int, str, str]:
        """Kind order, then the first invoice and payment ids."""
        first_invoice = self.invoice_ids[0] if self.invoice_ids else ""
        first_payment = self.payment_ids[0] if self.payment_ids else ""
        return KINDS.index(self.kind), first_invoice, first_payment


#: :func:`collectctl.money.formatter` per currency (the same text as ``format_minor``).
_FORMATTERS: dict[str, Callable[[int], str]] = {}


def _money(units: int, currency: str) -> str:
    fmt = _FORMATTERS.get(currency)
    if fmt is None:
        fmt = _FORMATTERS[currency] = formatter(currency)
    return fmt(units)


def _m(units: int, currency: str) -> str:
    return f"{_money(units, currency)} {currency}"


def _unique(items: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- overpayments and credit on account ---------------------------------------------------------


def overpayment(
    customer_key: int,
    currency: str,
    invoice_id: str,
    number: str,
    amount: int,
    allocated: int,
    payment_ids: Sequence[str],
) -> Finding:
    """An invoice allocated ``allocated`` > ``amount``: the excess is credit on account."""
    excess = allocated - amount
    suggestion = (
        f"Invoice {number} was paid {_m(excess, currency)} more than its amount; apply the excess "
        "to another open invoice (see unapplied_credit) or refund it, or correct the allocation "
        "in the source if it was recorded against the wrong invoice."
    )
    return Finding(
        "overpayment",
        customer_key,
        currency,
        excess,
        {"invoice_amount": amount, "allocated": allocated, "excess": excess},
        suggestion,
        [invoice_id],
        _unique(payment_ids),
    )


def overpayment_credit(
    invoice_id: str,
    amount: int,
    paid: int,
    allocations: Sequence[tuple[str, date, int]],
    as_of: date,
) -> Credit:
    """The excess of an overpaid invoice as credit, attributed to the allocation that first
    took the running total over the amount (the last one when none did; dated ``as_of`` when
    the invoice has none)."""
    running = 0
    culprit = allocations[-1] if allocations else ("", as_of, 0)
    for alloc in allocations:
        running += alloc[2]
        if running > amount:
            culprit = alloc
            break
    return Credit(culprit[0], culprit[1], paid - amount, invoice_id, "payment")


@dataclass
class CreditPlan:
    """What :func:`plan_credit` decided for one account (customer and currency)."""

    credit: int  # credit left after refunds (what can be applied)
    exact: list[Application]  # unapplied payments equal to a past-due invoice's balance
    applications: list[Application]  # the rest, oldest credit to oldest invoice
    left_credit: int  # credit still unapplied after every suggestion
    left_open: int  # open balance still unpaid after every suggestion


#: Oldest credit first (date, then payment id); oldest invoice first (due, issue, number, id).
_CREDIT_ORDER = attrgetter("date", "payment_id")
_ITEM_ORDER = attrgetter("due_date", "issue_date", "number", "invoice_id")


def plan_credit(
    credits: Iterable[Credit], refunds: int, open_items: Iterable[OpenItem], as_of: date
) -> CreditPlan:
    """Suggest how an account's credit pays its open invoices.

    1. Refunds return the oldest credit first (they use up ``refunds`` of it).
    2. Exact matches: for each past-due invoice (oldest due first), the oldest untouched unapplied
       *payment* (money on account, kind ``payment``) whose amount equals its open balance.
    3. The rest: oldest credit (by date, then payment id) to oldest invoice (by due date, issue
       date, number), as far as it goes.
    """
    pool = sorted(credits, key=_CREDIT_ORDER)
    left = [c.amount for c in pool]  # how much of each piece of credit is still unapplied
    rest = refunds
    for n, amount in enumerate(left):
        if not rest:
            break
        used = min(rest, amount)
        left[n] = amount - used
        rest -= used
    items = sorted(open_items, key=_ITEM_ORDER)
    open_left = [item.balance for item in items]
    exact: list[Application] = []
    # The untouched unapplied payments by amount, oldest first: the pool entries an exact match
    # can take (a match empties its entry, so it leaves the queue; nothing else changes them).
    untouched: dict[int, deque[int]] = defaultdict(deque)
    for n, c in enumerate(pool):
        if c.invoice_id is None and c.kind == "payment" and left[n] == c.amount:
            untouched[c.amount].append(n)
    if untouched:
        for k, item in enumerate(items):
            if item.due_date >= as_of:
                break  # the past-due invoices come first (items are in due-date order)
            queue = untouched.get(item.balance)
            if queue:
                n = queue.popleft()
                c = pool[n]
                exact.append(
                    Application(c.payment_id, None, item.invoice_id, item.number, c.amount)
                )
                left[n] = 0
                open_left[k] = 0
    applications: list[Application] = []
    n, count = 0, len(pool)
    for k, item in enumerate(items):
        if n >= count:
            break  # no credit left to apply
        need = open_left[k]
        while need > 0 and n < count:
            have = left[n]
            if have <= 0:
                n += 1
                continue
            take = min(have, need)
            c = pool[n]
            applications.append(
                Application(c.payment_id, c.invoice_id, item.invoice_id, item.number, take)
            )
            left[n] = have - take
            need -= take
        open_left[k] = need
    return CreditPlan(
        credit=sum(c.amount for c in pool) - refunds,
        exact=exact,
        applications=applications,
        left_credit=sum(left),
        left_open=sum(open_left),
    )


def credit_findings(
    customer_key: int,
    currency: str,
    credits: Sequence[Credit],
    refunds: int,
    refund_ids: Sequence[str],
    open_items: Sequence[OpenItem],
    as_of: date,
) -> list[Finding]:
    """The credit findings of one account: exact matches, applicable credit, excess refunds."""
    total_credit = sum(c.amount for c in credits)
    if refunds > total_credit:
        excess = refunds - total_credit
        return [
            Finding(
                "refund_exceeds_credit",
                customer_key,
                currency,
                excess,
                {"refunded": refunds, "credit": total_credit, "excess": excess},
                f"Refunds of {_m(refunds, currency)} exceed the credit on account "
                f"({_m(total_credit, currency)}) by {_m(excess, currency)}: look for a payment "
                "missing from the books or a refund recorded twice; until then the customer "
                "owes the excess back.",
                [],
                _unique(refund_ids),
            )
        ]
    if not open_items or total_credit == refunds:
        return []
    plan = plan_credit(credits, refunds, open_items, as_of)
    found: list[Finding] = []
    for app in plan.exact:
        found.append(
            Finding(
                "unapplied_payment_match",
                customer_key,
                currency,
                app.amount,
                {"payment": app.amount, "balance": app.amount},
                f"Apply payment {app.payment_id} ({_m(app.amount, currency)}, recorded "
                f"unapplied) to past-due invoice {app.number}: it is exactly the open balance.",
                [app.invoice_id],
                [app.payment_id],
                [app],
            )
        )
    if plan.applications:
        applied = sum(a.amount for a in plan.applications)
        pairs = "; ".join(
            f"{a.payment_id} → {a.number} {_money(a.amount, currency)}"
            for a in plan.applications[:3]
        )
        more = len(plan.applications) - 3
        if more > 0:
            pairs += f"; and {more} more"
        found.append(
            Finding(
                "unapplied_credit",
                customer_key,
                currency,
                applied,
                {
                    "credit": plan.credit,
                    "open": sum(i.balance for i in open_items),
                    "applicable": applied,
                    "credit_left": plan.left_credit,
                },
                f"Apply {_m(applied, currency)} of credit on account to open invoices, oldest "
                f"first ({pairs}).",
                _unique(a.invoice_id for a in plan.applications),
                _unique(a.payment_id for a in plan.applications),
                plan.applications,
            )
        )
    return found


# --- payments and the source's own balances -----------------------------------------------------


def duplicate_payment(
    customer_key: int,
    currency: str,
    day: date,
    amount: int,
    reference: str,
    payment_ids: Sequence[str],
) -> Finding:
    """Payments with different ids and the same customer, currency, date, amount, reference."""
    ids = sorted(payment_ids)
    n = len(ids)
    return Finding(
        "duplicate_payment",
        customer_key,
        currency,
        amount,
        {"payment": amount, "total": amount * n},
        f"{n} payments of {_m(amount, currency)} on {day.isoformat()} with reference "
        f"{reference!r} ({', '.join(ids)}) look like one payment entered {n} times; delete the "
        "extra ones in the source, or give them distinct references if they are real.",
        [],
        ids,
    )


def balance_mismatch(
    customer_key: int,
    currency: str,
    invoice_id: str,
    number: str,
    source_balance: int,
    ledger_balance: int,
) -> Finding:
    """The source's reported open balance differs from the ledger's own figure."""
    difference = source_balance - ledger_balance
    return Finding(
        "source_balance_mismatch",
        customer_key,
        currency,
        difference,
        {"source_balance": source_balance, "ledger_balance": ledger_balance},
        f"The source reports {_m(source_balance, currency)} open on invoice {number} but its "
        f"payments leave {_m(ledger_balance, currency)}: a payment or credit is missing from "
        "one side; run a full sync, then fix the allocation in the source.",
        [invoice_id],
        [],
    )

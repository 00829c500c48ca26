"""Typed rows of one account as the ledger holds them: value types only, no rules.

The ledger (:mod:`collectctl.ledger.accounts`) returns these; the rules in
:mod:`collectctl.domain.accounts` read them. Dates are :class:`datetime.date`, money is integer
minor units of the row's currency, ids are the source's own (``Invoice.id`` is the source's
invoice id) and collection records carry their ledger row number (``Promise.id`` 3 is
``PRM-3``). Timestamps (``created_at``, ``Correction.at``) stay ISO 8601 text with an offset:
they are shown as stored and only ever compared through :func:`instant_key`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from collectctl.domain.plans import Installment


def instant_key(stamp: str) -> str:
    """A sort key for an ISO timestamp with an offset: the same instant as UTC text.

    Older ledgers stored local time with its offset, newer ones UTC; both order correctly.
    """
    try:
        moment = datetime.fromisoformat(stamp)
    except ValueError:
        return stamp
    if moment.tzinfo is None:
        return stamp
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def record_id(prefix: str, number: int) -> str:
    """``("PRM", 3)`` -> ``"PRM-3"``: the id users see for a collection record."""
    return f"{prefix}-{number}"


@dataclass(slots=True)
class Customer:
    """A customer: ``key`` is the ledger's integer key, ``id`` the source's id. ``kind``,
    ``email``, ``timezone`` and ``language`` include the local overrides of ``account set``
    (which win over the books); ``interest`` is the customer's interest regime override."""

    key: int
    source: str
    id: str
    name: str
    kind: str
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    currency: str | None = None
    timezone: str | None = None
    terms_days: int | None = None
    language: str | None = None
    interest: str | None = None

    @property
    def ref(self) -> tuple[str, str]:
        """``(source, id)``: how collection records name the customer."""
        return (self.source, self.id)


@dataclass(slots=True)
class Invoice:
    """An invoice with what was applied to it by the as-of date (``paid``, minor units)."""

    id: str
    number: str
    currency: str
    issue_date: date
    due_date: date
    amount: int
    paid: int
    void: bool = False
    description: str | None = None

    @property
    def balance(self) -> int:
        """Amount less what was applied by the as-of date (negative: overpaid)."""
        return self.amount - self.paid


@dataclass(frozen=True, slots=True)
class Allocation:
    """One line of a payment, credit, write-off or refund dated on or before the as-of date.

    ``invoice_id`` is the source's invoice id (``None``: on account); ``linked`` says whether it
    points at an invoice still in the books; ``invoice_number`` is that invoice's number.
    """

    payment_id: str
    date: date
    kind: str
    currency: str
    amount: int
    invoice_id: str | None
    invoice_number: str | None
    linked: bool
    method: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """A logged contact (``ACT-id``); ``at`` is the moment as typed, in the profile's zone."""

    id: int
    at: str
    on_date: date
    channel: str
    outcome: str
    note: str | None
    next_date: date | None
    created_at: str
    voided_on: date | None = None
    void_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Promise:
    """A promise to pay ``amount`` by ``due_on`` (``PRM-id``), optionally for some invoices."""

    id: int
    currency: str
    amount: int
    made_on: date
    due_on: date
    invoices: tuple[str, ...]
    note: str | None
    created_at: str
    voided_on: date | None = None
    void_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Dispute:
    """A dispute on one invoice (``DSP-id``), by the source's invoice id."""

    id: int
    invoice_id: str
    reason: str
    note: str | None
    opened_on: date
    resolved_on: date | None
    resolution: str | None
    created_at: str
    voided_on: date | None = None
    void_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Hold:
    """A hold on the account (``HLD-id``) from ``start_on`` through ``until_on`` (None: open)."""

    id: int
    start_on: date
    until_on: date | None
    reason: str
    released_on: date | None
    created_at: str
    voided_on: date | None = None
    void_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Escalation:
    """A handover to an agency or to legal (``ESC-id``) and where its pack was written."""

    id: int
    target: str
    escalated_on: date
    note: str | None
    pack_md: str | None
    pack_pdf: str | None
    created_at: str
    voided_on: date | None = None
    void_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    """An amendment or void of a record (the audit trail).

    ``changes`` is ``{field: [old, new]}``.
    """

    record: str
    action: str
    at: str
    on_date: date
    reason: str
    changes: Mapping[str, list[Any]]


@dataclass(slots=True)
class BalanceLine:
    """One currency of an account as of D, summed by the ledger (minor units).

    ``current`` and ``overdue`` are the positive balances of live invoices issued by D (due on
    or after D / before D); ``unapplied`` the credit (≤ 0 usually): overpayments, unapplied
    payments and credits less refunds, and allocations to void or not-yet-issued invoices;
    ``oldest_due`` the earliest due date of an invoice open on D.
    """

    currency: str
    current: int
    overdue: int
    unapplied: int
    oldest_due: date | None


PLAN_PREFIX = "PL-"


def format_plan_id(key: int) -> str:
    """The id users see for plan ``key``: ``PL-<key>``."""
    return f"{PLAN_PREFIX}{key}"


@dataclass(frozen=True)
class StoredPlan:
    """A payment plan as stored: its terms and schedule lines (money in minor units)."""

    key: int
    customer_source: str
    customer_id: str
    customer_name: str
    currency: str
    created_on: date
    created_at: str
    balance: int
    down: int
    every: str
    start: date
    installments: int
    amount_per: int | None
    rate: Decimal | None
    interest_method: str
    fee: int
    grace_days: int
    max_missed: int
    cancelled_on: date | None
    cancel_reason: str | None
    lines: tuple[Installment, ...]

    @property
    def id(self) -> str:
        """The id users see, ``PL-<key>``."""
        return format_plan_id(self.key)

    def cancelled_by(self, as_of: date) -> bool:
        """True when the plan was cancelled on or before ``as_of``."""
        return self.cancelled_on is not None and self.cancelled_on <= as_of


@dataclass(slots=True)
class AccountBooks:
    """Everything the ledger holds about one account that the account rules read.

    ``plans`` are the account's plans made by D with their receipts by D (``plan_receipts``,
    per plan key) and the source invoice ids each covers (``plan_invoices``).
    ``lines`` and ``open_invoices`` are as of D (open: live, issued by D, balance > 0, ordered by
    due date, number, id). ``last_contact`` / ``contact_next`` summarise the contacts logged by D
    (the latest ``--next`` set). Record tuples are oldest first; ``history`` says whether the
    full books were loaded (every invoice, allocation, contact and correction, void records
    included: :func:`collectctl.ledger.accounts.load_account`) or only what listings need
    (live records started by D: :func:`collectctl.ledger.accounts.load_accounts`).
    """

    customer: Customer
    lines: tuple[BalanceLine, ...]
    open_invoices: tuple[Invoice, ...]
    promises: tuple[Promise, ...]
    promise_payments: Mapping[int, tuple[tuple[date, int], ...]]
    disputes: tuple[Dispute, ...]
    holds: tuple[Hold, ...]
    escalations: tuple[Escalation, ...]
    plans: tuple[StoredPlan, ...]
    plan_receipts: Mapping[int, tuple[tuple[date, int], ...]]
    plan_invoices: Mapping[int, tuple[str, ...]]
    last_contact: date | None = None
    contact_next: date | None = None
    history: bool = False
    invoices: tuple[Invoice, ...] = ()
    allocations: tuple[Allocation, ...] = ()
    contacts: tuple[Contact, ...] = ()
    corrections: tuple[Correction, ...] = ()
    invoice_numbers: Mapping[str, str] = field(default_factory=dict)

"""One account as of a date D: its state, stage, flags and what may be chased (pure).

:func:`account_state` turns the typed books of one customer (:class:`~collectctl.domain.books.
AccountBooks`, loaded by :mod:`collectctl.ledger.accounts`) into an :class:`AccountState`. Every
rule is one function here, used by ``account list``, ``account show``, the escalation pack and
dunning alike:

* holds, disputes and escalations in force on D, and their statuses, are the rules of
  :mod:`collectctl.domain.collection`;
* a promise's outcome comes from :mod:`collectctl.domain.promises` (:func:`promise_outcomes`);
  the account's promise is *broken* when its latest promise made by D was broken or partly kept;
* a plan's state comes from :mod:`collectctl.domain.plan_tracking` (:func:`plan_states`);
* the stage is a first-match derivation from the flags (:func:`derive_stage`):

=============  =========================================================================
``escalated``  an escalation (agency or legal) is in force: out of dunning
``on-hold``    a hold is in force (placed on or before D, not released, not past ``until``)
``disputed``   at least one dispute is open (opened on or before D, not resolved by D)
``plan``       a payment plan is active
``promised``   a promise to pay is open (its deadline, with grace, has not passed)
``overdue``    something is past due
``current``    an open balance (or credit), nothing past due
=============  =========================================================================

* flags (``account list``): ``escalated``, ``hold``, ``dispute``, ``plan``, ``promise-open``,
  ``promise-broken`` (:func:`flag_names`);
* chasing (domain reference §4; :func:`skip_reasons`, :func:`invoice_skip_reason`): the
  whole account is skipped while escalated, on hold, or under an open promise; a disputed
  invoice is skipped until its dispute is resolved, and so is an invoice covered by a plan in
  good standing (``active``);
* the next action (:func:`next_action`) is the earliest of the latest contact's ``--next``, the
  day after an open promise's deadline and the day after an active hold ends.

Nothing here reads the clock, SQL or files: D and the promise grace days are parameters.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from types import MappingProxyType
from typing import TypeVar

from collectctl.domain.aging import DEFAULT_BOUNDS, bucket_index, bucket_names
from collectctl.domain.books import (
    AccountBooks,
    Customer,
    Dispute,
    Hold,
    Invoice,
    Promise,
    StoredPlan,
    record_id,
)
from collectctl.domain.collection import dispute_in_force, escalation_in_force, hold_in_force
from collectctl.domain.plan_tracking import PlanStatus, stored_plan_state
from collectctl.domain.plans import ACTIVE
from collectctl.domain.promises import PromiseOutcome, day_after, evaluate_promise

T = TypeVar("T")


#: Every stage, in the order the derivation tries them.
STAGES: tuple[str, ...] = (
    "escalated",
    "on-hold",
    "disputed",
    "plan",
    "promised",
    "overdue",
    "current",
)
#: Letter stages, mildest first. ``account list`` shows the stage of the latest letter sent for an
#: overdue account and currency in place of ``overdue``.
LETTER_STAGES: tuple[str, ...] = ("courtesy", "reminder", "firm", "final", "pre-legal")


# -- the rules, one function each ----------------------------------------------------------------


def promise_outcomes(
    promises: Iterable[Promise],
    payments: Mapping[int, Sequence[tuple[date, int]]],
    as_of: date,
    grace_days: int,
) -> dict[int, PromiseOutcome]:
    """The outcome of each non-void promise as of ``as_of`` (void ones have none)."""
    return {
        p.id: evaluate_promise(
            p.amount, p.made_on, p.due_on, payments.get(p.id, ()), as_of, grace_days
        )
        for p in promises
        if p.voided_on is None
    }


def plan_states(
    plans: Iterable[StoredPlan],
    receipts: Mapping[int, Sequence[tuple[date, int]]],
    as_of: date,
) -> dict[int, PlanStatus]:
    """Each plan's status on ``as_of`` (by plan key)."""
    return {p.key: stored_plan_state(p, receipts.get(p.key, ()), as_of) for p in plans}


@dataclass(frozen=True)
class AccountFlags:
    """What is true of one account as of a date."""

    overdue: bool = False
    escalated: bool = False
    on_hold: bool = False
    open_disputes: int = 0
    active_plans: int = 0
    promise_open: bool = False
    promise_broken: bool = False


def account_flags(
    books: AccountBooks,
    outcomes: Mapping[int, PromiseOutcome],
    active_plans: int,
    overdue: bool,
    as_of: date,
) -> AccountFlags:
    """The flags of one account from its records as of ``as_of``."""
    promises = sorted(
        (p for p in books.promises if p.voided_on is None and p.made_on <= as_of),
        key=lambda p: (p.made_on, p.id),
    )
    latest = outcomes.get(promises[-1].id) if promises else None
    return AccountFlags(
        overdue=overdue,
        escalated=any(escalation_in_force(e, as_of) for e in books.escalations),
        on_hold=any(hold_in_force(h, as_of) for h in books.holds),
        open_disputes=sum(dispute_in_force(x, as_of) for x in books.disputes),
        active_plans=active_plans,
        promise_open=any(outcomes[p.id].status == "open" for p in promises),
        promise_broken=latest is not None and latest.is_broken,
    )


def derive_stage(flags: AccountFlags) -> str:
    """The account's stage (see the module docstring for the order)."""
    if flags.escalated:
        return "escalated"
    if flags.on_hold:
        return "on-hold"
    if flags.open_disputes:
        return "disputed"
    if flags.active_plans:
        return "plan"
    if flags.promise_open:
        return "promised"
    if flags.overdue:
        return "overdue"
    return "current"


def flag_names(flags: AccountFlags) -> list[str]:
    """The flags shown by ``account list``, in a fixed order."""
    names = []
    if flags.escalated:
        names.append("escalated")
    if flags.on_hold:
        names.append("hold")
    if flags.open_disputes:
        names.append("dispute")
    if flags.active_plans:
        names.append("plan")
    if flags.promise_open:
        names.append("promise-open")
    if flags.promise_broken:
        names.append("promise-broken")
    return names


def skip_reasons(flags: AccountFlags) -> list[str]:
    """Why chasing must leave the whole account alone today (empty: chase it)."""
    reasons = []
    if flags.escalated:
        reasons.append("escalated")
    if flags.on_hold:
        reasons.append("on hold")
    if flags.promise_open:
        reasons.append("promise to pay not yet due")
    return reasons


def chaseable(invoices: Iterable[T], excluded: Collection[T]) -> list[T]:
    """The invoice keys not in ``excluded`` (disputed, or covered by a plan), order kept."""
    return [item for item in invoices if item not in excluded]


def invoice_skip_reason(
    account_reasons: Sequence[str], dispute: str | None, plan: str | None
) -> str | None:
    """Why one open invoice may not be chased on D (``None``: it may): the account's reasons
    first, then an open dispute (``disputed (DSP-n)``), then an active plan (``on plan PL-n``)."""
    if account_reasons:
        return "; ".join(account_reasons)
    if dispute is not None:
        return f"disputed ({dispute})"
    if plan is not None:
        return f"on plan {plan}"
    return None


def next_action(
    contact_next: date | None,
    promises: Iterable[Promise],
    holds: Iterable[Hold],
    outcomes: Mapping[int, PromiseOutcome],
    as_of: date,
) -> date | None:
    """The earliest of: the ``--next`` date of the latest contact that set one; the day after
    an open promise's deadline (check the money came in); the day after an active hold ends."""
    dates: list[date | None] = [contact_next] if contact_next else []
    for p in promises:
        out = outcomes.get(p.id) if p.made_on <= as_of else None
        if out is not None and out.status == "open":
            dates.append(day_after(out.deadline))
    for h in holds:
        if h.until_on is not None and hold_in_force(h, as_of):
            dates.append(day_after(h.until_on))
    found = [d for d in dates if d is not None]  # None: after 9999-12-31, never
    return min(found) if found else None


# -- the state -----------------------------------------------------------------------------------


@dataclass(slots=True)
class Balance:
    """One currency of the account as of D (minor units): ``open`` (positive balances of live
    invoices), ``overdue`` (of those past due), ``disputed`` (of those with an open dispute),
    ``unapplied`` (credit, usually ≤ 0), ``total`` = open + unapplied (what aging shows), and
    ``oldest_due`` (earliest due date of an open invoice; ``None`` when none is open)."""

    currency: str
    open: int
    overdue: int
    disputed: int
    unapplied: int
    oldest_due: date | None

    @property
    def total(self) -> int:
        """Net balance: open less unapplied credit."""
        return self.open + self.unapplied


@dataclass(slots=True)
class InvoiceState:
    """An invoice open on D: ``days`` past due (≤ 0: not yet due), its aging ``bucket``, the
    open dispute (``DSP-n``) and the active plan covering it (``PL-n``), and ``skip``: why it
    may not be chased (``None``: it may)."""

    invoice: Invoice
    days: int
    bucket: str
    dispute: str | None
    plan: str | None
    skip: str | None

    @property
    def chaseable(self) -> bool:
        """True when nothing holds this invoice out of chasing."""
        return self.skip is None


@dataclass(frozen=True, slots=True)
class PromiseState:
    """A promise and its outcome on D (``outcome`` is ``None`` for a void promise)."""

    promise: Promise
    outcome: PromiseOutcome | None

    @property
    def status(self) -> str:
        """``open``, ``kept``, ``partial``, ``broken`` or ``void``."""
        return self.outcome.status if self.outcome else "void"


@dataclass(frozen=True, slots=True)
class PlanState:
    """A plan made by D and its state then (``active``, ``broken``, ``completed``, ...)."""

    plan: StoredPlan
    status: PlanStatus
    invoices: tuple[str, ...]

    @property
    def state(self) -> str:
        """The plan's state on D."""
        return self.status.state


@dataclass(slots=True)
class AccountState:
    """One customer's account as of ``as_of`` — what every report and dunning reads.

    Fields (money in minor units of the row's currency, dates :class:`datetime.date`):

    - ``as_of``: the date D; ``customer``: the :class:`~collectctl.domain.books.Customer`;
      ``books``: the typed books it was computed from (full history only from ``load_account``).
    - ``balances``: one :class:`Balance` per currency with anything open or unapplied, ordered
      by currency; ``total`` is net of unapplied credit (as ``aging``).
    - ``invoices``: the invoices open on D (:class:`InvoiceState`: days past due, bucket for
      the given bounds, open dispute id, covering active plan id, ``skip`` reason), ordered by
      due date, number, id. Empty when loaded without invoices (``account list``).
    - ``promises``: every promise loaded, with its outcome (:class:`PromiseState`).
    - ``plans``: the plans made by D with their state (:class:`PlanState`), oldest first.
    - ``disputes_open``: ``{invoice id: "DSP-n"}`` of the disputes open on D; ``on_plan``:
      ``{invoice id: "PL-n"}`` of the invoices covered by an active plan (the first plan wins).
    - ``flags``: :class:`AccountFlags`; ``stage``: one of :data:`STAGES`; ``flag_names``: the
      flags as ``account list`` shows them.
    - ``last_contact``, ``next_action``: the last contact's date and the next action date.
    - ``holds_in_force``: the holds in force on D (what ``account release`` ends).
    - ``skip_reasons``: why the whole account may not be chased (empty: it may be);
      :attr:`chaseable` / :attr:`held_out` split ``invoices`` by whether they may be chased.
    """

    as_of: date
    customer: Customer
    books: AccountBooks
    balances: tuple[Balance, ...]
    invoices: tuple[InvoiceState, ...]
    promises: tuple[PromiseState, ...]
    plans: tuple[PlanState, ...]
    disputes_open: Mapping[str, str]
    on_plan: Mapping[str, str]
    flags: AccountFlags
    stage: str
    flag_names: tuple[str, ...]
    last_contact: date | None
    next_action: date | None
    holds_in_force: tuple[Hold, ...]
    skip_reasons: tuple[str, ...]

    @property
    def chaseable(self) -> tuple[InvoiceState, ...]:
        """The open invoices that may be chased on D."""
        return tuple(i for i in self.invoices if i.skip is None)

    @property
    def held_out(self) -> tuple[InvoiceState, ...]:
        """The open invoices that may not be chased on D (each with its ``skip`` reason)."""
        return tuple(i for i in self.invoices if i.skip is not None)

    @property
    def outcomes(self) -> dict[int, PromiseOutcome]:
        """``{promise id: outcome}`` of the non-void promises."""
        return {p.promise.id: p.outcome for p in self.promises if p.outcome is not None}


def open_disputes(disputes: Iterable[Dispute], as_of: date) -> dict[str, str]:
    """``{invoice id: "DSP-n"}`` of the disputes open on ``as_of`` (the latest wins)."""
    return {x.invoice_id: record_id("DSP", x.id) for x in disputes if dispute_in_force(x, as_of)}


def balances(books: AccountBooks, disputed: Mapping[str, str], as_of: date) -> tuple[Balance, ...]:
    """Per-currency balances from the ledger's sums plus the disputed part of open invoices."""
    held: dict[str, int] = {}
    if disputed:
        for inv in books.open_invoices:
            if inv.id in disputed:
                held[inv.currency] = held.get(inv.currency, 0) + inv.balance
    lines = books.lines if len(books.lines) < 2 else sorted(books.lines, key=lambda ln: ln.currency)
    return tuple(
        [
            Balance(
                line.currency,
                line.current + line.overdue,
                line.overdue,
                held.get(line.currency, 0) if held else 0,
                line.unapplied,
                line.oldest_due,
            )
            for line in lines
            if line.current or line.overdue or line.unapplied
        ]
    )


@functools.lru_cache(maxsize=16)
def _bucket_names(bounds: tuple[int, ...]) -> list[str]:
    return bucket_names(bounds)


def account_state(
    books: AccountBooks,
    as_of: date,
    *,
    grace_days: int = 0,
    bounds: Sequence[int] = DEFAULT_BOUNDS,
    invoice_states: bool = True,
) -> AccountState:
    """Evaluate every account rule for one customer as of ``as_of``.

    :param grace_days: ``[promises] grace_days`` (days after a promise's date it may still be kept).
    :param bounds: aging bucket bounds for the open invoices' ``bucket``.
    :param invoice_states: ``False`` leaves ``invoices`` empty (dunning reads the open invoices
        from ``books`` with ``disputes_open`` and ``on_plan``, and needs no days or buckets).
    """
    if not (books.promises or books.disputes or books.holds or books.escalations or books.plans):
        return _plain_state(books, as_of, bounds, invoice_states)
    outcomes = promise_outcomes(books.promises, books.promise_payments, as_of, grace_days)
    statuses = plan_states(books.plans, books.plan_receipts, as_of)
    plans = tuple(
        PlanState(p, statuses[p.key], books.plan_invoices.get(p.key, ())) for p in books.plans
    )
    disputed = open_disputes(books.disputes, as_of)
    sums = balances(books, disputed, as_of)
    active = [p for p in plans if p.state == ACTIVE]
    flags = account_flags(books, outcomes, len(active), any(b.overdue > 0 for b in sums), as_of)
    reasons = tuple(skip_reasons(flags))
    on_plan: dict[str, str] = {}
    for p in active:
        for ext in p.invoices:
            on_plan.setdefault(ext, p.plan.id)
    names = _bucket_names(tuple(bounds))
    invoices = []
    for inv in books.open_invoices if invoice_states else ():
        days = (as_of - inv.due_date).days
        dispute, plan = disputed.get(inv.id), on_plan.get(inv.id)
        invoices.append(
            InvoiceState(
                inv,
                days,
                names[bucket_index(days, bounds)],
                dispute,
                plan,
                invoice_skip_reason(reasons, dispute, plan),
            )
        )
    return AccountState(
        as_of=as_of,
        customer=books.customer,
        books=books,
        balances=sums,
        invoices=tuple(invoices),
        promises=tuple(PromiseState(p, outcomes.get(p.id)) for p in books.promises),
        plans=plans,
        disputes_open=disputed,
        on_plan=on_plan,
        flags=flags,
        stage=derive_stage(flags),
        flag_names=tuple(flag_names(flags)),
        last_contact=books.last_contact,
        next_action=next_action(books.contact_next, books.promises, books.holds, outcomes, as_of),
        holds_in_force=tuple(h for h in books.holds if hold_in_force(h, as_of)),
        skip_reasons=reasons,
    )


_PLAIN_FLAGS = (AccountFlags(overdue=False), AccountFlags(overdue=True))
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _plain_state(
    books: AccountBooks, as_of: date, bounds: Sequence[int], invoice_states: bool = True
) -> AccountState:
    """:func:`account_state` of an account without any collection record (most of a ledger):
    the same rules with every record-driven part empty, without the per-record work."""
    sums = balances(books, _EMPTY, as_of)
    overdue = False
    for b in sums:
        if b.overdue > 0:
            overdue = True
            break
    flags = _PLAIN_FLAGS[overdue]
    stage, names_ = _plain_stage(overdue)
    names = _bucket_names(tuple(bounds))
    invoices = []
    for inv in books.open_invoices if invoice_states else ():
        days = (as_of - inv.due_date).days
        invoices.append(
            InvoiceState(inv, days, names[bucket_index(days, bounds)], None, None, None)
        )
    return AccountState(
        as_of=as_of,
        customer=books.customer,
        books=books,
        balances=sums,
        invoices=tuple(invoices),
        promises=(),
        plans=(),
        disputes_open=_EMPTY,
        on_plan=_EMPTY,
        flags=flags,
        stage=stage,
        flag_names=names_,
        last_contact=books.last_contact,
        next_action=books.contact_next,
        holds_in_force=(),
        skip_reasons=(),
    )


#: The stage and flag names of an account without records, not overdue / overdue.
_PLAIN_STAGES = tuple((derive_stage(f), tuple(flag_names(f))) for f in _PLAIN_FLAGS)


def _plain_stage(overdue: bool) -> tuple[str, tuple[str, ...]]:
    return _PLAIN_STAGES[overdue]

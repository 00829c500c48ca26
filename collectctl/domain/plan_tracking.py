"""Tracking receipts against a payment plan (pure; amounts are ints of minor units).

Tracking rules (:func:`match_payments`, :func:`plan_state`)
-----------------------------------------------------------
* Receipts are applied in date order to the oldest installment not yet fully paid (installment 0,
  the down payment, first); within an installment fee, then interest, then principal. Money left
  after an installment is covered rolls forward to the next; money left after the last is
  ``excess``. An installment's ``paid_on`` is the date of the receipt that completed it.
* Installment status as of a date, first match wins: ``paid`` (nothing outstanding); ``late``
  (outstanding and as_of − due > grace days); ``partial`` (something paid, not late); ``due``
  (nothing paid, due on or before as_of, still within grace); ``upcoming`` (nothing paid, due
  after as_of).
* Plan state, first match wins: ``cancelled`` (flag); ``completed`` (everything paid);
  ``broken``; ``active``. A plan breaks on the first day d ≤ as_of on which either an installment
  was not fully paid by the end of its last grace day (d = due + grace + 1; so with grace 5 an
  installment due on the 1st must be paid by the 6th and the plan breaks on the 7th), or more
  than ``max_missed`` installments were past due (due before d) and not fully paid by the end of
  the day before d. Breaking is sticky: a later payment does not repair it (the agreement, not
  this module, says whether a broken plan can be reinstated). Only receipts dated ≤ as_of count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING

from collectctl.domain.plans import (
    ACTIVE,
    BROKEN,
    CANCELLED,
    COMPLETED,
    DUE,
    LATE,
    PAID,
    PARTIAL,
    UPCOMING,
    Installment,
    PlanError,
    require_int,
)

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.domain.books import StoredPlan


@dataclass(frozen=True)
class InstallmentState:
    """How much of one installment is paid, after applying receipts (minor units)."""

    number: int
    due: date
    total: int
    paid_fee: int
    paid_interest: int
    paid_principal: int
    paid: int
    outstanding: int
    paid_on: date | None  # date of the receipt that completed it; None while outstanding


@dataclass(frozen=True)
class InstallmentStatus(InstallmentState):
    """An installment's state plus its status as of a date (see the module docstring)."""

    status: str  # paid, late, partial, due, upcoming
    days_past_due: int  # as_of − due while outstanding, else 0 (never negative)


@dataclass(frozen=True)
class PlanStatus:
    """Where a plan stands on ``as_of``."""

    state: str  # active, broken, completed, cancelled
    as_of: date
    installments: tuple[InstallmentStatus, ...]
    total: int
    paid: int  # applied to installments (excess not included)
    outstanding: int
    past_due: int  # outstanding on installments due before as_of
    excess: int  # received beyond the plan's total
    broken_on: date | None  # first day the plan was broken, also when now completed/cancelled
    reason: str | None  # why it broke
    next_due: date | None  # due date of the oldest installment not fully paid


Payment = tuple[date, int]


def match_payments(
    schedule_lines: Sequence[Installment], payments: Iterable[Payment]
) -> list[InstallmentState]:
    """Apply ``payments`` (``(date, amount_minor)``) to the lines, oldest installment first.

    Receipts go in date order (same-day receipts in the order given); within an installment
    fee, then interest, then principal; an overpayment rolls forward to the next installment.
    Money beyond the whole plan is dropped here; :func:`plan_state` reports it as ``excess``.
    """
    return _match(schedule_lines, payments)[0]


def _match(
    schedule_lines: Sequence[Installment], payments: Iterable[Payment]
) -> tuple[list[InstallmentState], int]:
    lines, paid, paid_on, excess = _settle(schedule_lines, payments)
    states = [
        InstallmentState(
            number=line.number,
            due=line.due,
            total=line.total,
            paid_fee=paid[k][0],
            paid_interest=paid[k][1],
            paid_principal=paid[k][2],
            paid=sum(paid[k]),
            outstanding=line.total - sum(paid[k]),
            paid_on=paid_on[k],
        )
        for k, line in enumerate(lines)
    ]
    return states, excess


def _settle(
    schedule_lines: Sequence[Installment], payments: Iterable[Payment]
) -> tuple[list[Installment], list[list[int]], list[date | None], int]:
    """The matching itself: the lines in due order, what each got as [fee, interest,
    principal], the date each was completed (None while outstanding), and the excess."""
    lines = sorted(schedule_lines, key=lambda line: (line.due, line.number))
    owed = [[line.fee, line.interest, line.principal] for line in lines]
    paid = [[0, 0, 0] for _ in lines]
    paid_on: list[date | None] = [None] * len(lines)
    index, excess = 0, 0

    def settle(day: date | None) -> int:
        nonlocal index
        while index < len(lines) and paid[index] == owed[index]:
            paid_on[index] = day if day is not None else lines[index].due
            index += 1
        return index

    settle(None)  # lines of 0 are paid from the start
    for day, amount in sorted(payments, key=lambda payment: payment[0]):
        require_int("payment amount", amount)
        if amount <= 0:
            raise PlanError(f"payment of {amount} on {day}: amounts must be positive")
        left = amount
        while left and settle(day) < len(lines):
            for part in range(3):
                take = min(left, owed[index][part] - paid[index][part])
                paid[index][part] += take
                left -= take
        settle(day)
        excess += left
    return lines, paid, paid_on, excess


def installment_status(state: InstallmentState, as_of: date, grace_days: int) -> str:
    """``paid``, ``late``, ``partial``, ``due`` or ``upcoming`` on ``as_of`` (first match wins)."""
    return _status(state.outstanding, state.paid, state.due, as_of, grace_days)


def _status(outstanding: int, paid: int, due: date, as_of: date, grace_days: int) -> str:
    if outstanding == 0:
        return PAID
    if (as_of - due).days > grace_days:
        return LATE
    if paid > 0:
        return PARTIAL
    return DUE if due <= as_of else UPCOMING


def plan_state(
    lines: Sequence[Installment],
    payments: Iterable[Payment],
    as_of: date,
    grace_days: int = 5,
    max_missed: int = 1,
    cancelled: bool = False,
) -> PlanStatus:
    """Evaluate a plan on ``as_of`` from its lines and receipts (only those dated ≤ as_of count).

    ``grace_days``: days after a due date an installment may stay unpaid before the plan breaks.
    ``max_missed``: the plan breaks when more installments than this are past due and unpaid.
    """
    if grace_days < 0:
        raise PlanError("grace days cannot be negative")
    if max_missed < 0:
        raise PlanError("max missed installments cannot be negative")
    ordered, paid, paid_on, excess = _settle(lines, [p for p in payments if p[0] <= as_of])
    made = []
    for k, line in enumerate(ordered):
        fee, interest, principal = paid[k]
        paid_total = fee + interest + principal
        outstanding = line.total - paid_total
        made.append(
            InstallmentStatus(
                line.number,
                line.due,
                line.total,
                fee,
                interest,
                principal,
                paid_total,
                outstanding,
                paid_on[k],
                _status(outstanding, paid_total, line.due, as_of, grace_days),
                max(0, (as_of - line.due).days) if outstanding else 0,
            )
        )
    # An InstallmentStatus is an InstallmentState with its status: one object per installment.
    statuses = states = tuple(made)
    broken_on, reason = _broken(states, as_of, grace_days, max_missed)
    total = sum(s.total for s in states)
    outstanding = sum(s.outstanding for s in states)
    if cancelled:
        state = CANCELLED
    elif outstanding == 0:
        state = COMPLETED
    elif broken_on is not None:
        state = BROKEN
    else:
        state = ACTIVE
    return PlanStatus(
        state=state,
        as_of=as_of,
        installments=statuses,
        total=total,
        paid=total - outstanding,
        outstanding=outstanding,
        past_due=sum(s.outstanding for s in states if s.due < as_of),
        excess=excess,
        broken_on=broken_on,
        reason=reason,
        next_due=next((s.due for s in states if s.outstanding), None),
    )


def _unpaid_at_start_of(state: InstallmentState, day: date) -> bool:
    """True when the installment was not fully paid by the end of the day before ``day``."""
    return state.paid_on is None or state.paid_on >= day


def _broken(
    states: Sequence[InstallmentState], as_of: date, grace_days: int, max_missed: int
) -> tuple[date | None, str | None]:
    """The first day ≤ as_of the plan was broken, and why; (None, None) when it never was.

    ``states`` are in due-date order (as :func:`_match` returns them), so candidate days only
    grow along the list: the scan stops once no later installment can give an earlier day, and
    only the winning reason is formatted. Of candidates on the same day the first found wins
    (an installment's grace rule before its missed-count rule, earlier installments first).
    """
    grace = timedelta(days=grace_days + 1)
    one_day = timedelta(days=1)
    best_day: date | None = None
    best: tuple[str, InstallmentState | int] | None = None
    for state in states:
        first = state.due + one_day  # the earliest day this installment can break the plan
        if first > as_of or (best_day is not None and first >= best_day):
            break
        day = state.due + grace
        if (
            day <= as_of
            and (best_day is None or day < best_day)
            and _unpaid_at_start_of(state, day)
        ):
            best_day, best = day, ("grace", state)
        day = first
        if best_day is None or day < best_day:
            missed = sum(1 for s in states if s.due < day and _unpaid_at_start_of(s, day))
            if missed > max_missed:
                best_day, best = day, ("missed", missed)
    if best_day is None or best is None:
        return None, None
    kind, what = best
    if kind == "grace":
        assert isinstance(what, InstallmentState)
        return best_day, (
            f"installment {what.number} due {what.due.isoformat()} was not paid "
            f"within {grace_days} days of grace"
        )
    return best_day, (
        f"{what} installments past due and unpaid on {best_day.isoformat()} "
        f"(at most {max_missed} allowed)"
    )


def stored_plan_state(
    plan: StoredPlan, receipts: Iterable[tuple[date, int]], as_of: date
) -> PlanStatus:
    """Where a stored plan stands on ``as_of``: :func:`plan_state` with the grace days and
    missed-installment limit stored with it, ``cancelled`` once cancelled by ``as_of``."""
    return plan_state(
        plan.lines,
        receipts,
        as_of,
        grace_days=plan.grace_days,
        max_missed=plan.max_missed,
        cancelled=plan.cancelled_by(as_of),
    )

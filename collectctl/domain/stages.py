"""Account stage and collection flags, and what chasing must skip (pure, as of a date).

The stage is a first-match derivation from the account's flags (a first version: the dunning
issue refines the overdue stages into reminder/firm/final/pre-legal):

=============  =========================================================================
``escalated``  an escalation (agency or legal) is in force: out of dunning
``on-hold``    a hold is in force (placed on or before D, not released, not past ``until``)
``disputed``   at least one dispute is open (opened on or before D, not resolved by D)
``plan``       a payment plan is active
``promised``   a promise to pay is open (its deadline, with grace, has not passed)
``overdue``    something is past due
``current``    an open balance (or credit), nothing past due
=============  =========================================================================

Flags (``account list``): ``escalated``, ``hold``, ``dispute``, ``plan``, ``promise-open``,
``promise-broken`` (the latest promise was broken or only partly kept).

Chasing (domain reference §4): the whole account is skipped while escalated, on hold, or under
an open promise; a disputed invoice is skipped until its dispute is resolved, and so is an
invoice covered by a plan in good standing (the plans issue supplies those ids).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

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

T = TypeVar("T")


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


def hold_active(
    start_on: date, until_on: date | None, released_on: date | None, as_of: date
) -> bool:
    """A hold is in force from ``start_on`` through ``until_on`` (inclusive; ``None`` = no end)
    and ends the day it is released; it expires by itself, no job needed."""
    if as_of < start_on:
        return False
    if until_on is not None and as_of > until_on:
        return False
    return released_on is None or as_of < released_on


def dispute_open(opened_on: date, resolved_on: date | None, as_of: date) -> bool:
    """A dispute is open from the day it was raised until (not including) the day resolved."""
    return opened_on <= as_of and (resolved_on is None or as_of < resolved_on)


def escalation_active(escalated_on: date, as_of: date) -> bool:
    """An escalation is in force from its day on (a void escalation is never passed in)."""
    return escalated_on <= as_of

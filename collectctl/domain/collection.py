"""Collection records as of a date D (pure): holds, disputes, escalations in force, statuses.

* a hold is in force from its start through ``until`` (inclusive) and ends the day it is
  released; it expires by itself (:func:`hold_active`; status :func:`hold_status`);
* a dispute is open from the day raised until (not including) the day resolved
  (:func:`dispute_open`; status :func:`dispute_status`);
* an escalation is in force from its day on (:func:`escalation_active`).

A void record is never in force. :mod:`collectctl.domain.accounts` combines these per account.
"""

from __future__ import annotations

from datetime import date

from collectctl.domain.books import Dispute, Escalation, Hold


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


def hold_in_force(hold: Hold, as_of: date) -> bool:
    """:func:`hold_active` for a stored hold (a void hold is never in force)."""
    return hold.voided_on is None and hold_active(
        hold.start_on, hold.until_on, hold.released_on, as_of
    )


def hold_status(hold: Hold, as_of: date) -> str:
    """``void``, ``active``, ``released``, ``scheduled`` (starts after D) or ``expired``."""
    if hold.voided_on is not None:
        return "void"
    if hold_active(hold.start_on, hold.until_on, hold.released_on, as_of):
        return "active"
    if hold.released_on is not None and hold.released_on <= as_of:
        return "released"
    if hold.start_on > as_of:
        return "scheduled"
    return "expired"


def dispute_open(opened_on: date, resolved_on: date | None, as_of: date) -> bool:
    """A dispute is open from the day it was raised until (not including) the day resolved."""
    return opened_on <= as_of and (resolved_on is None or as_of < resolved_on)


def dispute_in_force(dispute: Dispute, as_of: date) -> bool:
    """:func:`dispute_open` for a stored dispute (a void dispute is never open)."""
    return dispute.voided_on is None and dispute_open(dispute.opened_on, dispute.resolved_on, as_of)


def dispute_status(dispute: Dispute, as_of: date) -> str:
    """``void``, ``resolved`` (resolved on or before D) or ``open``."""
    if dispute.voided_on is not None:
        return "void"
    if dispute.resolved_on is not None and dispute.resolved_on <= as_of:
        return "resolved"
    return "open"


def escalation_active(escalated_on: date, as_of: date) -> bool:
    """An escalation is in force from its day on (a void escalation is never passed in)."""
    return escalated_on <= as_of


def escalation_in_force(escalation: Escalation, as_of: date) -> bool:
    """:func:`escalation_active` for a stored escalation (void ones never are)."""
    return escalation.voided_on is None and escalation_active(escalation.escalated_on, as_of)

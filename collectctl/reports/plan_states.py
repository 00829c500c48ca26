"""Where each stored payment plan stands on a date (stored plans through the plan rules).

:func:`evaluate` loads plans and their receipts (:mod:`collectctl.ledger.plans`) and applies
:func:`collectctl.domain.plan_tracking.stored_plan_state`. :func:`plans_in_good_standing` and
:func:`plan_invoice_states` say which invoices are held out of dunning on a date (those covered
by an ``active`` plan); :class:`collectctl.domain.accounts.AccountState` carries the same per
account (``InvoiceState.plan``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from collectctl.domain.books import StoredPlan, format_plan_id
from collectctl.domain.plan_tracking import PlanStatus, stored_plan_state
from collectctl.domain.plans import ACTIVE
from collectctl.ledger.plans import covering_plans, load_plans, receipts


@dataclass(frozen=True)
class PlanEvaluation:
    """A stored plan and where it stands on a date."""

    plan: StoredPlan
    status: PlanStatus

    @property
    def state(self) -> str:
        return self.status.state


def evaluate(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    keys: Sequence[int] | None = None,
    customer: tuple[str, str] | None = None,
    currency: str | None = None,
    include_future: bool = False,
) -> list[PlanEvaluation]:
    """Every matching plan with its state on ``as_of`` (plans made after ``as_of`` are left
    out unless ``include_future``). Three queries in all, then the pure domain per plan."""
    plans = load_plans(
        conn,
        keys=keys,
        customer=customer,
        currency=currency,
        created_by=None if include_future else as_of,
    )
    paid = receipts(
        conn, as_of, None if keys is None and customer is None else [p.key for p in plans]
    )
    return [
        PlanEvaluation(plan, stored_plan_state(plan, paid.get(plan.key, ()), as_of))
        for plan in plans
    ]


# --- covered invoices now ----------------------------------------------------------------------


def plans_in_good_standing(conn: sqlite3.Connection, as_of: date) -> list[PlanEvaluation]:
    """Plans ``active`` on ``as_of``: made by then, not cancelled, not broken, not completed.

    Their covered invoices are held out of dunning on that date.
    """
    return [e for e in evaluate(conn, as_of) if e.state == ACTIVE]


@dataclass(frozen=True)
class PlanInvoiceState:
    """One covered invoice of a plan and the plan's state on a date (for dunning).

    ``invoice_key`` is the ledger key of the invoice (``None`` when it left the books);
    ``held`` is True when the plan is in good standing, i.e. dunning must skip the invoice.
    """

    plan_id: str
    state: str
    source: str
    invoice_id: str
    invoice_key: int | None
    held: bool


def plan_invoice_states(conn: sqlite3.Connection, as_of: date) -> list[PlanInvoiceState]:
    """Every invoice covered by a plan made on or before ``as_of``, with that plan's state.

    Dunning should skip the invoices whose ``held`` is True (plan ``active``); invoices of
    broken, completed or cancelled plans go back to the normal stages. Two plans may cover the
    same invoice (an old completed or cancelled one and a new one): skip it if any holds it.
    """
    states = {e.plan.key: e.state for e in evaluate(conn, as_of)}
    if not states:
        return []
    out = []
    for plan, source, ext, inv_key in covering_plans(conn, as_of):
        state = states[plan]
        out.append(
            PlanInvoiceState(format_plan_id(plan), state, source, ext, inv_key, state == ACTIVE)
        )
    return out

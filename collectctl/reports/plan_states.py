"""Where each stored payment plan stands on a date (stored plans through the plan rules).

:func:`evaluate` loads plans and their receipts (:mod:`collectctl.ledger.plans`) and applies
:func:`collectctl.domain.plan_tracking.stored_plan_state`. :func:`plans_in_good_standing` and
:func:`plan_invoice_states` say which invoices are held out of dunning on a date (those covered
by an ``active`` plan); :class:`collectctl.domain.accounts.AccountState` carries the same per
account (``InvoiceState.plan``). The ``plan status`` and ``plan list`` documents are built here too.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from collectctl.domain.books import StoredPlan, format_plan_id
from collectctl.domain.plan_tracking import PlanStatus, stored_plan_state
from collectctl.domain.plans import ACTIVE, CANCELLED, LATE
from collectctl.ledger.plans import covering_plans, load_plans, receipts
from collectctl.money import from_minor
from collectctl.output import Column, Report


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


# --- status and list documents --------------------------------------------------------------


def _m(units: int | None, currency: str) -> Decimal | None:
    return None if units is None else from_minor(units, currency)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def status_document(e: PlanEvaluation) -> dict[str, Any]:
    """One plan's standing on a date, every installment with its status."""
    cur, s = e.plan.currency, e.status
    return {
        "plan_id": e.plan.id,
        "customer_id": e.plan.customer_id,
        "customer": e.plan.customer_name,
        "currency": cur,
        "created_on": e.plan.created_on.isoformat(),
        "state": s.state,
        "broken_on": _iso(s.broken_on),
        "reason": s.reason,
        "cancelled_on": _iso(e.plan.cancelled_on) if s.state == CANCELLED else None,
        "total": str(_m(s.total, cur)),
        "paid": str(_m(s.paid, cur)),
        "outstanding": str(_m(s.outstanding, cur)),
        "past_due": str(_m(s.past_due, cur)),
        "excess": str(_m(s.excess, cur)),
        "next_due": _iso(s.next_due),
        "installments": [
            {
                "number": i.number,
                "due": i.due.isoformat(),
                "total": str(_m(i.total, cur)),
                "paid": str(_m(i.paid, cur)),
                "outstanding": str(_m(i.outstanding, cur)),
                "status": i.status,
                "paid_on": _iso(i.paid_on),
                "days_past_due": i.days_past_due,
            }
            for i in s.installments
        ],
    }


INSTALLMENT_COLUMNS = [
    Column("number", "#", "int"),
    Column("due", kind="date"),
    Column("total", kind="money"),
    Column("paid", kind="money"),
    Column("outstanding", kind="money"),
    Column("status"),
    Column("paid_on", kind="date"),
    Column("days_past_due", "days late", "int"),
]


def plan_status_report(doc: Mapping[str, Any], as_of: date) -> Report:
    """``plan status ID``: one row per installment; the JSON is ``{"as_of", "plans": [doc]}``."""
    footer = [
        "",
        f"State on {as_of.isoformat()}: {doc['state']}"
        + (f" since {doc['broken_on']} ({doc['reason']})" if doc["state"] == "broken" else "")
        + f". Paid {doc['paid']} of {doc['total']} {doc['currency']}, outstanding "
        f"{doc['outstanding']}, past due {doc['past_due']}"
        + (f", received beyond the plan {doc['excess']}" if Decimal(doc["excess"]) else "")
        + ".",
    ]
    missing = [i["invoice_id"] for i in doc.get("invoices", []) if i["status"] == "missing"]
    if missing:
        footer.append(f"No longer in the books (removed by the source): {', '.join(missing)}.")
    return Report(
        columns=INSTALLMENT_COLUMNS,
        rows=doc["installments"],
        document={"as_of": as_of.isoformat(), "plans": [doc]},
        title=f"Plan {doc['plan_id']}: {doc['customer']} ({doc['customer_id']}), {doc['currency']}",
        footer=footer,
    )


PLAN_ROW_COLUMNS = [
    Column("plan_id"),
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("created_on", kind="date"),
    Column("state"),
    Column("installments", kind="int"),
    Column("late", kind="int"),
    Column("total", kind="money"),
    Column("paid", kind="money"),
    Column("outstanding", kind="money"),
    Column("past_due", kind="money"),
    Column("next_due", kind="date"),
    Column("broken_on", kind="date"),
    Column("reason"),
    Column("cancelled_on", kind="date"),
]


def plan_row(e: PlanEvaluation) -> dict[str, Any]:
    """One plan as a row of ``plan list`` / ``plan status``."""
    cur, s = e.plan.currency, e.status
    return {
        "plan_id": e.plan.id,
        "customer_id": e.plan.customer_id,
        "customer": e.plan.customer_name,
        "currency": cur,
        "created_on": e.plan.created_on,
        "state": s.state,
        "installments": e.plan.installments,
        "late": sum(1 for i in s.installments if i.status == LATE),
        "total": _m(s.total, cur),
        "paid": _m(s.paid, cur),
        "outstanding": _m(s.outstanding, cur),
        "past_due": _m(s.past_due, cur),
        "next_due": s.next_due,
        "broken_on": s.broken_on,
        "reason": s.reason,
        "cancelled_on": e.plan.cancelled_on if s.state == CANCELLED else None,
    }


def plans_report(rows: list[dict[str, Any]], as_of: date, document: Any = None) -> Report:
    """Plans one per row (``plan list``, ``plan status`` without an id)."""
    return Report(
        columns=PLAN_ROW_COLUMNS,
        rows=rows,
        document=document if document is not None else {"as_of": as_of, "plans": rows},
    )

"""Payment plans for people and scripts: drafting a schedule from command options, and the
reports of ``collectctl plan`` (schedule, status, list, and the agreement letter body).

Ledger reads and writes live in :mod:`collectctl.ledger.plans`; the schedule and tracking math
in :mod:`collectctl.domain.plans`. Money leaves here as Decimals with the currency's decimals
(strings in JSON). docs/plans.md describes every field.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from collectctl.domain.plans import CANCELLED, LATE, PlanError, Schedule, propose
from collectctl.errors import CollectctlError, ConfigError
from collectctl.ledger.plans import (
    CoveredInvoice,
    PlanEvaluation,
    PlanInvoice,
    StoredPlan,
    covered_invoices,
)
from collectctl.money import MoneyError, from_minor, to_minor
from collectctl.output import Column, Report

EVERY_WORDS = {"week": "weekly", "2weeks": "two-weekly", "month": "monthly"}


@dataclass(frozen=True)
class Terms:
    """What ``plan propose``/``plan create`` were asked for (amounts as typed, no currency)."""

    every: str
    start: date
    installments: int | None = None
    amount: Decimal | None = None
    down: Decimal | None = None
    rate: Decimal | None = None
    interest: str | None = None
    fee: Decimal | None = None
    invoices: tuple[str, ...] = ()
    currency: str | None = None


@dataclass(frozen=True)
class Draft:
    """A schedule for one account, ready to print or store."""

    customer: Mapping[str, Any]
    as_of: date
    invoices: list[CoveredInvoice]
    schedule: Schedule
    amount_per: int | None
    fee: int


def plan_settings(config: Mapping[str, Any]) -> tuple[int, int]:
    """``(grace_days, max_missed)`` from the profile's ``[plans]`` table (defaults 5 and 1)."""
    plans = config.get("plans") or {}
    out = []
    for key, default in (("grace_days", 5), ("max_missed", 1)):
        value = plans.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ConfigError(
                f"config.toml: plans.{key} must be a whole number >= 0, not {value!r}",
                hint="See docs/plans.md.",
            )
        out.append(value)
    return out[0], out[1]


def draft(conn: sqlite3.Connection, account: str, terms: Terms, as_of: date) -> Draft:
    """Resolve the account and its covered invoices and build the schedule.

    Raises :class:`~collectctl.errors.CollectctlError` (exit 1) for anything the books or the
    terms make impossible: unknown account or invoice, a start before ``as_of``, mixed or
    mismatched currencies, an amount with too many decimals, a down payment not below the
    balance, installments of zero, interest on a consumer account.
    """
    from collectctl.ledger.books import find_customer

    customer = find_customer(conn, account)
    if terms.start < as_of:
        raise CollectctlError(
            f"--start {terms.start.isoformat()} is before {as_of.isoformat()}",
            hint="A plan starts on or after the day it is made (--as-of, default today).",
        )
    currency, invoices = covered_invoices(
        conn,
        customer["key"],
        customer["id"],
        as_of,
        invoices=terms.invoices,
        currency=terms.currency,
    )
    if terms.rate and customer.get("kind") == "consumer":
        raise CollectctlError(
            f"{customer['id']!r} is a consumer account: collectctl does not put interest on "
            "consumer plans",
            hint="Consumer instalment credit with interest can be regulated (US TILA, UK CCA); "
            "propose the plan without --rate.",
        )

    def minor(value: Decimal | None, option: str) -> int:
        if value is None:
            return 0
        try:
            return to_minor(value, currency)
        except MoneyError as exc:
            raise CollectctlError(f"{option} {value}: {exc}") from None

    amount_per = minor(terms.amount, "--amount") if terms.amount is not None else None
    fee = minor(terms.fee, "--fee")
    try:
        schedule = propose(
            sum(c.balance for c in invoices),
            currency,
            installments=terms.installments,
            amount_per=amount_per,
            every=terms.every,
            start=terms.start,
            down_minor=minor(terms.down, "--down"),
            rate=terms.rate,
            interest=terms.interest or "amortized",
            fee_minor=fee,
        )
    except PlanError as exc:
        raise CollectctlError(str(exc)) from None
    return Draft(customer, as_of, invoices, schedule, amount_per, fee)


def store(conn: sqlite3.Connection, d: Draft, grace_days: int, max_missed: int) -> str:
    """Store draft ``d`` as a plan (inside a write transaction); returns its id (``PL-7``)."""
    from collectctl.ledger.connection import now_iso
    from collectctl.ledger.plans import format_plan_id, insert_plan

    key = insert_plan(
        conn,
        customer_source=d.customer["source"],
        customer_id=d.customer["id"],
        customer_name=d.customer["name"],
        created_on=d.as_of,
        created_at=now_iso(),
        schedule=d.schedule,
        amount_per=d.amount_per,
        fee=d.fee,
        grace_days=grace_days,
        max_missed=max_missed,
        invoices=d.invoices,
    )
    return format_plan_id(key)


# --- documents ---------------------------------------------------------------------------------


def _m(units: int | None, currency: str) -> Decimal | None:
    return None if units is None else from_minor(units, currency)


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _terms_doc(schedule: Schedule, amount_per: int | None, fee: int) -> dict[str, Any]:
    doc = schedule.to_dict()
    doc["amount_per"] = None if amount_per is None else str(_m(amount_per, schedule.currency))
    doc["fee"] = str(_m(fee, schedule.currency))
    return doc


def draft_document(d: Draft, grace_days: int, max_missed: int) -> dict[str, Any]:
    """The JSON document of ``plan propose`` (``plan_id`` null) and ``plan create``."""
    cur = d.schedule.currency
    return {
        "plan_id": None,
        "customer_id": d.customer["id"],
        "customer": d.customer["name"],
        "as_of": d.as_of.isoformat(),
        "invoices": [
            {
                "invoice_id": c.invoice_id,
                "number": c.number,
                "due_date": c.due_date.isoformat(),
                "balance": str(_m(c.balance, cur)),
            }
            for c in d.invoices
        ],
        **_terms_doc(d.schedule, d.amount_per, d.fee),
        "grace_days": grace_days,
        "max_missed": max_missed,
    }


def draft_report(d: Draft, grace_days: int, max_missed: int, plan_id: str | None) -> Report:
    """What ``plan propose`` (``plan_id`` None) and ``plan create`` print."""
    doc = draft_document(d, grace_days, max_missed)
    doc["plan_id"] = plan_id
    who = f"{doc['customer']} ({doc['customer_id']})"
    title = f"{'Plan ' + plan_id if plan_id else 'Proposed plan'} for {who}, {doc['currency']}"
    return schedule_report(doc, d.schedule, title)


def invoice_docs(invoices: Sequence[PlanInvoice], currency: str) -> list[dict[str, Any]]:
    """Covered invoices as they stand in the books now (``plan status ID``)."""
    return [
        {
            "invoice_id": i.invoice_id,
            "number": i.number,
            "status": i.status,
            "balance_now": None if i.balance_now is None else str(_m(i.balance_now, currency)),
        }
        for i in invoices
    ]


def plan_document(plan: StoredPlan, invoices: Sequence[PlanInvoice]) -> dict[str, Any]:
    """The JSON document of ``plan show``: the stored terms, schedule and covered invoices."""
    cur = plan.currency
    schedule = stored_schedule(plan)
    return {
        "plan_id": plan.id,
        "customer_id": plan.customer_id,
        "customer": plan.customer_name,
        "as_of": plan.created_on.isoformat(),
        "invoices": [
            {
                "invoice_id": i.invoice_id,
                "number": i.number,
                "due_date": i.due_date.isoformat(),
                "balance": str(_m(i.covered, cur)),
                "status": i.status,
                "balance_now": None if i.balance_now is None else str(_m(i.balance_now, cur)),
            }
            for i in invoices
        ],
        **_terms_doc(schedule, plan.amount_per, plan.fee),
        "grace_days": plan.grace_days,
        "max_missed": plan.max_missed,
        "created_on": plan.created_on.isoformat(),
        "created_at": plan.created_at,
        "cancelled_on": _iso(plan.cancelled_on),
        "cancel_reason": plan.cancel_reason,
    }


def stored_schedule(plan: StoredPlan) -> Schedule:
    """A stored plan's schedule as the domain's :class:`Schedule`."""
    return Schedule(
        currency=plan.currency,
        balance=plan.balance,
        down=plan.down,
        every=plan.every,
        start=plan.start,
        rate=plan.rate,
        interest_method=plan.interest_method,
        lines=plan.lines,
    )


SCHEDULE_COLUMNS = [
    Column("number", "#", "int"),
    Column("due", kind="date"),
    Column("principal", kind="money"),
    Column("interest", kind="money"),
    Column("fee", kind="money"),
    Column("total", kind="money"),
    Column("remaining", kind="money"),
]


def terms_sentence(schedule: Schedule, grace_days: int, max_missed: int) -> str:
    """One line for people: how many installments, how often, interest, grace."""
    n = schedule.installments
    text = f"{n} {EVERY_WORDS[schedule.every]} installment{'s' if n != 1 else ''}"
    if schedule.down:
        text = f"down payment of {from_minor(schedule.down, schedule.currency)}, then " + text
    if schedule.interest_method != "none":
        text += f", {schedule.rate} % APR {schedule.interest_method} interest"
    return (
        f"{text}; grace {grace_days} days; broken when an installment is unpaid after the "
        f"grace days or more than {max_missed} are past due"
    )


def schedule_report(doc: Mapping[str, Any], schedule: Schedule, title: str) -> Report:
    """A schedule as a table: one row per installment, totals last; ``doc`` is the JSON."""
    cur = schedule.currency
    rows = [
        {
            "number": ln.number,
            "due": ln.due,
            "principal": _m(ln.principal, cur),
            "interest": _m(ln.interest, cur),
            "fee": _m(ln.fee, cur),
            "total": _m(ln.total, cur),
            "remaining": _m(ln.remaining, cur),
        }
        for ln in schedule.lines
    ]
    totals = [
        {
            "principal": _m(schedule.principal, cur),
            "interest": _m(schedule.interest, cur),
            "fee": _m(schedule.fees, cur),
            "total": _m(schedule.total, cur),
        }
    ]
    covered = ", ".join(f"{i['invoice_id']} ({i['balance']})" for i in doc["invoices"])
    footer = [
        "",
        f"Covers {covered} = {cur} {doc['balance']} (balances at the start of {doc['as_of']}).",
        "Terms: " + terms_sentence(schedule, doc["grace_days"], doc["max_missed"]) + ".",
    ]
    return Report(
        columns=SCHEDULE_COLUMNS,
        rows=rows,
        totals=totals,
        totals_columns=[c for c in SCHEDULE_COLUMNS if c.key in totals[0]],
        document=doc,
        title=title,
        footer=footer,
    )


# --- status and list ---------------------------------------------------------------------------


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


# --- the agreement letter ----------------------------------------------------------------------


def agreement_markdown(
    doc: Mapping[str, Any], creditor: Mapping[str, Any], *, draft: bool = False
) -> str:
    """The payment plan agreement (a letters document) as markdown; see
    :func:`collectctl.letters.agreement.agreement_document`."""
    from collectctl.letters.agreement import agreement_document
    from collectctl.letters.render import to_markdown

    return to_markdown(agreement_document(doc, creditor, draft=draft))

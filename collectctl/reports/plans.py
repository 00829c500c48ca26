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

from collectctl.domain.books import StoredPlan
from collectctl.domain.plans import (
    ACTIVE,
    BROKEN,
    PlanError,
    Schedule,
    propose,
)
from collectctl.errors import CollectctlError
from collectctl.ledger.plans import CoveredInvoice, PlanInvoice, covered_invoices
from collectctl.money import MoneyError, from_minor, to_minor
from collectctl.output import Column, Report
from collectctl.settings import PlanSettings

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


def plan_settings(settings: PlanSettings) -> tuple[int, int]:
    """``(grace_days, max_missed)`` from the profile's ``[plans]`` section."""
    return settings.grace_days, settings.max_missed


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


def store(
    conn: sqlite3.Connection,
    d: Draft,
    grace_days: int,
    max_missed: int,
    *,
    created_by: str | None = None,
) -> str:
    """Store draft ``d`` as a plan made by ``created_by`` (inside a write transaction); returns
    its id (``PL-7``).

    Refuses (:class:`CollectctlError`) when the customer already has a plan in this currency
    that is neither completed nor cancelled on the plan's day (one plan at a time).
    """
    from collectctl.ledger.connection import now_iso
    from collectctl.ledger.plans import format_plan_id, insert_plan
    from collectctl.reports.plan_states import evaluate

    for other in evaluate(
        conn,
        d.as_of,
        customer=(d.customer["source"], d.customer["id"]),
        currency=d.schedule.currency,
        include_future=True,
    ):
        if other.plan.cancelled_on is None and other.state in (ACTIVE, BROKEN):
            raise CollectctlError(
                f"customer {d.customer['id']!r} already has plan {other.plan.id} in "
                f"{d.schedule.currency} ({other.state}); one plan per account and currency",
                hint=f"Cancel it first: collectctl plan cancel {other.plan.id} --reason ...",
            )
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
        created_by=created_by,
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
        "created_by": plan.created_by,
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

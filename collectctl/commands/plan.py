"""``collectctl plan``: propose, create, track and cancel payment plans (docs/plans.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from collectctl.commands.account_options import future_option, on_option, refuse_future
from collectctl.commands.options import CUSTOMER, as_of_option, emit, output_option
from collectctl.commands.plan_options import PLAN_ID, STATES, build_draft, terms_options


@click.group()
def plan() -> None:
    """Payment plans: propose a schedule, store it, track receipts against it.

    A plan covers an account's open invoices in one currency (or the ones named with --invoice),
    at their balance at the start of the --as-of day; payments dated from that day on count
    toward it. Plan ids look like PL-7.
    """


@plan.command()
@terms_options
def propose(account: str, as_of: date, fmt: str, **opts: Any) -> None:
    """Print a schedule for ACCOUNT (nothing is stored).

    The installments sum exactly to the balance plus interest and fees; month steps keep the
    day of the month and clamp at month end (Jan 31, Feb 28, Mar 31).
    """
    from collectctl.app import current_app
    from collectctl.reports.plans import draft_report

    d, grace, missed = build_draft(current_app().ledger().conn, account, as_of, opts)
    emit(draft_report(d, grace, missed, None), fmt)


@plan.command()
@terms_options
@future_option
def create(account: str, as_of: date, fmt: str, **opts: Any) -> None:
    """Store a plan for ACCOUNT (same options as propose) and print it.

    One plan per account and currency at a time: cancel a broken plan before making a new one.
    The plan is made on --as-of (default today; more than a day ahead needs --future); its
    --start may lie ahead.
    """
    from collectctl.app import current_app

    ctx = click.get_current_context()
    refuse_future(ctx, as_of, next(p for p in ctx.command.params if p.name == "as_of"))
    from collectctl.reports.plans import draft_report, store

    with current_app().ledger().write() as conn:
        d, grace, missed = build_draft(conn, account, as_of, opts)
        plan_id = store(conn, d, grace, missed)
    click.echo(f"Created plan {plan_id} for {d.customer['name']} ({d.customer['id']}).", err=True)
    emit(draft_report(d, grace, missed, plan_id), fmt)


@plan.command("list")
@click.option(
    "--state",
    "states",
    type=click.Choice(STATES),
    multiple=True,
    help="Only plans in this state on --as-of (repeatable).",
)
@click.option("--broken", is_flag=True, help="Only broken plans (same as --state broken).")
@click.option("--account", type=CUSTOMER, help="Only this account's plans.")
@as_of_option
@output_option
def list_(states: tuple[str, ...], broken: bool, account: str | None, as_of: date,
          fmt: str) -> None:  # fmt: skip
    """Every plan made on or before --as-of, with its state on that day."""
    from collectctl.app import current_app
    from collectctl.ledger.books import find_customer
    from collectctl.reports.plan_states import evaluate, plan_row, plans_report

    app = current_app()
    day = as_of
    conn = app.ledger().conn
    who = None
    if account:
        c = find_customer(conn, account)
        who = (c["source"], c["id"])
    wanted = set(states) | ({"broken"} if broken else set())
    rows = [
        plan_row(e) for e in evaluate(conn, day, customer=who) if not wanted or e.state in wanted
    ]
    emit(plans_report(rows, day), fmt)


@plan.command()
@click.argument("plan_id", type=PLAN_ID, required=False)
@as_of_option
@output_option
def status(plan_id: int | None, as_of: date, fmt: str) -> None:
    """Each installment paid, partial, due, late or upcoming, and the plan's state.

    Without PLAN_ID: every plan made by --as-of and not cancelled, one row each (how many
    installments are late, what is past due, when it broke and why).
    """
    from collectctl.app import current_app
    from collectctl.ledger.plans import get_plan, plan_invoices
    from collectctl.reports.plan_states import (
        evaluate,
        plan_row,
        plan_status_report,
        plans_report,
        status_document,
    )
    from collectctl.reports.plans import invoice_docs

    app = current_app()
    day = as_of
    conn = app.ledger().conn
    if plan_id is not None:
        get_plan(conn, plan_id)  # NotFoundError for an unknown id
        (e,) = evaluate(conn, day, keys=[plan_id], include_future=True)
        doc = status_document(e)
        doc["invoices"] = invoice_docs(plan_invoices(conn, plan_id), e.plan.currency)
        emit(plan_status_report(doc, day), fmt)
        return
    rows = [plan_row(e) for e in evaluate(conn, day) if e.state != "cancelled"]
    emit(plans_report(rows, day), fmt)


@plan.command()
@click.argument("plan_id", type=PLAN_ID)
@output_option
def show(plan_id: int, fmt: str) -> None:
    """The plan's terms, schedule and covered invoices (`plan agreement` gives the letter)."""
    from collectctl.app import current_app
    from collectctl.ledger.plans import get_plan, plan_invoices
    from collectctl.reports.plans import plan_document, schedule_report, stored_schedule

    app = current_app()
    conn = app.ledger().conn
    stored = get_plan(conn, plan_id)
    doc = plan_document(stored, plan_invoices(conn, plan_id))
    title = f"Plan {stored.id} for {stored.customer_name} ({stored.customer_id}), {stored.currency}"
    emit(schedule_report(doc, stored_schedule(stored), title), fmt)


@plan.command()
@click.argument("plan_id", type=PLAN_ID)
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(("md", "txt", "html", "pdf")),
    default="md",
    show_default=True,
    help="Document format.",
)
@click.option("--output", "-o", default=None, help="Write to FILE instead of stdout.")
@click.option("--draft", is_flag=True, help="Allow an empty [creditor] name; marked DRAFT.")
def agreement(plan_id: int, fmt: str, output: str | None, draft: bool) -> None:
    """The plan agreement for the debtor to sign, as md, txt, html or pdf."""
    from collectctl.app import current_app
    from collectctl.commands.options import emit_document
    from collectctl.ledger.plans import get_plan, plan_invoices
    from collectctl.letters.agreement import agreement_bytes
    from collectctl.reports.plans import plan_document

    app = current_app()
    conn = app.ledger().conn
    doc = plan_document(get_plan(conn, plan_id), plan_invoices(conn, plan_id))
    emit_document(agreement_bytes(doc, app.config, fmt, draft=draft), fmt, output)


@plan.command()
@click.argument("plan_id", type=PLAN_ID)
@click.option("--reason", required=True, help="Why (kept with the plan).")
@on_option
@output_option
def cancel(plan_id: int, reason: str, as_of: date, fmt: str) -> None:
    """Cancel a plan: its invoices go back to the normal dunning stages."""
    from collectctl.app import current_app
    from collectctl.ledger.plans import cancel_plan

    app = current_app()
    day = as_of
    if not reason.strip():
        raise click.BadParameter("give a reason", param_hint="--reason")
    with app.ledger().write() as conn:
        stored = cancel_plan(conn, plan_id, day, reason.strip())
    if fmt == "table":
        click.echo(f"Cancelled plan {stored.id} ({stored.customer_name}) on {day.isoformat()}.")
        return
    from collectctl.ledger.plans import get_plan, plan_invoices
    from collectctl.output import Report
    from collectctl.reports.plans import plan_document

    conn = app.ledger().conn
    doc = plan_document(get_plan(conn, plan_id), plan_invoices(conn, plan_id))
    emit(Report(columns=[], rows=[], document=doc), fmt)

"""``collectctl account``: the collector's desk (contracts §4; docs/account.md).

``list`` and ``show`` read; ``log``, ``promise`` and ``dispute`` record here; ``hold``,
``release``, ``escalate``, ``amend`` and ``void`` live in :mod:`.account_records`. Every write is
one ledger transaction, made only after every check passed.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from collectctl.commands.account_consumer import cease, optout
from collectctl.commands.account_options import (
    CHANNELS,
    DATETIME,
    DISPUTE_REASONS,
    OUTCOMES,
    POSITIVE_AMOUNT,
    customer,
    future_option,
    grace_days,
    happened_on_option,
    in_reach,
    local_now,
    localize,
    not_before,
    refuse_future,
    stamp,
)
from collectctl.commands.account_records import amend, escalate, hold, release, void
from collectctl.commands.account_set import set_
from collectctl.commands.account_team import assign
from collectctl.commands.completion import complete_invoices, complete_owners, complete_records
from collectctl.commands.every_profile import (
    all_profiles_option,
    each_profile,
    merge_documents,
    with_profile_column,
)
from collectctl.commands.options import (
    AMOUNT,
    CURRENCY,
    CUSTOMER,
    DATE,
    as_of_label,
    as_of_option,
    customer_keys,
    customer_option,
    emit,
    note_empty_books,
    output_option,
)
from collectctl.commands.written import emit_written
from collectctl.domain.accounts import LETTER_STAGES, STAGES


@click.group()
def account() -> None:
    """One account: view it, log contacts, record promises, disputes and holds.

    Record ids: ACT-n (contact), PRM-n (promise), DSP-n (dispute), HLD-n (hold), ESC-n
    (escalation), ASG-n (assignment). Records are never deleted: fix them with `amend` or
    `void`.
    """


@account.command("list")
@as_of_option
@click.option("--overdue", "overdue_only", is_flag=True, help="Only rows with something past due.")
@click.option(
    "--stage",
    "stages",
    type=click.Choice((*STAGES, *LETTER_STAGES)),
    multiple=True,
    help="Only this stage (repeat for any of several).",
)
@click.option(
    "--min-balance", type=AMOUNT, default=None, metavar="AMOUNT", help="Leave out rows below."
)
@click.option(
    "--currency",
    "currencies",
    type=CURRENCY,
    multiple=True,
    help="Only this currency (repeat for any of several).",
)
@customer_option
@click.option("--mine", is_flag=True, help="Only accounts assigned to me (COLLECTCTL_USER...).")
@click.option(
    "--owner",
    "owners",
    multiple=True,
    metavar="NAME",
    shell_complete=complete_owners,
    help="Only accounts assigned to NAME (repeat for any of several).",
)
@click.option(
    "--sort",
    type=click.Choice(["balance", "days", "name", "next"]),
    default="balance",
    show_default=True,
    help="balance (largest first), days (oldest overdue first), name, next (next action).",
)
@all_profiles_option
@click.option(
    "--insight",
    is_flag=True,
    help="Add how each customer pays: typical days late, trend, promises kept, next payment "
    "(reads the whole payment history: slower on large books).",
)
@output_option
def list_accounts(
    as_of: date,
    overdue_only: bool,
    stages: tuple[str, ...],
    min_balance: Decimal | None,
    currencies: tuple[str, ...],
    customer_refs: tuple[str, ...],
    mine: bool,
    owners: tuple[str, ...],
    sort: str,
    all_profiles: bool,
    insight: bool,
    fmt: str,
) -> None:
    """Every account with an open balance: stage, flags, last contact, next action.

    One row per customer and currency, balances as in `collectctl aging` (net of unapplied
    credit). Stages: escalated, on-hold, disputed, plan, promised, overdue, current. --mine and
    --owner keep the accounts assigned (`account assign`) to you or to NAME.
    """
    from collectctl.app import App, current_app
    from collectctl.reports import accounts as account_report

    def build(app: App) -> dict[str, Any]:
        note_empty_books(app)
        return account_report.account_list(
            app.ledger().conn,
            as_of,
            grace_days=grace_days(app),
            currency=currencies,
            overdue_only=overdue_only,
            stage=stages,
            min_balance=min_balance,
            sort=sort,
            customers=customer_keys(app.ledger().conn, customer_refs),
            insight=insight,
            owners={*(o.strip() for o in owners), *([app.acting_user()] if mine else [])},
        )

    app = current_app()
    if not all_profiles:
        emit(account_report.list_report(build(app)), fmt)
        return
    if customer_refs:
        raise click.UsageError("--customer ids belong to one profile; leave out --all-profiles")
    doc = merge_documents([(name, build(app)) for name in each_profile(app)])
    emit(with_profile_column(account_report.list_report(doc)), fmt)


@account.command()
@click.argument("customer_id", type=CUSTOMER)
@as_of_option
@output_option
def show(customer_id: str, as_of: date, fmt: str) -> None:
    """One account: details, balances, open invoices, payments, records and the timeline.

    --format json gives the whole document; csv gives the activity timeline.
    """
    from collectctl.app import current_app
    from collectctl.output import Report
    from collectctl.reports import accounts as account_report

    app = current_app()
    cust = customer(app, customer_id)
    doc = account_report.account_show(
        app.ledger().conn, cust["key"], as_of, grace_days=grace_days(app)
    )
    if fmt == "json":
        emit(Report(columns=[], rows=[], document=doc), fmt)
    elif fmt == "csv":
        rows = account_report.activity_rows(doc)
        emit(Report(columns=account_report.activity_columns(doc), rows=rows), fmt)
    else:
        for n, section in enumerate(account_report.show_reports(doc)):
            if n:
                click.echo()
            emit(section, fmt)


@account.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option("--channel", type=click.Choice(CHANNELS), required=True, help="How.")
@click.option("--outcome", type=click.Choice(OUTCOMES), required=True, help="What came of it.")
@click.option("--note", required=True, help="What was said or done.")
@click.option("--next", "next_date", type=DATE, default=None, help="Next action date.")
@click.option("--at", type=DATETIME, default=None, help="When (default: now).")
@future_option
@output_option
def log(
    customer_id: str,
    channel: str,
    outcome: str,
    note: str,
    next_date: date | None,
    at: datetime | None,
    fmt: str,
) -> None:
    """Log a contact (call, email, letter, text, visit, note) with its outcome."""
    from collectctl.app import current_app
    from collectctl.ledger import collection

    app = current_app()
    if at is not None:
        ctx = click.get_current_context()
        refuse_future(ctx, at.date(), next(p for p in ctx.command.params if p.name == "at"))
    cust = customer(app, customer_id)
    moment = localize(app, at) if at else local_now(app)
    if next_date is not None:
        not_before(next_date, moment.date(), "--next", "the contact date", dated_by="--at")
        in_reach(next_date, moment.date(), "--next")
    if channel == "phone":
        _warn_on_call_attempts(app, cust, moment.date())
    with app.ledger().write() as conn:
        ref = collection.add_contact(
            conn,
            (cust["source"], cust["id"]),
            at=moment.isoformat(timespec="minutes"),
            on_date=moment.date(),
            channel=channel,
            outcome=outcome,
            note=note,
            next_date=next_date,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    text = f"{ref}: {channel}, {outcome} logged for {cust['name']} ({cust['id']})."
    emit_written(app.ledger().conn, ref, text, fmt)


def _warn_on_call_attempts(app: Any, cust: Any, day: date) -> None:
    """Warn (stderr) when this call to a consumer account (its kind as ``account set`` left
    it) is the 8th attempt in 7 days (Regulation F 1006.14(b)), unless ``[dunning]
    consumer_guards`` is off."""
    from datetime import timedelta

    from collectctl.domain.consumer import WEEK, call_attempt_warning
    from collectctl.dunning_settings import read_settings
    from collectctl.ledger.consumer_records import phone_attempt_dates
    from collectctl.ledger.letters import override_for

    customer = (cust["source"], cust["id"])
    conn = app.ledger().conn
    kind = override_for(conn, customer).kind or cust["kind"]
    if kind != "consumer" or not read_settings(app.config, app.config_file).consumer_guards:
        return
    earlier = phone_attempt_dates(conn, customer, day - timedelta(days=WEEK - 1), day)
    warning = call_attempt_warning(earlier, day)
    if warning:
        click.echo(f"Warning: {warning}.", err=True)


@account.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option("--amount", type=POSITIVE_AMOUNT, required=True, help="Amount promised.")
@click.option("--by", "by", type=DATE, required=True, help="Pay by this date (inclusive).")
@click.option("--currency", type=CURRENCY, default=None, help="Default: the customer's.")
@click.option(
    "--invoice",
    "invoices",
    multiple=True,
    shell_complete=complete_invoices,
    help="Invoice(s) it is for (repeat).",
)
@click.option("--note", default=None, help="Free text.")
@happened_on_option
@output_option
def promise(
    customer_id: str,
    amount: Decimal,
    by: date,
    currency: str | None,
    invoices: tuple[str, ...],
    note: str | None,
    as_of: date,
    fmt: str,
) -> None:
    """Record a promise to pay AMOUNT by a date.

    Kept when payments made from the promise day to the date (plus [promises] grace_days)
    cover the amount; broken or partly kept once that has passed.
    """
    from collectctl.app import current_app
    from collectctl.domain.promises import promise_currency
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.ledger.books import find_invoice
    from collectctl.money import MoneyError, format_minor, to_minor

    app = current_app()
    cust = customer(app, customer_id)
    made_on = as_of
    not_before(by, made_on, "--by", as_of_label())
    in_reach(by, made_on, "--by")
    conn = app.ledger().conn
    found = [find_invoice(conn, cust, ref) for ref in invoices]
    try:
        code = promise_currency(
            currency, cust["currency"], [(inv["number"], inv["currency"]) for inv in found]
        )
    except ValueError as exc:
        raise CollectctlError(
            str(exc), hint="One promise is in one currency: record one per currency."
        ) from None
    try:
        units = to_minor(amount, code)
    except MoneyError as exc:
        raise CollectctlError(f"--amount: {exc}") from None
    with app.ledger().write() as conn:
        ref = collection.add_promise(
            conn,
            (cust["source"], cust["id"]),
            currency=code,
            amount=units,
            made_on=made_on,
            due_on=by,
            invoices=[inv["id"] for inv in found],
            note=note,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    text = f"{ref}: {cust['name']} promised {format_minor(units, code)} {code} by {by}."
    emit_written(app.ledger().conn, ref, text, fmt)


@account.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option(
    "--invoice",
    default=None,
    shell_complete=complete_invoices,
    help="The invoice disputed (id or number).",
)
@click.option("--reason", type=click.Choice(DISPUTE_REASONS), default=None, help="Why.")
@click.option(
    "--resolve",
    "resolve",
    default=None,
    metavar="DSP-ID",
    shell_complete=complete_records,
    help="Resolve a dispute.",
)
@click.option("--note", default=None, help="Free text (details, or how it was resolved).")
@happened_on_option
@output_option
def dispute(
    customer_id: str,
    invoice: str | None,
    reason: str | None,
    resolve: str | None,
    note: str | None,
    as_of: date,
    fmt: str,
) -> None:
    """Open a dispute on an invoice (--invoice, --reason), or --resolve one.

    A disputed invoice stays in aging, flagged, and is not chased until resolved.
    """
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.ledger.books import find_invoice

    app = current_app()
    cust = customer(app, customer_id)
    day = as_of
    conn = app.ledger().conn
    if resolve:
        if invoice or reason:
            raise click.UsageError("--resolve takes no --invoice or --reason")
        _prefix, number, row = collection.get_record(conn, resolve)
        ref = collection.record_id("DSP", number)
        if _prefix != "DSP" or (row["source"], row["customer_ext"]) != (cust["source"], cust["id"]):
            raise CollectctlError(f"{resolve} is not a dispute of customer {cust['id']!r}")
        if row["voided_on"] or row["resolved_on"]:
            state = "void" if row["voided_on"] else f"resolved on {row['resolved_on']}"
            raise CollectctlError(f"{ref} is already {state}")
        not_before(day, date.fromisoformat(row["opened_on"]), "--as-of", "the dispute's date")
        with app.ledger().write() as conn:
            collection.resolve_dispute(conn, number, on=day, note=note, by=app.acting_user())
        emit_written(app.ledger().conn, ref, f"{ref} resolved on {day}.", fmt)
        return
    if not invoice or not reason:
        raise click.UsageError("give --invoice and --reason (or --resolve DSP-ID)")
    inv = find_invoice(conn, cust, invoice)
    already = collection.open_disputes(conn, day).get((cust["source"], inv["id"]))
    if already:
        raise CollectctlError(
            f"invoice {inv['number']} is already disputed ({already})",
            hint=f"Amend {already}, or resolve it first.",
        )
    with app.ledger().write() as conn:
        ref = collection.add_dispute(
            conn,
            (cust["source"], cust["id"]),
            invoice_ext=inv["id"],
            reason=reason,
            note=note,
            opened_on=day,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    text = f"{ref}: invoice {inv['number']} of {cust['name']} disputed ({reason})."
    emit_written(app.ledger().conn, ref, text, fmt)


for _command in (hold, release, escalate, amend, void, set_, cease, optout, assign):
    account.add_command(_command)

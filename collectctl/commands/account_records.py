"""``collectctl account hold|release|escalate|amend|void`` (registered on the ``account`` group)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

import click

from collectctl.commands.account_options import (
    CHANNELS,
    DATETIME,
    DISPUTE_REASONS,
    ESCALATION_TARGETS,
    OUTCOMES,
    POSITIVE_AMOUNT,
    customer,
    grace_days,
    in_reach,
    localize,
    not_before,
    on_option,
    stamp,
)
from collectctl.commands.completion import complete_records
from collectctl.commands.options import CUSTOMER, DATE, as_of_label, output_option
from collectctl.commands.written import emit_written


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option(
    "--until", type=DATE, default=None, help="Last day on hold (default: until released)."
)
@click.option("--reason", required=True, help="Why the account is on hold.")
@on_option
@output_option
def hold(customer_id: str, until: date | None, reason: str, as_of: date, fmt: str) -> None:
    """Put an account on hold: no chasing until --until (inclusive) or `release`.

    Holds expire by themselves: from the day after --until the account is chased again.
    """
    from collectctl.app import current_app
    from collectctl.ledger import collection

    app = current_app()
    cust = customer(app, customer_id)
    day = as_of
    if until == date.max:  # 9999-12-31, "until further notice": an open-ended hold
        until = None
    if until is not None:
        not_before(until, day, "--until", as_of_label())
        in_reach(until, day, "--until")
    with app.ledger().write() as conn:
        ref = collection.add_hold(
            conn,
            (cust["source"], cust["id"]),
            start_on=day,
            until_on=until,
            reason=reason,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    end = f" until {until}" if until else " until released"
    text = f"{ref}: {cust['name']} ({cust['id']}) on hold from {day}{end}."
    emit_written(app.ledger().conn, ref, text, fmt)


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@on_option
@output_option
def release(customer_id: str, as_of: date, fmt: str) -> None:
    """End every hold in force on an account (chasing resumes that day)."""
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.reports.accounts import state_of

    app = current_app()
    cust = customer(app, customer_id)
    day = as_of
    state = state_of(app.ledger().conn, cust["key"], day, grace_days=grace_days(app))
    active = [h.id for h in state.holds_in_force]
    if not active:
        raise CollectctlError(f"{cust['name']} ({cust['id']}) is not on hold on {day}")
    with app.ledger().write() as conn:
        collection.release_holds(conn, active, day, by=app.acting_user())
    refs = [collection.record_id("HLD", n) for n in active]
    emit_written(app.ledger().conn, refs, f"{', '.join(refs)} released on {day}.", fmt)


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option("--to", "target", type=click.Choice(ESCALATION_TARGETS), required=True)
@click.option("--note", default=None, help="Free text for the handover.")
@click.option("--draft", is_flag=True, help="Allow an empty [creditor] name; the pack is DRAFT.")
@on_option
@output_option
def escalate(
    customer_id: str, target: str, note: str | None, draft: bool, as_of: date, fmt: str
) -> None:
    """Hand an account over to a collection agency or to legal.

    Takes it out of dunning and writes a handover pack (statement, payments, full activity
    timeline, letters sent) as markdown and PDF under the profile's handover/ directory.
    """
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.ledger.accounts import load_account
    from collectctl.letters.document import require_creditor
    from collectctl.reports import accounts as account_report
    from collectctl.reports import handover

    app = current_app()
    require_creditor(app.config.get("creditor") or {}, draft=draft, what="the handover pack")
    cust = customer(app, customer_id)
    day = as_of
    for e in load_account(app.ledger().conn, cust["key"], day).escalations:
        if not e.voided_on:
            raise CollectctlError(
                f"{cust['name']} ({cust['id']}) is already escalated "
                f"(ESC-{e.id}, to {e.target}, on {e.escalated_on})",
                hint="Void that escalation first if it was recorded in error.",
            )
    # Claim (short transaction), write the pack with no lock held, then record where it went.
    with app.ledger().write() as conn:
        ref = collection.add_escalation(
            conn,
            (cust["source"], cust["id"]),
            target=target,
            escalated_on=day,
            note=note,
            created_at=app.clock.stamp(),
            created_by=app.acting_user(),
        )
    number = int(ref.split("-")[1])
    try:
        doc = account_report.account_show(
            app.ledger().conn, cust["key"], day, grace_days=grace_days(app)
        )
        md, pdf = handover.write_pack(
            app.profile_dir / "handover",
            doc,
            ref,
            target,
            app.config.get("creditor", {}),
            draft=draft,
            paper=str(dict(app.config.get("letters") or {}).get("paper") or "A4"),
        )
    except BaseException:
        with app.ledger().write() as conn:
            collection.delete_unfinished_escalation(conn, number)
        raise
    try:
        with app.ledger().write() as conn:
            collection.set_escalation_pack(conn, number, str(md), str(pdf))
    except BaseException:
        md.unlink(missing_ok=True)
        pdf.unlink(missing_ok=True)
        with app.ledger().write() as conn:
            collection.delete_unfinished_escalation(conn, number)
        raise
    text = (
        f"{ref}: {cust['name']} ({cust['id']}) escalated to {target}; out of dunning.\n"
        f"handover pack: {md}\n"
        f"               {pdf}"
    )
    emit_written(app.ledger().conn, ref, text, fmt)


#: Which ``amend`` options apply to which record kind.
_AMEND_OPTIONS: dict[str, tuple[str, ...]] = {
    "ACT": ("note", "next", "at", "channel", "outcome"),
    "PRM": ("note", "amount", "by"),
    "DSP": ("note", "dispute-reason"),
    "HLD": ("note", "until"),
    "ESC": ("note", "to"),
    "ASG": ("note",),
}


@click.command()
@click.argument("record", shell_complete=complete_records)
@click.option("--reason", required=True, help="Why the record is corrected (kept in the trail).")
@click.option("--note", default=None, help="New note (a hold's reason).")
@click.option("--amount", type=POSITIVE_AMOUNT, default=None, help="Promise: new amount.")
@click.option("--by", "by", type=DATE, default=None, help="Promise: new date.")
@click.option("--until", type=DATE, default=None, help="Hold: new last day.")
@click.option("--next", "next_date", type=DATE, default=None, help="Contact: next action date.")
@click.option("--at", type=DATETIME, default=None, help="Contact: when it happened.")
@click.option("--channel", type=click.Choice(CHANNELS), default=None, help="Contact: channel.")
@click.option("--outcome", type=click.Choice(OUTCOMES), default=None, help="Contact: outcome.")
@click.option(
    "--dispute-reason", type=click.Choice(DISPUTE_REASONS), default=None, help="Dispute: reason."
)
@click.option("--to", "target", type=click.Choice(ESCALATION_TARGETS), default=None)
@on_option
@output_option
def amend(
    record: str,
    reason: str,
    note: str | None,
    amount: Decimal | None,
    by: date | None,
    until: date | None,
    next_date: date | None,
    at: datetime | None,
    channel: str | None,
    outcome: str | None,
    dispute_reason: str | None,
    target: str | None,
    as_of: date,
    fmt: str,
) -> None:
    """Correct a record (ACT-, PRM-, DSP-, HLD-, ESC-, ASG-n); old and new values stay on
    record."""
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import collection
    from collectctl.money import MoneyError, to_minor

    app = current_app()
    prefix, _number = collection.parse_record_id(record)
    text_field = "reason" if prefix == "HLD" else "note"
    given = {
        "note": (text_field, note),
        "amount": ("amount", amount),
        "by": ("due_on", by),
        "until": ("until_on", until),
        "next": ("next_date", next_date),
        "at": ("at", at),
        "channel": ("channel", channel),
        "outcome": ("outcome", outcome),
        "dispute-reason": ("reason", dispute_reason),
        "to": ("target", target),
    }
    values: dict[str, Any] = {}
    for option, (column, value) in given.items():
        if value is None:
            continue
        if option not in _AMEND_OPTIONS[prefix]:
            raise click.UsageError(f"--{option} does not apply to a {prefix}- record")
        values[column] = value
    if not values:
        raise click.UsageError("give at least one new value (see --help)")
    conn = app.ledger().conn
    _p, number, row = collection.get_record(conn, record)
    if "amount" in values:
        try:
            values["amount"] = to_minor(values["amount"], row["currency"])
        except MoneyError as exc:
            raise CollectctlError(f"--amount: {exc}") from None
    if "due_on" in values:
        not_before(values["due_on"], date.fromisoformat(row["made_on"]), "--by", "the promise day")
    if "until_on" in values:
        not_before(values["until_on"], date.fromisoformat(row["start_on"]), "--until", "its start")
    for column, option in (("due_on", "--by"), ("until_on", "--until"), ("next_date", "--next")):
        in_reach(values.get(column), app.today(), option)
    if "at" in values:
        moment = localize(app, values["at"])
        values["at"] = moment.isoformat(timespec="minutes")
        values["on_date"] = moment.date()
    day = as_of
    with app.ledger().write() as conn:
        changes = collection.amend(
            conn, record, values, reason=reason, at=stamp(), on_date=day, by=app.acting_user()
        )
    ref = collection.record_id(prefix, number)
    options = {column: option for option, (column, _v) in given.items()}
    shown = sorted({f"--{options.get(c, 'at')}" for c in changes})
    emit_written(app.ledger().conn, ref, f"{ref} amended: {', '.join(shown)}.", fmt)


@click.command()
@click.argument("record", shell_complete=complete_records)
@click.option("--reason", required=True, help="Why it is void (kept in the trail).")
@on_option
@output_option
def void(record: str, reason: str, as_of: date, fmt: str) -> None:
    """Void a record recorded in error: kept and shown, but no longer counts."""
    from collectctl.app import current_app
    from collectctl.ledger import collection

    app = current_app()
    day = as_of
    with app.ledger().write() as conn:
        ref = collection.void(
            conn, record, reason=reason, at=stamp(), on_date=day, by=app.acting_user()
        )
    emit_written(app.ledger().conn, ref, f"{ref} voided.", fmt)

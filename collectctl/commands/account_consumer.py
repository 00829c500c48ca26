"""``collectctl account cease|optout``: consumer requests that stop dunning (Regulation F)."""

from __future__ import annotations

from datetime import date

import click

from collectctl.commands.account_options import customer, on_option, stamp
from collectctl.commands.options import CUSTOMER

#: Channels a consumer can opt out of (letter channels; ``account log`` channels are not sent).
OPTOUT_CHANNELS = ("email", "file", "stdout", "sms", "post")


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option(
    "--written/--not-written",
    default=True,
    show_default=True,
    help="Was the request made in writing (Reg F 1006.6(c)) or by phone or email?",
)
@click.option("--note", default=None, help="What the consumer asked.")
@click.option("--lift", "lift_reason", default=None, metavar="REASON",
              help="Lift the cease records instead (the consumer consented).")  # fmt: skip
@on_option
def cease(
    customer_id: str, written: bool, note: str | None, lift_reason: str | None, as_of: date | None
) -> None:
    """Record a consumer's request to cease communication: dunning writes to them no more."""
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import consumer_records

    app = current_app()
    cust = customer(app, customer_id)
    key = (cust["source"], cust["id"])
    day = as_of or app.today()
    with app.ledger().write() as conn:
        if lift_reason is not None:
            lifted = consumer_records.lift(conn, "consumer_ceases", key, on=day, reason=lift_reason)
            if not lifted:
                raise CollectctlError(f"{cust['name']} ({cust['id']}) has no cease record")
            refs = ", ".join(f"CEA-{n}" for n in lifted)
            click.echo(f"{refs} lifted on {day}: dunning may write to {cust['name']} again.")
            return
        ref = consumer_records.add_cease(
            conn,
            key,
            on=day,
            written=written,
            note=note,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    click.echo(f"{ref}: {cust['name']} ({cust['id']}) asked to cease communication on {day}.")


@click.command()
@click.argument("customer_id", type=CUSTOMER)
@click.option("--channel", type=click.Choice(OPTOUT_CHANNELS), required=True, help="Which channel.")
@click.option("--note", default=None, help="How the opt-out arrived.")
@click.option("--lift", "lift_reason", default=None, metavar="REASON",
              help="Lift the opt-out of this channel instead.")  # fmt: skip
@on_option
def optout(
    customer_id: str,
    channel: str,
    note: str | None,
    lift_reason: str | None,
    as_of: date | None,
) -> None:
    """Record that a consumer opted out of one channel (dunning uses the fallback, if any)."""
    from collectctl.app import current_app
    from collectctl.errors import CollectctlError
    from collectctl.ledger import consumer_records

    app = current_app()
    cust = customer(app, customer_id)
    key = (cust["source"], cust["id"])
    day = as_of or app.today()
    with app.ledger().write() as conn:
        if lift_reason is not None:
            lifted = consumer_records.lift(
                conn, "channel_optouts", key, on=day, reason=lift_reason, channel=channel
            )
            if not lifted:
                raise CollectctlError(
                    f"{cust['name']} ({cust['id']}) has not opted out of {channel}"
                )
            click.echo(f"{', '.join(f'OPT-{n}' for n in lifted)} lifted on {day}.")
            return
        ref = consumer_records.add_optout(
            conn,
            key,
            channel,
            on=day,
            note=note,
            created_at=stamp(),
            created_by=app.acting_user(),
        )
    click.echo(f"{ref}: {cust['name']} ({cust['id']}) opted out of {channel} on {day}.")

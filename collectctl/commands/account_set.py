"""``collectctl account set``: local values for an account that every sync leaves alone."""

from __future__ import annotations

import re

import click

from collectctl.commands.options import CUSTOMER

_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@click.command("set")
@click.argument("customer_id", type=CUSTOMER)
@click.option(
    "--kind",
    type=click.Choice(("business", "consumer")),
    default=None,
    help="Business or consumer (consumers get the consumer guards, no B2B interest).",
)
@click.option("--language", default=None, help="Letter language (de, pt-BR); '' clears it.")
@click.option("--timezone", default=None, help="IANA time zone (Europe/Berlin); '' clears it.")
@click.option("--email", default=None, help="Where letters are emailed; '' clears it.")
@click.option(
    "--interest",
    type=click.Choice(("uk", "eu", "contract", "none", "")),
    default=None,
    help="Interest regime for this customer; '' = the profile's.",
)
def set_(
    customer_id: str,
    kind: str | None,
    language: str | None,
    timezone: str | None,
    email: str | None,
    interest: str | None,
) -> None:
    """Override an account's kind, language, time zone, email or interest regime.

    QuickBooks customers arrive as `business` with no language: this is how a consumer is
    marked. The values are kept in collectctl's own table and survive every sync;
    `account show` shows the account with them applied.
    """
    from collectctl.app import current_app
    from collectctl.commands.account_options import customer
    from collectctl.ledger.letters import set_override
    from collectctl.letters.send import utc_iso, utc_now

    values = {
        "kind": kind,
        "language": language,
        "timezone": timezone,
        "email": email,
        "interest": interest,
    }
    if all(v is None for v in values.values()):
        raise click.UsageError(
            "give at least one of --kind, --language, --timezone, --email, --interest"
        )
    if language and not _LANGUAGE.match(language):
        raise click.BadParameter(
            f"{language!r} is not a language code (like de or pt-BR)", param_hint="--language"
        )
    if timezone:
        from collectctl.home import check_timezone

        check_timezone(timezone, lambda why: click.BadParameter(why, param_hint="--timezone"))
    if email:
        from email.utils import getaddresses

        found = [a for _, a in getaddresses([email]) if a]
        if not found or any("@" not in a for a in found):
            raise click.BadParameter(f"{email!r} is not an email address", param_hint="--email")
    app = current_app()
    cust = customer(app, customer_id)
    with app.ledger().write() as conn:
        got = set_override(conn, (cust["source"], cust["id"]), values, at=utc_iso(utc_now()))
    shown = ", ".join(f"{k} {getattr(got, k)}" for k in values if getattr(got, k))
    click.echo(f"{cust['name']} ({cust['id']}): {shown or 'no local overrides'}.")

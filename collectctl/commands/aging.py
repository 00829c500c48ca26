"""``collectctl aging``: who owes what, by how late (contracts §3)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import click

from collectctl.commands.every_profile import (
    all_profiles_option,
    each_profile,
    merge_documents,
    with_profile_column,
)
from collectctl.commands.options import (
    AMOUNT,
    CURRENCY,
    as_of_option,
    customer_keys,
    customer_option,
    emit,
    note_empty_books,
    output_option,
)


class BucketsType(click.ParamType):
    """Comma-separated upper bounds in days, e.g. ``30,60,90``."""

    name = "buckets"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from collectctl.domain.aging import parse_bounds

        if isinstance(value, tuple):
            return value
        try:
            return parse_bounds(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


@click.command()
@as_of_option
@click.option(
    "--basis",
    type=click.Choice(["due", "issue"]),
    default="due",
    show_default=True,
    help="Age from the due date (collections) or the issue date (credit analysis).",
)
@click.option(
    "--buckets",
    type=BucketsType(),
    default="30,60,90",
    show_default=True,
    help="Upper bounds of the buckets in days.",
)
@click.option(
    "--by",
    type=click.Choice(["customer", "invoice"]),
    default="customer",
    show_default=True,
    help="One row per customer and currency, or per open invoice.",
)
@click.option(
    "--currency",
    "currencies",
    type=CURRENCY,
    multiple=True,
    help="Only this currency (repeat for any of several; no conversion).",
)
@customer_option
@click.option(
    "--min-balance",
    type=AMOUNT,
    default=None,
    metavar="AMOUNT",
    help="Leave out rows whose total (or balance, --by invoice) is below AMOUNT.",
)
@all_profiles_option
@output_option
def aging(
    as_of,
    basis: str,
    buckets: tuple[int, ...],
    by: str,
    currencies: tuple[str, ...],
    customer_refs: tuple[str, ...],
    min_balance: Decimal | None,
    all_profiles: bool,
    fmt: str,
) -> None:
    """Aged receivables: open balances by how many days past due.

    Only invoices issued and payments dated on or before --as-of count, so any past date is
    reconstructed exactly. Unapplied credit is shown as a negative 'unapplied' column and netted
    into 'total'. One row per customer and currency; totals per currency; never converted.
    """
    from collectctl.app import App, current_app
    from collectctl.reports import aging as aging_report

    def build(app: App, plain: bool = False) -> dict[str, Any]:
        note_empty_books(app)
        day = as_of
        conn = app.ledger().conn
        if plain:  # rows as dicts, to be merged with other profiles'
            make = aging_report.by_invoice if by == "invoice" else aging_report.by_customer
        else:
            make = (
                aging_report.invoice_document if by == "invoice" else aging_report.customer_document
            )
        document = make(
            conn,
            day,
            buckets,
            basis=basis,
            currency=currencies,
            min_balance=min_balance,
            customers=customer_keys(conn, customer_refs),
        )
        if day < app.today():
            from collectctl.ledger.books import approximate_payment_sources

            for name in approximate_payment_sources(conn):
                click.echo(
                    f"Warning: the payment dates from source {name!r} are approximate (its "
                    "export says how much was paid, not when; payments are dated on the invoice "
                    f"date), so aging as of {day.isoformat()} may show invoices paid earlier "
                    "than they were. See docs/importing.md.",
                    err=True,
                )
        return document

    app = current_app()
    if not all_profiles:
        emit(aging_report.to_report(build(app), by), fmt)
        return
    if customer_refs:
        raise click.UsageError("--customer ids belong to one profile; leave out --all-profiles")
    document = merge_documents([(name, build(app, plain=True)) for name in each_profile(app)])
    emit(with_profile_column(aging_report.to_report(document, by)), fmt)

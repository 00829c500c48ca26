"""``collectctl reconcile``: what to fix in the books before chasing (docs/reconcile.md)."""

from __future__ import annotations

from datetime import date

import click

from collectctl.commands.options import CUSTOMER, as_of_option, emit, output_option


@click.command()
@as_of_option
@click.option(
    "--check",
    is_flag=True,
    help="Exit with status 3 when there are findings (for cron); they are still printed.",
)
@click.option(
    "--customer",
    "customer_ref",
    type=CUSTOMER,
    default=None,
    help="Only this customer (its source id, or SOURCE:ID).",
)
@output_option
def reconcile(as_of: date, check: bool, customer_ref: str | None, fmt: str) -> None:
    """Discrepancies to fix in the books before chasing anyone.

    Reports overpaid invoices, credit on account that could pay open invoices (with the
    applications to make, oldest first), unapplied payments that exactly match a past-due
    invoice, duplicate-looking payments, refunds larger than the credit they return, and
    invoices whose balance in the source differs from the ledger's. Only invoices issued and
    payments dated on or before --as-of count. Exit status 0, or 3 with --check when anything
    was found.
    """
    from collectctl.app import current_app
    from collectctl.errors import Findings
    from collectctl.ledger.books import find_customer
    from collectctl.reports import reconcile as report

    app = current_app()
    day = as_of
    conn = app.ledger().conn
    key = find_customer(conn, customer_ref)["key"] if customer_ref else None
    document = report.document(conn, day, key)
    document["customer_id"] = customer_ref
    emit(report.to_report(document), fmt)
    found = len(document["findings"])
    if check and found:
        raise Findings(
            f"reconcile: {found} finding{'s' if found != 1 else ''} to fix in the books "
            f"(as of {day.isoformat()})"
        )

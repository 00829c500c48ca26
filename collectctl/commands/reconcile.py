"""``collectctl reconcile``: what to fix in the books before chasing (docs/reconcile.md)."""

from __future__ import annotations

from datetime import date
from typing import Any

import click

from collectctl.commands.options import as_of_option, emit, output_option
from collectctl.output import Column, Report

COLUMNS = [
    Column("kind"),
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("amount", kind="money"),
    Column("invoice_ids"),
    Column("payment_ids"),
    Column("suggestion"),
]


def to_report(document: dict[str, Any]) -> Report:
    """Rows for table/csv/md: id lists joined with spaces; JSON keeps the whole document."""
    rows = [
        {
            **finding,
            "invoice_ids": " ".join(finding["invoice_ids"]),
            "payment_ids": " ".join(finding["payment_ids"]),
        }
        for finding in document["findings"]
    ]
    counts = ", ".join(f"{n} {kind}" for kind, n in document["counts"].items() if n)
    footer = [f"\n{len(rows)} finding{'s' if len(rows) != 1 else ''}: {counts}"] if rows else []
    return Report(columns=COLUMNS, rows=rows, document=document, footer=footer)


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
    metavar="ID",
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
    from collectctl.ledger import reconcile as ledger_reconcile
    from collectctl.ledger.books import find_customer

    app = current_app()
    day = as_of
    conn = app.ledger().conn
    key = find_customer(conn, customer_ref)["key"] if customer_ref else None
    document = ledger_reconcile.document(conn, day, key)
    document["customer_id"] = customer_ref
    emit(to_report(document), fmt)
    found = len(document["findings"])
    if check and found:
        raise Findings(
            f"reconcile: {found} finding{'s' if found != 1 else ''} to fix in the books "
            f"(as of {day.isoformat()})"
        )

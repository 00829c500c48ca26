"""``collectctl status``: each source's last successful sync, counts, and the ledger's size."""

from __future__ import annotations

import click

from collectctl.commands.options import emit, output_option
from collectctl.output import Column, Report


@click.command()
@output_option
def status(fmt: str) -> None:
    """Each source's last successful sync and counts, and the ledger's size."""
    from collectctl.app import current_app
    from collectctl.ledger.books import source_status

    app = current_app()
    ledger = app.ledger()
    rows = source_status(ledger.conn)
    size = ledger.size()
    document = {
        "profile": app.profile_name,
        "ledger": ledger.display,
        "ledger_bytes": size,
        "sources": rows,
    }
    columns = [
        Column("source"),
        Column("last_sync"),
        Column("mode"),
        Column("customers", kind="int"),
        Column("invoices", kind="int"),
        Column("allocations", kind="int"),
        Column("description"),
    ]
    footer = [f"profile {app.profile_name}: ledger {ledger.display} ({size / 1024:,.0f} KiB)"]
    if not rows:
        footer.append("No sync yet: try `collectctl sync csv DIR`.")
    emit(Report(columns=columns, rows=rows, document=document, footer=footer), fmt)

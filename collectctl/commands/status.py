"""``collectctl status``: each source's last successful sync, counts, and the ledger's size."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from collectctl.commands.every_profile import all_profiles_option, each_profile
from collectctl.commands.options import emit, output_option
from collectctl.output import Column, Report

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App

COLUMNS = [
    Column("source"),
    Column("last_sync"),
    Column("mode"),
    Column("customers", kind="int"),
    Column("invoices", kind="int"),
    Column("allocations", kind="int"),
    Column("description"),
]


def _document(app: App) -> dict[str, Any]:
    from collectctl.ledger.books import source_status

    ledger = app.ledger()
    rows = source_status(ledger.conn)
    size = sum(
        p.stat().st_size
        for p in (ledger.path, ledger.path.with_name(ledger.path.name + "-wal"))
        if p.exists()
    )
    return {
        "profile": app.profile_name,
        "ledger": str(ledger.path),
        "ledger_bytes": size,
        "sources": rows,
    }


def _footer(document: dict[str, Any]) -> list[str]:
    size = document["ledger_bytes"]
    lines = [f"profile {document['profile']}: ledger {document['ledger']} ({size / 1024:,.0f} KiB)"]
    if not document["sources"]:
        lines.append("No sync yet: try `collectctl sync csv DIR`.")
    return lines


@click.command()
@all_profiles_option
@output_option
def status(all_profiles: bool, fmt: str) -> None:
    """Each source's last successful sync and counts, and the ledger's size.

    With --all-profiles: every profile, one row per source with a 'profile' column
    (JSON: a list of the per-profile documents, each with its 'profile').
    """
    from collectctl.app import current_app
    from collectctl.home_root import data_home, legacy_home

    app = current_app()
    old = legacy_home()
    if old is not None:
        click.echo(
            f"Note: your profiles are in the old default location {old}; "
            f"`collectctl home migrate` moves them to {data_home()}.",
            err=True,
        )
    if not all_profiles:
        document = _document(app)
        report = Report(
            columns=COLUMNS, rows=document["sources"], document=document, footer=_footer(document)
        )
        emit(report, fmt)
        return
    documents = [_document(app) for _name in each_profile(app)]
    rows = [{"profile": d["profile"], **row} for d in documents for row in d["sources"]]
    footer = [line for d in documents for line in _footer(d)[:1]]
    report = Report(
        columns=[Column("profile"), *COLUMNS], rows=rows, document=documents, footer=footer
    )
    emit(report, fmt)

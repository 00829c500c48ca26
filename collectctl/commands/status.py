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
    size = ledger.size()
    return {
        "profile": app.profile_name,
        "config": str(app.config_file),
        "data": str(app.profile_dir),
        "ledger": ledger.display,
        "ledger_bytes": size,
        "sources": rows,
    }


def _footer(document: dict[str, Any]) -> list[str]:
    size = document["ledger_bytes"]
    lines = [
        f"profile {document['profile']}: ledger {document['ledger']} ({size / 1024:,.0f} KiB)",
        f"config {document['config']}",
    ]
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
    from collectctl.home import SINGLE, list_profiles, profile_paths

    app = current_app()
    old = [profile_paths(name) for name in list_profiles()]
    old = [paths for paths in old if paths.layout == SINGLE]
    if old:
        from collectctl.home_root import config_home, data_home

        where = ", ".join(f"{p.name!r} ({p.config_dir})" for p in old)
        click.echo(
            f"Note: profile(s) {where} are in the old one-directory layout; "
            f"`collectctl home migrate` moves config to {config_home()} and ledgers to "
            f"{data_home()} (`--dry-run` shows what moves).",
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

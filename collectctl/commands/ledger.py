"""``collectctl ledger info|copy``: which ledger a profile uses, and moving it to another."""

from __future__ import annotations

import os
import sys
from datetime import date

import click

from collectctl.commands.options import emit, output_option
from collectctl.output import Column, Report


@click.group()
def ledger() -> None:
    """The profile's ledger: where it is (SQLite file or PostgreSQL schema), moving it."""


@ledger.command()
@output_option
def info(fmt: str) -> None:
    """Backend, location, schema version, size and rows per table."""
    from collectctl.app import current_app
    from collectctl.ledger.transfer import info as ledger_info

    app = current_app()
    doc = ledger_info(app.ledger())
    rows = [{"table": t, "rows": n} for t, n in doc["tables"].items()]
    footer = [
        f"{doc['backend']} ledger {doc['location']}, schema version {doc['schema_version']}, "
        f"{doc['bytes'] / 1024:,.0f} KiB"
    ]
    columns = [Column("table"), Column("rows", kind="int")]
    emit(Report(columns=columns, rows=rows, document=doc, footer=footer), fmt)


@ledger.command()
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="postgresql://user@host/db, or a SQLite file (a path or sqlite:PATH).",
)
@click.option(
    "--schema",
    metavar="NAME",
    default=None,
    help="PostgreSQL schema to copy into (default: the profile's [ledger] schema or name).",
)
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="Date the check compares aging, account list and metrics at (default: today).",
)
def copy(url: str, schema: str | None, as_of: object) -> None:
    """Copy the whole ledger (books and collection records) to another backend.

    The destination must be empty. The copy is checked — aging, account list and metrics JSON
    must be identical on both sides — before it is committed; otherwise nothing is written.
    The profile keeps using its ledger until you point [ledger] url at the copy.
    """
    from collectctl.app import current_app
    from collectctl.commands.account_options import grace_days
    from collectctl.domain.calendar import period_start
    from collectctl.ledger.dialect import target_for_url
    from collectctl.moving import copy_ledger

    app = current_app()
    day: date = as_of.date() if as_of is not None else app.today()  # type: ignore[attr-defined]
    password = app.env.get("PGPASSWORD") if "PGPASSWORD" not in os.environ else None
    section = app.config.get("ledger") or {}
    name = schema or section.get("schema") or app.profile_name
    target = target_for_url(url, name, password)
    result = copy_ledger(
        app.ledger(),
        target,
        as_of=day,
        start=period_start(day, 3),
        months=3,
        grace_days=grace_days(app),
    )
    total = sum(result.rows.values())
    sys.stderr.write(
        f"copied {total:,} rows in {len(result.rows)} tables to {result.destination}; "
        f"{', '.join(result.checked)} identical as of {day}: done\n"
    )

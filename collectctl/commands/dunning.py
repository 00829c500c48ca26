"""``collectctl dunning run``: the morning job (docs/dunning.md)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from collectctl.commands.options import DATE, Count, emit, output_option


@click.group()
def dunning() -> None:
    """Automatic reminders: decide every account's letter and send it once."""


@dunning.command()
@click.option(
    "--policy",
    "policy",
    type=click.Path(path_type=Path),
    required=True,
    help="The dunning policy (TOML; see examples/dunning.toml).",
)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Decision day (default today; a real run refuses other days without --force).",
)
@click.option("--dry-run", "-n", is_flag=True, help="Decide and print; write and send nothing.")
@click.option(
    "--preview",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="With --dry-run: render the would-be letters into this directory.",
)
@click.option(
    "--baseline",
    is_flag=True,
    help="Record today's ladder positions without sending (first run on old books).",
)
@click.option(
    "--max",
    "max_letters",
    type=Count(min=0),
    default=None,
    help="Allow up to N letters in this run (instead of max_letters_per_run).",
)
@click.option("--allow-stale", is_flag=True, help="Send even if a source's last sync is old.")
@click.option("--force", is_flag=True, help="Allow a real run for a past --as-of.")
@output_option
def run(
    policy: Path,
    as_of: date | None,
    dry_run: bool,
    preview: Path | None,
    baseline: bool,
    max_letters: int | None,
    allow_stale: bool,
    force: bool,
    fmt: str,
) -> None:
    """Decide, for every account and currency, the letter due today, and send it once.

    Exit status 0 (everything due was sent or skipped with a reason), 1 (a refusal or a failed
    send, retried by a later run), 3 (a send is uncertain: a person must check it).
    """
    import sys

    from collectctl.app import current_app
    from collectctl.errors import CollectctlError, Findings
    from collectctl.letters.dunning_report import to_report
    from collectctl.letters.dunning_run import RunOptions, run_dunning

    options = RunOptions(policy, as_of, dry_run, preview, baseline, max_letters, allow_stale, force)
    app = current_app()
    if dry_run:
        app.dry_run()
    report = run_dunning(app, options)
    emit(to_report(report), fmt)
    for warning in report.warnings:
        sys.stderr.write(f"Warning: {warning}\n")
    code = report.exit_code
    if code:
        failed, uncertain = report.count("failed"), report.count("uncertain")
        message = f"dunning: {failed} failed (retried by a later run), {uncertain} uncertain"
        hint = "`collectctl letter list` shows them."
        raise (Findings if code == 3 else CollectctlError)(message, hint=hint)

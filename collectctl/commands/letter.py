"""``collectctl letter``: write a letter for an account, send it through a channel, list and
re-print what was sent, check every template."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from collectctl.commands.options import CURRENCY, CUSTOMER, DATE, emit_document, output_option

STAGE_CHOICES = ("courtesy", "reminder", "firm", "final", "pre-legal")
DOC_FORMATS = ("md", "txt", "html", "pdf")
EXIT_UNCERTAIN = 3


class LetterGroup(click.Group):
    """``letter ACCOUNT ...`` runs ``write``; ``letter list|show`` are subcommands."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        i = 0  # skip the global options (--profile NAME, --debug) the root gives every group
        while i < len(args):
            if args[i] in ("--profile", "-p"):
                i += 2
            elif args[i] == "--debug" or args[i].startswith("--profile="):
                i += 1
            else:
                break
        rest = args[i:]
        if rest and rest[0] not in self.commands and rest[0] not in ("-h", "--help"):
            args = [*args[:i], "write", *rest]
        return super().parse_args(ctx, args)


@click.group(cls=LetterGroup)
def letter() -> None:
    """Letters to debtors: `collectctl letter ACCOUNT --stage reminder [--send file]`.

    Rendering alone records nothing; --send CHANNEL records the letter (LTR-n) and moves the
    account's ladder on. See `collectctl letter write --help` for every option.
    """


@letter.command()
@click.argument("account", required=False, type=CUSTOMER)
@click.option("--stage", type=click.Choice(STAGE_CHOICES), help="Which letter.")
@click.option("--currency", type=CURRENCY, default=None, help="The balance to write about.")
@click.option("--invoice", "invoices", multiple=True, help="Only these invoice ids (repeat).")
@click.option("--as-of", "as_of", type=DATE, default=None, help="Letter date (default today).")
@click.option("--language", default=None, help="Template language (default: the customer's).")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice(DOC_FORMATS),
    default="md",
    show_default=True,
    help="Document format.",
)
@click.option("--output", "-o", default=None, help="Write to FILE (or, with --send file, DIR).")
@click.option(
    "--send",
    "channel",
    default=None,
    metavar="CHANNEL",
    help="Send and record it: stdout, file, email or a plugin's channel.",
)
@click.option("--dry-run", "-n", is_flag=True, help="With --send: show what would be sent.")
@click.option("--repeat", is_flag=True, help="Send a stage already sent for these invoices again.")
@click.option("--draft", is_flag=True, help="Allow an empty [creditor] name; marked DRAFT.")
@click.option(
    "--force",
    is_flag=True,
    help="With --send: send to a consumer although the consumer guards refuse it.",
)
@click.option(
    "--check-templates",
    is_flag=True,
    help="Render every stage × language with sample data, and exit.",
)
def write(
    account: str | None,
    stage: str | None,
    currency: str | None,
    invoices: tuple[str, ...],
    as_of: date | None,
    language: str | None,
    fmt: str,
    output: str | None,
    channel: str | None,
    dry_run: bool,
    repeat: bool,
    draft: bool,
    force: bool,
    check_templates: bool,
) -> None:
    """Write the letter for ACCOUNT at --stage (md, txt, html or pdf); --send records it."""
    from collectctl.app import current_app

    app = current_app()
    if dry_run:
        app.dry_run()  # before anything of the profile is read
    if check_templates:
        from collectctl.letters.checking import check_all

        problems = check_all(app.config, app.config_dir, echo=click.echo)
        if problems:
            from collectctl.errors import Findings

            raise Findings(f"{problems} template problem{'s' if problems != 1 else ''} found")
        return
    if not account or not stage:
        raise click.UsageError("give ACCOUNT and --stage (or --check-templates)")
    from collectctl.letters.actions import send_letter, write_letter

    if channel is None:
        if dry_run:
            raise click.UsageError("--dry-run goes with --send (rendering alone writes nothing)")
        data = write_letter(
            app,
            account,
            stage,
            currency=currency,
            invoices=invoices,
            as_of=as_of,
            language=language,
            fmt=fmt,
            draft=draft,
        )
        emit_document(data, fmt, output)
        return
    outcome = send_letter(
        app,
        account,
        stage,
        channel=channel,
        currency=currency,
        invoices=invoices,
        as_of=as_of,
        language=language,
        fmt=fmt,
        output=output,
        dry_run=dry_run,
        repeat=repeat,
        draft=draft,
        echo=lambda text: click.echo(text, err=True),
        force=force,
    )
    if outcome.status == "uncertain":
        click.echo(f"{outcome.ref}: {outcome.message}", err=True)
        sys.exit(EXIT_UNCERTAIN)
    if outcome.status == "failed":
        from collectctl.errors import CollectctlError

        raise CollectctlError(
            f"{outcome.ref}: {outcome.message}",
            hint="It is recorded as failed; run the same command to retry.",
        )
    click.echo(f"{outcome.ref or 'dry run'}: {outcome.message}", err=True)


@letter.command("list")
@click.option("--customer", default=None, help="Only this customer's letters.")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(("claimed", "sending", "sent", "failed", "uncertain", "cancelled")),
    help="Only letters in this state (repeat).",
)
@output_option
def list_letters(customer: str | None, statuses: tuple[str, ...], fmt: str) -> None:
    """Letters recorded, oldest first."""
    from collectctl.app import current_app
    from collectctl.commands.options import emit
    from collectctl.letters.history import letters_report

    app = current_app()
    emit(letters_report(app.ledger().conn, customer, statuses), fmt)


@letter.command()
@click.argument("letter_id")
@click.option(
    "--format",
    "-f",
    "fmt",
    type=click.Choice((*DOC_FORMATS, "json")),
    default=None,
    help="Re-print the letter in this format (default: its record, as text).",
)
@click.option("--output", "-o", default=None, help="Write the re-print to FILE.")
def show(letter_id: str, fmt: str | None, output: str | None) -> None:
    """One letter's record (LTR-n); --format re-prints it with the figures it was sent with."""
    from collectctl.app import current_app
    from collectctl.letters.history import letter_record_text, reprint

    app = current_app()
    if fmt in (None, "json"):
        click.echo(letter_record_text(app.ledger().conn, letter_id, as_json=fmt == "json"))
        return
    data: Any = reprint(app, letter_id, fmt)
    emit_document(data, fmt, output)

"""The ``collectctl`` root command: global options, lazy command loading, errors and exit codes.

Core commands are imported only when invoked (``CORE_COMMANDS`` maps each name to its module and
one-line help), and plugin commands are listed from the discovery cache, so ``collectctl --help``
imports click and nothing heavy. The console script is :func:`collectctl.entry.main`, which
answers ``--version`` and a repeated ``--help`` before click is imported.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from collectctl import __version__
from collectctl.commands.groups import (
    PassDownGroup,
    adopt,
    complete_profile_option,
    enable_debug_logging,
    remember_profile,
    with_examples,
)

#: Set by :func:`collectctl.entry.main` for ``collectctl --help``: the width the root help is
#: rendered at, to store it for the next ``--help`` (None: do not store).
STORE_HELP_WIDTH: int | None = None

#: name -> (module, attribute, one-line help). Order is the order in ``--help``.
CORE_COMMANDS: dict[str, tuple[str, str, str]] = {
    "sync": (
        "collectctl.commands.sync",
        "sync",
        "Bring the books in from your sources (CSV, ...).",
    ),
    "aging": (
        "collectctl.commands.aging",
        "aging",
        "Who owes what, by how late (aged receivables).",
    ),
    "account": (
        "collectctl.commands.account",
        "account",
        "One account: timeline, contact log, promises, disputes, holds.",
    ),
    "plan": ("collectctl.commands.plan", "plan", "Payment plans: propose, create, track, cancel."),
    "letter": (
        "collectctl.commands.letter",
        "letter",
        "Letters to debtors: write, send through a channel, list what was sent.",
    ),
    "reconcile": (
        "collectctl.commands.reconcile",
        "reconcile",
        "Discrepancies to fix before chasing: overpayments, duplicates.",
    ),
    "metrics": (
        "collectctl.commands.metrics",
        "metrics",
        "DSO, CEI, days delinquent and days to pay, per currency.",
    ),
    "forecast": (
        "collectctl.commands.forecast",
        "forecast",
        "When each invoice will be paid; expected cash-in per week.",
    ),
    "dunning": (
        "collectctl.commands.dunning",
        "dunning",
        "The morning job: send each account the letter due today, once.",
    ),
    "status": ("collectctl.commands.status", "status", "Sources, last syncs and ledger size."),
    "ledger": (
        "collectctl.commands.ledger",
        "ledger",
        "Where the ledger is (SQLite or PostgreSQL); copy it to another.",
    ),
    "profile": (
        "collectctl.commands.profile",
        "profile",
        "Create, list, show and remove profiles.",
    ),
    "plugins": ("collectctl.commands.plugins", "plugins", "Installed plugins and their hooks."),
    "home": (
        "collectctl.commands.home_dir",
        "home",
        "Where config and ledgers live; migrate an old layout.",
    ),
}


def _plugin_command_help() -> dict[str, str]:
    """Plugin commands and their one-line help: from the discovery cache when it is valid (no
    pluggy, no plugin imports), else from the plugin manager."""
    from collectctl.plugins.discovery_cache import cached_command_help

    cached = cached_command_help()
    if cached is not None:
        return cached
    from collectctl.plugins.manager import cached_commands

    return cached_commands()


class UserError(click.ClickException):
    """A :class:`~collectctl.errors.CollectctlError` on its way to the terminal."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code  # type: ignore[misc]  # click declares it on the class


class RootGroup(PassDownGroup):
    """Loads core commands on demand and plugin commands when first needed.

    Every command it resolves is :func:`~collectctl.commands.groups.adopt`-ed: the global
    options work after the command too, and group options reach the subcommand.
    """

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        # The width click's help formatter would compute, without its import of shutil (and
        # bz2, lzma, ...). Left alone when a test runner forces a width.
        from click import formatting

        if parent is None and "terminal_width" not in extra and formatting.FORCED_WIDTH is None:
            from collectctl.help_cache import help_width

            extra["terminal_width"] = help_width()
        return super().make_context(info_name, args, parent, **extra)

    def get_help(self, ctx: click.Context) -> str:
        text = super().get_help(ctx)
        if (
            STORE_HELP_WIDTH is not None
            and ctx.parent is None
            and ctx.terminal_width == STORE_HELP_WIDTH
        ):
            from collectctl.help_cache import store_help

            store_help(STORE_HELP_WIDTH, text + "\n")  # click's echo adds the newline
        return text

    def list_commands(self, ctx: click.Context) -> list[str]:
        names = list(CORE_COMMANDS)
        names += sorted(n for n in _plugin_command_help() if n not in CORE_COMMANDS)
        return names

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return with_examples(ctx, name, adopt(self.commands[name]))
        spec = CORE_COMMANDS.get(name)
        if spec is not None:
            import importlib

            command = getattr(importlib.import_module(spec[0]), spec[1])
            self.add_command(command, name)
            return with_examples(ctx, name, adopt(command))
        from collectctl.plugins.manager import plugin_commands

        command = plugin_commands(CORE_COMMANDS).get(name)
        return with_examples(ctx, name, adopt(command)) if command is not None else None

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, spec[2]) for name, spec in CORE_COMMANDS.items()]
        plugin_rows = sorted(
            (n, h) for n, h in _plugin_command_help().items() if n not in CORE_COMMANDS
        )
        with formatter.section("Commands"):
            formatter.write_dl(rows)
        if plugin_rows:
            with formatter.section("Plugin commands"):
                formatter.write_dl(plugin_rows)

    def invoke(self, ctx: click.Context) -> Any:
        from collectctl.errors import CollectctlError

        try:
            return super().invoke(ctx)
        except CollectctlError as exc:
            if ctx.obj is not None and getattr(ctx.obj, "debug", False):
                import traceback

                traceback.print_exc()
            raise UserError(exc.format(), exc.exit_code) from exc
        except KeyboardInterrupt:
            # The shell convention for Ctrl-C (128 + SIGINT). Every ledger write is one
            # transaction, so the interrupted one was rolled back.
            click.echo("\nInterrupted: the step that was running wrote nothing.", err=True)
            raise click.exceptions.Exit(130) from None
        finally:
            app = ctx.obj
            if app is not None and hasattr(app, "close"):
                app.close()


@click.group(cls=RootGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__, "--version", "-V", prog_name="collectctl", message="%(prog)s %(version)s"
)
@click.option(
    "--profile",
    "-p",
    envvar="COLLECTCTL_PROFILE",
    metavar="NAME",
    shell_complete=complete_profile_option,
    help="Which set of books to use (default: 'default', or $COLLECTCTL_PROFILE).",
)
@click.option("--debug", is_flag=True, help="Show tracebacks and log requests on stderr.")
@click.pass_context
def cli(ctx: click.Context, profile: str | None, debug: bool) -> None:
    """collectctl: get unpaid invoices paid.

    Sync your books (CSV exports, QuickBooks Online), see who owes what and how late, and chase
    it. Each profile is one set of books; state lives in $COLLECTCTL_HOME, or without it in
    your config and data directories (`collectctl home show`).
    """
    from collectctl.app import App

    if debug:
        enable_debug_logging()
    remember_profile(ctx, profile)
    ctx.obj = App(profile=profile, debug=debug)


def main() -> None:
    """Console-script entry point: like ``cli()``, plus a one-line message for internal errors."""
    try:
        cli.main(prog_name="collectctl")
    except OSError as exc:  # the machine said no (a path that is a file, permissions, disk full)
        if "--debug" in sys.argv[1:]:
            raise
        where = f": {exc.filename}" if exc.filename else ""
        sys.stderr.write(
            f"Error: {exc.strerror or exc}{where}\n"
            "Check that path (COLLECTCTL_HOME and the profile's directories must be "
            "directories you can write); nothing else was changed.\n"
        )
        sys.exit(1)
    except Exception as exc:  # an unexpected bug: say so briefly, traceback only with --debug
        if "--debug" in sys.argv[1:]:
            raise
        sys.stderr.write(
            f"Error: internal error: {type(exc).__name__}: {exc}\n"
            "Run again with --debug for the traceback, and please report it.\n"
        )
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()

"""Shell completion callbacks: what people type after ``--format``, ``--profile``, a customer
id, ``--invoice``, a record id (ACT-, PRM-, DSP-, HLD-, ESC-) or a plan id (PL-).

click runs these while completing (``_COLLECTCTL_COMPLETE=bash_source collectctl``; docs/cli.md
has the line for each shell). They never create a profile or open the ledger for writing: the
profile is the one named on the command line so far (or ``$COLLECTCTL_PROFILE``), and a
missing profile or ledger completes nothing.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.shell_completion import CompletionItem


def _matching(items: list[tuple[str, str]], incomplete: str) -> list[CompletionItem]:
    """Items whose value (or help text) starts with ``incomplete``, case-insensitive."""
    typed = incomplete.casefold()
    return [
        CompletionItem(value, help=help or None)
        for value, help in items
        if value.casefold().startswith(typed) or (typed and help.casefold().startswith(typed))
    ]


def _ledger(ctx: click.Context) -> Path:
    """The ledger file of the profile being completed for (it may not exist)."""
    from collectctl.home import ConfigError, profile_paths

    profile = ctx.meta.get("collectctl.completing_profile")
    node: click.Context | None = ctx
    while node is not None:  # the innermost --profile typed so far wins
        if profile is None and node.params.get("profile"):
            profile = node.params["profile"]
        node = node.parent
    name = profile or os.environ.get("COLLECTCTL_PROFILE") or "default"
    try:
        return profile_paths(name).ledger
    except ConfigError:  # not a valid profile name: nothing to complete from
        return Path(os.devnull)


def complete_profiles(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Existing profile names."""
    from collectctl.home import list_profiles

    return _matching([(n, "") for n in list_profiles()], incomplete)


def complete_formats(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Output formats (built-in and plugins')."""
    from collectctl.plugins.manager import formats

    return _matching([(f.name, f.help) for f in formats().values()], incomplete)


def complete_customers(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Customer ids, with the name as help; typing the start of a name finds the id too."""
    from collectctl.ledger.lookup import customers

    return _matching(customers(_ledger(ctx)), incomplete)


def complete_invoices(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Invoice numbers (of the customer already typed, when there is one)."""
    from collectctl.ledger.lookup import invoices

    customer = ctx.params.get("customer_id") or ctx.params.get("account")
    found = invoices(_ledger(ctx), customer if isinstance(customer, str) else None)
    return _matching([(number, ext) for ext, number in found], incomplete)


def complete_records(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Record ids; only disputes (DSP-) for ``--resolve``."""
    from collectctl.ledger.lookup import record_ids

    prefixes = ("DSP",) if param.name == "resolve" else ("ACT", "PRM", "DSP", "HLD", "ESC")
    return _matching([(r, "") for r in record_ids(_ledger(ctx), prefixes)], incomplete.upper())


def complete_plans(
    ctx: click.Context, param: click.Parameter, incomplete: str
) -> list[CompletionItem]:
    """Plan ids (PL-n)."""
    from collectctl.ledger.lookup import plan_ids

    return _matching(plan_ids(_ledger(ctx)), incomplete.upper())

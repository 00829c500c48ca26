"""Options and parameter types of ``collectctl plan`` (kept apart to keep the command thin)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import click

from collectctl.commands.completion import complete_invoices
from collectctl.commands.options import (
    AMOUNT,
    CURRENCY,
    CUSTOMER,
    DATE,
    Count,
    as_of_option,
    output_option,
)

STATES = ("active", "broken", "completed", "cancelled")


class PlanIdType(click.ParamType):
    """A plan id: ``PL-7`` (or just ``7``)."""

    name = "plan_id"

    def shell_complete(self, ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from collectctl.commands.completion import complete_plans

        return complete_plans(ctx, param, incomplete)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from collectctl.ledger.plans import parse_plan_id

        if isinstance(value, int):
            return value
        key = parse_plan_id(str(value))
        if key is None:
            self.fail(f"{value!r} is not a plan id (like PL-7)", param, ctx)
        return key


class NonNegative(click.ParamType):
    """A plain decimal ≥ 0 (an amount or a percentage)."""

    def __init__(self, name: str, positive: bool = False) -> None:
        self.name = name
        self.positive = positive

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = AMOUNT.convert(value, param, ctx)
        if number < 0 or (self.positive and number == 0):
            self.fail(f"{value} must be {'above' if self.positive else 'at least'} 0", param, ctx)
        return number


PLAN_ID = PlanIdType()


def terms_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options ``plan propose`` and ``plan create`` share."""
    options = [
        click.argument("account", type=CUSTOMER),
        click.option("--invoice", "invoices", multiple=True, metavar="INV",
                     shell_complete=complete_invoices,
                     help="Cover only this invoice (repeatable); default: every open invoice."),
        click.option("--currency", type=CURRENCY, help="Which currency's invoices to cover."),
        click.option("--installments", type=Count(min=1), metavar="N",
                     help="Number of installments (after any down payment)."),
        click.option("--amount", type=NonNegative("amount", True), metavar="PER",
                     help="Amount per installment instead of --installments."),
        click.option("--every", type=click.Choice(["week", "2weeks", "month"]), required=True,
                     help="How often an installment falls due."),
        click.option("--start", type=DATE, required=True,
                     help="First due date (the down payment's, when there is one)."),
        click.option("--down", type=NonNegative("amount"), metavar="AMOUNT",
                     help="Down payment, due on --start."),
        click.option("--rate", type=NonNegative("percent"), metavar="PCT",
                     help="Interest, APR in percent (default none)."),
        click.option("--interest", type=click.Choice(["amortized", "simple"]),
                     help="Interest method with --rate (default amortized)."),
        click.option("--fee", type=NonNegative("amount"), metavar="AMOUNT",
                     help="Set-up fee, added to the first installment."),
        as_of_option,
        output_option,
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def build_draft(conn: Any, account: str, as_of: date, opts: dict[str, Any]) -> tuple[Any, int, int]:
    """Check the option combination and draft the schedule: ``(draft, grace_days, max_missed)``."""
    from collectctl.app import current_app
    from collectctl.reports.plans import Terms, draft, plan_settings

    if (opts["installments"] is None) == (opts["amount"] is None):
        raise click.UsageError("give exactly one of --installments N or --amount PER")
    if opts["interest"] and opts["rate"] is None:
        raise click.UsageError("--interest needs --rate")
    app = current_app()
    day = as_of
    grace, missed = plan_settings(app.settings.plans)
    opts["invoices"] = tuple(opts["invoices"])
    return draft(conn, account, Terms(**opts), day), grace, missed

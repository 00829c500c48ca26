"""``collectctl forecast``: when will each invoice be paid, and what comes in each week.

``forecast`` prints the forecast; ``forecast backtest`` replays past month-ends and scores it
against what really came in (docs/forecast.md).
"""

from __future__ import annotations

import sys
from datetime import date

import click

from collectctl.commands.options import CURRENCY, DATE, Count, emit, output_option


@click.group(invoke_without_command=True)
@click.option(
    "--as-of",
    "as_of",
    type=DATE,
    default=None,
    help="Forecast as of this date (default: today in the profile's time zone).",
)
@click.option("--weeks", type=Count(1, 52), default=None, help="Horizon in weeks (default 13).")
@click.option("--months", type=Count(1, 36), default=None, help="Horizon in calendar months.")
@click.option(
    "--by",
    type=click.Choice(["week", "invoice", "customer"]),
    default="week",
    show_default=True,
    help="Rows per period (week or month), per open invoice, or per customer.",
)
@click.option("--currency", type=CURRENCY, default=None, help="Only this currency.")
@output_option
@click.pass_context
def forecast(
    ctx: click.Context,
    as_of: date | None,
    weeks: int | None,
    months: int | None,
    by: str,
    currency: str | None,
    fmt: str,
) -> None:
    """Expected cash-in per week (or month) and per invoice, with a low/high band.

    Each customer's habits come from its own payment history (shrunk toward the whole profile's
    when it is short, recent payments weighing more); plans in good standing follow their
    schedule, promises their date; disputed invoices and escalated accounts are "at risk" and
    left out of expected cash. Money unlikely ever to come in is totalled separately.
    """
    if ctx.invoked_subcommand is not None:
        return
    if weeks is not None and months is not None:
        raise click.UsageError("give --weeks or --months, not both")
    from collectctl.app import current_app
    from collectctl.commands.account_options import grace_days
    from collectctl.reports import forecast as report
    from collectctl.reports.forecast_render import chart_lines, to_report

    app = current_app()
    day = as_of or app.clock.today()
    unit, count = ("month", months) if months is not None else ("week", weeks or 13)
    doc = report.forecast_document(
        app.ledger().conn,
        day,
        unit=unit,
        count=count,
        by=by,
        currency=currency,
        grace_days=grace_days(app),
    )
    emit(to_report(doc), fmt)
    if fmt == "table" and sys.stdout.isatty():
        click.echo("\n".join(chart_lines(doc)))


@forecast.command("backtest")
@click.option("--from", "start", type=DATE, required=True, help="First month-end to replay.")
@click.option("--to", "end", type=DATE, required=True, help="Last month-end to replay.")
@click.option(
    "--weeks",
    type=Count(1, 52),
    default=13,
    show_default=True,
    help="Weeks forecast from each month-end.",
)
@click.option("--currency", type=CURRENCY, default=None, help="Only this currency.")
@output_option
def backtest(start: date, end: date, weeks: int, currency: str | None, fmt: str) -> None:
    """Replay the forecast at each month-end from --from to --to, using only what was known
    then, and compare with what really came in; the naive forecast ("every invoice is paid on
    its due date") is scored in the same run.
    """
    from collectctl.app import current_app
    from collectctl.commands.account_options import grace_days
    from collectctl.errors import CollectctlError
    from collectctl.reports import forecast_backtest as bt
    from collectctl.reports.forecast_render import backtest_report

    if end < start:
        raise click.BadParameter(f"{end} is before --from {start}", param_hint="'--to'")
    app = current_app()
    days = bt.month_ends(start, end)
    if not days:
        raise CollectctlError(
            f"no month-end between {start} and {end}",
            hint="Give --from and --to around at least one last day of a month.",
        )
    doc = bt.backtest_document(
        app.ledger().conn, days, weeks=weeks, currency=currency, grace_days=grace_days(app)
    )
    if not doc["month_ends"]:
        known = doc["books_end"]
        raise CollectctlError(
            f"nothing to score between {start} and {end}: "
            + (f"the books' last payment is dated {known}" if known else "the books are empty"),
            hint="Choose month-ends at least a week before the last payment in the books.",
        )
    emit(backtest_report(doc), fmt)

"""``collectctl metrics``: DSO, CEI, days delinquent, days to pay per currency (docs/metrics.md)."""

from __future__ import annotations

import sys
from datetime import date
from typing import TYPE_CHECKING, Any

import click

from collectctl.commands.every_profile import (
    all_profiles_option,
    each_profile,
    merge_documents,
    with_profile_column,
)
from collectctl.commands.options import (
    CURRENCY,
    DATE,
    Count,
    as_of_option,
    emit,
    note_empty_books,
    output_option,
)

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App


@click.command()
@as_of_option
@click.option("--to", "to", type=DATE, default=None, help="Same as --as-of: the period's end.")
@click.option("--from", "start", type=DATE, default=None, help="First day of the period.")
@click.option(
    "--months",
    type=Count(1, 60),
    default=None,
    help="Period of N months ending at --as-of (default 3).",
)
@click.option("--currency", type=CURRENCY, default=None, help="Only this currency.")
@click.option(
    "--by",
    type=click.Choice(["total", "month", "customer"]),
    default="total",
    show_default=True,
    help="One row per currency, a month-by-month trend, or days to pay per customer.",
)
@all_profiles_option
@output_option
def metrics(
    as_of: date,
    to: date | None,
    start: date | None,
    months: int | None,
    currency: str | None,
    by: str,
    all_profiles: bool,
    fmt: str,
) -> None:
    """Receivables metrics per currency: DSO, CEI, days delinquent, days to pay.

    The period is the N months (--months, default 3) ending at --as-of, or --from to --as-of.
    AR figures are reconstructed as of each date exactly like `aging --as-of`. Every metric is
    named with its definition in the JSON output; undefined values (no sales, AR ≤ 0) are null.
    """
    from collectctl.app import current_app
    from collectctl.commands.options import date_given
    from collectctl.domain.calendar import months_in, period_start
    from collectctl.reports import metrics as report

    if date_given() and to and as_of != to:
        raise click.UsageError("--to and --as-of name the same date; give one of them")
    if start and months:
        raise click.UsageError("give --from or --months, not both")

    def build(app: App) -> dict[str, Any]:
        nonlocal start, months
        note_empty_books(app)
        end = to or as_of
        try:
            if start is None:
                months = months or 3
                start = period_start(end, months)
            elif start > end:
                raise click.UsageError(f"--from {start} is after the period end {end}")
            else:
                months = months_in(start, end)
            conn = app.ledger().conn
            doc: dict[str, Any] = report.document(
                conn, start, end, months, by=by, currency=currency
            )
        except (OverflowError, ValueError) as exc:  # a period reaching outside years 1-9999
            raise click.UsageError(
                f"the period ending {end} reaches outside the calendar ({exc})"
            ) from None
        return doc

    app = current_app()
    if all_profiles:
        doc = merge_documents([(name, build(app)) for name in each_profile(app)])
    else:
        doc = build(app)
    chart = fmt == "table" and sys.stdout.isatty() and not all_profiles
    shown = report.to_report(doc, fmt in ("table", "md"), chart)
    emit(with_profile_column(shown) if all_profiles else shown, fmt)

"""``collectctl metrics``: DSO, CEI, days delinquent, days to pay per currency (docs/metrics.md)."""

from __future__ import annotations

import sys
from datetime import date, timedelta
from typing import Any

import click

from collectctl.commands.options import CURRENCY, DATE, as_of_option, emit, output_option
from collectctl.output import Column, ColumnKind, Report

METRIC_COLUMNS = [
    Column("dso", kind="number"),
    Column("dso_countback", title="countback", kind="number"),
    Column("best_possible_dso", title="bpdso", kind="number"),
    Column("average_days_delinquent", title="add", kind="number"),
    Column("cei", kind="number"),
    Column("percent_current", title="%current", kind="number"),
    Column("percent_91_plus", title="%91+", kind="number"),
    Column("average_days_to_pay", title="days to pay", kind="number"),
]
#: CSV carries every key of a row; the table shows the headline ones.
CSV_KEYS = [
    "from",
    "to",
    "days",
    "sales",
    "begin_ar",
    "end_ar",
    "current_ar",
    "over_90_ar",
    "dso",
    "dso_last_3_months",
    "dso_countback",
    "dso_countback_30",
    "best_possible_dso",
    "average_days_delinquent",
    "cei",
    "cei_monthly",
    "percent_current",
    "percent_91_plus",
    "ar_turnover",
    "paid_invoices",
    "average_days_to_pay",
    "average_days_to_pay_weighted",
]
MONEY = {"sales", "begin_ar", "end_ar", "current_ar", "over_90_ar"}
BLOCKS = "▁▂▃▄▅▆▇█"


def sparkline(values: list[Any]) -> str:
    """Block characters scaled between the series' min and max; a blank for undefined."""
    known = [float(v) for v in values if v is not None]
    if not known:
        return " " * len(values)
    low, high = min(known), max(known)
    span = (high - low) or 1.0
    return "".join(
        " " if v is None else BLOCKS[round((float(v) - low) / span * (len(BLOCKS) - 1))]
        for v in values
    )


def trend_lines(rows: list[dict[str, Any]]) -> list[str]:
    """One sparkline per currency for DSO (countback) and CEI, oldest month first."""
    lines = []
    for code in dict.fromkeys(r["currency"] for r in rows):
        mine = [r for r in rows if r["currency"] == code]
        for key, label in (("dso_countback", "DSO countback"), ("cei", "CEI %")):
            values = [r[key] for r in mine]
            shown = [v for v in values if v is not None]
            ends = f"{shown[0]} → {shown[-1]}" if shown else "undefined"
            lines.append(f"{code} {label:<13} {sparkline(values)}  {ends}")
    return lines


def to_report(document: dict[str, Any], human: bool, chart: bool) -> Report:
    """Table/md: the headline metrics (plus a trend chart on a terminal); csv: every key;
    json: the whole document."""
    by = document["by"]
    if by == "customer":
        columns = [
            Column("customer_id"),
            Column("customer"),
            Column("currency"),
            Column("paid_invoices", kind="int"),
            Column("average_days_to_pay", kind="number"),
            Column("average_days_to_pay_weighted", kind="number"),
        ]
        return Report(columns=columns, rows=document["rows"], document=document)
    lead = [Column("currency")] + ([Column("month")] if by == "month" else [])
    if not human:
        full = [Column(k, kind=_kind(k)) for k in CSV_KEYS]
        return Report(columns=lead + full, rows=document["rows"], document=document)
    period = f"{document['from']} to {document['to']} ({document['days']} days)"
    return Report(
        columns=[*lead, Column("end_ar", kind="money"), *METRIC_COLUMNS],
        rows=document["rows"],
        document=document,
        title=f"Receivables metrics, {period}",
        footer=trend_lines(document["rows"]) if chart and by == "month" else [],
    )


def _kind(key: str) -> ColumnKind:
    if key in MONEY:
        return "money"
    if key in ("from", "to"):
        return "date"
    return "int" if key in ("days", "paid_invoices") else "number"


def period_start(end: date, months: int) -> date:
    """First day of the ``months`` months ending at ``end``: whole calendar months when ``end``
    is a month's last day (2026-10-31, 3 → 2026-08-01), else from the day after the same day
    ``months`` months earlier (2026-11-15, 3 → 2026-08-16)."""
    import calendar

    whole = (end + timedelta(days=1)).day == 1
    back = months - 1 if whole else months
    year, month0 = divmod(end.year * 12 + end.month - 1 - back, 12)
    if whole:
        return date(year, month0 + 1, 1)
    day = min(end.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day) + timedelta(days=1)


@click.command()
@as_of_option
@click.option("--to", "to", type=DATE, default=None, help="Same as --as-of: the period's end.")
@click.option("--from", "start", type=DATE, default=None, help="First day of the period.")
@click.option(
    "--months",
    type=click.IntRange(1, 60),
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
@output_option
def metrics(
    as_of: date,
    to: date | None,
    start: date | None,
    months: int | None,
    currency: str | None,
    by: str,
    fmt: str,
) -> None:
    """Receivables metrics per currency: DSO, CEI, days delinquent, days to pay.

    The period is the N months (--months, default 3) ending at --as-of, or --from to --as-of.
    AR figures are reconstructed as of each date exactly like `aging --as-of`. Every metric is
    named with its definition in the JSON output; undefined values (no sales, AR ≤ 0) are null.
    """
    from collectctl.app import current_app
    from collectctl.commands.options import date_given
    from collectctl.ledger import metrics as ledger_metrics

    if date_given() and to and as_of != to:
        raise click.UsageError("--to and --as-of name the same date; give one of them")
    if start and months:
        raise click.UsageError("give --from or --months, not both")
    app = current_app()
    end = to or as_of
    try:
        if start is None:
            months = months or 3
            start = period_start(end, months)
        elif start > end:
            raise click.UsageError(f"--from {start} is after the period end {end}")
        else:
            months = max(1, round((end - start).days / 30.44))
        conn = app.ledger().conn
        doc = ledger_metrics.document(conn, start, end, months, by=by, currency=currency)
    except (OverflowError, ValueError) as exc:  # a period reaching outside years 1-9999
        raise click.UsageError(
            f"the period ending {end} reaches outside the calendar ({exc})"
        ) from None
    chart = fmt == "table" and sys.stdout.isatty()
    emit(to_report(doc, fmt in ("table", "md"), chart), fmt)

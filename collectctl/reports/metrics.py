"""The ``collectctl metrics`` document and its presentation (docs/metrics.md).

Inputs come from :mod:`collectctl.ledger.metrics` (AR series and days to pay, summed in SQL);
the formulas are the pure :mod:`collectctl.domain.metrics`; this module assembles one row per
currency (and month, or customer), names every metric with its definition, and shapes the
rows for each output format.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from collectctl.domain import metrics as m
from collectctl.domain.calendar import month_periods
from collectctl.ledger.aging import customer_names
from collectctl.ledger.metrics import DaysToPay, Series, days_to_pay, series
from collectctl.money import from_minor
from collectctl.output import Column, ColumnKind, Report

DEFINITIONS: dict[str, str] = {
    "dso": "standard: E / S x D",
    "dso_last_3_months": "last 3 months: E / (sales of the last 3 calendar months) x their days",
    "dso_countback": "countback: walk months back from the period end subtracting each "
    "month's sales from E, actual days per month",
    "dso_countback_30": "countback with 30-day months",
    "best_possible_dso": "Ec / S x D",
    "average_days_delinquent": "DSO - best possible DSO (same D and S)",
    "cei": "(B + S - E) / (B + S - Ec) x 100",
    "cei_monthly": "(B + S/N - E) / (B + S/N - Ec) x 100, N = months in the period",
    "percent_current": "Ec / E x 100",
    "percent_91_plus": "91+ bucket / E x 100",
    "ar_turnover": "S / ((B + E) / 2)",
    "average_days_to_pay": "mean of (date fully paid - issue date) over invoices fully paid "
    "in the period",
    "average_days_to_pay_weighted": "sum(amount x days to pay) / sum(amount), same invoices",
}


def _metrics(s: Series, k0: int, k: int, start: date, end: date, months: int) -> dict[str, Any]:
    """The metrics of one currency for the period start..end (B at cut k0, E at cut k)."""
    sales = s.sales_to[k] - s.sales_to[k0]
    b, e, ec = s.ar[k0], s.ar[k], s.current[k]
    monthly = [(date(y, mo, 1), amounts[k]) for (y, mo), amounts in s.monthly.items()]
    monthly = [(d, a) for d, a in monthly if (d.year, d.month) <= (end.year, end.month)]
    r = m.round_metric
    return {
        "sales": sales,
        "begin_ar": b,
        "end_ar": e,
        "current_ar": ec,
        "over_90_ar": s.over_90[k],
        "dso": r(m.dso(e, sales, start, end)),
        "dso_last_3_months": r(m.dso_recent(e, monthly, end, 3)),
        "dso_countback": r(m.dso_countback(e, monthly, end)),
        "dso_countback_30": r(m.dso_countback(e, monthly, end, thirty_day_months=True)),
        "best_possible_dso": r(m.best_possible_dso(ec, sales, start, end)),
        "average_days_delinquent": r(m.average_days_delinquent(e, ec, sales, start, end)),
        "cei": r(m.cei(b, sales, e, ec)),
        "cei_monthly": r(m.cei_monthly(b, sales, e, ec, months)),
        "percent_current": r(m.percent_current(ec, e)),
        "percent_91_plus": r(m.percent_91_plus(s.over_90[k], e)),
        "ar_turnover": r(m.ar_turnover(sales, b, e)),
    }


def _days(paid: DaysToPay | None) -> dict[str, Any]:
    round_metric = m.round_metric
    if paid is None or paid.invoices == 0:
        return {
            "paid_invoices": 0,
            "average_days_to_pay": None,
            "average_days_to_pay_weighted": None,
        }
    weighted = None
    if paid.amount > 0:
        weighted = round_metric(Decimal(paid.amount_days) / Decimal(paid.amount))
    return {
        "paid_invoices": paid.invoices,
        "average_days_to_pay": round_metric(Decimal(paid.days) / Decimal(paid.invoices)),
        "average_days_to_pay_weighted": weighted,
    }


MONEY_KEYS = ("sales", "begin_ar", "end_ar", "current_ar", "over_90_ar")


def _money(row: dict[str, Any], currency: str) -> dict[str, Any]:
    return {k: from_minor(v, currency) if k in MONEY_KEYS else v for k, v in row.items()}


def document(
    conn: sqlite3.Connection,
    start: date,
    end: date,
    months: int,
    *,
    by: str = "total",
    currency: str | None = None,
) -> dict[str, Any]:
    """The JSON document of ``collectctl metrics`` (shape in docs/metrics.md)."""
    head = {
        "as_of": end,
        "from": start,
        "to": end,
        "days": (end - start).days + 1,
        "months": months,
        "by": by,
        "definitions": DEFINITIONS,
    }
    if by == "customer":
        paid = days_to_pay(conn, start, end, currency=currency, by="customer")
        who = customer_names(conn, [key for _, key in paid])
        keys = sorted(paid, key=lambda ck: (who[ck[1]][1].casefold(), ck[0], who[ck[1]][0]))
        rows = [
            {
                "customer_id": who[key][0],
                "customer": who[key][1],
                "currency": code,
                **_days(paid[(code, key)]),
            }
            for code, key in keys
        ]
        return {**head, "rows": rows}
    periods = [(start, end)] if by == "total" else month_periods(start, end)
    cuts = [start - timedelta(days=1)] + [p_end for _, p_end in periods]
    data = series(conn, cuts, currency)
    paid = days_to_pay(conn, start, end, currency=currency, by="month" if by == "month" else None)
    rows = []
    for code in sorted(data):
        for index, (p_start, p_end) in enumerate(periods):
            n_months = months if by == "total" else 1
            row: dict[str, Any] = {"currency": code}
            if by == "month":
                row["month"] = p_start.strftime("%Y-%m")
            row.update({"from": p_start, "to": p_end, "days": (p_end - p_start).days + 1})
            row.update(_metrics(data[code], index, index + 1, p_start, p_end, n_months))
            key = (code, p_start.strftime("%Y-%m")) if by == "month" else (code,)
            row.update(_days(paid.get(key)))
            rows.append(_money(row, code))
    return {**head, "rows": rows}


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

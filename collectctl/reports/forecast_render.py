"""Forecast documents for every output format, and the small terminal chart.

The chart is a bar per period and currency: ``█`` up to the low end of the band, ``▓`` from low
to expected, ``░`` from expected to high. It is drawn only on a terminal; piped output gets the
plain numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from collectctl.output import Column, Report

WEEK_COLUMNS = [
    Column("period", kind="int"),
    Column("start", kind="date"),
    Column("end", kind="date"),
    Column("currency"),
    Column("expected", kind="money"),
    Column("low", kind="money"),
    Column("high", kind="money"),
]
INVOICE_COLUMNS = [
    Column("invoice_id"),
    Column("number"),
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("due_date", kind="date"),
    Column("balance", kind="money"),
    Column("status"),
    Column("ref"),
    Column("expected_date", kind="date"),
    Column("early_date", "p25 date", kind="date"),
    Column("late_date", "p75 date", kind="date"),
    Column("p_horizon", kind="number"),
    Column("p_never", kind="number"),
]
CUSTOMER_COLUMNS = [
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("balance", kind="money"),
    Column("expected_in_horizon", "in horizon", kind="money"),
    Column("expected_later", "later", kind="money"),
    Column("unlikely", kind="money"),
    Column("at_risk", "at risk", kind="money"),
    Column("typical_days_late", "days late", kind="int"),
    Column("next_payment", kind="date"),
]


def to_report(doc: Mapping[str, Any]) -> Report:
    """``collectctl forecast`` for any format (JSON: the whole document)."""
    columns = {"invoice": INVOICE_COLUMNS, "customer": CUSTOMER_COLUMNS}.get(
        doc["by"], WEEK_COLUMNS
    )
    footer = [""] + [
        f"{t['currency']}: open {t['open']}, expected in the horizon {t['expected_in_horizon']}, "
        f"later {t['expected_later']}, unlikely to be collected {t['unlikely']}, at risk "
        f"(disputed or escalated) {t['at_risk']}"
        for t in doc["totals"]
    ]
    footer.append(
        f"Horizon: {doc['periods']} {doc['unit']}(s) to {doc['horizon_end']}; band = "
        f"{doc['model']['band']}."
    )
    return Report(
        columns=columns,
        rows=doc["rows"],
        document=doc,
        footer=footer,
    )


def chart_lines(doc: Mapping[str, Any], width: int = 40) -> list[str]:
    """A bar chart of expected cash per period with its band, one block per currency."""
    lines: list[str] = []
    by_cur: dict[str, list[Mapping[str, Any]]] = {}
    for r in doc["cash"]:
        by_cur.setdefault(r["currency"], []).append(r)
    for cur, rows in by_cur.items():
        top = max((Decimal(r["high"]) for r in rows), default=Decimal(0))
        lines.append("")
        lines.append(f"{cur} expected cash-in per {doc['unit']} (█ low, ▓ expected, ░ high)")
        for r in rows:
            low, mid, high = Decimal(r["low"]), Decimal(r["expected"]), Decimal(r["high"])
            scale = Decimal(width) / top if top > 0 else Decimal(0)
            a, b, c = (int(v * scale + Decimal("0.5")) for v in (low, mid, high))
            bar = "█" * a + "▓" * max(b - a, 0) + "░" * max(c - b, 0)
            lines.append(f"{r['start']}  {bar:<{width}}  {r['expected']}")
    return lines


BACKTEST_COLUMNS = [
    Column("measure"),
    Column("currency"),
    Column("model", "model MAE"),
    Column("naive", "naive MAE"),
    Column("ratio", kind="number"),
    Column("samples", kind="int"),
]


def backtest_report(doc: Mapping[str, Any]) -> Report:
    """``forecast backtest`` for any format."""
    replayed = ", ".join(str(m["as_of"]) for m in doc["month_ends"]) or "none"
    return Report(
        columns=BACKTEST_COLUMNS,
        rows=doc["rows"],
        document=doc,
        title=f"Back-test of {doc['weeks']}-week forecasts at month-ends: {replayed}",
        footer=[
            "ratio = model MAE ÷ naive MAE (naive: every invoice paid on its due date, "
            "an overdue one the next day); below 1 the model beats it.",
            f"Actuals known to {doc['books_end']}; later weeks are left out.",
        ],
    )

"""``forecast backtest``: replay month-ends, forecast with only what was known, score it.

At each month-end M the model is rebuilt from the ledger as of M (allocations dated after M are
invisible to it, exactly as in an as-of aging) and forecasts the next N weeks for the invoices
open at M that are not at risk. It is then compared with what really came in on those invoices
(``payment`` allocations dated in each week) and with the naive forecast "every invoice is paid
on its due date" (an overdue invoice: on the day after M). Scores, pooled over the month-ends:

* weekly cash-in MAE per currency: the mean over (month-end, week) of |forecast − actual|;
* pay-date MAE: the mean over invoices open at M that were later paid in full (no write-off) of
  |forecast pay date − real pay date| in days; the model's date is its median.

Weeks that end after the books' last allocation are left out (nothing is known about them yet).
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import Any

from collectctl.domain import cashflow
from collectctl.domain import forecast as model
from collectctl.ledger import forecast as loader
from collectctl.money import formatter
from collectctl.reports.forecast import GEOMETRY, gc_paused, outlooks, payer, waiting


def month_ends(start: date, end: date) -> list[date]:
    """Every last day of a month in ``[start, end]``."""
    out: list[date] = []
    year, month = start.year, start.month
    while True:
        nxt = date(year + month // 12, month % 12 + 1, 1)
        last = nxt - timedelta(days=1)
        if last > end:
            return out
        if last >= start:
            out.append(last)
        year, month = nxt.year, nxt.month


def _mae(errors: Sequence[float]) -> float | None:
    return sum(errors) / len(errors) if errors else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else round(a / b, 3)


@gc_paused
def backtest_document(
    conn: sqlite3.Connection,
    days: Sequence[date],
    *,
    weeks: int = 13,
    currency: str | None = None,
    grace_days: int = 0,
    settings: model.ModelSettings = model.ModelSettings(),
) -> dict[str, Any]:
    """The JSON document of ``forecast backtest`` over the month-ends ``days``."""
    known = loader.books_end(conn)
    replay = [m for m in days if known is not None and m + timedelta(days=7) <= known]
    history = loader.payment_history_at(
        conn, replay, GEOMETRY, settings.half_life_days, by_currency=True
    )
    pending: tuple[date, Iterable[tuple[loader.Payer, int, float]]] | None = next(history, None)
    receipts = (
        loader.receipts_between(conn, min(days), max(days) + timedelta(days=7 * weeks))
        if days
        else []
    )
    receipt_days = [r[0] for r in receipts]
    write_offs = loader.last_write_offs(conn)
    cash: dict[str, dict[str, list[float]]] = defaultdict(lambda: {"model": [], "naive": []})
    dates: dict[str, list[float]] = {"model": [], "naive": []}
    replayed = []
    for m in days:
        spans = cashflow.periods(m, "week", weeks)
        usable = [s for s in spans if known is not None and s.end <= known]
        if not usable:
            continue
        hist_rows: Iterable[tuple[loader.Payer, int, float]] = ()
        while pending is not None and pending[0] <= m:
            if pending[0] == m:
                hist_rows = pending[1]
            pending = next(history, None)
        every = loader.open_invoices(conn, m, with_paid_on=True)  # all count as evidence
        invoices = [i for i in every if i.currency == currency] if currency else every
        only = {payer(i) for i in invoices}
        beh = model.build_behaviours(hist_rows, settings, only, waiting(m, every))
        del every
        del hist_rows
        looks = outlooks(
            conn,
            m,
            beh,
            settings,
            currency=currency,
            grace_days=grace_days,
            invoices=invoices,
            curves=False,
        )
        bounds = [s.last for s in usable]
        horizon = bounds[-1]
        n = len(usable)
        expected: dict[str, list[float]] = defaultdict(lambda n=n: [0.0] * n)  # type: ignore[misc]
        naive: dict[str, list[float]] = defaultdict(lambda n=n: [0.0] * n)  # type: ignore[misc]
        actual: dict[str, list[float]] = {}
        wanted: dict[int, str] = {}
        add_curve = cashflow.add_curve
        model_err, naive_err = dates["model"], dates["naive"]
        for item in looks:
            inv, look = item.invoice, item.outlook
            if look is None and item.status != "forecast":
                continue  # at risk
            cur = inv.currency
            bal = inv.balance
            paid_on = inv.paid_on
            # scored for its pay date: paid in full after m, not by a write-off
            scored = paid_on is not None and paid_on > m and write_offs.get(inv.key, m) <= m
            median: int | None
            if look is None:
                # the usual invoice: its customer's curve, without an Outlook object
                median = add_curve(expected[cur], bal, item.behaviour, item.overdue, bounds, scored)
            else:
                row = expected[cur]
                for k, s in enumerate(cashflow.period_shares(look, bounds)):
                    row[k] += bal * s
                median = look.quantile(0.5) if scored else None
            wanted[inv.key] = cur
            naive_offset = max(1, -item.overdue)  # the due date, an overdue invoice tomorrow
            if naive_offset <= horizon:
                naive[cur][(naive_offset - 1) // 7] += bal
            if cur not in actual:
                actual[cur] = [0.0] * n
            if scored and median is not None:
                real = (paid_on - m).days  # type: ignore[operator]
                model_err.append(abs(median - real))
                naive_err.append(abs(naive_offset - real))
        day0 = m.toordinal()
        window = slice(bisect_right(receipt_days, day0), bisect_right(receipt_days, day0 + horizon))
        for day, key, amount in receipts[window]:
            cur_of = wanted.get(key)
            if cur_of is not None:
                actual[cur_of][(day - day0 - 1) // 7] += amount
        for cur, got in actual.items():
            for k, a in enumerate(got):
                cash[cur]["model"].append(abs(expected[cur][k] - a))
                cash[cur]["naive"].append(abs(naive[cur][k] - a))
        replayed.append(
            {
                "as_of": m,
                "weeks": len(usable),
                "invoices": len(wanted),
                "currencies": [
                    {
                        "currency": cur,
                        "expected": formatter(cur)(cashflow.round_units(sum(expected[cur]))),
                        "naive": formatter(cur)(cashflow.round_units(sum(naive[cur]))),
                        "actual": formatter(cur)(cashflow.round_units(sum(actual[cur]))),
                    }
                    for cur in sorted(actual)
                ],
            }
        )
    rows = []
    for cur in sorted(cash):
        fmt = formatter(cur)
        mod, nai = _mae(cash[cur]["model"]), _mae(cash[cur]["naive"])
        rows.append(
            {
                "measure": "weekly cash-in",
                "currency": cur,
                "model": fmt(cashflow.round_units(mod or 0.0)),
                "naive": fmt(cashflow.round_units(nai or 0.0)),
                "ratio": _ratio(mod, nai),
                "samples": len(cash[cur]["model"]),
            }
        )
    mod_d, nai_d = _mae(dates["model"]), _mae(dates["naive"])
    rows.append(
        {
            "measure": "pay date (days)",
            "currency": None,
            "model": None if mod_d is None else f"{mod_d:.2f}",
            "naive": None if nai_d is None else f"{nai_d:.2f}",
            "ratio": _ratio(mod_d, nai_d),
            "samples": len(dates["model"]),
        }
    )
    return {
        "from": days[0] if days else None,
        "to": days[-1] if days else None,
        "weeks": weeks,
        "books_end": known,
        "month_ends": replayed,
        "rows": rows,
    }

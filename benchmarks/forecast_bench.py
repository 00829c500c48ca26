"""The ``forecast`` benchmark: ``collectctl forecast`` and ``forecast backtest`` per size.

Registered in ``run.py`` by importing this module (``--only forecast`` selects it). Per size, on
the synced generator books (history ends 2026-10-31):

- ``forecast --as-of 2026-10-31 --format json`` (13 weeks, by week) — target ≤ 5 s at 1M;
- ``forecast --by invoice`` — every open invoice with its dates (no target);
- ``forecast backtest`` over the 12 month-ends 2025-08-31 … 2026-07-31 — target ≤ 60 s at 1M.
  Its output is checked: the back-test's ratios are reported in the note (model ÷ naive MAE
  of weekly cash-in, worst currency, and of pay dates), the figures docs/forecast.md quotes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

BENCH_DIR = Path(__file__).resolve().parent
AS_OF = "2026-10-31"
BACKTEST_FROM = "2025-08-01"
BACKTEST_TO = "2026-07-31"

if TYPE_CHECKING:  # pragma: no cover
    from run import Result, SizeContext


from bench_runner import runner  # noqa: E402

_run = runner()


def check_forecast(out: Path) -> str:
    """The forecast envelope: rows, cash per period, totals per currency."""
    doc = json.loads(out.read_text(encoding="utf-8"))
    if not {"rows", "cash", "totals"} <= set(doc):
        raise ValueError("not the forecast JSON envelope (rows, cash, totals)")
    return f"{len(doc['rows'])} rows, {len(doc['totals'])} currencies"


def check_backtest(out: Path) -> str:
    """The back-test's ratios: worst weekly cash-in ratio over currencies, and the pay dates."""
    doc = json.loads(out.read_text(encoding="utf-8"))
    cash = [r["ratio"] for r in doc["rows"] if r["measure"] == "weekly cash-in"]
    dates = [r for r in doc["rows"] if r["measure"] != "weekly cash-in"]
    if not cash or not dates or dates[0]["ratio"] is None:
        raise ValueError("the back-test scored nothing")
    months = len(doc["month_ends"])
    worst = max(c for c in cash if c is not None)
    return (
        f"{months} month-ends; weekly cash-in ratio worst {worst:.3f} (≤ 0.6 wanted), "
        f"pay date {dates[0]['model']} vs {dates[0]['naive']} days, ratio "
        f"{dates[0]['ratio']:.3f} (≤ 0.5 wanted)"
    )


@_run.register(
    "forecast",
    per_size=True,
    description=f"forecast --as-of {AS_OF} (by week, by invoice) and backtest over 12 month-ends",
)
def bench_forecast(ctx: SizeContext) -> list[Result]:
    """The cash-in forecast and its back-test on the generator's books."""
    if not ctx.ensure_synced():
        return [_run.Result("forecast", "forecast", ctx.size, note="skipped: no ledger")]
    target = _run.Target
    return [
        ctx.measure(
            f"forecast --as-of {AS_OF}",
            ["forecast", "--as-of", AS_OF, "--format", "json"],
            home=ctx.home,
            target=target(size="1M", max_seconds=5.0),
            check_output=check_forecast,
        ),
        ctx.measure(
            f"forecast --by invoice --as-of {AS_OF}",
            ["forecast", "--by", "invoice", "--as-of", AS_OF, "--format", "json"],
            home=ctx.home,
            check_output=check_forecast,
        ),
        ctx.measure(
            f"forecast backtest --from {BACKTEST_FROM} --to {BACKTEST_TO}",
            ["forecast", "backtest", "--from", BACKTEST_FROM, "--to", BACKTEST_TO,
             "--format", "json"],
            home=ctx.home,
            repeat=1,
            target=target(size="1M", max_seconds=60.0),
            check_output=check_backtest,
        ),
    ]  # fmt: skip

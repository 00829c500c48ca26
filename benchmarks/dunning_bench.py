"""The ``dunning`` benchmark: ``dunning run --dry-run`` over the whole ledger, with holds,
disputes, promises and payment plans seeded (so the skip paths run), ≤ 10 s and ≤ 500 MB at 1M.

Registered in ``run.py`` by importing this module (``--only dunning`` selects it). The seeding is
untimed SQL against the benchmark ledger and is undone afterwards, like ``plan-status``.
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

BENCH_DIR = Path(__file__).resolve().parent

if TYPE_CHECKING:  # pragma: no cover
    from run import Result, SizeContext

POLICY = """
max_letters_per_run = 1000000
[sections.std]
min_gap_days = 7
channel = "email"
fallback_channel = "file"
repeat_every_days = 14
max_repeats = 2
min_balance = { USD = "10.00", EUR = "10.00", GBP = "10.00" }
[[sections.std.stages]]
category = "courtesy"
offset_days = -3
[[sections.std.stages]]
category = "reminder"
offset_days = 3
[[sections.std.stages]]
category = "firm"
offset_days = 14
[[sections.std.stages]]
category = "final"
offset_days = 30
"""
SEEDED = ("holds", "disputes", "promises")


def _runner() -> ModuleType:
    """The benchmark runner importing us: ``__main__`` when run.py is the script, else ``run``."""
    main = sys.modules.get("__main__")
    main_file = getattr(main, "__file__", None)
    if main is not None and main_file and Path(main_file).resolve() == BENCH_DIR / "run.py":
        return main
    import run

    return run


_run = _runner()


def seed(ledger: Path, as_of: str) -> dict[str, int]:
    """Holds on 1 customer in 50, disputes on 1 invoice in 200, promises (due after ``as_of``)
    from 1 customer in 40; returns how many of each."""
    conn = sqlite3.connect(str(ledger), isolation_level=None)
    stamp = as_of + "T09:00:00+00:00"
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            """INSERT INTO holds (source, customer_ext, start_on, until_on, reason, created_at)
               SELECT source, ext_id, ?, NULL, 'benchmark', ? FROM customers WHERE id % 50 = 0""",
            (as_of, stamp),
        )
        conn.execute(
            """INSERT INTO disputes (source, customer_ext, invoice_ext, reason, opened_on,
                   created_at)
               SELECT i.source, c.ext_id, i.ext_id, 'wrong-amount', ?, ?
               FROM invoices i JOIN customers c ON c.id = i.customer
               WHERE i.id % 200 = 0 AND i.amount > i.allocated""",
            (as_of, stamp),
        )
        conn.execute(
            """INSERT INTO promises (source, customer_ext, currency, amount, made_on, due_on,
                   created_at)
               SELECT source, ext_id, currency, 10000, ?, date(?, '+10 days'), ?
               FROM customers WHERE id % 40 = 1""",
            (as_of, as_of, stamp),
        )
        conn.execute("COMMIT")
        return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SEEDED}
    finally:
        conn.close()


def unseed(ledger: Path) -> None:
    """Remove what :func:`seed` added (the benchmark ledger has no other such records)."""
    conn = sqlite3.connect(str(ledger), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for table in SEEDED:
            conn.execute(f"DELETE FROM {table}")
        conn.execute("COMMIT")
    finally:
        conn.close()


@_run.register(
    "dunning",
    per_size=True,
    description=f"dunning run --dry-run --as-of {_run.AS_OF} with holds, disputes, promises "
    "and plans seeded",
)
def bench_dunning(ctx: SizeContext) -> list[Result]:
    """Every account's dunning decision from one read of the ledger (fixed number of queries)."""
    case = f"dunning run --dry-run --as-of {_run.AS_OF}"
    if not ctx.ensure_synced():
        return [_run.Result("dunning", case, ctx.size, note="skipped: no ledger")]
    ledger = ctx.home / "profiles" / "default" / "ledger.db"
    policy = ctx.home / "dunning-bench.toml"
    policy.write_text(POLICY, encoding="utf-8")
    seeded = seed(ledger, _run.AS_OF)
    plans = _run._create_plans(ledger, min(_run.PLAN_BENCH_MAX, max(1, ctx.invoices // 100)))

    def check(out: Path) -> str:
        doc = json.loads(out.read_text(encoding="utf-8"))
        reasons = ", ".join(f"{n} {r}" for r, n in sorted(doc["skip_reasons"].items()))
        return f"{doc['summary'].get('would-send', 0)} letters; skips: {reasons}"

    try:
        result = ctx.measure(
            case,
            ["dunning", "run", "--dry-run", "--policy", str(policy), "--as-of", _run.AS_OF,
             "--format", "json"],
            home=ctx.home,
            target=_run.Target(size="1M", max_seconds=10.0, max_rss_mb=500),
            check_output=check,
        )  # fmt: skip
        result.note = (result.note + f"; seeded {seeded}, {plans} plans").lstrip("; ")
        return [result]
    finally:
        unseed(ledger)
        _run._drop_plans(ledger)

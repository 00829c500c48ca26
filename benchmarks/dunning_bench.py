"""The ``dunning`` benchmark: ``dunning run --dry-run`` over the whole ledger, with holds,
disputes, promises and payment plans seeded (so the skip paths run), ≤ 10 s and ≤ 500 MB at 1M.

Registered in ``run.py`` by importing this module (``--only dunning`` selects it). The seeding is
untimed SQL against the benchmark ledger (the SQLite file, or the PostgreSQL schema with
``--backend postgresql``) and is undone afterwards, like ``plan-status``.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


from bench_runner import runner  # noqa: E402

_run = runner()


@contextmanager
def writing(ctx: SizeContext) -> Iterator[Any]:
    """One write transaction on the size's ledger: the SQLite file, or (``--backend
    postgresql``) the profile's schema through collectctl's own ledger layer."""
    if "COLLECTCTL_LEDGER_URL" in ctx.env:
        from collectctl.ledger.dialect import POSTGRESQL, Target
        from collectctl.ledger.opening import open_ledger

        schema = ctx.env.get("COLLECTCTL_LEDGER_SCHEMA") or "default"
        ledger = open_ledger(
            Target(POSTGRESQL, url=ctx.env["COLLECTCTL_LEDGER_URL"], schema=schema)
        )
        try:
            with ledger.write() as conn:
                yield conn
        finally:
            ledger.close()
        return
    conn = sqlite3.connect(str(ctx.home / "profiles" / "default" / "ledger.db"))
    conn.isolation_level = None
    try:
        conn.execute("BEGIN IMMEDIATE")
        yield conn
        conn.execute("COMMIT")
    finally:
        conn.close()


def seed(conn: Any, as_of: str) -> dict[str, int]:
    """Holds on 1 customer in 50, disputes on 1 invoice in 200, promises (due after ``as_of``)
    from 1 customer in 40 (inside :func:`writing`); returns how many of each."""
    from datetime import date, timedelta

    stamp = as_of + "T09:00:00+00:00"
    due = (date.fromisoformat(as_of) + timedelta(days=10)).isoformat()
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
           SELECT source, ext_id, currency, 10000, ?, ?, ?
           FROM customers WHERE id % 40 = 1""",
        (as_of, due, stamp),
    )
    return {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in SEEDED}


def unseed(conn: Any) -> None:
    """Remove what :func:`seed` (and the plans) added (the benchmark ledger has no other such
    records); inside :func:`writing`."""
    for table in (*SEEDED, "plan_invoices", "plan_lines", "plans"):
        conn.execute(f"DELETE FROM {table}")


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
    policy = ctx.home / "dunning-bench.toml"
    policy.write_text(POLICY, encoding="utf-8")
    with writing(ctx) as conn:
        seeded = seed(conn, _run.AS_OF)
        plans = _run.create_plans_in(conn, min(_run.PLAN_BENCH_MAX, max(1, ctx.invoices // 100)))

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
        with writing(ctx) as conn:
            unseed(conn)

"""SQLite's floor under the ratio targets of issue #16: what SQLite alone costs, measured in the
same run as DuckDB, so a missed ratio can be told apart from a cost collectctl adds.

Registered in ``run.py`` by importing this module (``--only sqlite-floor`` selects it; SQLite
ledgers only). Two cases per size, each run as a child process of this file, which times only
the part in question and prints it as JSON (``seconds``, ``cpu_seconds``, ``rows``):

- ``load``: the rows of the synced ledger's ``customers``, ``invoices`` and ``allocations``
  are read into memory first (untimed), then written into a new SQLite file with a ledger
  connection's settings (WAL, ``synchronous = NORMAL``, the ledger's page cache), their
  indexes built as a first sync builds them (``changes.INDEX_BUILD_CACHE_KIB``) and
  committed: the least any sync into this schema can cost, with no CSV parsing, no checks,
  no staging and no other table. Beside DuckDB loading the same CSVs into a .duckdb file.
- ``aging``: the one statement of the customer aging (``ledger.aging.named_lines``) on a
  fresh connection to the synced ledger, as of the report date and a year back: no
  start-up of the command, no formatting, no output. Beside DuckDB's end-to-end report.

Neither row has a target of its own: a floor above a target means no change inside collectctl
can meet that target with SQLite and these indexes (docs/performance.md says what would).
"""

from __future__ import annotations

import json
import os
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from run import Result, SizeContext

#: The tables a sync writes the books into (the floor writes only these).
BOOK_TABLES = ("customers", "invoices", "allocations")


def _timed_load(ledger: Path, scratch: Path) -> dict[str, float | int]:
    """Copy the book tables of ``ledger`` into a new file; time the writes, indexes, commit."""
    from collectctl.ledger.changes import INDEX_BUILD_CACHE_KIB
    from collectctl.ledger.connection import CACHE_KIB

    src = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    schema = src.execute(
        "SELECT type, tbl_name, sql FROM sqlite_master WHERE sql IS NOT NULL"
        f" AND tbl_name IN ({','.join('?' * len(BOOK_TABLES))})",
        BOOK_TABLES,
    ).fetchall()
    rows = {t: src.execute(f"SELECT * FROM {t}").fetchall() for t in BOOK_TABLES}
    src.close()
    with tempfile.TemporaryDirectory(dir=scratch) as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
        for kind, _table, sql in schema:
            if kind == "table":
                conn.execute(sql)
        wall, cpu = time.perf_counter(), time.process_time()
        conn.execute("BEGIN")
        for table, values in rows.items():
            if values:
                marks = ",".join("?" * len(values[0]))
                conn.executemany(f"INSERT INTO {table} VALUES ({marks})", values)
        conn.execute(f"PRAGMA cache_size = -{INDEX_BUILD_CACHE_KIB}")
        for kind, _table, sql in schema:
            if kind == "index":
                conn.execute(sql)
        conn.execute("COMMIT")
        result = {
            "seconds": time.perf_counter() - wall,
            "cpu_seconds": time.process_time() - cpu,
            "rows": sum(len(v) for v in rows.values()),
        }
        conn.close()
    return result


def _timed_aging(ledger: Path, as_of: str) -> dict[str, float | int]:
    """Time ``named_lines`` (the customer aging's statement) on a fresh ledger connection."""
    from datetime import date

    from collectctl.domain.aging import cutoffs
    from collectctl.ledger.aging import named_lines
    from collectctl.ledger.connection import CACHE_KIB

    day = date.fromisoformat(as_of)
    bounds = cutoffs(day, (30, 60, 90))
    wall, cpu = time.perf_counter(), time.process_time()
    conn = sqlite3.connect(f"file:{ledger}?mode=ro", uri=True)
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    lines = named_lines(conn, day, bounds)
    result = {
        "seconds": time.perf_counter() - wall,
        "cpu_seconds": time.process_time() - cpu,
        "rows": len(lines),
    }
    conn.close()
    return result


def child(argv: list[str]) -> int:
    """``load LEDGER SCRATCH`` or ``aging LEDGER AS_OF``: print the timed part as JSON."""
    if len(argv) != 3 or argv[0] not in ("load", "aging"):
        print("usage: floor_bench.py load LEDGER SCRATCH | aging LEDGER AS_OF", file=sys.stderr)
        return 2
    what, ledger, arg = argv
    if what == "load":
        out = _timed_load(Path(ledger), Path(arg))
    else:
        out = _timed_aging(Path(ledger), arg)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(child(sys.argv[1:]))


from bench_runner import runner  # noqa: E402

_run = runner()


def _floor(
    ctx: SizeContext,
    case: str,
    floor_args: list[str],
    peer_args: list[str],
    peer_case: str,
    target: str,
) -> list[Result]:
    """Run the floor child and the DuckDB peer alternately; the floor row's samples are the
    child's own timings of the part in question."""
    row = _run.Result("sqlite-floor", case, ctx.size)
    peer = _run.Result("duckdb", peer_case, ctx.size)
    row.load_start = os.getloadavg()[0]
    rows_seen = 0
    for _ in range(ctx.repeat):
        out = ctx.scratch / "floor-stdout"
        err = ctx.scratch / "floor-stderr"
        sample = _run.run_child(
            [ctx.python, str(Path(__file__).resolve()), *floor_args],
            ctx.child_env(ctx.home),
            timeout=ctx.timeout,
            stdout=out,
            stderr=err,
        )
        if sample.returncode != 0:
            _run._record(row, sample, err)
            break
        timed = json.loads(out.read_text(encoding="utf-8"))
        row.samples.append(round(timed["seconds"], 4))
        row.cpu_samples.append(round(timed["cpu_seconds"], 4))
        rows_seen = timed["rows"]
        peer_sample = _run.run_child(
            [ctx.python, str(_run.PEER_SCRIPT), *peer_args],
            ctx.child_env(ctx.home),
            timeout=ctx.timeout,
            stderr=err,
        )
        _run._record(peer, peer_sample, err)
        if peer.returncode:
            break
    row.load_end = os.getloadavg()[0]
    peer.load_start, peer.load_end = row.load_start, row.load_end
    _run.compare(row, peer)
    if row.returncode == 0:
        row.note = f"{rows_seen} rows; the floor under the target {target} (no target of its own)"
    return [row, peer]


@_run.register(
    "sqlite-floor",
    per_size=True,
    description="SQLite alone: the sync's writes and index builds, aging's one statement",
)
def bench_sqlite_floor(ctx: SizeContext) -> list[Result]:
    """The floors under the sync and aging ratio targets (see the module docstring)."""
    cases = ("load (write, index, commit)", "aging statement")
    if ctx.backend != "sqlite" or not ctx.ensure_synced():
        why = "skipped: SQLite ledgers only" if ctx.backend != "sqlite" else "skipped: no ledger"
        return [_run.Result("sqlite-floor", case, ctx.size, note=why) for case in cases]
    ledger = ctx.home / "profiles" / "default" / "ledger.db"
    peer_db = ctx.scratch / "floor-peer.duckdb"
    rows = _floor(
        ctx,
        "SQLite writes the ledger's rows (in memory), builds its indexes, commits",
        ["load", str(ledger), str(ctx.scratch)],
        ["load", str(ctx.data_dir), str(peer_db)],
        "load the CSVs into a .duckdb file",
        "≤ 4× DuckDB",
    )
    peer_db.unlink(missing_ok=True)
    for as_of, target in ((_run.AS_OF, "≤ 0.3× DuckDB"), (_run.AS_OF_HISTORICAL, "≤ 0.5× DuckDB")):
        rows += _floor(
            ctx,
            f"aging's one statement as of {as_of} (named_lines, fresh connection)",
            ["aging", str(ledger), as_of],
            ["aging", str(ctx.data_dir), "--as-of", as_of],
            f"aging end to end from the CSVs as of {as_of}",
            target,
        )
    return rows

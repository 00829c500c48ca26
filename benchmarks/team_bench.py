"""The ``log-during-sync`` benchmark: how long a colleague's ``account log`` takes while a sync of
the same profile runs (issue #15: p95 ≤ 200 ms on PostgreSQL; SQLite is measured the same way).

Registered in ``run.py`` by importing this module (``--only log-during-sync`` selects it). After
the size's books are loaded, one child process runs ``sync csv DIR2`` (the books with 1% of every
file's rows changed, as ``resync-changed``: a real stage, diff and apply) while a second child —
the colleague — logs a contact every 50 ms until the sync has exited. Each sample is one
``account log`` write as the command makes it: take the ledger's write lock, insert the contact,
commit (``Ledger.write`` + ``collection.add_contact``, one connection opened once, as a running
process has). Python's start-up is left out: it does not depend on the sync (``startup`` measures
it). The row's seconds are the samples' **95th percentile**; the note gives the median, the
maximum, how many writes waited on the sync's write lock and how many gave up after
``COLLECTCTL_LOCK_TIMEOUT`` (30 s: ``account log`` would exit 1, "the ledger is busy").

Nothing is asserted: the target only marks the row ``ok``/``MISS``. The contacts written are
removed afterwards and the ledger re-synced to the original books, for the benchmarks that follow.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import time
from pathlib import Path
from typing import TYPE_CHECKING

BENCH_DIR = Path(__file__).resolve().parent

if TYPE_CHECKING:  # pragma: no cover
    from run import Result, SizeContext

#: The colleague: log contacts until the file named by argv[1] appears; print the samples.
LOGGER = r"""
import json, sys, time
from pathlib import Path
from collectctl.app import App
from collectctl.ledger import collection

stop, interval = Path(sys.argv[1]), float(sys.argv[2])
app = App()
ledger = app.ledger()
(customer,) = ledger.conn.execute(
    "SELECT ext_id FROM customers ORDER BY id LIMIT 1").fetchone()
from collectctl.errors import LockTimeout
samples = []
while not stop.exists():
    t0, busy = time.perf_counter(), False
    try:
        with ledger.write() as conn:
            collection.add_contact(
                conn, ("csv", customer), at="2026-10-31T09:00+00:00",
                on_date=__import__("datetime").date(2026, 10, 31), channel="note",
                outcome="note", note="log-during-sync benchmark", next_date=None,
                created_at="2026-10-31T09:00:00+00:00", created_by="benchmark")
    except LockTimeout:  # what `account log` would report: exit 1, "the ledger is busy"
        busy = True
    samples.append([time.time(), time.perf_counter() - t0, busy])
    time.sleep(interval)
app.close()
print(json.dumps(samples))
"""
INTERVAL_S = 0.05
TARGET_P95_S = 0.2


from bench_runner import runner  # noqa: E402

_run = runner()


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, nearest rank."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q * len(ordered) + 0.5)))
    return ordered[rank - 1]


@_run.register(
    "log-during-sync",
    per_size=True,
    description="account log (lock, insert, commit) every 50 ms while sync csv DIR2 runs: p95",
)
def bench_log_during_sync(ctx: SizeContext) -> list[Result]:
    """A colleague's contact writes while a sync of the same books stages, diffs and applies."""
    import edit_books

    case = "account log while sync csv DIR2 runs (p95 of the writes)"
    if not ctx.ensure_synced():
        return [_run.Result("log-during-sync", case, ctx.size, note="skipped: no ledger")]
    changed = ctx.scratch / f"log-during-sync-{ctx.size}"
    edit_books.edit_books(ctx.data_dir, changed)
    stop = ctx.scratch / "log-during-sync.stop"
    stop.unlink(missing_ok=True)
    env = {**ctx.env, "COLLECTCTL_HOME": str(ctx.home), "COLLECTCTL_USER": "benchmark"}
    result = _run.Result("log-during-sync", case, ctx.size)
    result.target = f"p95 ≤ {TARGET_P95_S * 1000:g} ms"
    result.load_start = os.getloadavg()[0]
    logger = subprocess.Popen(
        [ctx.python, "-c", LOGGER, str(stop), str(INTERVAL_S)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(2.0)  # the colleague is up and writing before the sync starts
        started = time.time()
        sync = subprocess.run(
            [ctx.collectctl, "sync", "csv", str(changed), "-q"],
            env=env,
            capture_output=True,
            text=True,
            timeout=ctx.timeout,
            check=False,
        )
        ended = time.time()
    finally:
        stop.touch()
        out, err = logger.communicate(timeout=120)
        shutil.rmtree(changed, ignore_errors=True)
    result.load_end = os.getloadavg()[0]
    if sync.returncode != 0 or logger.returncode != 0:
        result.returncode = sync.returncode or logger.returncode
        result.note = " | ".join((sync.stderr or err).strip().splitlines()[-3:])
        return [result]
    samples = [(at, s, busy) for at, s, busy in json.loads(out) if started <= at <= ended]
    during = [s for _at, s, _busy in samples]
    busy = sum(1 for *_x, b in samples if b)
    if not during:
        result.note = "no write during the sync"
        return [result]
    p95 = percentile(during, 0.95)
    result.samples = [p95]
    result.ok = p95 <= TARGET_P95_S
    waited = sum(1 for s in during if s > 10 * statistics.median(during))
    result.note = (
        f"{len(during)} writes during a {ended - started:.1f} s sync: median "
        f"{statistics.median(during) * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, max "
        f"{max(during) * 1000:.1f} ms ({waited} waited on the sync's write lock"
        + (f"; {busy} gave up after COLLECTCTL_LOCK_TIMEOUT: 'ledger is busy'" if busy else "")
        + ")"
    )
    _cleanup(ctx, env)
    return [result]


def _cleanup(ctx: SizeContext, env: dict[str, str]) -> None:
    """Remove the benchmark's contacts and bring the original books back (untimed)."""
    code = (
        "from collectctl.app import App\n"
        "app = App()\n"
        "with app.ledger().write() as conn:\n"
        "    conn.execute(\"DELETE FROM contacts WHERE created_by = 'benchmark'\")\n"
        "app.close()\n"
    )
    subprocess.run([ctx.python, "-c", code], env=env, check=True, timeout=ctx.timeout)
    ctx.synced = False
    ctx.ensure_synced()

"""The ``qbo-sync`` benchmark: ``collectctl sync quickbooks --full`` against a fake QuickBooks.

Registered in ``run.py`` by importing this module (``--only qbo-sync`` selects it). For each of
10k and 100k invoices it builds the fake company once with ``fakeqbo.generate_books`` (customers,
invoices and their payments; ``preserialize`` so the server copies cached JSON text), serves it
from a :class:`fakeqbo.FakeQBO` thread in this process, and runs the real CLI as the measured
child process into a fresh ``COLLECTCTL_HOME``. Building the books is outside the timed child.

Reported per size: wall and CPU time, peak RSS, entities per second, and the client's CPU time per
1000-entity page — the child's CPU (``os.wait4`` rusage) divided by the query pages the fake
server answered (from its request log). Target (``ok``/``MISS`` only, never asserted): parse and
store of a 1000-entity page ≤ 60 ms of client CPU.

A second child per size runs only the plugin's ``read`` (records counted and dropped, no ledger):
its peak RSS shows whether the source streams. The last rows compare the peak RSS of 100k with
10k for both: the plugin's own memory stays flat; the full sync's grows with the core's
staging/diff/apply, as ``sync csv`` does.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

BENCH_DIR = Path(__file__).resolve().parent
FAKEQBO_DIR = BENCH_DIR.parent / "plugins" / "quickbooks" / "tests"
#: (label, invoices) measured, in order.
SIZES = (("10k", 10_000), ("100k", 100_000))
#: The target: client CPU per 1000-entity page, in milliseconds.
PAGE_TARGET_MS = 60.0
#: Peak RSS of the largest size over the smallest's above this ratio is not "flat".
FLAT_RSS_RATIO = 1.5
SEED = 11

#: The "source read only" child: the plugin's ``read`` into nothing, no ledger.
READ_ONLY_CODE = """
import os, sys
from pathlib import Path
from collectctl.records import SyncRequest
from collectctl_quickbooks.sync import read
home = Path(os.environ["COLLECTCTL_HOME"]) / "read-only"
home.mkdir(parents=True, exist_ok=True)
batch = read(SyncRequest(options={"full": True}, full=True, profile_dir=home, env=dict(os.environ)))
n = sum(1 for _ in batch.records)
print(n)
"""

if TYPE_CHECKING:  # pragma: no cover
    from run import Context, Result


from bench_runner import runner  # noqa: E402

_run = runner()


def _fakeqbo() -> Any:
    """Import the fake server from the plugin's tests (stdlib only)."""
    if str(FAKEQBO_DIR) not in sys.path:
        sys.path.insert(0, str(FAKEQBO_DIR))
    import fakeqbo

    return fakeqbo


@_run.register(
    "qbo-sync",
    per_size=False,
    description="sync quickbooks --full from a fake QBO server: 10k and 100k invoices",
)
def bench_qbo_sync(ctx: Context) -> list[Result]:
    """Full QuickBooks syncs of 10k and 100k invoices; entities/s, CPU per page, peak RSS."""
    fakeqbo = _fakeqbo()
    results: list[Result] = []
    rss: dict[str, float] = {}
    read_rss: dict[str, float] = {}
    cpu_pages: dict[str, tuple[float, float]] = {}
    for label, invoices in SIZES:
        books = fakeqbo.generate_books(invoices, seed=SEED)
        books.preserialize()
        entities = sum(len(books.entities[name]) for name in ("Customer", "Invoice", "Payment"))
        sctx = dataclasses.replace(ctx, size=label)
        repeat = ctx.repeat if invoices <= 10_000 else min(ctx.repeat, 2)
        with fakeqbo.FakeQBO(books) as qbo:
            env = qbo.env(refresh_token=qbo.issue_tokens()["refresh_token"])
            qbo.clear_log()
            result = sctx.measure(
                "sync quickbooks --full",
                ["sync", "quickbooks", "--full"],
                home=ctx.scratch / f"qbo-home-{label}",
                repeat=repeat,
                env=env,
            )
            runs = max(1, len(result.samples) + (1 if result.returncode else 0))
            pages = len(qbo.api_requests("query")) / runs
            fresh = {**env, "QUICKBOOKS_REFRESH_TOKEN": qbo.issue_tokens()["refresh_token"]}
            read_only = _read_only(sctx, fresh, label)
        del books
        if result.returncode == 0 and result.samples and pages:
            cpu_ms = 1000 * (result.median_cpu_s or 0.0) / pages
            per_s = entities / (result.median_s or 1.0)
            cpu_pages[label] = (result.median_cpu_s or 0.0, pages)
            result.note = (
                f"{entities} entities in {pages:g} pages; {per_s:,.0f} entities/s; "
                f"{cpu_ms:.1f} ms CPU/page"
            )
            rss[label] = result.peak_rss_mb or 0.0
        results.append(result)
        results.append(read_only)
        if read_only.returncode == 0:
            read_rss[label] = read_only.peak_rss_mb or 0.0
    small, large = SIZES[0][0], SIZES[-1][0]
    if small in cpu_pages and large in cpu_pages:
        # The cost of one more page, without the process start-up both sizes pay once.
        (cpu_s, pages_s), (cpu_l, pages_l) = cpu_pages[small], cpu_pages[large]
        marginal = 1000 * (cpu_l - cpu_s) / (pages_l - pages_s)
        results.append(
            _run.Result(
                benchmark=_run.CURRENT[0],
                case="client CPU per extra 1000-entity page (parse + store)",
                size=large,
                target=f"≤ {PAGE_TARGET_MS:g} ms",
                ok=marginal <= PAGE_TARGET_MS,
                note=f"({cpu_l:.2f} s - {cpu_s:.2f} s) / ({pages_l:g} - {pages_s:g} pages) = "
                f"{marginal:.1f} ms per page",
            )
        )
    for what, figures, target in (
        ("source read only", read_rss, True),
        ("sync quickbooks --full", rss, False),
    ):
        if figures.get(small) and figures.get(large):
            ratio = figures[large] / figures[small]
            results.append(
                _run.Result(
                    benchmark=_run.CURRENT[0],
                    case=f"peak RSS {large} / {small}: {what}",
                    size=large,
                    peak_rss_mb=figures[large],
                    ratio=round(ratio, 2),
                    target=f"flat (≤ {FLAT_RSS_RATIO:g}×)" if target else None,
                    ok=(ratio <= FLAT_RSS_RATIO) if target else None,
                    note=f"{figures[small]:.0f} MB at {small}, {figures[large]:.0f} MB at {large}",
                )
            )
    return results


def _read_only(ctx: Context, env: dict[str, str], label: str) -> Result:
    """One child running only the plugin's ``read`` (no ledger): its CPU and peak RSS."""
    result = _run.Result(benchmark=_run.CURRENT[0], case="source read only (no ledger)", size=label)
    home = ctx.scratch / f"qbo-read-{label}"
    err = ctx.scratch / "stderr"
    out = ctx.scratch / "stdout"
    sample = _run.run_child(
        [ctx.python, "-c", READ_ONLY_CODE],
        ctx.child_env(home, env),
        timeout=ctx.timeout,
        stdout=out,
        stderr=err,
    )
    result.peak_rss_mb = round(sample.max_rss_kib / 1024, 1)
    if sample.returncode != 0:
        result.returncode = sample.returncode
        result.note = f"exit {sample.returncode}: {_run.tail(err)}"
        return result
    result.samples.append(sample.seconds)
    result.cpu_samples.append(sample.cpu_seconds)
    records = out.read_text().strip()
    result.note = f"{records} records read and dropped; {sample.cpu_seconds:.2f} s CPU"
    return result

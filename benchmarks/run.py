"""collectctl benchmarks: what ``make bench`` runs.

    .venv/bin/python benchmarks/run.py [--sizes 10k,100k,1M] [--only NAME[,NAME]] [--repeat N]
    make bench BENCH_ARGS="--sizes 10k --only startup,aging-customer"
    make bench BENCH_ARGS="--backend postgresql"      # the ledger on the local PostgreSQL

Every command is run as a child process of the installed console script (``collectctl`` next to
``sys.executable``, or ``--bin DIR``) in a fresh temporary ``COLLECTCTL_HOME``. Wall time is
measured around the child and its peak RSS comes exactly from ``os.wait4`` (``ru_maxrss``).
Data sets come from ``benchmarks/generate.py`` and are cached in ``benchmarks/data/<size>/``
(regenerated when the generator changes); results are printed as a table and written to
``benchmarks/results/latest.json``. Both directories are git-ignored. The 1M size takes a few
minutes (about 20 s to generate once, then the sync and the reads); ``--sizes 10k,100k`` is quick.

Benchmarks are registered by name in :data:`REGISTRY`, in the order they run:

- *global* benchmarks (``per_size=False``) run once and get a :class:`Context`;
- *per-size* benchmarks run for each size, in registration order, and get a
  :class:`SizeContext` whose ``home`` is a fresh ``COLLECTCTL_HOME`` shared by the benchmarks
  of that size. One that needs the books loaded calls :meth:`SizeContext.ensure_synced` first
  (``sync-csv`` has done it already unless ``--only`` left it out).

Adding one (e.g. for ``account list``, ``metrics``, ``plan status`` or a QuickBooks sync
from a fake server) is a decorated function returning :class:`Result` rows, usually built by
:meth:`Context.measure`::

    @register("account-list", per_size=True, description="account list --format json")
    def bench_account_list(ctx: SizeContext) -> list[Result]:
        ctx.ensure_synced()
        return [
            ctx.measure(
                "account list --format json",
                ["account", "list", "--format", "json"],
                target=Target(size="1M", max_seconds=2.0),
            )
        ]

A benchmark that needs its own set-up (a fake QuickBooks server, say) starts it inside its
function, passes extra environment through ``measure(..., env={...})`` and stops it before
returning; heavy set-up belongs outside the timed child. Targets only ever mark a row
``ok``/``MISS`` in the report: nothing here asserts on time, and tests must not either.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import marshal
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import check  # noqa: E402  (a sibling script, not a package)
import edit_books  # noqa: E402
import generate  # noqa: E402

DEFAULT_SIZES = "10k,100k,1M"
DEFAULT_DATA = BENCH_DIR / "data"
DEFAULT_OUT = BENCH_DIR / "results" / "latest.json"
DEFAULT_DOCS = BENCH_DIR.parent / "docs" / "performance.md"
#: Sizes up to this many invoices get their aging totals checked against ``check.py`` (every
#: size by default: the reference needs about 1 GB and a minute at 1M; ``--verify-max`` lowers it).
VERIFY_MAX_INVOICES = 2_000_000
#: The dates the aging benchmarks use: the report date the books end on, and a year back.
AS_OF = generate.END.isoformat()
AS_OF_HISTORICAL = (generate.END - timedelta(days=365)).isoformat()
#: The peer every figure is compared with, measured in the same run (benchmarks/duckdb_peer.py).
PEER_SCRIPT = BENCH_DIR / "duckdb_peer.py"
#: The sizes the DuckDB-ratio targets apply at (issue #16: the new books at 100k and 1M).
RATIO_SIZES = "100k,1M"


# -- results ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Target:
    """A performance target; it only applies at ``size`` (any size when ``None``)."""

    size: str | None = None
    max_seconds: float | None = None
    max_rss_mb: float | None = None
    max_ratio: float | None = None
    #: at most this multiple of the DuckDB peer's median wall time, same run
    max_peer_ratio: float | None = None

    def describe(self) -> str:
        """Human-readable, e.g. ``'≤ 4× DuckDB, ≤ 300 MB at 1M'``."""
        parts = []
        if self.max_seconds is not None:
            parts.append(f"≤ {self.max_seconds:g} s")
        if self.max_peer_ratio is not None:
            parts.append(f"≤ {self.max_peer_ratio:g}× DuckDB")
        if self.max_rss_mb is not None:
            parts.append(f"≤ {self.max_rss_mb:g} MB")
        if self.max_ratio is not None:
            parts.append(f"≤ {self.max_ratio:g}× bare python")
        return ", ".join(parts) + (f" at {self.size}" if self.size else "")


@dataclass(slots=True)
class Sample:
    """One child-process run: wall time, CPU time (user + system), peak RSS, exit status."""

    seconds: float
    cpu_seconds: float
    max_rss_kib: int
    returncode: int
    timed_out: bool = False


@dataclass(slots=True)
class Result:
    """One row of the report: a command measured ``len(samples)`` times."""

    benchmark: str
    case: str
    size: str | None = None
    samples: list[float] = field(default_factory=list)
    cpu_samples: list[float] = field(default_factory=list)
    peak_rss_mb: float | None = None
    ratio: float | None = None
    target: str | None = None
    ok: bool | None = None
    returncode: int = 0
    note: str = ""
    #: the DuckDB peer this row is compared with (its own case, or the yardstick's)
    peer_case: str | None = None
    peer_median_s: float | None = None
    #: median wall time / the peer's median wall time, same run
    peer_ratio: float | None = None
    #: the 1-minute load average when the row's first run started, and when its last ended
    load_start: float | None = None
    load_end: float | None = None

    @property
    def median_s(self) -> float | None:
        """Median wall time in seconds (``None`` when nothing was measured)."""
        return statistics.median(self.samples) if self.samples else None

    @property
    def median_cpu_s(self) -> float | None:
        """Median CPU time (user + system) in seconds: steadier than wall time on a busy box."""
        return statistics.median(self.cpu_samples) if self.cpu_samples else None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form, with the median and min/max added."""
        d = asdict(self)
        d["median_s"] = self.median_s
        d["median_cpu_s"] = self.median_cpu_s
        d["min_s"] = min(self.samples) if self.samples else None
        d["max_s"] = max(self.samples) if self.samples else None
        return d


def evaluate(result: Result, target: Target | None, size: str | None) -> None:
    """Fill ``result.target``/``ok`` from ``target`` when it applies to ``size``."""
    if target is None or (target.size is not None and size not in target.size.split(",")):
        return
    result.target = target.describe()
    if result.returncode != 0:
        result.ok = False
        return
    ok = True
    median = result.median_s
    if target.max_seconds is not None and (median is None or median > target.max_seconds):
        ok = False
    if target.max_rss_mb is not None and (
        result.peak_rss_mb is None or result.peak_rss_mb > target.max_rss_mb
    ):
        ok = False
    if target.max_ratio is not None and (result.ratio is None or result.ratio > target.max_ratio):
        ok = False
    if target.max_peer_ratio is not None and (
        result.peer_ratio is None or result.peer_ratio > target.max_peer_ratio
    ):
        ok = False
    result.ok = ok


def compare(result: Result, peer: Result | None, *, own: bool = True) -> None:
    """Set ``result``'s ratio to ``peer`` (a DuckDB row of the same run)."""
    if peer is None or peer.median_s is None or result.median_s is None or peer.returncode:
        return
    result.peer_case = peer.case if own else f"{peer.case} (yardstick)"
    result.peer_median_s = peer.median_s
    result.peer_ratio = round(result.median_s / peer.median_s, 3)


# -- running children ------------------------------------------------------------------------


#: The measuring process (see :class:`Spawner`): a tiny ``python -I -S`` that starts each child
#: with ``posix_spawn``, reaps it with ``os.wait4`` and reports wall time, ``ru_maxrss`` and the
#: exit status over a pipe (marshal).
_SPAWNER_CODE = """
import marshal, os, signal, sys, time
child = [0]
timed_out = [False]
def on_alarm(signum, frame):
    if child[0]:
        timed_out[0] = True
        try:
            os.kill(child[0], signal.SIGKILL)
        except ProcessLookupError:
            pass
signal.signal(signal.SIGALRM, on_alarm)
inp, out = sys.stdin.buffer, sys.stdout.buffer
wr = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
while True:
    try:
        argv, env, stdout, stderr, timeout = marshal.load(inp)
    except EOFError:
        break
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, stdout, wr, 0o644),
        (os.POSIX_SPAWN_OPEN, 2, stderr, wr, 0o644),
    ]
    timed_out[0] = False
    start = time.perf_counter()
    try:
        child[0] = os.posix_spawn(argv[0], argv, env, file_actions=actions)
    except OSError as exc:
        marshal.dump((0.0, 0.0, 0, 127, False, str(exc)), out)
        out.flush()
        continue
    signal.setitimer(signal.ITIMER_REAL, timeout)
    _pid, status, usage = os.wait4(child[0], 0)
    signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.perf_counter() - start
    child[0] = 0
    code = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    marshal.dump((seconds, cpu, usage.ru_maxrss, code, timed_out[0], ""), out)
    out.flush()
"""


class Spawner:
    """Runs children from a tiny helper process so that ``ru_maxrss`` is the child's own.

    On Linux a child's ``ru_maxrss`` starts from the high-water mark of the address space it was
    forked (or vforked) from: ``os.wait4`` on a ``subprocess.Popen`` started by this runner would
    report at least this runner's own peak RSS (tens of MB once a reference data set has been
    read). The helper is ``python -I -S`` importing only builtin modules (about 9 MB, less than
    a bare ``python -c pass``), so every figure it reports is the child's exact peak.
    """

    def __init__(self, python: str) -> None:
        self.python = python
        self.proc: subprocess.Popen[bytes] | None = None

    def run(
        self, argv: Sequence[str], env: dict[str, str], stdout: str, stderr: str, timeout: float
    ) -> Sample:
        """Run one child to completion; see :func:`run_child`."""
        if self.proc is None:
            self.proc = subprocess.Popen(
                [self.python, "-I", "-S", "-c", _SPAWNER_CODE],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
            )
        assert self.proc.stdin is not None
        assert self.proc.stdout is not None
        marshal.dump((list(argv), dict(env), stdout, stderr, float(timeout)), self.proc.stdin)
        self.proc.stdin.flush()
        seconds, cpu, rss, code, timed_out, error = marshal.load(self.proc.stdout)
        if error:
            raise OSError(f"cannot start {argv[0]}: {error}")
        if sys.platform == "darwin":  # bytes there, KiB on Linux
            rss //= 1024
        return Sample(seconds, cpu, rss, code, timed_out)

    def close(self) -> None:
        """Stop the helper."""
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


SPAWNER = Spawner(sys.executable)


def run_child(
    argv: Sequence[str],
    env: dict[str, str],
    *,
    timeout: float,
    stdout: Path | None = None,
    stderr: Path | None = None,
) -> Sample:
    """Run ``argv`` to completion: wall time and exact peak RSS (``os.wait4``'s ``ru_maxrss``).

    The child is killed after ``timeout`` seconds. Output goes to the given files (or
    ``/dev/null``), never to a pipe, so a large JSON report cannot block the child. ``argv[0]``
    must be a path (no ``PATH`` search).
    """
    return SPAWNER.run(argv, env, str(stdout or os.devnull), str(stderr or os.devnull), timeout)


def _record(result: Result, sample: Sample, err: Path) -> None:
    """Add one run to ``result`` (or record its failure and the tail of its stderr)."""
    if sample.returncode != 0:
        result.returncode = sample.returncode
        why = "timed out" if sample.timed_out else f"exit {sample.returncode}"
        result.note = f"{why}: {tail(err)}"
        return
    result.samples.append(sample.seconds)
    result.cpu_samples.append(sample.cpu_seconds)


def _check(result: Result, check_output: Callable[[Path], str] | None, out: Path) -> None:
    """Run an output check on a successful row; a failed check marks the row failed."""
    if result.returncode != 0 or check_output is None:
        return
    try:
        result.note = check_output(out)
    except Exception as exc:  # a report, not a crash: show what was wrong
        result.note = f"output check failed: {exc!r}"
        result.ok = False


def tail(path: Path, lines: int = 5) -> str:
    """The last ``lines`` lines of a text file (for error notes)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return " | ".join(text.strip().splitlines()[-lines:])


@dataclass
class Context:
    """What every benchmark gets: where collectctl is, how often to repeat, a scratch dir."""

    bin_dir: Path
    repeat: int
    timeout: float
    scratch: Path
    startup_runs: int
    data_root: Path
    env: dict[str, str]
    size: str | None = None
    #: ``regular``: start-up is measured from a regular (non-editable) install in a fresh venv,
    #: as users install it; ``current``: from ``bin_dir`` as it is.
    startup_install: str = "regular"

    @property
    def collectctl(self) -> str:
        """Path of the console script under test."""
        return str(self.bin_dir / "collectctl")

    @property
    def python(self) -> str:
        """The interpreter of that venv."""
        return str(self.bin_dir / "python")

    @property
    def backend(self) -> str:
        """The ledger backend of the children (``--backend``)."""
        return "postgresql" if "COLLECTCTL_LEDGER_URL" in self.env else "sqlite"

    def target(self, sqlite: Target | None, postgresql: Target | None = None) -> Target | None:
        """This backend's target: issue #16's (and the others') on SQLite, issue #15's on
        PostgreSQL (``None``: that backend has no target for the row)."""
        return postgresql if self.backend == "postgresql" else sqlite

    def child_env(self, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        """The environment for a child: ``COLLECTCTL_HOME=home`` plus ``extra``."""
        env = dict(self.env)
        env["COLLECTCTL_HOME"] = str(home)
        if extra:
            env.update(extra)
        return env

    def run(
        self,
        args: Sequence[str],
        *,
        home: Path,
        env: dict[str, str] | None = None,
        capture: bool = False,
    ) -> tuple[Sample, Path, Path]:
        """Run ``collectctl *args`` once; returns the sample and the stdout/stderr files."""
        out = self.scratch / "stdout"
        err = self.scratch / "stderr"
        sample = run_child(
            [self.collectctl, *args],
            self.child_env(home, env),
            timeout=self.timeout,
            stdout=out if capture else None,
            stderr=err,
        )
        return sample, out, err

    def measure(
        self,
        case: str,
        args: Sequence[str],
        *,
        home: Path | None = None,
        repeat: int | None = None,
        target: Target | None = None,
        env: dict[str, str] | None = None,
        check_output: Callable[[Path], str] | None = None,
    ) -> Result:
        """Run ``collectctl *args`` ``repeat`` times; median wall time, max peak RSS.

        Stops at the first failure and records the tail of stderr. ``check_output`` gets the
        stdout file of the last run and returns a note (row counts, a correctness check, ...).
        """
        rows = self.measure_with_peer(
            case,
            args,
            home=home,
            repeat=repeat,
            target=target,
            env=env,
            check_output=check_output,
        )
        return rows[0]

    def measure_with_peer(
        self,
        case: str,
        args: Sequence[str],
        *,
        home: Path | None = None,
        repeat: int | None = None,
        target: Target | None = None,
        env: dict[str, str] | None = None,
        check_output: Callable[[Path], str] | None = None,
        peer: Sequence[str] | None = None,
        peer_case: str = "",
        peer_repeat: int | None = None,
        peer_check: Callable[[Path], str] | None = None,
        peer_setup: Callable[[], None] | None = None,
    ) -> list[Result]:
        """:meth:`measure`, and the DuckDB peer (``peer`` = its arguments) in the same run.

        The two are interleaved (collectctl, peer, collectctl, ...) so that load on the machine
        hits both alike; the collectctl row gets the ratio of the medians. Returns
        ``[collectctl row]`` or ``[collectctl row, peer row]``. ``peer_setup`` runs (untimed)
        before each peer run; ``peer_check`` checks the peer's output like ``check_output``.
        """
        home = home if home is not None else self.scratch / "home"
        result = Result(benchmark=CURRENT[0], case=case, size=self.size)
        peer_row = Result(benchmark="duckdb", case=peer_case, size=self.size) if peer else None
        runs = repeat or self.repeat
        peer_runs = (peer_repeat or self.repeat) if peer else 0
        rss = peer_rss = 0
        out = peer_out = Path()
        result.load_start = os.getloadavg()[0]
        for i in range(max(runs, peer_runs)):
            if i < runs and result.returncode == 0:
                sample, out, err = self.run(args, home=home, env=env, capture=True)
                rss = max(rss, sample.max_rss_kib)
                _record(result, sample, err)
            if peer and peer_row is not None and i < peer_runs and peer_row.returncode == 0:
                if peer_setup is not None:
                    peer_setup()
                peer_out = self.scratch / "peer-stdout"
                err = self.scratch / "peer-stderr"
                sample = run_child(
                    [self.python, str(PEER_SCRIPT), *peer],
                    self.child_env(home, env),
                    timeout=self.timeout,
                    stdout=peer_out,
                    stderr=err,
                )
                peer_rss = max(peer_rss, sample.max_rss_kib)
                _record(peer_row, sample, err)
        result.load_end = os.getloadavg()[0]
        result.peak_rss_mb = round(rss / 1024, 1)
        rows = [result]
        if peer_row is not None:
            peer_row.peak_rss_mb = round(peer_rss / 1024, 1)
            peer_row.load_start, peer_row.load_end = result.load_start, result.load_end
            _check(peer_row, peer_check, peer_out)
            compare(result, peer_row)
            rows.append(peer_row)
        _check(result, check_output, out)
        if result.ok is None:
            evaluate(result, target, self.size)
        return rows


@dataclass
class SizeContext(Context):
    """A per-size benchmark's context: the data set and a fresh ``COLLECTCTL_HOME``."""

    invoices: int = 0
    data_dir: Path = field(default_factory=Path)
    home: Path = field(default_factory=Path)
    synced: bool = False
    verify_max: int = VERIFY_MAX_INVOICES
    _reference: check.Books | None = None

    def ensure_synced(self) -> bool:
        """Load the size's data set into ``home`` once (untimed here). True when loaded."""
        if not self.synced:
            sample, _out, err = self.run(["sync", "csv", str(self.data_dir)], home=self.home)
            if sample.returncode != 0:
                print(f"  sync failed: {tail(err)}", file=sys.stderr)
                return False
            self.synced = True
        return True

    def reference(self) -> check.Books | None:
        """The data set read by the independent checker (only for small sizes)."""
        if self.invoices > self.verify_max:
            return None
        if self._reference is None:
            self._reference = check.load(self.data_dir)
        return self._reference


# -- the registry ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """A registered benchmark."""

    name: str
    func: Callable[[Any], list[Result]]
    per_size: bool
    description: str


REGISTRY: dict[str, Benchmark] = {}
#: The name of the benchmark that is running (for :meth:`Context.measure`).
CURRENT: list[str] = [""]


def register(
    name: str, *, per_size: bool, description: str
) -> Callable[[Callable[[Any], list[Result]]], Callable[[Any], list[Result]]]:
    """Decorator adding a benchmark to :data:`REGISTRY` under ``name`` (order = run order)."""

    def deco(func: Callable[[Any], list[Result]]) -> Callable[[Any], list[Result]]:
        if name in REGISTRY:
            raise ValueError(f"benchmark {name!r} registered twice")
        REGISTRY[name] = Benchmark(name, func, per_size, description)
        return func

    return deco


# -- the benchmarks --------------------------------------------------------------------------


def regular_install(ctx: Context) -> Path:
    """A fresh venv with collectctl and the bundled plugins installed the way users install
    them (``pip install``, not editable); returns its bin dir.

    Editable installs add a path hook to every interpreter start, bare ``python -c pass``
    included, which slows both sides and flatters the ratio.
    """
    venv = ctx.scratch / "regular-venv"
    bin_dir = venv / "bin"
    if (bin_dir / "collectctl").exists():
        return bin_dir
    root = BENCH_DIR.parent
    subprocess.run([ctx.python, "-m", "venv", str(venv)], check=True, timeout=ctx.timeout)
    plugins = sorted(str(p.parent) for p in (root / "plugins").glob("*/pyproject.toml"))
    subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(root), *plugins],
        check=True,
        timeout=ctx.timeout,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return bin_dir


@register(
    "startup",
    per_size=False,
    description="median wall time of --help/--version vs bare `python -c pass` (regular install)",
)
def bench_startup(ctx: Context) -> list[Result]:
    """Start-up cost: runs are interleaved so drift on the machine hits all three alike.

    Measured from a regular install in a fresh venv (:func:`regular_install`) unless
    ``--startup-install current``; both sides use that venv's interpreter.
    """
    home = ctx.scratch / "startup-home"
    env = ctx.child_env(home)
    bin_dir = regular_install(ctx) if ctx.startup_install == "regular" else ctx.bin_dir
    # The console script's interpreter (its shebang), so the plugin cache stays valid.
    collectctl = str(bin_dir / "collectctl")
    cases = {
        "python -c pass": [str(bin_dir / "python"), "-c", "pass"],
        "collectctl --help": [collectctl, "--help"],
        "collectctl --version": [collectctl, "--version"],
    }
    results = {case: Result(benchmark="startup", case=case) for case in cases}
    rss: dict[str, int] = dict.fromkeys(cases, 0)
    for argv in cases.values():  # warm-up: byte-compile, page cache
        run_child(argv, env, timeout=ctx.timeout)
    for _ in range(ctx.startup_runs):
        for case, argv in cases.items():
            err = ctx.scratch / "stderr"
            sample = run_child(argv, env, timeout=ctx.timeout, stderr=err)
            res = results[case]
            if sample.returncode != 0:
                res.returncode = sample.returncode
                res.note = f"exit {sample.returncode}: {tail(err)}"
                continue
            res.samples.append(sample.seconds)
            res.cpu_samples.append(sample.cpu_seconds)
            rss[case] = max(rss[case], sample.max_rss_kib)
    bare = results["python -c pass"].median_s
    for case, res in results.items():
        res.peak_rss_mb = round(rss[case] / 1024, 1)
        if bare and res.median_s is not None:
            res.ratio = round(res.median_s / bare, 2)
    evaluate(results["collectctl --help"], Target(max_ratio=5.0), None)
    return list(results.values())


def _json_rows(path: Path) -> dict[str, Any]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "rows" not in data or "totals" not in data:
        raise ValueError("not the aging JSON envelope (as_of, rows, totals)")
    return data


def _aging_check(ctx: SizeContext, as_of: str, by_invoice: bool = False) -> Callable[[Path], str]:
    """An output check: JSON shape, row count and (small sizes) totals vs ``check.py``.

    By customer every column of the per-currency totals must match the reference; by invoice the
    bucket columns must (and ``total`` is their sum: no unapplied credit in that view). A
    difference raises, so the row is reported as failed rather than timed as if it were right.
    """

    def checker(out: Path) -> str:
        data = _json_rows(out)
        note = f"{len(data['rows'])} rows"
        books = ctx.reference()
        if books is None:
            return note
        ref = check.aging(books, date.fromisoformat(as_of))
        got = {t["currency"]: t for t in data["totals"]}
        bad = []
        for cur in sorted(set(ref) | set(got)):
            have = got.get(cur, {})
            want = dict(ref.get(cur, {}))
            if by_invoice:
                want.pop("unapplied", None)
                want["total"] = sum(v for k, v in want.items() if k != "total")
                if not any(want.values()) and not have:
                    continue
            for key, units in want.items():
                expected = Decimal(check.format_units(units, cur))
                if key not in have or Decimal(str(have[key])) != expected:
                    bad.append(f"{cur} {key}: {have.get(key)} != {expected}")
        if bad:
            raise ValueError("totals differ from check.py: " + "; ".join(bad[:4]))
        return f"{note}; totals match check.py"

    return checker


@register("sync-csv", per_size=True, description="collectctl sync csv DIR into an empty ledger")
def bench_sync_csv(ctx: SizeContext) -> list[Result]:
    """The initial load: time and peak RSS of one ``sync csv`` into a fresh home, beside
    DuckDB loading the same CSVs into a ``.duckdb`` file (three runs, median)."""
    rows = ctx.measure_with_peer(
        "sync csv DIR (empty ledger)",
        ["sync", "csv", str(ctx.data_dir)],
        home=ctx.home,
        repeat=1,
        target=ctx.target(
            Target(size=RATIO_SIZES, max_peer_ratio=4.0, max_rss_mb=300),
            Target(size="1M", max_seconds=60.0),
        ),
        peer=["load", str(ctx.data_dir), str(ctx.scratch / "peer.duckdb")],
        peer_case="load the CSVs into a .duckdb file",
    )
    (ctx.scratch / "peer.duckdb").unlink(missing_ok=True)
    ctx.synced = rows[0].returncode == 0
    return rows


@register("resync-csv", per_size=True, description="sync csv DIR again: nothing changed")
def bench_resync_csv(ctx: SizeContext) -> list[Result]:
    """Re-running a sync with unchanged input (must change nothing; cost of the diff)."""
    if not ctx.ensure_synced():
        return [
            Result("resync-csv", "sync csv DIR (unchanged)", ctx.size, note="skipped: no ledger")
        ]
    return [
        ctx.measure(
            "sync csv DIR (unchanged)",
            ["sync", "csv", str(ctx.data_dir)],
            home=ctx.home,
            repeat=1,
        )
    ]


def _aging(ctx: SizeContext, case: str, args: list[str], as_of: str, **kw: Any) -> list[Result]:
    if not ctx.ensure_synced():
        return [Result(CURRENT[0], case, ctx.size, note="skipped: no ledger")]
    by_invoice = "--by" in args
    by = ["--by", "invoice"] if by_invoice else []
    checker = _aging_check(ctx, as_of, by_invoice)
    return ctx.measure_with_peer(
        case,
        ["aging", *args],
        home=ctx.home,
        check_output=checker,
        peer=["aging", str(ctx.data_dir), "--as-of", as_of, *by],
        peer_case=f"aging{' by invoice' if by_invoice else ''} end to end from the CSVs"
        f" as of {as_of}",
        peer_check=checker,
        **kw,
    )


@register("aging-customer", per_size=True, description=f"aging --format json --as-of {AS_OF}")
def bench_aging_customer(ctx: SizeContext) -> list[Result]:
    """Customer aging as of the last day of the data (the common case)."""
    return _aging(
        ctx,
        f"aging --as-of {AS_OF}",
        ["--format", "json", "--as-of", AS_OF],
        AS_OF,
        target=ctx.target(
            Target(size=RATIO_SIZES, max_peer_ratio=0.3), Target(size="1M", max_seconds=2.0)
        ),
    )


@register(
    "aging-historical",
    per_size=True,
    description=f"aging --format json --as-of {AS_OF_HISTORICAL} (a year back)",
)
def bench_aging_historical(ctx: SizeContext) -> list[Result]:
    """Historical aging: every allocation after the date has to be taken back out."""
    return _aging(
        ctx,
        f"aging --as-of {AS_OF_HISTORICAL}",
        ["--as-of", AS_OF_HISTORICAL, "--format", "json"],
        AS_OF_HISTORICAL,
        target=ctx.target(Target(size=RATIO_SIZES, max_peer_ratio=0.5)),
    )


@register("aging-invoice", per_size=True, description=f"aging --by invoice --as-of {AS_OF}")
def bench_aging_invoice(ctx: SizeContext) -> list[Result]:
    """Invoice-level aging: one JSON row per open invoice."""
    return _aging(
        ctx,
        f"aging --by invoice --as-of {AS_OF}",
        ["--by", "invoice", "--format", "json", "--as-of", AS_OF],
        AS_OF,
        target=ctx.target(Target(size=RATIO_SIZES, max_peer_ratio=1.0)),
    )


import floor_bench  # noqa: E402, F401  (registers "sqlite-floor": SQLite alone, the floors)

#: Payment plans the ``plan-status`` benchmark creates: 10k at 1M invoices (1 per 100 invoices).
PLAN_BENCH_MAX = 10_000
#: The day those plans are made: payments after it (to 2026-10-31) are matched to installments.
PLAN_BENCH_CREATED = "2026-06-30"


def _create_plans(ledger: Path, count: int) -> int:
    """Insert up to ``count`` payment plans straight into the ledger (untimed set-up).

    One plan per (customer, currency) with anything open at the start of
    :data:`PLAN_BENCH_CREATED`: up to five of its open invoices, six monthly installments from
    2026-07-15 (even split, remainder last), the profile defaults for grace and missed
    installments. Returns how many were made.
    """
    import sqlite3

    conn = sqlite3.connect(str(ledger), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        made = create_plans_in(conn, count)
        conn.execute("COMMIT")
        return made
    finally:
        conn.close()


def create_plans_in(conn: Any, count: int) -> int:
    """:func:`_create_plans` inside an open write transaction on either backend's connection."""
    day = PLAN_BENCH_CREATED
    rows = conn.execute(
        """SELECT c.source, c.ext_id, c.name, i.currency, i.ext_id, i.number, i.due_date,
                  i.amount - i.allocated + COALESCE(l.amt, 0) AS bal
           FROM invoices i JOIN customers c ON c.id = i.customer
           LEFT JOIN (SELECT invoice, SUM(amount) AS amt FROM allocations
                      WHERE date >= :d AND invoice IS NOT NULL GROUP BY invoice) l
                  ON l.invoice = i.id
           WHERE i.void = 0 AND i.issue_date <= :d
             AND i.amount - i.allocated + COALESCE(l.amt, 0) > 0
           ORDER BY i.customer, i.currency, i.due_date, i.ext_id""",
        {"d": day},
    )
    groups: dict[tuple[str, str, str, str], list[tuple[str, str, str, int]]] = {}
    for source, cust, name, cur, ext, number, due, bal in rows:
        key = (source, cust, name, cur)
        if key not in groups:
            if len(groups) >= count:
                break
            groups[key] = []
        if len(groups[key]) < 5:
            groups[key].append((ext, number, due, bal))
    dues = ["2026-07-15", "2026-08-15", "2026-09-15", "2026-10-15", "2026-11-15", "2026-12-15"]
    for (source, cust, name, cur), invoices in groups.items():
        balance = sum(inv[3] for inv in invoices)
        n = 6 if balance >= 6 else 1
        base, rest = divmod(balance, n)
        totals = [base] * (n - 1) + [base + rest]
        key = conn.execute(
            """INSERT INTO plans (customer_source, customer_ext, customer_name, currency,
                   created_on, created_at, balance, down, every, start, installments,
                   amount_per, rate, interest_method, fee, grace_days, max_missed)
               VALUES (?, ?, ?, ?, ?, ?, ?, 0, 'month', ?, ?, NULL, NULL, 'none', 0, 5, 1)""",
            (source, cust, name, cur, day, day + "T12:00:00+00:00", balance, dues[0], n),
        ).lastrowid
        remaining = balance
        lines = []
        for k, total in enumerate(totals, start=1):
            remaining -= total
            lines.append((key, k, dues[k - 1], total, 0, 0, total, remaining))
        conn.executemany("INSERT INTO plan_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)", lines)
        conn.executemany(
            "INSERT INTO plan_invoices VALUES (?, ?, ?, ?, ?, ?)",
            [(key, source, ext, number, due, bal) for ext, number, due, bal in invoices],
        )
    return len(groups)


@register(
    "plan-status",
    per_size=True,
    description=f"plan status --format json --as-of {AS_OF} with 1 plan per 100 invoices "
    f"(10k at 1M)",
)
def bench_plan_status(ctx: SizeContext) -> list[Result]:
    """Every payment plan's standing: receipts matched to installments for 10k plans at 1M."""
    case = f"plan status --as-of {AS_OF} (all plans)"
    if "COLLECTCTL_LEDGER_URL" in ctx.env:
        return [Result(CURRENT[0], case, ctx.size, note="skipped: set-up writes the SQLite file")]
    if not ctx.ensure_synced():
        return [Result(CURRENT[0], case, ctx.size, note="skipped: no ledger")]
    ledger = ctx.home / "profiles" / "default" / "ledger.db"
    wanted = min(PLAN_BENCH_MAX, max(1, ctx.invoices // 100))
    made = _create_plans(ledger, wanted)

    def check_plans(out: Path) -> str:
        plans = json.loads(out.read_text(encoding="utf-8"))["plans"]
        if len(plans) != made:
            raise ValueError(f"{len(plans)} plans in the output, {made} made")
        states: dict[str, int] = {}
        for plan in plans:
            states[plan["state"]] = states.get(plan["state"], 0) + 1
        return f"{made} plans: " + ", ".join(f"{n} {s}" for s, n in sorted(states.items()))

    try:
        return [
            ctx.measure(
                case,
                ["plan", "status", "--format", "json", "--as-of", AS_OF],
                home=ctx.home,
                target=Target(size="1M", max_seconds=2.0),
                check_output=check_plans,
            )
        ]
    finally:  # leave the shared home as it was for the benchmarks that follow
        _drop_plans(ledger)


def _drop_plans(ledger: Path) -> None:
    """Remove every payment plan from the ledger (the ``plan-status`` set-up, undone)."""
    import sqlite3

    conn = sqlite3.connect(str(ledger), isolation_level=None)
    try:
        conn.execute("BEGIN IMMEDIATE")
        for table in ("plan_invoices", "plan_lines", "plans"):
            conn.execute(f"DELETE FROM {table}")
        conn.execute("COMMIT")
    finally:
        conn.close()


@register(
    "account-list",
    per_size=True,
    description=f"account list --format json --as-of {AS_OF} (every account, stage and flags)",
)
def bench_account_list(ctx: SizeContext) -> list[Result]:
    """The collector's desk: every account with a balance, its stage, flags and next action."""
    case = f"account list --as-of {AS_OF}"
    if not ctx.ensure_synced():
        return [Result("account-list", case, ctx.size, note="skipped: no ledger")]

    def rows(out: Path) -> str:
        data = json.loads(out.read_text(encoding="utf-8"))
        return f"{len(data['rows'])} rows"

    return [
        ctx.measure(
            case,
            ["account", "list", "--format", "json", "--as-of", AS_OF],
            home=ctx.home,
            target=ctx.target(
                Target(size="1M", max_seconds=1.5), Target(size="1M", max_seconds=3.0)
            ),
            check_output=rows,
        )
    ]


def _metrics_check(out: Path) -> str:
    """An output check for ``metrics --format json``: the envelope and one row per currency."""
    data = json.loads(out.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or "rows" not in data or "definitions" not in data:
        raise ValueError("not the metrics JSON envelope (rows, definitions)")
    return f"{len(data['rows'])} rows"


def _metrics(ctx: SizeContext, case: str, args: list[str], **kw: Any) -> list[Result]:
    if not ctx.ensure_synced():
        return [Result(CURRENT[0], case, ctx.size, note="skipped: no ledger")]
    return [ctx.measure(case, ["metrics", *args], home=ctx.home, check_output=_metrics_check, **kw)]


@register("metrics", per_size=True, description=f"metrics --format json --as-of {AS_OF}")
def bench_metrics(ctx: SizeContext) -> list[Result]:
    """Receivables metrics for the 3 months ending at the data's last day."""
    return _metrics(
        ctx,
        f"metrics --as-of {AS_OF}",
        ["--format", "json", "--as-of", AS_OF],
        target=ctx.target(Target(size="1M", max_seconds=1.5)),
    )


@register(
    "metrics-trend",
    per_size=True,
    description=f"metrics --by month --months 12 --as-of {AS_OF}",
)
def bench_metrics_trend(ctx: SizeContext) -> list[Result]:
    """A 12-month trend: 13 as-of dates evaluated in a fixed number of scans."""
    return _metrics(
        ctx,
        f"metrics --by month --months 12 --as-of {AS_OF}",
        ["--by", "month", "--months", "12", "--format", "json", "--as-of", AS_OF],
    )


@register("reconcile", per_size=True, description=f"reconcile --format json --as-of {AS_OF}")
def bench_reconcile(ctx: SizeContext) -> list[Result]:
    """Every reconciliation check over the whole ledger."""
    if not ctx.ensure_synced():
        return [Result(CURRENT[0], "reconcile", ctx.size, note="skipped: no ledger")]
    return [
        ctx.measure(
            f"reconcile --as-of {AS_OF}",
            ["reconcile", "--format", "json", "--as-of", AS_OF],
            home=ctx.home,
            target=ctx.target(Target(size="1M", max_seconds=2.0)),
        )
    ]


@register("letters", per_size=False, description="render 1,000 PDF letters in one process")
def bench_letters(ctx: Context) -> list[Result]:
    """Letters: content, template, blocks and a reportlab PDF each (benchmarks/letters_bench.py)."""
    script = Path(__file__).resolve().parent / "letters_bench.py"
    env = ctx.child_env(ctx.scratch / "letters-home")
    result = Result(benchmark="letters", case="1,000 PDF letters (every core)")
    rss = 0
    out, err = ctx.scratch / "letters.out", ctx.scratch / "letters.err"
    for _ in range(ctx.repeat):
        sample = run_child(
            [ctx.python, str(script), "1000"], env, timeout=ctx.timeout, stdout=out, stderr=err
        )
        rss = max(rss, sample.max_rss_kib)
        if sample.returncode != 0:
            result.returncode = sample.returncode
            result.note = f"exit {sample.returncode}: {tail(err)}"
            break
        result.samples.append(sample.seconds)
        result.cpu_samples.append(sample.cpu_seconds)
    result.peak_rss_mb = round(rss / 1024, 1)
    if result.returncode == 0:
        letters, size = out.read_text().split()
        result.note = f"{letters} letters, {int(size) // 1024} KiB of PDF"
    evaluate(result, Target(max_seconds=20.0), None)
    return [result]


import csv_preset_bench  # noqa: E402, F401  (registers "sync-csv-preset": an invoice list)
import dunning_bench  # noqa: E402, F401  (registers "dunning": dunning run --dry-run)
import forecast_bench  # noqa: E402, F401  (registers "forecast": forecast and its back-test)


# Registered after every other per-size benchmark (and the modules above): it leaves the edited
# books in the size's ledger.
@register(
    "resync-changed",
    per_size=True,
    description="sync csv DIR2: the same books with 1% of every file's rows changed",
)
def bench_resync_changed(ctx: SizeContext) -> list[Result]:
    """A nightly re-sync where a few rows changed (runs last: it leaves the edited books)."""
    case = "sync csv DIR (1% of the rows changed)"
    if not ctx.ensure_synced():
        return [Result(CURRENT[0], case, ctx.size, note="skipped: no ledger")]
    changed_dir = ctx.scratch / f"changed-{ctx.size}"
    counts = edit_books.edit_books(ctx.data_dir, changed_dir)
    ctx.synced = False  # the ledger now holds the edited books
    try:
        res = ctx.measure(
            case,
            ["sync", "csv", str(changed_dir)],
            home=ctx.home,
            repeat=1,
            target=ctx.target(Target(size="1M", max_seconds=10.0)),
        )
    finally:
        shutil.rmtree(changed_dir, ignore_errors=True)
    if res.returncode == 0:
        res.note = "changed rows: " + ", ".join(f"{n} of {k}" for k, n in counts.items())
    return [res]


import qbo_bench  # noqa: E402, F401  (registers "qbo-sync": QuickBooks sync, fake server)
import team_bench  # noqa: E402, F401  (registers "log-during-sync": account log during a sync)

# -- data sets -------------------------------------------------------------------------------


def generator_fingerprint() -> str:
    """Changes whenever generate.py changes, so cached data sets are rebuilt."""
    return hashlib.sha256((BENCH_DIR / "generate.py").read_bytes()).hexdigest()[:16]


def ensure_data(root: Path, size: str, invoices: int, seed: int) -> tuple[Path, float | None]:
    """The cached data set for ``size`` (generated if missing or stale) and the seconds spent."""
    directory = root / size
    marker = directory / ".generated.json"
    want = {"invoices": invoices, "seed": seed, "generator": generator_fingerprint()}
    try:
        if json.loads(marker.read_text(encoding="utf-8")) == want:
            return directory, None
    except (OSError, ValueError):
        pass
    print(f"generating {size} ({invoices} invoices) into {directory} ...", file=sys.stderr)
    # Written next to the target and swapped in when complete: an interrupted run never leaves
    # a half-written data set behind a valid marker, and readers see the old or the new files.
    root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{size}-", dir=root))
    try:
        start = time.perf_counter()
        generate.generate(staging, invoices, seed=seed)
        seconds = time.perf_counter() - start
        (staging / marker.name).write_text(json.dumps(want), encoding="utf-8")
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return directory, seconds


# -- reporting -------------------------------------------------------------------------------


def _yardstick(rows: Sequence[Result]) -> None:
    """Give the rows of one size without a peer of their own the ratio to the yardstick peer
    (DuckDB's end-to-end customer aging of the same size and run)."""
    peer = next(
        (
            r
            for r in rows
            if r.benchmark == "duckdb" and r.case.startswith("aging end to end") and AS_OF in r.case
        ),
        None,
    )
    for r in rows:
        if r.benchmark != "duckdb" and r.peer_ratio is None:
            compare(r, peer, own=False)


def format_table(results: Sequence[Result]) -> str:
    """The results as a fixed-width text table."""
    header = (
        "benchmark",
        "size",
        "case",
        "median s",
        "min s",
        "CPU s",
        "RSS MB",
        "ratio",
        "vs DuckDB",
        "load",
        "target",
        "ok",
    )
    rows = [header]
    for r in results:
        d = r.as_dict()
        rows.append(
            (
                r.benchmark,
                r.size or "",
                r.case,
                f"{d['median_s']:.3f}" if d["median_s"] is not None else "-",
                f"{d['min_s']:.3f}" if d["min_s"] is not None else "-",
                f"{d['median_cpu_s']:.3f}" if d["median_cpu_s"] is not None else "-",
                f"{r.peak_rss_mb:.0f}" if r.peak_rss_mb else "-",
                f"{r.ratio:.2f}×" if r.ratio is not None else "",
                f"{r.peer_ratio:.2f}×" if r.peer_ratio is not None else "",
                f"{r.load_start:.1f}" if r.load_start is not None else "",
                r.target or "",
                {True: "ok", False: "MISS", None: ""}[r.ok],
            )
        )
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.benchmark} {r.size or ''} {r.case}: {r.note}" for r in results if r.note]
    if notes:
        lines += ["", "notes:", *notes]
    return "\n".join(lines)


def machine_info(ctx: Context) -> dict[str, Any]:
    """Where the numbers were measured."""
    version = subprocess.run(
        [ctx.collectctl, "--version"],
        capture_output=True,
        text=True,
        env=ctx.child_env(ctx.scratch / "startup-home"),
        check=False,
    )
    commit = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "python": platform.python_version(),
        "collectctl": (version.stdout or version.stderr).strip(),
        "git_commit": commit.stdout.strip() or None,
        "load_average_at_start": list(os.getloadavg()),
        "duckdb": _duckdb_version(ctx),
    }


def _duckdb_version(ctx: Context) -> str | None:
    """The peer's version (None when DuckDB is not installed: ``make bench`` installs it)."""
    proc = subprocess.run(
        [ctx.python, "-c", "import duckdb; print(duckdb.__version__)"],
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.stdout.strip() or None


# -- main ------------------------------------------------------------------------------------


@contextmanager
def scratch_dir() -> Iterator[Path]:
    """A temporary directory removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="collectctl-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def postgres_database(server: str, *, create: bool) -> str:
    """(Re)create, or drop, database ``collectctl_bench`` on ``server``; returns its URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg

    with psycopg.connect(server, autocommit=True, connect_timeout=5) as conn:
        conn.execute("DROP DATABASE IF EXISTS collectctl_bench WITH (FORCE)")
        if create:
            conn.execute("CREATE DATABASE collectctl_bench")
    parts = urlsplit(server)
    return urlunsplit((parts.scheme, parts.netloc, "/collectctl_bench", parts.query, ""))


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options."""
    names = ", ".join(REGISTRY)
    p = argparse.ArgumentParser(
        description="Run collectctl's benchmarks.",
        epilog=f"benchmarks: {names}",
    )
    p.add_argument(
        "--sizes", default=DEFAULT_SIZES, help=f"data set sizes (default {DEFAULT_SIZES})"
    )
    p.add_argument("--only", action="append", default=[], help="benchmark name(s), comma separated")
    p.add_argument("--skip", action="append", default=[], help="benchmark name(s) to leave out")
    p.add_argument(
        "--repeat", type=int, default=3, help="runs per read command (median; default 3)"
    )
    p.add_argument(
        "--startup-runs", type=int, default=20, help="runs per start-up case (default 20)"
    )
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before a child is killed")
    p.add_argument(
        "--startup-install",
        choices=["regular", "current"],
        default="regular",
        help="measure start-up from a regular install in a fresh venv (default) or --bin",
    )
    p.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    p.add_argument("--bin", type=Path, default=Path(sys.executable).parent, help="venv bin dir")
    p.add_argument("--data-dir", type=Path, default=DEFAULT_DATA)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON results file")
    p.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    p.add_argument(
        "--backend",
        choices=["sqlite", "postgresql"],
        default="sqlite",
        help="ledger backend (postgresql: a fresh database on --postgres-url's server)",
    )
    p.add_argument(
        "--postgres-url",
        default=os.environ.get("COLLECTCTL_TEST_POSTGRES")
        or "postgresql://postgres@127.0.0.1:5432/postgres",
        help="server for --backend postgresql (it creates and drops database collectctl_bench)",
    )
    p.add_argument(
        "--verify-max",
        type=generate.parse_count,
        default=VERIFY_MAX_INVOICES,
        help="check aging against check.py up to this many invoices (default: every size)",
    )
    p.add_argument(
        "--docs",
        type=Path,
        default=None,
        help="after a full run (no --only), rewrite the generated table in this Markdown file",
    )
    args = p.parse_args(argv)
    args.only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    args.skip = [n.strip() for item in args.skip for n in item.split(",") if n.strip()]
    unknown = [n for n in args.only + args.skip if n not in REGISTRY]
    if unknown:
        p.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {names}")
    if args.repeat < 1 or args.startup_runs < 1:
        p.error("--repeat and --startup-runs must be at least 1")
    return args


#: Run by the interpreter under test: writes the bytecode of collectctl and of every package
#: that provides a ``collectctl`` entry point (the plugins), as ``pip install`` does.
COMPILE_CODE = """
import compileall, importlib.metadata as md, importlib.util as u, os
tops = {"collectctl"} | {ep.value.split(".")[0] for ep in md.entry_points(group="collectctl")}
for top in sorted(tops):
    spec = u.find_spec(top)
    if spec is not None and spec.submodule_search_locations:
        for where in spec.submodule_search_locations:
            compileall.compile_dir(where, quiet=1)
"""


def compile_bytecode(ctx: Context) -> None:
    """Write the bytecode of the code under test before anything is timed.

    ``make install`` installs collectctl and its plugins editable, as sources; with
    ``PYTHONDONTWRITEBYTECODE`` set (some CI machines and containers set it) every benchmarked
    process would compile every module it imports again, a cost a user's ``pip install`` (which
    compiles once) never pays. Compiling here, with the variable unset, makes the figures those
    of an installed collectctl whatever the environment; the variable stays as it is for the
    runs themselves.
    """
    env = {k: v for k, v in ctx.env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run([ctx.python, "-c", COMPILE_CODE], env=env, check=False, timeout=300)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the selected benchmarks; print the table; write the JSON. Exit 1 if a run failed."""
    args = parse_args(argv)
    if args.list:
        for b in REGISTRY.values():
            print(f"{b.name:18} {'per size' if b.per_size else 'once':8}  {b.description}")
        return 0
    selected = [
        b
        for b in REGISTRY.values()
        if (not args.only or b.name in args.only) and b.name not in args.skip
    ]
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTCTL_")}
    if args.backend == "postgresql":
        env["COLLECTCTL_LEDGER_URL"] = postgres_database(args.postgres_url, create=True)
    results: list[Result] = []
    started = datetime.now(UTC).isoformat(timespec="seconds")
    with scratch_dir() as scratch, contextlib.closing(SPAWNER):
        ctx = Context(
            bin_dir=args.bin,
            repeat=args.repeat,
            timeout=args.timeout,
            scratch=scratch,
            startup_runs=args.startup_runs,
            data_root=args.data_dir,
            env=env,
            startup_install=args.startup_install,
        )
        if not Path(ctx.collectctl).exists():
            print(f"no collectctl in {args.bin}; run `make install`", file=sys.stderr)
            return 1
        compile_bytecode(ctx)
        info = machine_info(ctx)
        load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
        print(
            f"collectctl benchmarks on {info['cpus']} CPUs, {info['platform']}; load {load}"
            " (wall times on a busy machine run long; CPU s is steadier)",
            file=sys.stderr,
        )

        def run_one(bench: Benchmark, bctx: Context) -> None:
            CURRENT[0] = bench.name
            print(f"- {bench.name} {bctx.size or ''}".rstrip(), file=sys.stderr)
            try:
                produced = bench.func(bctx)
            except Exception as exc:  # one broken benchmark must not lose the others' results
                produced = [
                    Result(
                        bench.name, "(benchmark raised)", bctx.size, returncode=1, note=repr(exc)
                    )
                ]
            for res in produced:
                results.append(res)
                med = res.median_s
                cpu = res.median_cpu_s
                shown = f"{med:.3f} s (CPU {cpu:.3f} s)" if med is not None and cpu else "-"
                print(f"    {res.case}: {shown} {res.note}".rstrip(), file=sys.stderr)

        for bench in selected:
            if not bench.per_size:
                run_one(bench, ctx)
        per_size = [b for b in selected if b.per_size]
        for size in sizes if per_size else []:
            invoices = generate.parse_count(size)
            data_dir, gen_s = ensure_data(args.data_dir, size, invoices, args.seed)
            if gen_s is not None:
                results.append(Result("generate", f"generate.py --invoices {size}", size, [gen_s]))
            home = scratch / f"home-{size}"
            sctx = SizeContext(
                bin_dir=args.bin,
                repeat=args.repeat,
                timeout=args.timeout,
                scratch=scratch,
                startup_runs=args.startup_runs,
                data_root=args.data_dir,
                env={**env, "COLLECTCTL_LEDGER_SCHEMA": f"bench_{size}"},
                size=size,
                invoices=invoices,
                data_dir=data_dir,
                home=home,
                verify_max=args.verify_max,
            )
            first = len(results)
            for bench in per_size:
                run_one(bench, sctx)
            _yardstick(results[first:])
            shutil.rmtree(home, ignore_errors=True)
    if args.backend == "postgresql":
        postgres_database(args.postgres_url, create=False)
    print()
    print(format_table(results))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    report = {
        "started": started,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average_at_end": list(os.getloadavg()),
        "machine": info,
        "args": {
            "sizes": sizes,
            "only": args.only,
            "skip": args.skip,
            "repeat": args.repeat,
            "backend": args.backend,
        },
        "results": [r.as_dict() for r in results],
    }
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out}", file=sys.stderr)
    if args.docs is not None:
        if args.only:
            print(f"not updating {args.docs}: --only ran part of the benchmarks", file=sys.stderr)
        else:
            import report as report_md

            report_md.update_docs(args.docs, report)
            print(f"updated the results table in {args.docs}", file=sys.stderr)
    return 1 if any(r.returncode != 0 for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

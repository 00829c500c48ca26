"""Tests for the benchmark tooling and the example data (no timing assertions here).

.venv/bin/python -m pytest -q benchmarks
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import check  # noqa: E402
import edit_books  # noqa: E402
import generate  # noqa: E402
import run  # noqa: E402

EXAMPLES = BENCH_DIR.parent / "examples"


@pytest.mark.parametrize(
    ("units", "exponent", "text"),
    [(123456, 2, "1234.56"), (5, 2, "0.05"), (480000, 0, "480000"), (1, 3, "0.001")],
)
def test_format_minor_is_exact(units: int, exponent: int, text: str) -> None:
    assert generate.format_minor(units, exponent) == text
    assert Decimal(text).scaleb(exponent) == units


def test_generator_is_deterministic(tmp_path: Path) -> None:
    a = generate.generate(tmp_path / "a", 700, seed=7)
    generate.generate(tmp_path / "b", 700, seed=7)
    generate.generate(tmp_path / "c", 700, seed=8)
    for name in ("customers.csv", "invoices.csv", "payments.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert (tmp_path / "a" / "payments.csv").read_bytes() != (
        tmp_path / "c" / "payments.csv"
    ).read_bytes()
    assert a.invoices == 700


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_books_keep_the_contract(tmp_path: Path, seed: int) -> None:
    stats = generate.generate(tmp_path, 3000, seed=seed)
    books = check.load(tmp_path)
    assert books.problems == []
    assert len(books.invoices) == 3000
    assert set(books.currency.values()) == {"USD", "EUR", "GBP", "JPY", "BHD"}
    # Every feature the benchmarks are meant to exercise shows up.
    assert set(stats.by_kind) == {"payment", "credit", "write_off", "refund"}
    assert stats.split_payments > 0
    assert stats.unapplied_payments > 0
    assert stats.void_invoices > 0
    assert 1.0 < stats.payment_rows / stats.invoices < 1.25


def test_varied_books_have_what_issue_16_asks_for(tmp_path: Path) -> None:
    end = date(2026, 6, 30)
    stats = generate.generate(tmp_path, 20_000, seed=5, end=end)
    books = check.load(tmp_path)
    assert books.problems == []
    invoices = list(books.invoices.values())
    assert max(inv.issue for inv in invoices) == end
    with open(tmp_path / "invoices.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    no_due = sum(not r["due_date"] for r in rows) / len(rows)
    no_currency = sum(not r["currency"] for r in rows) / len(rows)
    assert 0.25 < no_due < 0.35
    assert 0.2 < no_currency < 0.35
    with open(tmp_path / "payments.csv", newline="", encoding="utf-8") as fh:
        after = [r for r in csv.DictReader(fh) if date.fromisoformat(r["date"]) > end]
    assert after
    assert stats.after_end_payments == len(after)
    assert max(date.fromisoformat(r["date"]) for r in after) <= end + timedelta(days=10)
    # customers in several currencies, one very large account, long non-ASCII names
    per_customer: dict[str, set[str]] = {}
    sizes: dict[str, int] = {}
    for inv in invoices:
        per_customer.setdefault(inv.customer_id, set()).add(inv.currency)
        sizes[inv.customer_id] = sizes.get(inv.customer_id, 0) + 1
    assert sum(len(c) > 1 for c in per_customer.values()) == stats.second_currency_customers > 0
    assert max(sizes.values()) == stats.largest_customer >= 200
    assert min(sizes.values()) < 5
    names = [c["name"] for c in books.customers.values()]
    assert any(len(n) >= 60 and not n.isascii() for n in names)
    # a year back and at the end, the reference aging has money in every currency
    for as_of in (end, end - timedelta(days=365)):
        assert set(check.aging(books, as_of)) == {"USD", "EUR", "GBP", "JPY", "BHD"}


def test_plain_books_switch_the_variation_off(tmp_path: Path) -> None:
    stats = generate.generate(tmp_path, 3000, seed=5, variety=generate.Variety.plain())
    assert check.load(tmp_path).problems == []
    assert stats.after_end_payments == 0
    assert stats.second_currency_customers == 0
    assert stats.largest_customer <= 35


def test_edit_books_changes_one_row_in_a_hundred(tmp_path: Path) -> None:
    generate.generate(tmp_path / "a", 3000, seed=3)
    counts = edit_books.edit_books(tmp_path / "a", tmp_path / "b")
    assert counts["invoices.csv"] == 30
    before, after = check.load(tmp_path / "a"), check.load(tmp_path / "b")
    assert after.problems == []
    grown = [i for i, inv in after.invoices.items() if inv.amount != before.invoices[i].amount]
    assert len(grown) == 30


def test_duckdb_peer_computes_the_reference_aging(tmp_path: Path) -> None:
    pytest.importorskip("duckdb")
    import duckdb_peer

    generate.generate(tmp_path, 4000, seed=9)
    books = check.load(tmp_path)
    for as_of in (generate.END, date(2025, 10, 31)):
        report = json.loads(duckdb_peer.aging(tmp_path, as_of, "customer"))
        want = check.aging(books, as_of)
        got = {t["currency"]: t for t in report["totals"]}
        assert set(got) == set(want)
        for cur, totals in want.items():
            for key, units in totals.items():
                assert Decimal(got[cur][key]) == Decimal(check.format_units(units, cur)), key
    by_invoice = json.loads(duckdb_peer.aging(tmp_path, generate.END, "invoice"))
    assert by_invoice["rows"]
    assert {"days", "bucket", "balance"} <= set(by_invoice["rows"][0])


def test_generate_cli_accepts_suffixes(tmp_path: Path) -> None:
    assert generate.parse_count("10k") == 10_000
    assert generate.parse_count("1M") == 1_000_000
    assert generate.main(["--invoices", "50", "--out", str(tmp_path)]) == 0
    assert len((tmp_path / "invoices.csv").read_text(encoding="utf-8").splitlines()) == 51


def test_examples_keep_the_contract_and_the_readme_figures() -> None:
    books = check.load(EXAMPLES)
    assert books.problems == []
    assert len(books.customers) == 11
    assert len(books.invoices) == 61
    totals = check.aging(books, date(2026, 11, 30))
    assert totals["USD"] == {
        "current": 250000,
        "1-30": 1899000,
        "31-60": 448000,
        "61-90": 823000,
        "91+": 260000,
        "unapplied": -60000,
        "total": 3620000,
    }
    assert totals["JPY"]["total"] == 685000
    # Every bucket holds money in at least one currency.
    for bucket in ("current", "1-30", "31-60", "61-90", "91+"):
        assert any(t[bucket] > 0 for t in totals.values()), bucket


def test_target_applies_only_at_its_size() -> None:
    res = run.Result("x", "case", "100k", samples=[3.0], peak_rss_mb=100)
    run.evaluate(res, run.Target(size="1M", max_seconds=2.0), "100k")
    assert res.ok is None
    run.evaluate(res, run.Target(size="100k", max_seconds=2.0), "100k")
    assert res.ok is False
    run.evaluate(res, run.Target(size="100k", max_seconds=5.0, max_rss_mb=200), "100k")
    assert res.ok is True


def test_each_backend_gets_its_own_issues_targets(tmp_path: Path) -> None:
    def ctx(env: dict[str, str]) -> run.SizeContext:
        return run.SizeContext(
            bin_dir=tmp_path, repeat=1, timeout=1.0, scratch=tmp_path, startup_runs=1,
            data_root=tmp_path, env=env,
        )  # fmt: skip

    sqlite, postgresql = run.Target(max_peer_ratio=0.3), run.Target(max_seconds=2.0)
    on_sqlite = ctx({"PATH": "/bin"})
    on_server = ctx({"COLLECTCTL_LEDGER_URL": "postgresql://u@127.0.0.1/db"})
    assert (on_sqlite.backend, on_server.backend) == ("sqlite", "postgresql")
    assert on_sqlite.target(sqlite, postgresql) is sqlite
    assert on_server.target(sqlite, postgresql) is postgresql
    assert on_server.target(sqlite) is None


def test_run_child_reports_exit_status_and_rss(tmp_path: Path) -> None:
    out = tmp_path / "out"
    sample = run.run_child(
        [sys.executable, "-c", "import sys; b = bytearray(64 << 20); print('hi'); sys.exit(3)"],
        {},
        timeout=60,
        stdout=out,
    )
    assert sample.returncode == 3
    assert out.read_text() == "hi\n"
    assert sample.max_rss_kib >= 64 * 1024  # the child's own 64 MiB, measured exactly
    assert not sample.timed_out


def test_run_child_kills_on_timeout() -> None:
    sample = run.run_child([sys.executable, "-c", "import time; time.sleep(30)"], {}, timeout=0.2)
    assert sample.timed_out
    assert sample.returncode == -9


def test_registry_has_the_documented_benchmarks() -> None:
    assert list(run.REGISTRY)[:6] == [
        "startup",
        "sync-csv",
        "resync-csv",
        "aging-customer",
        "aging-historical",
        "aging-invoice",
    ]
    with pytest.raises(ValueError, match="registered twice"):
        run.register("startup", per_size=False, description="dup")(lambda ctx: [])


def test_demo_script_runs_from_anywhere_and_cleans_up(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    if not (bin_dir / "collectctl").exists():
        pytest.skip("collectctl is not installed next to this Python")
    proc = subprocess.run(
        ["bash", str(EXAMPLES / "demo.sh"), str(bin_dir)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # The customer aging's totals are the ones examples/README.md works out by hand.
    totals = [line.split() for line in proc.stdout.splitlines() if line.startswith("TOTAL")]
    assert [
        "TOTAL",
        "USD",
        "2500.00",
        "18990.00",
        "4480.00",
        "8230.00",
        "2600.00",
        "-600.00",
        "36200.00",
    ] in totals
    home = next(line for line in proc.stdout.splitlines() if "COLLECTCTL_HOME=" in line)
    assert not Path(home.split("COLLECTCTL_HOME=")[1].strip()).exists()


def test_sqlite_floor_times_the_ledgers_rows_and_the_aging_statement(tmp_path: Path) -> None:
    import sqlite3

    generate.generate(tmp_path / "books", 2000, seed=5)
    home = tmp_path / "home"
    cli = str(Path(sys.executable).parent / "collectctl")
    env = {"COLLECTCTL_HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([cli, "sync", "csv", str(tmp_path / "books"), "-q"], env=env, check=True)
    ledger = home / "profiles" / "default" / "ledger.db"
    with sqlite3.connect(ledger) as conn:
        stored = sum(
            conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
            for t in ("customers", "invoices", "allocations")
        )
    floor = [sys.executable, str(BENCH_DIR / "floor_bench.py")]
    load = json.loads(
        subprocess.run(
            [*floor, "load", str(ledger), str(tmp_path)], capture_output=True, check=True
        ).stdout
    )
    assert load["rows"] == stored > 2000
    assert load["seconds"] > 0
    assert load["cpu_seconds"] > 0
    for as_of in (run.AS_OF, run.AS_OF_HISTORICAL):
        timed = json.loads(
            subprocess.run(
                [*floor, "aging", str(ledger), as_of], capture_output=True, check=True
            ).stdout
        )
        report = json.loads(
            subprocess.run(
                [cli, "aging", "--as-of", as_of, "--format", "json"],
                env=env,
                capture_output=True,
                check=True,
            ).stdout
        )
        assert timed["rows"] == len(report["rows"]) > 0
    assert "sqlite-floor" in run.REGISTRY
    assert list(run.REGISTRY).index("sqlite-floor") < list(run.REGISTRY).index("resync-changed")

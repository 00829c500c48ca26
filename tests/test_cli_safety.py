"""CLI safety: the deletion guard's dry run, Ctrl-C, declined confirmations, future dates and
hostile values on the desk."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from core_helpers import cust, inv, run_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def _books(n: int) -> list:
    return [cust("C1", "Acme"), *(inv(f"I{i}", "C1", "2026-06-01", "10.00") for i in range(n))]


def test_a_dry_run_lists_what_the_deletion_guard_would_stop(cli, books):
    books.load(_books(5))
    assert cli("sync", "memory").exit_code == 0
    before = run_json(cli, "aging", "--by", "invoice", "--as-of", "2026-07-01")
    books.load(_books(2))  # 3 of 5 invoices gone: 60 %
    result = cli("sync", "memory", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "remove invoices: I2, I3, I4" in result.stdout
    assert "--allow-deletions" in result.stdout
    doc = run_json(cli, "sync", "memory", "--dry-run")
    assert doc[0]["needs_allow_deletions"] is True
    assert doc[0]["changes"]["invoices"]["removed"] == 3
    assert run_json(cli, "aging", "--by", "invoice", "--as-of", "2026-07-01") == before
    refused = cli("sync", "memory")
    assert refused.exit_code == 1
    assert "--allow-deletions" in refused.stderr
    allowed = run_json(cli, "sync", "memory", "--dry-run", "--allow-deletions")
    assert allowed[0]["needs_allow_deletions"] is False


SLOW_SOURCE = """
import pathlib, sys, time
from collectctl import hookimpl
from collectctl.plugins import manager
from collectctl.records import Customer, Source, SourceBatch

marker = pathlib.Path(sys.argv[1])


class Slow:
    @hookimpl
    def register_sources(self, register):
        def read(request):
            def records():
                yield Customer(id="Z1", name="Zed")
                marker.write_text("reading")
                time.sleep(60)
            return SourceBatch(True, records(), "slow books")
        register(Source(name="slow", read=read, help="Never finishes."))


manager.get_plugin_manager().register(Slow(), name="slow-books")
manager.invalidate_registries()
from collectctl.cli import main

sys.argv = ["collectctl", *sys.argv[2:]]
main()
"""


def _env(home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTCTL_")}
    env["COLLECTCTL_HOME"] = str(home)
    return env


def test_ctrl_c_exits_130_and_leaves_the_ledger_as_it_was(collectctl_home, tmp_path):
    env = _env(collectctl_home)
    run = [sys.executable, "-m", "collectctl.cli"]
    first = subprocess.run([*run, "sync", "csv", str(EXAMPLES), "-q"], env=env, timeout=60)
    assert first.returncode == 0
    aging = [*run, "aging", "--format", "json", "--as-of", "2026-11-30"]
    before = subprocess.run(aging, env=env, capture_output=True, text=True, timeout=60).stdout
    marker = tmp_path / "reading"
    script = tmp_path / "slow.py"
    script.write_text(SLOW_SOURCE)
    proc = subprocess.Popen(
        [sys.executable, str(script), str(marker), "sync", "slow"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        # A shell that starts the tests in the background (`make test &`) hands its children
        # SIGINT ignored, and Python keeps an ignored SIGINT ignored: give the child the
        # interactive default, as a terminal's Ctrl-C finds it.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the slow source never started"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Interrupted" in err
    assert "Traceback" not in err
    after = subprocess.run(aging, env=env, capture_output=True, text=True, timeout=60).stdout
    assert after == before
    ledger = collectctl_home / "profiles" / "default" / "ledger.db"
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("SELECT count(*) FROM customers WHERE source = 'slow'").fetchone() == (
            0,
        )
    again = subprocess.run([*run, "sync", "csv", str(EXAMPLES), "-q"], env=env, timeout=60)
    assert again.returncode == 0  # no stale lock, no stale staging file


def test_a_declined_confirmation_exits_1_and_removes_nothing(cli, collectctl_home):
    assert cli("profile", "create", "acme").exit_code == 0
    for answer in ("n\n", ""):
        result = cli("profile", "remove", "acme", input=answer)
        assert result.exit_code == 1
        assert "Nothing removed" in result.stderr
        assert "Aborted" not in result.output
        assert (collectctl_home / "profiles" / "acme" / "config.toml").exists()


def _example_invoices() -> int:
    import csv

    with (EXAMPLES / "invoices.csv").open(encoding="utf-8-sig", newline="") as fh:
        return sum(1 for _ in csv.DictReader(fh))


@pytest.mark.parametrize(
    "args",
    [
        ["sync", "--dry-run", "csv", str(EXAMPLES)],
        ["sync", "csv", str(EXAMPLES), "--dry-run"],
        ["sync", "csv", "-n", str(EXAMPLES)],
    ],
)
def test_a_dry_run_on_a_fresh_home_creates_no_profile(
    cli, collectctl_home, tmp_path, monkeypatch, args
):
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    result = cli(*args, "--format", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc[0]["changes"]["invoices"]["added"] == _example_invoices()
    assert not (collectctl_home / "profiles").exists()  # no config.toml, no ledger
    assert list(scratch.iterdir()) == []  # its throwaway ledger is gone too
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0  # the real run creates it
    assert (collectctl_home / "profiles" / "default" / "ledger.db").is_file()
    again = json.loads(cli(*args, "--format", "json").stdout)
    counts = again[0]["changes"]["invoices"]
    assert (counts["added"], counts["changed"], counts["removed"]) == (0, 0, 0)


def test_other_dry_runs_on_a_fresh_home_create_no_profile(cli, collectctl_home):
    result = cli("sync", "--dry-run")
    assert result.exit_code == 1
    assert "no sources are configured" in result.stderr
    assert str(collectctl_home / "profiles" / "default" / "config.toml") in result.stderr
    result = cli("dunning", "run", "--policy", EXAMPLES / "dunning.toml", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "nothing due" in result.stdout + result.stderr
    assert not (collectctl_home / "profiles").exists()


def _schemas(url: str) -> set[str]:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        return {
            r[0]
            for r in conn.execute(
                """SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'
                   AND nspname NOT IN ('information_schema', 'public')"""
            )
        }


@pytest.mark.usefixtures("ledger_backend")
def test_a_dry_run_creates_no_ledger_on_either_backend(
    cli, collectctl_home, ledger_backend, monkeypatch, tmp_path
):
    """The profile exists but its ledger does not yet (no SQLite file, no schema on the
    server): the dry run works on a throwaway empty ledger and creates neither."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert cli("profile", "create", "books").exit_code == 0
    url = os.environ.get("COLLECTCTL_LEDGER_URL")
    before = _schemas(url) if url else set()
    result = cli("--profile", "books", "sync", "csv", str(EXAMPLES), "-n", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["changes"]["invoices"]["added"] == _example_invoices()
    result = cli(
        "--profile", "books", "dunning", "run", "--policy", EXAMPLES / "dunning.toml", "-n"
    )
    assert result.exit_code == 0, result.stderr
    assert not list((collectctl_home / "profiles" / "books").rglob("ledger.db*"))
    if url:
        assert _schemas(url) == before
    assert list(scratch.iterdir()) == []
    # the real run creates it, and a dry run after it sees it
    assert cli("--profile", "books", "sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    again = json.loads(
        cli("--profile", "books", "sync", "csv", str(EXAMPLES), "-n", "--format", "json").stdout
    )
    assert again[0]["changes"]["invoices"]["added"] == 0


def _old_ledger(path: Path, version: int) -> None:
    """A ledger file at schema ``version`` (the first ``version`` migrations), as an older
    collectctl left it."""
    from collectctl.ledger import connection, schema

    conn = sqlite3.connect(path)
    for script in schema.MIGRATIONS[:version]:
        for statement in connection._statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.commit()
    conn.close()


@pytest.mark.sqlite_only
def test_a_dry_run_on_an_older_ledger_migrates_a_copy(cli, collectctl_home):
    from collectctl.ledger import schema

    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    path = collectctl_home / "profiles" / "default" / "ledger.db"
    path.unlink()
    _old_ledger(path, schema.LATEST - 2)
    before = path.read_bytes()
    result = cli("sync", "csv", str(EXAMPLES), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)[0]["changes"]["invoices"]["added"] == _example_invoices()
    assert path.read_bytes() == before  # not migrated, no rows
    assert not list(path.parent.glob("ledger.db.v*.bak"))  # and no migration backup either
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST - 2
    conn.close()
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0  # the real run migrates
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    conn.close()


@pytest.mark.postgresql_only
@pytest.mark.usefixtures("ledger_backend")
def test_a_dry_run_on_an_older_postgresql_schema_is_refused(cli, open_ledger):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    ledger = open_ledger()
    ledger.conn.raw.execute("UPDATE schema_version SET version = version - 1")
    ledger.close()
    url = os.environ["COLLECTCTL_LEDGER_URL"]
    result = cli("sync", "csv", str(EXAMPLES), "--dry-run")
    assert result.exit_code == 1
    assert "a dry run writes nothing, so it cannot migrate it" in result.stderr
    assert "Traceback" not in result.stderr
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        (schema_name,) = _schemas(url)
        conn.execute(f'SET search_path = "{schema_name}"')
        from collectctl.ledger.schema import LATEST

        assert conn.execute("SELECT version FROM schema_version").fetchone() == (LATEST - 1,)


def test_a_letter_send_dry_run_on_a_fresh_home_creates_no_profile(cli, collectctl_home):
    result = cli("letter", "ACME", "--stage", "reminder", "--send", "file", "--dry-run")
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert not (collectctl_home / "profiles").exists()

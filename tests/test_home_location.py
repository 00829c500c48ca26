"""Where state lives: the data directory by default; an old home at click's app dir
(~/.config/collectctl) keeps working, status says how to move it, and `home migrate` moves it
in one step with the ledgers copied by SQLite's backup API."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.fixture
def user(tmp_path, monkeypatch):
    """A user with no COLLECTCTL_HOME: HOME and the XDG dirs under tmp_path."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTCTL_", "XDG_"))}
    env.update(HOME=str(tmp_path / "me"))
    (tmp_path / "me").mkdir()

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "collectctl.cli", *args],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )

    run.home = tmp_path / "me"  # type: ignore[attr-defined]
    return run


def test_a_new_home_is_the_data_directory(user):
    assert user("sync", "csv", str(EXAMPLES), "-q").returncode == 0
    ledger = user.home / ".local/share/collectctl/profiles/default/ledger.db"
    assert ledger.is_file()
    assert not (user.home / ".config/collectctl").exists()
    assert user("home", "show").stdout.strip() == str(user.home / ".local/share/collectctl")


def _old_home(user) -> Path:
    old = user.home / ".config/collectctl"
    result = subprocess.run(
        [sys.executable, "-m", "collectctl.cli", "sync", "csv", str(EXAMPLES), "-q"],
        env={**{k: v for k, v in os.environ.items() if not k.startswith("COLLECTCTL_")},
             "COLLECTCTL_HOME": str(old)},
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return old


def test_an_old_home_keeps_working_and_status_says_how_to_move_it(user):
    old = _old_home(user)
    aging = user("aging", "--format", "json", "--as-of", "2026-11-30")
    assert aging.returncode == 0
    assert json.loads(aging.stdout)["rows"]
    status = user("status")
    assert "collectctl home migrate" in status.stderr
    assert str(old) in status.stderr
    assert not (user.home / ".local/share/collectctl").exists()


def test_home_migrate_moves_it_with_the_ledger_intact(user):
    old = _old_home(user)
    before = user("aging", "--format", "json", "--as-of", "2026-11-30").stdout
    moved = user("home", "migrate")
    assert moved.returncode == 0, moved.stderr
    new = user.home / ".local/share/collectctl"
    ledger = new / "profiles/default/ledger.db"
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert not old.exists()
    assert (old.parent / "collectctl.migrated/profiles/default/ledger.db").is_file()
    assert user("aging", "--format", "json", "--as-of", "2026-11-30").stdout == before
    assert "home migrate" not in user("status").stderr
    again = user("home", "migrate")
    assert again.returncode == 0
    assert "Nothing to migrate" in again.stdout
    assert not list(new.parent.glob(".collectctl-migrate-*"))

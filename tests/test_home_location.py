"""Where state lives without COLLECTCTL_HOME: a profile's config.toml and .env in the user
config directory, its ledger and other data in the user data directory. A profile an earlier
version kept in one directory keeps working, status says how to move it, and `home migrate`
splits it (each half appears in one step, ledgers copied by SQLite's backup API, a dry run
writes nothing, an existing target stops it). With COLLECTCTL_HOME set, everything stays under
it (the contract's layout)."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
AS_OF = ("--as-of", "2026-11-30")


@pytest.fixture
def user(tmp_path, monkeypatch, cli):
    """A user with no COLLECTCTL_HOME: HOME under tmp_path, no XDG variables set."""
    me = tmp_path / "me"
    me.mkdir()
    monkeypatch.delenv("COLLECTCTL_HOME", raising=False)
    for name in list(os.environ):
        if name.startswith("XDG_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(me))
    cli.home = me  # type: ignore[attr-defined]
    cli.config = me / ".config/collectctl/profiles"  # type: ignore[attr-defined]
    cli.data = me / ".local/share/collectctl/profiles"  # type: ignore[attr-defined]
    return cli


def _ok(result):
    assert result.exit_code == 0, result.output
    return result


def _aging(user) -> str:
    return _ok(user("aging", "--format", "json", *AS_OF)).stdout


def _tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` with its content (to prove nothing was written)."""
    return {str(p): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_config_goes_to_the_config_dir_and_the_ledger_to_the_data_dir(user):
    _ok(user("sync", "csv", str(EXAMPLES), "-q"))
    assert (user.config / "default/config.toml").is_file()
    assert (user.data / "default/ledger.db").is_file()
    assert not (user.config / "default/ledger.db").exists()
    assert not (user.data / "default/config.toml").exists()
    shown = _ok(user("home", "show")).stdout
    assert str(user.home / ".config/collectctl") in shown
    assert str(user.home / ".local/share/collectctl") in shown


def test_the_xdg_variables_move_both_halves(user, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "cfg"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "dat"))
    _ok(user("sync", "csv", str(EXAMPLES), "-q"))
    assert (tmp_path / "cfg/collectctl/profiles/default/config.toml").is_file()
    assert (tmp_path / "dat/collectctl/profiles/default/ledger.db").is_file()
    assert not (user.home / ".config").exists()


def test_the_profile_env_and_relative_source_dirs_are_in_the_config_half(user):
    _ok(user("profile", "create", "acme"))
    config = user.config / "acme"
    (config / ".env").write_text("COLLECTCTL_ACTOR=dana\n", encoding="utf-8")
    with (config / "config.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'\n[sources.csv]\ndir = "{os.path.relpath(EXAMPLES, config)}"\n')
    _ok(user("--profile", "acme", "sync", "-q"))
    assert (user.data / "acme/ledger.db").is_file()
    from collectctl.app import App

    app = App("acme")
    assert app.env["COLLECTCTL_ACTOR"] == "dana"
    assert app.config_dir == config
    assert app.profile_dir == user.data / "acme"


def test_profile_commands_work_on_both_halves(user):
    created = _ok(user("profile", "create", "acme")).stdout
    assert str(user.config / "acme") in created
    assert str(user.data / "acme") in created
    assert (user.config / "acme/config.toml").is_file()
    assert (user.data / "acme").is_dir()
    (user.data / "ledger-only").mkdir()  # a data half whose config dir is gone
    listed = json.loads(_ok(user("profile", "list", "--format", "json")).stdout)
    by_name = {row["name"]: row for row in listed}
    assert set(by_name) == {"acme", "ledger-only"}
    assert by_name["acme"]["path"] == str(user.config / "acme")
    assert by_name["acme"]["data"] == str(user.data / "acme")
    shown = json.loads(_ok(user("profile", "show", "acme", "--format", "json")).stdout)
    assert shown["path"] == str(user.config / "acme")
    assert shown["data"] == str(user.data / "acme")
    assert shown["ledger"] == str(user.data / "acme/ledger.db")
    declined = user("profile", "remove", "acme", input="n\n")
    assert declined.exit_code == 1
    assert (user.config / "acme").is_dir()
    assert (user.data / "acme").is_dir()
    _ok(user("profile", "remove", "acme", input="y\n"))
    assert not (user.config / "acme").exists()
    assert not (user.data / "acme").exists()
    assert user("profile", "create", "ledger-only").exit_code == 1  # exists (data half)


def test_status_prints_both_paths(user):
    _ok(user("sync", "csv", str(EXAMPLES), "-q"))
    document = json.loads(_ok(user("status", "--format", "json")).stdout)
    assert document["config"] == str(user.config / "default/config.toml")
    assert document["data"] == str(user.data / "default")
    table = _ok(user("status")).stdout
    assert str(user.config / "default/config.toml") in table
    assert str(user.data / "default/ledger.db") in table
    assert "home migrate" not in _ok(user("status")).stderr


def _old_home(user, monkeypatch, where: Path) -> Path:
    """A profile kept in one directory (``where``/profiles/default), synced from examples."""
    monkeypatch.setenv("COLLECTCTL_HOME", str(where))
    _ok(user("sync", "csv", str(EXAMPLES), "-q"))
    (where / "profiles/default/handover").mkdir()
    (where / "profiles/default/handover/pack.md").write_text("pack\n", encoding="utf-8")
    monkeypatch.delenv("COLLECTCTL_HOME")
    return where / "profiles/default"


def test_an_old_config_dir_home_keeps_working_and_status_says_how_to_move_it(user, monkeypatch):
    old = _old_home(user, monkeypatch, user.home / ".config/collectctl")
    aging = json.loads(_aging(user))
    assert aging["rows"]
    status = _ok(user("status"))
    assert "collectctl home migrate" in status.stderr
    assert str(old) in status.stderr
    assert str(old / "ledger.db") in status.stdout
    assert not (user.home / ".local/share/collectctl/profiles").exists()
    assert "old one-directory layout" in _ok(user("home", "show")).stderr
    (listed,) = json.loads(_ok(user("profile", "list", "--format", "json")).stdout)
    assert listed["path"] == listed["data"] == str(old)


@pytest.mark.parametrize("layout", ["config", "data"])
def test_home_migrate_splits_an_old_home_with_the_ledger_intact(user, monkeypatch, layout):
    root = user.home / (".config/collectctl" if layout == "config" else ".local/share/collectctl")
    old = _old_home(user, monkeypatch, root)
    before = _aging(user)
    everything = _tree(user.home)

    dry = _ok(user("home", "migrate", "--dry-run"))
    assert "Would move" in dry.stdout
    assert "nothing was written" in dry.stdout
    assert _tree(user.home) == everything

    _ok(user("home", "migrate"))
    ledger = user.data / "default/ledger.db"
    with sqlite3.connect(ledger) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert (user.config / "default/config.toml").is_file()
    assert (user.data / "default/handover/pack.md").read_text(encoding="utf-8") == "pack\n"
    assert not (user.config / "default/ledger.db").exists()
    assert not (user.data / "default/config.toml").exists()
    kept = root.with_name(root.name + ".migrated") / "profiles/default"
    assert (kept / ("ledger.db" if layout == "config" else "config.toml")).is_file()
    assert old.is_dir()  # it is one of the halves now
    assert _aging(user) == before
    assert "home migrate" not in _ok(user("status")).stderr
    again = _ok(user("home", "migrate"))
    assert "Nothing to migrate" in again.stdout
    assert not list(user.config.glob(".*migrate*"))
    assert not list(user.data.glob(".*migrate*"))


def test_home_migrate_refuses_an_existing_target_and_writes_nothing(user, monkeypatch):
    _old_home(user, monkeypatch, user.home / ".local/share/collectctl")
    (user.config / "default/templates").mkdir(parents=True)  # the config half's place is taken
    everything = _tree(user.home)
    refused = user("home", "migrate")
    assert refused.exit_code == 1
    assert "exists already" in refused.output
    assert "nothing was moved" in refused.output
    assert _tree(user.home) == everything
    assert json.loads(_aging(user))["rows"]  # still works where it is


def test_with_collectctl_home_everything_stays_under_it(cli, collectctl_home):
    _ok(cli("sync", "csv", str(EXAMPLES), "-q"))
    profile = collectctl_home / "profiles/default"
    assert (profile / "config.toml").is_file()
    assert (profile / "ledger.db").is_file()
    shown = json.loads(_ok(cli("profile", "show", "--format", "json")).stdout)
    assert shown["path"] == shown["data"] == str(profile)
    refused = cli("home", "migrate")
    assert refused.exit_code == 1
    assert "COLLECTCTL_HOME is set" in refused.output


def test_letter_templates_are_read_from_the_config_half(user):
    _ok(user("profile", "create", "default"))
    templates = user.config / "default/templates"
    templates.mkdir()
    (templates / "reminder.md.j2").write_text("{% if %}broken\n", encoding="utf-8")
    result = user("letter", "--check-templates")
    assert result.exit_code == 3
    assert "FAIL reminder.en: profile:templates/reminder.md.j2" in result.stdout


def test_home_migrate_copies_what_is_still_in_the_wal(user, monkeypatch):
    old = _old_home(user, monkeypatch, user.home / ".config/collectctl")
    writer = sqlite3.connect(old / "ledger.db")
    try:
        assert writer.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        writer.execute("PRAGMA wal_autocheckpoint = 0")
        writer.execute("CREATE TABLE only_in_the_wal (x)")
        writer.execute("INSERT INTO only_in_the_wal VALUES (42)")
        writer.commit()
        assert (old / "ledger.db-wal").stat().st_size > 0
        _ok(user("home", "migrate"))
    finally:
        writer.close()
    with sqlite3.connect(user.data / "default/ledger.db") as conn:
        assert conn.execute("SELECT x FROM only_in_the_wal").fetchall() == [(42,)]
    assert not (old / "ledger.db-wal").exists()

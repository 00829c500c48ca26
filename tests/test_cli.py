"""The root command: start-up cost, global options, profiles, .env, exit codes, migrations."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from core_helpers import real_cli, run_json

from collectctl import __version__

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"

HEAVY = (
    *("requests", "jinja2", "tabulate", "pluggy", "dotenv", "sqlite3", "decimal"),
    *("email", "smtplib", "reportlab", "pypdfium2", "psycopg"),
    # cut from the help path: the settings, the home, platform paths, plugin scanning and
    # click's terminal-size import of shutil (with bz2, lzma)
    *("platformdirs", "tomllib", "zoneinfo", "importlib.metadata", "shutil", "bz2", "lzma"),
    *("collectctl.home", "collectctl.settings", "collectctl.plugins.manager"),
)
#: What the format option of a subcommand's help may load (the plugin manager).
SUBCOMMAND_HELP_MAY_LOAD = {
    *("pluggy", "sqlite3", "decimal", "importlib.metadata", "shutil", "bz2", "lzma"),
    *("collectctl.plugins.manager", "zoneinfo", "collectctl.home", "collectctl.settings"),
}


def imported_modules(args, home):
    env = {k: v for k, v in os.environ.items() if not k.startswith("COLLECTCTL_")}
    env["COLLECTCTL_HOME"] = str(home)
    code = (
        "import sys\n"
        "from collectctl.cli import cli\n"
        "try:\n"
        f"    cli.main({list(args)!r}, prog_name='collectctl')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    return set(result.stderr.split()), result.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["aging", "--help"]])
def test_help_and_version_import_nothing_heavy(args, collectctl_home):
    imported_modules(["--help"], collectctl_home)  # warm the plugin discovery cache
    modules, out = imported_modules(args, collectctl_home)
    assert out
    loaded = {name for name in HEAVY if name in modules}
    if args == ["aging", "--help"]:
        loaded -= SUBCOMMAND_HELP_MAY_LOAD
    assert not loaded, f"{args} imported {loaded}"


def test_version(cli):
    result = cli("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"collectctl {__version__}"


def test_help_lists_core_and_plugin_commands(cli):
    result = cli("--help")
    assert result.exit_code == 0
    for name in ("aging", "sync", "status", "profile", "plugins"):
        assert f"  {name} " in result.stdout


def test_unknown_profile_is_an_error_that_says_how_to_create_it(cli, collectctl_home):
    result = cli("--profile", "acme", "aging")
    assert result.exit_code == 1
    assert "profile 'acme' does not exist" in result.stderr
    assert "collectctl profile create acme" in result.stderr
    assert not (collectctl_home / "profiles" / "acme").exists()


def test_profiles_create_list_show_remove(cli, collectctl_home):
    assert cli("profile", "create", "acme").exit_code == 0
    assert cli("profile", "create", "acme").exit_code == 1
    assert cli("profile", "create", "../evil").exit_code == 1
    names = {p["name"] for p in run_json(cli, "profile", "list")}
    assert "acme" in names
    shown = run_json(cli, "--profile", "acme", "profile", "show")
    assert shown["name"] == "acme"
    assert shown["config"]["currency"] == "USD"
    assert run_json(cli, "aging", env={"COLLECTCTL_PROFILE": "acme"})["rows"] == []
    assert (collectctl_home / "profiles" / "acme" / "ledger.db").exists()
    assert cli("profile", "remove", "acme", "--yes").exit_code == 0
    assert not (collectctl_home / "profiles" / "acme").exists()
    assert cli("profile", "remove", "acme", "--yes").exit_code == 1


def test_default_profile_created_on_first_use(cli, collectctl_home):
    assert run_json(cli, "aging")["rows"] == []
    assert (collectctl_home / "profiles" / "default" / "config.toml").exists()


def test_bad_config_is_a_clear_error(cli, collectctl_home):
    cli("profile", "create", "x")
    config = collectctl_home / "profiles" / "x" / "config.toml"
    config.write_text('currency = "DOLLARS"\n')
    result = cli("-p", "x", "aging")
    assert result.exit_code == 1
    assert "config.toml: currency:" in result.stderr
    config.write_text('timezone = "Mars/Olympus"\n')
    assert "unknown time zone" in cli("-p", "x", "aging").stderr
    config.write_text("currency = \n")
    assert "Fix the TOML syntax" in cli("-p", "x", "aging").stderr


def test_env_precedence(collectctl_home, tmp_path, monkeypatch):
    from collectctl.home import load_env

    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / ".env").write_text("A=profile\nB=profile\nC=profile\nCOLLECTCTL_HOME=/nope\n")
    (tmp_path / "cwd" / ".env").write_text("A=cwd\nB=cwd\n")
    monkeypatch.setenv("A", "real")
    env = load_env(profile)
    assert (env["A"], env["B"], env["C"]) == ("real", "cwd", "profile")
    assert env["COLLECTCTL_HOME"] == str(collectctl_home)  # only the cwd .env may set it


def test_cwd_dotenv_may_set_home(tmp_path, monkeypatch):
    from collectctl.home import home

    monkeypatch.delenv("COLLECTCTL_HOME")
    (tmp_path / "cwd" / ".env").write_text(f"COLLECTCTL_HOME={tmp_path / 'from-dotenv'}\n")
    assert home() == tmp_path / "from-dotenv"


def test_debug_shows_traceback_for_user_errors(cli):
    quiet = cli("--profile", "nope", "aging")
    assert "Traceback" not in quiet.stderr
    loud = cli("--debug", "--profile", "nope", "aging")
    assert loud.exit_code == 1
    assert "Traceback" in loud.stderr


def test_migration_backs_up_first_and_a_failed_one_changes_nothing(tmp_path, monkeypatch):
    from collectctl.errors import CollectctlError
    from collectctl.ledger import connection, schema

    path = tmp_path / "ledger.db"
    ledger = connection.Ledger.open(path)
    with ledger.write() as conn:
        conn.execute(
            "INSERT INTO customers (source, ext_id, name, currency) VALUES ('csv','C1','A','USD')"
        )
    ledger.close()
    monkeypatch.setattr(connection, "MIGRATIONS", [*schema.MIGRATIONS, "CREATE TABLE broken (;"])
    monkeypatch.setattr(connection, "LATEST", schema.LATEST + 1)
    with pytest.raises(sqlite3.OperationalError):
        connection.Ledger.open(path)
    backup = tmp_path / f"ledger.db.v{schema.LATEST}.bak"
    assert backup.exists()
    check = sqlite3.connect(path)
    assert check.execute("PRAGMA user_version").fetchone()[0] == schema.LATEST
    assert check.execute("SELECT name FROM customers").fetchall() == [("A",)]
    check.close()
    monkeypatch.setattr(
        connection, "MIGRATIONS", [*schema.MIGRATIONS, "ALTER TABLE customers ADD COLUMN x TEXT;"]
    )
    migrated = connection.Ledger.open(path)
    assert migrated.version == schema.LATEST + 1
    migrated.close()
    monkeypatch.setattr(connection, "LATEST", schema.LATEST)
    with pytest.raises(CollectctlError, match="newer collectctl"):
        connection.Ledger.open(path)


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["aging", "--as-of", "0001-01-01"], 0),
        (["aging", "--as-of", "9999-12-31", "--by", "invoice"], 0),
        (["aging", "--buckets", "99999999999999999999"], 0),
        (["metrics", "--as-of", "0001-01-01"], 2),
        (["metrics", "--as-of", "9999-12-31"], 2),
        (["account", "list", "--as-of", "0001-01-01"], 0),
        (["reconcile", "--as-of", "0001-01-01"], 0),
    ],
)
def test_calendar_edges_never_crash(cli, args, code):
    result = cli(*args, "--format", "json")
    assert result.exit_code == code, result.stderr
    assert "Traceback" not in result.stderr


def test_new_profile_config_names_every_section_with_the_defaults(cli, collectctl_home):
    import tomllib

    from collectctl.home import DEFAULTS

    assert cli("profile", "create", "acme").exit_code == 0
    text = (collectctl_home / "profiles" / "acme" / "config.toml").read_text()
    config = tomllib.loads(text)
    for section in ("creditor", "sources", "smtp", "letters", "plans", "dunning"):
        assert section in config, section
    for key, value in DEFAULTS.items():
        assert config[key] == value, key  # the file says exactly what the defaults are


POLICY = Path(__file__).resolve().parents[1] / "examples" / "dunning.toml"


@pytest.mark.parametrize(
    "args",
    [
        ["forecast", "--weeks"],
        ["forecast", "--months"],
        ["forecast", "backtest", "--from", "2026-01-31", "--to", "2026-02-28", "--weeks"],
        ["metrics", "--months"],
        ["dunning", "run", "--policy", POLICY, "--dry-run", "--max"],
        ["plan", "propose", "C1", "--every", "month", "--start", "2026-12-10", "--installments"],
    ],
)
@pytest.mark.parametrize("count", ["\u0663", "\uff13", "1_0", "3.0", ""])
def test_counts_take_ascii_digits_only(cli, args, count):
    result = cli(*args, count)
    assert result.exit_code == 2, result.stdout + result.stderr
    assert f"Invalid value for '{args[-1]}'" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_home_that_is_a_file_is_a_clear_error_not_an_internal_one(tmp_path):
    home = tmp_path / "home"
    home.write_text("oops")
    result = real_cli(home, "aging")
    assert result.returncode == 1
    assert f"Error: Not a directory: {home / 'profiles'}" in result.stderr
    assert "internal error" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_ledger_that_is_not_a_database_is_named_and_left_alone(tmp_path):
    ledger = tmp_path / "home" / "profiles" / "default" / "ledger.db"
    ledger.parent.mkdir(parents=True)
    ledger.write_bytes(b"a note, not a ledger\n")
    for args in (["aging"], ["sync", "csv", "--dry-run", str(EXAMPLES)]):
        result = real_cli(tmp_path / "home", *args)
        assert result.returncode == 1, result.stderr
        assert f"{ledger} is not a readable collectctl ledger" in result.stderr
        assert "internal error" not in result.stderr
    assert ledger.read_bytes() == b"a note, not a ledger\n"

"""Everyday ergonomics of the CLI: empty books, messages, scriptable writes, finding things."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("command", [["aging"], ["account", "list"], ["metrics"]])
def test_never_synced_books_say_so_on_stderr(cli, command):
    result = cli(*command, "--format", "json")
    assert result.exit_code == 0
    assert "never been synced" in result.stderr
    assert "collectctl sync csv DIR" in result.stderr
    json.loads(result.stdout)  # stdout stays a clean document
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    assert "never been synced" not in cli(*command).stderr


def _copy(tmp_path: Path) -> Path:
    import shutil

    books = tmp_path / "books"
    shutil.copytree(EXAMPLES, books, ignore=shutil.ignore_patterns("*.sh", "*.md"))
    return books


def test_plugin_summaries_in_sync_help_are_cut_between_words(cli):
    from collectctl.plugins.manager import sources

    out = cli("sync", "--help").stdout
    for name, source in sources().items():
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(name + " "))
        summary = line.strip()[len(name) :].strip()
        full = " ".join(source.help.split())
        if summary.endswith("..."):
            kept = summary[:-3]
            assert full.startswith(kept), (summary, full)
            assert full[len(kept)] == " ", f"{name}: cut mid-word: {summary!r}"
        else:
            assert full.startswith(summary)


def test_sync_counts_the_records_the_tables_add_up_to(cli):
    doc = json.loads(cli("sync", "csv", str(EXAMPLES), "--format", "json").stdout)[0]
    assert doc["records"] == sum(c["added"] for c in doc["changes"].values())
    again = cli("sync", "csv", str(EXAMPLES))
    assert "no records" in again.stdout
    assert "1 records" not in again.stdout


def test_the_timeline_names_the_option_the_user_typed(cli):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    made = cli("account", "promise", "northwind", "--amount", "10", "--by", "2099-01-01")
    assert made.exit_code == 0
    amended = cli("account", "amend", "PRM-1", "--by", "2099-02-01", "--reason", "moved")
    assert amended.exit_code == 0, amended.stderr
    activity = json.loads(cli("account", "show", "northwind", "--format", "json").stdout)
    texts = [a["text"] for a in activity["activity"] if "amended" in json.dumps(a)]
    assert any("--by 2099-01-01 -> 2099-02-01" in t for t in texts), texts
    assert not any("due_on" in t for t in texts)


def test_account_log_hint_names_its_own_option(cli):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    result = cli("account", "log", "northwind", "--channel", "phone", "--outcome", "spoke",
                 "--note", "x", "--at", "2026-11-30 10:00", "--next", "2026-11-01")  # fmt: skip
    assert result.exit_code == 1
    assert "--at" in result.stderr
    assert "--as-of" not in result.stderr


def test_a_non_utf8_byte_is_shown_once_escaped(cli, tmp_path):
    books = _copy(tmp_path)
    path = books / "customers.csv"
    path.write_bytes(path.read_bytes().replace("Müller".encode(), b"M\xfcller", 1))
    result = cli("sync", "csv", str(books))
    assert result.exit_code == 1
    assert "M\\xfcller" in result.stderr
    assert "M\\\\xfcller" not in result.stderr


@pytest.mark.parametrize(
    ("old", "new", "setting"),
    [("2026-01-05", "05/01/2026", "date_format"), ("2500.00", '"2,500.00"', "thousands_separator")],
)
def test_csv_format_errors_name_the_setting_that_fixes_them(cli, tmp_path, old, new, setting):
    books = _copy(tmp_path)
    path = books / "invoices.csv"
    path.write_text(path.read_text().replace(old, new, 1))
    result = cli("sync", "csv", str(books))
    assert result.exit_code == 1
    assert setting in result.stderr
    assert "config.toml" in result.stderr


WRITES = [
    (["account", "log", "northwind", "--channel", "phone", "--outcome", "spoke", "--note", "hi"],
     "ACT-1"),
    (["account", "promise", "northwind", "--amount", "25.50", "--by", "2099-01-01"], "PRM-1"),
    (["account", "dispute", "northwind", "--invoice", "inv-001", "--reason", "quality"], "DSP-1"),
    (["account", "dispute", "northwind", "--resolve", "DSP-1"], "DSP-1"),
    (["account", "hold", "northwind", "--reason", "travel"], "HLD-1"),
    (["account", "release", "northwind"], ["HLD-1"]),
    (["account", "amend", "PRM-1", "--by", "2099-02-01", "--reason", "moved"], "PRM-1"),
    (["account", "void", "ACT-1", "--reason", "wrong account"], "ACT-1"),
    (["account", "escalate", "northwind", "--to", "agency", "--draft"], "ESC-1"),
    (["plan", "create", "mueller", "--every", "month", "--installments", "3", "--start",
      "2099-01-15"], "PL-1"),
    (["plan", "cancel", "PL-1", "--reason", "replaced"], "PL-1"),
]  # fmt: skip


@pytest.mark.parametrize("via_env", [False, True])
def test_write_commands_print_the_record_they_made_as_json(cli, via_env):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    for args, expected in WRITES:
        if via_env:
            result = cli(*args, env={"COLLECTCTL_FORMAT": "json"})
        else:
            result = cli(*args, "--format", "json")
        assert result.exit_code == 0, (args, result.stderr)
        doc = json.loads(result.stdout)
        if isinstance(expected, list):
            assert [d["id"] for d in doc] == expected
        else:
            assert doc.get("id", doc.get("plan_id")) == expected, (args, doc)
    promise = json.loads(cli("account", "amend", "PRM-1", "--note", "n", "--reason", "r",
                             "--format", "json").stdout)  # fmt: skip
    assert promise["amount"] == "25.50"
    assert promise["due_on"] == "2099-02-01"
    assert promise["customer_id"] == "northwind"


@pytest.mark.parametrize(
    ("args", "suggestion"),
    [(["agin"], "'aging'"), (["account", "lst"], "'list'"), (["plan", "creat"], "'create'")],
)
def test_a_mistyped_command_suggests_the_closest(cli, args, suggestion):
    result = cli(*args)
    assert result.exit_code == 2
    assert f"Did you mean {suggestion}" in result.stderr


@pytest.mark.parametrize("typed", ["NORTHWIND", "northwnd", "Northwind Traders"])
def test_an_unknown_customer_suggests_close_ids_and_names(cli, typed):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    result = cli("account", "show", typed)
    assert result.exit_code == 1
    assert "Did you mean 'northwind' (Northwind Traders Inc.)" in result.stderr


def _ids(cli, *args):
    doc = json.loads(cli(*args, "--format", "json").stdout)
    return sorted({(r["customer_id"], r["currency"]) for r in doc["rows"]})


@pytest.mark.parametrize("command", [["aging"], ["aging", "--by", "invoice"], ["account", "list"]])
def test_customer_and_currency_filters_repeat_as_any_of(cli, command):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    everyone = _ids(cli, *command)
    two = _ids(cli, *command, "--customer", "northwind", "--customer", "mueller")
    assert {c for c, _ in two} == {"northwind", "mueller"}
    assert two == [r for r in everyone if r[0] in ("northwind", "mueller")]
    usd = _ids(cli, *command, "--currency", "USD")
    eur = _ids(cli, *command, "--currency", "EUR")
    assert usd
    assert eur
    assert _ids(cli, *command, "--currency", "usd", "--currency", "EUR") == sorted(usd + eur)


def test_aging_totals_sum_the_customers_shown(cli):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    doc = json.loads(cli("aging", "--customer", "mueller", "--format", "json").stdout)
    assert [t["total"] for t in doc["totals"]] == [r["total"] for r in doc["rows"]]


def test_repeated_stage_means_any_of(cli):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    assert cli("account", "hold", "northwind", "--reason", "x").exit_code == 0
    held = _ids(cli, "account", "list", "--stage", "on-hold")
    overdue = _ids(cli, "account", "list", "--stage", "overdue")
    assert held == [("northwind", "USD")]
    both = _ids(cli, "account", "list", "--stage", "on-hold", "--stage", "overdue")
    assert both == sorted(held + overdue)


def _two_profiles(cli, tmp_path):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    assert cli("profile", "create", "acme").exit_code == 0
    books = _copy(tmp_path)
    lines = (books / "customers.csv").read_text().splitlines(keepends=True)
    (books / "customers.csv").write_text("".join(lines))
    assert cli("sync", "csv", str(books), "-q", "--profile", "acme").exit_code == 0
    assert cli("account", "hold", "northwind", "--reason", "x", "-p", "acme").exit_code == 0


@pytest.mark.parametrize("flag", ["--profile", "-p"])
def test_the_profile_option_works_after_the_command(cli, tmp_path, flag):
    _two_profiles(cli, tmp_path)
    after = cli("account", "list", flag, "acme", "--format", "json")
    before = cli(flag, "acme", "account", "list", "--format", "json")
    assert after.stdout == before.stdout
    stages = {r["customer_id"]: r["stage"] for r in json.loads(after.stdout)["rows"]}
    assert stages["northwind"] == "on-hold"
    default = json.loads(cli("account", "list", "--format", "json").stdout)["rows"]
    assert {r["customer_id"]: r["stage"] for r in default}["northwind"] != "on-hold"


@pytest.mark.parametrize(
    ("command", "rows"),
    [(["aging"], "rows"), (["account", "list"], "rows"), (["metrics"], "rows")],
)
def test_all_profiles_reports_every_profile_with_a_profile_key(cli, tmp_path, command, rows):
    _two_profiles(cli, tmp_path)
    doc = json.loads(cli(*command, "--all-profiles", "--format", "json").stdout)
    assert doc["profiles"] == ["acme", "default"]
    assert {r["profile"] for r in doc[rows]} == {"acme", "default"}
    for name in ("acme", "default"):
        alone = json.loads(cli(*command, "--format", "json", "-p", name).stdout)[rows]
        mine = [{k: v for k, v in r.items() if k != "profile"} for r in doc[rows]
                if r["profile"] == name]  # fmt: skip
        assert mine == alone
    table = cli(*command, "--all-profiles").stdout
    assert table.splitlines()[0 if command != ["metrics"] else 2].startswith("profile")


def test_status_all_profiles(cli, tmp_path):
    _two_profiles(cli, tmp_path)
    docs = json.loads(cli("status", "--all-profiles", "--format", "json").stdout)
    assert [d["profile"] for d in docs] == ["acme", "default"]
    assert "profile" in cli("status", "--all-profiles").stdout.splitlines()[0]
    clash = cli("status", "--all-profiles", "--profile", "acme")
    assert clash.exit_code == 2


def test_help_with_a_warm_plugin_cache_imports_only_click_and_small_modules(collectctl_home):
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from collectctl.cli import cli\n"
        "try:\n"
        "    cli.main(['--help'], prog_name='collectctl')\n"
        "except SystemExit:\n"
        "    pass\n"
        "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    env = {"COLLECTCTL_HOME": str(collectctl_home), "PATH": "/usr/bin:/bin"}
    for _ in range(2):  # the first run writes the discovery cache
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
        )
    modules = set(result.stderr.split())
    assert "Commands:" in result.stdout
    heavy = {
        "collectctl.plugins.manager",
        "collectctl.home",
        "pluggy",
        "tomllib",
        "importlib.metadata",
    }
    assert not heavy & modules

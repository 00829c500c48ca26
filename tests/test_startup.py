"""The console script (collectctl.entry): `--version` and a repeated `--help` answer without
importing click, and what they print is exactly what click prints."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

#: Runs like the console script (argv[1:] are the arguments), then lists sys.modules on stderr.
ENTRY = (
    "import sys\n"
    "sys.argv = ['collectctl', *sys.argv[1:]]\n"
    "from collectctl.entry import main\n"
    "try:\n"
    "    main()\n"
    "except SystemExit as exc:\n"
    "    assert not exc.code, exc.code\n"
    "print('\\n'.join(sorted(sys.modules)), file=sys.stderr)\n"
)
#: click's own rendering (what collectctl printed before the entry module existed).
CLICK = (
    "import sys\n"
    "from collectctl.cli import cli\n"
    "try:\n"
    "    cli.main(sys.argv[1:], prog_name='collectctl')\n"
    "except SystemExit as exc:\n"
    "    assert not exc.code, exc.code\n"
)


@pytest.fixture
def run(collectctl_home):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTCTL_", "COLUMNS"))}
    base["COLLECTCTL_HOME"] = str(collectctl_home)

    def run_(code: str, *args: str, **env: str) -> tuple[str, set[str]]:
        result = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env={**base, **env},
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout, set(result.stderr.split())

    return run_


@pytest.mark.parametrize("columns", ["60", "80", "120"])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_clicks_and_a_repeat_does_not_import_click(run, flag, columns):
    expected, _ = run(CLICK, flag, COLUMNS=columns)
    assert "Commands:" in expected
    assert "Plugin commands:" in expected
    first, first_modules = run(ENTRY, flag, COLUMNS=columns)  # renders with click, stores it
    assert "click" in first_modules
    again, modules = run(ENTRY, flag, COLUMNS=columns)
    assert first == expected
    assert again == expected
    assert "click" not in modules
    assert not {m for m in modules if m.startswith("collectctl.") and m not in (
        "collectctl.entry", "collectctl.help_cache", "collectctl.home_root")}  # fmt: skip


@pytest.mark.parametrize("flag", ["--version", "-V"])
def test_version_never_imports_click(run, flag):
    expected, _ = run(CLICK, flag)
    out, modules = run(ENTRY, flag)
    assert out == expected
    assert "click" not in modules
    assert "typing" not in modules


def test_the_stored_help_follows_the_plugin_selection_and_the_width(run):
    for env in ({}, {"COLLECTCTL_BLOCK_PLUGINS": "quickbooks"}, {"COLUMNS": "55"}, {}):
        expected, _ = run(CLICK, "--help", **env)
        run(ENTRY, "--help", **env)
        assert run(ENTRY, "--help", **env)[0] == expected, env


def test_a_damaged_or_disabled_store_falls_back_to_click(run, collectctl_home):
    expected, _ = run(CLICK, "--help", COLUMNS="80")
    run(ENTRY, "--help", COLUMNS="80")
    (stored,) = (collectctl_home / "cache").glob("help-*.txt")
    stored.write_text("not a key\nwrong help\n", encoding="utf-8")
    out, modules = run(ENTRY, "--help", COLUMNS="80")
    assert out == expected
    assert "click" in modules
    out, modules = run(ENTRY, "--help", COLUMNS="80", COLLECTCTL_NO_PLUGIN_CACHE="1")
    assert out == expected
    assert "click" in modules


def test_other_arguments_go_to_click(run):
    out, modules = run(ENTRY, "profile", "--help")
    assert out.startswith("Usage: collectctl profile")
    assert "click" in modules


@pytest.mark.parametrize("columns", ["", "0", "x", "30", "79", "80", "81", "200"])
def test_help_width_is_clicks(monkeypatch, columns):
    from click.formatting import HelpFormatter

    from collectctl.help_cache import help_width

    monkeypatch.setenv("COLUMNS", columns)
    assert help_width() == HelpFormatter().width

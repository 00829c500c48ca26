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

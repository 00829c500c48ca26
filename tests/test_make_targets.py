"""`make demo` installs what the demo needs (no test extras, not editable) and keeps pip's and
the build backend's output out of the demo; `make test` still installs the test extras."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def dry_run(target: str) -> str:
    result = subprocess.run(
        ["make", "-n", "-B", "-C", str(ROOT), target],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_demo_installs_no_test_extras_and_hides_build_output():
    commands = dry_run("demo")
    installs = [line for line in commands.splitlines() if "pip install" in line]
    assert installs
    for line in installs:
        assert "[test]" not in line
        assert " -e " not in line
    assert "> .venv-demo.log 2>&1" in commands
    assert "demo.sh .venv-demo/bin" in commands


@pytest.mark.skipif(shutil.which("make") is None, reason="needs make")
def test_make_test_still_installs_the_test_extras():
    assert "-e '.[test]'" in dry_run("test")

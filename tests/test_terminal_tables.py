"""Terminal-aware tables, through a real pseudo-terminal: they fit $COLUMNS (text shortened with
an ellipsis, money never), colour what needs attention, and NO_COLOR or a pipe gives plain text,
unchanged."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
ANSI = re.compile(r"\x1b\[[0-9;]*m")
COLLECTCTL = [sys.executable, "-m", "collectctl.cli"]


def _env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COLLECTCTL_", "NO_COLOR"))}
    return {**env, "COLLECTCTL_HOME": str(home), **extra}


def on_terminal(args: list[str], env: dict[str, str]) -> str:
    """stdout of collectctl ``args`` written to a pseudo-terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [*COLLECTCTL, *args], stdout=follower, stderr=subprocess.DEVNULL, env=env
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the child closed its end
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode().replace("\r\n", "\n")


def piped(args: list[str], env: dict[str, str]) -> str:
    return subprocess.run(
        [*COLLECTCTL, *args], capture_output=True, text=True, env=env, timeout=60, check=True
    ).stdout


@pytest.fixture
def home(collectctl_home):
    env = _env(collectctl_home)
    subprocess.run([*COLLECTCTL, "sync", "csv", str(EXAMPLES), "-q"], env=env, check=True,
                   timeout=60)  # fmt: skip
    return collectctl_home


AGING = ["aging", "--as-of", "2026-11-30"]


def test_a_terminal_table_fits_columns_and_keeps_money_whole(home):
    wide = ANSI.sub("", on_terminal(AGING, _env(home, COLUMNS="300")))
    narrow = on_terminal(AGING, _env(home, COLUMNS="110"))
    plain = ANSI.sub("", narrow)
    assert "…" in plain
    assert max(len(line) for line in plain.splitlines()) <= 110
    money = re.compile(r"-?\d+\.\d\d\b")
    assert sorted(money.findall(plain)) == sorted(money.findall(wide))  # no amount shortened
    assert "…" not in wide


def test_a_terminal_table_is_coloured_unless_no_color(home):
    coloured = on_terminal(AGING, _env(home, COLUMNS="200"))
    assert "\x1b[31m2000.00\x1b[0m" in coloured  # 91+ in red
    assert "\x1b[32m-90.00\x1b[0m" in coloured  # credit on account in green
    listing = on_terminal(["account", "list", "--as-of", "2026-11-30"], _env(home, COLUMNS="200"))
    assert "\x1b[33moverdue\x1b[0m" in listing
    assert "\x1b[" not in on_terminal(AGING, _env(home, COLUMNS="200", NO_COLOR="1"))


def test_piped_output_is_plain_and_unshortened(home):
    out = piped(AGING, _env(home, COLUMNS="60"))
    assert "\x1b[" not in out
    assert "…" not in out
    assert max(len(line) for line in out.splitlines()) > 60
    assert out == piped(AGING, _env(home, COLUMNS="300"))
    json_out = on_terminal([*AGING, "--format", "csv"], _env(home, COLUMNS="40"))
    assert "\x1b[" not in json_out
    assert "…" not in json_out


def test_control_characters_from_the_books_are_shown_escaped(collectctl_home, tmp_path):
    """A name holding an ESC sequence (and a tab) reaches the terminal as text, ``\\x1b[2J``,
    in tables, markdown and the account header, coloured or piped; JSON and CSV keep the
    value exactly as the books have it; an address's line break is still a line break."""
    books = tmp_path / "books"
    books.mkdir()
    (books / "customers.csv").write_text(
        'id,name,address\nC1,Acme\x1b[2J\tInc,"1 Main St\nSpringfield"\n', encoding="utf-8"
    )
    (books / "invoices.csv").write_text(
        "id,customer_id,issue_date,due_date,amount\nI1,C1,2026-05-01,2026-05-10,100.00\n",
        encoding="utf-8",
    )
    (books / "payments.csv").write_text("id,customer_id,date,amount\n", encoding="utf-8")
    env = _env(collectctl_home)
    subprocess.run([*COLLECTCTL, "sync", "csv", str(books), "-q"], env=env, check=True, timeout=60)
    aging = ["aging", "--as-of", "2026-06-01"]
    for out in (
        on_terminal(aging, _env(collectctl_home, COLUMNS="200")),
        piped(aging, env),
        piped([*aging, "--format", "md"], env),
        piped(["account", "show", "C1", "--as-of", "2026-06-01"], env),
    ):
        assert "Acme\\x1b[2J\\x09Inc" in out
        assert "\x1b[2J" not in out
        assert "\t" not in out
    show = piped(["account", "show", "C1", "--as-of", "2026-06-01"], env)
    assert "1 Main St" in show
    doc = piped([*aging, "--format", "json"], env)
    assert '"Acme\\u001b[2J\\tInc"' in doc
    assert "Acme\x1b[2J\tInc" in piped([*aging, "--format", "csv"], env)

"""Docs you can paste: every ``$ collectctl ...`` line in README.md and docs/*.md is split as a
shell would (``shlex``) and parsed against the real command tree (unknown options, extra
arguments and bad values fail); the quickstart and the account examples are run for real
against examples/, on a clock set to the books' "today" (2026-11-30)."""

from __future__ import annotations

import re
import shlex
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELL_STOP = {"|", ">", ">>", "<", "&&", "||", ";", "2>", "2>&1", "&"}
PROMPT = re.compile(r"^\s*\$ (collectctl(?:\s.*)?)$")


def doc_commands(page: Path) -> list[tuple[int, list[str], bool]]:
    """``(line number, argv after 'collectctl', shown failing)`` for every ``$ collectctl``
    line of ``page``; a line the page shows answered by ``Usage:``/``Error:`` is an example of
    an error."""
    found = []
    lines = page.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        match = PROMPT.match(line)
        if not match:
            continue
        words = shlex.split(match.group(1), comments=True)
        cut = next((i for i, w in enumerate(words) if w in SHELL_STOP), len(words))
        answer = lines[number] if number < len(lines) else ""
        found.append((number, words[1:cut], answer.startswith(("Usage:", "Error:"))))
    return found


EXAMPLES = [
    pytest.param(argv, failing, id=f"{page.relative_to(ROOT)}:{number}")
    for page in PAGES
    for number, argv, failing in doc_commands(page)
]


def command_words(argv: list[str]) -> list[str]:
    """``argv`` without the global options in front."""
    words = list(argv)
    while words and words[0] in ("--profile", "-p", "--debug"):
        words = words[2:] if words[0] != "--debug" else words[1:]
    return words


def day_of(argv: list[str]) -> datetime:
    """When the example happens: its --as-of (or --at) day, else the books' today."""
    for option in ("--as-of", "--at"):
        if option in argv:
            text = argv[argv.index(option) + 1]
            return datetime.fromisoformat(text[:10]).replace(hour=10, tzinfo=UTC)
    return datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def parse(argv: list[str]) -> click.Context:
    """Parse ``argv`` down to the command it names, as click would, without running it."""
    from collectctl.cli import cli

    ctx = cli.make_context("collectctl", list(argv))
    ctx.meta["collectctl.future"] = True  # dates relative to the example books, not today
    while isinstance(ctx.command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:
            break
        name, command, args = ctx.command.resolve_command(ctx, rest)
        assert command is not None
        ctx = command.make_context(name, args, parent=ctx)
    return ctx


def test_the_docs_have_examples():
    assert len(EXAMPLES) > 40


@pytest.mark.parametrize(("argv", "failing"), EXAMPLES)
def test_every_documented_command_line_parses(argv, failing, collectctl_home):
    try:
        with parse(argv):
            pass
    except click.exceptions.Exit:
        pass  # --help, --version
    except click.UsageError as exc:
        if not failing:
            pytest.fail(f"collectctl {shlex.join(argv)}: {exc.format_message()}")


@pytest.fixture
def clock_at(monkeypatch):
    """Set the one clock: ``clock_at(moment)`` (an aware datetime) for what runs next."""
    from collectctl.app import App
    from collectctl.clock import Clock

    now = [datetime(2026, 11, 30, 10, 0, tzinfo=UTC)]

    def clock(self: App) -> Clock:
        tz = self.config.get("timezone")
        return Clock(tz if isinstance(tz, str) else None, now=lambda: now[0])

    monkeypatch.setattr(App, "clock", property(clock))

    def set_now(moment: datetime) -> None:
        now[0] = moment

    return set_now


@pytest.mark.parametrize("page", ["README.md", "docs/quickstart.md", "docs/account.md"])
def test_the_quickstart_and_account_examples_run(page, collectctl_home, clock_at, monkeypatch):
    from collectctl.cli import cli

    monkeypatch.chdir(ROOT)
    assert CliRunner().invoke(cli, ["sync", "csv", "examples", "-q"]).exit_code == 0
    config = collectctl_home / "profiles" / "default" / "config.toml"  # letters need a creditor
    text = config.read_text()
    config.write_text(text.replace('[creditor]\nname = ""', '[creditor]\nname = "Studio Lumen"', 1))
    commands = doc_commands(ROOT / page)
    assert commands
    for number, argv, failing in commands:
        words = command_words(argv)
        if words in (["sync"], ["sync", "--dry-run"]) or "quickbooks" in words:
            continue  # needs a configured [sources] table or a QuickBooks company
        clock_at(day_of(argv))
        result = CliRunner().invoke(cli, argv, catch_exceptions=False)
        where = f"{page}:{number}: collectctl {shlex.join(argv)}\n{result.output}"
        assert (result.exit_code != 0) == failing, where

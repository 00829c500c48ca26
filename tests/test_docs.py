"""Meta-tests that keep the docs honest: hooks documented and tested, commands documented."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import click
import pytest

from collectctl.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
HOOKS = sorted(
    name
    for name, obj in vars(hookspecs).items()
    if inspect.isfunction(obj) and hasattr(obj, "collectctl_spec")
)


def test_there_are_hooks():
    assert {"register_sources", "register_formats", "register_commands"} <= set(HOOKS)


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_with_an_example(hook):
    text = (DOCS / "plugins.md").read_text()
    assert f"### {hook}\n" in text, f"docs/plugins.md has no '### {hook}' section"
    section = text.split(f"### {hook}\n", 1)[1].split("\n### ", 1)[0]
    assert "@hookimpl" in section, f"the {hook} section has no example"
    assert "def " + hook in section


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring_and_a_test(hook):
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring"
    tests = "\n".join(p.read_text() for p in (ROOT / "tests").rglob("test_*.py"))
    assert hook in tests.replace("test_docs.py", ""), f"no test mentions {hook}"


def _walk(command: click.Command, path: list[str]):
    yield path, command
    if isinstance(command, click.Group):
        ctx = click.Context(command)
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            if sub is not None:
                yield from _walk(sub, [*path, name])


def test_every_command_has_help_and_help_works(cli):
    from collectctl.cli import cli as root

    seen = 0
    for path, command in _walk(root, []):
        if path:
            assert command.help or command.short_help, f"{' '.join(path)} has no help text"
        result = cli(*path, "--help")
        assert result.exit_code == 0, (path, result.stderr)
        seen += 1
    assert seen > 8


def test_every_core_command_is_in_the_docs():
    from collectctl.cli import CORE_COMMANDS

    text = "\n".join(p.read_text() for p in DOCS.glob("*.md"))
    for name in CORE_COMMANDS:
        assert re.search(rf"collectctl (\[[^]]*\] )?{name}\b", text), (
            f"`collectctl {name}` undocumented"
        )

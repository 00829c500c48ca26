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


def _test_functions() -> set[str]:
    """Names of the test functions in every test module but this one (core and plugins)."""
    import ast

    files = [*(ROOT / "tests").rglob("test_*.py"), *(ROOT / "plugins").glob("*/tests/test_*.py")]
    names: set[str] = set()
    for path in files:
        if path.name == "test_docs.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_docstring_and_a_test(hook):
    assert inspect.getdoc(getattr(hookspecs, hook)), f"{hook} has no docstring"
    assert f"test_hook_{hook}" in _test_functions(), f"no test function test_hook_{hook}"


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

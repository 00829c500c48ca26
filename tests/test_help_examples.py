"""`--help` with examples: every everyday command shows real invocations that parse against
the real command, and no help text points at repository paths a pip user does not have."""

from __future__ import annotations

import shlex

import click
import pytest
from test_docs_examples import SHELL_STOP, parse
from test_option_routing import all_paths

from collectctl.commands.examples import EXAMPLES

#: What a user runs daily (the issue's list): these and every subcommand of the groups.
DAILY = ("sync", "sync csv", "aging", "reconcile", "metrics", "status")
DAILY_GROUPS = ("account", "plan", "profile")


def help_text(path: tuple[str, ...]) -> str:
    from collectctl.cli import cli

    ctx = click.Context(cli, info_name="collectctl")
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        sub = command.get_command(ctx, name)
        assert sub is not None
        ctx = click.Context(sub, info_name=name, parent=ctx)
        command = sub
    return command.get_help(ctx)


def daily_paths() -> list[str]:
    paths = {" ".join(p[: i + 1]) for p, _ in all_paths() for i in range(len(p))}
    return sorted(p for p in paths if p in DAILY or p.split(" ")[0] in DAILY_GROUPS)


@pytest.mark.parametrize("path", daily_paths())
def test_everyday_commands_show_examples(path, collectctl_home):
    text = help_text(tuple(path.split(" ")))
    assert "Examples:" in text, f"collectctl {path} --help has no examples"
    shown = [ln.strip()[2:] for ln in text.splitlines() if ln.strip().startswith("$ collectctl")]
    assert len(shown) >= 2, path
    assert "collectctl COMMAND --help" in text


@pytest.mark.parametrize(
    ("path", "line"), [(p, ln) for p, lines in EXAMPLES.items() for ln in lines]
)
def test_every_help_example_parses(path, line, collectctl_home):
    words = shlex.split(line, comments=True)
    cut = next((i for i, w in enumerate(words) if w in SHELL_STOP), len(words))
    argv = words[1:cut]
    with parse(argv) as ctx:
        names = []
        node = ctx
        while node.parent is not None:
            names.append(node.info_name)
            node = node.parent
        shown = " ".join(reversed(names))
        assert shown == path or shown.startswith(path + " "), line


def test_no_help_text_points_at_repository_paths(collectctl_home):
    for path, _ in all_paths():
        for i in range(len(path) + 1):
            text = help_text(path[:i])
            assert "docs/" not in text, f"collectctl {' '.join(path[:i])} --help: {text}"

"""No option is ever dropped: walk the whole real command tree (core and plugin commands).

For every group on the way to every command, each of the group's options, given before the
subcommand, either reaches the command with the value typed or is refused with a usage error
(exit 2). The global options (--profile/-p, --debug) work before and after every command.
Commands added later (by new modules or plugins) are covered automatically.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner
from core_helpers import run_json

from collectctl.cli import cli as root

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


def walk(
    command: click.Command, path: tuple[str, ...], ctx: click.Context
) -> Iterator[tuple[tuple[str, ...], list[click.Command]]]:
    """Every (path, commands along it) from the root down to each command."""
    if isinstance(command, click.Group):
        for name in command.list_commands(ctx):
            sub = command.get_command(ctx, name)
            assert sub is not None, f"{' '.join(path)} lists {name!r} but cannot resolve it"
            sub_ctx = click.Context(sub, info_name=name, parent=ctx)
            for sub_path, chain in walk(sub, (*path, name), sub_ctx):
                yield sub_path, [command, *chain]
    else:
        yield path, [command]


def all_paths() -> list[tuple[tuple[str, ...], list[click.Command]]]:
    ctx = click.Context(root, info_name="collectctl")
    return list(walk(root, (), ctx))


CANDIDATES = (
    "X-1",
    "2026-01-15",
    "10",
    "3",
    "EUR",
    "json",
    "csv",
    "15,45",
    "PL-1",
    "HLD-1",
    "2026-01-15 10:00",
    "true",
)


def sample(param: click.Parameter, tmp: Path, avoid: Any = None) -> list[str]:
    """Command-line text for one value of ``param`` that its type accepts (not ``avoid``):
    the first candidate its real type converts, so new parameter types are covered too."""
    kind = param.type
    if isinstance(kind, click.Choice):
        return [next(str(c) for c in kind.choices if c != avoid)]
    if isinstance(kind, click.Path):
        return [str(tmp)]
    for text in CANDIDATES:
        if text == avoid:
            continue
        try:
            kind.convert(text, param, None)
        except (click.BadParameter, ValueError, TypeError):
            continue
        return [text] * max(param.nargs, 1)
    raise AssertionError(f"no sample value for {param.name} ({kind!r}); add one to CANDIDATES")


def typed(param: click.Option) -> list[str]:
    if param.is_flag:
        return [param.opts[0]] if param.default is not True else [param.secondary_opts[0]]
    return [param.opts[0]]


def required_args(command: click.Command, tmp: Path) -> list[str]:
    """Values for the command's required arguments and options, so it parses."""
    out: list[str] = []
    for param in command.params:
        if not param.required:
            continue
        if isinstance(param, click.Option):
            out += [param.opts[0], *sample(param, tmp)]
        else:
            out += sample(param, tmp)
    return out


@pytest.fixture
def captured(monkeypatch: pytest.MonkeyPatch) -> list[click.Context]:
    """Run group callbacks for real but capture the final command's context instead of running
    it (its work is tested elsewhere; here what matters is what it receives)."""
    seen: list[click.Context] = []
    real = click.Command.invoke

    def invoke(self: click.Command, ctx: click.Context) -> Any:
        if isinstance(self, click.Group):
            return real(self, ctx)
        seen.append(ctx)
        return None

    monkeypatch.setattr(click.Command, "invoke", invoke)
    return seen


def run(args: list[str]) -> click.testing.Result:
    return CliRunner().invoke(root, args, catch_exceptions=False)


def test_the_walk_covers_core_and_plugin_commands():
    paths = {" ".join(p) for p, _ in all_paths()}
    for expected in ("sync csv", "sync quickbooks", "quickbooks auth", "aging", "account list"):
        assert expected in paths
    assert len(paths) > 25


def test_every_group_option_reaches_the_subcommand_or_is_refused(captured, tmp_path):
    checked = 0
    for path, chain in all_paths():
        leaf = chain[-1]
        tail = required_args(leaf, tmp_path)
        for depth, group in enumerate(chain[:-1]):
            for option in group.params:
                if not isinstance(option, click.Option) or not option.expose_value:
                    continue
                if option.name in ("profile", "debug"):
                    continue  # global options: the next test
                value = (
                    typed(option)
                    if option.is_flag
                    else [option.opts[0], *sample(option, tmp_path, avoid=option.default)]
                )
                args = [*path[:depth], *value, *path[depth:], *tail]
                captured.clear()
                result = run(args)
                where = f"collectctl {' '.join(args)}"
                if result.exit_code == 2:
                    assert "does not apply" in result.output, where
                    assert not captured, f"{where}: ran although refused"
                    continue
                assert result.exit_code == 0, f"{where}: {result.output}"
                assert captured, where
                group_ctx = captured[-1]
                while group_ctx.command is not group:
                    group_ctx = group_ctx.parent
                assert captured[-1].params.get(option.name) == group_ctx.params[option.name], (
                    f"{where}: {option.opts[0]} was dropped"
                )
                checked += 1
    assert checked >= 5  # sync's --dry-run, -q, --format, --allow-deletions for csv and quickbooks


@pytest.mark.parametrize("flag", ["--profile", "-p"])
def test_global_options_work_before_and_after_every_command(captured, tmp_path, flag):
    from collectctl.app import App

    for path, chain in all_paths():
        tail = required_args(chain[-1], tmp_path)
        for args in (
            [flag, "acme", "--debug", *path, *tail],
            [*path, *tail, flag, "acme", "--debug"],
            [*path[:1], flag, "acme", *path[1:], *tail, "--debug"],
        ):
            captured.clear()
            result = run(args)
            assert result.exit_code == 0, f"collectctl {' '.join(args)}: {result.output}"
            app = captured[-1].find_object(App)
            assert app is not None, args
            assert app.profile_name == "acme", args
            assert app.debug, args


def test_contradicting_profiles_are_a_usage_error(cli):
    result = cli("--profile", "a", "aging", "--profile", "b")
    assert result.exit_code == 2
    assert "--profile given twice" in result.stderr


def test_an_option_given_before_and_after_with_different_values_is_refused(cli):
    result = cli("sync", "--format", "json", "csv", str(EXAMPLES), "--format", "csv")
    assert result.exit_code == 2
    assert "different values" in result.stderr


@pytest.mark.parametrize("flag", ["--dry-run", "-n"])
def test_a_dry_run_before_the_source_writes_nothing(cli, tmp_path, flag):
    books = tmp_path / "books"
    shutil.copytree(EXAMPLES, books)
    assert cli("sync", "csv", str(books), "-q").exit_code == 0
    before = run_json(cli, "aging")
    lines = (books / "payments.csv").read_text().splitlines(keepends=True)
    (books / "payments.csv").write_text("".join(lines[:-3]))
    result = cli("sync", flag, "csv", str(books))
    assert result.exit_code == 0, result.output
    assert "would change" in result.stdout
    assert "synced" not in result.stdout
    assert run_json(cli, "aging") == before
    real = cli("sync", "csv", str(books))
    assert real.exit_code == 0
    assert run_json(cli, "aging") != before


def test_group_options_before_the_source_are_honoured(cli):
    quiet = cli("sync", "-q", "csv", str(EXAMPLES))
    assert quiet.exit_code == 0
    assert quiet.stdout == ""
    doc = run_json(cli, "sync", "--format", "json", "--dry-run", "csv", str(EXAMPLES))
    assert doc[0]["dry_run"] is True


def test_an_empty_profile_name_is_a_usage_error_but_an_empty_variable_is_unset(
    cli, collectctl_home, monkeypatch
):
    for args in (["--profile", "", "aging"], ["aging", "-p", " "]):
        result = cli(*args)
        assert result.exit_code == 2, args
        assert "a profile name cannot be empty" in result.stderr
    assert not (collectctl_home / "profiles").exists()
    monkeypatch.setenv("COLLECTCTL_PROFILE", "")
    assert cli("aging").exit_code == 0  # the default profile

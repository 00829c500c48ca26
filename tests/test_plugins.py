"""Plugin loading: entry points, isolation of broken plugins, load controls, registries."""

from __future__ import annotations

import importlib
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
from core_helpers import real_cli, run_json

from collectctl import hookimpl
from collectctl.output import Format


def make_dist(root: Path, name: str, module_source: str, ep_value: str | None = None) -> Path:
    """A minimal installed distribution on ``root`` with one ``collectctl`` entry point."""
    module = f"{name.replace('-', '_')}_mod"
    (root / f"{module}.py").write_text(textwrap.dedent(module_source))
    info = root / f"{name.replace('-', '_')}-0.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.3\n")
    (info / "entry_points.txt").write_text(f"[collectctl]\n{name} = {ep_value or module}\n")
    return root


@pytest.fixture
def site(tmp_path, monkeypatch):
    root = tmp_path / "site"
    root.mkdir()
    monkeypatch.syspath_prepend(str(root))
    importlib.invalidate_caches()
    return root


def test_builtin_formats_are_plugins_hidden_without_all(cli):
    listed = run_json(cli, "plugins")
    assert all(not p["builtin"] for p in listed)
    everything = run_json(cli, "plugins", "--all")
    formats = next(p for p in everything if p["name"] == "formats")
    assert formats["builtin"] is True
    assert formats["hooks"] == ["register_formats"]
    assert formats["distribution"] == "collectctl"


def test_broken_plugin_is_reported_and_cli_keeps_working(cli, site):
    make_dist(site, "broken-thing", "raise ImportError('needs libfoo')")
    result = cli("plugins", "--format", "json")
    assert result.exit_code == 0
    assert "plugin 'broken-thing' from broken-thing 0.3 failed to load" in result.stderr
    assert "pip uninstall broken-thing" in result.stderr
    broken = next(p for p in json.loads(result.stdout) if p["name"] == "broken-thing")
    assert broken["error"] == "ImportError: needs libfoo"
    assert cli("aging", "--format", "json").exit_code == 0


def test_misspelled_hook_is_refused_with_a_warning(cli, site):
    make_dist(
        site,
        "typo-plugin",
        """
        from collectctl import hookimpl

        @hookimpl
        def register_sourcez(register):
            pass
        """,
    )
    result = cli("plugins", "--format", "json")
    assert result.exit_code == 0
    assert "unknown hook" in result.stderr
    typo = next(p for p in json.loads(result.stdout) if p["name"] == "typo-plugin")
    assert "register_sourcez" in typo["error"]


def test_strict_mode_raises_for_plugin_developers(cli, site):
    make_dist(site, "broken-thing", "raise ImportError('needs libfoo')")
    with pytest.raises(ImportError):
        cli("plugins", env={"COLLECTCTL_STRICT_PLUGINS": "1"})


def test_load_and_block_lists(cli, site):
    make_dist(
        site,
        "extra",
        """
        from collectctl import hookimpl
        from collectctl.output import Format

        @hookimpl
        def register_formats(register):
            register(Format("shout", lambda report, out: out.write("ROWS!\\n")))
        """,
    )
    names = {p["name"] for p in run_json(cli, "plugins")}
    assert "extra" in names
    from collectctl.plugins import manager

    manager.reset()
    result = cli("plugins", "--all", "-f", "json", env={"COLLECTCTL_LOAD_PLUGINS": ""})
    only_builtin = {p["name"] for p in json.loads(result.stdout)}
    assert only_builtin == {"formats", "channels"}
    manager.reset()
    result = cli("plugins", "-f", "json", env={"COLLECTCTL_BLOCK_PLUGINS": "extra"})
    assert "extra" not in {p["name"] for p in json.loads(result.stdout)}


def test_plugin_format_is_usable_and_conflicts_are_reported(cli, register_plugin):
    class Shout:
        @hookimpl
        def register_formats(self, register):
            register(Format("shout", lambda report, out: out.write(f"{len(report.rows)} ROWS\n")))
            register(Format("json", lambda report, out: out.write("not json")))

    register_plugin(Shout(), name="shout")
    result = cli("aging", "--format", "shout")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "0 ROWS\n"
    assert "'json' from plugin 'shout' conflicts with the one from 'formats'" in result.stderr
    result = cli("aging", "--format", "json")
    assert json.loads(result.stdout)["rows"] == []  # the first registration (built-in) won


def test_plugin_commands_are_added_but_never_replace_core_ones(cli, register_plugin):
    import click

    class Commands:
        @hookimpl
        def register_commands(self, cli):
            @cli.command()
            def hello():
                """Say hello."""
                click.echo("hello from a plugin")

            @cli.command(name="aging")
            def fake_aging():
                click.echo("hijacked")

    register_plugin(Commands(), name="commands")

    assert cli("hello").stdout == "hello from a plugin\n"
    result = cli("aging", "--format", "json")
    assert "hijacked" not in result.stdout


def run_subprocess(args, env_extra, home):
    return real_cli(home, *args, env=env_extra, module="collectctl.cli")


def test_real_cli_survives_a_broken_plugin(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "broken-thing", "raise RuntimeError('boom at import')")
    home = tmp_path / "home"
    env = {"PYTHONPATH": str(site)}
    result = run_subprocess(["aging", "--format", "json"], env, home)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["rows"] == []
    assert "broken-thing" in result.stderr
    assert "Traceback" not in result.stderr
    listed = run_subprocess(["plugins"], env, home)
    assert "RuntimeError: boom at import" in listed.stdout


def test_discovery_cache_follows_installs(tmp_path):
    home = tmp_path / "home"
    site = tmp_path / "site"
    site.mkdir()
    env = {"PYTHONPATH": str(site)}
    first = run_subprocess(["plugins", "-f", "json"], env, home)
    assert "late-plugin" not in first.stdout
    assert (home / "cache" / "plugins.json").exists()
    make_dist(site, "late-plugin", "")  # "installing" changes the directory's mtime
    second = run_subprocess(["plugins", "-f", "json"], env, home)
    assert "late-plugin" in {p["name"] for p in json.loads(second.stdout)}


def test_python_m_collectctl_keeps_its_cache_while_the_working_directory_changes(tmp_path):
    """``python -m collectctl`` puts the working directory first on ``sys.path``: files a
    command writes there keep the discovery cache valid; a distribution placed there does
    not."""
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()

    def run(*args):
        result = real_cli(home, *args, cwd=work)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert run("--version").startswith("collectctl ")
    run("plugins", "-f", "json")
    cache = home / "cache" / "plugins.json"
    written = cache.read_bytes()
    (work / "aging.csv").write_text("a report a command wrote here\n")
    os.utime(cache, ns=(0, 0))  # a rewrite would change it
    assert "late-plugin" not in run("plugins", "-f", "json")
    assert cache.stat().st_mtime_ns == 0
    assert cache.read_bytes() == written
    make_dist(work, "late-plugin", "")
    assert "late-plugin" in {p["name"] for p in json.loads(run("plugins", "-f", "json"))}


def test_discovery_cache_follows_load_and_block_plugins(tmp_path):
    # What the cache keeps for one selection of plugins is never shown for another.
    home = tmp_path / "home"
    site = tmp_path / "site"
    site.mkdir()
    make_dist(
        site,
        "hello-cmd",
        """
        import click
        from collectctl import hookimpl

        @hookimpl
        def register_commands(cli):
            @cli.command()
            def hello():
                \"\"\"Say hello.\"\"\"
        """,
    )
    env = {"PYTHONPATH": str(site)}
    blocked = {**env, "COLLECTCTL_BLOCK_PLUGINS": "hello-cmd"}
    only_builtin = {**env, "COLLECTCTL_LOAD_PLUGINS": ""}
    for extra, listed in [(blocked, False), (env, True), (blocked, False), (only_builtin, False)]:
        for _ in range(2):  # the first run may write the cache, the second reads it
            result = run_subprocess(["--help"], extra, home)
            assert result.returncode == 0, result.stderr
            assert ("hello" in result.stdout) is listed, (extra, result.stdout)


FORMAT_PLUGIN = """
    import sys
    from collectctl import hookimpl
    from collectctl.output import Format

    sys.stderr.write("format plugin loaded\\n")

    @hookimpl
    def register_formats(register):
        register(Format("shout", lambda report, out: out.write("SHOUT\\n")))
    """


def test_builtin_format_needs_no_plugin_loading(tmp_path):
    home = tmp_path / "home"
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "quiet-thing", "import sys\nsys.stderr.write('plugin loaded\\n')\n")
    env = {"PYTHONPATH": str(site)}
    first = run_subprocess(["aging", "--format", "json"], env, home)
    assert first.returncode == 0, first.stderr
    assert "plugin loaded" in first.stderr  # no cache yet: plugins load and the cache is written
    for fmt in ("json", "csv", "table", "md"):
        again = run_subprocess(["aging", "--format", fmt], env, home)
        assert again.returncode == 0, again.stderr
        assert "plugin loaded" not in again.stderr  # the built-in format, without the plugin
        if fmt == "json":
            assert again.stdout == first.stdout
    listed = run_subprocess(["plugins", "-f", "json"], env, home)
    assert "quiet-thing" in {p["name"] for p in json.loads(listed.stdout)}
    traced = run_subprocess(
        ["aging", "--format", "json"], {**env, "COLLECTCTL_TRACE_PLUGINS": "1"}, home
    )
    assert "register_formats" in traced.stderr


def test_a_plugin_registering_formats_is_loaded_for_every_format(tmp_path):
    home = tmp_path / "home"
    site = tmp_path / "site"
    site.mkdir()
    make_dist(site, "shout-format", FORMAT_PLUGIN)
    env = {"PYTHONPATH": str(site)}
    for _ in range(2):
        shout = run_subprocess(["aging", "--format", "shout"], env, home)
        assert shout.returncode == 0, shout.stderr
        assert shout.stdout == "SHOUT\n"
        plain = run_subprocess(["aging", "--format", "json"], env, home)
        assert plain.returncode == 0, plain.stderr
        assert "format plugin loaded" in plain.stderr  # it might have replaced json: loaded
    for _ in range(2):
        off = run_subprocess(
            ["aging", "--format", "shout"], {**env, "COLLECTCTL_LOAD_PLUGINS": ""}, home
        )
        assert off.returncode == 2
        assert "'shout' is not a format" in off.stderr
        fast = run_subprocess(
            ["aging", "--format", "json"], {**env, "COLLECTCTL_LOAD_PLUGINS": ""}, home
        )
        assert fast.returncode == 0, fast.stderr
    assert "format plugin loaded" not in fast.stderr


# -- one test per hook (tests/test_docs.py requires a test_hook_<name> for every hook) ----------


@pytest.fixture
def traced(monkeypatch):
    """Load plugins afresh with COLLECTCTL_TRACE_PLUGINS=1."""
    from collectctl.plugins import manager

    monkeypatch.setenv("COLLECTCTL_TRACE_PLUGINS", "1")
    manager.reset()
    yield
    manager.reset()


def test_hook_register_sources(traced, cli, books, capsys):
    from collectctl.plugins import manager

    assert "memory" in manager.sources()  # the conftest's MemoryBooks registered it
    assert manager.owner("register_sources", "memory") is not None
    assert "register_sources" in capsys.readouterr().err
    result = cli("sync", "memory", "-q")
    assert result.exit_code == 0, result.stderr


def test_hook_register_formats(cli, traced):
    result = cli("aging", "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["rows"] == []
    # Every hook call goes through pluggy, so the trace shows it with its plugin.
    assert "register_formats" in result.stderr
    assert "finish register_formats" in result.stderr


def test_hook_register_commands(cli, register_plugin, monkeypatch):
    import click

    class Greeter:
        @hookimpl
        def register_commands(self, cli):
            @cli.command()
            def greet():
                """Say hi."""
                click.echo("hi")

    register_plugin(Greeter(), name="greeter")
    monkeypatch.setenv("COLLECTCTL_TRACE_PLUGINS", "1")
    from collectctl.plugins import manager

    pm = manager.get_plugin_manager()
    pm.trace.root.setwriter(lambda text: sys.stderr.write(text))
    pm.enable_tracing()
    result = cli("greet")
    assert result.stdout == "hi\n"
    assert "register_commands" in result.stderr
    manager.reset()  # a reset forgets the plugin's commands too: no private flag to poke
    assert cli("greet").exit_code == 2


def test_hook_register_csv_presets(register_plugin, tmp_path, capsys):
    """The manager collects presets (paths or mappings) by name; the first registration wins."""
    from collectctl.plugins import manager

    preset = tmp_path / "harvest.toml"
    preset.write_text('layout = "invoice-list"\n')

    class Presets:
        @hookimpl
        def register_csv_presets(self, register):
            register(preset)
            register({"name": "books-app", "layout": "invoice-list"})
            register({"name": "harvest"})  # the same name again: a conflict

    register_plugin(Presets(), name="presets")
    found = manager.csv_presets()
    assert found["harvest"] == preset
    assert found["books-app"] == {"name": "books-app", "layout": "invoice-list"}
    assert manager.owner("register_csv_presets", "harvest") == "presets"
    assert "'harvest' from plugin 'presets' conflicts" in capsys.readouterr().err

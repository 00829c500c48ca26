"""Test helpers for collectctl and its plugins, installed as a pytest plugin (``pytest11``).

Fixtures:

``collectctl_home``
    A fresh temporary ``COLLECTCTL_HOME`` (returned as a ``Path``); the profile, format and
    plugin-loading variables of the real environment are cleared for the test.
``cli``
    ``cli(*args, input=None, env=None)`` runs ``collectctl`` in-process with click's ``CliRunner``
    against ``collectctl_home`` and returns the :class:`click.testing.Result` (``exit_code``,
    ``stdout``, ``stderr``). Exceptions that are not user errors propagate, so bugs fail loudly.
``register_plugin``
    ``register_plugin(obj, name=...)`` registers an inline plugin object (a module or a class
    with ``@hookimpl`` methods) for the duration of the test, as if it were installed.

Plugin test suites get all three without any import: ``def test_x(cli): ...``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

_CLEARED_ENV = (
    "COLLECTCTL_PROFILE",
    "COLLECTCTL_FORMAT",
    "COLLECTCTL_LOAD_PLUGINS",
    "COLLECTCTL_BLOCK_PLUGINS",
    "COLLECTCTL_TRACE_PLUGINS",
    "COLLECTCTL_STRICT_PLUGINS",
)


@pytest.fixture
def collectctl_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A temporary COLLECTCTL_HOME for one test (working directory moved there too, so a
    developer's own ``.env`` never leaks into a test)."""
    home = tmp_path / "collectctl-home"
    home.mkdir()
    monkeypatch.setenv("COLLECTCTL_HOME", str(home))
    for name in _CLEARED_ENV:
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    monkeypatch.chdir(work)
    from collectctl.plugins import manager

    manager.reset()
    yield home
    manager.reset()


@pytest.fixture
def cli(collectctl_home: Path) -> Callable[..., Any]:
    """Run collectctl in-process: ``result = cli("aging", "--format", "json")``."""
    from click.testing import CliRunner

    from collectctl.cli import cli as root

    def run(*args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> Any:
        runner = CliRunner()
        return runner.invoke(
            root, [str(a) for a in args], input=input, env=dict(env or {}), catch_exceptions=False
        )

    return run


@pytest.fixture
def register_plugin(collectctl_home: Path) -> Iterator[Callable[..., None]]:
    """Register inline plugin objects for one test; they are unregistered afterwards."""
    from collectctl.plugins import manager

    names: list[str] = []

    def register(obj: object, name: str | None = None) -> None:
        pm = manager.get_plugin_manager()
        registered = pm.register(obj, name=name)
        names.append(registered or "")
        manager.invalidate_registries()

    yield register
    pm = manager.get_plugin_manager()
    for n in names:
        if n and pm.get_plugin(n) is not None:
            pm.unregister(name=n)
    manager.invalidate_registries()

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

``ledger_backend``
    Parametrises a test over both ledger backends: ``"sqlite"`` (the profile's file) and
    ``"postgresql"`` (``COLLECTCTL_LEDGER_URL`` pointing at a database this test session creates
    on the server named by ``COLLECTCTL_TEST_POSTGRES``, default
    ``postgresql://postgres@127.0.0.1:5432/postgres``, and drops at the end; every test starts
    with no schemas). Without a server the PostgreSQL half is skipped (one summary line) —
    except under ``CI=true``, where a missing server fails the run. Mark a test
    ``@pytest.mark.sqlite_only`` when it inspects the SQLite file itself, and
    ``@pytest.mark.postgresql_only`` when it tests what only a shared server does.
``open_ledger``
    ``open_ledger(profile="default")`` opens that profile's ledger on the test's backend.

Plugin test suites get these without any import: ``def test_x(cli): ...``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

DEFAULT_TEST_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

_CLEARED_ENV = (
    "COLLECTCTL_PROFILE",
    "COLLECTCTL_USER",
    "COLLECTCTL_FORMAT",
    "COLLECTCTL_LOAD_PLUGINS",
    "COLLECTCTL_BLOCK_PLUGINS",
    "COLLECTCTL_TRACE_PLUGINS",
    "COLLECTCTL_STRICT_PLUGINS",
    "COLLECTCTL_LEDGER_URL",
    "COLLECTCTL_LEDGER_SCHEMA",
    "COLLECTCTL_USER",
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


# -- both ledger backends ------------------------------------------------------------------------


@dataclass
class _PgServer:
    """The PostgreSQL server of this test session (``url`` empty when none answered)."""

    admin_url: str
    url: str = ""
    database: str = ""
    reason: str = ""
    skipped: int = 0


_PG_KEY = pytest.StashKey[_PgServer]()


def _with_database(url: str, database: str) -> str:
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + database, parts.query, ""))


def _pg_server(config: pytest.Config) -> _PgServer:
    """Probe the server once per session and create this session's database on it."""
    if _PG_KEY in config.stash:
        return config.stash[_PG_KEY]
    from collectctl.ledger.dialect import redact

    admin = os.environ.get("COLLECTCTL_TEST_POSTGRES") or DEFAULT_TEST_POSTGRES
    server = _PgServer(admin)
    config.stash[_PG_KEY] = server
    try:
        import psycopg
    except ImportError:
        server.reason = "psycopg is not installed (pip install 'collectctl[postgresql]')"
        return server
    name = f"collectctl_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            try:  # a locale whose order differs from SQLite's, so tests catch collation slips
                conn.execute(
                    f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                    "ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"
                )
            except psycopg.Error:
                conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        server.reason = f"no PostgreSQL server answers at {redact(admin)} ({first})"
        return server
    server.database = name
    server.url = _with_database(admin, name)
    return server


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: a ledger test that inspects the SQLite file itself"
    )
    config.addinivalue_line(
        "markers", "postgresql_only: a ledger test of what only a shared server does"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "ledger_backend" not in metafunc.fixturenames:
        return
    backends = ["sqlite", "postgresql"]
    if metafunc.definition.get_closest_marker("sqlite_only") is not None:
        backends = ["sqlite"]
    elif metafunc.definition.get_closest_marker("postgresql_only") is not None:
        backends = ["postgresql"]
    metafunc.parametrize("ledger_backend", backends, indirect=True)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without a server, the PostgreSQL half is deselected and reported in one line (and
    under ``CI=true`` the run fails instead)."""
    pg_items = [
        item
        for item in items
        if getattr(getattr(item, "callspec", None), "params", {}).get("ledger_backend")
        == "postgresql"
    ]
    if not pg_items:
        return
    server = _pg_server(config)
    if server.url:
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.exit(
            f"CI=true: the PostgreSQL half of the suite cannot run: {server.reason}; "
            "set COLLECTCTL_TEST_POSTGRES to a server tests may create databases on",
            returncode=1,
        )
    wanted = set(map(id, pg_items))
    items[:] = [item for item in items if id(item) not in wanted]
    config.hook.pytest_deselected(items=pg_items)
    server.skipped = len(pg_items)


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    server = config.stash.get(_PG_KEY, None)
    if server is not None and server.skipped:
        terminalreporter.write_line(
            f"SKIPPED the PostgreSQL half of the ledger tests ({server.skipped} tests): "
            f"{server.reason}; set COLLECTCTL_TEST_POSTGRES to run it"
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    server = session.config.stash.get(_PG_KEY, None)
    if server is None or not server.database:
        return
    import psycopg

    try:
        with psycopg.connect(server.admin_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{server.database}" WITH (FORCE)')
    except psycopg.Error:  # pragma: no cover - the server went away; nothing to clean
        pass


def _drop_schemas(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True, connect_timeout=3) as conn:
        names = [
            r[0]
            for r in conn.execute(
                """SELECT nspname FROM pg_namespace WHERE nspname NOT LIKE 'pg\\_%'
                   AND nspname NOT IN ('information_schema', 'public')"""
            )
        ]
        for name in names:
            quoted = '"' + name.replace('"', '""') + '"'
            conn.execute(f"DROP SCHEMA {quoted} CASCADE")


@pytest.fixture
def ledger_backend(
    request: pytest.FixtureRequest, collectctl_home: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """``"sqlite"`` or ``"postgresql"``: the backend every ledger of this test uses."""
    backend = request.param
    if backend == "sqlite":
        yield backend
        return
    server = _pg_server(request.config)
    if not server.url:
        pytest.skip(f"PostgreSQL half skipped: {server.reason}")
    monkeypatch.setenv("COLLECTCTL_LEDGER_URL", server.url)
    try:
        yield backend
    finally:
        _drop_schemas(server.url)


@pytest.fixture
def open_ledger(collectctl_home: Path) -> Iterator[Callable[..., Any]]:
    """``open_ledger(profile="default")``: that profile's ledger on this test's backend (closed
    after the test)."""
    from collectctl.app import App

    apps: list[Any] = []

    def open_(profile: str = "default") -> Any:
        app = App(profile=profile)
        apps.append(app)
        return app.ledger()

    yield open_
    for app in apps:
        app.close()

"""The application context: the selected profile, its config, secrets and ledger.

Commands (core and plugins) reach it through :func:`current_app`::

    from collectctl.app import current_app

    app = current_app()
    app.profile_dir, app.config_dir, app.config, app.env, app.debug, app.clock.today()

``profile_dir`` is where collectctl writes the profile's state (ledger, handover packs,
letters, token files); ``config_dir`` holds what the user edits (config.toml, .env, templates,
rates.toml). They are the same directory under ``COLLECTCTL_HOME``
(:mod:`collectctl.home`).

Everything is loaded lazily, on first use, so ``--help`` costs nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.clock import Clock
    from collectctl.home import ProfilePaths
    from collectctl.ledger.connection import Ledger
    from collectctl.ledger.dialect import Target
    from collectctl.settings import Settings


class App:
    """One invocation of collectctl: which profile, whether ``--debug``."""

    def __init__(self, profile: str | None = None, debug: bool = False) -> None:
        from collectctl.home import DEFAULT_PROFILE

        self.profile_name = profile or DEFAULT_PROFILE
        self.debug = debug
        self._ledger: Ledger | None = None
        self._dry = False  # see dry_run()
        self._scratch: Path | None = None

    def select_profile(self, name: str) -> None:
        """Switch to profile ``name`` (a global ``--profile`` given after the command)."""
        if name == self.profile_name:
            return
        self.close()
        # Everything derived from the profile (directory, config, settings, clock, ledger
        # target) is a cached property: forget them all, so nothing of the last profile leaks.
        for attr, value in vars(type(self)).items():
            if isinstance(value, cached_property):
                self.__dict__.pop(attr, None)
        self.profile_name = name

    def dry_run(self) -> None:
        """Mark this invocation a dry run before anything of the profile is read: the default
        profile is then not created on first use; while it does not exist, the command sees an
        empty profile in a throwaway directory (removed by :meth:`close`), so a dry run on a
        fresh home writes no config.toml and no ledger."""
        self._dry = True

    @cached_property
    def paths(self) -> ProfilePaths:
        """Both halves of the profile (``default`` is created on first use, except in a dry
        run; others must exist)."""
        from collectctl.home import DEFAULT_PROFILE, existing_profile, profile_paths

        would_be = profile_paths(self.profile_name)
        if self._dry and self.profile_name == DEFAULT_PROFILE and not would_be.exists():
            from collectctl.home import ProfilePaths

            # config.toml is read from where it would be (absent: the defaults; messages name
            # that path); the ledger and the rest of the data half live in the scratch dir.
            return ProfilePaths(
                self.profile_name, would_be.config_dir, self._scratch_dir(), would_be.layout
            )
        return existing_profile(self.profile_name)

    def _scratch_dir(self) -> Path:
        """A dry run's throwaway directory (made on first use, removed by :meth:`close`)."""
        if self._scratch is None:
            import tempfile

            self._scratch = Path(tempfile.mkdtemp(prefix="collectctl-dry-run-"))
        return self._scratch

    @property
    def profile_dir(self) -> Path:
        """The profile's data directory: the ledger, handover packs, letters, token files."""
        return self.paths.data_dir

    @property
    def state_dir(self) -> Path:
        """Where a source keeps what must outlive this run (QuickBooks' rotated token pair):
        the profile's data directory, also in a dry run on a fresh home, whose ledger lives in
        a throwaway directory — QuickBooks rotates the refresh token when it is used, so a
        token file thrown away with that directory would leave only a spent token."""
        if self._scratch is not None and self.paths.data_dir == self._scratch:
            from collectctl.home import profile_paths

            return profile_paths(self.profile_name).data_dir
        return self.profile_dir

    @property
    def config_dir(self) -> Path:
        """The profile's config directory: config.toml, .env, templates/, rates.toml."""
        return self.paths.config_dir

    @property
    def config_file(self) -> Path:
        """The profile's config.toml."""
        return self.paths.config_file

    @cached_property
    def config(self) -> Mapping[str, Any]:
        """The profile's config.toml merged over the defaults."""
        from collectctl.home import load_config

        return load_config(self.config_dir)

    @cached_property
    def settings(self) -> Settings:
        """The config as typed sections (``settings.promises.grace_days``, ...)."""
        from collectctl.settings import validate

        return validate(self.config, self.config_file)

    @cached_property
    def env(self) -> Mapping[str, str]:
        """Environment variables with ``.env`` secrets merged in (contract precedence)."""
        from collectctl.home import load_env

        return load_env(self.config_dir)

    @cached_property
    def clock(self) -> Clock:
        """The one clock: today and now in the profile's ``timezone`` (the machine's when
        unset), UTC stamps for the ledger."""
        from collectctl.clock import Clock

        return Clock(self.settings.core.timezone or None)

    def today(self) -> date:
        """Today's date in the profile's time zone (``self.clock.today()``)."""
        return self.clock.today()

    @property
    def ledger_path(self) -> Path:
        return self.profile_dir / "ledger.db"

    @cached_property
    def ledger_target(self) -> Target:
        """Where this profile's ledger lives: ``[ledger] url`` / ``COLLECTCTL_LEDGER_URL``
        (PostgreSQL), else the profile's SQLite file."""
        from collectctl.ledger.dialect import resolve

        return resolve(
            self.profile_name, self.profile_dir, self.config, self.env, config_file=self.config_file
        )

    def ledger(self) -> Ledger:
        """The profile's ledger, opened (and migrated) on first use: the SQLite file, or a
        :class:`~collectctl.ledger.postgres.PgLedger`, whose connection offers the part of
        ``sqlite3.Connection`` the ledger modules use (typed as the SQLite one for callers)."""
        if self._ledger is None:
            from typing import cast

            from collectctl.ledger.connection import Ledger
            from collectctl.ledger.opening import open_ledger

            if self._dry:
                self._ledger = cast(Ledger, self._dry_ledger())
            else:
                self._ledger = cast(Ledger, open_ledger(self.ledger_target))
        return self._ledger

    def _dry_ledger(self) -> Any:
        """A dry run's ledger, opened without writing anything: the profile's own when it is
        at this collectctl's schema; an empty one in the scratch directory while it does not
        exist yet (no SQLite file, no schema on the server); a migrated copy in the scratch
        directory when a SQLite ledger is at an older schema. An older PostgreSQL schema is
        an error: the dry run cannot migrate it and copying a team's ledger is no option."""
        from collectctl.errors import CollectctlError
        from collectctl.ledger.connection import Ledger, copy_database
        from collectctl.ledger.opening import existing_version, open_ledger
        from collectctl.ledger.schema import LATEST

        target = self.ledger_target
        version = existing_version(target)
        if version >= LATEST or version < 0:  # nothing to migrate (newer or unreadable: raises)
            return open_ledger(target)
        scratch = self._scratch_dir() / "ledger.db"
        if version == 0:
            return Ledger.open(scratch)
        if target.backend == "postgresql":
            raise CollectctlError(
                f"the ledger {target.display} is at schema {version} and this collectctl "
                f"needs {LATEST}; a dry run writes nothing, so it cannot migrate it",
                hint="Run any command without --dry-run once (collectctl account list "
                "migrates it), then the dry run.",
            )
        assert target.path is not None
        copy_database(target.path, scratch)
        return Ledger.open(scratch)

    def acting_user(self) -> str:
        """Who this invocation records as having made collection records."""
        from collectctl.ledger.dialect import acting_user

        db_user = None
        if self.ledger().dialect == "postgresql":  # a dry run may work on a scratch SQLite
            db_user = self.ledger().conn.raw.info.user  # type: ignore[attr-defined]
        return acting_user(self.env, db_user)

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None
        if self._scratch is not None:
            import shutil

            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


def current_app() -> App:
    """The :class:`App` of the running command (raises RuntimeError outside a command)."""
    import click

    ctx = click.get_current_context()
    app = ctx.find_object(App)
    if app is None:
        app = ctx.ensure_object(App)
    return app

"""Where state lives: COLLECTCTL_HOME, profiles, config.toml and the .env precedence.

Layout::

    $COLLECTCTL_HOME/
        profiles/<name>/config.toml   settings of one set of books
        profiles/<name>/ledger.db     the SQLite ledger (WAL)
        profiles/<name>/.env          optional secrets for this profile
        cache/                        plugin discovery cache

``COLLECTCTL_HOME`` comes from the real environment, else from ``.env`` in the working directory,
else the platform's user data dir (``~/.local/share/collectctl`` on Linux; an existing home at
the old default, ``~/.config/collectctl``, keeps working: :mod:`collectctl.home_root`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError, NotFoundError

DEFAULT_PROFILE = "default"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def __getattr__(name: str) -> Any:
    """``DEFAULTS`` (every setting with its default) and ``CONFIG_TEMPLATE`` (the commented
    config.toml of a new profile), both from :mod:`collectctl.settings`, imported on first use
    so ``--help`` does not pay for the settings declarations."""
    if name not in ("DEFAULTS", "CONFIG_TEMPLATE"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from collectctl import settings

    return settings.DEFAULTS if name == "DEFAULTS" else settings.template()


def home() -> Path:
    """The root of all state (created if missing); see :func:`collectctl.home_root.home_root`."""
    from collectctl.home_root import home_root

    root = Path(home_root())
    root.mkdir(parents=True, exist_ok=True)
    return root


def profiles_dir() -> Path:
    """``$COLLECTCTL_HOME/profiles`` (created if missing)."""
    path = home() / "profiles"
    path.mkdir(exist_ok=True)
    return path


def check_profile_name(name: str) -> str:
    """Return ``name`` if it is a valid profile name, else raise ConfigError."""
    if not _PROFILE_NAME.match(name):
        raise ConfigError(
            f"invalid profile name {name!r}",
            hint="Use letters, digits, '.', '_' and '-' (up to 64 characters), starting with a "
            "letter or digit.",
        )
    return name


def profile_dir(name: str, *, create_default: bool = True) -> Path:
    """The directory of profile ``name``.

    The ``default`` profile is created on first use; any other profile must exist already, so a
    typo never silently starts an empty book.
    """
    check_profile_name(name)
    path = profiles_dir() / name
    if path.is_dir():
        return path
    if name == DEFAULT_PROFILE and create_default:
        return create_profile(name, exist_ok=True)
    known = ", ".join(list_profiles()) or "none"
    raise NotFoundError(
        f"profile {name!r} does not exist (profiles: {known})",
        hint=f"Create it with: collectctl profile create {name}",
    )


def create_profile(name: str, *, exist_ok: bool = False) -> Path:
    """Create profile ``name`` with a commented default config.toml.

    The directory appears atomically (built under a private name, then renamed), so two processes
    creating the same profile at once never see a half-written one; the loser gets
    ConfigError, or the winner's profile with ``exist_ok``.
    """
    check_profile_name(name)
    path = profiles_dir() / name
    if path.exists():
        if exist_ok:
            return path
        raise ConfigError(f"profile {name!r} already exists at {path}")
    import shutil
    import tempfile

    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=profiles_dir()))
    try:
        from collectctl.settings import template

        (tmp / "config.toml").write_text(template(), encoding="utf-8")
        tmp.rename(path)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if path.is_dir():
            if exist_ok:
                return path
            raise ConfigError(f"profile {name!r} already exists at {path}") from None
        raise
    return path


def list_profiles() -> list[str]:
    """Names of existing profiles, sorted."""
    root = profiles_dir()
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def remove_profile(name: str) -> Path:
    """Delete profile ``name`` and everything in it (its ledger included)."""
    import shutil

    path = profile_dir(name, create_default=False)
    shutil.rmtree(path)
    return path


def _merge(defaults: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(defaults)
    for key, value in values.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def load_config(path: Path) -> dict[str, Any]:
    """Read a profile's config.toml merged over :data:`DEFAULTS` and validate it
    (:func:`collectctl.settings.validate`: types, values, unknown keys and sections)."""
    import tomllib

    file = path / "config.toml"
    values: dict[str, Any] = {}
    if file.is_file():
        try:
            with file.open("rb") as fh:
                values = tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(
                f"{file}: {exc}", hint="Fix the TOML syntax (see docs/configuration.md)."
            ) from None
    from collectctl import settings

    config = _merge(settings.DEFAULTS, values)
    settings.validate(config, file)
    return config


def check_timezone(name: str, error: Any = None) -> None:
    """Raise (``error(why)`` or ConfigError) when ``name`` is not a known IANA time zone."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        why = f'unknown time zone {name!r} (use an IANA name such as "America/New_York")'
        raise (error(why) if error else ConfigError(why)) from None


def load_env(path: Path) -> dict[str, str]:
    """The environment with ``.env`` files merged in, by the contract's precedence.

    The real environment wins, then ``.env`` in the working directory, then ``.env`` in the
    profile directory. Only the working directory's ``.env`` may set ``COLLECTCTL_HOME``.
    """
    env: dict[str, str] = {}
    files = [path / ".env", Path.cwd() / ".env"]  # lowest precedence first
    present = [f for f in files if f.is_file()]
    if present:
        from dotenv import dotenv_values

        for f in present:
            for key, value in dotenv_values(f).items():
                if value is None:
                    continue
                if key == "COLLECTCTL_HOME" and f.parent != Path.cwd():
                    continue
                env[key] = value
    env.update(os.environ)
    return env

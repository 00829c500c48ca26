"""Where state lives: COLLECTCTL_HOME, profiles, config.toml and the .env precedence.

With ``COLLECTCTL_HOME`` set (tests and scripts always set it), everything is under it::

    $COLLECTCTL_HOME/
        profiles/<name>/config.toml   settings of one set of books
        profiles/<name>/.env          optional secrets for this profile
        profiles/<name>/ledger.db     the SQLite ledger (WAL), handover/, letters/, tokens
        cache/                        plugin discovery cache

Without it a profile has two halves (:mod:`collectctl.home_root` finds the roots)::

    ~/.config/collectctl/profiles/<name>/        config.toml, .env, templates/, rates.toml
    ~/.local/share/collectctl/profiles/<name>/   ledger.db, handover/, letters/, tokens
    ~/.local/share/collectctl/cache/             plugin discovery cache

What you edit is in the config half (:attr:`ProfilePaths.config_dir`); what collectctl writes
is in the data half (:attr:`ProfilePaths.data_dir`, also ``App.profile_dir``). A profile an
earlier version kept in one directory (``~/.config/collectctl/profiles/<name>/`` with its
ledger, or ``~/.local/share/collectctl/profiles/<name>/`` with its config.toml) is used where it
is until ``collectctl home migrate`` splits it (:mod:`collectctl.home_migration`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError, NotFoundError

DEFAULT_PROFILE = "default"
_PROFILE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

#: What belongs to a profile's config half: the files a user edits. Everything else in a
#: profile directory (the ledger, locks, handover packs, letters, token files) is data.
CONFIG_ENTRIES = frozenset({"config.toml", ".env", "templates", "rates.toml"})
#: Files only collectctl writes: one of them beside config.toml in the config directory marks a
#: profile kept in one directory by an earlier version.
_DATA_MARKERS = ("ledger.db", "handover", "letters", "quickbooks-token.json")

#: ProfilePaths.layout values.
HOME = "home"  # under $COLLECTCTL_HOME, config and data together (the contract's layout)
SPLIT = "split"  # config dir + data dir
SINGLE = "single"  # one directory, as an earlier version left it (still works; migrate it)


def __getattr__(name: str) -> Any:
    """``DEFAULTS`` (every setting with its default) and ``CONFIG_TEMPLATE`` (the commented
    config.toml of a new profile), both from :mod:`collectctl.settings`, imported on first use
    so ``--help`` does not pay for the settings declarations."""
    if name not in ("DEFAULTS", "CONFIG_TEMPLATE"):
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from collectctl import settings

    return settings.DEFAULTS if name == "DEFAULTS" else settings.template()


@dataclass(frozen=True)
class ProfilePaths:
    """Where one profile's two halves are (the same directory unless the layout is split)."""

    name: str
    #: config.toml, .env, templates/, rates.toml: what the user edits.
    config_dir: Path
    #: ledger.db, handover/, letters/, token files: what collectctl writes.
    data_dir: Path
    #: :data:`HOME`, :data:`SPLIT` or :data:`SINGLE`.
    layout: str

    @property
    def config_file(self) -> Path:
        """The profile's config.toml."""
        return self.config_dir / "config.toml"

    @property
    def ledger(self) -> Path:
        """The profile's SQLite ledger file (unless ``[ledger] url`` names another)."""
        return self.data_dir / "ledger.db"

    def dirs(self) -> list[Path]:
        """The profile's directories, each once."""
        return [self.config_dir] if self.config_dir == self.data_dir else [
            self.config_dir, self.data_dir
        ]  # fmt: skip

    def exists(self) -> bool:
        """True when either half exists."""
        return any(path.is_dir() for path in self.dirs())


def home() -> Path:
    """The root of what collectctl writes outside a profile (created if missing):
    ``COLLECTCTL_HOME``, else the data directory (:func:`collectctl.home_root.home_root`)."""
    from collectctl.home_root import home_root

    root = Path(home_root())
    root.mkdir(parents=True, exist_ok=True)
    return root


def _roots() -> tuple[Path, Path]:
    """``(config root, data root)``: both ``$COLLECTCTL_HOME`` when it is set."""
    from collectctl.home_root import config_home, data_home, explicit_home

    explicit = explicit_home()
    if explicit is not None:
        return Path(explicit), Path(explicit)
    return Path(config_home()), Path(data_home())


def _old_root() -> Path | None:
    """click's app dir when it is neither root (never on Linux), and COLLECTCTL_HOME is unset."""
    from collectctl.home_root import explicit_home, old_home

    if explicit_home() is not None:
        return None
    old = Path(old_home())
    return None if old in _roots() else old


def profile_roots() -> list[Path]:
    """Every ``profiles`` directory a profile may be in (the new places first)."""
    config_root, data_root = _roots()
    roots = [config_root / "profiles"]
    if data_root != config_root:
        roots.append(data_root / "profiles")
    old = _old_root()
    if old is not None:
        roots.append(old / "profiles")
    return roots


def profiles_dir() -> Path:
    """Where new profiles' config halves go: ``$COLLECTCTL_HOME/profiles``, else the config
    directory's ``profiles`` (created if missing)."""
    path = _roots()[0] / "profiles"
    path.mkdir(parents=True, exist_ok=True)
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


def _single(path: Path, name: str) -> ProfilePaths:
    return ProfilePaths(name, path, path, SINGLE)


def profile_paths(name: str) -> ProfilePaths:
    """Where profile ``name`` is (or would be created); nothing is created or checked for
    existence beyond telling the layouts apart (see the module docstring)."""
    check_profile_name(name)
    config_root, data_root = _roots()
    config_dir = config_root / "profiles" / name
    data_dir = data_root / "profiles" / name
    if config_root == data_root:
        from collectctl.home_root import explicit_home

        layout = HOME if explicit_home() is not None else SPLIT
        return ProfilePaths(name, config_dir, data_dir, layout)
    if (data_dir / "config.toml").is_file() and not (config_dir / "config.toml").is_file():
        return _single(data_dir, name)  # a 0.2 preview kept everything in the data dir
    if not data_dir.is_dir() and any((config_dir / m).exists() for m in _DATA_MARKERS):
        return _single(config_dir, name)  # before 0.2 everything was in ~/.config/collectctl
    old = _old_root()
    if (
        old is not None
        and not config_dir.is_dir()
        and not data_dir.is_dir()
        and (old / "profiles" / name).is_dir()
    ):
        return _single(old / "profiles" / name, name)
    return ProfilePaths(name, config_dir, data_dir, SPLIT)


def _missing(name: str) -> NotFoundError:
    known = ", ".join(list_profiles()) or "none"
    return NotFoundError(
        f"profile {name!r} does not exist (profiles: {known})",
        hint=f"Create it with: collectctl profile create {name}",
    )


def existing_profile(name: str, *, create_default: bool = True) -> ProfilePaths:
    """Profile ``name``, which must exist; ``default`` is created on first use (unless
    ``create_default`` is false), so a typo never silently starts an empty book.

    The data half of an existing profile is created when it is missing.
    """
    paths = profile_paths(name)
    if not paths.exists():
        if name == DEFAULT_PROFILE and create_default:
            return create_profile(name, exist_ok=True)
        raise _missing(name)
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    return paths


def profile_dir(name: str, *, create_default: bool = True) -> Path:
    """The data directory of profile ``name`` (its ledger, handover packs, letters, token
    files); see :func:`existing_profile`."""
    return existing_profile(name, create_default=create_default).data_dir


def create_profile(name: str, *, exist_ok: bool = False) -> ProfilePaths:
    """Create profile ``name`` with a commented default config.toml (and its data half).

    The config directory appears atomically (built under a private name, then renamed), so two
    processes creating the same profile at once never see a half-written one; the loser gets
    ConfigError, or the winner's profile with ``exist_ok``.
    """
    paths = profile_paths(name)

    def exists() -> ProfilePaths:
        if exist_ok:
            paths.data_dir.mkdir(parents=True, exist_ok=True)
            return paths
        where = " and ".join(str(p) for p in paths.dirs() if p.is_dir())
        raise ConfigError(f"profile {name!r} already exists at {where}")

    if paths.exists():
        return exists()
    import shutil
    import tempfile

    parent = paths.config_dir.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=parent))
    try:
        from collectctl.settings import template

        (tmp / "config.toml").write_text(template(), encoding="utf-8")
        tmp.rename(paths.config_dir)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if paths.config_dir.is_dir():
            return exists()
        raise
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    return paths


def list_profiles() -> list[str]:
    """Names of existing profiles (in either half, or in an old single directory), sorted."""
    names: set[str] = set()
    for root in profile_roots():
        if root.is_dir():
            names.update(
                p.name for p in root.iterdir() if p.is_dir() and _PROFILE_NAME.match(p.name)
            )
    return sorted(names)


def remove_profile(name: str) -> ProfilePaths:
    """Delete profile ``name`` and everything in it: both halves (its ledger included)."""
    import shutil

    paths = existing_profile(name, create_default=False)
    for path in paths.dirs():
        if path.is_dir():
            shutil.rmtree(path)
    return paths


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
            # utf-8-sig: a byte order mark (Windows editors) is not part of the TOML.
            values = tomllib.loads(file.read_bytes().decode("utf-8-sig"))
        except OSError as exc:
            raise ConfigError(
                f"cannot read {file}: {exc.strerror or exc}",
                hint="Check the file's permissions.",
            ) from None
        except UnicodeDecodeError as exc:
            line = exc.object[: exc.start].count(b"\n") + 1
            raise ConfigError(
                f"{file}:{line}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x})",
                hint="Save config.toml as UTF-8.",
            ) from None
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

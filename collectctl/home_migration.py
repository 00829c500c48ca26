"""Splitting profiles an earlier version kept in one directory: ``collectctl home migrate``.

A profile found in one directory (:data:`collectctl.home.SINGLE`: ``~/.config/collectctl/
profiles/<name>/`` with its ledger, as before 0.2, or ``~/.local/share/collectctl/profiles/
<name>/`` with its config.toml, as in 0.2 previews) is split into its config half (config.toml,
.env, templates/, rates.toml) in the config directory and its data half (everything else) in the
data directory.

The half that moves is built under a private name in the target's ``profiles`` directory, every
``*.db`` ledger copied with SQLite's backup API (a consistent copy even with a WAL), every other
file copied as is; then it is renamed into place in one step, so the target is either complete
or absent, and from that moment collectctl uses the new layout. Only then are the moved entries
set aside under ``<old root>.migrated/profiles/<name>/`` (nothing is deleted). A target that
exists already stops the migration before anything is written; a dry run writes nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from collectctl.errors import CollectctlError
from collectctl.home import CONFIG_ENTRIES, SINGLE, list_profiles, profile_paths

#: Never copied: SQLite's side files (the backup API reads through them), locks, stale staging.
_SKIP_SUFFIXES = ("-wal", "-shm", "-journal", ".lock")


@dataclass(frozen=True)
class Move:
    """One entry of a profile directory on its way to its half."""

    source: Path
    target: Path
    kept: Path
    #: False for what is only set aside, never copied (SQLite side files, locks, staging).
    copy: bool = True
    #: Whether it is a SQLite database (copied with the backup API).
    ledger: bool = False


@dataclass
class ProfileMove:
    """Everything that moves for one profile."""

    name: str
    source: Path
    moves: list[Move] = field(default_factory=list)
    #: Target directories that will appear (the halves that do not exist yet).
    targets: list[Path] = field(default_factory=list)


def _skipped(entry: Path) -> bool:
    name = entry.name
    return name.endswith(_SKIP_SUFFIXES) or name.startswith(".staging-")


def _kept_root(source: Path) -> Path:
    """``<root>.migrated/profiles/<name>`` for ``<root>/profiles/<name>``."""
    root = source.parent.parent
    return root.with_name(root.name + ".migrated") / "profiles" / source.name


def plan() -> list[ProfileMove]:
    """What ``home migrate`` would do: every profile still kept in one directory. Raises
    :class:`~collectctl.errors.CollectctlError` when a target exists already."""
    from collectctl.home import _roots

    config_root, data_root = _roots()
    out: list[ProfileMove] = []
    for name in list_profiles():
        paths = profile_paths(name)
        if paths.layout != SINGLE:
            continue
        source = paths.config_dir
        config_dir = config_root / "profiles" / name
        data_dir = data_root / "profiles" / name
        kept = _kept_root(source)
        move = ProfileMove(name, source)
        for entry in sorted(source.iterdir()):
            half = config_dir if entry.name in CONFIG_ENTRIES else data_dir
            if half != source:
                ledger = entry.is_file() and entry.name.endswith(".db")
                copy = not _skipped(entry)
                move.moves.append(Move(entry, half / entry.name, kept / entry.name, copy, ledger))
        for half in dict.fromkeys((config_dir, data_dir)):
            if half == source or not any(m.copy and m.target.parent == half for m in move.moves):
                continue
            if half.exists():
                raise CollectctlError(
                    f"{half} exists already, so profile {name!r} cannot be moved there; "
                    "nothing was moved",
                    hint=f"Move what you need from {source} by hand, or remove one of them.",
                )
            move.targets.append(half)
        if any(m.copy for m in move.moves):
            out.append(move)
    return out


def _copy(source: Path, dest: Path) -> None:
    if source.is_dir() and not source.is_symlink():
        dest.mkdir(mode=0o700)
        for entry in sorted(source.iterdir()):
            if not _skipped(entry):
                _copy(entry, dest / entry.name)
    elif source.name.endswith(".db"):
        from collectctl.ledger.connection import copy_database

        copy_database(source, dest)
        os.chmod(dest, source.stat().st_mode & 0o777)
    else:
        shutil.copy2(source, dest)


@contextmanager
def _staging(target: Path) -> Iterator[Path]:
    """A private directory beside ``target`` (removed unless it was renamed into place)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.migrate-", dir=target.parent))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def migrate(moves: list[ProfileMove]) -> int:
    """Carry out :func:`plan`'s moves (see the module docstring); returns the number of ledgers
    copied."""
    ledgers = 0
    for move in moves:
        for target in move.targets:
            with _staging(target) as staging:
                for m in move.moves:
                    if m.copy and m.target.parent == target:
                        _copy(m.source, staging / m.source.name)
                        ledgers += m.ledger
                os.rename(staging, target)  # the half appears in one step
        for m in move.moves:  # the new layout is in use now: set the old entries aside
            if m.source.exists() or m.source.is_symlink():
                m.kept.parent.mkdir(parents=True, exist_ok=True)
                os.rename(m.source, m.kept)
        if move.source.is_dir() and not any(move.source.iterdir()):
            move.source.rmdir()  # an old root's profile directory, now empty
    return ledgers

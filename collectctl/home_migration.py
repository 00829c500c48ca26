"""Moving state from the old default home (``~/.config/collectctl``) to the data directory
(``~/.local/share/collectctl``): ``collectctl home migrate``.

The copy is built under a private name next to the new home, every ``*.db`` ledger copied with
SQLite's backup API (a consistent copy even with a WAL), every other file copied as is; then it
is renamed into place in one step, so the new home is either complete or absent. The old home is
renamed to ``<old>.migrated`` afterwards (nothing is deleted).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import tempfile
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from collectctl.errors import CollectctlError

_SKIP = ("-wal", "-shm", ".lock")


@dataclass(frozen=True)
class Moved:
    """What a migration did."""

    source: Path
    target: Path
    kept: Path
    ledgers: int


def _copy_tree(source: Path, target: Path) -> int:
    ledgers = 0
    for entry in sorted(source.iterdir()):
        dest = target / entry.name
        if entry.is_dir() and not entry.is_symlink():
            dest.mkdir(mode=0o700)
            ledgers += _copy_tree(entry, dest)
        elif entry.name.endswith(".db"):
            with (
                closing(sqlite3.connect(f"file:{entry}?mode=ro", uri=True)) as src,
                closing(sqlite3.connect(dest)) as dst,
            ):
                src.backup(dst)
            ledgers += 1
        elif not entry.name.endswith(_SKIP):
            shutil.copy2(entry, dest)
    return ledgers


def migrate(source: Path, target: Path) -> Moved:
    """Copy ``source`` to ``target`` atomically (see the module docstring); ``target`` must not
    hold a home yet. Raises :class:`~collectctl.errors.CollectctlError` otherwise."""
    if (target / "profiles").exists():
        raise CollectctlError(
            f"{target} already holds a collectctl home; nothing was moved",
            hint=f"Move what you need from {source} by hand, or remove one of them.",
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".collectctl-migrate-", dir=target.parent))
    try:
        ledgers = _copy_tree(source, staging)
        if target.exists():  # an empty leftover directory (no profiles/)
            target.rmdir()
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    kept = source.with_name(source.name + ".migrated")
    os.rename(source, kept)
    return Moved(source=source, target=target, kept=kept, ledgers=ledgers)

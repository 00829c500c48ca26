"""The per-profile dunning lock outside a ledger (one ``dunning run`` per profile at a time).

``dunning run`` itself takes it through :meth:`Ledger.lock` (a file lock beside a SQLite ledger,
an advisory lock across machines on PostgreSQL); this is the same file lock for callers that
hold only the profile directory.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from collectctl.ledger.connection import file_lock, lock_timeout


def dunning_lock(
    profile_dir: Path, *, timeout: float | None = None
) -> contextlib.AbstractContextManager[None]:
    """The profile's dunning lock (``dunning.lock``); waits up to ``timeout`` s (default
    ``COLLECTCTL_LOCK_TIMEOUT``), then raises :class:`LockTimeout` naming the holder."""
    wait = lock_timeout() if timeout is None else timeout
    return file_lock(profile_dir / "dunning.lock", timeout=wait, what="dunning run")

"""Per-profile advisory file locks (``fcntl.flock``): one dunning run per profile at a time."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

from collectctl.errors import LockTimeout
from collectctl.ledger.connection import lock_timeout, now_iso


@contextlib.contextmanager
def profile_lock(
    profile_dir: Path, name: str, what: str, *, timeout: float | None = None
) -> Iterator[None]:
    """Hold ``profile_dir/<name>.lock``; wait up to ``timeout`` s (default
    ``COLLECTCTL_LOCK_TIMEOUT``), then raise :class:`LockTimeout` naming the holder."""
    import fcntl

    path = profile_dir / f"{name}.lock"
    wait = lock_timeout() if timeout is None else timeout
    deadline = time.monotonic() + wait
    with path.open("a+") as fh:
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fh.seek(0)
                    holder = fh.read().strip() or "another process"
                    raise LockTimeout(
                        f"another {what} of this profile is running ({holder}); waited {wait:g} s",
                        hint="Let it finish; the next run picks up whatever is still due.",
                    ) from None
                time.sleep(0.1)
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"pid {os.getpid()} since {now_iso()}")
            fh.flush()
            yield
        finally:
            fh.seek(0)
            fh.truncate()
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def dunning_lock(
    profile_dir: Path, *, timeout: float | None = None
) -> contextlib.AbstractContextManager[None]:
    """The profile's dunning lock (``dunning.lock``): one ``dunning run`` at a time."""
    return profile_lock(profile_dir, "dunning", "dunning run", timeout=timeout)

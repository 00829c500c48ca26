"""Running a sync: read a source outside the write lock, validate, diff, apply in one transaction.

1. Take the profile's sync lock (one sync at a time; a second one waits, then fails cleanly).
2. Call the source's ``read`` with the stored cursor; stream its records into a staging file.
3. Validate the whole batch; any problem fails the sync with every problem listed (nothing written).
   An increment the source derived itself (``SourceBatch.fallback``) that has problems is read
   again as a complete batch first, so the problems are the ones a full read reports.
4. Diff against the ledger; refuse to remove more than 20 % of the source's invoices unless
   ``allow_deletions``; stop here on ``dry_run``.
5. Apply, store the cursor and log the sync in one short write transaction; then tell the source
   (``SourceBatch.on_commit``).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectctl.errors import CollectctlError, DataError, SourceError
from collectctl.ledger.changes import (
    Diff,
    apply,
    diff,
    invoice_count,
    load_cursor,
    log_sync,
    prepare,
    store_cursor,
    store_payment_dates,
)
from collectctl.ledger.connection import file_lock, lock_timeout, now_iso
from collectctl.ledger.staging import Staging
from collectctl.records import SyncRequest

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App
    from collectctl.records import Source

#: A sync may remove at most this share of a source's invoices without --allow-deletions.
DELETION_LIMIT = 0.20


@dataclass
class SyncOutcome:
    """What one sync did (or, with ``dry_run``, would do)."""

    source: str
    description: str
    mode: str
    dry_run: bool
    diff: Diff
    records: int
    cursor: str | None
    #: Set when the real run would stop at the deletion guard (only a dry run gets this far).
    deletion_guard: str | None = None


@contextlib.contextmanager
def sync_lock(profile_dir: Path, *, timeout: float | None = None) -> Iterator[None]:
    """Hold a SQLite profile's sync lock; wait up to ``timeout`` s, then raise LockTimeout.
    (:func:`run_sync` takes the lock through the ledger, which on PostgreSQL is an advisory
    lock shared by every machine.)"""
    wait = lock_timeout() if timeout is None else timeout
    with file_lock(profile_dir / "sync.lock", timeout=wait, what="sync"):
        yield


class Progress:
    """A record counter on stderr, only when stderr is a terminal and the input is large."""

    threshold = 20_000

    def __init__(self, label: str) -> None:
        self.label = label
        self.enabled = sys.stderr.isatty()
        self.shown = False

    def __call__(self, count: int) -> None:
        if self.enabled and count >= self.threshold:
            self.shown = True
            sys.stderr.write(f"\r{self.label}: {count:,} records read")
            sys.stderr.flush()

    def done(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def run_sync(
    app: App,
    source: Source,
    options: Mapping[str, Any],
    *,
    dry_run: bool = False,
    allow_deletions: bool = False,
) -> SyncOutcome:
    """Sync ``source`` into the profile's ledger. See the module docstring for the steps."""
    ledger = app.ledger()
    conn = ledger.conn
    table = app.settings.sources.get(source.name) or {}
    if source.settings is not None:
        from collectctl.settings import check_table

        check_table(app.config_file, source.name, table, source.settings)
    settings = dict(table)
    settings.update({k: v for k, v in options.items() if v is not None and v is not False})
    with ledger.lock("sync", timeout=lock_timeout(), what="sync"):
        for stale in app.profile_dir.glob(f".staging-{source.name}-*.db"):
            stale.unlink(missing_ok=True)
        started = now_iso()
        cursor = load_cursor(conn, source.name)
        progress = Progress(f"sync {source.name}")
        request = SyncRequest(
            options=settings,
            cursor=cursor,
            full=bool(settings.get("full")) or cursor is None,
            profile_dir=app.state_dir,  # a dry run's throwaway ledger keeps no token
            config_dir=app.config_dir,
            config=app.config,
            env=app.env,
            progress=progress,
            debug=app.debug,
        )
        path = app.profile_dir / f".staging-{source.name}-{os.getpid()}.db"
        staging: Staging | None = None
        try:
            batch = _guard(source.name, lambda: source.read(request))
            while True:
                staging = current = Staging(
                    conn, path, source=source.name, config=app.config, complete=batch.complete
                )
                records = batch.records
                staged = _guard(
                    source.name,
                    lambda: current.load(records, progress),  # noqa: B023 (called at once)
                )
                progress.done()
                if not staged.problem_count or batch.fallback is None:
                    break
                # A derived increment has problems: read everything, so that they are reported
                # exactly as a full read reports them (the batch read has nothing to fall back to).
                fallback = batch.fallback
                staging.detach()
                staging = None
                path.unlink(missing_ok=True)
                batch = _guard(source.name, fallback)
            described = batch.description or source.name
            if staged.problem_count:
                n = staged.problem_count
                raise DataError(
                    f"{described}: {n} problem{'s' if n != 1 else ''} found; nothing was "
                    "written to the ledger",
                    staged.problems,
                    hint="Fix the records listed above and run the sync again.",
                    total=n,
                )
            changes = diff(conn, source.name, complete=batch.complete)
            guard = _check_deletions(conn, source.name, changes, allow_deletions)
            if guard is not None and not dry_run:
                raise CollectctlError(
                    f"{guard}; nothing was written",
                    hint="If the source really dropped them, run again with --allow-deletions; "
                    "--dry-run lists them.",
                )
            mode = "full" if batch.complete else "incremental"
            if not dry_run:
                # What needs no write is computed before the write lock is taken.
                prepare(conn, source.name, complete=batch.complete, changes=changes)
                with ledger.write() as wconn:
                    apply(
                        wconn, source.name, complete=batch.complete, changes=changes, prepared=True
                    )
                    store_cursor(wconn, source.name, staged.cursor or cursor, now_iso())
                    store_payment_dates(
                        wconn, source.name, batch.approximate_payment_dates, now_iso()
                    )
                    log_sync(
                        wconn,
                        source=source.name,
                        started=started,
                        finished=now_iso(),
                        mode=mode,
                        description=described,
                        result=changes,
                    )
                if batch.on_commit is not None:
                    batch.on_commit()  # the ledger is written: the source must not raise here
            return SyncOutcome(
                source=source.name,
                description=described,
                mode=mode,
                dry_run=dry_run,
                diff=changes,
                records=staged.records,
                cursor=staged.cursor,
                deletion_guard=guard,
            )
        finally:
            progress.done()
            if staging is not None:
                staging.detach()
            path.unlink(missing_ok=True)


def _guard(name: str, func: Callable[[], Any]) -> Any:
    """Run source code; turn unexpected exceptions into a one-line SourceError."""
    try:
        return func()
    except (CollectctlError, KeyboardInterrupt):
        raise
    except Exception as exc:
        raise SourceError(
            f"source {name!r} failed: {type(exc).__name__}: {exc}",
            hint="Nothing was written. Run with --debug for the traceback.",
        ) from exc


def _check_deletions(conn: Any, source: str, changes: Diff, allow: bool) -> str | None:
    """Why the deletion guard stops this sync, or None when it may go ahead."""
    removed = changes.counts["invoices"]["remove"]
    existing = invoice_count(conn, source)
    if allow or not existing or removed <= existing * DELETION_LIMIT:
        return None
    share = removed / existing * 100
    return (
        f"this sync would remove {removed} of the {existing} {source} invoices in the ledger "
        f"({share:.0f}%, more than {DELETION_LIMIT:.0%})"
    )

"""Moving a profile's books to another ledger (``collectctl ledger copy``): copy every table,
then prove the copy gives the same answers before it is committed.

The check compares the JSON documents of ``aging``, ``account list`` and ``metrics`` (as of one
date) computed on both sides; any difference rolls the whole copy back, so the destination is
either a complete, verified copy or untouched.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from collectctl.errors import CollectctlError


@dataclass
class CopyResult:
    """What a copy did: rows per table, and the documents that were found identical."""

    destination: str
    rows: dict[str, int] = field(default_factory=dict)
    checked: list[str] = field(default_factory=list)


def documents(conn: Any, as_of: date, start: date, months: int, grace_days: int) -> dict[str, str]:
    """``{name: canonical JSON}`` of the aging, account list and metrics documents."""
    from collectctl.reports import accounts as account_report
    from collectctl.reports import aging as aging_report
    from collectctl.reports import metrics

    docs = {
        "aging": aging_report.by_customer(conn, as_of, (30, 60, 90)),
        "aging --by invoice": aging_report.by_invoice(conn, as_of, (30, 60, 90)),
        "account list": account_report.account_list(conn, as_of, grace_days=grace_days),
        "metrics": metrics.document(conn, start, as_of, months, by="total", currency=None),
    }
    return {k: json.dumps(v, sort_keys=True, default=str) for k, v in docs.items()}


def copy_ledger(
    source: Any,
    dest_target: Any,
    *,
    as_of: date,
    start: date,
    months: int,
    grace_days: int,
) -> CopyResult:
    """Copy ``source`` (an open ledger) into the ledger at ``dest_target`` (created and migrated
    if needed; it must hold nothing yet), compare the documents on both sides inside the
    destination's write transaction, and commit only when they are identical."""
    from collectctl.ledger.opening import open_ledger
    from collectctl.ledger.transfer import copy_tables

    if dest_target.display == source.display:
        raise CollectctlError("the destination is the profile's own ledger; nothing was copied")
    created = dest_target.backend == "sqlite" and not dest_target.path.exists()
    result = CopyResult(destination=dest_target.display)
    try:
        dest = open_ledger(dest_target)
    except BaseException:
        if created:
            dest_target.path.unlink(missing_ok=True)
        raise
    ok = False
    try:
        with dest.write() as conn:
            result.rows = copy_tables(source.conn, conn)
            want = documents(source.conn, as_of, start, months, grace_days)
            got = documents(conn, as_of, start, months, grace_days)
            differ = [name for name in want if want[name] != got[name]]
            if differ:
                raise CollectctlError(
                    f"the copy in {dest_target.display} does not give the same {differ[0]} as "
                    f"the original (as of {as_of}); it was rolled back, nothing was written",
                    hint="Please report this with `collectctl --debug ledger copy ...`.",
                )
            result.checked = list(want)
        ok = True
    finally:
        dest.close()
        if created and not ok:
            for suffix in ("", "-wal", "-shm"):
                dest_target.path.with_name(dest_target.path.name + suffix).unlink(missing_ok=True)
    return result

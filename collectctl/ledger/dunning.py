"""What dunning itself records: runs (``RUN-n``) and baseline ladder positions (migration 6).

Letters and their (invoice, stage, seq) claims are the send record's (:mod:`collectctl.ledger.
letters`); a baseline position is held here, in a table with the same unique key, so that a
``--baseline`` run moves an invoice's ladder on without pretending a letter went. Dry runs write
nothing, so they are never here. Instants are UTC ISO text.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class BaselineStep:
    """A rung recorded by ``--baseline``."""

    stage: str
    seq: int
    on: date


def last_run_as_of(conn: sqlite3.Connection) -> date | None:
    """The latest decision day of any real run or baseline of this profile (None: none yet)."""
    row = conn.execute("SELECT MAX(as_of) FROM dunning_runs").fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def start_run(
    conn: sqlite3.Connection,
    *,
    as_of: date,
    mode: str,
    policy_path: str,
    policy_sha256: str,
    started_at: str,
) -> int:
    """Record a run as ``running``; returns its number (``RUN-n``)."""
    cur = conn.execute(
        """INSERT INTO dunning_runs (as_of, mode, policy_path, policy_sha256, started_at, status)
           VALUES (?, ?, ?, ?, ?, 'running')""",
        (as_of.isoformat(), mode, policy_path, policy_sha256, started_at),
    )
    return int(cur.lastrowid or 0)


def finish_run(
    conn: sqlite3.Connection,
    run: int,
    *,
    finished_at: str,
    counts: Mapping[str, int],
    skip_counts: Mapping[str, int],
) -> None:
    """Mark a run ``done`` with its totals (``letters``, ``failed``, ``uncertain``,
    ``cancelled``, ``skipped``) and the number of skips per reason."""
    conn.execute(
        """UPDATE dunning_runs SET status = 'done', finished_at = ?, letters = ?, failed = ?,
               uncertain = ?, cancelled = ?, skipped = ?, skip_counts = ? WHERE id = ?""",
        (
            finished_at,
            counts.get("letters", 0),
            counts.get("failed", 0),
            counts.get("uncertain", 0),
            counts.get("cancelled", 0),
            counts.get("skipped", 0),
            json.dumps(dict(skip_counts), sort_keys=True),
            run,
        ),
    )


def record_baseline(
    conn: sqlite3.Connection, run: int, rungs: Iterable[tuple[str, str, str, int]], on: date
) -> int:
    """Hold (source, invoice_ext, stage, seq) rungs without a letter; returns how many were new
    (a rung already held is left as it is)."""
    before = conn.total_changes
    conn.executemany(
        """INSERT OR IGNORE INTO dunning_baseline (run, source, invoice_ext, stage, seq,
               recorded_on) VALUES (?, ?, ?, ?, ?, ?)""",
        [(run, *rung, on.isoformat()) for rung in rungs],
    )
    return conn.total_changes - before


def baseline_history(conn: sqlite3.Connection) -> dict[tuple[str, str], list[BaselineStep]]:
    """Every baseline rung per (source, invoice_ext), in one query."""
    out: dict[tuple[str, str], list[BaselineStep]] = defaultdict(list)
    for src, ext, stage, seq, on in conn.execute(
        "SELECT source, invoice_ext, stage, seq, recorded_on FROM dunning_baseline ORDER BY rowid"
    ):
        out[(src, ext)].append(BaselineStep(stage, int(seq), date.fromisoformat(on)))
    return dict(out)


def last_syncs(conn: sqlite3.Connection) -> dict[str, str]:
    """``{source: finished_at}`` of each source's last successful sync (one query)."""
    return {
        src: finished
        for src, finished in conn.execute(
            """SELECT source, finished_at FROM sync_log
               WHERE id IN (SELECT MAX(id) FROM sync_log GROUP BY source)"""
        )
    }


def consumer_last_payments(conn: sqlite3.Connection, as_of: date) -> dict[tuple[str, str], date]:
    """``{(source, invoice_ext): date}`` of the last payment on or before ``as_of`` to each invoice
    of a consumer (book kind or local override): where a limitation period restarts. One query."""
    return {
        (src, ext): date.fromisoformat(day)
        for src, ext, day in conn.execute(
            # From the consumers down (CROSS JOIN keeps that order on SQLite): their
            # allocations through allocations_by_customer, not a scan of every allocation.
            """SELECT a.source, a.invoice_ext, MAX(a.date)
               FROM customers c
               LEFT JOIN account_overrides o ON o.source = c.source AND o.customer_ext = c.ext_id
               CROSS JOIN allocations a ON a.customer = c.id
               WHERE COALESCE(o.kind, c.kind) = 'consumer'
                 AND a.invoice IS NOT NULL AND a.kind = 'payment' AND a.date <= ?
               GROUP BY a.source, a.invoice_ext""",
            (as_of.isoformat(),),
        )
    }

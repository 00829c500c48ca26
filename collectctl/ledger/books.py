"""Reading the books: customers, invoices, allocations, and per-source sync status."""

from __future__ import annotations

import sqlite3
from typing import Any


def source_status(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """One row per source that has synced: its last successful sync and current counts."""
    rows = []
    for source, finished, mode, description in conn.execute(
        """SELECT source, finished_at, mode, description FROM sync_log
           WHERE id IN (SELECT MAX(id) FROM sync_log GROUP BY source) ORDER BY source"""
    ):
        counts = {
            table: conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE source = ?", (source,)
            ).fetchone()[0]
            for table in ("customers", "invoices", "allocations")
        }
        rows.append(
            {
                "source": source,
                "last_sync": finished,
                "mode": mode,
                **counts,
                "description": description,
            }
        )
    return rows

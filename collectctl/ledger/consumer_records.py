"""Consumer-protection records: cease-communication requests, per-channel opt-outs, call attempts.

Readers take a plain connection; customers are ``(source, customer_ext)`` keys.
"""

from __future__ import annotations

import sqlite3
from datetime import date


def phone_attempt_dates(
    conn: sqlite3.Connection, customer: tuple[str, str], first: date, last: date
) -> list[date]:
    """The dates of the phone contacts logged for ``customer`` from ``first`` to ``last``
    (inclusive), void ones left out: the call attempts Regulation F counts."""
    return [
        date.fromisoformat(day)
        for (day,) in conn.execute(
            """SELECT on_date FROM contacts
               WHERE source = ? AND customer_ext = ? AND channel = 'phone'
                 AND voided_on IS NULL AND on_date BETWEEN ? AND ? ORDER BY on_date""",
            (*customer, first.isoformat(), last.isoformat()),
        )
    ]


def add_cease(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    on: date,
    written: bool,
    note: str | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Record a request to cease communication (made by ``created_by``); returns ``CEA-n``."""
    cur = conn.execute(
        """INSERT INTO consumer_ceases (source, customer_ext, on_date, written, note, created_at,
                                        created_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (*customer, on.isoformat(), int(written), note, created_at, created_by),
    )
    return f"CEA-{cur.lastrowid}"


def add_optout(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    channel: str,
    *,
    on: date,
    note: str | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Record an opt-out of one channel (made by ``created_by``); returns ``OPT-n``."""
    cur = conn.execute(
        """INSERT INTO channel_optouts (source, customer_ext, channel, on_date, note, created_at,
                                        created_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (*customer, channel, on.isoformat(), note, created_at, created_by),
    )
    return f"OPT-{cur.lastrowid}"


def lift(
    conn: sqlite3.Connection,
    table: str,
    customer: tuple[str, str],
    *,
    on: date,
    reason: str,
    channel: str | None = None,
) -> list[int]:
    """Void the customer's live ceases (``table="consumer_ceases"``) or opt-outs of ``channel``
    (``"channel_optouts"``) from ``on``; returns the ids lifted."""
    if table not in ("consumer_ceases", "channel_optouts"):
        raise ValueError(table)
    where = "source = ? AND customer_ext = ? AND voided_on IS NULL"
    params: list[object] = [*customer]
    if channel is not None:
        where += " AND channel = ?"
        params.append(channel)
    ids = [int(n) for (n,) in conn.execute(f"SELECT id FROM {table} WHERE {where}", params)]
    conn.executemany(
        f"UPDATE {table} SET voided_on = ?, void_reason = ? WHERE id = ?",
        [(on.isoformat(), reason, n) for n in ids],
    )
    return ids


def ceased(conn: sqlite3.Connection, as_of: date) -> set[tuple[str, str]]:
    """Every customer with a cease in force on ``as_of`` (one query)."""
    day = as_of.isoformat()
    return {
        (src, ext)
        for src, ext in conn.execute(
            """SELECT DISTINCT source, customer_ext FROM consumer_ceases
               WHERE on_date <= ? AND (voided_on IS NULL OR voided_on > ?)""",
            (day, day),
        )
    }


def optouts(conn: sqlite3.Connection, as_of: date) -> dict[tuple[str, str], frozenset[str]]:
    """Every customer's channels opted out of on ``as_of`` (one query)."""
    day = as_of.isoformat()
    out: dict[tuple[str, str], set[str]] = {}
    for src, ext, channel in conn.execute(
        """SELECT source, customer_ext, channel FROM channel_optouts
           WHERE on_date <= ? AND (voided_on IS NULL OR voided_on > ?)""",
        (day, day),
    ):
        out.setdefault((src, ext), set()).add(channel)
    return {key: frozenset(channels) for key, channels in out.items()}

"""Consumer-protection records the dunning guards read: call attempts (from the contact log).

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

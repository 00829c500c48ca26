"""ISO date text from the ledger as ``date`` objects, each distinct day parsed once.

A whole-ledger read turns hundreds of thousands of date columns into ``date`` objects, but a
ledger holds only a few thousand distinct days: a :class:`Days` table parses each once.
"""

from __future__ import annotations

from datetime import date


class Days(dict[str, date]):
    """``days[text]`` is ``date.fromisoformat(text)``, remembered (a dict lookup on a hit)."""

    def __missing__(self, text: str) -> date:
        day = self[text] = date.fromisoformat(text)
        return day


#: One table for the process: dates never change meaning, and a ledger's days are few.
DAYS = Days()

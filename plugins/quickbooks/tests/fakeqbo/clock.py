"""A controllable clock for the fake QuickBooks server, and QBO-style timestamps."""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

try:
    from zoneinfo import ZoneInfo

    PACIFIC: tzinfo = ZoneInfo("America/Los_Angeles")
except Exception:  # pragma: no cover - no tz database on this machine
    PACIFIC = timezone(timedelta(hours=-8), "PST")

#: Default start of the fake clock: a winter (-08:00) Pacific time.
DEFAULT_START = datetime(2026, 3, 2, 9, 14, 5, 123000, tzinfo=PACIFIC)


class Clock:
    """A settable clock: frozen by default, optionally ticking with real time.

    ``now()`` returns an aware datetime in Pacific time. ``set(dt)`` jumps to a moment,
    ``advance(seconds=..., days=...)`` moves forward; with ``rate=1.0`` it also follows the
    wall clock from the last ``set``.
    """

    def __init__(self, start: datetime | None = None, *, rate: float = 0.0) -> None:
        self._lock = threading.Lock()
        self._base = _aware(start or DEFAULT_START)
        self._rate = rate
        self._mono = time.monotonic()

    def now(self) -> datetime:
        """The current fake time (aware, Pacific)."""
        with self._lock:
            elapsed = (time.monotonic() - self._mono) * self._rate
            return (self._base + timedelta(seconds=elapsed)).astimezone(PACIFIC)

    def set(self, moment: datetime | str) -> None:
        """Jump to ``moment`` (an aware datetime, or an ISO string with offset)."""
        with self._lock:
            self._base = _aware(parse_time(moment) if isinstance(moment, str) else moment)
            self._mono = time.monotonic()

    def advance(self, seconds: float = 0, **kwargs: float) -> datetime:
        """Move forward by ``seconds`` plus any ``timedelta`` keyword (days=..., hours=...)."""
        delta = timedelta(seconds=seconds, **kwargs)
        now = self.now()
        self.set(now + delta)
        return now + delta

    def today(self) -> date:
        """The current Pacific date."""
        return self.now().date()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PACIFIC)


def format_time(moment: datetime, *, millis: bool = False) -> str:
    """Format like QBO: ``2026-02-20T16:40:03-08:00`` (Pacific offset), optional milliseconds."""
    local = _aware(moment).astimezone(PACIFIC)
    if millis:
        return local.isoformat(timespec="milliseconds")
    return local.isoformat(timespec="seconds")


def parse_time(text: str) -> datetime:
    """Parse a QBO date or date-time; offset-less values are read as Pacific.

    Raises ``ValueError`` for anything else.
    """
    text = text.strip()
    if len(text) == 10:
        day = date.fromisoformat(text)
        return datetime(day.year, day.month, day.day, tzinfo=PACIFIC)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    return _aware(moment)


def epoch_millis(moment: datetime) -> int:
    """Milliseconds since the epoch (the gateway's numeric ``time``)."""
    return int(moment.astimezone(UTC).timestamp() * 1000)

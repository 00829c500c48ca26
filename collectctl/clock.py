"""The one clock: today and now in the profile's time zone, and UTC stamps for the ledger.

Commands get it as ``current_app().clock`` and pass dates down; nothing below the commands
reads the time. Ledger timestamps (``created_at``, sync log) are UTC instants written by
:func:`utc_stamp`; older ledgers hold local times with their offset, which read the same way
(compare them as instants: :func:`collectctl.domain.books.instant_key`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo


def utc_stamp(timespec: str = "microseconds") -> str:
    """Now as a UTC instant in ISO 8601 with offset (``2026-12-01T22:05:00.123456+00:00``)."""
    return datetime.now(UTC).isoformat(timespec=timespec)


class Clock:
    """Today and now in one time zone (an IANA name; ``None``: the machine's local zone).

    :param now: the source of the current instant (an aware datetime), for tests.
    """

    def __init__(
        self, timezone: str | None = None, now: Callable[[], datetime] | None = None
    ) -> None:
        self.timezone = timezone or None
        self._now = now or (lambda: datetime.now(UTC))

    @property
    def zone(self) -> tzinfo | None:
        """The zone as a tzinfo (``None``: the machine's local zone)."""
        if not self.timezone:
            return None
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.timezone)

    def now(self) -> datetime:
        """Now in the zone, to the second (aware)."""
        return self._now().astimezone(self.zone).replace(microsecond=0)

    def today(self) -> date:
        """Today's date in the zone."""
        return self._now().astimezone(self.zone).date()

    def localize(self, moment: datetime) -> datetime:
        """A naive datetime typed by the user, read in the zone (aware ones are kept)."""
        if moment.tzinfo is not None:
            return moment
        zone = self.zone
        return moment.replace(tzinfo=zone) if zone is not None else moment.astimezone()

    def stamp(self) -> str:
        """A ledger timestamp: now as a UTC instant with microseconds."""
        return self._now().astimezone(UTC).isoformat(timespec="microseconds")

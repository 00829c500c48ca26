"""Calendar arithmetic for report periods (pure): month periods and "N months ending at"."""

from __future__ import annotations

from datetime import date, timedelta


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months touching start..end, clipped to it."""
    periods = []
    first = start
    while first <= end:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        periods.append((first, min(end, nxt - timedelta(days=1))))
        first = nxt
    return periods


def period_start(end: date, months: int) -> date:
    """First day of the ``months`` months ending at ``end``: whole calendar months when ``end``
    is a month's last day (2026-10-31, 3 → 2026-08-01), else from the day after the same day
    ``months`` months earlier (2026-11-15, 3 → 2026-08-16)."""
    import calendar

    whole = (end + timedelta(days=1)).day == 1
    back = months - 1 if whole else months
    year, month0 = divmod(end.year * 12 + end.month - 1 - back, 12)
    if whole:
        return date(year, month0 + 1, 1)
    day = min(end.day, calendar.monthrange(year, month0 + 1)[1])
    return date(year, month0 + 1, day) + timedelta(days=1)

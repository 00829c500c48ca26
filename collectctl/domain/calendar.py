"""Calendar arithmetic (pure, no clock): report periods ("N months ending at"), and business
days — weekends and US federal holidays — for the consumer guards (Regulation F 1006.34: receipt
of a validation notice may be assumed five days after sending, excluding legal public holidays,
Saturdays and Sundays).

Holidays are the eleven legal public holidays of 5 U.S.C. 6103(a): New Year's Day, Birthday of
Martin Luther King Jr. (3rd Monday of January), Washington's Birthday (3rd Monday of February),
Memorial Day (last Monday of May), Juneteenth (19 June, from 2021), Independence Day (4 July),
Labor Day (1st Monday of September), Columbus Day (2nd Monday of October), Veterans Day
(11 November), Thanksgiving (4th Thursday of November) and Christmas Day (25 December).
A fixed-date holiday falling on a Saturday is observed the Friday before, on a Sunday the Monday
after (Executive Order 11582); both the date itself and the observed day are skipped.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache


def month_periods(start: date, end: date) -> list[tuple[date, date]]:
    """The calendar months touching start..end, clipped to it."""
    periods = []
    first = start
    while first <= end:
        nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
        periods.append((first, min(end, nxt - timedelta(days=1))))
        first = nxt
    return periods


#: Average days in a month (365.25 / 12, rounded), for a period given by its dates.
DAYS_PER_MONTH = 30.44


def months_in(start: date, end: date) -> int:
    """How many months the period ``start..end`` (both ends included) stands for: its days
    ÷ :data:`DAYS_PER_MONTH`, rounded, at least 1 (2026-08-16..2026-09-30: 46 days → 2)."""
    return max(1, round(((end - start).days + 1) / DAYS_PER_MONTH))


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


_SATURDAY = 5
_SUNDAY = 6


def _nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0 = Monday) of a month; ``n = -1`` is the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = date(year + (month == 12), month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _observed(day: date) -> date:
    if day.weekday() == _SATURDAY:
        return day - timedelta(days=1)
    if day.weekday() == _SUNDAY:
        return day + timedelta(days=1)
    return day


@lru_cache(maxsize=64)
def us_federal_holidays(year: int) -> frozenset[date]:
    """Every US federal holiday date of ``year``: the legal dates and their observed days
    (New Year's Day of ``year + 1`` observed on 31 December is included)."""
    fixed = [date(year, 1, 1), date(year, 7, 4), date(year, 11, 11), date(year, 12, 25)]
    if year >= 2021:
        fixed.append(date(year, 6, 19))
    floating = [
        _nth_weekday(year, 1, 0, 3),
        _nth_weekday(year, 2, 0, 3),
        _nth_weekday(year, 5, 0, -1),
        _nth_weekday(year, 9, 0, 1),
        _nth_weekday(year, 10, 0, 2),
        _nth_weekday(year, 11, 3, 4),
    ]
    days = set(fixed) | {_observed(d) for d in fixed} | set(floating)
    if year < 9999:
        next_new_year = _observed(date(year + 1, 1, 1))
        if next_new_year.year == year:
            days.add(next_new_year)
    return frozenset(day for day in days if day.year == year)


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a US federal holiday (legal or observed date)."""
    return day.weekday() < _SATURDAY and day not in us_federal_holidays(day.year)


def add_business_days(start: date, count: int) -> date:
    """The date ``count`` business days after ``start`` (``start`` itself never counts)."""
    if count < 0:
        raise ValueError("count must not be negative")
    day = start
    left = count
    while left:
        day += timedelta(days=1)
        if is_business_day(day):
            left -= 1
    return day

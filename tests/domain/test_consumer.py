"""Consumer guards and the business-day calendar, at every boundary (hand-worked dates)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from collectctl.domain import consumer
from collectctl.domain.calendar import add_business_days, is_business_day, us_federal_holidays

NY = "America/New_York"
LA = "America/Los_Angeles"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_2026_federal_holidays_by_hand():
    # Independence Day 2026 is a Saturday: observed Friday 3 July (both dates skipped).
    assert {
        date(2026, 1, 1),
        date(2026, 1, 19),
        date(2026, 2, 16),
        date(2026, 5, 25),
        date(2026, 6, 19),
        date(2026, 7, 3),
        date(2026, 7, 4),
        date(2026, 9, 7),
        date(2026, 10, 12),
        date(2026, 11, 11),
        date(2026, 11, 26),
        date(2026, 12, 25),
    } == set(us_federal_holidays(2026))


def test_new_year_on_a_saturday_is_observed_the_year_before():
    assert date(2021, 12, 31) in us_federal_holidays(2021)  # 1 Jan 2022 is a Saturday
    assert date(2027, 12, 31) in us_federal_holidays(2027)  # 1 Jan 2028 is a Saturday
    assert not is_business_day(date(2021, 12, 31))


def test_juneteenth_only_from_2021():
    assert date(2020, 6, 19) not in us_federal_holidays(2020)
    assert date(2021, 6, 18) in us_federal_holidays(2021)  # 19 June 2021 a Saturday


def test_business_days_skip_weekends_and_holidays():
    assert add_business_days(date(2026, 11, 27), 0) == date(2026, 11, 27)
    # Fri 27 Nov → Mon 30 Nov (weekend skipped)
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)
    with pytest.raises(ValueError, match="negative"):
        add_business_days(date(2026, 1, 1), -1)


def test_validation_end_date_across_thanksgiving():
    # Sent Wed 25 Nov 2026: Thu 26 is Thanksgiving; Fri 27 (1), Mon 30 (2), Tue 1 (3),
    # Wed 2 (4), Thu 3 Dec (5) → receipt 3 Dec; + 30 days → 2 Jan 2027.
    assert consumer.assumed_receipt(date(2026, 11, 25)) == date(2026, 12, 3)
    assert consumer.validation_end_date(date(2026, 11, 25)) == date(2027, 1, 2)


def test_validation_end_date_across_an_observed_holiday():
    # Sent Thu 2 Jul 2026: Fri 3 (observed 4 July) and the weekend skipped; Mon 6 … Fri 10.
    assert consumer.assumed_receipt(date(2026, 7, 2)) == date(2026, 7, 10)
    assert consumer.validation_end_date(date(2026, 7, 2)) == date(2026, 8, 9)


@pytest.mark.parametrize(
    ("instant", "allowed"),
    [
        ("2026-06-15T11:59:59", False),  # 07:59:59 EDT
        ("2026-06-15T12:00:00", True),  # 08:00:00 EDT
        ("2026-06-16T00:59:59", True),  # 20:59:59 EDT
        ("2026-06-16T01:00:00", False),  # 21:00:00 EDT
        ("2026-01-15T12:59:59", False),  # 07:59:59 EST
        ("2026-01-15T13:00:00", True),  # 08:00:00 EST
        ("2026-01-16T01:59:59", True),  # 20:59:59 EST
        ("2026-01-16T02:00:00", False),  # 21:00:00 EST
    ],
)
def test_window_boundaries(instant, allowed):
    assert consumer.within_hours(utc(instant), NY) is allowed


def test_window_across_spring_forward():
    # Clocks go 02:00 → 03:00 on Sun 8 Mar 2026: 12:30 UTC is 07:30 EST the day before,
    # 08:30 EDT that day.
    assert consumer.within_hours(utc("2026-03-07T12:30:00"), NY) is False
    assert consumer.within_hours(utc("2026-03-08T12:30:00"), NY) is True
    assert consumer.within_hours(utc("2026-03-08T11:59:59"), NY) is False  # 07:59:59 EDT


def test_window_across_fall_back():
    # Clocks go 02:00 → 01:00 on Sun 1 Nov 2026: 12:30 UTC is 08:30 EDT on Saturday,
    # 07:30 EST on Sunday; 01:30 UTC is 21:30 EDT Saturday night but 20:30 EST Sunday night.
    assert consumer.within_hours(utc("2026-10-31T12:30:00"), NY) is True
    assert consumer.within_hours(utc("2026-11-01T12:30:00"), NY) is False
    assert consumer.within_hours(utc("2026-11-01T01:30:00"), NY) is False
    assert consumer.within_hours(utc("2026-11-02T01:30:00"), NY) is True


def test_unknown_zone_uses_the_intersection_of_candidate_zones():
    zones = consumer.contact_zones(None, [NY, LA])
    assert zones == (NY, LA)
    # Summer: LA 08:00 = 15:00 UTC opens it; NY 21:00 = 01:00 UTC closes it.
    assert not consumer.within_hours_everywhere(utc("2026-06-15T14:59:59"), zones)
    assert consumer.within_hours_everywhere(utc("2026-06-15T15:00:00"), zones)
    assert consumer.within_hours_everywhere(utc("2026-06-16T00:59:59"), zones)
    assert not consumer.within_hours_everywhere(utc("2026-06-16T01:00:00"), zones)
    assert not consumer.within_hours_everywhere(utc("2026-06-15T16:00:00"), [])
    assert consumer.contact_zones("Europe/Berlin", [NY]) == ("Europe/Berlin",)


def test_window_needs_an_aware_instant_and_a_real_zone():
    with pytest.raises(ValueError, match="aware"):
        consumer.within_hours(datetime(2026, 6, 15, 12), NY)
    with pytest.raises(ValueError, match="unknown time zone"):
        consumer.within_hours(utc("2026-06-15T12:00:00"), "Mars/Olympus")


def test_send_cap_counts_seven_consecutive_days():
    today = date(2026, 6, 15)
    sent = [date(2026, 6, 8), date(2026, 6, 9), date(2026, 6, 15)]
    assert consumer.sends_in_last_7_days(sent, today) == 2  # 8 June is 8 days back
    assert consumer.under_send_cap(sent, today, 3)
    assert not consumer.under_send_cap(sent, today, 2)
    assert consumer.under_send_cap(sent, date(2026, 6, 16), 2)  # 9 June leaves the window


def test_time_barred_from_due_date_or_last_payment():
    due = date(2020, 3, 10)
    assert not consumer.time_barred(due, None, date(2023, 3, 9), 3)
    assert consumer.time_barred(due, None, date(2023, 3, 10), 3)
    # A later payment restarts the period.
    assert not consumer.time_barred(due, date(2021, 6, 1), date(2023, 3, 10), 3)
    assert consumer.time_barred(due, date(2021, 6, 1), date(2024, 6, 1), 3)
    # A payment before the due date does not move it.
    assert consumer.limitation_start(due, date(2020, 1, 1)) == due
    assert not consumer.time_barred(due, None, date(2099, 1, 1), None)


def test_time_barred_from_29_february():
    assert not consumer.time_barred(date(2020, 2, 29), None, date(2023, 2, 28), 3)
    assert consumer.time_barred(date(2020, 2, 29), None, date(2023, 3, 1), 3)


def test_eighth_call_attempt_in_seven_days_warns():
    today = date(2026, 6, 15)
    seven = [date(2026, 6, 9 + n % 7) for n in range(7)]
    assert consumer.call_attempt_warning(seven[:6], today) is None  # this is the 7th
    warning = consumer.call_attempt_warning(seven, today)
    assert warning is not None
    assert "attempt 8" in warning
    # The same seven attempts a week later no longer count.
    assert consumer.call_attempt_warning(seven, date(2026, 6, 22)) is None

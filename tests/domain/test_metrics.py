"""Receivables metrics: the domain reference's vectors, hand-worked examples and properties."""

from __future__ import annotations

import calendar
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectctl.domain.metrics import (
    PaidInvoice,
    ar_turnover,
    average_days_delinquent,
    average_days_to_pay,
    best_possible_dso,
    cei,
    cei_monthly,
    dso,
    dso_countback,
    dso_recent,
    fully_paid_on,
    percent_91_plus,
    percent_current,
    period_days,
    round_metric,
    weighted_days_past_due,
)

Q1_START, Q1_END = date(2025, 1, 1), date(2025, 3, 31)  # 31 + 28 + 31 = 90 days
Q1_SALES = [(date(2025, 1, 1), 70000), (date(2025, 2, 1), 80000), (date(2025, 3, 1), 100000)]


def shown(value: Decimal | None) -> str | None:
    rounded = round_metric(value)
    return None if rounded is None else str(rounded)


# --- vectors from the domain reference ---------------------------------------------------------


def test_countback_vector():
    # E 212,000 at 31 Mar (non-leap): Mar 100,000 (31 d) leaves 112,000; Feb 80,000 (28 d)
    # leaves 32,000; Jan 70,000 runs out: 32/70 x 31 = 14.17 -> 31 + 28 + 14.17 = 73.17 days.
    assert shown(dso_countback(212000, Q1_SALES, Q1_END)) == "73.17"


def test_countback_thirty_day_variant():
    # Same walk with 30-day months: 30 + 30 + 32/70 x 30 = 73.71 days.
    assert shown(dso_countback(212000, Q1_SALES, Q1_END, thirty_day_months=True)) == "73.71"


def test_cei_vector_and_monthly_variant():
    # (6,200 + 10,890 - 6,340) / (6,200 + 10,890 - 3,590) = 10,750 / 13,500 = 79.63 %.
    assert shown(cei(6200, 10890, 6340, 3590)) == "79.63"
    # Monthly: S / 3 = 3,630 -> (6,200 + 3,630 - 6,340) / (6,200 + 3,630 - 3,590) = 3,490 / 6,240.
    assert shown(cei_monthly(6200, 10890, 6340, 3590, 3)) == "55.93"


# --- hand-worked examples ----------------------------------------------------------------------


def test_dso_standard_bpdso_and_add_by_hand():
    # Q1 2025 is D = 90 days; S = 250,000; E = 212,000 of which Ec = 150,000 not yet due.
    # DSO = 212,000 / 250,000 x 90 = 76.32; BPDSO = 150,000 / 250,000 x 90 = 54.00;
    # ADD = 76.32 - 54.00 = 22.32 (= 62,000 / 250,000 x 90).
    assert period_days(Q1_START, Q1_END) == 90
    assert dso(212000, 250000, Q1_START, Q1_END) == Decimal("76.32")
    assert best_possible_dso(150000, 250000, Q1_START, Q1_END) == Decimal("54")
    assert average_days_delinquent(212000, 150000, 250000, Q1_START, Q1_END) == Decimal("22.32")


def test_dso_last_three_months():
    # Sales Jan-Mar 250,000 over 90 days: 212,000 / 250,000 x 90 = 76.32; a 12-month history
    # gives the same, the older months are not used.
    assert dso_recent(212000, Q1_SALES, Q1_END) == Decimal("76.32")
    history = [(date(2024, month, 1), 999999) for month in range(1, 13)] + Q1_SALES
    assert dso_recent(212000, history, Q1_END) == Decimal("76.32")
    # two months: (Feb + Mar) 180,000 over 59 days -> 212 / 180 x 59 = 69.49
    assert shown(dso_recent(212000, Q1_SALES, Q1_END, months=2)) == "69.49"


def test_weighted_days_past_due_by_hand():
    # Past-due items: 1,000 x 10 d + 3,000 x 40 d = 130,000 over 4,000 -> 32.5 days.
    # Current items (days <= 0) and credits (balance <= 0) are not past-due items.
    items = [(1000, 10), (3000, 40), (500, 0), (700, -3), (-200, 50)]
    assert weighted_days_past_due(items) == Decimal("32.5")


def test_percentages_and_turnover_by_hand():
    # 150,000 / 212,000 = 70.75 %; 30,000 / 212,000 = 14.15 %.
    assert shown(percent_current(150000, 212000)) == "70.75"
    assert shown(percent_91_plus(30000, 212000)) == "14.15"
    # S 250,000 over average AR (188,000 + 212,000) / 2 = 200,000 -> 1.25 times.
    assert ar_turnover(250000, 188000, 212000) == Decimal("1.25")


def test_average_days_to_pay_by_hand():
    # A: issued Jan 1, fully paid Jan 31 -> 30 days, 100.00; B: Jan 10 -> Feb 19 = 40 days,
    # 300.00; C was paid in April, outside the period. Invoice-weighted (30 + 40) / 2 = 35;
    # amount-weighted (100 x 30 + 300 x 40) / 400 = 37.5.
    invoices = [
        PaidInvoice(date(2025, 1, 1), date(2025, 1, 31), 10000),
        PaidInvoice(date(2025, 1, 10), date(2025, 2, 19), 30000),
        PaidInvoice(date(2025, 3, 1), date(2025, 4, 2), 50000),
    ]
    assert average_days_to_pay(invoices, Q1_START, Q1_END) == Decimal(35)
    assert average_days_to_pay(invoices, Q1_START, Q1_END, weighting="amount") == Decimal("37.5")
    assert average_days_to_pay(invoices, date(2025, 6, 1), date(2025, 6, 30)) is None


def test_average_days_to_pay_counts_both_period_ends():
    # Paid on the first and the last day of the period (10 and 20 days) count; the days just
    # outside (Dec 31, Apr 1) do not: (10 + 20) / 2 = 15.
    invoices = [
        (date(2024, 12, 22), Q1_START, 1),
        (date(2025, 3, 11), Q1_END, 1),
        (date(2024, 12, 1), date(2024, 12, 31), 1),
        (date(2025, 3, 1), date(2025, 4, 1), 1),
    ]
    assert average_days_to_pay(invoices, Q1_START, Q1_END) == Decimal(15)


def test_fully_paid_on_is_the_allocation_that_completes_the_invoice():
    allocations = [(date(2025, 2, 19), 10000), (date(2025, 1, 20), 15000), (date(2025, 3, 1), 5000)]
    assert fully_paid_on(30000, allocations) == date(2025, 3, 1)
    assert fully_paid_on(25000, allocations) == date(2025, 2, 19)
    assert fully_paid_on(30001, allocations) is None


def test_decimal_amounts_work_like_minor_units():
    assert dso(Decimal("2120.00"), Decimal("2500.00"), Q1_START, Q1_END) == Decimal("76.32")
    assert (
        shown(
            dso_countback(Decimal("2120.00"), [(d, Decimal(a) / 100) for d, a in Q1_SALES], Q1_END)
        )
        == "73.17"
    )


# --- countback details -------------------------------------------------------------------------


def test_countback_leap_february_and_missing_months():
    # 2024 is leap: Feb has 29 days. Mar 100 (31 d), Feb missing = no sales (29 d), Jan 50:
    # E 125 -> 31 + 29 + 25/50 x 31 = 75.5 days.
    sales = [(date(2024, 1, 15), 50), (date(2024, 3, 31), 100)]
    assert dso_countback(125, sales, date(2024, 3, 31)) == Decimal("75.5")


def test_countback_within_the_last_month_and_mid_month_period_end():
    small = [(date(2025, 1, 1), 70), (date(2025, 2, 1), 80), (date(2025, 3, 1), 100)]
    # E below the last month's sales: 50 / 100 x 31 = 15.5.
    assert dso_countback(50, small, Q1_END) == Decimal("15.5")
    # A period ending Mar 15 counts 15 days for March (sales to the 15th, here 100): E = 150
    # covers March (15 days), then Feb 80 runs out with 50 left: 50/80 x 28 = 17.5 -> 32.5.
    assert dso_countback(150, small, date(2025, 3, 15)) == Decimal("32.5")


def test_countback_undefined_cases():
    assert dso_countback(300000, Q1_SALES, Q1_END) is None  # more AR than the history covers
    assert dso_countback(100, [(date(2025, 3, 1), 0)], Q1_END) is None  # no sales
    assert dso_countback(-5, Q1_SALES, Q1_END) is None
    assert dso_countback(0, Q1_SALES, Q1_END) == 0


def test_monthly_sales_input_errors():
    with pytest.raises(ValueError, match="twice"):
        dso_countback(100, [(date(2025, 3, 1), 1), (date(2025, 3, 9), 2)], Q1_END)
    with pytest.raises(ValueError, match="after the period end"):
        dso_recent(100, [(date(2025, 4, 1), 1)], Q1_END)
    with pytest.raises(ValueError, match="months"):
        dso_recent(100, Q1_SALES, Q1_END, months=0)
    with pytest.raises(ValueError, match="months"):
        cei_monthly(1, 1, 1, 1, 0)
    with pytest.raises(ValueError, match="before it starts"):
        dso(1, 1, Q1_END, Q1_START)
    with pytest.raises(ValueError, match="weighting"):
        average_days_to_pay([], Q1_START, Q1_END, weighting="count")
    with pytest.raises(TypeError, match="float"):
        dso(1.5, 100, Q1_START, Q1_END)


# --- undefined means None ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: dso(100, 0, Q1_START, Q1_END),
        lambda: dso(100, -5, Q1_START, Q1_END),
        lambda: dso_recent(100, [], Q1_END),
        lambda: best_possible_dso(100, 0, Q1_START, Q1_END),
        lambda: average_days_delinquent(100, 50, 0, Q1_START, Q1_END),
        lambda: weighted_days_past_due([(100, 0), (-5, 10)]),
        lambda: cei(100, 0, 50, 20),
        lambda: cei(0, 100, 300, 200),  # B + S - Ec = -100
        lambda: cei(0, 100, 300, 100),  # B + S - Ec = 0
        lambda: percent_current(0, 0),
        lambda: percent_91_plus(5, -10),
        lambda: ar_turnover(0, 100, 100),
        lambda: ar_turnover(100, 0, 0),
        lambda: average_days_to_pay([], Q1_START, Q1_END, weighting="amount"),
    ],
)
def test_undefined_metrics_are_none(call):
    assert call() is None


def test_round_metric_is_half_up():
    assert round_metric(Decimal("0.125")) == Decimal("0.13")  # half-even would give 0.12
    assert round_metric(Decimal("2.5"), 0) == Decimal(3)
    assert round_metric(None) is None


# --- properties --------------------------------------------------------------------------------

amounts = st.integers(0, 10**12)


@given(e=amounts, ec=amounts, s=st.integers(1, 10**12), days=st.integers(1, 366))
def test_add_is_dso_minus_bpdso(e, ec, s, days):
    start = date(2025, 1, 1)
    end = date.fromordinal(start.toordinal() + days - 1)
    add = average_days_delinquent(e, ec, s, start, end)
    exact = Fraction(e - ec, s) * days  # = DSO - BPDSO
    assert abs(Fraction(add) - exact) <= Fraction(1, 10**20) * max(1, abs(exact))
    assert (add >= 0) == (e >= ec)


@given(
    sales=st.lists(st.integers(0, 10**9), min_size=1, max_size=24),
    share=st.fractions(min_value=0, max_value=1),
    year=st.integers(2000, 2090),
    month=st.integers(1, 12),
)
def test_countback_stays_within_the_months_walked(sales, share, year, month):
    period_end = date(year, month, calendar.monthrange(year, month)[1])
    monthly = []
    y, m = year, month
    for amount in sales:  # newest first
        monthly.append((date(y, m, 1), amount))
        y, m = (y, m - 1) if m > 1 else (y - 1, 12)
    total = sum(sales)
    end_ar = total * share.numerator // share.denominator
    result = dso_countback(end_ar, monthly, period_end)
    if total == 0:
        assert result is None
        return
    walked_days = (period_end - date(y, m, calendar.monthrange(y, m)[1])).days
    assert 0 <= result <= walked_days
    assert (result == 0) == (end_ar == 0)
    # more AR never means fewer days
    if end_ar < total:
        assert dso_countback(end_ar + 1, monthly, period_end) >= result

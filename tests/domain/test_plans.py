"""Payment plans: schedule math (hand-worked vectors + properties) and receipt tracking."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from collectctl.domain.plan_tracking import match_payments, plan_state
from collectctl.domain.plans import (
    BROKEN,
    PERIODS_PER_YEAR,
    Installment,
    PlanError,
    add_months,
    propose,
)
from collectctl.money import MoneyError


def totals(schedule) -> list[int]:
    return [line.total for line in schedule.lines]


# --- hand-worked schedules ---------------------------------------------------------------------


def test_split_without_interest_puts_the_remainder_last():
    # 1,000.00 / 3: base = 100000 // 3 = 33333, remainder 1 -> 333.33, 333.33, 333.34.
    schedule = propose(100000, "USD", installments=3, start=date(2026, 1, 15))
    assert totals(schedule) == [33333, 33333, 33334]
    assert [line.remaining for line in schedule.lines] == [66667, 33334, 0]
    assert schedule.interest_method == "none"
    assert schedule.to_dict()["lines"][2]["total"] == "333.34"


@pytest.mark.parametrize(
    ("currency", "balance", "expected", "shown"),
    [
        # JPY has no minor unit: 10,000 yen / 3 -> 3,333 + 3,333 + 3,334.
        ("JPY", 10000, [3333, 3333, 3334], "3334"),
        # BHD has three decimals: 1.000 / 3 -> 0.333, 0.333, 0.334.
        ("BHD", 1000, [333, 333, 334], "0.334"),
    ],
)
def test_split_in_other_minor_units(currency, balance, expected, shown):
    schedule = propose(balance, currency, installments=3, start=date(2026, 1, 1))
    assert totals(schedule) == expected
    assert schedule.to_dict()["lines"][-1]["total"] == shown


def test_simple_interest_vector():
    # 1,200.00 at 12 % flat for 6 monthly installments: I = 1200 x 0.12 x 6 / 12 = 72.00;
    # 1,272.00 / 6 = 212.00 each, of which 72.00 / 6 = 12.00 interest and 200.00 principal.
    schedule = propose(
        120000, "USD", installments=6, start=date(2026, 1, 1), rate=Decimal("12"), interest="simple"
    )
    assert totals(schedule) == [21200] * 6
    assert [line.interest for line in schedule.lines] == [1200] * 6
    assert [line.principal for line in schedule.lines] == [20000] * 6
    assert (schedule.interest, schedule.total) == (7200, 127200)


@pytest.mark.parametrize(
    ("balance", "currency", "rate", "lines"),
    [
        # 1,000.00 at 10 % flat over 3 months: I = 1000 x 0.10 x 3 / 12 = 25.00; 1,025.00 / 3
        # -> 341.66, 341.66, 341.68. Interest is each line's pro-rata share, cumulative and
        # rounded down: 25.00 x 341.66 / 1025 = 8.333.. -> 8.33; x 683.32 / 1025 = 16.666.. ->
        # 16.66; then 25.00: 8.33, 8.33, 8.34, leaving principal 333.33, 333.33, 333.34.
        (100000, "USD", 10, [(34166, 833, 33333), (34166, 833, 33333), (34168, 834, 33334)]),
        # JPY 1,001 at 50 % flat over 3 months: I = 1001 x 0.5 x 3 / 12 = 125.125 -> 125; the
        # installments split 1,126 like any amount (375, 375, 376: the remainder on the last);
        # the interest 41, 83 - 41, 125 - 83.
        (1001, "JPY", 50, [(375, 41, 334), (375, 42, 333), (376, 42, 334)]),
    ],
)
def test_simple_interest_with_a_remainder(balance, currency, rate, lines):
    schedule = propose(
        balance, currency, installments=3, start=date(2026, 1, 1), rate=Decimal(rate),
        interest="simple",
    )  # fmt: skip
    assert [(ln.total, ln.interest, ln.principal) for ln in schedule.lines] == lines


def test_amortized_interest_vector():
    # 1,200.00 at 12 % APR monthly -> i = 1 %;
    # A = 1200 x 0.01 / (1 - 1.01^-6) = 207.0580... -> 207.06.
    # Period 1: interest 1200.00 x 1 % = 12.00, principal 195.06, balance 1004.94;
    # period 2: 10.05 / 197.01 / 807.93; 3: 8.08 / 198.98 / 608.95; 4: 6.09 / 200.97 / 407.98;
    # 5: 4.08 / 202.98 / 205.00; 6 (last): 205.00 + 2.05 = 207.05. Interest 42.35, total 1,242.35.
    schedule = propose(120000, "USD", installments=6, start=date(2026, 1, 1), rate=Decimal("12"))
    assert schedule.interest_method == "amortized"
    assert totals(schedule) == [20706] * 5 + [20705]
    assert [line.interest for line in schedule.lines] == [1200, 1005, 808, 609, 408, 205]
    assert [line.remaining for line in schedule.lines] == [100494, 80793, 60895, 40798, 20500, 0]
    assert (schedule.interest, schedule.total) == (4235, 124235)


def test_month_end_dates_clamp_from_the_anchor():
    schedule = propose(400000, "USD", installments=5, start=date(2026, 1, 31))
    assert [line.due for line in schedule.lines] == [
        date(2026, 1, 31),
        date(2026, 2, 28),
        date(2026, 3, 31),  # not the 28th: computed from the anchor, not the previous date
        date(2026, 4, 30),
        date(2026, 5, 31),
    ]
    leap = propose(200000, "USD", installments=2, start=date(2024, 1, 31))
    assert [line.due for line in leap.lines] == [date(2024, 1, 31), date(2024, 2, 29)]


@pytest.mark.parametrize(("every", "step"), [("week", 7), ("2weeks", 14)])
def test_weekly_dates(every, step):
    start = date(2026, 12, 24)
    schedule = propose(40000, "EUR", installments=4, every=every, start=start)
    assert [line.due for line in schedule.lines] == [
        start + timedelta(days=step * k) for k in range(4)
    ]


def test_down_payment_is_installment_zero_and_installments_start_a_period_later():
    schedule = propose(
        100000, "USD", installments=3, every="2weeks", start=date(2026, 3, 2), down_minor=10000
    )
    assert [(line.number, line.due, line.total) for line in schedule.lines] == [
        (0, date(2026, 3, 2), 10000),
        (1, date(2026, 3, 16), 30000),
        (2, date(2026, 3, 30), 30000),
        (3, date(2026, 4, 13), 30000),
    ]
    assert schedule.lines[0].remaining == 90000
    assert schedule.installments == 3


def test_fee_goes_on_the_first_installment_and_bears_no_interest():
    schedule = propose(
        120000,
        "USD",
        installments=6,
        start=date(2026, 1, 1),
        down_minor=0,
        rate=Decimal("12"),
        fee_minor=2500,
    )
    assert [line.fee for line in schedule.lines] == [2500, 0, 0, 0, 0, 0]
    assert schedule.lines[0].total == 20706 + 2500
    assert schedule.total == 124235 + 2500
    with_down = propose(
        100000, "USD", installments=2, start=date(2026, 1, 1), down_minor=1, fee_minor=7
    )
    assert [line.fee for line in with_down.lines] == [0, 7, 0]


def test_amount_per_installment_makes_the_last_one_smaller():
    # 1,000.00 at 300.00 each: 300 + 300 + 300 + 100.
    schedule = propose(100000, "USD", amount_per=30000, start=date(2026, 1, 1))
    assert totals(schedule) == [30000, 30000, 30000, 10000]
    exact = propose(90000, "USD", amount_per=30000, start=date(2026, 1, 1))
    assert totals(exact) == [30000, 30000, 30000]


def test_amount_per_installment_with_interest():
    # Amortized 1,200.00 at 1 %/month paying 300.00: interest 12.00, 9.12, 6.21, 3.27 on the
    # falling balance; after four payments 30.60 is left, the fifth pays it plus 0.31 interest.
    amortized = propose(120000, "USD", amount_per=30000, start=date(2026, 1, 1), rate=Decimal(12))
    assert totals(amortized) == [30000] * 4 + [3091]
    assert [line.interest for line in amortized.lines] == [1200, 912, 621, 327, 31]
    # Simple: n = 4 needs 1,200 + 48 = 1,248 > 4 x 300; n = 5 needs 1,260 <= 1,500.
    simple = propose(
        120000, "USD", amount_per=30000, start=date(2026, 1, 1), rate=Decimal(12), interest="simple"
    )
    assert totals(simple) == [30000] * 4 + [6000]
    assert simple.interest == 6000


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"installments": 0}, "at least 1"),
        ({"installments": -2}, "at least 1"),
        ({"installments": 101}, "installments of 0"),
        ({"installments": 2, "down_minor": 100}, "less than the balance"),
        ({"installments": 2, "down_minor": 150}, "less than the balance"),
        ({"installments": 2, "down_minor": -1}, "negative"),
        ({"installments": 2, "rate": Decimal("-1")}, "cannot be negative"),
        ({"installments": 2, "rate": 12.0}, "Decimal"),
        ({"installments": 2, "rate": Decimal("NaN")}, "must be a number"),
        ({"amount_per": 0}, "must be positive"),
        ({"amount_per": -5}, "must be positive"),
        ({"installments": 2, "every": "day"}, "unknown period"),
        ({"installments": 2, "interest": "compound"}, "unknown interest"),
        ({"installments": 2, "amount_per": 50}, "either"),
        ({}, "either"),
        ({"installments": 2, "fee_minor": -1}, "fee"),
        ({"amount_per": 1, "rate": Decimal("100")}, "does not cover"),
        ({"amount_per": 1, "rate": Decimal("200"), "interest": "simple"}, "does not cover"),
    ],
)
def test_refused_terms(kwargs, message):
    with pytest.raises(PlanError, match=message):
        propose(100, "USD", start=date(2026, 1, 1), **kwargs)


def test_amortized_refuses_installments_of_a_few_minor_units():
    # 0.28 over 11 weeks at a tiny rate: A = round(28 / 11 + a little) = 3 minor units, so nine
    # payments of 0.03 would repay 0.27 and leave the last two with nothing to pay.
    with pytest.raises(PlanError, match="too small"):
        propose(
            28, "USD", installments=11, every="week", start=date(2026, 1, 1), rate=Decimal("0.001")
        )
    # without interest the plain split works: 10 x 0.02 + 0.08
    plain = propose(28, "USD", installments=11, every="week", start=date(2026, 1, 1))
    assert totals(plain) == [2] * 10 + [8]


def test_refused_balance_and_currency():
    with pytest.raises(PlanError, match="positive"):
        propose(0, "USD", installments=1, start=date(2026, 1, 1))
    with pytest.raises(MoneyError):
        propose(100, "XAU", installments=1, start=date(2026, 1, 1))
    with pytest.raises(PlanError, match="at most"):
        propose(10**6, "USD", amount_per=1, start=date(2026, 1, 1))


# --- properties --------------------------------------------------------------------------------

currencies = st.sampled_from(["USD", "JPY", "BHD", "EUR", "KWD"])
rates = st.one_of(st.just(Decimal(0)), st.decimals(min_value=0, max_value=60, places=3))


@st.composite
def start_dates(draw) -> date:
    """Any date, with month ends (29-31) heavily represented."""
    if draw(st.booleans()):
        return draw(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)))
    year = draw(st.integers(2000, 2090))
    month = draw(st.integers(1, 12))
    day = draw(st.integers(28, calendar.monthrange(year, month)[1]))
    return date(year, month, day)


@st.composite
def plan_terms(draw) -> dict:
    installments = draw(st.integers(1, 60))
    principal = draw(st.integers(installments, 10**10))
    down = draw(st.one_of(st.just(0), st.integers(1, 10**8)))
    return {
        "balance_minor": principal + down,
        "currency": draw(currencies),
        "installments": installments,
        "every": draw(st.sampled_from(list(PERIODS_PER_YEAR))),
        "start": draw(start_dates()),
        "down_minor": down,
        "rate": draw(st.one_of(st.none(), rates)),
        "interest": draw(st.sampled_from(["amortized", "simple"])),
        "fee_minor": draw(st.one_of(st.just(0), st.integers(1, 10**6))),
    }


def propose_or_reject(**terms):
    """propose(), rejecting the example when the terms are refused for being too small/large."""
    try:
        return propose(**terms)
    except PlanError as exc:
        if not any(text in str(exc) for text in ("too small", "does not cover", "at most")):
            raise
        reject()


def check_invariants(schedule, terms) -> None:
    lines = schedule.lines
    assert sum(line.principal for line in lines) == terms["balance_minor"]
    assert sum(line.fee for line in lines) == terms["fee_minor"]
    assert schedule.total == terms["balance_minor"] + schedule.interest + terms["fee_minor"]
    for line in lines:
        for amount in (line.principal, line.interest, line.fee, line.total, line.remaining):
            assert type(amount) is int
            assert amount >= 0
        assert line.total == line.principal + line.interest + line.fee
    assert all(a.due < b.due for a, b in itertools.pairwise(lines))
    assert [line.number for line in lines] == list(
        range(0 if terms["down_minor"] else 1, len(lines) + (0 if terms["down_minor"] else 1))
    )
    assert lines[-1].remaining == 0
    remaining = terms["balance_minor"] - terms["down_minor"]
    for line in lines:
        if line.number > 0:
            remaining -= line.principal
        assert line.remaining == remaining


@given(plan_terms())
def test_schedule_invariants(terms):
    schedule = propose_or_reject(**terms)
    check_invariants(schedule, terms)
    assert schedule.installments == terms["installments"]


@given(plan_terms())
def test_equal_installments_except_the_last(terms):
    schedule = propose_or_reject(**terms)
    regular = [line.total - line.fee for line in schedule.lines if line.number > 0]
    assert len(set(regular[:-1])) <= 1
    if schedule.interest_method != "amortized":
        # split rule: the last is base + remainder, remainder < n
        assert 0 <= regular[-1] - regular[0] < len(regular)


@given(plan_terms())
def test_month_steps_never_drift(terms):
    terms["every"] = "month"
    schedule = propose_or_reject(**terms)
    start = terms["start"]
    offset = 1 if terms["down_minor"] else 0
    for line in schedule.lines:
        k = line.number - 1 + offset if line.number > 0 else 0
        year, month0 = divmod(start.year * 12 + start.month - 1 + k, 12)
        assert (line.due.year, line.due.month) == (year, month0 + 1)
        month_length = calendar.monthrange(line.due.year, line.due.month)[1]
        assert line.due.day == min(start.day, month_length)


@given(plan_terms())
def test_rate_zero_is_the_plain_split(terms):
    terms["rate"] = Decimal(0)
    schedule = propose_or_reject(**terms)
    n = terms["installments"]
    principal = terms["balance_minor"] - terms["down_minor"]
    base, remainder = divmod(principal, n)
    regular = [line.principal for line in schedule.lines if line.number > 0]
    assert regular == [base] * (n - 1) + [base + remainder]
    assert schedule.interest == 0


@given(plan_terms())
def test_simple_interest_is_rounded_once(terms):
    terms["rate"] = terms["rate"] or Decimal("7.5")
    terms["interest"] = "simple"
    schedule = propose_or_reject(**terms)
    principal = terms["balance_minor"] - terms["down_minor"]
    exact = Fraction(principal) * Fraction(terms["rate"]) * terms["installments"]
    exact /= 100 * PERIODS_PER_YEAR[terms["every"]]
    assert schedule.interest == (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)


@given(plan_terms())
def test_amortized_interest_is_on_the_running_balance(terms):
    terms["rate"] = terms["rate"] or Decimal("9.9")
    terms["interest"] = "amortized"
    schedule = propose_or_reject(**terms)
    i = Fraction(terms["rate"]) / 100 / PERIODS_PER_YEAR[terms["every"]]
    balance = terms["balance_minor"] - terms["down_minor"]
    for line in schedule.lines:
        if line.number == 0:
            continue
        exact = balance * i
        assert line.interest == (2 * exact.numerator + exact.denominator) // (2 * exact.denominator)
        balance -= line.principal


@given(
    principal=st.integers(1, 10**9),
    per=st.integers(1, 10**9),
    rate=st.one_of(st.none(), rates),
    interest=st.sampled_from(["amortized", "simple"]),
    start=start_dates(),
)
def test_amount_per_installment_properties(principal, per, rate, interest, start):
    schedule = propose_or_reject(
        balance_minor=principal,
        currency="USD",
        amount_per=per,
        start=start,
        rate=rate,
        interest=interest,
    )
    terms = {"balance_minor": principal, "down_minor": 0, "fee_minor": 0}
    check_invariants(schedule, terms)
    amounts = totals(schedule)
    assert all(amount == per for amount in amounts[:-1])
    assert 0 < amounts[-1] <= per
    if not rate:
        assert len(amounts) == -(-principal // per)


def test_add_months_examples():
    assert add_months(date(2023, 12, 31), 2) == date(2024, 2, 29)
    assert add_months(date(2024, 3, 30), -1) == date(2024, 2, 29)
    assert add_months(date(2024, 1, 15), 23) == date(2025, 12, 15)


# --- matching receipts -------------------------------------------------------------------------

MAR1, APR1, MAY1 = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


def three_by_100() -> tuple[Installment, ...]:
    """Three monthly installments of 100.00 due Mar 1, Apr 1, May 1 2026."""
    return propose(30000, "USD", installments=3, start=MAR1).lines


def test_overpayment_rolls_forward_and_partial_stays_partial():
    states = match_payments(three_by_100(), [(MAR1, 15000)])
    assert [(s.paid, s.outstanding, s.paid_on) for s in states] == [
        (10000, 0, MAR1),
        (5000, 5000, None),
        (0, 10000, None),
    ]


def test_receipts_apply_in_date_order_to_the_oldest_installment():
    states = match_payments(
        three_by_100(), [(APR1, 10000), (MAR1, 4000), (date(2026, 3, 20), 6000)]
    )
    assert [(s.paid, s.paid_on) for s in states] == [
        (10000, date(2026, 3, 20)),
        (10000, APR1),
        (0, None),
    ]


def test_fee_and_interest_are_paid_before_principal():
    line = Installment(1, MAR1, principal=10000, interest=300, fee=200, total=10500, remaining=0)
    (state,) = match_payments([line], [(MAR1, 400)])
    assert (state.paid_fee, state.paid_interest, state.paid_principal) == (200, 200, 0)
    (state,) = match_payments([line], [(MAR1, 400), (APR1, 150)])
    assert (state.paid_fee, state.paid_interest, state.paid_principal) == (200, 300, 50)


def test_down_payment_is_matched_first():
    lines = propose(30000, "USD", installments=2, start=MAR1, down_minor=10000).lines
    states = match_payments(lines, [(MAR1, 12000)])
    assert [(s.number, s.paid) for s in states] == [(0, 10000), (1, 2000), (2, 0)]


def test_bad_payment_amounts_are_refused():
    with pytest.raises(PlanError, match="positive"):
        match_payments(three_by_100(), [(MAR1, 0)])


# --- plan state and boundaries ----------------------------------------------------------------


def state_on(as_of, payments=(), **kwargs):
    return plan_state(three_by_100(), list(payments), as_of, **kwargs)


def test_payment_on_the_due_date_keeps_the_plan_active():
    status = state_on(MAR1, [(MAR1, 10000)])
    assert status.state == "active"
    assert [s.status for s in status.installments] == ["paid", "upcoming", "upcoming"]
    assert status.next_due == APR1


def test_unpaid_installment_is_due_through_the_last_grace_day_then_broken():
    # Grace 5, due on Mar 1: good standing through Mar 6, broken on Mar 7.
    on_due = state_on(MAR1)
    assert (on_due.state, on_due.installments[0].status) == ("active", "due")
    last_grace_day = state_on(date(2026, 3, 6))
    assert (last_grace_day.state, last_grace_day.installments[0].status) == ("active", "due")
    assert last_grace_day.installments[0].days_past_due == 5
    day_after = state_on(date(2026, 3, 7))
    assert (day_after.state, day_after.installments[0].status) == (BROKEN, "late")
    assert day_after.broken_on == date(2026, 3, 7)
    assert "installment 1" in day_after.reason
    assert day_after.past_due == 10000


def test_payment_on_the_last_grace_day_is_in_time():
    status = state_on(date(2026, 3, 20), [(date(2026, 3, 6), 10000)])
    assert status.state == "active"
    assert status.broken_on is None


def test_payment_the_day_after_grace_does_not_repair_the_plan():
    status = state_on(date(2026, 3, 20), [(date(2026, 3, 7), 10000)])
    assert status.state == BROKEN
    assert status.broken_on == date(2026, 3, 7)
    assert status.installments[0].status == "paid"


def test_grace_days_are_configurable():
    assert state_on(date(2026, 3, 7), grace_days=6).state == "active"
    assert state_on(date(2026, 3, 2), grace_days=0).state == BROKEN


def test_only_payments_up_to_as_of_count():
    status = state_on(date(2026, 3, 5), [(date(2026, 3, 6), 10000)])
    assert status.paid == 0
    assert status.installments[0].status == "due"


def test_partial_payment():
    status = state_on(date(2026, 3, 3), [(MAR1, 4000)])
    assert status.installments[0].status == "partial"
    assert (status.paid, status.outstanding) == (4000, 26000)
    assert status.state == "active"
    assert state_on(date(2026, 3, 7), [(MAR1, 4000)]).state == BROKEN


def test_overpayment_makes_the_next_installment_partial_before_it_is_due():
    status = state_on(MAR1, [(MAR1, 15000)])
    assert [s.status for s in status.installments] == ["paid", "partial", "upcoming"]


def test_completed_and_excess():
    status = state_on(date(2026, 3, 15), [(MAR1, 10000), (date(2026, 3, 15), 25000)])
    assert status.state == "completed"
    assert (status.paid, status.outstanding, status.excess) == (30000, 0, 5000)
    assert status.next_due is None


def test_cancelled_flag_wins():
    assert state_on(date(2026, 3, 20), cancelled=True).state == "cancelled"


def test_max_missed_installments():
    # Grace 40 so the grace rule (Mar 1 + 40 = Apr 10) is not what breaks it.
    assert state_on(APR1, grace_days=40).state == "active"  # one past due
    two_missed = state_on(date(2026, 4, 2), grace_days=40)  # Mar 1 and Apr 1 both past due
    assert two_missed.state == BROKEN
    assert two_missed.broken_on == date(2026, 4, 2)
    assert "2 installments" in two_missed.reason
    allowed = state_on(date(2026, 4, 2), grace_days=40, max_missed=2)
    assert allowed.state == "active"
    assert state_on(date(2026, 4, 11), grace_days=40, max_missed=2).state == BROKEN
    # paying the first before the second falls due keeps the count at one
    paid_first = state_on(date(2026, 4, 2), [(date(2026, 3, 31), 10000)], grace_days=40)
    assert paid_first.state == "active"


def test_bad_tracking_terms():
    with pytest.raises(PlanError):
        state_on(MAR1, grace_days=-1)
    with pytest.raises(PlanError):
        state_on(MAR1, max_missed=-1)


@given(
    terms=plan_terms(),
    payments=st.lists(st.tuples(st.integers(0, 800), st.integers(1, 10**9)), max_size=12),
)
def test_matching_properties(terms, payments):
    schedule = propose_or_reject(**terms)
    receipts = [(terms["start"] + timedelta(days=offset), amount) for offset, amount in payments]
    as_of = terms["start"] + timedelta(days=900)
    status = plan_state(schedule.lines, receipts, as_of)
    received = sum(amount for _, amount in receipts)
    assert status.paid + status.excess == received
    assert status.paid + status.outstanding == schedule.total
    seen_unpaid = False
    for state, line in zip(status.installments, schedule.lines, strict=True):
        assert state.paid_fee <= line.fee
        assert state.paid_interest <= line.interest
        assert state.paid_principal <= line.principal
        if state.paid_principal:
            assert state.paid_fee == line.fee
            assert state.paid_interest == line.interest
        if seen_unpaid:
            assert state.paid == 0  # oldest first: nothing after the first not fully paid
        if state.outstanding:
            seen_unpaid = True
    if status.excess:
        assert status.state == "completed"


def test_a_schedule_past_the_year_9999_is_a_plan_error():
    with pytest.raises(PlanError, match="runs past the year 9999"):
        propose(30000, "USD", installments=3, every="month", start=date(9999, 11, 30))

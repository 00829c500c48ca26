"""Statutory interest and compensation against cases worked by hand (the working is in each
test), plus the guards: consumers get no B2B interest, a missing or unverified rate is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from collectctl.domain.interest import RateError, RateRow, RateTable, choose_regime, interest
from collectctl.letters.rates import load_rates

VERIFIED = date(2026, 11, 30)
RATES = RateTable(
    [
        RateRow("uk", "2025-H2", Decimal("4.25"), "BoE Bank Rate 30 Jun 2025", VERIFIED),
        RateRow("uk", "2026-H1", Decimal("3.75"), "BoE Bank Rate 31 Dec 2025", VERIFIED),
        RateRow("eu", "2025-H1", Decimal("3.15"), "ECB MRO 1 Jan 2025", VERIFIED),
        RateRow("eu", "2025-H2", Decimal("2.15"), "ECB MRO 1 Jul 2025", VERIFIED),
    ]
)


def test_uk_gov_uk_example_45_days_late():
    # £5,000 due 1 Sep 2025; interest starts 2 Sep 2025 (H2) -> 4.25 % + 8 = 12.25 %.
    # As at 16 Oct 2025: 45 days. 5,000 × 0.1225 ÷ 365 × 45 = 75.5136... -> £75.51.
    # Compensation: a £5,000 debt is in the £1,000–£9,999.99 band -> £70.
    got = interest(
        "uk",
        currency="GBP",
        amount=500000,
        due=date(2025, 9, 1),
        allocations=[],
        as_of=date(2025, 10, 16),
        rates=RATES,
    )
    assert got is not None
    assert got.days == 45
    assert got.total == 7551
    assert got.compensation == 7000
    assert got.law == "Late Payment of Commercial Debts (Interest) Act 1998"
    assert got.segments[0].rate == Decimal("12.25")


def test_uk_part_payment_changes_the_balance_from_its_date():
    # £5,000 due 1 Sep 2025, £2,000 paid 21 Sep 2025, as at 16 Oct 2025, rate 12.25 %.
    # 2 Sep–21 Sep: 20 days on 5,000: 5,000 × 0.1225 ÷ 365 × 20 = 33.5616438
    # 22 Sep–16 Oct: 25 days on 3,000: 3,000 × 0.1225 ÷ 365 × 25 = 25.1712329
    # total 58.7328767 -> £58.73 (rounded once, at the end)
    got = interest(
        "uk",
        currency="GBP",
        amount=500000,
        due=date(2025, 9, 1),
        allocations=[(date(2025, 9, 21), 200000)],
        as_of=date(2025, 10, 16),
        rates=RATES,
    )
    assert got is not None
    assert [(s.days, s.balance) for s in got.segments] == [(20, 500000), (25, 300000)]
    assert got.total == 5873
    # a payment before the due date lowers the debt before interest starts: 4,000 × 12.25 % × 45
    # ÷ 365 = 60.4109589 -> £60.41, and the debt (4,000) is still in the £70 band.
    early = interest(
        "uk",
        currency="GBP",
        amount=500000,
        due=date(2025, 9, 1),
        allocations=[(date(2025, 8, 20), 100000)],
        as_of=date(2025, 10, 16),
        rates=RATES,
    )
    assert early is not None
    assert early.total == 6041


def test_uk_rate_is_fixed_for_the_life_of_the_debt():
    # Due 15 Dec 2025 (starts in H2 2025: 12.25 %), as at 14 Jan 2026: 30 days, no split at the
    # H1 2026 rate. 1,000 × 0.1225 ÷ 365 × 30 = 10.0684931 -> £10.07; compensation £70 (1,000 band).
    got = interest(
        "uk",
        currency="GBP",
        amount=100000,
        due=date(2025, 12, 15),
        allocations=[],
        as_of=date(2026, 1, 14),
        rates=RATES,
    )
    assert got is not None
    assert len(got.segments) == 1
    assert got.total == 1007
    assert got.compensation == 7000


def test_eu_spanning_a_rate_change():
    # €10,000 due 15 Jun 2025, as at 15 Jul 2025.
    # 16 Jun–30 Jun 2025: 15 days at 3.15 + 8 = 11.15 %: 10,000 × 0.1115 ÷ 365 × 15 = 45.8219178
    # 1 Jul–15 Jul 2025: 15 days at 2.15 + 8 = 10.15 %: 10,000 × 0.1015 ÷ 365 × 15 = 41.7123288
    # total 87.5342466 -> €87.53; compensation €40.
    got = interest(
        "eu",
        currency="EUR",
        amount=1000000,
        due=date(2025, 6, 15),
        allocations=[],
        as_of=date(2025, 7, 15),
        rates=RATES,
    )
    assert got is not None
    assert [(s.start, s.end, s.days, s.rate) for s in got.segments] == [
        (date(2025, 6, 16), date(2025, 6, 30), 15, Decimal("11.15")),
        (date(2025, 7, 1), date(2025, 7, 15), 15, Decimal("10.15")),
    ]
    assert got.total == 8753
    assert got.compensation == 4000


def test_contract_rate_and_compensation_only_in_the_laws_currency():
    # 8 % a year on USD 1,000 for 73 days: 1,000 × 0.08 ÷ 365 × 73 = 16.00
    got = interest(
        "contract",
        currency="USD",
        amount=100000,
        due=date(2026, 1, 1),
        allocations=[],
        as_of=date(2026, 3, 15),
        contract_rate=Decimal(8),
    )
    assert got is not None
    assert got.total == 1600
    assert got.compensation is None
    usd_uk = interest(
        "uk",
        currency="USD",
        amount=100000,
        due=date(2025, 9, 1),
        allocations=[],
        as_of=date(2025, 10, 16),
        rates=RATES,
    )
    assert usd_uk is not None
    assert usd_uk.compensation is None
    assert "exchange rate" in usd_uk.warnings[0]


def test_consumers_never_get_b2b_interest():
    assert choose_regime("uk", None, kind="consumer", contract_rate=None) == "none"
    assert choose_regime("eu", "eu", kind="consumer", contract_rate=None) == "none"
    assert choose_regime("uk", "eu", kind="business", contract_rate=None) == "eu"
    assert choose_regime("none", None, kind="business", contract_rate=None) == "none"


def test_a_period_with_no_row_or_no_verification_is_refused():
    with pytest.raises(RateError, match="no UK reference rate for 2024-H1"):
        interest(
            "uk",
            currency="GBP",
            amount=100,
            due=date(2024, 2, 1),
            allocations=[],
            as_of=date(2024, 3, 1),
            rates=RATES,
        )
    shipped = load_rates(None)
    with pytest.raises(RateError, match="no EU reference rate for 2026-H2"):
        shipped.rate("eu", "2026-H2")


def test_an_unverified_row_is_refused_naming_the_period(tmp_path: Path):
    (tmp_path / "rates.toml").write_text(
        '[[rate]]\nregime = "uk"\nperiod = "2025-H2"\nrate = "4.25"\nsource = "a guess"\n'
    )
    with pytest.raises(
        RateError, match=r"UK reference rate for 2025-H2 \(4.25 %\) is not verified"
    ):
        interest(
            "uk",
            currency="GBP",
            amount=100,
            due=date(2025, 9, 1),
            allocations=[],
            as_of=date(2025, 10, 1),
            rates=load_rates(tmp_path),
        )


def test_every_shipped_uk_row_is_verified_and_follows_bank_rate():
    """The shipped UK periods 2024-H1 .. 2026-H2 are verified: Bank Rate on 31 Dec / 30 Jun."""
    shipped = load_rates(None)
    expected = {
        "2024-H1": "5.25",
        "2024-H2": "5.25",
        "2025-H1": "4.75",
        "2025-H2": "4.25",
        "2026-H1": "3.75",
        "2026-H2": "3.75",
    }
    for period, rate in expected.items():
        row = shipped.rate("uk", period)
        assert (row.rate, row.verified_on is not None) == (Decimal(rate), True), period


def test_a_profile_rates_file_overrides_the_shipped_rows(tmp_path: Path):
    (tmp_path / "rates.toml").write_text(
        '[[rate]]\nregime = "uk"\nperiod = "2025-H2"\nrate = "4.25"\n'
        'source = "BoE series, checked"\nverified_on = 2026-12-01\n'
    )
    row = load_rates(tmp_path).rate("uk", "2025-H2")
    assert (row.rate, row.verified_on) == (Decimal("4.25"), date(2026, 12, 1))


def test_nothing_before_or_on_the_due_date_and_nothing_on_a_paid_invoice():
    assert (
        interest(
            "uk",
            currency="GBP",
            amount=100,
            due=date(2025, 9, 1),
            allocations=[],
            as_of=date(2025, 9, 1),
            rates=RATES,
        )
        is None
    )
    assert (
        interest(
            "uk",
            currency="GBP",
            amount=100,
            due=date(2025, 9, 1),
            allocations=[(date(2025, 8, 1), 100)],
            as_of=date(2025, 9, 30),
            rates=RATES,
        )
        is None
    )

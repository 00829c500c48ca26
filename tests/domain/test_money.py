"""Money: ISO 4217 minor units, exact parse/format round trips, minor-unit sums (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectctl.money import (
    MoneyError,
    exponent,
    format_minor,
    formatter,
    from_minor,
    parse_amount,
    parse_decimal,
    to_minor,
)

CURRENCIES = st.sampled_from(["USD", "EUR", "JPY", "BHD", "GBP", "KWD", "CLF"])
UNITS = st.integers(-(10**15), 10**15)


def test_exponents():
    assert (exponent("JPY"), exponent("USD"), exponent("BHD")) == (0, 2, 3)
    with pytest.raises(MoneyError):
        exponent("XAU")
    with pytest.raises(MoneyError):
        exponent("ABC")


@given(units=UNITS, currency=CURRENCIES)
def test_format_then_parse_is_the_identity(units, currency):
    text = format_minor(units, currency)
    assert text == str(from_minor(units, currency)) == formatter(currency)(units)
    assert parse_amount(text, currency) == units
    assert to_minor(parse_decimal(text), currency) == units


@given(units=st.lists(UNITS, max_size=20), currency=CURRENCIES)
def test_sums_in_minor_units_equal_sums_of_decimals(units, currency):
    as_decimals = sum((from_minor(u, currency) for u in units), Decimal(0))
    assert to_minor(as_decimals, currency) == sum(units)


@given(units=UNITS, currency=CURRENCIES)
def test_one_digit_too_many_is_refused(units, currency):
    text = format_minor(units, currency) + ("1" if exponent(currency) else ".1")
    with pytest.raises(MoneyError):
        parse_amount(text, currency)


@pytest.mark.parametrize(
    "text",
    ["1,000.00", "1e3", "$5", "", "0x10", "1.2.3", "nan", "\u0661\u0662", "\uff15.00", "5.\u0665"],
)
def test_only_plain_decimals_parse(text):
    with pytest.raises(MoneyError):
        parse_decimal(text)

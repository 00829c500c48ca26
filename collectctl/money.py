"""Money: ISO 4217 minor units, parsing, formatting, integer-minor-unit arithmetic.

Amounts are ``decimal.Decimal`` (never float) quantized to the currency's minor units, and stored
in the ledger as integers of minor units. The exponent table is pinned here on purpose
(ISO 4217 list one, published 2024-06-25): locale libraries and payment providers disagree for
some codes and must never be the source of truth.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_ZERO_DECIMAL = frozenset(
    [
        "JPY",
        "KRW",
        "CLP",
        "VND",
        "ISK",
        "PYG",
        "UGX",
        "XAF",
        "XOF",
        "XPF",
        "BIF",
        "DJF",
        "GNF",
        "KMF",
        "RWF",
        "VUV",
        "UYI",
    ]
)
_THREE_DECIMAL = frozenset(["BHD", "KWD", "OMR", "JOD", "TND", "LYD", "IQD"])
_FOUR_DECIMAL = frozenset(["CLF", "UYW"])
#: Codes with no minor unit at all (metals, funds, testing): never valid for an invoice.
NOT_CURRENCIES = frozenset(
    ["XAU", "XAG", "XPD", "XPT", "XDR", "XUA", "XSU", "XBA", "XBB", "XBC", "XBD", "XTS", "XXX"]
)
#: Every active ISO 4217 code (list one). Codes not listed here are rejected.
ISO_CODES = frozenset(
    [
        "AED",
        "AFN",
        "ALL",
        "AMD",
        "ANG",
        "AOA",
        "ARS",
        "AUD",
        "AWG",
        "AZN",
        "BAM",
        "BBD",
        "BDT",
        "BGN",
        "BHD",
        "BIF",
        "BMD",
        "BND",
        "BOB",
        "BOV",
        "BRL",
        "BSD",
        "BTN",
        "BWP",
        "BYN",
        "BZD",
        "CAD",
        "CDF",
        "CHE",
        "CHF",
        "CHW",
        "CLF",
        "CLP",
        "CNY",
        "COP",
        "COU",
        "CRC",
        "CUC",
        "CUP",
        "CVE",
        "CZK",
        "DJF",
        "DKK",
        "DOP",
        "DZD",
        "EGP",
        "ERN",
        "ETB",
        "EUR",
        "FJD",
        "FKP",
        "GBP",
        "GEL",
        "GHS",
        "GIP",
        "GMD",
        "GNF",
        "GTQ",
        "GYD",
        "HKD",
        "HNL",
        "HTG",
        "HUF",
        "IDR",
        "ILS",
        "INR",
        "IQD",
        "IRR",
        "ISK",
        "JMD",
        "JOD",
        "JPY",
        "KES",
        "KGS",
        "KHR",
        "KMF",
        "KPW",
        "KRW",
        "KWD",
        "KYD",
        "KZT",
        "LAK",
        "LBP",
        "LKR",
        "LRD",
        "LSL",
        "LYD",
        "MAD",
        "MDL",
        "MGA",
        "MKD",
        "MMK",
        "MNT",
        "MOP",
        "MRU",
        "MUR",
        "MVR",
        "MWK",
        "MXN",
        "MXV",
        "MYR",
        "MZN",
        "NAD",
        "NGN",
        "NIO",
        "NOK",
        "NPR",
        "NZD",
        "OMR",
        "PAB",
        "PEN",
        "PGK",
        "PHP",
        "PKR",
        "PLN",
        "PYG",
        "QAR",
        "RON",
        "RSD",
        "RUB",
        "RWF",
        "SAR",
        "SBD",
        "SCR",
        "SDG",
        "SEK",
        "SGD",
        "SHP",
        "SLE",
        "SLL",
        "SOS",
        "SRD",
        "SSP",
        "STN",
        "SVC",
        "SYP",
        "SZL",
        "THB",
        "TJS",
        "TMT",
        "TND",
        "TOP",
        "TRY",
        "TTD",
        "TWD",
        "TZS",
        "UAH",
        "UGX",
        "USD",
        "USN",
        "UYI",
        "UYU",
        "UYW",
        "UZS",
        "VED",
        "VES",
        "VND",
        "VUV",
        "WST",
        "XAF",
        "XCD",
        "XCG",
        "XOF",
        "XPF",
        "YER",
        "ZAR",
        "ZMW",
        "ZWG",
        "ZWL",
    ]
)

#: ASCII digits only: ``\d`` would also take other scripts' digits (``١٢٣``, ``１２３``), which
#: Decimal reads as numbers; an amount written so is more likely damage than intent.
_PLAIN_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$", re.ASCII)


class MoneyError(ValueError):
    """An amount or currency code that cannot be used as money."""


def exponent(currency: str) -> int:
    """Number of minor-unit digits of an ISO 4217 code (JPY 0, USD 2, BHD 3).

    Raises :class:`MoneyError` for unknown codes and for codes that are not money (XAU, XXX, ...).
    """
    if currency in _ZERO_DECIMAL:
        return 0
    if currency in _THREE_DECIMAL:
        return 3
    if currency in _FOUR_DECIMAL:
        return 4
    if currency in ISO_CODES:
        return 2
    if currency in NOT_CURRENCIES:
        raise MoneyError(f"{currency} has no minor unit and cannot be an invoice currency")
    raise MoneyError(f"{currency!r} is not an ISO 4217 currency code")


def parse_decimal(text: str) -> Decimal:
    """Parse a plain decimal string (``1234.56``; no separators, symbols or exponents).

    Never goes through float. Raises :class:`MoneyError` on anything else.
    """
    s = text.strip()
    if not _PLAIN_DECIMAL.match(s):
        raise MoneyError(f"{text!r} is not a plain decimal amount (like 1234.56)")
    try:
        return Decimal(s)
    except InvalidOperation as exc:  # pragma: no cover - the regex already guards this
        raise MoneyError(f"{text!r} is not a decimal amount") from exc


def to_minor(amount: Decimal, currency: str) -> int:
    """Convert an exact amount to integer minor units of ``currency``.

    Raises :class:`MoneyError` when the amount is not a whole number of minor units
    (``1234.505`` USD); trailing zeros are fine (``1234.500`` USD).
    """
    exp = exponent(currency)
    scaled = amount.scaleb(exp)
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} has more decimals than {currency} allows ({exp})")
    return int(scaled)


def from_minor(units: int, currency: str) -> Decimal:
    """Integer minor units back to a Decimal with exactly the currency's decimals."""
    exp = exponent(currency)
    return Decimal(units).scaleb(-exp) if exp else Decimal(units)


def quantize(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the currency's minor units (for presentation and computed figures)."""
    exp = exponent(currency)
    return amount.quantize(Decimal(1).scaleb(-exp), rounding=ROUND_HALF_UP)


def format_minor(units: int, currency: str) -> str:
    """Minor units as a plain string with the currency's decimals: 12345 USD -> ``'123.45'``.

    Exact integer arithmetic (never float); the same text ``str(from_minor(...))`` gives.
    """
    exp = exponent(currency)
    if not exp:
        return str(units)
    whole, frac = divmod(abs(units), 10**exp)
    return f"{'-' if units < 0 else ''}{whole}.{frac:0{exp}d}"


def formatter(currency: str) -> Callable[[int], str]:
    """A fast ``format_minor`` bound to one currency, for formatting many amounts."""
    exp = exponent(currency)
    if not exp:
        return str
    unit = 10**exp
    template = f"%d.%0{exp}d"  # whole and fraction of a non-negative amount

    def fmt(units: int) -> str:
        if units >= 0:
            return template % divmod(units, unit)
        return "-" + template % divmod(-units, unit)

    return fmt


def parse_amount(text: str, currency: str) -> int:
    """Parse a user-typed amount into minor units of ``currency`` (exactness enforced)."""
    return to_minor(parse_decimal(text), currency)

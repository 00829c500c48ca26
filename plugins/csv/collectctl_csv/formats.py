"""How dates and amounts are written in the CSV files, and parsing them exactly.

Dates are strict ISO ``YYYY-MM-DD`` unless the profile's ``date_format`` (or
``[sources.csv] date_format``) gives a :func:`~datetime.datetime.strptime` pattern. Amounts are
plain decimals (``1234.56``) parsed by :func:`collectctl.money.parse_decimal`, never through
float; ``[sources.csv] decimal_separator`` and ``thousands_separator`` allow exports such as
``1.234,56``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from collectctl.errors import ConfigError
from collectctl.money import MoneyError, parse_decimal

ISO_DATE = "%Y-%m-%d"
#: ``date_format`` values that mean strict ISO dates.
_ISO_ALIASES = frozenset({"", ISO_DATE, "iso", "ISO", "YYYY-MM-DD"})
#: Distinct date strings remembered before the cache starts over.
_DATE_CACHE_SIZE = 100_000


@dataclass(frozen=True, slots=True)
class Settings:
    """How values are written in the files.

    :param date_format: a :func:`~datetime.datetime.strptime` pattern, or ``None`` for strict
        ISO ``YYYY-MM-DD``.
    :param decimal_separator: the character between whole units and decimals (``.`` or ``,``).
    :param thousands_separator: the digit-group separator allowed in amounts, or ``None`` (the
        default) for plain decimals only.
    """

    date_format: str | None = None
    decimal_separator: str = "."
    thousands_separator: str | None = None

    @classmethod
    def from_config(cls, options: Mapping[str, Any], config: Mapping[str, Any]) -> Settings:
        """Build settings from ``[sources.csv]`` (``options``) and the profile ``config``.

        ``[sources.csv] date_format`` wins over the profile's ``date_format``. Raises
        :class:`~collectctl.errors.ConfigError` for values that cannot work.
        """
        fmt = options.get("date_format")
        if fmt is None:
            fmt = config.get("date_format")
        if fmt is not None and not isinstance(fmt, str):
            raise ConfigError(f"date_format must be a text such as '%d/%m/%Y', not {fmt!r}")
        if fmt is None or fmt in _ISO_ALIASES:
            fmt = None
        elif "%" not in fmt:
            raise ConfigError(
                f"date_format {fmt!r} is not a strftime pattern",
                hint="Use codes such as %Y-%m-%d (ISO), %d/%m/%Y or %m/%d/%Y in config.toml.",
            )
        dec = options.get("decimal_separator") or "."
        thou = options.get("thousands_separator") or None
        if dec not in (".", ","):
            raise ConfigError(f"[sources.csv] decimal_separator must be '.' or ',', not {dec!r}")
        if thou is not None and (
            not isinstance(thou, str)
            or len(thou) != 1
            or thou == dec
            or thou.isdigit()
            or thou in "+-"
        ):
            raise ConfigError(
                "[sources.csv] thousands_separator must be one character other than the "
                f"decimal separator, a digit or a sign (e.g. ',', '.', ' ' or \"'\"), not {thou!r}"
            )
        return cls(date_format=fmt, decimal_separator=dec, thousands_separator=thou)

    @property
    def plain_amounts(self) -> bool:
        """True for the default: amounts are plain decimals with a ``.``."""
        return self.decimal_separator == "." and self.thousands_separator is None

    def date_hint(self) -> str:
        """The expected date format, for messages."""
        if self.date_format is None:
            return (
                'YYYY-MM-DD; for other dates set date_format, e.g. date_format = "%d/%m/%Y", '
                "in the profile's config.toml or under [sources.csv]"
            )
        return f"date_format {self.date_format!r}, set in the profile's config.toml"

    def amount_hint(self) -> str:
        """What an amount should look like, for messages."""
        if self.plain_amounts:
            return (
                "a plain decimal like 1234.56, without currency symbols; for exports with "
                'thousands separators set thousands_separator = "," (and decimal_separator) '
                "under [sources.csv] in the profile's config.toml"
            )
        grouped = f"1{self.thousands_separator}234" if self.thousands_separator else "1234"
        return f"a decimal like {grouped}{self.decimal_separator}56, without currency symbols"


class Values:
    """Parses dates and amounts written with :class:`Settings`.

    ``dates`` is a cache from text to date that callers may read directly (a hit is a dict
    lookup: dates repeat a lot in a ledger); a miss goes through :meth:`date`.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dates: dict[str, date] = {}
        self.date_hint = settings.date_hint()
        self.amount_hint = settings.amount_hint()
        self.plain_amounts = settings.plain_amounts

    def date(self, text: str) -> date | None:
        """The date written as ``text``, or ``None`` when it is not one."""
        d = self.dates.get(text)
        if d is not None:
            return d
        fmt = self.settings.date_format
        try:
            d = _iso_date(text) if fmt is None else datetime.strptime(text, fmt).date()
        except ValueError:
            return None
        if d is None:
            return None
        if len(self.dates) >= _DATE_CACHE_SIZE:
            self.dates.clear()
        self.dates[text] = d
        return d

    def amount(self, text: str) -> Decimal | None:
        """The exact amount written as ``text`` (never via float), or ``None``."""
        if self.plain_amounts:
            plain: str | None = text
        else:
            plain = self._to_plain(text)
            if plain is None:
                return None
        try:
            return parse_decimal(plain)
        except MoneyError:
            return None

    def _to_plain(self, text: str) -> str | None:
        """``1.234,56`` -> ``1234.56`` for the configured separators; ``None`` if malformed."""
        s = self.settings
        sign, body = ("", text)
        if text[:1] in ("+", "-"):
            sign, body = text[0], text[1:]
        whole, sep, frac = body.partition(s.decimal_separator)
        thou = s.thousands_separator
        if thou is not None and thou in whole:
            groups = whole.split(thou)
            if not 1 <= len(groups[0]) <= 3 or any(len(g) != 3 for g in groups[1:]):
                return None
            whole = "".join(groups)
        for part in (whole, frac):
            if part and not (part.isascii() and part.isdigit()):
                return None
        return f"{sign}{whole}.{frac}" if sep else f"{sign}{whole}"


def fast_amount(text: str) -> Decimal | None:
    """Parse an unsigned plain decimal such as ``1234.56`` quickly; ``None`` for anything else.

    Accepts a subset of what :func:`~collectctl.money.parse_decimal` accepts (digits with at
    most one dot), so callers fall back to it on ``None`` for the exact verdict and message.
    """
    digits = text.replace(".", "", 1)
    if digits.isdigit() and digits.isascii():
        return Decimal(text)
    return None


def _iso_date(text: str) -> date | None:
    if (
        len(text) == 10
        and text[4] == "-"
        and text[7] == "-"
        and text.isascii()
        and text[:4].isdigit()
        and text[5:7].isdigit()
        and text[8:].isdigit()
    ):
        return date(int(text[:4]), int(text[5:7]), int(text[8:]))
    return None

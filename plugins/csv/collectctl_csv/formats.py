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
    :param date_order: ``"dmy"``, ``"mdy"`` or ``None``: how to read ``03/04/2026``.
    :param flexible_dates: read the date shapes other tools write (see
        :mod:`collectctl_csv.dates`) instead of strict ISO; on for presets and mappings.
    :param strip_currency: drop currency symbols and codes around amounts (``€1,234.56``).
    """

    date_format: str | None = None
    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_order: str | None = None
    flexible_dates: bool = False
    strip_currency: bool = False

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
        elif fmt != "auto" and "%" not in fmt:
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
        order = options.get("date_order")
        if order is not None and order not in ("dmy", "mdy"):
            raise ConfigError(
                f"[sources.csv] date_order must be 'dmy' (31/12/2026) or 'mdy' (12/31/2026), "
                f"not {order!r}"
            )
        strip = options.get("strip_currency", False)
        if not isinstance(strip, bool):
            raise ConfigError(f"[sources.csv] strip_currency must be true or false, not {strip!r}")
        flexible = bool(options.get("flexible_dates")) or order is not None
        if fmt == "auto":
            fmt, flexible = None, True
        return cls(
            date_format=fmt,
            decimal_separator=dec,
            thousands_separator=thou,
            date_order=order,
            flexible_dates=flexible,
            strip_currency=strip,
        )

    @property
    def plain_amounts(self) -> bool:
        """True for the default: amounts are plain decimals with a ``.``."""
        return (
            self.decimal_separator == "."
            and self.thousands_separator is None
            and not self.strip_currency
        )

    def date_hint(self) -> str:
        """The expected date format, for messages."""
        if self.flexible_dates and self.date_format is None:
            order = {"dmy": "31/12/2026", "mdy": "12/31/2026"}.get(self.date_order or "", "")
            shown = f"{order}, " if order else "31/12/2026 or 12/31/2026, "
            return f"a date such as 2026-12-31, {shown}31 Dec 2026 or an Excel serial"
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
        tail = (
            " (currency symbols and codes are dropped)"
            if self.strip_currency
            else ", without currency symbols"
        )
        return f"a decimal like {grouped}{self.decimal_separator}56{tail}"


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
        #: Dates are strict ISO ``YYYY-MM-DD`` (the default): a date's text is its ISO text.
        self.iso_dates = settings.date_format is None and not settings.flexible_dates

    def date(self, text: str) -> date | None:
        """The date written as ``text``, or ``None`` when it is not one."""
        d = self.dates.get(text)
        if d is not None:
            return d
        fmt = self.settings.date_format
        try:
            if fmt is not None:
                # strptime's %d, %m and %Y take any script's digits (``٠٣``); dates in the
                # files are written with ASCII ones, so anything else is not a date here.
                if not text.isascii() and any(ch.isdigit() for ch in text if not ch.isascii()):
                    return None
                d = datetime.strptime(text, fmt).date()
            elif self.settings.flexible_dates:
                from collectctl_csv.dates import parse_date

                d = parse_date(text, self.settings.date_order)
            else:
                d = _iso_date(text)
        except ValueError:
            return None
        if d is None:
            return None
        if len(self.dates) >= _DATE_CACHE_SIZE:
            self.dates.clear()
        self.dates[text] = d
        return d

    def date_error(self, text: str) -> str:
        """Why ``text`` is not a date, for a problem message."""
        if self.settings.flexible_dates and self.settings.date_format is None:
            from collectctl_csv.dates import ambiguity

            why = ambiguity(text)
            if why is not None:
                return why
        return f"{text!r} is not a date (expected {self.date_hint})"

    def amount(self, text: str) -> Decimal | None:
        """The exact amount written as ``text`` (never via float), or ``None``."""
        plain = text if self.plain_amounts else self._to_plain(text)
        if plain is None:
            return None
        try:
            return parse_decimal(plain)
        except MoneyError:
            return None

    def _to_plain(self, text: str) -> str | None:
        """``1.234,56`` -> ``1234.56`` for the configured separators; ``None`` if malformed."""
        s = self.settings
        if s.strip_currency:
            from collectctl_csv.dates import strip_currency

            text = strip_currency(text)
        sign, body = ("", text)
        if text[:1] == "(" and text[-1:] == ")":  # accounting negatives: (12.00)
            sign, body = "-", text[1:-1]
        if text[:1] in ("+", "-"):
            sign, body = text[0], text[1:]
        whole, sep, frac = body.partition(s.decimal_separator)
        thou = s.thousands_separator
        if thou == " ":
            whole = whole.replace("\u00a0", " ").replace("\u202f", " ")
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

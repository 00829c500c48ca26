"""The date and amount shapes other tools' exports use, read exactly.

Used only when a preset, a column mapping or ``date_format = "auto"`` asks for it, so the native
format's strict ISO path costs nothing extra. Accepted dates:

- ISO ``2026-12-31``, ``2026/12/31``, and ISO date-times ``2026-12-31T09:30:00Z``,
  ``2026-12-31 09:30`` (the date as written: Stripe's "(UTC)" columns are UTC dates);
- day/month/year with ``/``, ``-`` or ``.``: ``31/12/2026``, ``12/31/2026``, ``31.12.2026``,
  two-digit years ``31/12/26`` (20xx);
  when both the first and the second number could be the month (``03/04/2026``) the order must
  be configured (``date_order = "dmy"`` or ``"mdy"``) — guessing would silently move due dates;
- month names: ``31 Dec 2026``, ``31-Dec-2026``, ``Dec 31, 2026``, ``December 31, 2026``;
- Excel serial day numbers ``46022`` (days since 1899-12-30, the 1900 date system), for
  spreadsheets saved without formatting the date column.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

_EXCEL_EPOCH = date(1899, 12, 30)
#: Serial numbers taken as Excel dates: 1982-02-15 .. 2119-10-15 (5 digits), never an amount.
_SERIAL = re.compile(r"^(3\d{4}|[4-9]\d{4}|1\d{5})(\.0+)?$", re.ASCII)
_ISO = re.compile(
    r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?:[T ][0-9:.]+(?:Z|[+-]\d{2}:?\d{2})?)?$", re.ASCII
)
_NUMERIC = re.compile(
    r"^(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[T ][0-9:.]+(?: ?[AaPp][Mm])?)?$", re.ASCII
)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_DAY_MONTH = re.compile(r"^(\d{1,2})[ -]([A-Za-z]{3,9})\.?[ -](\d{4}|\d{2})$", re.ASCII)
_MONTH_DAY = re.compile(r"^([A-Za-z]{3,9})\.? (\d{1,2}),? (\d{4})$", re.ASCII)


def _year(text: str) -> int:
    return 2000 + int(text) if len(text) == 2 else int(text)


def parse_date(text: str, order: str | None) -> date | None:
    """The date ``text`` names, or ``None``; ``order`` is ``"dmy"``, ``"mdy"`` or ``None``.

    Raises :class:`ValueError` for impossible dates (``31/02/2026``). An ambiguous numeric date
    with no ``order`` returns ``None`` (:func:`ambiguity` says why).
    """
    m = _ISO.match(text)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3]))
    m = _NUMERIC.match(text)
    if m:
        a, b, year = int(m[1]), int(m[3]), _year(m[4])
        if m[2] == ".":  # 31.12.2026 is day-first wherever it is written
            return date(year, b, a)
        if order == "dmy" or (order is None and a > 12 >= b):
            return date(year, b, a)
        if order == "mdy" or (order is None and b > 12 >= a):
            return date(year, a, b)
        if a == b:
            return date(year, a, b)
        return None
    m = _DAY_MONTH.match(text)
    if m and m[2].lower() in _MONTHS:
        return date(_year(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    m = _MONTH_DAY.match(text)
    if m and m[1].lower() in _MONTHS:
        return date(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    if _SERIAL.match(text):
        return _EXCEL_EPOCH + timedelta(days=int(text.split(".")[0]))
    return None


def ambiguity(text: str) -> str | None:
    """A message when ``text`` is a day/month date that could be read either way, else None."""
    m = _NUMERIC.match(text)
    if m and m[2] != "." and int(m[1]) <= 12 and int(m[3]) <= 12 and m[1] != m[3]:
        a, b = int(m[1]), int(m[3])
        return (
            f"{text!r} is ambiguous: day {a} of month {b}, or month {a} day {b}? Set "
            'date_order = "dmy" (31/12/2026) or "mdy" (12/31/2026) under [sources.csv] '
            "or in the mapping file"
        )
    return None


#: Currency symbols dropped by ``strip_currency`` (codes are any three letters).
SYMBOLS = "$€£¥₹₩₽₺₪₫₴₦₱฿₡₲₵₸"
_CODE = re.compile(r"^(?:[A-Za-z]{3}|[A-Z]{1,2}\$|R\$|kr|Fr\.?)\s*|\s*(?:[A-Za-z]{3}|kr)$")


def strip_currency(text: str) -> str:
    """``€1,234.56`` → ``1,234.56``; ``1 234,56 EUR`` → ``1 234,56``; ``-$5`` → ``-5``."""
    sign = ""
    body = text.strip()
    if body[:1] in "+-":
        sign, body = body[0], body[1:].lstrip()
    body = body.strip(SYMBOLS + " \u00a0\u202f")
    body = _CODE.sub("", body).strip(SYMBOLS + " \u00a0\u202f")
    if body[:1] in "+-" and not sign:
        sign, body = body[0], body[1:]
    return sign + body

"""Stream customers, invoices and allocations out of a directory of CSV files.

The reader does the *row-level* checks: the header has every required column, required values
are not blank, dates are dates, amounts are plain decimals greater than zero, ``kind`` values are
known, and the bytes are UTF-8. Each bad value becomes a :class:`~collectctl.records.Problem`
(origin ``"invoices.csv:12"``, the line where the record starts; the header is line 1) and reading
carries on, so one sync reports every bad row. Checks that need several records at once (unknown
customers or invoices, duplicate ids, currency codes and mismatches, minor units, write-offs larger
than what is open) and defaults (invoice number, due date, currency) belong to the core, which
sees everything the source yields: blank optional values are passed on as ``None``.

Nothing is held in memory: rows are parsed one at a time and turned into records as they are read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

from collectctl.errors import SourceError
from collectctl.records import ALLOCATION_KINDS, CUSTOMER_KINDS, Problem, Record, Rows
from collectctl_csv import construct
from collectctl_csv.formats import Settings, Values, fast_amount
from collectctl_csv.rowstate import STATE_COLUMNS, Recorder, View, recorded
from collectctl_csv.table import Progress, Table

#: The three files of a CSV directory, in the order they are read.
FILES: tuple[str, ...] = ("customers.csv", "invoices.csv", "payments.csv")

#: Every column the reader knows, per file; columns with other names are ignored.
COLUMNS: dict[str, tuple[str, ...]] = {
    "customers.csv": (
        *("id", "name", "email", "phone", "address"),
        *("kind", "currency", "timezone", "terms_days", "language"),
    ),
    "invoices.csv": (
        *("id", "customer_id", "number", "issue_date", "due_date"),
        *("currency", "amount", "status", "description"),
    ),
    "payments.csv": (
        *("id", "customer_id", "date", "amount", "invoice_id"),
        *("kind", "currency", "method", "reference"),
    ),
}

#: Columns the header must have and whose values must not be blank.
REQUIRED: dict[str, tuple[str, ...]] = {
    "customers.csv": ("id", "name"),
    "invoices.csv": ("id", "customer_id", "issue_date", "amount"),
    "payments.csv": ("id", "customer_id", "date", "amount"),
}

#: The largest ``terms_days`` taken seriously (a hundred years).
MAX_TERMS_DAYS = 36_500
#: Rows per :class:`~collectctl.records.Rows` block in bulk reads.
BLOCK = 5000
#: Stands for an amount a bulk read saw to be a plain decimal above 0 (it keeps the text).
PLAIN = Decimal(1)


def check_directory(directory: Path) -> None:
    """Raise :class:`~collectctl.errors.SourceError` unless ``directory`` holds all three files.

    All three are required even when one has no rows: a sync makes the books exactly what the
    directory holds, so a missing ``payments.csv`` must never read as "every payment was deleted".
    """
    if not directory.exists():
        raise SourceError(
            f"CSV directory {directory} does not exist",
            hint="Give a directory holding customers.csv, invoices.csv and payments.csv.",
        )
    if not directory.is_dir():
        raise SourceError(f"{directory} is not a directory")
    for name in FILES:
        if not (directory / name).is_file():
            raise SourceError(
                f"{name} is missing from {directory}: a CSV directory needs customers.csv, "
                "invoices.csv and payments.csv",
                hint=f"If there are no rows to put in it, create it with just the header row: "
                f"{','.join(REQUIRED[name])}",
            )


def read_directory(
    directory: Path,
    settings: Settings | None = None,
    progress: Callable[[int], None] | None = None,
    open_table: Callable[[str, Progress], Table] | None = None,
    recorder: Recorder | None = None,
    bulk: bool = False,
) -> Iterator[Record]:
    """Yield every customer, then invoice, then allocation of ``directory``, problems inline.

    :param directory: a directory that passed :func:`check_directory`.
    :param settings: how dates and amounts are written (default: ISO dates, plain decimals).
    :param progress: called with the number of rows read so far, every
        :data:`~collectctl_csv.table.PROGRESS_EVERY` rows and after each file.
    :param open_table: ``(file name, counter) -> Table`` for a mapping or another dialect
        (default: collectctl's own format).
    :param recorder: collects each row's digest for the next re-sync (own format only; see
        :mod:`collectctl_csv.rowstate`).
    :param bulk: yield invoices and payments as :class:`~collectctl.records.Rows` blocks (text
        tuples, no record object per row) where the settings are the defaults (ISO dates, plain
        amounts); problems and customers are yielded as they are, in file order.
    """
    values = Values(settings or Settings())
    block = BLOCK if bulk and values.iso_dates and values.plain_amounts else 0
    counter = Progress(progress)
    if open_table is None:

        def open_table(name: str, counter: Progress) -> Table:
            return Table(directory / name, COLUMNS[name], REQUIRED[name], counter)

    for name, convert in (
        ("customers.csv", _customers),
        ("invoices.csv", _invoices),
        ("payments.csv", _allocations),
    ):
        if not (directory / name).is_file():  # removed since check_directory looked
            raise SourceError(f"{name} disappeared from {directory} while it was being read")
        with open_table(name, counter) as table:
            if table.problems:  # no usable header: the rows cannot be read
                if recorder is not None:
                    recorder.spoiled = True
                yield from table.problems
                continue
            if recorder is None:
                yield from convert(table, values, block)
                continue
            cols = tuple(map(table.column, STATE_COLUMNS[name]))
            rows = recorded(table.rows(), recorder.file(name, table.header), cols)
            yield from convert(View(table, rows), values, block)  # type: ignore[arg-type]
    if progress is not None:
        progress(counter.rows)


def _blank(fields: list[str]) -> bool:
    """True for a row of empty or whitespace-only values (``,,,,`` as spreadsheets write)."""
    return not "".join(fields).strip()


class _Row:
    """The problems found in one row, each naming the column and the offending value."""

    __slots__ = ("origin", "problems")

    def __init__(self, origin: str) -> None:
        self.origin = origin
        self.problems: list[Problem] = []

    def bad(self, column: str, value: str, message: str) -> None:
        self.problems.append(
            Problem(origin=self.origin, column=column, value=value, message=message)
        )

    def required(self, column: str, value: str) -> bool:
        """Record a problem if the required ``value`` is blank; True when it is not."""
        if not value:
            self.bad(column, value, f"{column} is required but blank")
        return bool(value)

    def parse_date(
        self, values: Values, column: str, text: str, required: bool = True
    ) -> date | None:
        """The date in ``text``; ``None`` (and a problem if ``required``) when blank or bad."""
        if not text:
            if required:
                self.required(column, text)
            return None
        d = values.date(text)
        if d is None:
            self.bad(column, text, values.date_error(text))
        return d

    def parse_amount(self, values: Values, column: str, text: str) -> Decimal | None:
        """The amount in ``text``, which must be greater than zero; ``None`` with a problem."""
        if not self.required(column, text):
            return None
        amount = values.amount(text)
        if amount is None:
            self.bad(column, text, f"{text!r} is not an amount (expected {values.amount_hint})")
        elif amount <= 0:
            self.bad(column, text, f"{text!r} must be greater than 0")
            return None
        return amount


_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def _customers(table: Table, values: Values, block: int = 0) -> Iterator[Record]:
    col = table.column
    i_id, i_name, i_email, i_phone, i_address = map(col, COLUMNS["customers.csv"][:5])
    i_kind, i_cur, i_tz, i_terms, i_lang = map(col, COLUMNS["customers.csv"][5:])
    file_name = table.name
    zones = _TimeZones()
    make = construct.customer
    for item in table.rows():
        if type(item) is Problem:
            yield item
            continue
        line, f = item  # type: ignore[misc]
        origin = f"{file_name}:{line}"
        cid, name = f[i_id].strip(), f[i_name].strip()
        kind = f[i_kind].strip() or "business"
        tz = f[i_tz].strip() or None
        terms_text = f[i_terms].strip()
        terms = int(terms_text) if terms_text.isdigit() and terms_text.isascii() else None
        lang = f[i_lang].strip() or None
        if (
            not cid
            or not name
            or kind not in CUSTOMER_KINDS
            or (tz is not None and not zones.valid(tz))
            or (terms_text and (terms is None or terms > MAX_TERMS_DAYS))
            or (lang is not None and not _LANGUAGE.match(lang))
        ):
            if _blank(f):
                continue
            row = _Row(origin)
            row.required("id", cid)
            row.required("name", name)
            if kind not in CUSTOMER_KINDS:
                row.bad("kind", kind, f"{kind!r} is not a customer kind (business or consumer)")
            if tz is not None and not zones.valid(tz):
                row.bad("timezone", tz, f"{tz!r} is not an IANA time zone (like Europe/Berlin)")
            if terms_text and (terms is None or terms > MAX_TERMS_DAYS):
                row.bad(
                    "terms_days",
                    terms_text,
                    f"{terms_text!r} is not a number of days (a whole number, 0 or more)",
                )
            if lang is not None and not _LANGUAGE.match(lang):
                row.bad("language", lang, f"{lang!r} is not a language code (like de or pt-BR)")
            yield from row.problems
            continue
        address = f[i_address].strip() or None
        if address is not None and "\r" in address:
            address = address.replace("\r\n", "\n").replace("\r", "\n")
        yield make(
            cid,
            name,
            f[i_email].strip() or None,
            f[i_phone].strip() or None,
            address,
            kind,
            f[i_cur].strip() or None,
            tz,
            terms,
            origin,
            lang,
        )


def _invoices(table: Table, values: Values, block: int = 0) -> Iterator[Record]:
    """Invoices of ``table``; with ``block`` (rows per block, ISO dates and plain amounts
    only), good rows come as :class:`Rows` of text tuples instead of one record each."""
    col = table.column
    i_id, i_cust, i_num, i_issue, i_due = map(col, COLUMNS["invoices.csv"][:5])
    i_cur, i_amount, i_status, i_desc = map(col, COLUMNS["invoices.csv"][5:])
    file_name = table.name
    dates = values.dates
    date_of = values.date
    plain = values.plain_amounts
    make = construct.invoice
    rows: list[tuple[object, ...]] = []
    add = rows.append
    for item in table.rows():
        if type(item) is Problem:
            if rows:
                yield Rows("invoice", rows)
                rows = []
                add = rows.append
            yield item
            continue
        line, f = item  # type: ignore[misc]
        origin = f"{file_name}:{line}"
        iid, cust = f[i_id].strip(), f[i_cust].strip()
        issue_text, due_text = f[i_issue].strip(), f[i_due].strip()
        amount_text = f[i_amount].strip()
        issue = dates.get(issue_text)
        if issue is None and block:
            issue = date_of(issue_text)  # a date not seen yet (None for a bad one)
        due = (dates.get(due_text) or (date_of(due_text) if block else None)) if due_text else None
        if block:  # the text is what is kept: no Decimal needed to see it is a plain one
            digits = amount_text.replace(".", "", 1)
            amount = PLAIN if digits.isdigit() and digits.isascii() and digits.strip("0") else None
        else:
            amount = fast_amount(amount_text) if plain else None
        if (
            issue is None
            or amount is None
            or not amount
            or (due is None and due_text)
            or not iid
            or not cust
        ):
            # Uncommon: a date not seen yet, an unusual amount, or a bad row.
            if _blank(f):
                continue
            row = _Row(origin)
            row.required("id", iid)
            row.required("customer_id", cust)
            issue = row.parse_date(values, "issue_date", issue_text)
            due = row.parse_date(values, "due_date", due_text, required=False)
            amount = row.parse_amount(values, "amount", amount_text)
            if row.problems:
                if rows:
                    yield Rows("invoice", rows)
                    rows = []
                    add = rows.append
                yield from row.problems
                continue
        if block:
            add(
                (
                    iid,
                    cust,
                    issue_text,  # ISO text: values.date read it as ISO
                    amount_text,  # plain: Decimal(amount_text) is the amount
                    f[i_num].strip() or None,
                    due_text or None,
                    f[i_cur].strip() or None,
                    f[i_status].strip().lower() == "void",
                    f[i_desc].strip() or None,
                    origin,
                )
            )
            if len(rows) >= block:
                yield Rows("invoice", rows)
                rows = []
                add = rows.append
            continue
        yield make(
            iid,
            cust,
            issue,
            amount,
            f[i_num].strip() or None,
            due,
            f[i_cur].strip() or None,
            f[i_status].strip().lower() == "void",
            f[i_desc].strip() or None,
            origin,
        )
    if rows:
        yield Rows("invoice", rows)


def _allocations(table: Table, values: Values, block: int = 0) -> Iterator[Record]:
    """Payment rows of ``table``; ``block`` as for :func:`_invoices`."""
    col = table.column
    i_id, i_cust, i_date, i_amount, i_inv = map(col, COLUMNS["payments.csv"][:5])
    i_kind, i_cur, i_method, i_ref = map(col, COLUMNS["payments.csv"][5:])
    file_name = table.name
    dates = values.dates
    date_of = values.date
    plain = values.plain_amounts
    make = construct.allocation
    rows: list[tuple[object, ...]] = []
    add = rows.append
    for item in table.rows():
        if type(item) is Problem:
            if rows:
                yield Rows("allocation", rows)
                rows = []
                add = rows.append
            yield item
            continue
        line, f = item  # type: ignore[misc]
        origin = f"{file_name}:{line}"
        pid, cust = f[i_id].strip(), f[i_cust].strip()
        date_text, amount_text = f[i_date].strip(), f[i_amount].strip()
        invoice = f[i_inv].strip() or None
        kind = f[i_kind].strip() or "payment"
        when = dates.get(date_text)
        if when is None and block:
            when = date_of(date_text)  # a date not seen yet (None for a bad one)
        if block:  # the text is what is kept: no Decimal needed to see it is a plain one
            digits = amount_text.replace(".", "", 1)
            amount = PLAIN if digits.isdigit() and digits.isascii() and digits.strip("0") else None
        else:
            amount = fast_amount(amount_text) if plain else None
        if when is None or amount is None or not amount or not pid or not cust or kind != "payment":
            if _blank(f):
                continue
            row = _Row(origin)
            row.required("id", pid)
            row.required("customer_id", cust)
            when = row.parse_date(values, "date", date_text)
            amount = row.parse_amount(values, "amount", amount_text)
            if kind not in ALLOCATION_KINDS:
                row.bad(
                    "kind",
                    kind,
                    f"{kind!r} is not a payment kind "
                    "(payment, credit, write_off or refund, in lower case)",
                )
            elif kind == "write_off" and invoice is None:
                row.bad("invoice_id", "", "a write_off needs the invoice_id it writes off")
            elif kind == "refund" and invoice is not None:
                row.bad(
                    "invoice_id",
                    invoice,
                    f"a refund must not have an invoice_id (got {invoice!r}): it returns "
                    "unapplied credit, so leave invoice_id blank",
                )
            if row.problems:
                if rows:
                    yield Rows("allocation", rows)
                    rows = []
                    add = rows.append
                yield from row.problems
                continue
        if block:
            add(
                (
                    pid,
                    cust,
                    date_text,
                    amount_text,
                    invoice,
                    kind,
                    f[i_cur].strip() or None,
                    f[i_method].strip() or None,
                    f[i_ref].strip() or None,
                    origin,
                )
            )
            if len(rows) >= block:
                yield Rows("allocation", rows)
                rows = []
                add = rows.append
            continue
        yield make(
            pid,
            cust,
            when,
            amount,
            invoice,
            kind,
            f[i_cur].strip() or None,
            f[i_method].strip() or None,
            f[i_ref].strip() or None,
            origin,
        )
    if rows:
        yield Rows("allocation", rows)


class _TimeZones:
    """Checks IANA time zone names once per name; accepts any name when tzdata is missing."""

    def __init__(self) -> None:
        self._known: dict[str, bool] = {}
        self._available: frozenset[str] | None = None

    def valid(self, name: str) -> bool:
        ok = self._known.get(name)
        if ok is None:
            if self._available is None:
                import zoneinfo

                self._available = frozenset(zoneinfo.available_timezones())
            ok = name in self._available or not self._available
            self._known[name] = ok
        return ok

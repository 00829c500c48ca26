"""Staging: one sync's records in a private SQLite file, validated as a whole before anything is
written to the ledger.

The staging file is ATTACHed to the ledger connection as ``st``; loading it takes no ledger lock, so
a slow source (QuickBooks) never blocks other commands. Checks made here, on top of the row-level
:class:`~collectctl.records.Problem` records a source yields:

- ISO 4217 currency codes and minor-unit exactness of every amount (``1234.505`` USD);
- duplicate customer and invoice ids;
- references: an invoice's or allocation's customer, an allocation's invoice (void invoices count);
- an allocation's customer must be its invoice's customer, its currency the invoice's currency;
- a write-off may not exceed what is open on its invoice at the write-off's date.

Defaults are resolved here too: invoice ``number`` = id, ``due_date`` = issue date + terms (the
customer's, else the profile's ``default_terms_days``), ``currency`` = the customer's (else the
profile's).

It is longer than the house's ~450 lines on purpose: the staging schema, the batched loaders
and the whole-batch checks read the same staging columns, and the per-row loaders are inlined
for speed (a million rows per sync); splitting them would spread one schema over several files.
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from collectctl.money import MoneyError, exponent, format_minor, to_minor
from collectctl.records import (
    ALLOCATION_KINDS,
    CUSTOMER_KINDS,
    Allocation,
    Cursor,
    Customer,
    Deletion,
    Invoice,
    Problem,
    Rows,
    row_record,
)

BATCH = 5000
#: Largest amount in minor units (SQLite integers are 64-bit; sums need head-room).
MAX_UNITS = 10**15
#: Problems kept in full; beyond that only counted (the message shows 20 anyway).
KEEP_PROBLEMS = 1000

_SCHEMA = """
CREATE TABLE st.s_customers (
    ext_id TEXT NOT NULL, name TEXT NOT NULL, email TEXT, phone TEXT, address TEXT,
    kind TEXT NOT NULL, currency TEXT NOT NULL, timezone TEXT, terms_days INTEGER,
    active INTEGER NOT NULL, origin TEXT NOT NULL, language TEXT);
CREATE TABLE st.s_invoices (
    ext_id TEXT NOT NULL, customer_ext TEXT NOT NULL, number TEXT NOT NULL,
    issue_date TEXT NOT NULL, due_date TEXT NOT NULL, currency TEXT, amount INTEGER,
    void INTEGER NOT NULL, description TEXT, source_balance INTEGER, origin TEXT NOT NULL);
CREATE TABLE st.s_allocations (
    payment_id TEXT NOT NULL, invoice_ext TEXT NOT NULL, seq INTEGER NOT NULL DEFAULT 1,
    customer_ext TEXT NOT NULL, date TEXT NOT NULL, amount INTEGER, currency TEXT,
    kind TEXT NOT NULL, method TEXT, reference TEXT, origin TEXT NOT NULL,
    amount_text TEXT);  -- set while the currency waits for the invoice's (see _allocation)
CREATE TABLE st.s_deletions (kind TEXT NOT NULL, ext_id TEXT NOT NULL);
"""

_INDEXES = """
CREATE INDEX st.s_customers_ext ON s_customers (ext_id);
CREATE INDEX st.s_invoices_ext ON s_invoices (ext_id, customer_ext, currency, amount);
CREATE INDEX st.s_allocations_key ON s_allocations (payment_id, invoice_ext, seq);
CREATE INDEX st.s_allocations_inv ON s_allocations (invoice_ext, date, amount);
CREATE INDEX st.s_deletions_kind ON s_deletions (kind, ext_id);
"""

_ORIGIN = re.compile(r"^(?P<file>.*?):(?P<line>\d+)$")
#: 10 ** exponent for the usual minor-unit exponents.
_POWERS = {0: 1, 1: 10, 2: 100, 3: 1000, 4: 10_000}


def _q(text: str) -> str:
    """Quote a string literal for SQL text that cannot take parameters (views)."""
    return "'" + text.replace("'", "''") + "'"


@dataclass
class StageResult:
    """What loading the records found."""

    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    cursor: str | None = None
    records: int = 0


class Staging:
    """Load a source's records into ``st`` on ``conn``, resolve defaults, validate.

    :param conn: the ledger connection (the staging file is attached to it as ``st``).
    :param path: the staging file (created; the caller deletes it).
    :param source: the source name (ledger rows are keyed by it).
    :param config: the profile config (default currency and terms).
    :param complete: ``True`` for a full snapshot; ``False`` for an incremental batch, in which
        references may point at rows already in the ledger.
    """

    def __init__(
        self,
        conn: sqlite3.Connection,
        path: Path,
        *,
        source: str,
        config: Mapping[str, Any],
        complete: bool,
    ) -> None:
        self.conn = conn
        self.path = path
        self.source = source
        self.complete = complete
        self.default_currency: str = config.get("currency", "USD")
        self.default_terms: int = int(config.get("default_terms_days", 30))
        self.result = StageResult()
        # customer ext id -> (currency, terms_days); a few bytes per customer.
        self._customers: dict[str, tuple[str, int | None]] = {}
        self._timezones: dict[str, bool] = {}
        self._exponents: dict[str, int] = {}
        self._dates: dict[date, str] = {}
        # Bulk rows (:class:`Rows`): ISO date texts known to be dates, and due-date defaults.
        self._date_texts: set[str] = set()
        self._due: dict[tuple[str, int], str] = {}
        # Customers with an invoice in another currency than their own: their payment rows
        # without a currency take the invoice's (resolved after loading).
        self._mixed: set[str] = set()
        # Incremental: customers whose ledger invoices were checked for another currency.
        self._mixed_checked: set[str] = set()
        self._deferred = 0
        conn.execute("ATTACH DATABASE ? AS st", (str(path),))
        conn.execute("PRAGMA st.journal_mode = OFF")
        conn.execute("PRAGMA st.synchronous = OFF")
        conn.executescript(_SCHEMA)

    def detach(self) -> None:
        """Detach the staging file from the connection (safe to call twice)."""
        with contextlib.suppress(sqlite3.OperationalError):
            self.conn.execute("DETACH DATABASE st")

    # -- problems -------------------------------------------------------------------------
    def problem(self, origin: str, message: str, column: str | None = None) -> None:
        self.result.problem_count += 1
        if len(self.result.problems) < KEEP_PROBLEMS:
            self.result.problems.append(str(Problem(origin, message, column)))

    # -- loading --------------------------------------------------------------------------
    def load(
        self, records: Iterable[object], progress: Callable[[int], None] | None = None
    ) -> StageResult:
        """Stream ``records`` into the staging tables in batches, then validate them."""
        customers: list[tuple[Any, ...]] = []
        invoices: list[tuple[Any, ...]] = []
        allocations: list[tuple[Any, ...]] = []
        deletions: list[tuple[str, str]] = []
        ins = self.conn.executemany
        count = 0

        def flush() -> None:
            if customers:
                ins("INSERT INTO st.s_customers VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", customers)
                customers.clear()
            if invoices:
                ins("INSERT INTO st.s_invoices VALUES (?,?,?,?,?,?,?,?,?,?,?)", invoices)
                invoices.clear()
            if allocations:
                ins(
                    "INSERT INTO st.s_allocations VALUES (?,?,1,?,?,?,?,?,?,?,?,?)",
                    allocations,
                )
                allocations.clear()
            if deletions:
                ins("INSERT INTO st.s_deletions VALUES (?,?)", deletions)
                deletions.clear()

        cursors = 0  # a cursor is bookkeeping, not a record of the books
        self.conn.execute("BEGIN")
        try:
            for rec in records:
                count += 1
                if type(rec) is Allocation:
                    row = self._allocation(rec)
                    if row:
                        allocations.append(row)
                elif type(rec) is Invoice:
                    row = self._invoice(rec)
                    if row:
                        invoices.append(row)
                elif type(rec) is Customer:
                    row = self._customer(rec)
                    if row:
                        customers.append(row)
                elif type(rec) is Rows:
                    flush()
                    n = len(rec.rows)
                    if rec.kind == "invoice":
                        ins(
                            "INSERT INTO st.s_invoices VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                            self._invoice_rows(rec.rows),
                        )
                    elif rec.kind == "allocation":
                        ins(
                            "INSERT INTO st.s_allocations VALUES (?,?,1,?,?,?,?,?,?,?,?,?)",
                            self._allocation_rows(rec.rows),
                        )
                    else:
                        raise TypeError(f"a source yielded rows of kind {rec.kind!r}")
                    count += n - 1  # every row is a record
                    if progress:
                        progress(count)
                elif type(rec) is Problem:
                    self.result.problem_count += 1
                    if len(self.result.problems) < KEEP_PROBLEMS:
                        self.result.problems.append(str(rec))
                elif type(rec) is Deletion:
                    deletions.append((rec.kind, rec.id))
                elif type(rec) is Cursor:
                    self.result.cursor = rec.value
                    cursors += 1
                else:
                    raise TypeError(f"a source yielded {rec!r}, which is not a collectctl record")
                if count % BATCH == 0:
                    flush()
                    if progress:
                        progress(count)
            flush()
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        if progress:
            progress(count)
        self.result.records = count - cursors
        self.conn.executescript(_INDEXES)
        self._number_repeats()
        self._validate()
        self.result.problems.sort(key=_problem_order)
        return self.result

    def _iso(self, day: date) -> str:
        """``day.isoformat()``, cached (books hold a few thousand distinct dates)."""
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = day.isoformat()
        return text

    def _origin(self, rec: Any, what: str, ident: str) -> str:
        return rec.origin or f"{what} {ident}"

    def _currency(self, code: str | None, origin: str) -> str | None:
        """``code`` in upper case if it is a usable currency (its exponent cached), else None
        and a problem. ``usd`` is read as ``USD`` (some systems export lower-case codes)."""
        if code is None:
            return None
        if code in self._exponents:  # hot path: the keys are normalised codes
            return code
        code = code.strip().upper()
        if code in self._exponents:
            return code
        try:
            self._exponents[code] = exponent(code)
        except MoneyError as exc:
            self.problem(origin, str(exc), "currency")
            return None
        return code

    def _minor(self, amount: Decimal, currency: str, origin: str, column: str) -> int | None:
        """Exact minor units of ``amount`` (hot path: integer arithmetic on its exact ratio)."""
        exp = self._exponents[currency]
        try:
            num, den = amount.as_integer_ratio()
        except (ValueError, OverflowError):
            self.problem(origin, f"{amount} is not a finite amount", column)
            return None
        num *= _POWERS[exp] if exp in _POWERS else 10**exp
        units, rest = divmod(num, den) if den != 1 else (num, 0)
        if rest:
            self.problem(
                origin, f"{amount} has more decimals than {currency} allows ({exp})", column
            )
            return None
        if not -MAX_UNITS <= units <= MAX_UNITS:
            self.problem(origin, f"{amount} is too large an amount", column)
            return None
        return units

    def _customer(self, rec: Customer) -> tuple[Any, ...] | None:
        origin = self._origin(rec, "customer", rec.id)
        ok = True
        if not rec.id:
            self.problem(origin, "a customer needs an id", "id")
            ok = False
        if not rec.name:
            self.problem(origin, f"customer {rec.id!r} has no name", "name")
            ok = False
        if rec.kind not in CUSTOMER_KINDS:
            self.problem(
                origin, f"{rec.kind!r} is not a customer kind (business or consumer)", "kind"
            )
            ok = False
        currency = self._currency(rec.currency or self.default_currency, origin)
        if currency is None:
            ok = False
        if rec.timezone and not self._timezone_ok(rec.timezone):
            self.problem(
                origin,
                f"unknown time zone {rec.timezone!r} (use an IANA name such as 'America/New_York')",
                "timezone",
            )
            ok = False
        if rec.terms_days is not None and rec.terms_days < 0:
            self.problem(
                origin, f"terms_days must be 0 or more, not {rec.terms_days}", "terms_days"
            )
            ok = False
        if currency is not None:
            self._customers[rec.id] = (currency, rec.terms_days)
        if not ok:
            return None
        return (
            rec.id,
            rec.name,
            rec.email,
            rec.phone,
            rec.address,
            rec.kind,
            currency,
            rec.timezone,
            rec.terms_days,
            1 if rec.active else 0,
            origin,
            getattr(rec, "language", None),
        )

    def _timezone_ok(self, name: str) -> bool:
        known = self._timezones.get(name)
        if known is None:
            from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

            try:
                ZoneInfo(name)
                known = True
            except (ZoneInfoNotFoundError, ValueError):
                known = False
            self._timezones[name] = known
        return known

    def _customer_defaults(self, ext_id: str) -> tuple[str, int | None] | None:
        found = self._customers.get(ext_id)
        if found is None and not self.complete:
            row = self.conn.execute(
                "SELECT currency, terms_days FROM customers WHERE source = ? AND ext_id = ?",
                (self.source, ext_id),
            ).fetchone()
            if row:
                found = (row[0], row[1])
                self._customers[ext_id] = found
        return found

    def _invoice(self, rec: Invoice) -> tuple[Any, ...] | None:
        origin = self._origin(rec, "invoice", rec.id)
        customer = self._customer_defaults(rec.customer_id)
        currency = rec.currency or (customer[0] if customer else None)
        currency = self._currency(currency, origin)
        amount = None
        balance = None
        if currency is not None:
            amount = self._minor(rec.amount, currency, origin, "amount")
            if rec.source_balance is not None:
                try:
                    balance = to_minor(rec.source_balance, currency)
                except (MoneyError, ValueError, OverflowError):
                    balance = None
                if balance is not None and not -MAX_UNITS <= balance <= MAX_UNITS:
                    balance = None
        if amount is not None and (amount < 0 or (amount == 0 and not rec.void)):
            self.problem(origin, f"invoice amount must be more than 0, not {rec.amount}", "amount")
            amount = None
        if customer and currency and currency != customer[0]:
            self._mixed.add(rec.customer_id)
        due = rec.due_date
        if due is None:
            terms = customer[1] if customer and customer[1] is not None else self.default_terms
            try:
                due = rec.issue_date + timedelta(days=terms)
            except OverflowError:
                self.problem(
                    origin,
                    f"issue date {rec.issue_date} + {terms} days of terms is past the year 9999",
                    "issue_date",
                )
                return None
        return (
            rec.id,
            rec.customer_id,
            rec.number or rec.id,
            self._iso(rec.issue_date),
            self._iso(due),
            currency,
            amount,
            1 if rec.void else 0,
            rec.description,
            balance,
            origin,
        )

    def _allocation(self, rec: Allocation) -> tuple[Any, ...] | None:
        origin = self._origin(rec, "payment", rec.payment_id)
        if rec.kind not in ALLOCATION_KINDS:
            self.problem(
                origin,
                f"{rec.kind!r} is not a payment kind ({', '.join(ALLOCATION_KINDS)})",
                "kind",
            )
            return None
        if rec.kind == "write_off" and not rec.invoice_id:
            self.problem(origin, "a write_off needs an invoice_id", "invoice_id")
        if rec.kind == "refund" and rec.invoice_id:
            self.problem(
                origin,
                "a refund must not have an invoice_id (it returns unapplied credit)",
                "invoice_id",
            )
        customer = self._customer_defaults(rec.customer_id)
        amount_text = None
        if (
            rec.currency is None
            and rec.invoice_id
            and (rec.customer_id in self._mixed or self._mixed_in_ledger(rec.customer_id))
        ):
            # The customer has invoices in more than one currency: a payment row without a
            # currency is in its invoice's currency, known once everything is loaded.
            currency = amount = None
            amount_text = str(rec.amount)
            self._deferred += 1
            if rec.amount <= 0:
                self.problem(origin, f"amount must be more than 0, not {rec.amount}", "amount")
        else:
            currency = rec.currency or (customer[0] if customer else None)
            currency = self._currency(currency, origin)
            amount = None
            if currency is not None:
                amount = self._minor(rec.amount, currency, origin, "amount")
                if amount is not None and amount <= 0:
                    self.problem(origin, f"amount must be more than 0, not {rec.amount}", "amount")
                    amount = None
        return (
            rec.payment_id,
            rec.invoice_id or "",
            rec.customer_id,
            self._iso(rec.date),
            amount,
            currency,
            rec.kind,
            rec.method,
            rec.reference,
            origin,
            amount_text,
        )

    # -- bulk rows (:class:`~collectctl.records.Rows`) ---------------------------------------
    # The same checks and defaults as _invoice and _allocation, on text: a row is taken here
    # only when every value is the usual kind (a known currency code, an ISO date already seen
    # to be one, a plain decimal with no more decimals than the currency has); any other row
    # becomes its record and goes through _invoice or _allocation, so its problems are theirs.

    def _date_text_ok(self, text: object) -> bool:
        """True when ``text`` is an ISO date as ``date.isoformat`` writes it (cached)."""
        if type(text) is not str:
            return False
        try:
            ok = date.fromisoformat(text).isoformat() == text
        except ValueError:
            ok = False
        if ok:
            self._date_texts.add(text)
        return ok

    def _units(self, text: object, exp: int) -> int | None:
        """Minor units of the decimal text ``text`` (``None`` unless it is a plain decimal of
        at most ``exp`` decimals, above 0 and within :data:`MAX_UNITS`)."""
        if type(text) is not str:
            return None
        whole, _, frac = text.partition(".")
        digits = whole + frac
        n = len(frac)
        if n > exp or len(digits) > 18 or not digits.isdigit() or not digits.isascii():
            return None  # (beyond MAX_UNITS anyway; int() refuses thousands of digits)
        units = int(digits) * (_POWERS[exp - n] if exp - n in _POWERS else 10 ** (exp - n))
        return units if 0 < units <= MAX_UNITS else None

    def _invoice_rows(self, rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Staged invoice rows from bulk rows (see :class:`~collectctl.records.Rows`)."""
        out: list[tuple[Any, ...]] = []
        add = out.append
        customers = self._customers
        exponents = self._exponents
        dates = self._date_texts
        dues = self._due
        complete = self.complete
        default_terms = self.default_terms
        for row in rows:
            iid, cust, issue, amount, number, due, currency, void, desc, origin = row
            customer = customers.get(cust)
            if customer is None and not complete:
                customer = self._customer_defaults(cust)
            code = currency or (customer[0] if customer else None)
            exp = exponents.get(code)  # type: ignore[arg-type]
            units = None if exp is None else self._units(amount, exp)
            if (
                units is None
                or not iid
                or not origin
                or (issue not in dates and not self._date_text_ok(issue))
                or (due is not None and due not in dates and not self._date_text_ok(due))
            ):
                staged = self._invoice(self._invoice_record(row))
                if staged:
                    add(staged)
                continue
            if due is None:
                terms = customer[1] if customer and customer[1] is not None else default_terms
                due = dues.get((issue, terms))
                if due is None:
                    try:
                        due = self._iso(date.fromisoformat(issue) + timedelta(days=terms))
                    except OverflowError:
                        staged = self._invoice(self._invoice_record(row))
                        if staged:
                            add(staged)
                        continue
                    dues[(issue, terms)] = due
            if customer and code != customer[0]:
                self._mixed.add(cust)
            add(
                (
                    iid,
                    cust,
                    number or iid,
                    issue,
                    due,
                    code,
                    units,
                    1 if void else 0,
                    desc,
                    None,
                    origin,
                )
            )
        return out

    def _allocation_rows(self, rows: Iterable[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
        """Staged allocation rows from bulk rows (see :class:`~collectctl.records.Rows`)."""
        out: list[tuple[Any, ...]] = []
        add = out.append
        customers = self._customers
        exponents = self._exponents
        dates = self._date_texts
        mixed = self._mixed
        complete = self.complete
        for row in rows:
            pid, cust, day, amount, inv, kind, currency, method, ref, origin = row
            customer = customers.get(cust)
            if customer is None and not complete:
                customer = self._customer_defaults(cust)
            code = currency or (customer[0] if customer else None)
            exp = exponents.get(code)  # type: ignore[arg-type]
            units = None if exp is None else self._units(amount, exp)
            if (
                units is None
                or not pid
                or not origin
                or kind not in ALLOCATION_KINDS
                or (kind == "write_off" and not inv)
                or (kind == "refund" and inv)
                # a payment row without a currency in a mixed-currency account waits for its
                # invoice's (see _allocation)
                or (currency is None and inv and (cust in mixed or self._mixed_in_ledger(cust)))
                or (day not in dates and not self._date_text_ok(day))
            ):
                staged = self._allocation(self._allocation_record(row))
                if staged:
                    add(staged)
                continue
            add((pid, inv or "", cust, day, units, code, kind, method, ref, origin, None))
        return out

    def _invoice_record(self, row: tuple[Any, ...]) -> Invoice:
        """The :class:`Invoice` a bulk row stands for."""
        return _row_record("invoice", row)  # type: ignore[return-value]

    def _allocation_record(self, row: tuple[Any, ...]) -> Allocation:
        """The :class:`Allocation` a bulk row stands for."""
        return _row_record("allocation", row)  # type: ignore[return-value]

    def _mixed_in_ledger(self, customer_ext: str) -> bool:
        """Incremental batches: whether the ledger holds an invoice of ``customer_ext`` in
        another currency than the customer's (asked once per customer)."""
        if self.complete or customer_ext in self._mixed_checked:
            return False
        self._mixed_checked.add(customer_ext)
        row = self.conn.execute(
            """SELECT 1 FROM main.customers c JOIN main.invoices i ON i.customer = c.id
               WHERE c.source = ? AND c.ext_id = ? AND i.currency != c.currency LIMIT 1""",
            (self.source, customer_ext),
        ).fetchone()
        if row is None:
            return False
        self._mixed.add(customer_ext)
        return True

    def _resolve_deferred_currencies(self) -> None:
        """Give deferred payment rows their invoice's currency and exact minor units."""
        if not self._deferred:
            return
        rows = self.conn.execute(
            """SELECT a.rowid, a.amount_text, a.origin, a.customer_ext,
                      (SELECT MIN(i.currency) FROM all_invoices i WHERE i.ext_id = a.invoice_ext)
               FROM st.s_allocations a WHERE a.amount_text IS NOT NULL"""
        ).fetchall()
        updates: list[tuple[Any, ...]] = []
        for rowid, text, origin, customer_ext, invoice_currency in rows:
            customer = self._customer_defaults(customer_ext)
            currency = self._currency(
                invoice_currency or (customer[0] if customer else None), origin
            )
            if currency is None:
                continue  # the unknown invoice or customer is reported by the checks
            amount = self._minor(Decimal(text), currency, origin, "amount")
            updates.append((currency, amount if amount is not None and amount > 0 else None, rowid))
        self.conn.executemany(
            "UPDATE st.s_allocations SET currency = ?, amount = ? WHERE rowid = ?", updates
        )

    def _number_repeats(self) -> None:
        """Give repeated (payment, invoice) rows a sequence number so each row has a key.

        Repeats are rare, so only the groups that have them are renumbered (the key index makes
        finding them a single ordered scan).
        """
        self.conn.execute(
            """
            UPDATE st.s_allocations AS a SET seq = r.n
            FROM (SELECT rowid AS rid, ROW_NUMBER() OVER (
                      PARTITION BY payment_id, invoice_ext ORDER BY rowid) AS n
                  FROM st.s_allocations
                  WHERE (payment_id, invoice_ext) IN (
                      SELECT payment_id, invoice_ext FROM st.s_allocations
                      GROUP BY payment_id, invoice_ext HAVING COUNT(*) > 1)) AS r
            WHERE a.rowid = r.rid AND r.n > 1
            """
        )

    # -- validation -----------------------------------------------------------------------
    def _views(self) -> None:
        """``temp.all_customers`` and ``temp.all_invoices``: every customer and invoice the
        batch may reference (views of the staged rows for a complete batch)."""
        src = _q(self.source)
        self.conn.execute("DROP VIEW IF EXISTS temp.all_customers")
        self.conn.execute("DROP VIEW IF EXISTS temp.all_invoices")
        if self.complete:
            self.conn.execute("CREATE TEMP VIEW all_customers AS SELECT ext_id FROM st.s_customers")
            self.conn.execute(
                "CREATE TEMP VIEW all_invoices AS SELECT ext_id, customer_ext, currency, amount,"
                " origin, void, issue_date FROM st.s_invoices"
            )
            return
        # Incremental: the staged rows and the ledger rows the batch refers to (not every
        # ledger row: a small batch against a big ledger stays small), in TEMP tables.
        x = self.conn.execute
        x("DROP TABLE IF EXISTS temp.inc_customers")
        x("DROP TABLE IF EXISTS temp.inc_invoices")
        x("CREATE TEMP TABLE inc_customers AS SELECT ext_id FROM st.s_customers")
        x(
            f"""INSERT INTO temp.inc_customers SELECT c.ext_id FROM main.customers c
            WHERE c.source = {src} AND c.ext_id IN (
                  SELECT customer_ext FROM st.s_invoices
                  UNION SELECT customer_ext FROM st.s_allocations)
              AND c.ext_id NOT IN (SELECT ext_id FROM st.s_customers)
              AND c.ext_id NOT IN (SELECT ext_id FROM st.s_deletions WHERE kind = 'customer')"""
        )
        x("CREATE INDEX temp.inc_customers_ext ON inc_customers (ext_id)")
        x(
            """CREATE TEMP TABLE inc_invoices AS SELECT ext_id, customer_ext, currency, amount,
               origin, void, issue_date FROM st.s_invoices"""
        )
        x(
            f"""INSERT INTO temp.inc_invoices
            SELECT i.ext_id, c.ext_id, i.currency, i.amount, 'invoice ' || i.ext_id, i.void,
                   i.issue_date
            FROM main.invoices i JOIN main.customers c ON c.id = i.customer
            WHERE i.source = {src} AND i.ext_id IN (
                  SELECT invoice_ext FROM st.s_allocations WHERE invoice_ext != '')
              AND i.ext_id NOT IN (SELECT ext_id FROM st.s_invoices)
              AND i.ext_id NOT IN (SELECT ext_id FROM st.s_deletions WHERE kind = 'invoice')"""
        )
        x(
            """CREATE INDEX temp.inc_invoices_ext ON inc_invoices
               (ext_id, customer_ext, currency, amount)"""
        )
        x("CREATE TEMP VIEW all_customers AS SELECT ext_id FROM temp.inc_customers")
        x(
            """CREATE TEMP VIEW all_invoices AS SELECT ext_id, customer_ext, currency, amount,
               origin, void, issue_date FROM temp.inc_invoices"""
        )

    def _validate(self) -> None:
        self._views()
        self._resolve_deferred_currencies()
        q = self.conn.execute
        for origin, ext_id, first in q(
            """SELECT c.origin, c.ext_id, (SELECT f.origin FROM st.s_customers f
                   WHERE f.ext_id = c.ext_id ORDER BY f.rowid LIMIT 1)
               FROM st.s_customers c WHERE EXISTS (SELECT 1 FROM st.s_customers d
                   WHERE d.ext_id = c.ext_id AND d.rowid < c.rowid)"""
        ):
            self.problem(origin, f"duplicate customer id {ext_id!r} (first at {first})", "id")
        for origin, ext_id, first in q(
            """SELECT i.origin, i.ext_id, (SELECT f.origin FROM st.s_invoices f
                   WHERE f.ext_id = i.ext_id ORDER BY f.rowid LIMIT 1)
               FROM st.s_invoices i WHERE EXISTS (SELECT 1 FROM st.s_invoices d
                   WHERE d.ext_id = i.ext_id AND d.rowid < i.rowid)"""
        ):
            self.problem(origin, f"duplicate invoice id {ext_id!r} (first at {first})", "id")
        for origin, ext_id, cust in q(
            """SELECT i.origin, i.ext_id, i.customer_ext FROM st.s_invoices i
               WHERE NOT EXISTS (SELECT 1 FROM all_customers c WHERE c.ext_id = i.customer_ext)"""
        ):
            self.problem(origin, f"invoice {ext_id!r}: unknown customer {cust!r}", "customer_id")
        # Every check of an allocation in one pass over the staged rows (each a lookup in a
        # covering index): its customer exists; its invoice exists, is its customer's and is in
        # its currency.
        # The invoice side is one index search per allocation: every invoice row with its
        # id (several only when the id is duplicated) grouped back onto the allocation.
        for origin, pid, cust, inv, cur, has_customer, invoices, owner, inv_cur in q(
            """SELECT * FROM (SELECT a.origin, a.payment_id, a.customer_ext, a.invoice_ext,
                   a.currency,
                   EXISTS (SELECT 1 FROM all_customers c WHERE c.ext_id = a.customer_ext) AS has_c,
                   CASE WHEN a.invoice_ext != '' THEN COUNT(i.ext_id) END AS n_inv,
                   MIN(CASE WHEN i.customer_ext != a.customer_ext THEN i.customer_ext END)
                       AS owner,
                   MIN(CASE WHEN i.currency != a.currency THEN i.currency END) AS inv_cur
               FROM st.s_allocations a LEFT JOIN all_invoices i
                 ON a.invoice_ext != '' AND i.ext_id = a.invoice_ext
               GROUP BY a.rowid)
               WHERE NOT has_c OR n_inv = 0 OR owner IS NOT NULL OR inv_cur IS NOT NULL"""
        ):
            if not has_customer:
                self.problem(origin, f"payment {pid!r}: unknown customer {cust!r}", "customer_id")
            if invoices == 0:
                self.problem(origin, f"payment {pid!r}: unknown invoice {inv!r}", "invoice_id")
            if owner is not None:
                self.problem(
                    origin,
                    f"payment {pid!r} is from customer {cust!r} but invoice {inv!r} belongs to "
                    f"customer {owner!r}",
                    "customer_id",
                )
            if inv_cur is not None:
                self.problem(
                    origin,
                    f"payment {pid!r} is in {cur} but invoice {inv!r} is in {inv_cur}",
                    "currency",
                )
        self._check_write_offs()

    def _check_write_offs(self) -> None:
        """A write-off may not exceed the invoice's open amount at the write-off's date (nothing
        is open on a void invoice, nor before the invoice's issue date)."""
        if self.complete:
            rows = self.conn.execute(
                """
                SELECT w.origin, w.invoice_ext, w.amount, w.date, w.currency,
                       (SELECT MAX(CASE WHEN i.void != 0 THEN 'void'
                                        WHEN i.issue_date > w.date THEN 'later' END)
                        FROM all_invoices i WHERE i.ext_id = w.invoice_ext),
                       -- nothing is open on a void invoice, nor before its issue date
                       (SELECT MIN(CASE WHEN i.void != 0 OR i.issue_date > w.date THEN 0
                                        ELSE i.amount END)
                        FROM all_invoices i WHERE i.ext_id = w.invoice_ext)
                       - COALESCE((SELECT SUM(o.amount) FROM st.s_allocations o
                                   WHERE o.invoice_ext = w.invoice_ext AND o.date <= w.date
                                     AND o.amount IS NOT NULL AND o.rowid != w.rowid), 0)
                FROM st.s_allocations w
                WHERE w.kind = 'write_off' AND w.invoice_ext != '' AND w.amount IS NOT NULL
                """
            ).fetchall()
        else:
            rows = self._incremental_write_offs()
        for origin, inv, amount, when, currency, why, open_ in rows:
            if open_ is None or currency is None:
                continue
            if amount > open_:
                reason = {
                    "void": f"; invoice {inv!r} is void: nothing on it can be written off",
                    "later": f"; invoice {inv!r} is issued after {when}",
                }.get(why, "")
                self.problem(
                    origin,
                    f"write_off of {format_minor(amount, currency)} is larger than the "
                    f"{format_minor(max(open_, 0), currency)} open on invoice {inv!r} on "
                    f"{when}{reason}",
                    "amount",
                )

    def _incremental_write_offs(self) -> list[tuple[Any, ...]]:
        """The write-offs an incremental batch must check, with what is open at their dates:
        the staged ones, and the ledger's that the batch keeps on an invoice whose amount or
        allocations it changes. The ledger's allocations that the batch neither replaces nor
        deletes count with the staged ones (found through the invoice: an index lookup per
        write-off, not a scan of the ledger)."""
        src = _q(self.source)
        x = self.conn.execute
        x("DROP TABLE IF EXISTS temp.inc_write_offs")
        # (origin, invoice, amount, date, currency, staged rowid | NULL, ledger id | NULL,
        #  the ledger's invoice key | NULL)
        x(
            f"""CREATE TEMP TABLE inc_write_offs AS
               SELECT w.origin, w.invoice_ext, w.amount, w.date, w.currency, w.rowid AS srid,
                      CAST(NULL AS INTEGER) AS lid,
                      (SELECT li.id FROM main.invoices li WHERE li.source = {src}
                         AND li.ext_id = w.invoice_ext) AS inv
               FROM st.s_allocations w
               WHERE w.kind = 'write_off' AND w.invoice_ext != '' AND w.amount IS NOT NULL"""
        )
        x(
            f"""INSERT INTO temp.inc_write_offs
            SELECT 'payment ' || w.payment_id, w.invoice_ext, w.amount, w.date, w.currency,
                   NULL, w.id, i.id
            FROM main.invoices i CROSS JOIN allocations w ON w.invoice = i.id
            WHERE i.source = {src} AND i.ext_id IN (
                      SELECT invoice_ext FROM st.s_allocations WHERE invoice_ext != ''
                      UNION SELECT ext_id FROM st.s_invoices)
              AND w.kind = 'write_off' AND w.source = {src}
              AND w.payment_id NOT IN (SELECT payment_id FROM st.s_allocations)
              AND w.payment_id NOT IN (SELECT ext_id FROM st.s_deletions WHERE kind = 'payment')"""
        )
        kept = f"""AND a.source = {src}
                  AND a.payment_id NOT IN (SELECT payment_id FROM st.s_allocations)
                  AND a.payment_id NOT IN (SELECT ext_id FROM st.s_deletions
                                           WHERE kind = 'payment')"""
        return x(
            f"""
            SELECT w.origin, w.invoice_ext, w.amount, w.date, w.currency,
                   (SELECT MAX(CASE WHEN i.void != 0 THEN 'void' WHEN i.issue_date > w.date
                                    THEN 'later' END)
                    FROM all_invoices i WHERE i.ext_id = w.invoice_ext),
                   (SELECT MIN(CASE WHEN i.void != 0 OR i.issue_date > w.date THEN 0
                                    ELSE i.amount END)
                    FROM all_invoices i WHERE i.ext_id = w.invoice_ext)
                   - COALESCE((SELECT SUM(o.amount) FROM st.s_allocations o
                               WHERE o.invoice_ext = w.invoice_ext AND o.date <= w.date
                                 AND o.amount IS NOT NULL
                                 AND (w.srid IS NULL OR o.rowid != w.srid)), 0)
                   - CASE WHEN w.inv IS NOT NULL THEN COALESCE(
                         (SELECT SUM(a.amount) FROM main.allocations a
                          WHERE a.invoice = w.inv AND a.date <= w.date
                            AND (w.lid IS NULL OR a.id != w.lid) {kept}), 0)
                     -- allocations left unlinked when an earlier batch deleted the invoice
                     ELSE COALESCE(
                         (SELECT SUM(a.amount) FROM main.allocations a
                          WHERE a.invoice IS NULL AND a.invoice_ext = w.invoice_ext
                            AND a.date <= w.date {kept}), 0) END
            FROM temp.inc_write_offs w
            """
        ).fetchall()


def _row_record(kind: str, row: tuple[Any, ...]) -> Invoice | Allocation:
    """:func:`~collectctl.records.row_record`; a row not as :class:`Rows` describes is the
    source's bug (a TypeError, reported as the source failing)."""
    try:
        return row_record(kind, row)
    except ValueError as exc:
        raise TypeError(str(exc)) from exc


def _problem_order(text: str) -> tuple[str, int, str]:
    head = text.split(": ", 1)[0]
    m = _ORIGIN.match(head)
    if m:
        return (m["file"], int(m["line"]), text)
    return (head, 0, text)

"""Deterministic generator of collectctl CSV books (contracts §2) for benchmarks and tests.

Writes ``customers.csv``, ``invoices.csv`` and ``payments.csv`` for a given number of invoices:

- skewed customer sizes: most customers have a handful to a few dozen invoices (about 18 on
  average, a long tail to a few hundred), and a few very large accounts hold 1-4% of all
  invoices each (tens of thousands at 1M);
- two years of history ending on the report date (``end``, default 2026-10-31); about 2% of
  the payments are dated up to ten days *after* it (entered ahead, post-dated), so an aging as
  of the report date has to take them back out;
- five currencies: USD, EUR, GBP, JPY (0 decimals) and BHD (3 decimals); every amount is an
  integer of minor units formatted exactly, so it is always a whole number of minor units;
  about 10% of the customers also have invoices in a second currency (always stated on the
  invoice and its payments);
- customer names as they come: about 5% long (60-120 characters) with non-ASCII letters
  (accents, CJK, Arabic), quotes and commas;
- about 1.1 payment rows per invoice: payments in full, partial payments, split payments (one id
  over 2-3 invoices of the same customer), overpayments, payments on account (no invoice),
  credit notes (``kind`` credit), write-offs (never more than what is left open on the invoice
  after every payment and credit to it, whatever their dates) and refunds (never more than the
  unapplied payment they return, dated after it);
- about 1% void invoices (no allocations point at them);
- about 30% of the invoices without ``due_date`` (the customer's ``terms_days``, else 30 days,
  apply) and about 30% of the invoice and payment rows without ``currency`` (the customer's,
  else the profile's USD, applies).

:class:`Variety` holds the knobs of the variations above; ``Variety.plain()`` turns them off
(one currency per customer, 5-35 invoices each, short ASCII-ish names, nothing after the
report date): the books the benchmarks used before issue #16.

Output is a pure function of ``(invoices, seed, end, variety)``: a seeded
:class:`random.Random`, no wall clock, no hash ordering. It streams: one customer's rows at a
time, so memory stays flat and a million invoices take about a minute.

Use it as a module::

    from benchmarks.generate import generate
    stats = generate(Path("data/100k"), 100_000, seed=2026)

or from the shell::

    python benchmarks/generate.py --invoices 100000 --out benchmarks/data/100k [--end 2026-10-31]
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import sys
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")

#: The default report date: the last day invoices are issued (a few payments come after it).
END = date(2026, 10, 31)
#: Days of history (two years): issue dates run from ``START`` to ``END``.
HISTORY_DAYS = 730
START = END - timedelta(days=HISTORY_DAYS - 1)
DEFAULT_SEED = 2026

CUSTOMER_COLUMNS = (
    "id",
    "name",
    "email",
    "phone",
    "address",
    "kind",
    "currency",
    "timezone",
    "terms_days",
)
INVOICE_COLUMNS = (
    "id",
    "customer_id",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "status",
    "description",
)
PAYMENT_COLUMNS = (
    "id",
    "customer_id",
    "date",
    "amount",
    "invoice_id",
    "kind",
    "currency",
    "method",
    "reference",
)

#: ISO 4217 minor-unit exponents of the generated currencies.
EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "BHD": 3}
_CURRENCIES = ("USD", "EUR", "GBP", "JPY", "BHD")
_CURRENCY_CUM = tuple(accumulate((50, 20, 15, 10, 5)))
#: Invoice size per currency in whole major units: small, medium and large tiers.
_TIERS = {
    "USD": ((80, 900), (900, 6_000), (6_000, 40_000)),
    "EUR": ((70, 800), (800, 5_500), (5_500, 35_000)),
    "GBP": ((60, 700), (700, 5_000), (5_000, 30_000)),
    "JPY": ((8_000, 100_000), (100_000, 800_000), (800_000, 5_000_000)),
    "BHD": ((30, 350), (350, 2_300), (2_300, 15_000)),
}
_TIER_CUM = tuple(accumulate((60, 32, 8)))
_SUFFIX = {
    "USD": ("Inc.", "LLC", "Co.", "Corp."),
    "EUR": ("GmbH", "SARL", "B.V.", "S.L.", "AG"),
    "GBP": ("Ltd", "LLP", "plc"),
    "JPY": ("K.K.", "G.K."),
    "BHD": ("W.L.L.", "B.S.C."),
}
_TIMEZONES = {
    "USD": ("America/New_York", "America/Chicago", "America/Los_Angeles", "America/Denver"),
    "EUR": ("Europe/Berlin", "Europe/Paris", "Europe/Madrid", "Europe/Amsterdam"),
    "GBP": ("Europe/London",),
    "JPY": ("Asia/Tokyo",),
    "BHD": ("Asia/Bahrain",),
}
_CITIES = {
    "USD": ("Springfield, IL 62701", "Austin, TX 78701", "Portland, OR 97201", "Denver, CO 80202"),
    "EUR": ("10115 Berlin", "75002 Paris", "28013 Madrid", "1012 AB Amsterdam"),
    "GBP": ("Leeds LS1 4DY", "Bristol BS1 5TR", "London EC1V 9HX"),
    "JPY": ("Chiyoda-ku, Tokyo 100-0005", "Kita-ku, Osaka 530-0001"),
    "BHD": ("Manama 317", "Muharraq 214"),
}
_COUNTRY = {
    "USD": "United States",
    "EUR": "European Union",
    "GBP": "United Kingdom",
    "JPY": "Japan",
    "BHD": "Bahrain",
}
_ADJECTIVES = (
    *("Acme", "Blue", "Northern", "Bright", "Summit", "Harbor", "Granite", "Silver", "Cedar"),
    *("Atlas", "Pioneer", "Quantum", "Maple", "Orbit", "Vertex", "Copper", "Lumen", "Nimbus"),
    *("Falcon", "Juniper", "Meridian", "Keystone", "Redwood", "Coastal", "Polar"),
)
_NOUNS = (
    *("Widgets", "Logistics", "Studios", "Analytics", "Foods", "Robotics", "Media", "Dental"),
    *("Builders", "Labs", "Consulting", "Textiles", "Outfitters", "Bakery", "Systems"),
    *("Design", "Imports", "Marine", "Energy", "Clinic", "Printing", "Software"),
)
_FIRST = ("Ana", "Ben", "Chloe", "David", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas")
_LAST = ("Smith", "Garcia", "Müller", "Rossi", "Tanaka", "Dubois", "Okafor", "O'Brien", "Kim")
_STREETS = {
    "USD": ("Main St", "Market Street", "Oak Avenue"),
    "EUR": ("Hauptstraße", "Rue de Rivoli", "Calle Mayor", "Keizersgracht"),
    "GBP": ("High Street", "Harbour Lane", "Station Road"),
    "JPY": ("Marunouchi 1-chome", "Umeda 2-chome"),
    "BHD": ("Road 1701, Block 317", "Government Avenue"),
}
_DESCRIPTIONS = (
    "Website maintenance",
    "Consulting hours",
    "Logo and brand design",
    "Monthly retainer",
    "Hosting, annual",
    "Copywriting (3 articles)",
    "Photography session",
    "Data migration",
    "Workshop facilitation",
    "Support contract",
    "Translation services",
    "Mobile app sprint",
    "",
)
_METHODS = ("bank transfer", "card", "check", "ach", "sepa", "paypal", "")
_TERMS = ("", "14", "30", "30", "45", "60")

#: Long names with non-ASCII letters, quotes and commas (see :meth:`_Generator.long_name`).
_LONG_PARTS = {
    "USD": ("Société Générale d'Équipement", "Zoë & Renée O'Connor-Núñez", "Müller–Łukasiewicz"),
    "EUR": ("Bäckerei Größenwahn", "Ørsted Å/S Kølleskov", "Ærø Fiskerø", "Crème Brûlée Façade"),
    "GBP": ("Ffion ap Siôn & Dafydd Llŷr", 'The "Olde" Tea Shoppe, Tŷ Gwyn'),
    "JPY": ("株式会社 東京システム開発", "大阪ロボティクス合同会社", "ミナミ物産"),
    "BHD": ("شركة البحرين للتجارة", "مؤسسة المنامة", "Al-Muḥarraq Trading"),
}
_LONG_TAILS = (
    "— Département Recouvrement Nord-Est",
    "(Zweigniederlassung Süd), Abt. Debitorenbuchhaltung",
    ", Accounts Payable, attn. Ms. Ångström-Vřešťál",
    "– Filial São João d'Ávila, Setor Financeiro",
    "/ 経理部 債権管理課",
)

# Day indices: 0 is the first day of history, HISTORY_DAYS - 1 the report date; due dates and
# a few payments may run past it.
_LAST_DAY = HISTORY_DAYS - 1


def _day_table(end: date) -> tuple[list[str], list[int]]:
    """ISO text and year of every day index of the history ending on ``end`` (and 200 after)."""
    start = end - timedelta(days=HISTORY_DAYS - 1)
    days = [start + timedelta(days=i) for i in range(HISTORY_DAYS + 200)]
    return [d.isoformat() for d in days], [d.year for d in days]


@dataclass(frozen=True, slots=True)
class Variety:
    """How far the generated books stray from the tidy case (issue #16's "books that vary").

    Shares are probabilities per customer or per payment; ``Variety.plain()`` switches every
    variation off.
    """

    #: customers whose invoices are partly in a second currency
    second_currency: float = 0.10
    #: customers with a long name holding non-ASCII letters
    long_names: float = 0.05
    #: draw customer sizes from a long-tailed distribution (else 5-35 invoices each)
    skewed_sizes: bool = True
    #: large accounts per 250k invoices (at least one from 1,000 invoices up), 1-4% of all each
    whales_per_250k: int = 1
    #: payments may be dated up to this many days after the report date
    days_after_end: int = 10

    @classmethod
    def plain(cls) -> Variety:
        """The tidy books: no variation at all."""
        return cls(0.0, 0.0, False, 0, 0)

    def whale_sizes(self, invoices: int, draw: Callable[[], float]) -> list[int]:
        """Sizes of the very large accounts for a data set of ``invoices``."""
        if invoices < 1000 or not self.whales_per_250k:
            return []
        count = max(1, invoices * self.whales_per_250k // 250_000)
        return [max(5, int(invoices * (0.01 + 0.03 * draw()))) for _ in range(count)]


def format_minor(units: int, exponent: int) -> str:
    """Integer minor units as a plain decimal string: ``(123456, 2)`` -> ``'1234.56'``."""
    if exponent == 0:
        return str(units)
    whole, frac = divmod(units, 10**exponent)
    return f"{whole}.{frac:0{exponent}d}"


@dataclass(slots=True)
class Stats:
    """Counts of what :func:`generate` wrote."""

    customers: int = 0
    invoices: int = 0
    void_invoices: int = 0
    payment_rows: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    split_payments: int = 0
    unapplied_payments: int = 0
    overpayments: int = 0
    second_currency_customers: int = 0
    largest_customer: int = 0
    after_end_payments: int = 0

    def as_dict(self) -> dict[str, object]:
        """The counts as a JSON-friendly dict."""
        return {
            "customers": self.customers,
            "invoices": self.invoices,
            "void_invoices": self.void_invoices,
            "payment_rows": self.payment_rows,
            "by_kind": dict(sorted(self.by_kind.items())),
            "split_payments": self.split_payments,
            "unapplied_payments": self.unapplied_payments,
            "overpayments": self.overpayments,
            "second_currency_customers": self.second_currency_customers,
            "largest_customer": self.largest_customer,
            "after_end_payments": self.after_end_payments,
        }


@dataclass(slots=True)
class _Invoice:
    """One generated invoice and what the generator decided about its payment."""

    id: str
    issue: int
    due: int
    amount: int
    void: bool
    full_pay_day: int = -1  # day of a single full payment (split-payment candidate), or -1


class _Generator:
    """Holds the random stream and id counters; writes one customer at a time."""

    def __init__(self, seed: int, end: date = END, variety: Variety | None = None) -> None:
        self.rng = random.Random(seed)
        self.variety = variety if variety is not None else Variety()
        self.day_str, self.day_year = _day_table(end)
        self.rand = self.rng.random
        self.next_payment = 0
        self.next_credit = 0
        self.next_write_off = 0
        self.next_refund = 0
        self.next_invoice = 0
        self.stats = Stats()

    # -- small helpers -----------------------------------------------------------------------
    # ``random.Random.randint``/``choice`` go through several Python-level calls each; these
    # draw from the same seeded stream with one ``random()`` call (measurably faster at 1M).

    def ri(self, lo: int, hi: int) -> int:
        """A uniform integer in ``[lo, hi]``."""
        return lo + int(self.rand() * (hi - lo + 1))

    def ch(self, seq: Sequence[_T]) -> _T:
        """A uniform element of ``seq``."""
        return seq[int(self.rand() * len(seq))]

    def wch(self, seq: Sequence[_T], cum_weights: Sequence[int]) -> _T:
        """An element of ``seq`` drawn with cumulative integer weights ``cum_weights``."""
        return seq[bisect_right(cum_weights, int(self.rand() * cum_weights[-1]))]

    def _pid(self) -> str:
        self.next_payment += 1
        return f"P{self.next_payment:08d}"

    def _amount(self, currency: str) -> int:
        """A random invoice total in minor units of ``currency``."""
        lo, hi = self.wch(_TIERS[currency], _TIER_CUM)
        major = self.ri(lo, hi)
        exp = EXPONENTS[currency]
        if exp == 0:
            return major - major % 100 if major > 1000 else major
        if self.rand() < 0.5:
            return major * 10**exp  # a round amount
        return major * 10**exp + int(self.rand() * 10**exp)

    def customer_size(self) -> int:
        """Invoices of an ordinary customer: long-tailed (mean about 18), or 5-35 when plain."""
        if not self.variety.skewed_sizes:
            return self.ri(5, 35)
        return min(400, max(1, int(math.exp(self.rng.gauss(2.5, 0.9)))))

    def long_name(self, currency: str) -> str:
        """A long customer name (60-120 characters) with non-ASCII letters."""
        name = f"{self.ch(_LONG_PARTS[currency])} {self.ch(_ADJECTIVES)} {self.ch(_NOUNS)}"
        name = f"{name} {self.ch(_SUFFIX[currency])} {self.ch(_LONG_TAILS)}"
        while len(name) < 60:
            name = f"{name} {self.ch(_LONG_PARTS[self.ch(_CURRENCIES)])}"
        return name[:120].rstrip()

    def second_currency(self, currency: str) -> str | None:
        """Another currency this customer is also invoiced in, or None."""
        if self.rand() >= self.variety.second_currency:
            return None
        other = self.wch(_CURRENCIES, _CURRENCY_CUM)
        return other if other != currency else self.ch([c for c in _CURRENCIES if c != currency])

    def _part(self, units: int, lo_pct: int, hi_pct: int) -> int:
        """A share of ``units`` (whole minor units), strictly between 0 and ``units``."""
        part = units * self.ri(lo_pct, hi_pct) // 100
        return min(max(part, 1), units - 1)

    # -- one customer ------------------------------------------------------------------------

    def customer_row(self, number: int) -> tuple[list[str], str, int]:
        """A customer row; returns it with its currency and effective terms in days."""
        cid = f"C{number:06d}"
        currency = self.wch(_CURRENCIES, _CURRENCY_CUM)
        consumer = self.rand() < 0.08
        if consumer:
            name = f"{self.ch(_FIRST)} {self.ch(_LAST)}"
            kind = "consumer"
        else:
            name = f"{self.ch(_ADJECTIVES)} {self.ch(_NOUNS)} {self.ch(_SUFFIX[currency])}"
            if self.rand() < 0.02:
                name = f'{self.ch(_LAST)}, {self.ch(_LAST)} & "Partners" {name}'
            kind = "business" if self.rand() < 0.5 else ""
        if self.variety.long_names and self.rand() < self.variety.long_names:
            name = self.long_name(currency)
        slug = "".join(ch for ch in name.lower() if ch.isascii() and ch.isalnum())[:16]
        email = f"ap@{slug}{number}.example" if self.rand() < 0.7 else ""
        phone = f"+1-555-{int(self.rand() * 10_000):04d}" if self.rand() < 0.5 else ""
        address = ""
        if self.rand() < 0.6:
            address = (
                f"{self.ri(1, 250)} {self.ch(_STREETS[currency])}\n"
                f"{self.ch(_CITIES[currency])}\n{_COUNTRY[currency]}"
            )
        terms = self.ch(_TERMS)
        currency_cell = "" if currency == "USD" and self.rand() < 0.5 else currency
        tz = self.ch(_TIMEZONES[currency]) if self.rand() < 0.8 else ""
        row = [cid, name, email, phone, address, kind, currency_cell, tz, terms]
        return row, currency, int(terms) if terms else 30

    def customer_books(
        self,
        cid: str,
        currency: str,
        terms: int,
        count: int,
        *,
        foreign: bool = False,
    ) -> tuple[list[list[str]], list[tuple[int, str, list[str]]]]:
        """``count`` invoice rows for one customer and their payment rows (sort key first).

        ``foreign``: invoices in a currency other than the customer's own, so every invoice and
        payment row states its currency, and no money is put on account (unapplied credit stays
        in the customer's currency).
        """
        exp = EXPONENTS[currency]
        day_str, day_year = self.day_str, self.day_year
        # Payments may come in up to this day index (past the report date: entered ahead).
        last_pay_day = _LAST_DAY + self.variety.days_after_end
        fmt = format_minor
        # Payer behaviour: typical delay after the due date and the odds of never paying.
        profile = self.rand()
        if profile < 0.6:
            base_delay, bad_odds = self.ri(-10, 8), 0.02
        elif profile < 0.9:
            base_delay, bad_odds = self.ri(10, 45), 0.06
        else:
            base_delay, bad_odds = self.ri(30, 100), 0.25
        first_day = 0 if self.rand() < 0.7 else self.ri(0, _LAST_DAY - 60)
        issues = sorted(self.ri(first_day, _LAST_DAY) for _ in range(count))

        inv_rows: list[list[str]] = []
        pay_rows: list[tuple[int, str, list[str]]] = []
        invoices: list[_Invoice] = []
        kinds = self.stats.by_kind

        def pay(day: int, pid: str, units: int, invoice_id: str, kind: str = "payment") -> None:
            method = self.ch(_METHODS) if kind == "payment" else ""
            cur = currency if foreign or self.rand() < 0.7 else ""
            ref = f"TX-{pid}" if kind == "payment" and method else ""
            pay_rows.append(
                (
                    day,
                    pid,
                    [
                        pid,
                        cid,
                        day_str[day],
                        fmt(units, exp),
                        invoice_id,
                        kind if kind != "payment" or self.rand() < 0.5 else "",
                        cur,
                        method,
                        ref,
                    ],
                )
            )
            kinds[kind] = kinds.get(kind, 0) + 1
            if day > _LAST_DAY:
                self.stats.after_end_payments += 1

        for issue in issues:
            self.next_invoice += 1
            iid = f"INV{self.next_invoice:08d}"
            amount = self._amount(currency)
            explicit_due = self.rand() < 0.7
            own_terms = self.ch((7, 14, 30, 30, 45, 60)) if explicit_due else terms
            due = issue + own_terms
            void = self.rand() < 0.01
            inv = _Invoice(iid, issue, due, amount, void)
            invoices.append(inv)
            inv_rows.append(
                [
                    iid,
                    cid,
                    f"{day_year[issue]}-{self.next_invoice:07d}",
                    day_str[issue],
                    day_str[due] if explicit_due else "",
                    currency if foreign or self.rand() < 0.7 else "",
                    fmt(amount, exp),
                    "void" if void else "",
                    self.ch(_DESCRIPTIONS),
                ]
            )
            if void:
                self.stats.void_invoices += 1
                continue

            # Money on account now and then, sometimes partly refunded later.
            if not foreign and self.rand() < 0.03:
                day = self.ri(issue, min(_LAST_DAY, issue + 60))
                units = self._amount(currency) // self.ri(2, 10) or 1
                pid = self._pid()
                pay(day, pid, units, "")
                self.stats.unapplied_payments += 1
                if day < _LAST_DAY and self.rand() < 0.4:
                    self.next_refund += 1
                    back = units if self.rand() < 0.5 or units < 2 else self._part(units, 10, 90)
                    pay(
                        self.ri(day + 1, _LAST_DAY), f"RF{self.next_refund:07d}", back, "", "refund"
                    )

            pay_day = max(issue, due + base_delay + self.ri(-7, 21))
            if self.rand() < bad_odds:
                # Never paid in full: maybe a part payment, maybe written off later.
                paid_day = -1
                paid = 0
                if self.rand() < 0.4 and issue + 20 <= _LAST_DAY:
                    paid_day = self.ri(issue + 20, min(_LAST_DAY, issue + 90))
                    paid = self._part(amount, 10, 60)
                    pay(paid_day, self._pid(), paid, iid)
                if due + 150 <= _LAST_DAY and self.rand() < 0.4:
                    wo_day = max(paid_day, self.ri(due + 150, min(_LAST_DAY, due + 220)))
                    open_units = amount - paid
                    wo = open_units if self.rand() < 0.7 else self._part(open_units, 30, 90)
                    if wo > 0:
                        self.next_write_off += 1
                        pay(wo_day, f"WO{self.next_write_off:07d}", wo, iid, "write_off")
            elif pay_day > last_pay_day:
                # Not yet due or not yet paid: sometimes a deposit has come in.
                if self.rand() < 0.15:
                    pay(self.ri(issue, _LAST_DAY), self._pid(), self._part(amount, 20, 50), iid)
            else:
                mode = self.rand()
                if mode < 0.08:
                    # Credit note for part of it, the rest paid.
                    self.next_credit += 1
                    credit = self._part(amount, 5, 40)
                    c_day = self.ri(issue, pay_day)
                    pay(c_day, f"CN{self.next_credit:07d}", credit, iid, "credit")
                    pay(pay_day, self._pid(), amount - credit, iid)
                elif mode < 0.2:
                    # Two instalments.
                    first = self._part(amount, 20, 70)
                    pay(self.ri(issue, pay_day), self._pid(), first, iid)
                    pay(pay_day, self._pid(), amount - first, iid)
                elif mode < 0.205:
                    # Overpaid: the excess becomes unapplied credit.
                    pay(pay_day, self._pid(), amount + self._part(amount, 1, 20), iid)
                    self.stats.overpayments += 1
                else:
                    inv.full_pay_day = pay_day

        # Single full payments: some customers pay 2-3 invoices with one transfer.
        i = 0
        while i < len(invoices):
            inv = invoices[i]
            if inv.full_pay_day < 0:
                i += 1
                continue
            group = [inv]
            if self.rand() < 0.15:
                want = self.ri(2, 3)
                j = i + 1
                while j < len(invoices) and len(group) < want and invoices[j].full_pay_day >= 0:
                    group.append(invoices[j])
                    j += 1
            pid = self._pid()
            day = max(g.full_pay_day for g in group)
            for g in group:
                pay(day, pid, g.amount, g.id)
            if len(group) > 1:
                self.stats.split_payments += 1
            i += len(group)

        pay_rows.sort(key=lambda r: (r[0], r[1]))
        return inv_rows, pay_rows


def generate(
    out_dir: Path | str,
    invoices: int,
    seed: int = DEFAULT_SEED,
    *,
    end: date = END,
    variety: Variety | None = None,
) -> Stats:
    """Write ``customers.csv``, ``invoices.csv`` and ``payments.csv`` into ``out_dir``.

    ``invoices`` is the exact number of invoice rows; ``end`` the report date (the last issue
    date; a few payments are dated up to ``variety.days_after_end`` days after it). The same
    arguments always give byte-identical files. Returns what was written.
    """
    if invoices < 1:
        raise ValueError("invoices must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(seed, end, variety)
    stats = gen.stats
    with (
        open(out / "customers.csv", "w", newline="", encoding="utf-8") as cf,
        open(out / "invoices.csv", "w", newline="", encoding="utf-8") as inf,
        open(out / "payments.csv", "w", newline="", encoding="utf-8") as pf,
    ):
        customers, inv_w, pay_w = csv.writer(cf), csv.writer(inf), csv.writer(pf)
        customers.writerow(CUSTOMER_COLUMNS)
        inv_w.writerow(INVOICE_COLUMNS)
        pay_w.writerow(PAYMENT_COLUMNS)
        left = invoices
        number = 0
        # The very large accounts come at evenly spaced points of the file.
        whales = gen.variety.whale_sizes(invoices, gen.rand)
        whale_at = [invoices - invoices * (k + 1) // (len(whales) + 1) for k in range(len(whales))]
        while left > 0:
            number += 1
            row, currency, terms = gen.customer_row(number)
            customers.writerow(row)
            if whales and left <= whale_at[0]:
                whale_at.pop(0)
                count = min(left, whales.pop(0))
            else:
                count = min(left, gen.customer_size())
            other = gen.second_currency(currency) if count > 1 else None
            foreign = count // 3 if other else 0
            inv_rows, pay_rows = gen.customer_books(row[0], currency, terms, count - foreign)
            if foreign and other:
                more_inv, more_pay = gen.customer_books(row[0], other, terms, foreign, foreign=True)
                inv_rows += more_inv
                pay_rows = sorted(pay_rows + more_pay, key=lambda r: (r[0], r[1]))
                stats.second_currency_customers += 1
            inv_w.writerows(inv_rows)
            pay_w.writerows(r[2] for r in pay_rows)
            left -= count
            stats.payment_rows += len(pay_rows)
            stats.largest_customer = max(stats.largest_customer, count)
        stats.customers = number
        stats.invoices = invoices
    return stats


def parse_count(text: str) -> int:
    """``'100000'``, ``'100k'`` or ``'1M'`` -> an int."""
    t = text.strip().lower().replace("_", "")
    scale = 1
    if t.endswith("k"):
        t, scale = t[:-1], 1_000
    elif t.endswith("m"):
        t, scale = t[:-1], 1_000_000
    return int(t) * scale


def main(argv: Sequence[str] | None = None) -> int:
    """CLI entry: ``python benchmarks/generate.py --invoices 100k --out DIR [--seed N]``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--invoices", type=parse_count, required=True, help="e.g. 100000, 100k, 1M")
    parser.add_argument("--out", type=Path, required=True, help="directory for the three CSVs")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--end",
        type=date.fromisoformat,
        default=END,
        help=f"report date: the last issue date (default {END})",
    )
    parser.add_argument(
        "--plain", action="store_true", help="no variation (the pre-#16 books; see Variety)"
    )
    args = parser.parse_args(argv)
    variety = Variety.plain() if args.plain else None
    stats = generate(args.out, args.invoices, seed=args.seed, end=args.end, variety=variety)
    print(
        f"wrote {stats.customers} customers, {stats.invoices} invoices, "
        f"{stats.payment_rows} payment rows to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

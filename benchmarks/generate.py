"""Deterministic generator of collectctl CSV books (contracts §2) for benchmarks and tests.

Writes ``customers.csv``, ``invoices.csv`` and ``payments.csv`` for a given number of invoices:

- about 20 invoices per customer (5 to 35), two years of history ending 2026-10-31;
- five currencies: USD, EUR, GBP, JPY (0 decimals) and BHD (3 decimals); every amount is an
  integer of minor units formatted exactly, so it is always a whole number of minor units;
- about 1.1 payment rows per invoice: payments in full, partial payments, split payments (one id
  over 2-3 invoices of the same customer), overpayments, payments on account (no invoice),
  credit notes (``kind`` credit), write-offs (never more than what is left open on the invoice
  after every payment and credit to it, whatever their dates) and refunds (never more than the
  unapplied payment they return, dated after it);
- about 1% void invoices (no allocations point at them);
- some invoices without ``due_date`` (the customer's ``terms_days``, else 30 days, apply) and some
  rows without ``currency`` (the customer's, else the profile's USD, applies).

Output is a pure function of ``(invoices, seed)``: a seeded :class:`random.Random`, no wall clock,
no hash ordering. It streams: one customer's rows at a time, so memory stays flat and a million
invoices take well under a minute.

Use it as a module::

    from benchmarks.generate import generate
    stats = generate(Path("data/100k"), 100_000, seed=2026)

or from the shell::

    python benchmarks/generate.py --invoices 100000 --out benchmarks/data/100k
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import accumulate
from pathlib import Path
from typing import TypeVar

_T = TypeVar("_T")

#: The last day of generated history; nothing is dated after it.
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

# Day indices: 0 is START, HISTORY_DAYS - 1 is END; due dates may run past END.
_LAST_DAY = HISTORY_DAYS - 1
_DAY_STR = [(START + timedelta(days=i)).isoformat() for i in range(HISTORY_DAYS + 200)]
_DAY_YEAR = [(START + timedelta(days=i)).year for i in range(HISTORY_DAYS + 200)]


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

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
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
        self, cid: str, currency: str, terms: int, count: int
    ) -> tuple[list[list[str]], list[tuple[int, str, list[str]]]]:
        """``count`` invoice rows for one customer and their payment rows (sort key first)."""
        exp = EXPONENTS[currency]
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
            cur = currency if self.rand() < 0.7 else ""
            ref = f"TX-{pid}" if kind == "payment" and method else ""
            pay_rows.append(
                (
                    day,
                    pid,
                    [
                        pid,
                        cid,
                        _DAY_STR[day],
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
                    f"{_DAY_YEAR[issue]}-{self.next_invoice:07d}",
                    _DAY_STR[issue],
                    _DAY_STR[due] if explicit_due else "",
                    currency if self.rand() < 0.6 else "",
                    fmt(amount, exp),
                    "void" if void else "",
                    self.ch(_DESCRIPTIONS),
                ]
            )
            if void:
                self.stats.void_invoices += 1
                continue

            # Money on account now and then, sometimes partly refunded later.
            if self.rand() < 0.03:
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
            elif pay_day > _LAST_DAY:
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


def generate(out_dir: Path | str, invoices: int, seed: int = DEFAULT_SEED) -> Stats:
    """Write ``customers.csv``, ``invoices.csv`` and ``payments.csv`` into ``out_dir``.

    ``invoices`` is the exact number of invoice rows; customers get 5-35 invoices each (about 20).
    The same ``(invoices, seed)`` always gives byte-identical files. Returns what was written.
    """
    if invoices < 1:
        raise ValueError("invoices must be at least 1")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    gen = _Generator(seed)
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
        while left > 0:
            number += 1
            row, currency, terms = gen.customer_row(number)
            customers.writerow(row)
            count = min(left, gen.ri(5, 35))
            inv_rows, pay_rows = gen.customer_books(row[0], currency, terms, count)
            inv_w.writerows(inv_rows)
            pay_w.writerows(r[2] for r in pay_rows)
            left -= count
            stats.payment_rows += len(pay_rows)
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
    args = parser.parse_args(argv)
    stats = generate(args.out, args.invoices, seed=args.seed)
    print(
        f"wrote {stats.customers} customers, {stats.invoices} invoices, "
        f"{stats.payment_rows} payment rows to {args.out}",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

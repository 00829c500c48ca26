"""An independent checker for CSV books (contracts §2) and a reference aging (§3).

It shares no code with collectctl on purpose: it is the yardstick the generator, the example data
and the core's numbers are held against. It keeps every invoice in memory, so use it on data sets
up to a few hundred thousand invoices.

    python benchmarks/check.py DIR [--as-of 2026-11-30]

prints the problems found (exit 1 if any) and the customer aging totals per currency.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

#: Minor-unit exponents of the currencies the example and benchmark data use.
EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "BHD": 3, "CHF": 2, "CAD": 2}
KINDS = ("payment", "credit", "write_off", "refund")
DEFAULT_BOUNDS = (30, 60, 90)


@dataclass(slots=True)
class Inv:
    """An invoice as the checker needs it."""

    id: str
    customer_id: str
    currency: str
    issue: date
    due: date
    amount: int
    void: bool
    line: int
    allocated: list[tuple[date, int, str]] = field(default_factory=list)


@dataclass(slots=True)
class Books:
    """Everything read from one directory."""

    customers: dict[str, dict[str, str]] = field(default_factory=dict)
    currency: dict[str, str] = field(default_factory=dict)
    invoices: dict[str, Inv] = field(default_factory=dict)
    #: customer id -> [(date, signed minor units)] of unapplied credit movements (+ credit).
    unapplied: dict[tuple[str, str], list[tuple[date, int, str]]] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of a CSV file with the line each record starts on (header is line 1)."""
    with open(path, newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        start = 2
        for row in reader:
            yield start, {k: (v or "").strip() for k, v in row.items() if k is not None}
            start = reader.line_num + 1


def _minor(text: str, currency: str) -> int:
    """Exact minor units of a plain decimal string, or ValueError."""
    value = Decimal(text)
    scaled = value.scaleb(EXPONENTS[currency])
    if scaled != scaled.to_integral_value() or "e" in text.lower():
        raise ValueError(f"{text} is not a whole number of {currency} minor units")
    return int(scaled)


def load(directory: Path) -> Books:
    """Read and validate the three CSVs; problems are collected in :attr:`Books.problems`."""
    b = Books()
    bad = b.problems.append
    for line, r in _rows(directory / "customers.csv"):
        cid = r["id"]
        if not cid or not r.get("name"):
            bad(f"customers.csv:{line}: id and name are required")
        if cid in b.customers:
            bad(f"customers.csv:{line}: duplicate customer id {cid}")
        if r.get("kind", "") not in ("", "business", "consumer"):
            bad(f"customers.csv:{line}: kind {r['kind']!r}")
        cur = r.get("currency") or "USD"
        if cur not in EXPONENTS:
            bad(f"customers.csv:{line}: currency {cur!r}")
        b.customers[cid] = r
        b.currency[cid] = cur
    for line, r in _rows(directory / "invoices.csv"):
        iid, cid = r["id"], r["customer_id"]
        where = f"invoices.csv:{line}"
        if cid not in b.customers:
            bad(f"{where}: unknown customer {cid!r}")
            continue
        if iid in b.invoices:
            bad(f"{where}: duplicate invoice id {iid}")
        # An invoice may be in another currency than its customer's (contracts §2: the
        # customer's is only the default); its payments must then be in the invoice's.
        cur = r.get("currency") or b.currency[cid]
        if cur not in EXPONENTS:
            bad(f"{where}: currency {cur!r}")
            continue
        try:
            issue = date.fromisoformat(r["issue_date"])
            terms = int(b.customers[cid].get("terms_days") or 30)
            due = date.fromisoformat(r["due_date"]) if r.get("due_date") else issue
            if not r.get("due_date"):
                due = issue + timedelta(days=terms)
            amount = _minor(r["amount"], cur)
        except (ValueError, ArithmeticError) as exc:
            bad(f"{where}: {exc}")
            continue
        if amount <= 0:
            bad(f"{where}: amount must be > 0")
        if r.get("status", "") not in ("", "void", "open", "paid"):
            bad(f"{where}: status {r['status']!r}")
        b.invoices[iid] = Inv(iid, cid, cur, issue, due, amount, r.get("status") == "void", line)
    refunds: list[tuple[str, int, str, date, int]] = []
    write_offs: list[tuple[str, int, Inv, date, int]] = []
    for line, r in _rows(directory / "payments.csv"):
        where = f"payments.csv:{line}"
        cid, iid, kind = r["customer_id"], r.get("invoice_id", ""), r.get("kind") or "payment"
        if cid not in b.customers:
            bad(f"{where}: unknown customer {cid!r}")
            continue
        if kind not in KINDS:
            bad(f"{where}: kind {kind!r}")
            continue
        cur = r.get("currency") or b.currency[cid]
        try:
            day = date.fromisoformat(r["date"])
            units = _minor(r["amount"], cur)
        except (ValueError, ArithmeticError) as exc:
            bad(f"{where}: {exc}")
            continue
        if units <= 0:
            bad(f"{where}: amount must be > 0")
        if kind == "write_off" and not iid:
            bad(f"{where}: a write_off needs an invoice_id")
        if kind == "refund":
            if iid:
                bad(f"{where}: a refund must not have an invoice_id")
            refunds.append((where, line, cid, day, units))
            continue
        if not iid:
            if cur != b.currency[cid]:
                bad(f"{where}: currency {cur} differs from the customer's")
            b.unapplied.setdefault((cid, cur), []).append((day, units, kind))
            continue
        inv = b.invoices.get(iid)
        if inv is None:
            bad(f"{where}: unknown invoice {iid!r}")
            continue
        if inv.customer_id != cid:
            bad(f"{where}: invoice {iid} belongs to {inv.customer_id}, not {cid}")
        if cur != inv.currency:
            bad(f"{where}: currency {cur} differs from invoice {iid}'s {inv.currency}")
        if kind == "write_off":
            write_offs.append((where, line, inv, day, units))
        inv.allocated.append((day, units, kind))
    for where, _line, inv, day, units in write_offs:
        # Conservative: a write-off may not exceed what is open after *every* other allocation.
        other = sum(u for d, u, k in inv.allocated if k != "write_off")
        written = sum(u for d, u, k in inv.allocated if k == "write_off")
        if written > inv.amount - other:
            bad(f"{where}: write_off {units} exceeds the open {inv.amount - other} on {inv.id}")
        if inv.void:
            bad(f"{where}: write_off on void invoice {inv.id}")
        del day
    for _where, _line, cid, day, units in refunds:
        cur = b.currency[cid]
        moves = b.unapplied.setdefault((cid, cur), [])
        moves.append((day, -units, "refund"))
    for (cid, _cur), moves in b.unapplied.items():
        # Conservative: only explicit payments on account count as credit a refund can return.
        balance = 0
        for day, units, _kind in sorted(moves, key=lambda m: (m[0], -m[1])):
            balance += units
            if balance < 0:
                bad(f"payments.csv: refunds of {cid} exceed its unapplied credit on {day}")
                break
    return b


def aging(
    b: Books, as_of: date, bounds: Sequence[int] = DEFAULT_BOUNDS
) -> dict[str, dict[str, int]]:
    """Reference customer aging totals per currency, in minor units (contracts §3, basis due)."""
    names = ["current"]
    low = 1
    for hi in bounds:
        names.append(f"{low}-{hi}")
        low = hi + 1
    names.append(f"{low}+")
    per_customer: dict[tuple[str, str], dict[str, int]] = {}

    def row(cid: str, cur: str) -> dict[str, int]:
        return per_customer.setdefault((cid, cur), {n: 0 for n in [*names, "unapplied", "total"]})

    for inv in b.invoices.values():
        counted = [(d, u, k) for d, u, k in inv.allocated if d <= as_of]
        if inv.void or inv.issue > as_of:
            credit = sum(u for d, u, k in counted if k in ("payment", "credit"))
            if credit:
                row(inv.customer_id, inv.currency)["unapplied"] -= credit
            continue
        applied = sum(u for d, u, k in counted)
        balance = inv.amount - applied
        if balance < 0:
            row(inv.customer_id, inv.currency)["unapplied"] += balance
            continue
        if balance == 0:
            continue
        days = (as_of - inv.due).days
        bucket = names[-1]
        if days <= 0:
            bucket = "current"
        else:
            for name, hi in zip(names[1:], bounds, strict=False):
                if days <= hi:
                    bucket = name
                    break
        row(inv.customer_id, inv.currency)[bucket] += balance
    for (cid, cur), moves in b.unapplied.items():
        net = sum(u for d, u, k in moves if d <= as_of)
        if net:
            row(cid, cur)["unapplied"] -= net
    totals: dict[str, dict[str, int]] = {}
    for (_cid, cur), r in per_customer.items():
        r["total"] = sum(r[n] for n in names) + r["unapplied"]
        if all(r[n] == 0 for n in [*names, "unapplied"]):
            continue
        t = totals.setdefault(cur, {n: 0 for n in [*names, "unapplied", "total"]})
        for k, v in r.items():
            t[k] += v
    return totals


def format_units(units: int, currency: str) -> str:
    """Minor units as a plain decimal string in ``currency``."""
    exp = EXPONENTS[currency]
    return str(Decimal(units).scaleb(-exp)) if exp else str(units)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: check a directory and print reference aging totals."""
    parser = argparse.ArgumentParser(description="Check CSV books; print reference aging.")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 10, 31))
    args = parser.parse_args(argv)
    books = load(args.dir)
    for p in books.problems[:50]:
        print(p, file=sys.stderr)
    print(
        f"{len(books.customers)} customers, {len(books.invoices)} invoices, "
        f"{len(books.problems)} problems"
    )
    for cur, t in sorted(aging(books, args.as_of).items()):
        cells = "  ".join(f"{k}={format_units(v, cur)}" for k, v in t.items())
        print(f"{cur}: {cells}")
    return 1 if books.problems else 0


if __name__ == "__main__":
    sys.exit(main())

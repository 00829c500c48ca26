"""Aging: bucket definitions and the assembly of aged-receivable rows (pure; contracts §3).

Amounts are integer minor units until :func:`present` turns them into Decimals. "Days" are whole
calendar days: ``as_of − due_date`` (basis ``due``) or ``as_of − issue_date`` (basis ``issue``);
``current`` is days ≤ 0, and each bound is an inclusive upper limit (``1-30``, ``31-60``, ...).
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

DEFAULT_BOUNDS: tuple[int, ...] = (30, 60, 90)


def parse_bounds(text: str) -> tuple[int, ...]:
    """``"30,60,90"`` -> ``(30, 60, 90)``; bounds must be whole days > 0, strictly increasing."""
    parts = [p.strip() for p in text.split(",")]
    if not any(parts):
        raise ValueError("give at least one bound, e.g. 30,60,90")
    if not all(parts):
        raise ValueError(f"{text!r}: an empty bound (two commas, or one at an end), e.g. 30,60,90")
    if not all(p.isascii() and p.isdigit() for p in parts):  # int() takes "1_0" and "٣٠"
        raise ValueError(f"{text!r}: bounds are whole numbers of days, e.g. 30,60,90")
    bounds = tuple(int(p) for p in parts)
    if bounds[0] <= 0 or any(b <= a for a, b in itertools.pairwise(bounds)):
        raise ValueError(f"{text!r}: bounds must be above 0 and strictly increasing")
    return bounds


def bucket_names(bounds: Sequence[int]) -> list[str]:
    """``(30, 60, 90)`` -> ``["current", "1-30", "31-60", "61-90", "91+"]``."""
    names = ["current"]
    low = 1
    for b in bounds:
        names.append(f"{low}-{b}")
        low = b + 1
    names.append(f"{low}+")
    return names


def bucket_index(days: int, bounds: Sequence[int]) -> int:
    """Index into :func:`bucket_names` for ``days`` past the basis date."""
    if days <= 0:
        return 0
    return bisect.bisect_left(bounds, days) + 1


def cutoffs(as_of: date, bounds: Sequence[int]) -> list[date]:
    """Dates such that basis date ≥ cutoffs[k] means bucket ≤ k (``[as_of, as_of−30, ...]``).

    Lets SQL pick a bucket with date comparisons instead of date arithmetic per row.
    """
    out = [as_of]
    for b in bounds:
        try:
            out.append(as_of - timedelta(days=b))
        except OverflowError:  # before year 1: nothing can be that old
            out.append(date.min)
    return out


@dataclass
class Totals:
    """Per-currency sums of the lines shown."""

    currency: str
    buckets: list[int]
    unapplied: int = 0
    balance: int = 0
    rows: int = 0
    extra: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.buckets) + self.unapplied


def totals_by_currency(
    lines: Iterable[tuple[str, Sequence[int], int]], n_buckets: int
) -> list[Totals]:
    """Sum ``(currency, buckets, unapplied)`` triples per currency, ordered by currency."""
    per: dict[str, list[Sequence[int]]] = {}
    unapplied: dict[str, int] = {}
    for currency, buckets, unap in lines:
        rows = per.get(currency)
        if rows is None:
            rows = per[currency] = []
            unapplied[currency] = 0
        rows.append(buckets)
        unapplied[currency] += unap
    out = []
    for currency in sorted(per):
        rows = per[currency]
        sums = [sum(column) for column in zip(*rows, strict=True)] or [0] * n_buckets
        out.append(Totals(currency, sums, unapplied[currency], rows=len(rows)))
    return out

"""Expected cash per period from invoice outlooks: periods, tallies and the band (pure).

Each invoice's :class:`~collectctl.domain.forecast.Outlook` says when its balance is expected;
here those are summed per currency into periods (weeks or calendar months after the as-of date)
with a variance, assuming invoices arrive independently: each piece of an invoice arrives whole
in one period or not, so its variance there is ``amount² × p × (1 − p)``. The band is expected ±
:data:`BAND_Z` standard deviations (about 8 periods in 10).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import sub

from collectctl.domain.forecast import (
    BIN_DAYS,
    LOW,
    NBINS,
    NEVER_AFTER,
    Behaviour,
    Outlook,
    Piece,
    paid_by,
)

#: z for a two-sided 80 % band (10th to 90th percentile of a normal).
BAND_Z = 1.2816


@dataclass(frozen=True)
class Period:
    """A forecast period: days ``start``..``end`` inclusive (offsets ``first``..``last``)."""

    number: int
    start: date
    end: date
    first: int
    last: int


def periods(as_of: date, unit: str, count: int) -> list[Period]:
    """``count`` weeks (7-day steps from the day after ``as_of``) or calendar months (the first
    from the day after ``as_of`` to the end of that month)."""
    out = []
    start = as_of + timedelta(days=1)
    for n in range(1, count + 1):
        if unit == "week":
            end = start + timedelta(days=6)
        else:
            nxt = date(start.year + start.month // 12, start.month % 12 + 1, 1)
            end = nxt - timedelta(days=1)
        out.append(Period(n, start, end, (start - as_of).days, (end - as_of).days))
        start = end + timedelta(days=1)
    return out


@dataclass
class Tally:
    """Expected cash per period (float minor units) with its variance, for one currency."""

    expected: list[float]
    variance: list[float]
    later: float = 0.0
    never: float = 0.0
    balance: int = 0

    @classmethod
    def empty(cls, n: int) -> Tally:
        return cls([0.0] * n, [0.0] * n)


def piece_shares(outlook: Outlook, bounds: Sequence[int]) -> list[list[float]]:
    """Per piece, the probability of arriving in each period (``bounds`` = the periods' last
    offsets)."""
    out = []
    for piece in outlook.pieces:
        now = piece.cdfs(bounds)
        # each step's increase, never below zero (max(now - prev, 0.0) term for term)
        out.append([d if d >= 0.0 else 0.0 for d in map(sub, now, [0.0, *now[:-1]])])
    return out


def _on_bins(left: float, x: int, bounds: Sequence[int]) -> bool:
    """True when the periods ``bounds`` days ahead of ``x`` fall on whole bins of the curve, so
    each period's cumulative share is read straight off the bins."""
    n = len(bounds)
    first = bounds[0]
    return (
        left > 1e-12
        and n > 1
        and x + first >= LOW
        and x + bounds[-1] < NEVER_AFTER
        and bounds[-1] - first == BIN_DAYS * (n - 1)
        and bounds[1] - first == BIN_DAYS
    )


def curve_shares(behaviour: Behaviour, overdue: int, bounds: Sequence[int]) -> list[float]:
    """:func:`period_shares` of ``curve_outlook(_, behaviour, overdue)`` without building it:
    :meth:`Piece.cdfs <collectctl.domain.forecast.Piece.cdfs>` and :func:`piece_shares`, the
    same arithmetic step for step, in one call (the back-test's million invoices)."""
    cum, mass = behaviour.cum, behaviour.mass
    x = overdue
    base = paid_by(behaviour, x)
    left = 1.0 - base
    n = len(bounds)
    first = bounds[0]
    if _on_bins(left, x, bounds):
        b0, r = divmod(x + first - LOW, BIN_DAYS)
        r1 = r + 1
        now = [
            (c + m * r1 / BIN_DAYS - base) / left
            for c, m in zip(cum[b0 : b0 + n], mass[b0 : b0 + n], strict=True)
        ]
    else:
        now = Piece(1.0, behaviour, overdue).cdfs(bounds)
    return [d if d >= 0.0 else 0.0 for d in map(sub, now, [0.0, *now[:-1]])]


def add_curve(
    row: list[float],
    balance: int,
    behaviour: Behaviour,
    overdue: int,
    bounds: Sequence[int],
    median: bool = False,
) -> int | None:
    """``row[k] += balance × share`` for each period's share of :func:`curve_shares`, fused
    (the back-test's inner loop): the same terms in the same order; a share of zero adds
    nothing, so it is skipped. ``median``: also returns
    :func:`~collectctl.domain.forecast.curve_median` (else None), from the same start."""
    cum, mass = behaviour.cum, behaviour.mass
    x = overdue
    base = paid_by(behaviour, x)
    left = 1.0 - base
    n = len(bounds)
    first = bounds[0]
    if _on_bins(left, x, bounds):
        b0, r = divmod(x + first - LOW, BIN_DAYS)
        r1 = r + 1
        prev = 0.0
        for k in range(n):
            f = (cum[b0 + k] + mass[b0 + k] * r1 / BIN_DAYS - base) / left
            d = f - prev
            prev = f
            if d > 0.0:
                row[k] += balance * d
    else:
        for k, d in enumerate(curve_shares(behaviour, overdue, bounds)):
            if d > 0.0:
                row[k] += balance * d
    if not median:
        return None
    # curve_median(behaviour, overdue), step for step
    never = 1.0 if left <= 1e-12 else behaviour.never / left
    if 1.0 - never <= 1e-9:
        return None
    return max(1, behaviour.delay_at(base + 0.5 * (cum[NBINS] - base)) - x)


def period_shares(outlook: Outlook, bounds: Sequence[int]) -> list[float]:
    """Share of the balance expected in each period."""
    per_piece = piece_shares(outlook, bounds)
    if len(per_piece) == 1:
        return per_piece[0]
    return [
        sum(p.share * row[k] for p, row in zip(outlook.pieces, per_piece, strict=True))
        for k in range(len(bounds))
    ]


def add_to_tally(tally: Tally, outlook: Outlook, bounds: Sequence[int]) -> list[float]:
    """Add one invoice's expected cash to ``tally``; returns its share in each period.

    Each piece arrives whole or not at all in a period, independently of other invoices: its
    variance there is ``amount² × p × (1 − p)`` (zero for a plan installment, p = 1).
    """
    bal = outlook.balance
    if len(outlook.pieces) == 1 and outlook.pieces[0].point is None:
        return _add_curve(tally, bal, outlook.pieces[0], bounds)
    total = [0.0] * len(bounds)
    for piece, row in zip(outlook.pieces, piece_shares(outlook, bounds), strict=True):
        amount = bal * piece.share
        for k, p in enumerate(row):
            tally.expected[k] += amount * p
            tally.variance[k] += amount * amount * p * (1.0 - p)
            total[k] += piece.share * p
    never = outlook.never()
    tally.never += bal * never
    tally.later += bal * max(1.0 - never - sum(total), 0.0)
    tally.balance += bal
    return total


def _add_curve(tally: Tally, bal: int, piece: Piece, bounds: Sequence[int]) -> list[float]:
    """:func:`add_to_tally` for the usual invoice: one curve piece, in one tight loop."""
    return add_curve_to_tally(tally, bal, piece.behaviour, piece.overdue, bounds)


def add_curve_to_tally(
    tally: Tally, bal: int, beh: Behaviour, x: int, bounds: Sequence[int]
) -> list[float]:
    """:func:`add_to_tally` of ``curve_outlook(bal, beh, x)`` without building the outlook
    (the usual invoice: it follows its customer's behaviour beyond ``x`` days past due)."""
    cum, mass, top = beh.cum, beh.mass, beh.cum[NBINS]
    base = beh.cdf(x)
    left = 1.0 - base
    if left <= 1e-12:
        tally.never += bal
        tally.balance += bal
        return [0.0] * len(bounds)
    if x >= NEVER_AFTER and x + bounds[0] >= NEVER_AFTER:
        # past the last bin already, and so is every period (the bounds ascend): the base is
        # the top of the curve and the conditional CDF (top − base) ÷ left = 0 at each period,
        # so none gets a share — what the loop below would find, without it
        never = beh.never / left
        tally.never += bal * never
        tally.later += bal * max(1.0 - never - 0.0, 0.0)
        tally.balance += bal
        return [0.0] * len(bounds)
    expected, variance = tally.expected, tally.variance
    sq = float(bal) * bal
    fs = _curve_at(cum, mass, top, base, left, x, bounds)
    shares = []
    prev = 0.0
    for k, f in enumerate(fs):
        p = f - prev if f > prev else 0.0
        if f > prev:
            prev = f
        if p:
            expected[k] += bal * p
            variance[k] += sq * p * (1.0 - p)
        shares.append(p)
    never = beh.never / left
    tally.never += bal * never
    tally.later += bal * max(1.0 - never - prev, 0.0)
    tally.balance += bal
    return shares


def add_curve_cash(tally: Tally, bal: int, beh: Behaviour, x: int, bounds: Sequence[int]) -> None:
    """:func:`add_curve_to_tally` when the shares are not wanted (``forecast --by week``):
    the same terms in the same order, the conditional CDF and its steps in one loop."""
    cum, mass = beh.cum, beh.mass
    n = len(bounds)
    first = bounds[0]
    if (
        LOW <= x < NEVER_AFTER
        and n > 1
        and x + first >= LOW
        and x + bounds[-1] < NEVER_AFTER
        and bounds[1] - first == BIN_DAYS
        and bounds[-1] - first == BIN_DAYS * (n - 1)
    ):
        b, r = divmod(x - LOW, BIN_DAYS)
        base = cum[b] + mass[b] * (r + 1) / BIN_DAYS  # beh.cdf(x)
        left = 1.0 - base
        if left > 1e-12:
            expected, variance = tally.expected, tally.variance
            sq = float(bal) * bal
            b0, r = divmod(x + first - LOW, BIN_DAYS)
            t = (r + 1) / BIN_DAYS
            prev = 0.0
            for k in range(n):
                f = (cum[b0 + k] + mass[b0 + k] * t - base) / left
                if f > prev:  # then f - prev > 0: the step adds to the period
                    p = f - prev
                    prev = f
                    expected[k] += bal * p
                    variance[k] += sq * p * (1.0 - p)
            never = beh.never / left
            tally.never += bal * never
            tally.later += bal * max(1.0 - never - prev, 0.0)
            tally.balance += bal
            return
    add_curve_to_tally(tally, bal, beh, x, bounds)


def _curve_at(
    cum: Sequence[float],
    mass: Sequence[float],
    top: float,
    base: float,
    left: float,
    x: int,
    bounds: Sequence[int],
) -> list[float]:
    """The conditional CDF beyond ``x`` at each offset of ``bounds``."""
    first, step = bounds[0], bounds[1] - bounds[0] if len(bounds) > 1 else 0
    lo, hi = x + first, x + bounds[-1]
    n = len(bounds)
    weekly = step == BIN_DAYS and bounds[-1] - first == step * (n - 1)  # as periods() makes them
    if weekly and lo >= LOW and hi < NEVER_AFTER:
        # Weekly periods: one bin per period, the same day inside each bin.
        b0, r = divmod(lo - LOW, BIN_DAYS)
        t = (r + 1) / BIN_DAYS
        return [
            (c + m * t - base) / left
            for c, m in zip(cum[b0 : b0 + n], mass[b0 : b0 + n], strict=True)
        ]
    out = []
    for o in bounds:
        d = x + o
        if d < LOW:
            f = 0.0
        elif d >= NEVER_AFTER:
            f = (top - base) / left
        else:
            b, r = divmod(d - LOW, BIN_DAYS)
            f = (cum[b] + mass[b] * (r + 1) / BIN_DAYS - base) / left
        out.append(f)
    return out


def band(expected: float, variance: float) -> tuple[int, int, int]:
    """``(low, expected, high)`` in whole minor units: expected ± :data:`BAND_Z` σ, low ≥ 0."""
    sd = math.sqrt(max(variance, 0.0))
    return (
        max(0, round_units(expected - BAND_Z * sd)),
        round_units(expected),
        round_units(expected + BAND_Z * sd),
    )


def round_units(value: float) -> int:
    """An expected amount in whole minor units (half up)."""
    return math.floor(value + 0.5)

"""Receivables metrics (``collectctl metrics``): DSO and its variants, CEI, turnover, days to pay.

Pure functions over plain values, for ONE currency at a time (never add currencies). Notation as
in the domain reference: a period of D days (``start`` to ``end``, both included); S = credit sales
in the period; B = AR at the period start; E = AR at the period end (the aging ``total``, net of
unapplied credit); Ec = the part of E not yet due (aging ``current``).

* Amounts may be ``int`` minor units or ``Decimal``; use one unit within a call (the results are
  ratios, so the unit cancels out). ``float`` is refused.
* Undefined results are ``None``, never an error or infinity: S ≤ 0 for every metric that uses S,
  and any denominator ≤ 0.
* Results are ``Decimal`` computed with 34 significant digits and **not rounded**; show them with
  :func:`round_metric` (2 decimals, half-up). Days are days, percentages are percent (79.63, not
  0.7963), turnover is times per period.
* Monthly sales are ``(date, amount)`` pairs; the date names its calendar month (any day in it).
  Months missing from the list count as zero sales; naming a month twice, or a month after the
  period end, is a ``ValueError``. The period end's month counts ``period_end.day`` days (all of
  them when the period ends on the month's last day).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import NamedTuple

Amount = int | Decimal
#: A month's credit sales: (any date in the month, amount).
MonthSales = tuple[date, Amount]

_PRECISION = 34


def _dec(value: Amount) -> Decimal:
    if isinstance(value, float) or not isinstance(value, int | Decimal):
        raise TypeError(
            f"amounts must be int minor units or Decimal, not {type(value).__name__} {value!r}"
        )
    return Decimal(value)


def _ratio(numerator: Decimal, denominator: Decimal, scale: int = 1) -> Decimal | None:
    """numerator ÷ denominator × scale at full precision; None when denominator ≤ 0."""
    if denominator <= 0:
        return None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return numerator * scale / denominator


def round_metric(value: Decimal | None, places: int = 2) -> Decimal | None:
    """Round a metric for display: ``places`` decimals, half-up; None stays None."""
    if value is None:
        return None
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def period_days(start: date, end: date) -> int:
    """D: calendar days from ``start`` to ``end``, both included (a 31-day month is 31)."""
    if end < start:
        raise ValueError(f"the period ends ({end}) before it starts ({start})")
    return (end - start).days + 1


# --- DSO family --------------------------------------------------------------------------------


def dso(end_ar: Amount, sales: Amount, start: date, end: date) -> Decimal | None:
    """DSO, standard: E ÷ S × D."""
    return _ratio(_dec(end_ar), _dec(sales), period_days(start, end))


def best_possible_dso(current_ar: Amount, sales: Amount, start: date, end: date) -> Decimal | None:
    """Best possible DSO: Ec ÷ S × D (the DSO if every customer paid on time)."""
    return _ratio(_dec(current_ar), _dec(sales), period_days(start, end))


def average_days_delinquent(
    end_ar: Amount, current_ar: Amount, sales: Amount, start: date, end: date
) -> Decimal | None:
    """Average days delinquent: DSO − best possible DSO, over the same D and S."""
    standard = dso(end_ar, sales, start, end)
    best = best_possible_dso(current_ar, sales, start, end)
    if standard is None or best is None:
        return None
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        return standard - best


def weighted_days_past_due(items: Iterable[tuple[Amount, int]]) -> Decimal | None:
    """Balance-weighted days past due: Σ(bal × days) ÷ Σ bal over past-due items.

    ``items`` are ``(balance, days_past_due)`` per open invoice; only items with days > 0 and a
    positive balance are past-due items. None when there are none.
    """
    weighted, total = Decimal(0), Decimal(0)
    for balance, days in items:
        amount = _dec(balance)
        if days > 0 and amount > 0:
            weighted += amount * days
            total += amount
    return _ratio(weighted, total)


def _month_days(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _months_back(
    monthly_sales: Sequence[MonthSales], period_end: date
) -> list[tuple[Decimal, int]]:
    """(sales, days in period) per month, newest first, from period_end's month to the oldest given.

    The period end's month counts ``period_end.day`` days; missing months are zero sales.
    """
    by_month: dict[tuple[int, int], Decimal] = {}
    for day, amount in monthly_sales:
        key = (day.year, day.month)
        if key in by_month:
            raise ValueError(f"sales for {day.year}-{day.month:02d} are given twice")
        if key > (period_end.year, period_end.month):
            raise ValueError(f"sales for {day.year}-{day.month:02d} are after the period end")
        by_month[key] = _dec(amount)
    oldest = min(by_month, default=(period_end.year, period_end.month))
    year, month = period_end.year, period_end.month
    result = [(by_month.get((year, month), Decimal(0)), period_end.day)]
    while (year, month) > oldest:
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
        result.append((by_month.get((year, month), Decimal(0)), _month_days(year, month)))
    return result


def dso_recent(
    end_ar: Amount, monthly_sales: Sequence[MonthSales], period_end: date, months: int = 3
) -> Decimal | None:
    """DSO "last N months" (default 3): E ÷ (sales of the last N months) × their days.

    The N months end with ``period_end``'s month; their days are actual calendar days.
    """
    if months <= 0:
        raise ValueError("months must be at least 1")
    recent = _months_back(monthly_sales, period_end)
    while len(recent) < months:  # months older than the oldest given: no sales
        year, month = _shift(period_end, -len(recent))
        recent.append((Decimal(0), _month_days(year, month)))
    recent = recent[:months]
    sales = sum((amount for amount, _ in recent), Decimal(0))
    days = sum(month_days for _, month_days in recent)
    return _ratio(_dec(end_ar), sales, days)


def _shift(day: date, months: int) -> tuple[int, int]:
    years, month0 = divmod(day.month - 1 + months, 12)
    return day.year + years, month0 + 1


def dso_countback(
    end_ar: Amount,
    monthly_sales: Sequence[MonthSales],
    period_end: date,
    *,
    thirty_day_months: bool = False,
) -> Decimal | None:
    """DSO by the countback method.

    Walk months backwards from ``period_end``: while the AR left is at least the month's sales,
    subtract them and add the month's days; for the month where it runs out add
    AR left ÷ month's sales × its days. Days are actual calendar days, or 30 per month with
    ``thirty_day_months`` (the variant in public write-ups; a partial last month then counts
    its days up to 30). None when total sales are ≤ 0, E < 0, or E is more than all the sales
    given (the history is too short to count back).
    """
    months = _months_back(monthly_sales, period_end)
    if sum((amount for amount, _ in months), Decimal(0)) <= 0:
        return None
    left = _dec(end_ar)
    if left < 0:
        return None
    full_last = period_end.day == _month_days(period_end.year, period_end.month)
    total = Decimal(0)
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        for index, (sales, actual_days) in enumerate(months):
            if left <= 0:
                return total
            days = actual_days
            if thirty_day_months:
                days = 30 if (index > 0 or full_last) else min(actual_days, 30)
            if left >= sales:
                left -= sales
                total += days
            else:
                total += left / sales * days
                left = Decimal(0)
    return total if left <= 0 else None


# --- collection effectiveness and mix ----------------------------------------------------------


def cei(begin_ar: Amount, sales: Amount, end_ar: Amount, current_ar: Amount) -> Decimal | None:
    """Collection effectiveness index, percent: (B + S − E) ÷ (B + S − Ec) × 100."""
    s = _dec(sales)
    if s <= 0:
        return None
    b = _dec(begin_ar)
    return _ratio(b + s - _dec(end_ar), b + s - _dec(current_ar), 100)


def cei_monthly(
    begin_ar: Amount, sales: Amount, end_ar: Amount, current_ar: Amount, months: int
) -> Decimal | None:
    """CEI, "monthly" variant (creditguru, Oracle): S replaced by S ÷ N for an N-month period."""
    if months <= 0:
        raise ValueError("months must be at least 1")
    with localcontext() as ctx:
        ctx.prec = _PRECISION
        monthly = _dec(sales) / months
    return cei(begin_ar, monthly, end_ar, current_ar)


def percent_current(current_ar: Amount, end_ar: Amount) -> Decimal | None:
    """% current: Ec ÷ E × 100 (None when E ≤ 0)."""
    return _ratio(_dec(current_ar), _dec(end_ar), 100)


def percent_91_plus(over_90_ar: Amount, end_ar: Amount) -> Decimal | None:
    """% 91+: the aging ``91+`` bucket ÷ E × 100 (None when E ≤ 0)."""
    return _ratio(_dec(over_90_ar), _dec(end_ar), 100)


def ar_turnover(sales: Amount, begin_ar: Amount, end_ar: Amount) -> Decimal | None:
    """AR turnover: S ÷ ((B + E) ÷ 2), times per period (DSO ≈ D ÷ turnover)."""
    s = _dec(sales)
    if s <= 0:
        return None
    return _ratio(s * 2, _dec(begin_ar) + _dec(end_ar))


# --- days to pay -------------------------------------------------------------------------------


class PaidInvoice(NamedTuple):
    """A fully paid invoice: issue date, the date it became fully paid, and its amount."""

    issue_date: date
    paid_date: date
    amount: Amount


def fully_paid_on(amount: Amount, allocations: Iterable[tuple[date, Amount]]) -> date | None:
    """The date of the allocation that brought the total allocated up to ``amount``.

    ``allocations`` are ``(date, amount)`` (payments, credits, write-offs to one invoice); the
    caller leaves out those dated after its as-of date. None while the invoice is not fully paid.
    """
    target, paid = _dec(amount), Decimal(0)
    for day, allocated in sorted(allocations, key=lambda allocation: allocation[0]):
        paid += _dec(allocated)
        if paid >= target:
            return day
    return None


def average_days_to_pay(
    invoices: Iterable[PaidInvoice | tuple[date, date, Amount]],
    start: date,
    end: date,
    *,
    weighting: str = "invoice",
) -> Decimal | None:
    """Average days from issue to full payment, over invoices fully paid within start..end.

    Days per invoice = paid_date − issue_date, where paid_date is the date of the allocation that
    fully paid it (:func:`fully_paid_on`). ``weighting="invoice"``: the plain mean over those
    invoices; ``"amount"``: Σ(amount × days) ÷ Σ amount. None when no invoice qualifies.
    """
    if weighting not in ("invoice", "amount"):
        raise ValueError(f"unknown weighting {weighting!r}: use invoice or amount")
    period_days(start, end)  # validates the period
    weighted, total = Decimal(0), Decimal(0)
    for issue_date, paid_date, amount in invoices:
        if not start <= paid_date <= end:
            continue
        weight = _dec(amount) if weighting == "amount" else Decimal(1)
        weighted += weight * (paid_date - issue_date).days
        total += weight
    return _ratio(weighted, total)

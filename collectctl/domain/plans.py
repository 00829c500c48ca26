"""Payment plans: proposing a schedule (``plan propose``) and tracking receipts against it.

Pure functions over plain values. Every amount is an ``int`` of minor units of the plan's currency
(1,000.00 USD is ``100000``; JPY has no minor unit, BHD three), so sums are exact. Decimal is used
only inside the interest formulas and every result is rounded half-up to whole minor units.

Schedule rules
--------------
* **Principal** P = balance − down payment (down ≥ balance is an error).
* **Installment 0** is the down payment, when there is one: due on ``start``; the installments
  1..n then begin one period later. Without a down payment installment 1 is due on ``start``.
* **Dates** are computed from the anchor ``start``, never from the previous date: ``week`` =
  start + 7k days, ``2weeks`` = start + 14k days, ``month`` = start + k months with the day of
  month kept and clamped to the month's length (Jan 31 → Feb 28/29 → Mar 31 → Apr 30).
* **Split without interest** (no rate, or rate 0): base = P // n, installments 1..n−1 = base, the
  last = base + remainder (1,000.00 / 3 → 333.33, 333.33, 333.34). A base of 0 is refused.
* **Simple (flat) interest**: I = P × APR ÷ 100 × n ÷ m, rounded once half-up; P + I is then split
  as above, and each line's interest is its pro-rata share of I (cumulative shares rounded
  down, so the interest column sums to I exactly, never goes negative, and its rounding
  remainder lands on the last line).
  1,200.00 at 12 % over 6 months → I = 72.00, 6 × 212.00 (200.00 principal + 12.00 interest).
* **Amortized interest** (the default when a rate is given): periodic rate i = APR ÷ 100 ÷ m;
  payment A = P·i ÷ (1 − (1 + i)^−n) rounded half-up; each period interest = balance × i rounded
  half-up and principal = A − interest; the last payment is the remaining balance plus its
  interest, which absorbs all rounding. 1,200.00 at 12 % APR monthly over 6 → 5 × 207.06 then
  207.05; interest 42.35; total 1,242.35.
  When the rounded payment would repay the principal before the last installment (possible only
  with installments of a few minor units each) the plan is refused: use fewer installments.
* **Day count**: interest is per *period*, never per actual day. m = 52 (``week``), 26 (``2weeks``)
  or 12 (``month``), whatever the real length of a given month or year; the first period's
  interest is a full period's even when installment 1 falls on ``start``.
* **Fee** (a set-up fee) is its own column on installment 1 (not on the down payment); it bears
  no interest.
* **Amount per installment** (``amount_per`` instead of ``installments``): every installment
  (principal + interest, before the fee) is exactly ``amount_per`` except the last, which is
  whatever is left and therefore never larger than ``amount_per`` (1,000.00 at 300.00 → 300.00,
  300.00, 300.00, 100.00). The number of installments is the smallest that covers the balance
  and the interest it causes; an amount that does not cover a period's interest is refused.
* ``remaining`` on a line is the principal still owed after that line is paid.

Tracking receipts against a plan (``match_payments``, ``plan_state``) lives in
:mod:`collectctl.domain.plan_tracking`.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from collectctl.money import exponent, format_minor

#: Periods per year for each ``every`` value (the interest divisor m).
PERIODS_PER_YEAR = {"week": 52, "2weeks": 26, "month": 12}
#: Interest methods accepted by :func:`propose`.
INTEREST_METHODS = ("amortized", "simple")
#: Upper bound on the number of installments (guards ``amount_per`` against endless plans).
MAX_INSTALLMENTS = 1000

#: Installment statuses, see the module docstring.
PAID, LATE, PARTIAL, DUE, UPCOMING = "paid", "late", "partial", "due", "upcoming"
#: Plan states, see the module docstring.
ACTIVE, BROKEN, COMPLETED, CANCELLED = "active", "broken", "completed", "cancelled"

_HIGH_PRECISION = 60


class PlanError(ValueError):
    """A payment plan that cannot be built or evaluated with the given terms."""


@dataclass(frozen=True)
class Installment:
    """One line of a schedule; amounts in minor units. ``number`` 0 is the down payment."""

    number: int
    due: date
    principal: int
    interest: int
    fee: int
    total: int
    remaining: int  # principal still owed after this line

    def __post_init__(self) -> None:
        if self.total != self.principal + self.interest + self.fee:
            raise PlanError(f"installment {self.number}: total is not principal + interest + fee")


@dataclass(frozen=True)
class Schedule:
    """A proposed plan: its terms and its lines (down payment first, when there is one)."""

    currency: str
    balance: int
    down: int
    every: str
    start: date
    rate: Decimal | None
    interest_method: str  # "none", "simple" or "amortized"
    lines: tuple[Installment, ...]

    @property
    def installments(self) -> int:
        """Number of installments, not counting the down payment."""
        return sum(1 for line in self.lines if line.number > 0)

    @property
    def principal(self) -> int:
        """Sum of the principal column (always equals ``balance``)."""
        return sum(line.principal for line in self.lines)

    @property
    def interest(self) -> int:
        """Sum of the interest column."""
        return sum(line.interest for line in self.lines)

    @property
    def fees(self) -> int:
        """Sum of the fee column."""
        return sum(line.fee for line in self.lines)

    @property
    def total(self) -> int:
        """Everything the customer pays: balance + interest + fees."""
        return sum(line.total for line in self.lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready view: money as strings with the currency's decimals, dates ISO."""

        def money(units: int) -> str:
            return format_minor(units, self.currency)

        return {
            "currency": self.currency,
            "balance": money(self.balance),
            "down": money(self.down),
            "every": self.every,
            "start": self.start.isoformat(),
            "rate": None if self.rate is None else str(self.rate),
            "interest_method": self.interest_method,
            "installments": self.installments,
            "lines": [
                {
                    "number": line.number,
                    "due": line.due.isoformat(),
                    "principal": money(line.principal),
                    "interest": money(line.interest),
                    "fee": money(line.fee),
                    "total": money(line.total),
                    "remaining": money(line.remaining),
                }
                for line in self.lines
            ],
            "totals": {
                "principal": money(self.principal),
                "interest": money(self.interest),
                "fees": money(self.fees),
                "total": money(self.total),
            },
        }


# --- dates -------------------------------------------------------------------------------------


def add_months(anchor: date, months: int) -> date:
    """``anchor`` plus ``months`` calendar months, the day clamped to the target month's length."""
    years, month0 = divmod(anchor.month - 1 + months, 12)
    year, month = anchor.year + years, month0 + 1
    return date(year, month, min(anchor.day, calendar.monthrange(year, month)[1]))


def period_date(start: date, every: str, k: int) -> date:
    """The date ``k`` periods after ``start`` (k = 0 is ``start``), always from the anchor."""
    try:
        if every == "week":
            return start + timedelta(days=7 * k)
        if every == "2weeks":
            return start + timedelta(days=14 * k)
        if every == "month":
            return add_months(start, k)
    except (OverflowError, ValueError):
        raise PlanError(f"a schedule starting {start} runs past the year 9999") from None
    raise PlanError(f"unknown period {every!r}: use one of {', '.join(PERIODS_PER_YEAR)}")


# --- arithmetic helpers ------------------------------------------------------------------------


def split_even(amount: int, n: int) -> list[int]:
    """Split ``amount`` into ``n`` parts: n−1 × (amount // n), the last takes the remainder."""
    base, remainder = divmod(amount, n)
    return [base] * (n - 1) + [base + remainder]


def _split_by_amount(amount: int, per: int) -> list[int]:
    """``per`` each, the last one smaller (or equal): ``amount`` in ceil(amount / per) parts."""
    n = -(-amount // per)
    return [per] * (n - 1) + [amount - per * (n - 1)]


def _round_units(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _pro_rata(totals: list[int], part: int) -> list[int]:
    """Share ``part`` over lines in proportion to ``totals``; sums to ``part`` exactly.

    The cumulative share after each line is rounded down, so every share is between 0 and its
    line's total and the rounding remainder lands on the last line.
    """
    grand = sum(totals)
    shares, cumulative, allotted = [], 0, 0
    for total in totals:
        cumulative += total
        target = part * cumulative // grand
        shares.append(target - allotted)
        allotted = target
    return shares


# --- proposing a schedule ----------------------------------------------------------------------


def propose(
    balance_minor: int,
    currency: str,
    *,
    installments: int | None = None,
    amount_per: int | None = None,
    every: str = "month",
    start: date,
    down_minor: int = 0,
    rate: Decimal | None = None,
    interest: str = "amortized",
    fee_minor: int = 0,
) -> Schedule:
    """Build a payment schedule for ``balance_minor`` (see the module docstring for the rules).

    Give exactly one of ``installments`` (how many) or ``amount_per`` (how much each, in minor
    units). ``rate`` is an APR in percent (``Decimal("12")`` = 12 %); ``None`` or 0 means no
    interest. Raises :class:`PlanError` for terms that cannot make a plan and
    :class:`collectctl.money.MoneyError` for an unknown currency.
    """
    _check_terms(balance_minor, currency, every, down_minor, interest, fee_minor)
    rate = _checked_rate(rate)
    principal = balance_minor - down_minor
    _check_count_or_amount(principal, currency, installments, amount_per)

    m = PERIODS_PER_YEAR[every]
    if not rate:
        method = "none"
        parts = _plain_parts(principal, installments, amount_per)
    elif interest == "simple":
        method = "simple"
        parts = _simple_parts(principal, rate, m, installments, amount_per, currency)
    else:
        method = "amortized"
        parts = _amortized_parts(principal, rate, m, installments, amount_per, currency)

    lines: list[Installment] = []
    offset = 0
    if down_minor:
        lines.append(Installment(0, start, down_minor, 0, 0, down_minor, principal))
        offset = 1
    remaining = principal
    for k, (part_principal, part_interest) in enumerate(parts, start=1):
        fee = fee_minor if k == 1 else 0
        remaining -= part_principal
        lines.append(
            Installment(
                number=k,
                due=period_date(start, every, k - 1 + offset),
                principal=part_principal,
                interest=part_interest,
                fee=fee,
                total=part_principal + part_interest + fee,
                remaining=remaining,
            )
        )
    return Schedule(
        currency=currency,
        balance=balance_minor,
        down=down_minor,
        every=every,
        start=start,
        rate=rate,
        interest_method=method,
        lines=tuple(lines),
    )


def _check_terms(
    balance_minor: int, currency: str, every: str, down_minor: int, interest: str, fee_minor: int
) -> None:
    exponent(currency)  # validates the code
    require_int("balance", balance_minor)
    require_int("down payment", down_minor)
    require_int("fee", fee_minor)
    if every not in PERIODS_PER_YEAR:
        raise PlanError(f"unknown period {every!r}: use one of {', '.join(PERIODS_PER_YEAR)}")
    if interest not in INTEREST_METHODS:
        raise PlanError(f"unknown interest method {interest!r}: use amortized or simple")
    if balance_minor <= 0:
        raise PlanError("the balance must be positive to propose a plan")
    if down_minor < 0:
        raise PlanError("the down payment cannot be negative")
    if down_minor >= balance_minor:
        raise PlanError(
            f"the down payment ({format_minor(down_minor, currency)}) must be less than the "
            f"balance ({format_minor(balance_minor, currency)}); no plan is needed"
        )
    if fee_minor < 0:
        raise PlanError("the fee cannot be negative")


def _checked_rate(rate: Decimal | None) -> Decimal | None:
    if rate is None:
        return None
    if isinstance(rate, bool | float) or not isinstance(rate, Decimal | int):
        raise PlanError(f"the rate must be a Decimal percentage, not {rate!r}")
    rate = Decimal(rate)
    if not rate.is_finite():
        raise PlanError(f"the interest rate must be a number, not {rate}")
    if rate < 0:
        raise PlanError(f"the interest rate cannot be negative ({rate} %)")
    return rate


def _check_count_or_amount(
    principal: int, currency: str, installments: int | None, amount_per: int | None
) -> None:
    if (installments is None) == (amount_per is None):
        raise PlanError("give either the number of installments or the amount per installment")
    if installments is not None:
        require_int("installments", installments)
        if installments <= 0:
            raise PlanError(f"the number of installments must be at least 1, not {installments}")
        if installments > MAX_INSTALLMENTS:
            raise PlanError(f"at most {MAX_INSTALLMENTS} installments are supported")
        if principal // installments == 0:
            raise PlanError(
                f"{format_minor(principal, currency)} {currency} in {installments} installments "
                f"would make installments of 0; use fewer installments"
            )
    else:
        require_int("amount per installment", amount_per)
        assert amount_per is not None
        if amount_per <= 0:
            raise PlanError("the amount per installment must be positive")


def require_int(name: str, value: object) -> None:
    """Raise PlanError unless ``value`` is an int (minor units), never a bool or float."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise PlanError(f"{name} must be an integer number of minor units, not {value!r}")


def _check_count(n: int) -> None:
    if n > MAX_INSTALLMENTS:
        raise PlanError(
            f"that amount per installment needs {n} installments; at most {MAX_INSTALLMENTS} "
            "are supported: raise the amount"
        )


def _plain_parts(
    principal: int, installments: int | None, amount_per: int | None
) -> list[tuple[int, int]]:
    """(principal, interest) per installment without interest."""
    if installments is not None:
        amounts = split_even(principal, installments)
    else:
        assert amount_per is not None
        _check_count(-(-principal // amount_per))
        amounts = _split_by_amount(principal, amount_per)
    return [(amount, 0) for amount in amounts]


def _simple_interest(principal: int, rate: Decimal, m: int, n: int) -> int:
    """I = P × APR ÷ 100 × n ÷ m, rounded once half-up to minor units."""
    with localcontext() as ctx:
        ctx.prec = _HIGH_PRECISION
        return _round_units(Decimal(principal) * rate * n / (100 * m))


def _simple_parts(
    principal: int,
    rate: Decimal,
    m: int,
    installments: int | None,
    amount_per: int | None,
    currency: str,
) -> list[tuple[int, int]]:
    """(principal, interest) per installment with flat interest."""
    if installments is not None:
        interest = _simple_interest(principal, rate, m, installments)
        totals = split_even(principal + interest, installments)
    else:
        assert amount_per is not None
        n = -(-principal // amount_per)
        _check_count(n)
        while n * amount_per < principal + _simple_interest(principal, rate, m, n):
            n += 1
            if n > MAX_INSTALLMENTS:
                raise PlanError(
                    f"{format_minor(amount_per, currency)} per installment does not cover the "
                    f"interest within {MAX_INSTALLMENTS} installments: raise the amount"
                )
        interest = _simple_interest(principal, rate, m, n)
        totals = _split_by_amount(principal + interest, amount_per)
    shares = _pro_rata(totals, interest)
    return [(total - share, share) for total, share in zip(totals, shares, strict=True)]


def _amortized_parts(
    principal: int,
    rate: Decimal,
    m: int,
    installments: int | None,
    amount_per: int | None,
    currency: str,
) -> list[tuple[int, int]]:
    """(principal, interest) per installment for an amortized (annuity) plan."""
    with localcontext() as ctx:
        ctx.prec = _HIGH_PRECISION
        i = rate / 100 / m
        if installments is not None:
            payment = _round_units(principal * i / (1 - (1 + i) ** -installments))
        else:
            assert amount_per is not None
            payment = amount_per
        parts: list[tuple[int, int]] = []
        balance = principal
        while True:
            period_interest = _round_units(balance * i)
            if installments is not None:
                last = len(parts) + 1 == installments
            else:
                last = balance + period_interest <= payment
                if not last and payment <= period_interest:
                    raise PlanError(
                        f"{format_minor(payment, currency)} per installment does not cover "
                        f"the interest of a period ({format_minor(period_interest, currency)}): "
                        "raise the amount"
                    )
            if last:
                parts.append((balance, period_interest))
                return parts
            _check_count(len(parts) + 2)
            part = payment - period_interest
            if part >= balance:  # only with installments of a few minor units each
                raise PlanError(
                    f"{format_minor(principal, currency)} {currency} is too small for "
                    f"{installments} installments with interest (payments of "
                    f"{format_minor(payment, currency)} repay it early): use fewer installments"
                )
            parts.append((part, period_interest))
            balance -= part

"""Promises to pay: was a promise kept, broken, partly kept, or is it still open? (pure)

A promise is "pay ``amount`` (minor units of one currency) by ``due_on``", given on ``made_on``.
Evaluated as of a date D with ``grace_days`` g (profile config ``[promises] grace_days``,
default 0):

* **counted payments**: payments dated on or after ``made_on`` and on or before
  ``min(due_on + g, D)`` — a payment made exactly on the last day of grace still counts, one a
  day later does not; a payment made before the promise was given never counts. Which payments
  qualify (currency, kind, invoices) is the caller's choice.
* ``kept`` — the counted payments cover ``amount``; ``kept_on`` is the date they first did.
* ``open`` — not covered yet and D ≤ ``due_on + g``: there is still time (``paid`` shows what has
  come in so far).
* ``partial`` — D > ``due_on + g`` and something, but not all, was paid in time (partly kept:
  broken for ``remaining``).
* ``broken`` — D > ``due_on + g`` and nothing was paid in time.

``void`` promises are not evaluated (the caller reports them as ``void``). The module never
reads the clock: D is always given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

#: Every status :func:`evaluate_promise` can return.
PROMISE_STATUSES: tuple[str, ...] = ("open", "kept", "partial", "broken")


@dataclass(frozen=True)
class PromiseOutcome:
    """The state of one promise as of a date (amounts in minor units)."""

    status: str
    paid: int
    remaining: int
    deadline: date
    kept_on: date | None = None

    @property
    def is_broken(self) -> bool:
        """True for ``broken`` and ``partial`` (the deadline passed with money missing)."""
        return self.status in ("broken", "partial")


def promise_currency(
    given: str | None, customer_currency: str, invoices: Sequence[tuple[str, str]]
) -> str:
    """The one currency a promise is in: ``given`` (``--currency``), else its first invoice's,
    else the customer's. ``invoices`` are ``(number, currency)`` of the invoices it is for;
    ValueError names the first one in another currency (record one promise per currency)."""
    code = given or (invoices[0][1] if invoices else customer_currency)
    for number, currency in invoices:
        if currency != code:
            raise ValueError(f"invoice {number} is in {currency}, the promise in {code}")
    return code


def deadline(due_on: date, grace_days: int = 0) -> date:
    """The last day a payment still counts: ``due_on + grace_days``."""
    if grace_days < 0:
        raise ValueError("grace days cannot be negative")
    try:
        return due_on + timedelta(days=grace_days)
    except OverflowError:  # a promise "by 9999-12-31": its deadline is the last date there is
        return date.max


def day_after(day: date) -> date | None:
    """The next calendar day, or None after the last date there is (9999-12-31)."""
    return None if day == date.max else day + timedelta(days=1)


def evaluate_promise(
    amount: int,
    made_on: date,
    due_on: date,
    payments: Iterable[tuple[date, int]],
    as_of: date,
    grace_days: int = 0,
) -> PromiseOutcome:
    """Evaluate a promise of ``amount`` minor units given on ``made_on``, due on ``due_on``.

    :param payments: ``(date, amount)`` of each qualifying payment (any order; others ignored by
        date as described in the module docstring).
    :param as_of: the evaluation date D.
    :param grace_days: days after ``due_on`` during which a payment still keeps the promise.
    """
    if amount <= 0:
        raise ValueError("a promise amount must be above zero")
    last = deadline(due_on, grace_days)
    window_end = min(last, as_of)
    paid = 0
    kept_on: date | None = None
    for day, value in sorted(payments):
        if day < made_on or day > window_end:
            continue
        paid += value
        if kept_on is None and paid >= amount:
            kept_on = day
    remaining = max(amount - paid, 0)
    if kept_on is not None:
        status = "kept"
    elif as_of <= last:
        status = "open"
    elif paid > 0:
        status = "partial"
    else:
        status = "broken"
    return PromiseOutcome(status, paid, remaining, last, kept_on)

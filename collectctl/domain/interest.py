"""Statutory interest and fixed compensation on late commercial debts (pure; no files, no clock).

Regimes:

- ``uk`` — Late Payment of Commercial Debts (Interest) Act 1998: Bank of England reference rate in
  force on 30 June (interest starting 1 Jul–31 Dec) or 31 December (starting 1 Jan–30 Jun) before
  interest starts, plus 8 points, simple, daily (÷ 365). The rate is fixed for the life of the
  debt. Fixed compensation per debt (s.5A): < £1,000 → £40; < £10,000 → £70; else £100.
- ``eu`` — Late Payment Directive 2011/7/EU: ECB main refinancing rate in force on 1 January (first
  half-year) or 1 July (second) plus 8 points, simple, daily (÷ 365); the rate of each half-year
  applies to the days in it. Fixed compensation €40 per invoice.
- ``contract`` — the contractual annual rate, simple, daily, no statutory compensation.
- ``none`` — no interest.

Interest runs from the day after the due date on the balance *over time*: every allocation after
the due date lowers the balance from the day after its date (the payment day still bears interest
on the old balance, as in the GOV.UK method "days late = payment date − due date"). Daily amounts
stay unrounded; the total is rounded once, half-up, to minor units. Consumers never get B2B
statutory interest (:func:`choose_regime`). Reference rates come from a table (the shipped data
file plus a profile override); a period with no row, or a row never verified, is an error that
names it — never a guess.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from collectctl.errors import CollectctlError
from collectctl.money import exponent

REGIMES: tuple[str, ...] = ("uk", "eu", "contract", "none")
MARGIN: dict[str, Decimal] = {"uk": Decimal(8), "eu": Decimal(8)}
LAW: dict[str, str] = {
    "uk": "Late Payment of Commercial Debts (Interest) Act 1998",
    "eu": "Directive 2011/7/EU on combating late payment in commercial transactions",
    "contract": "the interest rate agreed in our contract",
}
RATE_NAME: dict[str, str] = {
    "uk": "Bank of England reference rate",
    "eu": "ECB main refinancing operations rate",
}
#: Compensation thresholds per regime: (upper bound exclusive in major units or None, sum).
COMPENSATION: dict[str, tuple[str, tuple[tuple[Decimal | None, Decimal], ...]]] = {
    "uk": (
        "GBP",
        ((Decimal(1000), Decimal(40)), (Decimal(10000), Decimal(70)), (None, Decimal(100))),
    ),
    "eu": ("EUR", ((None, Decimal(40)),)),
}


class RateError(CollectctlError):
    """No usable reference rate for a period."""


@dataclass(frozen=True, slots=True)
class RateRow:
    """One reference rate: ``period`` is ``YYYY-H1`` or ``YYYY-H2``; ``rate`` in percent."""

    regime: str
    period: str
    rate: Decimal
    source: str
    verified_on: date | None
    origin: str = ""


@dataclass(frozen=True, slots=True)
class Segment:
    """Days ``start``..``end`` (inclusive) at ``balance`` (minor units) and ``rate`` percent."""

    start: date
    end: date
    days: int
    balance: int
    rate: Decimal
    daily: Decimal  # unrounded, major units
    amount: Decimal  # unrounded, major units


@dataclass(frozen=True, slots=True)
class Interest:
    """The working for one invoice: regime, law, rate source, start, segments, total."""

    regime: str
    law: str
    currency: str
    start: date
    as_of: date
    segments: tuple[Segment, ...]
    total: int  # minor units, rounded once half-up
    rate_sources: tuple[str, ...] = ()
    compensation: int | None = None  # minor units of compensation_currency
    compensation_currency: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def days(self) -> int:
        return sum(s.days for s in self.segments)


def half_year(day: date) -> str:
    """``2025-09-02`` -> ``"2025-H2"``."""
    return f"{day.year}-H{1 if day.month <= 6 else 2}"


def _half_end(day: date) -> date:
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def choose_regime(
    profile: str, override: str | None, *, kind: str, contract_rate: Decimal | None
) -> str:
    """The regime for one customer: consumers never get B2B statutory interest; a per-customer
    override wins over the profile's; ``contract`` needs a contract rate."""
    regime = override or profile or "none"
    if regime not in REGIMES:
        raise CollectctlError(
            f"unknown interest regime {regime!r}", hint=f"Use one of: {', '.join(REGIMES)}."
        )
    if kind == "consumer" and regime in ("uk", "eu"):
        return "none"
    if regime == "contract" and contract_rate is None:
        raise CollectctlError(
            "interest = 'contract' needs a contract rate",
            hint='Set [letters] contract_rate = "8.0" (percent a year) in config.toml.',
        )
    return regime


class RateTable:
    """Reference rates by (regime, period); later rows (the profile override) replace earlier."""

    def __init__(self, rows: Iterable[RateRow]) -> None:
        self.rows: dict[tuple[str, str], RateRow] = {}
        for row in rows:
            self.rows[(row.regime, row.period)] = row

    def rate(self, regime: str, period: str) -> RateRow:
        """The verified row for ``period``; :class:`RateError` naming it otherwise."""
        row = self.rows.get((regime, period))
        if row is None:
            raise RateError(
                f"no {regime.upper()} reference rate for {period}",
                hint=f"Add a verified row for regime {regime!r}, period {period!r} to the "
                "profile's rates.toml (see docs/letters.md, statutory interest).",
            )
        if row.verified_on is None:
            raise RateError(
                f"the {regime.upper()} reference rate for {period} ({row.rate} %) is not verified"
                + (f" ({row.origin})" if row.origin else ""),
                hint="Check it against the central bank's published series and add the row with "
                "verified_on to the profile's rates.toml.",
            )
        return row


def _quantize(value: Decimal, currency: str) -> int:
    exp = exponent(currency)
    return int((value * (Decimal(10) ** exp)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def interest(
    regime: str,
    *,
    currency: str,
    amount: int,
    due: date,
    allocations: Sequence[tuple[date, int]],
    as_of: date,
    rates: RateTable | None = None,
    contract_rate: Decimal | None = None,
) -> Interest | None:
    """Interest and compensation on one invoice as at ``as_of``; ``None`` if none is due.

    ``amount`` and ``allocations`` (date, amount) are minor units; allocations on or before
    ``due`` reduce the debt before interest starts.
    """
    if regime == "none" or as_of <= due:
        return None
    scale = Decimal(10) ** exponent(currency)
    balance = amount - sum(a for d, a in allocations if d <= due)
    if balance <= 0:
        return None
    start = due + timedelta(days=1)
    fixed: RateRow | None = None
    sources: list[str] = []
    if regime == "uk":
        assert rates is not None
        fixed = rates.rate("uk", half_year(start))
        sources.append(f"{RATE_NAME['uk']} {fixed.rate} % ({fixed.source}) + 8 points")
    # Change points: payment days (balance falls the day after) and, for eu, half-year ends.
    later = sorted((d, a) for d, a in allocations if due < d <= as_of)
    segments: list[Segment] = []
    cursor = due  # interest counted through `cursor` so far
    pay_index = 0
    while cursor < as_of and balance > 0:
        end = as_of
        if pay_index < len(later) and later[pay_index][0] < end:
            end = later[pay_index][0]
        if regime == "eu":
            end = min(end, _half_end(cursor + timedelta(days=1)))
        first = cursor + timedelta(days=1)
        if regime == "uk":
            assert fixed is not None
            rate = fixed.rate + MARGIN["uk"]
        elif regime == "eu":
            assert rates is not None
            row = rates.rate("eu", half_year(first))
            rate = row.rate + MARGIN["eu"]
            text = f"{RATE_NAME['eu']} {row.rate} % for {row.period} ({row.source}) + 8 points"
            if text not in sources:
                sources.append(text)
        else:
            assert contract_rate is not None
            rate = contract_rate
            if not sources:
                sources.append(f"contract rate {contract_rate} %")
        days = (end - cursor).days
        daily = Decimal(balance) / scale * rate / Decimal(100) / Decimal(365)
        segments.append(Segment(first, end, days, balance, rate, daily, daily * days))
        cursor = end
        while pay_index < len(later) and later[pay_index][0] <= cursor:
            balance -= later[pay_index][1]
            pay_index += 1
    total = _quantize(sum((s.amount for s in segments), Decimal(0)), currency)
    comp, comp_currency, warnings = _compensation(regime, currency, amount, scale)
    return Interest(
        regime=regime,
        law=LAW[regime],
        currency=currency,
        start=start,
        as_of=as_of,
        segments=tuple(segments),
        total=total,
        rate_sources=tuple(sources),
        compensation=comp,
        compensation_currency=comp_currency,
        warnings=tuple(warnings),
    )


def _compensation(
    regime: str, currency: str, amount: int, scale: Decimal
) -> tuple[int | None, str | None, list[str]]:
    if regime not in COMPENSATION:
        return None, None, []
    law_currency, bands = COMPENSATION[regime]
    if currency != law_currency:
        return (
            None,
            None,
            [
                f"fixed compensation is set in {law_currency}; not claimed on a {currency} invoice "
                "without a stated exchange rate"
            ],
        )
    debt = Decimal(amount) / scale
    for bound, value in bands:
        if bound is None or debt < bound:
            return _quantize(value, currency), law_currency, []
    raise AssertionError("unreachable")  # pragma: no cover


def parse_rate_rows(data: Mapping[str, object], origin: str) -> list[RateRow]:
    """Rows from a parsed rates TOML (``[[rate]]`` tables); ValueError names the bad row."""
    rows: list[RateRow] = []
    raw = data.get("rate", [])
    if not isinstance(raw, list):
        raise CollectctlError(f"{origin}: 'rate' must be an array of tables ([[rate]])")
    for n, item in enumerate(raw, start=1):
        where = f"{origin}: [[rate]] #{n}"
        try:
            regime = str(item["regime"])
            period = str(item["period"])
            if regime not in MARGIN or len(period) != 7 or period[4:] not in ("-H1", "-H2"):
                raise ValueError(f"regime {regime!r} / period {period!r}")
            rate = Decimal(str(item["rate"]))
            verified = item.get("verified_on") or None
            verified_on = (
                verified
                if isinstance(verified, date)
                else (date.fromisoformat(str(verified)) if verified else None)
            )
            rows.append(
                RateRow(regime, period, rate, str(item.get("source", "")), verified_on, where)
            )
        except (KeyError, ValueError, ArithmeticError, TypeError) as exc:
            raise CollectctlError(
                f"{where} is not a valid rate row: {exc}",
                hint='Rows look like: regime = "uk", period = "2026-H1", rate = "3.75", '
                'source = "...", verified_on = 2026-01-05',
            ) from None
    return rows

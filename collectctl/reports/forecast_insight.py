"""Per-customer payment insight for ``account show`` and ``account list --insight``.

From the same model as ``collectctl forecast`` (docs/forecast.md):

* ``typical_days_late`` — the median delay of the customer's distribution (after shrinkage);
* ``trend`` — ``worse`` / ``better`` when the median delay of its payments of the last 180 days
  is at least :data:`TREND_DAYS` days later / earlier than that of its older payments, else
  ``steady``; ``None`` until both periods hold at least one invoice's worth of payments;
* ``promises_kept`` / ``promises_resolved`` and ``promise_keeping`` — its promises whose
  deadline has passed, kept (a partly kept one counts for the share paid), and the rate;
* ``next_payment`` per currency — the earliest expected pay date of its open invoices.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Container
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from collectctl.domain import forecast as model
from collectctl.ledger import forecast as loader
from collectctl.reports.forecast import GEOMETRY, outlooks, payer, promise_record, waiting

#: Days between the recent and the older median delay that count as a trend.
TREND_DAYS = 7
#: Payments in the last this many days are "recent" for the trend.
RECENT_DAYS = 180


@dataclass(frozen=True)
class Insight:
    """What the ledger says about how one customer pays (see the module docstring)."""

    typical_days_late: int | None
    trend: str | None
    promises_kept: float
    promises_resolved: int
    next_payment: dict[str, date] = field(default_factory=dict)

    @property
    def promise_keeping(self) -> float | None:
        """Kept ÷ resolved promises (``None`` before any deadline has passed)."""
        if not self.promises_resolved:
            return None
        return round(self.promises_kept / self.promises_resolved, 3)

    def as_dict(self, currency: str | None = None) -> dict[str, Any]:
        """JSON-ready; ``currency`` picks one next-payment date (else all, per currency)."""
        out: dict[str, Any] = {
            "typical_days_late": self.typical_days_late,
            "trend": self.trend,
            "promise_keeping": self.promise_keeping,
            "promises_resolved": self.promises_resolved,
        }
        if currency is not None:
            out["next_payment"] = self.next_payment.get(currency)
        else:
            out["next_payment"] = dict(sorted(self.next_payment.items()))
        return out


def _median(hist: dict[int, float]) -> int | None:
    if sum(hist.values()) < 1.0:
        return None
    mass = [hist.get(b, 0.0) for b in range(model.NBINS)]
    return model.Behaviour(mass, 0.0).median_delay()


def trend(recent: int | None, older: int | None) -> str | None:
    """``worse``, ``better`` or ``steady`` from two median delays (``None`` if one is)."""
    if recent is None or older is None:
        return None
    if recent - older >= TREND_DAYS:
        return "worse"
    if older - recent >= TREND_DAYS:
        return "better"
    return "steady"


def insights(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    grace_days: int = 0,
    customers: Container[int] | None = None,
    settings: model.ModelSettings = model.ModelSettings(),
) -> dict[int, Insight]:
    """``{customer key: Insight}`` as of ``as_of`` for ``customers`` (default: every customer
    with history or open invoices). One history scan, whatever the number of customers."""
    split: dict[tuple[int, int], float] = {}
    rows = loader.payment_history(
        conn, as_of, GEOMETRY, settings.half_life_days, split, RECENT_DAYS, by_currency=True
    )
    every = loader.open_invoices(conn, as_of)  # all of them count as evidence
    invoices = [i for i in every if customers is None or i.customer_key in customers]
    payers = {p for p, _b, _w in rows} | {payer(i) for i in invoices}
    if customers is not None:
        payers = {p for p in payers if p[0] in customers}  # type: ignore[index]
    wanted = {p[0] for p in payers}  # type: ignore[index]
    # the forecast's distributions (per customer and currency) for the next payment; the
    # customer's own, over all its currencies, for its typical delay
    beh = model.build_behaviours(rows, settings, payers, waiting(as_of, every))
    whole: dict[tuple[int, int], float] = {}
    for p, b, w in rows:
        key = (p[0], b)  # type: ignore[index]
        whole[key] = whole.get(key, 0.0) + w
    per_customer = model.build_behaviours(
        ((c, b, w) for (c, b), w in whole.items()),
        settings,
        wanted,
        waiting(as_of, every, by_currency=False),
    )
    nxt: dict[int, dict[str, date]] = {}
    looks = outlooks(
        conn, as_of, beh, settings, grace_days=grace_days, invoices=invoices, curves=False
    )
    for item in looks:
        if item.outlook is not None:
            offset = item.outlook.quantile(0.5)
        elif item.status == "forecast":  # the customer's curve alone
            offset = model.curve_median(item.behaviour, item.overdue)
        else:
            continue  # at risk
        if offset is None:
            continue
        day = as_of + timedelta(days=offset)
        per = nxt.setdefault(item.invoice.customer_key, {})
        cur = item.invoice.currency
        if cur not in per or day < per[cur]:
            per[cur] = day
    recent: dict[int, dict[int, float]] = {}
    older: dict[int, dict[int, float]] = {}
    for (c, b), w in split.items():
        if b >= 0:
            recent.setdefault(c, {})[b] = w
        else:
            older.setdefault(c, {})[-1 - b] = w
    _rates, _prior, record = promise_record(conn, as_of, grace_days, settings)
    refs = loader.customer_refs(conn, sorted(wanted))
    out = {}
    for c in wanted:
        kept, resolved = record.get(refs.get(c, ("", "")), (0.0, 0))
        out[c] = Insight(
            typical_days_late=(
                per_customer.of(c).median_delay() if c in per_customer.evidence else None
            ),
            trend=trend(_median(recent.get(c, {})), _median(older.get(c, {}))),
            promises_kept=kept,
            promises_resolved=resolved,
            next_payment=nxt.get(c, {}),
        )
    return out

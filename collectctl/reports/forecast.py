"""The cash-in forecast: ledger rows + the pure model -> per invoice, customer and period.

:func:`outlooks` is the one place that decides how each open invoice is expected to arrive:
disputed invoices and escalated accounts are set aside as *at risk*; invoices covered by a plan in
good standing follow its outstanding installments; an open promise puts its remaining amount on
its date with the customer's promise-keeping rate; everything else follows the customer's delay
distribution (:mod:`collectctl.domain.forecast`), except that an invoice the customer is already
late with, while a newer one is open, is expected half with that newer one
(:func:`~collectctl.domain.forecast.paid_with_next`). :func:`forecast_document` turns that into the
JSON document of ``collectctl forecast``; the back-test lives in
:mod:`collectctl.reports.forecast_backtest`.
"""

from __future__ import annotations

import functools
import gc
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Container, Iterator, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, NamedTuple, ParamSpec, TypeVar

from collectctl.domain import cashflow
from collectctl.domain import forecast as model
from collectctl.domain.plan_tracking import plan_state
from collectctl.domain.plans import ACTIVE
from collectctl.domain.promises import PromiseOutcome, evaluate_promise
from collectctl.ledger import collection
from collectctl.ledger import forecast as loader
from collectctl.ledger import plans as plan_ledger
from collectctl.money import formatter

GEOMETRY = loader.Geometry(model.LOW, model.BIN_DAYS, model.NEVER_AFTER)
Key = tuple[str, str]
P = ParamSpec("P")
R = TypeVar("R")


def gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with Python's cyclic garbage collector paused.

    A forecast builds a few objects per open invoice (150k invoices at 1M) and none of them
    form cycles, so reference counting frees them all; left running, the collector re-scans
    every live object again and again as they are made (a third of the CPU time at 1M).
    """

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        was = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was:
                gc.enable()

    return run


class InvoiceOutlook(NamedTuple):
    """One open invoice and its forecast (``outlook`` is None for at-risk invoices, and for
    ``forecast`` ones when :func:`outlooks` was asked ``curves=False``: those follow
    ``behaviour`` beyond ``overdue`` days past due, ``curve_outlook``'s one piece)."""

    invoice: loader.ForecastInvoice
    status: str  # forecast | plan | promise | disputed | escalated
    ref: str | None  # PL-n, PRM-n, DSP-n or ESC-n
    outlook: model.Outlook | None
    behaviour: model.Behaviour
    overdue: int  # days past due as of the as-of date (negative: not yet due)


def behaviours(
    conn: sqlite3.Connection,
    as_of: date,
    settings: model.ModelSettings,
    only: Container[loader.Payer] | None = None,
    invoices: Sequence[loader.ForecastInvoice] = (),
) -> model.Behaviours:
    """Delay distributions per customer and currency (:func:`payer`) as of ``as_of`` (only
    what was known then); ``only`` the payers whose behaviour will be asked for (the
    profile's always uses everyone); ``invoices`` every invoice open as of ``as_of`` (what is
    still waiting counts too)."""
    rows = loader.payment_history(conn, as_of, GEOMETRY, settings.half_life_days, by_currency=True)
    return model.build_behaviours(rows, settings, only, waiting(as_of, invoices))


def payer(invoice: loader.ForecastInvoice) -> tuple[int, str]:
    """Whose habits an invoice follows: its customer's, in its currency (a customer invoiced
    in two currencies is taken as two payers — often two offices or two bank accounts)."""
    return invoice.customer_key, invoice.currency


def waiting(
    as_of: date, invoices: Sequence[loader.ForecastInvoice], by_currency: bool = True
) -> Iterator[tuple[loader.Payer, int, float]]:
    """``(payer, days past due, open share)`` of the invoices open as of ``as_of``: the
    still-unpaid evidence :func:`collectctl.domain.forecast.build_behaviours` counts (the
    payer is ``(customer, currency)``, or the customer alone without ``by_currency``)."""
    day0 = as_of.toordinal()
    for i in invoices:
        who = (i.customer_key, i.currency) if by_currency else i.customer_key
        yield who, day0 - i.due_date.toordinal(), i.balance / i.amount


def _promise_rates(
    promises: Sequence[loader.PromiseRow],
    outcomes: Mapping[int, PromiseOutcome],
    settings: model.ModelSettings,
) -> tuple[dict[Key, float], float, dict[Key, tuple[float, int]]]:
    """Promise-keeping rate per customer (shrunk), the profile's rate, and each record."""
    record: dict[Key, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for p in promises:
        out = outcomes[p.id]
        if out.status == "open":
            continue
        score = 1.0 if out.status == "kept" else out.paid / p.amount
        r = record[(p.source, p.customer_id)]
        r[0] += min(score, 1.0)
        r[1] += 1
    kept = sum(r[0] for r in record.values())
    made = sum(r[1] for r in record.values())
    prior = kept / made if made else settings.promise_default_rate
    rates = {
        k: model.shrink_rate(r[0], r[1], prior, settings.promise_prior) for k, r in record.items()
    }
    return rates, prior, {k: (r[0], int(r[1])) for k, r in record.items()}


def outlooks(
    conn: sqlite3.Connection,
    as_of: date,
    beh: model.Behaviours,
    settings: model.ModelSettings,
    *,
    currency: str | None = None,
    grace_days: int = 0,
    with_paid_on: bool = False,
    invoices: Sequence[loader.ForecastInvoice] | None = None,
    curves: bool = True,
) -> list[InvoiceOutlook]:
    """How each invoice open as of ``as_of`` is expected to arrive (see the module docstring);
    ``invoices``: :func:`collectctl.ledger.forecast.open_invoices`, when already loaded.
    ``curves=False``: no :class:`~collectctl.domain.forecast.Outlook` is built for invoices
    that follow their customer's behaviour alone (status ``forecast``); the caller works from
    ``behaviour`` and ``overdue``."""
    if invoices is None:
        invoices = loader.open_invoices(conn, as_of, currency=currency, with_paid_on=with_paid_on)
    disputed = collection.open_disputes(conn, as_of)
    escalated = {
        ref: collection.record_id("ESC", n) for ref, n in loader.escalations(conn, as_of).items()
    }
    scheduled: dict[int, list[tuple[int, int, float]]] = defaultdict(list)
    refs: dict[int, tuple[str, str]] = {}
    at_risk: dict[int, tuple[str, str]] = {}
    for i in invoices if disputed or escalated else ():
        if (i.source, i.invoice_id) in disputed:
            at_risk[i.key] = ("disputed", disputed[(i.source, i.invoice_id)])
        elif (i.source, i.customer_id) in escalated:
            at_risk[i.key] = ("escalated", escalated[(i.source, i.customer_id)])
    _plans(conn, as_of, invoices, at_risk, scheduled, refs)
    _promises(conn, as_of, invoices, at_risk, scheduled, refs, grace_days, settings)
    out = []
    look: model.Outlook | None
    day0 = as_of.toordinal()
    own, profile = beh.customers, beh.profile
    new = tuple.__new__
    curve = model.curve_outlook
    # the invoices not at risk, for paid_with_next, and where each is in ``out``
    items: list[model.OpenItem] = []
    slots: list[int] = []
    for i in invoices:
        who = (i.customer_key, i.currency)  # payer(i), inlined
        b = own.get(who, profile)  # beh.of(payer(i)), inlined
        overdue = day0 - i.due_date.toordinal()
        key = i.key
        parts = scheduled.get(key)
        if key in at_risk:
            status, ref = at_risk[key]
            out.append(new(InvoiceOutlook, (i, status, ref, None, b, overdue)))
            continue
        slots.append(len(out))
        items.append((who, key, b, overdue, not parts))
        if parts:
            status, ref = refs[key]
            look = model.scheduled_outlook(i.balance, b, overdue, parts)
            out.append(new(InvoiceOutlook, (i, status, ref, look, b, overdue)))
        else:
            look = curve(i.balance, b, overdue) if curves else None
            out.append(new(InvoiceOutlook, (i, "forecast", None, look, b, overdue)))
    # An invoice its customer is already late with is expected, in part, to be paid together
    # with the customer's next open invoice.
    for k, nxt in model.paid_with_next(items, settings.together_quantile).items():
        item = out[slots[k]]
        look = model.together_outlook(
            item.invoice.balance, item.behaviour, item.overdue, items[nxt][3],
            settings.together_share,
        )  # fmt: skip
        out[slots[k]] = item._replace(outlook=look)
    return out


def _plans(
    conn: sqlite3.Connection,
    as_of: date,
    invoices: Sequence[loader.ForecastInvoice],
    at_risk: Mapping[int, tuple[str, str]],
    scheduled: dict[int, list[tuple[int, int, float]]],
    refs: dict[int, tuple[str, str]],
) -> None:
    """Invoices of plans in good standing: the outstanding installments, oldest invoice first."""
    stored = plan_ledger.load_plans(conn, created_by=as_of)
    if not stored:
        return
    paid = plan_ledger.receipts(conn, as_of)
    by_ref = {(i.source, i.invoice_id): i for i in invoices}
    covers: dict[int, list[loader.ForecastInvoice]] = defaultdict(list)
    for plan, source, ext in loader.plan_coverage(conn, as_of):
        inv = by_ref.get((source, ext))
        if inv is not None and inv.key not in at_risk:
            covers[plan].append(inv)
    for p in stored:
        status = plan_state(
            p.lines, paid.get(p.key, ()), as_of, p.grace_days, p.max_missed, p.cancelled_by(as_of)
        )
        if status.state != ACTIVE or not covers.get(p.key):
            continue
        invs = sorted(covers[p.key], key=lambda i: (i.due_date, i.number))
        left = [i.balance for i in invs]
        for inst in status.installments:
            if inst.outstanding <= 0:
                continue
            offset = max((inst.due - as_of).days, 1)
            for n, take in enumerate(model.allocate(inst.outstanding, left)):
                if take:
                    scheduled[invs[n].key].append((take, offset, 1.0))
                    refs[invs[n].key] = ("plan", p.id)
                    left[n] -= take


def _outcomes(
    conn: sqlite3.Connection, as_of: date, grace_days: int
) -> tuple[list[loader.PromiseRow], dict[int, PromiseOutcome]]:
    """Every promise made by ``as_of`` and its outcome then."""
    rows = loader.promises(conn, as_of)
    if not rows:
        return rows, {}
    payments = loader.promise_payments(conn, as_of)
    return rows, {
        p.id: evaluate_promise(
            p.amount, p.made_on, p.due_on, payments.get(p.id, []), as_of, grace_days
        )
        for p in rows
    }


def _promises(
    conn: sqlite3.Connection,
    as_of: date,
    invoices: Sequence[loader.ForecastInvoice],
    at_risk: Mapping[int, tuple[str, str]],
    scheduled: dict[int, list[tuple[int, int, float]]],
    refs: dict[int, tuple[str, str]],
    grace_days: int,
    settings: model.ModelSettings,
) -> None:
    """Open promises: their remaining amount on their date, with the keeping rate."""
    promises, outcomes = _outcomes(conn, as_of, grace_days)
    if not promises:
        return
    rates, prior, _record = _promise_rates(promises, outcomes, settings)
    by_customer: dict[tuple[str, str, str], list[loader.ForecastInvoice]] = defaultdict(list)
    for i in invoices:
        if i.key not in at_risk and i.key not in scheduled:
            by_customer[(i.source, i.customer_id, i.currency)].append(i)
    for p in sorted(promises, key=lambda p: (p.due_on, p.id)):
        out = outcomes[p.id]
        if out.status != "open" or out.remaining <= 0:
            continue
        mine = by_customer.get((p.source, p.customer_id, p.currency), [])
        if p.invoices:
            mine = [i for i in mine if i.invoice_id in set(p.invoices)]
        mine = sorted(mine, key=lambda i: (i.due_date, i.number))
        rate = rates.get((p.source, p.customer_id), prior)
        offset = max((p.due_on - as_of).days, 1)
        already = {i.key: sum(a for a, _o, _p in scheduled.get(i.key, [])) for i in mine}
        left = [i.balance - already[i.key] for i in mine]
        for n, take in enumerate(model.allocate(out.remaining, left)):
            if take:
                scheduled[mine[n].key].append((take, offset, rate))
                refs[mine[n].key] = ("promise", collection.record_id("PRM", p.id))


def promise_record(
    conn: sqlite3.Connection, as_of: date, grace_days: int, settings: model.ModelSettings
) -> tuple[dict[Key, float], float, dict[Key, tuple[float, int]]]:
    """Promise-keeping rate per customer as of ``as_of``, the profile's, and kept/resolved."""
    promises, outcomes = _outcomes(conn, as_of, grace_days)
    return _promise_rates(promises, outcomes, settings)


# -- the document -------------------------------------------------------------------------------


def _day(as_of: date, offset: int | None) -> date | None:
    return None if offset is None else as_of + timedelta(days=offset)


@gc_paused
def forecast_document(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    unit: str = "week",
    count: int = 13,
    by: str = "week",
    currency: str | None = None,
    grace_days: int = 0,
    settings: model.ModelSettings = model.ModelSettings(),
) -> dict[str, Any]:
    """The JSON document of ``collectctl forecast`` (see docs/forecast.md for every key)."""
    every = loader.open_invoices(conn, as_of)  # all of them count as evidence
    invoices = [i for i in every if i.currency == currency] if currency else every
    payers = {(i.customer_key, i.currency) for i in invoices}  # payer(i), inlined
    beh = behaviours(conn, as_of, settings, payers, every)
    by_week = by == "week"  # then the usual invoices need no Outlook object: only their cash
    looks = outlooks(
        conn,
        as_of,
        beh,
        settings,
        currency=currency,
        grace_days=grace_days,
        invoices=invoices,
        curves=not by_week,
    )
    spans = cashflow.periods(as_of, unit, count)
    bounds = [p.last for p in spans]
    horizon = bounds[-1]
    tallies: dict[str, cashflow.Tally] = {}
    risk: dict[str, int] = defaultdict(int)
    invoice_rows: list[dict[str, Any]] = []
    customers: dict[tuple[int, str], dict[str, Any]] = {}
    want_invoices = by == "invoice"
    add_cash = cashflow.add_curve_cash
    rest: Sequence[InvoiceOutlook] = looks
    if by_week:
        # the usual case in one tight loop: each invoice takes the steps the loop below takes
        # for it, in the same order
        empty = cashflow.Tally.empty
        for inv, status, _ref, look, b, overdue in looks:
            cur = inv.currency
            tally = tallies.get(cur) or tallies.setdefault(cur, empty(len(spans)))
            if look is not None:
                cashflow.add_to_tally(tally, look, bounds)
            elif status == "forecast":  # the customer's curve
                add_cash(tally, inv.balance, b, overdue, bounds)
            else:
                risk[cur] += inv.balance
        rest = ()
    for item in rest:
        inv = item.invoice
        cur = inv.currency
        tally = tallies.get(cur) or tallies.setdefault(cur, cashflow.Tally.empty(len(spans)))
        cust = None
        if by == "customer":
            cust = customers.get((inv.customer_key, cur))
            if cust is None:
                cust = customers[(inv.customer_key, cur)] = _customer_row(item, cur)
            cust["_balance"] += inv.balance
        if item.outlook is None and item.status != "forecast":
            risk[cur] += inv.balance
            if cust is not None:
                cust["_risk"] += inv.balance
            if want_invoices:
                invoice_rows.append(_invoice_row(item, as_of, None, None))
            continue
        look = item.outlook
        assert look is not None  # curves=True: every invoice not at risk has its outlook
        shares = cashflow.add_to_tally(tally, look, bounds)
        if cust is not None:
            never = look.never()
            cust["_in"] += inv.balance * sum(shares)
            cust["_never"] += inv.balance * never
            cust["_later"] += inv.balance * max(1 - never - sum(shares), 0.0)
            median = look.quantile(0.5)
            if median is not None and (cust["_next"] is None or median < cust["_next"]):
                cust["_next"] = median
        if want_invoices:
            invoice_rows.append(_invoice_row(item, as_of, shares, horizon))
    totals = []
    period_rows = []
    for cur in sorted(tallies):
        t = tallies[cur]
        fmt = formatter(cur)
        for k, span in enumerate(spans):
            low, mid, high = cashflow.band(t.expected[k], t.variance[k])
            period_rows.append(
                {
                    "period": span.number,
                    "start": span.start,
                    "end": span.end,
                    "currency": cur,
                    "expected": fmt(mid),
                    "low": fmt(low),
                    "high": fmt(high),
                }
            )
        expected_in = sum(cashflow.round_units(e) for e in t.expected)
        totals.append(
            {
                "currency": cur,
                "open": fmt(t.balance + risk[cur]),
                "expected_in_horizon": fmt(expected_in),
                "expected_later": fmt(cashflow.round_units(t.later)),
                "unlikely": fmt(cashflow.round_units(t.never)),
                "at_risk": fmt(risk[cur]),
            }
        )
    if by == "invoice":
        invoice_rows.sort(key=lambda r: (r["customer"].casefold(), r["customer_id"], r["due_date"]))
        rows = invoice_rows
    elif by == "customer":
        rows = [_finish_customer(c, as_of) for c in customers.values()]
        rows.sort(key=lambda r: (r["customer"].casefold(), r["customer_id"], r["currency"]))
    else:
        rows = period_rows
    return {
        "as_of": as_of,
        "unit": unit,
        "periods": count,
        "horizon_end": spans[-1].end,
        "by": by,
        "rows": rows,
        "cash": period_rows,
        "totals": totals,
        "model": {
            "half_life_days": settings.half_life_days,
            "prior_invoices": settings.prior_invoices,
            "habit_invoices": settings.habit_invoices,
            "habits": 0 if beh.habits is None else len(beh.habits.weights),
            "never_after_days": model.NEVER_AFTER,
            "band": "80% (expected ± 1.28 standard deviations, invoices independent)",
        },
    }


def _customer_row(item: InvoiceOutlook, cur: str) -> dict[str, Any]:
    inv = item.invoice
    return {
        "customer_id": inv.customer_id,
        "customer": inv.customer,
        "currency": cur,
        "typical_days_late": item.behaviour.median_delay(),
        "_balance": 0,
        "_risk": 0,
        "_in": 0.0,
        "_later": 0.0,
        "_never": 0.0,
        "_next": None,
    }


def _finish_customer(c: dict[str, Any], as_of: date) -> dict[str, Any]:
    fmt = formatter(c["currency"])
    return {
        "customer_id": c["customer_id"],
        "customer": c["customer"],
        "currency": c["currency"],
        "balance": fmt(c["_balance"]),
        "expected_in_horizon": fmt(cashflow.round_units(c["_in"])),
        "expected_later": fmt(cashflow.round_units(c["_later"])),
        "unlikely": fmt(cashflow.round_units(c["_never"])),
        "at_risk": fmt(c["_risk"]),
        "typical_days_late": c["typical_days_late"],
        "next_payment": _day(as_of, c["_next"]),
    }


def _invoice_row(
    item: InvoiceOutlook, as_of: date, shares: Sequence[float] | None, horizon: int | None
) -> dict[str, Any]:
    inv = item.invoice
    fmt = formatter(inv.currency)
    look = item.outlook
    row: dict[str, Any] = {
        "invoice_id": inv.invoice_id,
        "number": inv.number,
        "customer_id": inv.customer_id,
        "customer": inv.customer,
        "currency": inv.currency,
        "due_date": inv.due_date,
        "balance": fmt(inv.balance),
        "status": item.status,
        "ref": item.ref,
        "expected_date": None,
        "early_date": None,
        "late_date": None,
        "p_horizon": None,
        "p_never": None,
    }
    if look is not None and shares is not None:
        row["expected_date"] = _day(as_of, look.quantile(0.5))
        row["early_date"] = _day(as_of, look.quantile(0.25))
        row["late_date"] = _day(as_of, look.quantile(0.75))
        row["p_horizon"] = round(sum(shares), 3)
        row["p_never"] = round(look.never(), 3)
    return row

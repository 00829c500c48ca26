"""Receivables-metric inputs straight from the ledger, summed in SQL over integer minor units.

For a sorted list of evaluation dates e_0 < e_1 < ... (a period's day before start and its end,
or every month end of a trend) this computes, per currency and date, exactly what
``collectctl aging --as-of e_k`` would total: AR (``total``: open balances net of unapplied
credit), the ``current`` bucket and the ``91+`` bucket, plus credit sales by month — with a
fixed number of scans whatever the number of dates:

* one streamed pass over the invoices in the order of the covering ``invoices_by_issue`` index,
  summed per (void, issue date, currency, due date); those tens of thousands of groups are then
  placed among the dates in Python and regrouped by currency, void, issue month and three small
  integers: ``lo`` (the first date the invoice is issued by), ``hi`` (the first date it is past
  due at) and ``o`` (the first date it is more than 90 days past due at);
* one pass over the allocations dated after e_0 in invoice order, each joined to its invoice by
  key, grouped the same way plus ``ka`` (the first date the allocation counts at);
* the unapplied allocations (partial index), and the few overpaid invoices, which are the only
  ones whose balance is floored at zero, corrected exactly in Python.

Why it works: AR at e = sales issued ≤ e − allocations dated ≤ e (refunds added back), which is
linear; the balance of an invoice at e is ``amount − allocated + (allocations dated after e)``.
"""

from __future__ import annotations

import sqlite3
from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from collectctl.ledger.dialect import dialect_of

OVER_90 = 91  # the aging default's last bucket: more than 90 days past due


@dataclass
class Series:
    """One currency's figures at each evaluation date (minor units; lists indexed like cuts)."""

    ar: list[int]
    current: list[int]
    over_90: list[int]
    sales_to: list[int]  # cumulative credit sales issued on or before each date
    #: monthly[(year, month)][k] = sales of that month issued on or before date k
    monthly: dict[tuple[int, int], list[int]] = field(default_factory=dict)


def _case(column: str, op: str, cuts: list[str], prefix: str) -> tuple[str, dict[str, str]]:
    """``CASE WHEN column op :p0 THEN 0 ... ELSE n END``: the first k with ``column op cut_k``."""
    parts = ["CASE"]
    params = {}
    for k, cut in enumerate(cuts):
        params[f"{prefix}{k}"] = cut
        parts.append(f"WHEN {column} {op} :{prefix}{k} THEN {k}")
    parts.append(f"ELSE {len(cuts)} END")
    return " ".join(parts), params


def series(
    conn: sqlite3.Connection, cuts: list[date], currency: str | None = None
) -> dict[str, Series]:
    """AR, current and 91+ at every date of ``cuts`` (sorted, distinct), per currency."""
    n = len(cuts)
    iso = [c.isoformat() for c in cuts]
    over = [(c - timedelta(days=OVER_90)).isoformat() for c in cuts]
    lo, p_lo = _case("i.issue_date", "<=", iso, "e")
    hi, p_hi = _case("i.due_date", "<", iso, "e")
    o, p_o = _case("i.due_date", "<=", over, "f")
    ka, p_ka = _case("a.date", "<=", iso, "e")
    params: dict[str, Any] = {**p_lo, **p_hi, **p_o, **p_ka, "first": iso[0], "last": iso[-1]}
    cur = ""
    if currency:
        cur = "AND i.currency = :cur"
        params["cur"] = currency
    out: dict[str, Series] = {}

    def get(code: str) -> Series:
        if code not in out:
            out[code] = Series([0] * n, [0] * n, [0] * n, [0] * n)
        return out[code]

    alloc_total: dict[str, int] = defaultdict(int)
    # 1. invoices: sales, and Σ(amount − allocated) over the invoices current / 91+ at each date.
    for code, void, ym, k_lo, k_hi, k_o, amount, allocated in _invoice_groups(
        conn, iso, over, currency
    ):
        s = get(code)
        alloc_total[code] += allocated
        if void or k_lo >= n:
            continue
        month = (int(ym[:4]), int(ym[5:7]))
        per_cut = s.monthly.setdefault(month, [0] * n)
        for k in range(k_lo, n):
            s.sales_to[k] += amount
            per_cut[k] += amount
            if k < k_hi:
                s.current[k] += amount - allocated
            if k >= k_o:
                s.over_90[k] += amount - allocated
    # 2. allocations dated after the first date: taken back out where they are "late"
    late: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    for code, void, k_a, k_lo, k_hi, k_o, amount in _late_groups(conn, ka, lo, hi, o, cur, params):
        s = get(code)
        for k in range(min(k_a, n)):
            late[code][k] += amount
            if void or k < k_lo:
                continue
            if k < k_hi:
                s.current[k] += amount
            if k >= k_o:
                s.over_90[k] += amount
    # 3. unapplied payments, credits and refunds, by the first date they count at
    unapplied: dict[str, list[int]] = defaultdict(lambda: [0] * n)
    ka_u = ka.replace("a.date", "date")
    for code, k_a, signed in conn.execute(
        f"""SELECT currency, {ka_u},
                   SUM(CASE WHEN kind = 'refund' THEN -amount ELSE amount END)
            FROM allocations WHERE invoice IS NULL AND date <= :last
            {cur.replace("i.currency", "currency")} GROUP BY 1, 2""",
        params,
    ):
        get(code)
        for k in range(k_a, n):
            unapplied[code][k] += signed
    for code, s in out.items():
        for k in range(n):
            linked = alloc_total[code] - late[code][k]
            s.ar[k] = s.sales_to[k] - linked - unapplied[code][k]
    _floor_overpaid(conn, cuts, currency, out)
    return out


def _floor_overpaid(
    conn: sqlite3.Connection, cuts: list[date], currency: str | None, out: dict[str, Series]
) -> None:
    """Add back the negative balances of overpaid invoices: aging floors them at zero (the
    excess is unapplied credit, already in AR). Only invoices overpaid today can have been
    overpaid at an earlier date, because allocations only add up."""
    cur = "AND currency = :cur" if currency else ""
    rows = conn.execute(
        f"""SELECT id, currency, issue_date, due_date, amount FROM invoices
            WHERE void = 0 AND allocated > amount AND issue_date <= :last {cur}""",
        {"last": cuts[-1].isoformat(), "cur": currency},
    ).fetchall()
    if not rows:
        return
    paid: dict[int, list[tuple[str, int]]] = defaultdict(list)
    ids = [r[0] for r in rows]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))
        for invoice, day, amount in conn.execute(
            f"SELECT invoice, date, amount FROM allocations WHERE invoice IN ({marks})", chunk
        ):
            paid[invoice].append((day, amount))
    for key, code, issue, due, amount in rows:
        s = out[code]
        for k, cut in enumerate(cuts):
            e = cut.isoformat()
            if issue > e:
                continue
            balance = amount - sum(a for d, a in paid[key] if d <= e)
            if balance >= 0:
                continue
            if due >= e:
                s.current[k] -= balance
            elif due <= (cut - timedelta(days=OVER_90)).isoformat():
                s.over_90[k] -= balance


@dataclass
class DaysToPay:
    """Invoices fully paid in a period, aggregated: count, Σ days, Σ amount × days, Σ amount."""

    invoices: int
    days: int
    amount_days: int
    amount: int


def days_to_pay(
    conn: sqlite3.Connection,
    start: date,
    end: date,
    *,
    currency: str | None = None,
    by: str | None = None,
) -> dict[tuple[Any, ...], DaysToPay]:
    """Days from issue to full payment of the invoices fully paid within ``start..end`` (and
    issued by ``end``: a prepaid invoice issued later does not exist yet at the period's end).

    The full-payment date is that of the allocation (payment, credit, write-off) that brought
    the allocated total up to the amount, as in :func:`collectctl.domain.metrics.fully_paid_on`
    (the sync keeps it in ``invoices.paid_on``). Keys: ``(currency,)``, or
    ``(currency, "YYYY-MM")`` with ``by="month"``, or ``(currency, customer key)`` with
    ``by="customer"``.
    """
    # ``paid_on`` (kept by the sync) is the date the allocations first covered the amount; when
    # it falls in the period, allocations after the period end cannot move it.
    group = {None: "", "month": ", substr(paid_on, 1, 7)", "customer": ", customer"}[by]
    cur = "AND currency = :cur" if currency else ""
    sql = f"""
        SELECT currency{group}, COUNT(*), SUM(d), SUM(amount * d), SUM(amount) FROM (
            SELECT currency, customer, paid_on, amount,
                   CAST(julianday(paid_on) - julianday(issue_date) AS INTEGER) AS d
            FROM invoices INDEXED BY invoices_paid_on
            WHERE paid_on BETWEEN :s AND :e AND void = 0 AND issue_date <= :e {cur})
        GROUP BY currency{group}"""
    out: dict[tuple[Any, ...], DaysToPay] = {}
    width = 2 if by else 1
    for row in conn.execute(sql, {"s": start.isoformat(), "e": end.isoformat(), "cur": currency}):
        out[tuple(row[:width])] = DaysToPay(*row[width:])
    return out


# --- the report ---------------------------------------------------------------------------------

#: Every metric in a row, with the definition the output names (docs/metrics.md).


def _invoice_groups(
    conn: sqlite3.Connection, iso: list[str], over: list[str], currency: str | None
) -> list[tuple[str, int, str, int, int, int, int, int]]:
    """Σ amount and Σ allocated per (currency, void, issue month, lo, hi, o) of the invoices.

    ``lo`` is the first cut the invoice is issued by, ``hi`` the first it is past due at and
    ``o`` the first it is more than 90 days past due at. SQL sums per (void, issue date,
    currency, due date) in the order of the covering ``invoices_by_issue`` index (a streamed
    pass, no sort; tens of thousands of groups for a million invoices; ``void = void`` is the
    index's always-true predicate, which a query must state to use it); the dates are then
    placed among the cuts here, once per distinct date, by the same text comparisons SQL
    would make.
    """
    cur = "AND currency = :cur" if currency else ""
    rows = conn.execute(
        f"""SELECT void, issue_date, currency, due_date, SUM(amount), SUM(allocated)
            FROM invoices INDEXED BY invoices_by_issue WHERE void = void {cur}
            GROUP BY void, issue_date, currency, due_date""",
        {"cur": currency},
    )
    issued: dict[str, int] = {}  # issue date -> first k with issue_date <= cut k
    past_due: dict[str, tuple[int, int]] = {}  # due date -> (first k due < cut k, first 91+)
    sums: dict[tuple[str, int, str, int, int, int], list[int]] = {}
    for void, issue, code, due, amount, allocated in rows:
        k_lo = issued.get(issue)
        if k_lo is None:
            k_lo = issued[issue] = bisect_left(iso, issue)
        ks = past_due.get(due)
        if ks is None:
            ks = past_due[due] = (bisect_right(iso, due), bisect_left(over, due))
        key = (code, void, issue[:7], k_lo, *ks)
        total = sums.get(key)
        if total is None:
            sums[key] = [amount, allocated]
        else:
            total[0] += amount
            total[1] += allocated
    return [(*key, amount, allocated) for key, (amount, allocated) in sums.items()]


def _late_groups(
    conn: sqlite3.Connection, ka: str, lo: str, hi: str, o: str, cur: str, params: dict[str, Any]
) -> list[Any]:
    """Σ amount of the allocations dated after the first cut, per (invoice currency, void, ka,
    lo, hi, o). The allocations are read in invoice order (``allocations_by_invoice``), so each
    one's invoice is fetched in key order rather than at random; on SQLite the sums go through
    a tiny temp table (upsert), which costs about half of a GROUP BY's sort."""
    joined = """FROM allocations a INDEXED BY allocations_by_invoice
        JOIN invoices i ON i.id = a.invoice
        WHERE a.invoice IS NOT NULL AND a.date > :first"""
    if dialect_of(conn) == "postgresql":
        # PostgreSQL's hash aggregate needs no detour through a temp table.
        return conn.execute(
            f"""SELECT i.currency, i.void, {ka}, {lo}, {hi}, {o}, SUM(a.amount)
                {joined} {cur} GROUP BY 1, 2, 3, 4, 5, 6""",
            params,
        ).fetchall()
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS metrics_late (currency TEXT, void INT, ka INT, "
        "lo INT, hi INT, o INT, amount INT, PRIMARY KEY (currency, void, ka, lo, hi, o)) "
        "WITHOUT ROWID"
    )
    conn.execute("DELETE FROM temp.metrics_late")
    conn.execute(
        f"""INSERT INTO temp.metrics_late
            SELECT i.currency, i.void, {ka}, {lo}, {hi}, {o}, a.amount {joined} {cur}
            ON CONFLICT DO UPDATE SET amount = amount + excluded.amount""",
        params,
    )
    rows = conn.execute("SELECT * FROM temp.metrics_late").fetchall()
    conn.execute("DELETE FROM temp.metrics_late")
    return rows

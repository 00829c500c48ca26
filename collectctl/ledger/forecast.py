"""What the cash-in forecast reads from the ledger: SQL and typed rows only.

A fixed number of set-based queries per as-of date D, whatever the size of the books:

* :func:`payment_history` — two aggregate scans: ``payment`` allocations dated ≤ D summed per
  (customer[, currency], delay bin) as shares of their invoice, recency-weighted in SQL; and,
  for invoices due long enough before D, the share neither paid nor credited in time (the
  "never" bin).
* :func:`open_invoices` — invoices open as of D (balance = amount − allocations dated ≤ D).
* :func:`promises`, :func:`promise_payments`, :func:`escalations` — collection records as of D.
* :func:`receipts_between` — payments dated in (start, end] per invoice and day (back-test
  actuals, one scan for every month-end).
* :func:`last_write_offs` — each written-off invoice's latest write-off date (back-test).

Nothing here decides anything: the bins' geometry and the half-life come in as parameters.
Allocations dated after D never enter the history or the balances.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import NamedTuple


@dataclass(frozen=True)
class Geometry:
    """Delay bins: ``low`` (first delay), ``width`` days each, ``never_after`` the last delay."""

    low: int
    width: int
    never_after: int

    @property
    def never_bin(self) -> int:
        return (self.never_after - self.low + 1) // self.width


#: Whose habits a history row describes: a customer key, or ``(customer key, currency)``.
Payer = int | tuple[int, str]


class ForecastInvoice(NamedTuple):
    """An invoice open as of D (money in minor units; a tuple: 144k of them are built fast)."""

    key: int
    source: str
    invoice_id: str
    number: str
    customer_key: int
    customer_id: str
    customer: str
    currency: str
    issue_date: date
    due_date: date
    amount: int
    balance: int
    paid_on: date | None  # when the books (all dates) first covered it: back-test actuals only


def _ensure_exp(conn: sqlite3.Connection) -> None:
    """SQLite without its math functions gets ``exp`` from Python (slower, same result)."""
    try:
        conn.execute("SELECT exp(0)").fetchone()
    except sqlite3.OperationalError:
        conn.create_function("exp", 1, math.exp, deterministic=True)


#: The history scan's one-integer group key must stay below this (else three columns).
_KEY_LIMIT = 2**62


def payment_history(
    conn: sqlite3.Connection,
    as_of: date,
    geometry: Geometry,
    half_life_days: float,
    recent: dict[tuple[int, int], float] | None = None,
    recent_days: int = 180,
    by_currency: bool = False,
) -> list[tuple[Payer, int, float]]:
    """``(customer key, bin, weight)`` rows of the delay history as of ``as_of``
    (``by_currency``: ``((customer key, currency), bin, weight)``, the invoices of each of a
    customer's currencies apart).

    Paid bins: each ``payment`` allocation dated ≤ D to a live invoice issued ≤ D and made at most
    ``never_after`` days after the due date adds ``min(amount, invoice amount) ÷ invoice
    amount × 0.5 ** ((D − payment date) ÷ half_life)``. Never bin: each live invoice due at least
    ``never_after + 1`` days before D adds ``0.5 ** ((D − (due + never_after + 1)) ÷ half_life)``
    times the share of it not paid or credited within ``never_after`` days of its due date.

    ``recent``, when given, is filled with ``{(customer, bin): share}`` of the payments dated in
    the last ``recent_days`` days and ``{(customer, -1 - bin): share}`` of the older ones, not
    recency-weighted (the trend of ``account show``), from the same scan, summed over the
    customer's currencies.
    """
    _ensure_exp(conn)
    d = as_of.isoformat()
    g = geometry
    k = -math.log(2) / half_life_days
    mature = date.fromordinal(as_of.toordinal() - g.never_after - 1).isoformat()
    jd = as_of.toordinal() + 1721424.5  # the Julian day number SQLite's julianday() gives D
    top = g.never_bin  # bins from here on are payments made more than never_after days late
    params: dict[str, object] = {
        "d": d, "jd": jd, "k": k, "low": g.low, "w": g.width, "na": g.never_after, "m": mature,
        "cut": g.low + top * g.width,  # the first delay of bin `top`
    }  # fmt: skip
    share = "MIN(a.amount, i.amount) * 1.0 / i.amount"
    split = "NULL AS n, NULL AS o"
    split_sums = "NULL, NULL"
    if recent is not None:
        params["r"] = date.fromordinal(as_of.toordinal() - recent_days).isoformat()
        split = (
            f"CASE WHEN a.kind = 'payment' AND a.date > :r THEN {share} END AS n, "
            f"CASE WHEN a.kind = 'payment' AND a.date <= :r THEN {share} END AS o"
        )
        split_sums = "SUM(n), SUM(o)"
    # The weights are worked out per allocation in subqueries that SQLite runs as coroutines
    # (their LIMIT keeps them from being merged into the query around them): the innermost
    # reads each allocation and its invoice and takes the two dates' day numbers once (date
    # parsing was an eighth of the scan), the next the key and the weights; so the rows the
    # GROUP BY sorts carry one integer key and the weights, not the dates, kinds and amounts
    # they are computed from (that sort of a million rows is most of the scan's time). The key
    # is (customer × currencies + currency rank) × bins + bin, which sorts as (customer,
    # currency, bin) did: the groups, and the order of the rows in each, are the same as with
    # those three columns, and so are the sums. Payments made in bins from `top` on are never
    # read, so they are not sorted either. A plain scan of the allocations (NOT INDEXED):
    # nearly all of them qualify, and reading them through the date index costs a random
    # table lookup each (5x slower at 1M).
    rows_sql = f"""
        SELECT {{keys}},
               CASE WHEN paid THEN s * exp(:k * (:jd - ja)) END AS p,
               CASE WHEN mat THEN s * exp(:k * (:jd - ju - :na - 1)) END AS q, n, o
        FROM (SELECT i.customer AS c, {{cur}} AS x, julianday(a.date) AS ja,
                     julianday(i.due_date) AS ju, a.kind = 'payment' AS paid, {share} AS s,
                     i.due_date <= :m AS mat, {split}
              FROM allocations a NOT INDEXED JOIN invoices i ON i.id = a.invoice
              WHERE a.date <= :d AND a.kind IN ('payment', 'credit') AND i.void = 0
                AND i.issue_date <= :d
              LIMIT 9223372036854775807) AS h
        WHERE CAST(ja - ju AS INTEGER) < :cut
        LIMIT 9223372036854775807
    """
    biggest = conn.execute("SELECT MAX(id) FROM customers").fetchone()[0] or 0
    before = dict(recent) if recent is not None else {}
    # First the currencies the customers are kept in (a small table); an invoice in another
    # one shows as a group without a currency rank, and then the scan is made again with
    # every invoice's currency.
    where = "customers"
    while True:
        codes = [""]
        cur = "0"
        if by_currency:
            codes = sorted({c for (c,) in conn.execute(f"SELECT DISTINCT currency FROM {where}")})
            if not codes:
                return []
            params.update({f"c{n}": c for n, c in enumerate(codes)})
            cur = "CASE i.currency " + " ".join(f"WHEN :c{n} THEN {n}" for n in range(len(codes)))
            cur += " END"
        params["nc"], params["nb"] = len(codes), top
        bin_ = "(MAX(CAST(ja - ju AS INTEGER), :low) - :low) / :w"
        if (biggest + 1) * len(codes) * top < _KEY_LIMIT:
            keys = f"(c * :nc + x) * :nb + {bin_} AS key"
            sql = f"""
                SELECT key / (:nc * :nb), key / :nb % :nc, key % :nb, SUM(p), SUM(q),
                       {split_sums}
                FROM ({rows_sql.format(keys=keys, cur=cur)}) AS w GROUP BY key
            """
        else:  # keys that large would not fit in 64 bits: the three columns
            keys = f"c, x, {bin_} AS b"
            sql = f"""
                SELECT c, x, b, SUM(p), SUM(q), {split_sums}
                FROM ({rows_sql.format(keys=keys, cur=cur)}) AS w GROUP BY c, x, b
            """
        rows: list[tuple[Payer, int, float]] = []
        settled: dict[Payer, float] = {}
        last: tuple[int, int] = (-1, -1)
        who: Payer = -1
        complete = True
        for customer, x, b, paid, mature_share, new, old in conn.execute(sql, params):
            if customer is None or x is None:
                complete = False  # a currency no customer is kept in
                break
            if recent is not None:
                if new:
                    recent[(customer, b)] = recent.get((customer, b), 0.0) + new
                if old:
                    recent[(customer, -1 - b)] = recent.get((customer, -1 - b), 0.0) + old
            if customer != last[0] or x != last[1]:  # rows come payer by payer: one key each
                last = (customer, x)
                who = (customer, codes[x]) if by_currency else customer
            if paid:
                rows.append((who, b, paid))
            if mature_share:
                settled[who] = settled.get(who, 0.0) + mature_share
        if complete or where == "invoices":
            break
        where = "invoices"
        if recent is not None:
            recent.clear()
            recent.update(before)
    inv_cur, by_inv_cur = ("currency", ", currency") if by_currency else ("NULL", "")
    never_sql = f"""
        SELECT customer, {inv_cur},
               SUM(exp(:k * (:jd - julianday(due_date) - :na - 1)))
        FROM invoices INDEXED BY invoices_aging
        WHERE void = 0 AND issue_date <= :d AND due_date <= :m
        GROUP BY customer{by_inv_cur}
    """
    nb = g.never_bin
    for customer, currency, weight in conn.execute(never_sql, params):
        who = (customer, currency) if by_currency else customer
        left = weight - settled.get(who, 0.0)
        if left > 1e-9:
            rows.append((who, nb, left))
    return rows


def payment_history_at(
    conn: sqlite3.Connection,
    dates: Sequence[date],
    geometry: Geometry,
    half_life_days: float,
    by_currency: bool = False,
) -> Iterator[tuple[date, Iterable[tuple[Payer, int, float]]]]:
    """:func:`payment_history` as of each of ``dates``, from three scans in all (the back-test).

    A weight ``0.5 ** ((D − t) ÷ h)`` is ``0.5 ** ((R − t) ÷ h)`` times ``0.5 ** ((D − R) ÷ h)``
    for a reference day R: each payment (and each invoice's "never" share) is summed once at R,
    per the first of the dates it is visible on, and every date's rows are running totals of
    those sums scaled to that date. Gives the same rows as one :func:`payment_history` per date,
    yielded date by date in ascending order, each date's rows an iterator to read once (it
    stays valid when later dates have been yielded). ``by_currency`` as there.
    """
    _ensure_exp(conn)
    days = sorted(set(dates))
    if not days:
        return
    g = geometry
    k = -math.log(2) / half_life_days
    ref = days[-1]
    params: dict[str, object] = {
        "jd": ref.toordinal() + 1721424.5, "k": k, "low": g.low, "w": g.width,
        "na": g.never_after, "last": ref.isoformat(),
        "mlast": date.fromordinal(ref.toordinal() - g.never_after - 1).isoformat(),
    }  # fmt: skip
    when_p, when_q = [], []
    for j, day in enumerate(days):
        params[f"d{j}"] = day.isoformat()
        params[f"m{j}"] = date.fromordinal(day.toordinal() - g.never_after - 1).isoformat()
        when_p.append(f"WHEN MAX(a.date, i.issue_date) <= :d{j} THEN {j}")
        when_q.append(f"WHEN {{due}} <= :m{j} THEN {j}")
    period = "CASE " + " ".join(when_p) + " END"
    mature = "CASE " + " ".join(when_q) + " END"
    delay = "CAST(julianday(a.date) - julianday(i.due_date) AS INTEGER)"
    share = "MIN(a.amount, i.amount) * 1.0 / i.amount"
    top = g.never_bin
    cur, inv_cur = ("i.currency", "currency") if by_currency else ("NULL", "NULL")
    by_cur, by_inv_cur = (", i.currency", ", currency") if by_currency else ("", "")
    paid: list[list[tuple[Payer, int, float]]] = [[] for _ in days]
    for customer, currency, b, p, w in conn.execute(
        f"""SELECT i.customer, {cur}, (MAX({delay}, :low) - :low) / :w AS bin, {period} AS p,
                   SUM({share} * exp(:k * (:jd - julianday(a.date))))
            FROM allocations a NOT INDEXED JOIN invoices i ON i.id = a.invoice
            WHERE a.date <= :last AND a.kind = 'payment' AND i.void = 0
              AND i.issue_date <= :last
            GROUP BY i.customer{by_cur}, bin, p""",
        params,
    ):
        if b < top and w:
            paid[p].append(((customer, currency) if by_currency else customer, b, w))
    settled: list[list[tuple[Payer, float]]] = [[] for _ in days]
    for customer, currency, q, w in conn.execute(
        f"""SELECT i.customer, {cur}, {mature.format(due="i.due_date")} AS q,
                   SUM({share} * exp(:k * (:jd - julianday(i.due_date) - :na - 1)))
            FROM allocations a NOT INDEXED JOIN invoices i ON i.id = a.invoice
            WHERE a.kind IN ('payment', 'credit') AND i.void = 0 AND i.due_date <= :mlast
              AND {delay} <= :na
            GROUP BY i.customer{by_cur}, q""",
        params,
    ):
        settled[q].append(((customer, currency) if by_currency else customer, -w))
    for customer, currency, q, w in conn.execute(
        f"""SELECT customer, {inv_cur}, {mature.format(due="due_date")} AS q,
                   SUM(exp(:k * (:jd - julianday(due_date) - :na - 1)))
            FROM invoices INDEXED BY invoices_aging
            WHERE void = 0 AND due_date <= :mlast GROUP BY customer{by_inv_cur}, q""",
        params,
    ):
        settled[q].append(((customer, currency) if by_currency else customer, w))
    # The running totals per (customer, bin), in order of first appearance: three parallel
    # lists, so that a date's rows are zipped from them (no tuple kept per row and date).
    where: dict[tuple[Payer, int], int] = {}
    cs: list[Payer] = []
    bs: list[int] = []
    ws: list[float] = []
    never: dict[Payer, float] = {}
    for j, day in enumerate(days):
        for customer, b, w in paid[j]:
            at = where.get((customer, b))
            if at is None:
                where[(customer, b)] = len(ws)
                cs.append(customer)
                bs.append(b)
                ws.append(0.0 + w)
            else:
                ws[at] += w
        for customer, w in settled[j]:
            never[customer] = never.get(customer, 0.0) + w
        scale = math.exp(k * (day.toordinal() - ref.toordinal()))
        nevers = [(c, top, w * scale) for c, w in never.items() if w * scale > 1e-9]
        # later dates only append to cs and bs; the scaled weights are this date's own list
        yield day, chain(zip(cs, bs, [w * scale for w in ws], strict=False), nevers)


#: Up to this many allocations dated after D are summed per invoice in Python (see
#: :func:`open_invoices`).
_FEW_LATER = 50_000


def open_invoices(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    currency: str | None = None,
    with_paid_on: bool = False,
) -> list[ForecastInvoice]:
    """Live invoices issued on or before ``as_of`` with a balance > 0 as of that date."""
    d = as_of.isoformat()
    params: dict[str, object] = {"d": d}
    # Allocations dated after D (the few of the last days, as of a recent D): their sums per
    # invoice, read off the date index, are added back below. As of an older D (more than
    # _FEW_LATER of them: counting stops there) the query adds them back itself, one index
    # seek per open invoice.
    found = conn.execute(
        "SELECT COUNT(*) FROM (SELECT 1 FROM allocations INDEXED BY allocations_by_date "
        "WHERE date > :d AND invoice IS NOT NULL LIMIT :n) AS x",
        {"d": d, "n": _FEW_LATER + 1},
    ).fetchone()[0]
    later: dict[int, int] = {}
    bal, still_open = "i.amount - i.allocated", "i.amount - i.allocated > 0"
    if found > _FEW_LATER:
        bal = (
            "i.amount - i.allocated + COALESCE((SELECT SUM(a.amount) FROM allocations a "
            "INDEXED BY allocations_by_invoice WHERE a.invoice = i.id AND a.date > :d), 0)"
        )
    elif found:
        for invoice, amount in conn.execute(
            "SELECT invoice, amount FROM allocations INDEXED BY allocations_by_date "
            "WHERE date > :d AND invoice IS NOT NULL",
            params,
        ):
            later[invoice] = later.get(invoice, 0) + amount
    if found:
        # Allocations are all > 0, so an invoice is open as of D exactly when it was not yet
        # covered by then (paid_on, kept by the sync, is NULL or after D).
        still_open = "i.amount > 0 AND (i.paid_on IS NULL OR i.paid_on > :d)"
    cur = ""
    if currency:
        cur = "AND i.currency = :cur"
        params["cur"] = currency
    paid_on = "i.paid_on" if with_paid_on else "NULL"
    sql = f"""
        SELECT i.id, i.source, i.ext_id, i.number, c.id, c.ext_id, c.name, i.currency,
               i.issue_date, i.due_date, i.amount, {bal}, {paid_on}
        FROM invoices i JOIN customers c ON c.id = i.customer
        WHERE i.void = 0 AND i.issue_date <= :d {cur} AND {still_open}
        ORDER BY i.id
    """
    days: dict[str | None, date | None] = {None: None}  # a few hundred dates, parsed once each

    def day(text: str | None) -> date | None:
        out = days.get(text)
        if out is None:
            out = days[text] = date.fromisoformat(text)  # type: ignore[arg-type]
        return out

    new = tuple.__new__
    get = later.get
    return [
        new(ForecastInvoice, (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], day(r[8]),
                              day(r[9]), r[10], bal, day(r[12]) if r[12] else None))
        for r in conn.execute(sql, params)
        if (bal := r[11] + get(r[0], 0)) > 0
    ]  # fmt: skip


def receipts_between(
    conn: sqlite3.Connection, start: date, end: date
) -> list[tuple[int, int, int]]:
    """``(day ordinal, invoice key, amount)``: ``payment`` allocations to invoices dated in
    ``(start, end]``, summed per invoice and day, in date order (one scan for every month-end
    of a back-test: each one takes its window with a bisect on the ordinals)."""
    return conn.execute(
        """SELECT CAST(julianday(date) - 1721424.5 AS INTEGER), invoice, SUM(amount)
           FROM allocations NOT INDEXED
           WHERE date > :s AND date <= :e AND invoice IS NOT NULL AND kind = 'payment'
           GROUP BY date, invoice ORDER BY date, invoice""",
        {"s": start.isoformat(), "e": end.isoformat()},
    ).fetchall()


def last_write_offs(conn: sqlite3.Connection) -> dict[int, date]:
    """``{invoice key: date of its latest write-off}`` (an invoice has a write-off dated after
    D exactly when that date is after D; its pay date then is not a payment)."""
    return {
        r[0]: date.fromisoformat(r[1])
        for r in conn.execute(
            "SELECT invoice, MAX(date) FROM allocations NOT INDEXED WHERE kind = 'write_off' "
            "AND invoice IS NOT NULL GROUP BY invoice"
        )
    }


def plan_coverage(conn: sqlite3.Connection, as_of: date) -> list[tuple[int, str, str]]:
    """``(plan key, invoice source, invoice id)`` of every plan made on or before ``as_of``."""
    return conn.execute(
        "SELECT pi.plan, pi.source, pi.invoice_ext FROM plan_invoices pi "
        "JOIN plans p ON p.id = pi.plan WHERE p.created_on <= ?",
        (as_of.isoformat(),),
    ).fetchall()


def books_end(conn: sqlite3.Connection) -> date | None:
    """The date of the latest allocation in the books (how far actuals are known)."""
    row = conn.execute("SELECT MAX(date) FROM allocations").fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


@dataclass(frozen=True)
class PromiseRow:
    """A promise to pay made on or before D and not void (money in minor units)."""

    id: int
    source: str
    customer_id: str
    currency: str
    amount: int
    made_on: date
    due_on: date
    invoices: tuple[str, ...]  # the invoices it names (none: the account's)


def promises(conn: sqlite3.Connection, as_of: date) -> list[PromiseRow]:
    """Every promise made on or before ``as_of`` that is not void, with the invoices it names."""
    named: dict[int, list[str]] = {}
    for promise, ext in conn.execute(
        "SELECT x.promise, x.invoice_ext FROM promise_invoices x JOIN promises p "
        "ON p.id = x.promise WHERE p.voided_on IS NULL AND p.made_on <= ? "
        "ORDER BY x.promise, x.invoice_ext",
        (as_of.isoformat(),),
    ):
        named.setdefault(promise, []).append(ext)
    fromiso = date.fromisoformat
    return [
        PromiseRow(r[0], r[1], r[2], r[3], r[4], fromiso(r[5]), fromiso(r[6]),
                   tuple(named.get(r[0], ())))
        for r in conn.execute(
            "SELECT id, source, customer_ext, currency, amount, made_on, due_on FROM promises "
            "WHERE voided_on IS NULL AND made_on <= ? ORDER BY id",
            (as_of.isoformat(),),
        )
    ]  # fmt: skip


def promise_payments(conn: sqlite3.Connection, as_of: date) -> dict[int, list[tuple[date, int]]]:
    """``{promise id: [(date, amount)]}``: ``payment`` allocations of each promise's customer and
    currency dated from its ``made_on`` to ``as_of`` (only those to the invoices it names, when
    it names some). One query for every promise."""
    out: dict[int, list[tuple[date, int]]] = {}
    for number, day, amount in conn.execute(
        """SELECT p.id, a.date, a.amount FROM promises p
           JOIN customers c ON c.source = p.source AND c.ext_id = p.customer_ext
           JOIN allocations a ON a.customer = c.id AND a.currency = p.currency
            AND a.date >= p.made_on AND a.date <= :d AND a.kind = 'payment'
           WHERE p.voided_on IS NULL AND p.made_on <= :d
             AND (NOT EXISTS (SELECT 1 FROM promise_invoices x WHERE x.promise = p.id)
                  OR a.invoice_ext IN (SELECT x.invoice_ext FROM promise_invoices x
                                       WHERE x.promise = p.id))""",
        {"d": as_of.isoformat()},
    ):
        out.setdefault(number, []).append((date.fromisoformat(day), amount))
    return out


def escalations(conn: sqlite3.Connection, as_of: date) -> dict[tuple[str, str], int]:
    """``{(source, customer id): escalation id}`` of accounts escalated on or before ``as_of``
    (not void; the first escalation when there are several)."""
    out: dict[tuple[str, str], int] = {}
    for number, source, ext in conn.execute(
        "SELECT id, source, customer_ext FROM escalations WHERE voided_on IS NULL "
        "AND escalated_on <= ? ORDER BY id",
        (as_of.isoformat(),),
    ):
        out.setdefault((source, ext), number)
    return out


def customer_refs(
    conn: sqlite3.Connection, keys: Sequence[int] | None = None
) -> dict[int, tuple[str, str]]:
    """``{customer key: (source, customer id)}`` (every customer, or ``keys``)."""
    if keys is None:
        return {
            r[0]: (r[1], r[2]) for r in conn.execute("SELECT id, source, ext_id FROM customers")
        }
    out: dict[int, tuple[str, str]] = {}
    wanted = sorted(set(keys))
    for start in range(0, len(wanted), 900):
        chunk = wanted[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for key, source, ext in conn.execute(
            f"SELECT id, source, ext_id FROM customers WHERE id IN ({marks})", chunk
        ):
            out[key] = (source, ext)
    return out

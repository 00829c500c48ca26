"""The one loader for "accounts as of D": typed books for one customer or for all of them.

:func:`load_account` reads one customer's full books (every invoice and allocation by D, every
record, void ones included, and the audit trail) for ``account show`` and the handover pack;
:func:`load_accounts` reads, set-based, what listings and dunning need for every customer with
anything open or unapplied on D — a fixed number of queries however many customers. Both return
:class:`~collectctl.domain.books.AccountBooks`; the rules that turn them into an
:class:`~collectctl.domain.accounts.AccountState` live in :mod:`collectctl.domain.accounts`
(this module calls none of them).

Balances as of D are the numbers of ``aging`` (an invoice's balance is ``amount − allocated +
allocations dated after D``), summed per (customer, currency) in SQL without joining every
invoice to its later allocations: one pass over the invoices not simply paid today through the
aging index, then what the (few) allocations dated after D change (:func:`balance_lines`).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import date
from types import MappingProxyType
from typing import Any

from collectctl.domain.books import (
    AccountBooks,
    Allocation,
    BalanceLine,
    Customer,
    Invoice,
)
from collectctl.ledger import account_records as rec

Ref = tuple[str, str]  # (source, customer id)
_NONE: Mapping[Any, Any] = MappingProxyType({})

#: Customers with the local overrides of ``account set`` (table ``account_overrides``) applied.
_CUSTOMER_COLUMNS = (
    "c.id, c.source, c.ext_id, c.name, COALESCE(o.kind, c.kind), COALESCE(o.email, c.email), "
    "c.phone, c.address, c.currency, COALESCE(o.timezone, c.timezone), c.terms_days, "
    "COALESCE(o.language, c.language), o.interest"
)
_CUSTOMER_FROM = (
    "customers c LEFT JOIN account_overrides o ON o.source = c.source AND o.customer_ext = c.ext_id"
)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _customers(conn: sqlite3.Connection, key: int | None = None) -> dict[int, Customer]:
    where = "WHERE c.id = ?" if key is not None else ""
    params = (key,) if key is not None else ()
    return {
        r[0]: Customer(*r)
        for r in conn.execute(f"SELECT {_CUSTOMER_COLUMNS} FROM {_CUSTOMER_FROM} {where}", params)
    }


#: Allocations to invoices dated after ``:d``, summed per invoice (few for a recent D): a range
#: of the date index, sorted (left alone, SQLite walks the whole invoice index to group them).
_LATE = (
    "late AS MATERIALIZED (SELECT invoice, SUM(amount) AS amt "
    "FROM allocations INDEXED BY allocations_by_date "
    "WHERE date > :d AND invoice IS NOT NULL {extra} GROUP BY invoice)"
)


def _split(open_: str) -> tuple[str, str]:
    """The (balance, credit) parts of an invoice whose balance as of D is ``open_``: a live
    invoice (issued by D, not void) counts its positive balance as open and an overpayment as
    credit; any other counts what was applied to it by D as credit (the aging rules)."""
    live = "(i.void = 0 AND i.issue_date <= :d)"
    return (
        f"CASE WHEN {live} THEN MAX({open_}, 0) ELSE 0 END",
        f"CASE WHEN {live} THEN MIN({open_}, 0) ELSE ({open_}) - i.amount END",
    )


def _filters(
    customer: int | None, currency: str | None, params: dict[str, object], alias: str = "i."
) -> str:
    where = ""
    if currency:
        where += f" AND {alias}currency = :cur"
        params["cur"] = currency
    if customer is not None:
        where += f" AND {alias}customer = :k"
        params["k"] = customer
    return where


def balance_lines(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    customer: int | None = None,
    currency: str | None = None,
) -> dict[int, list[BalanceLine]]:
    """``{customer key: [BalanceLine, ...]}`` as of ``as_of`` for every customer (or one) with
    anything open or unapplied — the numbers of ``aging``, summed in SQL in three passes:

    1. every invoice that is not simply paid *today* (``amount != allocated``, void, or issued
       after D) through the covering aging index, as if no allocation were dated after D;
    2. the invoices with allocations dated after D (few for a recent D): per (customer,
       currency) what those allocations change — the difference of each invoice's parts with
       and without them (zero for an invoice paid today and before D alike);
    3. unapplied allocations dated by D.

    An invoice open today was open on D too (allocations only lower a balance), so the
    earliest due date of an open invoice is the earlier of passes 1 and 2.
    """
    d = as_of.isoformat()
    params: dict[str, object] = {"d": d}
    where = _filters(customer, currency, params)
    now_bal, now_unap = _split("i.amount - i.allocated")
    then_bal, then_unap = _split("i.amount - i.allocated + l.amt")
    late_extra = " AND customer = :k" if customer is not None else ""
    sums: dict[tuple[int, str], list[Any]] = {}
    for key, cur, current, overdue, unap, oldest in conn.execute(
        f"""SELECT customer, currency,
                   SUM(CASE WHEN due >= :d THEN bal ELSE 0 END),
                   SUM(CASE WHEN due < :d THEN bal ELSE 0 END),
                   SUM(unap), MIN(CASE WHEN bal > 0 THEN due END)
            FROM (SELECT i.customer AS customer, i.currency AS currency, i.due_date AS due,
                         {now_bal} AS bal, {now_unap} AS unap
                  FROM invoices i
                  WHERE (i.amount != i.allocated OR i.void != 0 OR i.issue_date > :d) {where}) t
            GROUP BY customer, currency""",
        params,
    ):
        sums[(key, cur)] = [current, overdue, unap, oldest]
    for key, cur, current, overdue, unap, oldest in conn.execute(
        f"""WITH {_LATE.format(extra=late_extra)}
            SELECT customer, currency,
                   SUM(CASE WHEN due >= :d THEN bal ELSE 0 END),
                   SUM(CASE WHEN due < :d THEN bal ELSE 0 END),
                   SUM(unap), MIN(CASE WHEN open_bal > 0 THEN due END)
            FROM (SELECT i.customer AS customer, i.currency AS currency, i.due_date AS due,
                         {then_bal} - {now_bal} AS bal, {then_unap} - {now_unap} AS unap,
                         {then_bal} AS open_bal
                  FROM late l JOIN invoices i ON i.id = l.invoice
                  WHERE 1 = 1 {where}) t
            GROUP BY customer, currency""",
        params,
    ):
        found = sums.get((key, cur))
        if found is None:
            sums[(key, cur)] = [current, overdue, unap, oldest]
            continue
        found[0] += current
        found[1] += overdue
        found[2] += unap
        if oldest is not None and (found[3] is None or oldest < found[3]):
            found[3] = oldest
    unapplied_where = _filters(customer, currency, params, alias="")
    for key, cur, amount in conn.execute(
        f"""SELECT customer, currency,
                   SUM(CASE WHEN kind = 'refund' THEN amount ELSE -amount END)
            FROM allocations INDEXED BY allocations_unapplied
            WHERE invoice IS NULL AND date <= :d {unapplied_where}
            GROUP BY customer, currency""",
        params,
    ):
        found = sums.get((key, cur))
        if found is None:
            sums[(key, cur)] = [0, 0, amount, None]
        else:
            found[2] += amount
    out: dict[int, list[BalanceLine]] = defaultdict(list)
    for (key, cur), (current, overdue, unap, oldest) in sums.items():
        if current or overdue or unap:
            out[key].append(BalanceLine(cur, current, overdue, unap, _d(oldest)))
    return out


def open_invoices(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    customer: int | None = None,
    currency: str | None = None,
) -> dict[int, list[Invoice]]:
    """``{customer key: [Invoice, ...]}``: invoices open on ``as_of`` (live, issued by then,
    balance > 0), each customer's ordered by due date, number and id. Two queries: the
    allocations dated after D per invoice (few for a recent D), then the invoices open today
    or touched by those allocations, with ``paid`` as of D."""
    d = as_of.isoformat()
    params: dict[str, object] = {"d": d}
    where = _filters(customer, currency, params)
    late_extra = " AND customer = :k" if customer is not None else ""
    late: dict[int, int] = dict(
        conn.execute(
            f"WITH {_LATE.format(extra=late_extra)} SELECT invoice, amt FROM late", params
        ).fetchall()
    )
    columns = "i.customer, i.ext_id, i.number, i.currency, i.issue_date, i.due_date, i.amount"
    live = "i.void = 0 AND i.issue_date <= :d"
    sql = f"""
        SELECT {columns}, i.allocated, i.description, i.id FROM invoices i
        WHERE {live} AND i.amount > i.allocated {where}
        ORDER BY i.customer, i.due_date, i.number, i.ext_id
    """
    out: dict[int, list[Invoice]] = defaultdict(list)
    day = date.fromisoformat
    get = late.get
    for key, ext, number, cur, issued, due, amount, allocated, text, row in conn.execute(
        sql, params
    ):
        out[key].append(
            Invoice(
                ext, number, cur, day(issued), day(due), amount, allocated - get(row, 0), False,
                text,
            )
        )  # fmt: skip
    if late:
        # Paid (or overpaid) today, but open on D: allocations dated after D reopen them.
        extra = conn.execute(
            f"""WITH {_LATE.format(extra=late_extra)}
                SELECT {columns}, i.allocated - l.amt, i.description
                FROM late l JOIN invoices i ON i.id = l.invoice
                WHERE {live} AND i.amount <= i.allocated AND i.amount - i.allocated + l.amt > 0
                {where}""",
            params,
        ).fetchall()
        touched = set()
        for key, ext, number, cur, issued, due, amount, paid, text in extra:
            out[key].append(
                Invoice(ext, number, cur, day(issued), day(due), amount, paid, False, text)
            )
            touched.add(key)
        for key in touched:
            out[key].sort(key=lambda i: (i.due_date, i.number, i.id))
    return out


def _books(
    customer: Customer,
    lines: Iterable[BalanceLine],
    found: Iterable[Invoice],
    records: _Records,
) -> AccountBooks:
    ref = customer.ref
    if ref not in records.accounts:  # no collection record: most accounts
        last, nxt = records.contacts.get(ref, (None, None))
        return AccountBooks(
            customer, tuple(lines), tuple(found), (), _NONE, (), (), (), (), _NONE, _NONE,
            last_contact=last, contact_next=nxt,
        )  # fmt: skip
    promises = tuple(records.promises.get(ref, ()))
    plans = tuple(records.plans.get(ref, ()))
    last, nxt = records.contacts.get(ref, (None, None))
    return AccountBooks(
        customer=customer,
        lines=tuple(lines),
        open_invoices=tuple(found),
        promises=promises,
        promise_payments={p.id: tuple(records.payments.get(p.id, ())) for p in promises},
        disputes=tuple(records.disputes.get(ref, ())),
        holds=tuple(records.holds.get(ref, ())),
        escalations=tuple(records.escalations.get(ref, ())),
        plans=plans,
        plan_receipts={p.key: tuple(records.receipts.get(p.key, ())) for p in plans},
        plan_invoices={p.key: records.covered.get(p.key, ()) for p in plans},
        last_contact=last,
        contact_next=nxt,
    )


class _Records:
    """Every collection record of the accounts being loaded, by account."""

    def __init__(self, conn: sqlite3.Connection, as_of: date, ref: Ref | None) -> None:
        self.promises = rec.promises(conn, as_of, ref)
        self.payments = rec.promise_payments(conn, as_of, ref)
        self.disputes = rec.disputes(conn, as_of, ref)
        self.holds = rec.holds(conn, as_of, ref)
        self.escalations = rec.escalations(conn, as_of, ref)
        self.contacts = rec.contact_summary(conn, as_of, ref)
        self.plans, self.receipts, self.covered = rec.plans(conn, as_of, ref)
        #: the accounts with any record (the others take the short path)
        self.accounts = {
            *self.promises, *self.disputes, *self.holds, *self.escalations, *self.plans
        }  # fmt: skip


def load_accounts(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    currency: str | None = None,
    invoices: bool = False,
) -> Iterator[AccountBooks]:
    """The books of every customer with anything open or unapplied on ``as_of`` (in ledger key
    order): balance lines (only ``currency``'s when given), open invoices when ``invoices``
    (dunning; ``account list`` does without), and the live records started by ``as_of``.

    A fixed number of queries (about fifteen) however many customers; no per-customer query.
    """
    lines = balance_lines(conn, as_of, currency=currency)
    found = open_invoices(conn, as_of, currency=currency) if invoices else {}
    # Customer rows as tuples: only those with lines become Customers (most, not all).
    customers = {r[0]: r for r in conn.execute(f"SELECT {_CUSTOMER_COLUMNS} FROM {_CUSTOMER_FROM}")}
    records = _Records(conn, as_of, None)
    for key in sorted(lines):
        yield _books(Customer(*customers[key]), lines[key], found.get(key, ()), records)


def load_account(conn: sqlite3.Connection, key: int, as_of: date) -> AccountBooks:
    """The full books of customer ``key`` as of ``as_of``: balance lines and open invoices as
    of that date, every invoice (``paid`` = allocations dated by then) and allocation by then,
    every record (void ones and those made after ``as_of`` included), the audit trail, and the
    numbers of the invoices its records name (also of invoices that left its books)."""
    customer = _customers(conn, key)[key]
    records = _Records(conn, as_of, customer.ref)
    all_invoices = _all_invoices(conn, key, as_of)
    numbers = {i.id: i.number for i in all_invoices}
    named = {x.invoice_id for x in records.disputes.get(customer.ref, ())}
    named |= {ext for p in records.promises.get(customer.ref, ()) for ext in p.invoices}
    numbers.update(_invoice_numbers(conn, customer.source, sorted(named - set(numbers))))
    books = _books(
        customer,
        balance_lines(conn, as_of, customer=key).get(key, ()),
        open_invoices(conn, as_of, customer=key).get(key, ()),
        records,
    )
    return replace(
        books,
        history=True,
        invoices=tuple(all_invoices),
        allocations=tuple(_allocations(conn, key, as_of)),
        contacts=tuple(rec.contacts(conn, customer.ref)),
        corrections=tuple(rec.corrections(conn, customer.ref)),
        invoice_numbers=numbers,
    )


def _all_invoices(conn: sqlite3.Connection, key: int, as_of: date) -> list[Invoice]:
    return [
        Invoice(
            r[0],
            r[1],
            r[4],
            date.fromisoformat(r[2]),
            date.fromisoformat(r[3]),
            r[5],
            r[8],
            bool(r[6]),
            r[7],
        )
        for r in conn.execute(
            """SELECT i.ext_id, i.number, i.issue_date, i.due_date, i.currency, i.amount,
                      i.void, i.description,
                      COALESCE((SELECT SUM(a.amount) FROM allocations a
                                WHERE a.invoice = i.id AND a.date <= ?), 0)
               FROM invoices i WHERE i.customer = ? ORDER BY i.due_date, i.number, i.ext_id""",
            (as_of.isoformat(), key),
        )
    ]


def _allocations(conn: sqlite3.Connection, key: int, as_of: date) -> list[Allocation]:
    return [
        Allocation(
            r[0],
            date.fromisoformat(r[1]),
            r[2],
            r[3],
            r[4],
            r[5] or None,
            r[6],
            bool(r[7]),
            r[8],
            r[9],
        )
        for r in conn.execute(
            """SELECT a.payment_id, a.date, a.kind, a.currency, a.amount, a.invoice_ext,
                      i.number, a.invoice IS NOT NULL, a.method, a.reference
               FROM allocations a LEFT JOIN invoices i ON i.id = a.invoice
               WHERE a.customer = ? AND a.date <= ? ORDER BY a.date, a.payment_id, a.id""",
            (key, as_of.isoformat()),
        )
    ]


def _invoice_numbers(conn: sqlite3.Connection, source: str, exts: list[str]) -> Mapping[str, str]:
    """``{invoice id: number}`` for the ids of ``source`` still in the books."""
    out: dict[str, str] = {}
    for start in range(0, len(exts), 900):
        chunk = exts[start : start + 900]
        marks = ",".join("?" * len(chunk))
        for ext, number in conn.execute(
            f"SELECT ext_id, number FROM invoices WHERE source = ? AND ext_id IN ({marks})",
            [source, *chunk],
        ):
            out[ext] = number
    return out

"""The one loader for "accounts as of D": typed books for one customer or for all of them.

:func:`load_account` reads one customer's full books (every invoice and allocation by D, every
record, void ones included, and the audit trail) for ``account show`` and the handover pack;
:func:`load_accounts` reads, set-based, what listings and dunning need for every customer with
anything open or unapplied on D — a fixed number of queries however many customers. Both return
:class:`~collectctl.domain.books.AccountBooks`; the rules that turn them into an
:class:`~collectctl.domain.accounts.AccountState` live in :mod:`collectctl.domain.accounts`
(this module calls none of them).

Balances as of D come from the as-of SQL of :func:`collectctl.ledger.aging.as_of_sql` (the
same numbers as ``aging``), summed per (customer, currency) in one pass over the aging index.
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
from collectctl.ledger.aging import as_of_sql

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


def balance_lines(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    customer: int | None = None,
    currency: str | None = None,
) -> dict[int, list[BalanceLine]]:
    """``{customer key: [BalanceLine, ...]}`` as of ``as_of`` for every customer (or one) with
    anything open or unapplied; two queries (invoices through the aging index, then unapplied
    allocations)."""
    d = as_of.isoformat()
    q = as_of_sql(conn, d)
    params: dict[str, object] = {"d": d}
    where = f"WHERE {q.relevant}"
    unapplied_where = ""
    if currency:
        where += " AND i.currency = :cur"
        unapplied_where += " AND currency = :cur"
        params["cur"] = currency
    if customer is not None:
        where += " AND i.customer = :k"
        unapplied_where += " AND customer = :k"
        params["k"] = customer
    live = "(i.void = 0 AND i.issue_date <= :d)"
    sql = f"""
        {q.cte}
        SELECT customer, currency,
               SUM(CASE WHEN due >= :d THEN bal ELSE 0 END),
               SUM(CASE WHEN due < :d THEN bal ELSE 0 END),
               SUM(unap), MIN(CASE WHEN bal > 0 THEN due END)
        FROM (
            SELECT i.customer AS customer, i.currency AS currency, i.due_date AS due,
                CASE WHEN {live} THEN MAX({q.open}, 0) ELSE 0 END AS bal,
                CASE WHEN {live} THEN MIN({q.open}, 0) ELSE -{q.applied} END AS unap
            FROM invoices i {q.join} {where})
        GROUP BY customer, currency
    """
    sums: dict[tuple[int, str], tuple[int, int, int, str | None]] = {}
    for key, cur, current, overdue, unap, oldest in conn.execute(sql, params):
        sums[(key, cur)] = (current, overdue, unap, oldest)
    for key, cur, amount in conn.execute(
        f"""SELECT customer, currency,
                   SUM(CASE WHEN kind = 'refund' THEN amount ELSE -amount END)
            FROM allocations INDEXED BY allocations_unapplied
            WHERE invoice IS NULL AND date <= :d {unapplied_where}
            GROUP BY customer, currency""",
        params,
    ):
        current, overdue, unap, oldest = sums.get((key, cur), (0, 0, 0, None))
        sums[(key, cur)] = (current, overdue, unap + amount, oldest)
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
    balance > 0), each customer's ordered by due date, number and id. One query."""
    d = as_of.isoformat()
    q = as_of_sql(conn, d)
    params: dict[str, object] = {"d": d}
    where = ""
    if currency:
        where += " AND i.currency = :cur"
        params["cur"] = currency
    if customer is not None:
        where += " AND i.customer = :k"
        params["k"] = customer
    sql = f"""
        {q.cte}
        SELECT i.customer, i.ext_id, i.number, i.currency, i.issue_date, i.due_date, i.amount,
               {q.applied}, i.description
        FROM invoices i {q.join}
        WHERE i.void = 0 AND i.issue_date <= :d AND {q.open} > 0 {where}
        ORDER BY i.customer, i.due_date, i.number, i.ext_id
    """
    out: dict[int, list[Invoice]] = defaultdict(list)
    for key, ext, number, cur, issued, due, amount, paid, text in conn.execute(sql, params):
        out[key].append(
            Invoice(
                ext,
                number,
                cur,
                date.fromisoformat(issued),
                date.fromisoformat(due),
                amount,
                paid,
                False,
                text,
            )
        )
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
    customers = _customers(conn)
    records = _Records(conn, as_of, None)
    for key in sorted(lines):
        yield _books(customers[key], lines[key], found.get(key, ()), records)


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

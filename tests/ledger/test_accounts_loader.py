"""The one account loader: typed books, the same numbers as aging, a fixed number of queries."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
from core_helpers import cust, inv, pay

from collectctl.domain.accounts import account_state
from collectctl.domain.books import BalanceLine, Invoice
from collectctl.ledger.accounts import load_account, load_accounts

D = date(2026, 11, 30)


def _sync(cli, books, records):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr


def _conn(collectctl_home):
    return sqlite3.connect(collectctl_home / "profiles" / "default" / "ledger.db")


def _books(n):
    records = []
    for k in range(n):
        records.append(cust(f"C{k}", f"Customer {k}"))
        records.append(inv(f"I{k}a", f"C{k}", "2026-09-01", "100.00", due="2026-10-01"))
        records.append(inv(f"I{k}b", f"C{k}", "2026-11-20", "40.00", due="2026-12-20"))
        records.append(pay(f"P{k}", f"C{k}", "2026-10-15", "30.00", f"I{k}a"))
    return records


def _queries(conn, fn):
    seen = []
    conn.set_trace_callback(seen.append)
    try:
        result = fn()
    finally:
        conn.set_trace_callback(None)
    return result, len(seen)


def test_load_accounts_runs_the_same_queries_for_3_or_30_customers(cli, books, collectctl_home):
    _sync(cli, books, _books(3))
    conn = _conn(collectctl_home)
    few, n_few = _queries(conn, lambda: list(load_accounts(conn, D, invoices=True)))
    _sync(cli, books, _books(30))
    conn = _conn(collectctl_home)
    many, n_many = _queries(conn, lambda: list(load_accounts(conn, D, invoices=True)))
    assert (len(few), len(many)) == (3, 30)
    assert n_few == n_many


def test_typed_books_have_dates_minor_units_and_aging_sums(cli, books, collectctl_home):
    _sync(cli, books, _books(1))
    conn = _conn(collectctl_home)
    (listed,) = load_accounts(conn, D, invoices=True)
    key = listed.customer.key
    full = load_account(conn, key, D)
    assert listed.lines == full.lines == (BalanceLine("USD", 4000, 7000, 0, date(2026, 10, 1)),)
    assert full.open_invoices == listed.open_invoices
    first = full.open_invoices[0]
    assert isinstance(first, Invoice)
    assert (first.id, first.amount, first.paid, first.balance) == ("I0a", 10000, 3000, 7000)
    assert first.due_date == date(2026, 10, 1)
    assert full.history
    assert not listed.history
    assert [a.date for a in full.allocations] == [date(2026, 10, 15)]


def test_the_as_of_date_moves_balances_and_days(cli, books, collectctl_home):
    _sync(cli, books, _books(1))
    conn = _conn(collectctl_home)
    before = load_account(conn, 1, date(2026, 10, 10))
    state = account_state(before, date(2026, 10, 10))
    # Before the payment on 10-15 and before the second invoice was issued.
    assert [(b.currency, b.open, b.overdue) for b in state.balances] == [("USD", 10000, 10000)]
    (only,) = state.invoices
    assert (only.invoice.id, only.days, only.bucket) == ("I0a", 9, "1-30")


@pytest.mark.parametrize("currency", ["USD", "EUR"])
def test_currency_filter(cli, books, collectctl_home, currency):
    _sync(cli, books, _books(2))
    conn = _conn(collectctl_home)
    found = list(load_accounts(conn, D, currency=currency))
    assert len(found) == (2 if currency == "USD" else 0)


# -- allocations dated after D: the as-of arithmetic of the loader, on both backends ------------

#: Books where the as-of date matters: paid after D, overpaid today but open on D, a void
#: invoice with allocations on both sides of D, a prepaid invoice issued after D, unapplied
#: payments and refunds, and a second currency.
_AS_OF_BOOKS = [
    cust("A"),
    cust("B"),
    cust("C"),
    inv("A1", "A", "2026-09-01", "100.00", due="2026-10-01"),
    pay("PA1", "A", "2026-11-10", "100.00", "A1"),
    inv("A2", "A", "2026-09-05", "50.00", due="2026-11-15"),
    pay("PA2", "A", "2026-10-20", "80.00", "A2"),
    inv("A3", "A", "2026-09-10", "60.00", due="2026-10-10"),
    pay("PA3", "A", "2026-10-10", "40.00", "A3"),
    pay("PA4", "A", "2026-11-05", "40.00", "A3"),
    inv("B1", "B", "2026-09-01", "70.00", due="2026-10-01", void=True),
    pay("PB1", "B", "2026-10-05", "30.00", "B1"),
    pay("PB2", "B", "2026-11-05", "10.00", "B1"),
    inv("B2", "B", "2026-11-20", "90.00", due="2026-12-20"),
    pay("PB3", "B", "2026-10-25", "25.00", "B2"),
    pay("PB4", "B", "2026-11-25", "5.00", "B2"),
    inv("B3", "B", "2026-08-01", "10.00", due="2026-08-31"),
    pay("PB5", "B", "2026-08-20", "10.00", "B3"),
    pay("PC1", "C", "2026-10-01", "15.00"),
    pay("PC2", "C", "2026-11-02", "5.00", kind="refund"),
    inv("C1", "C", "2026-10-01", "100.00", due="2026-12-01", currency="EUR"),
    pay("PC3", "C", "2026-11-02", "30.00", "C1", currency="EUR"),
]


def _expected(records, as_of):
    """Balance lines and open invoices as of D by the aging rules, straight from the records."""
    from decimal import Decimal

    from collectctl import records as r

    customers = {c.id for c in records if isinstance(c, r.Customer)}
    invoices = {i.id: i for i in records if isinstance(i, r.Invoice)}
    applied = dict.fromkeys(invoices, Decimal(0))
    lines: dict = {}

    def line(customer, currency):
        return lines.setdefault((customer, currency), [0, 0, 0, None])

    for a in records:
        if isinstance(a, r.Allocation) and a.date <= as_of:
            if a.invoice_id is None:
                sign = 1 if a.kind == "refund" else -1
                line(a.customer_id, a.currency or "USD")[2] += sign * int(a.amount * 100)
            else:
                applied[a.invoice_id] += a.amount
    found = []
    for i in invoices.values():
        cur = i.currency or "USD"
        bal = int((i.amount - applied[i.id]) * 100)
        item = line(i.customer_id, cur)
        if i.void or i.issue_date > as_of:
            item[2] -= int(applied[i.id] * 100)
            continue
        if bal < 0:
            item[2] += bal
        elif bal > 0:
            item[0 if i.due_date >= as_of else 1] += bal
            item[3] = min(item[3] or i.due_date, i.due_date)
            found.append((i.customer_id, i.id, cur, bal))
    want = {(k, cur): BalanceLine(cur, *v) for (k, cur), v in lines.items() if v[0] or v[1] or v[2]}
    assert {k for k, _ in want} <= customers
    return want, sorted(found)


@pytest.mark.usefixtures("ledger_backend")
@pytest.mark.parametrize(
    "as_of", ["2026-08-25", "2026-10-09", "2026-10-31", "2026-11-06", "2026-11-30", "2027-01-31"]
)
def test_balance_lines_and_open_invoices_follow_allocations_either_side_of_d(
    cli, books, open_ledger, as_of
):
    from collectctl.ledger.accounts import balance_lines, open_invoices

    _sync(cli, books, _AS_OF_BOOKS)
    conn = open_ledger().conn
    d = date.fromisoformat(as_of)
    want_lines, want_open = _expected(_AS_OF_BOOKS, d)
    keys = {k: ext for k, ext in conn.execute("SELECT id, ext_id FROM customers")}
    got_lines = {
        (keys[k], line.currency): line
        for k, found in balance_lines(conn, d).items()
        for line in found
    }
    assert got_lines == want_lines
    got_open = sorted(
        (keys[k], i.id, i.currency, i.balance)
        for k, found in open_invoices(conn, d).items()
        for i in found
    )
    assert got_open == want_open
    # One customer and one currency give that part of the same numbers.
    for k, ext in keys.items():
        assert {
            (ext, line.currency): line for line in balance_lines(conn, d, customer=k).get(k, [])
        } == {key: v for key, v in want_lines.items() if key[0] == ext}
    assert {
        (keys[k], line.currency): line
        for k, found in balance_lines(conn, d, currency="EUR").items()
        for line in found
    } == {key: v for key, v in want_lines.items() if key[1] == "EUR"}

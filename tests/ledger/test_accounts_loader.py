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

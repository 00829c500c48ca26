"""The thin adapter from the account read model to a letter's typed input.

:func:`letter_accounts` loads the account with :func:`collectctl.ledger.accounts.load_account`
and evaluates it with :func:`collectctl.domain.accounts.account_state` — the one place the
account rules live (what is open, net of unapplied credit, what a dispute or a plan in good
standing covers, the local overrides of ``account set``) — and only reshapes the result into one
:class:`~collectctl.letters.content.LetterAccount` per currency.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from collectctl.errors import CollectctlError
from collectctl.letters.content import AccountInvoice, LetterAccount


def letter_accounts(
    conn: sqlite3.Connection,
    customer: Mapping[str, Any],
    as_of: date,
    *,
    grace_days: int = 0,
) -> dict[str, LetterAccount]:
    """``{currency: LetterAccount}`` for one customer (a ``find_customer`` row) as of ``as_of``."""
    from collectctl.domain.accounts import account_state
    from collectctl.ledger.accounts import load_account

    books = load_account(conn, customer["key"], as_of)
    state = account_state(books, as_of, grace_days=grace_days)
    c = state.customer
    allocations: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for a in books.allocations:
        if a.invoice_id and a.linked and a.kind != "refund":
            allocations[a.invoice_id].append((a.date, a.amount))
    per_currency: dict[str, list[AccountInvoice]] = defaultdict(list)
    for s in state.invoices:
        inv = s.invoice
        per_currency[inv.currency].append(
            AccountInvoice(
                invoice_id=inv.id,
                number=inv.number,
                issue_date=inv.issue_date,
                due_date=inv.due_date,
                amount=inv.amount,
                paid=inv.paid,
                balance=inv.balance,
                days=s.days,
                disputed=s.dispute,
                plan=s.plan,
                allocations=tuple(allocations.get(inv.id, ())),
            )
        )
    return {
        b.currency: LetterAccount(
            source=c.source,
            customer_id=c.id,
            name=c.name,
            address=c.address,
            email=c.email,
            kind=c.kind,
            language=c.language,
            currency=b.currency,
            invoices=tuple(per_currency.get(b.currency, ())),
            unapplied=b.unapplied,
            interest_regime=c.interest,
        )
        for b in state.balances
    }


def pick_currency(accounts: Mapping[str, LetterAccount], currency: str | None, who: str) -> str:
    """The currency to write about: the one asked for, or the only one the account has."""
    if currency:
        code = currency.upper()
        if code not in accounts:
            have = ", ".join(sorted(accounts)) or "none"
            raise CollectctlError(
                f"{who} has no open balance in {code} (balances in: {have})",
                hint="Pick one with --currency.",
            )
        return code
    if not accounts:
        raise CollectctlError(f"{who} owes nothing: there is no open balance to write about")
    if len(accounts) > 1:
        raise CollectctlError(
            f"{who} has balances in {', '.join(sorted(accounts))}: a letter is per currency",
            hint="Pick one with --currency.",
        )
    return next(iter(accounts))

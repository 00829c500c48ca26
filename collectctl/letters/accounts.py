"""The thin adapter from the ledger to a letter's typed input (:class:`LetterAccount`).

It reads the account the way ``account show`` does (open invoices with days, disputes, net
unapplied credit per currency) plus plan coverage and per-invoice allocations for interest, and
applies the local overrides of ``account set``. The account rules themselves (what is open, what a
dispute or a plan covers) stay in the account model; when ``domain/accounts.py`` and
``ledger/accounts.load_account`` land, this module switches to them and nothing else changes.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping
from datetime import date
from typing import Any

from collectctl.errors import CollectctlError
from collectctl.ledger.letters import AccountOverride, override_for
from collectctl.letters.content import AccountInvoice, LetterAccount
from collectctl.money import to_minor


def effective_customer(customer: Mapping[str, Any], override: AccountOverride) -> dict[str, Any]:
    """The customer row with the local overrides applied (overrides win over the books)."""
    out = dict(customer)
    for name in ("kind", "language", "timezone", "email"):
        value = getattr(override, name)
        if value:
            out[name] = value
    out.setdefault("language", None)
    out["interest"] = override.interest
    return out


def letter_accounts(
    conn: sqlite3.Connection,
    customer: Mapping[str, Any],
    as_of: date,
    *,
    grace_days: int = 0,
) -> dict[str, LetterAccount]:
    """``{currency: LetterAccount}`` for one customer as of ``as_of``."""
    from collectctl import account_report
    from collectctl.ledger import books

    override = override_for(conn, (customer["source"], customer["id"]))
    cust = effective_customer(customer, override)
    doc = account_report.account_show(conn, customer, as_of, grace_days=grace_days)
    on_plan = _plan_cover(conn, as_of, customer["source"])
    allocations: dict[str, list[tuple[date, int]]] = defaultdict(list)
    for a in books.customer_allocations(conn, customer["key"], as_of):
        if a["invoice_ext"] and a["kind"] != "refund":
            allocations[a["invoice_ext"]].append((date.fromisoformat(a["date"]), a["amount"]))
    per_currency: dict[str, list[AccountInvoice]] = defaultdict(list)
    for row in doc["invoices"]:
        cur = row["currency"]
        per_currency[cur].append(
            AccountInvoice(
                invoice_id=row["invoice_id"],
                number=row["number"],
                issue_date=row["issue_date"],
                due_date=row["due_date"],
                amount=to_minor(row["amount"], cur),
                paid=to_minor(row["paid"], cur),
                balance=to_minor(row["balance"], cur),
                days=row["days"],
                disputed=row["disputed"],
                plan=on_plan.get(row["invoice_id"]),
                allocations=tuple(allocations.get(row["invoice_id"], ())),
            )
        )
    out: dict[str, LetterAccount] = {}
    for b in doc["balances"]:
        cur = b["currency"]
        out[cur] = LetterAccount(
            source=customer["source"],
            customer_id=customer["id"],
            name=customer["name"],
            address=customer["address"],
            email=cust["email"],
            kind=cust["kind"],
            language=cust["language"],
            currency=cur,
            invoices=tuple(per_currency.get(cur, ())),
            unapplied=to_minor(b["unapplied"], cur),
            interest_regime=override.interest,
        )
    return out


def _plan_cover(conn: sqlite3.Connection, as_of: date, source: str) -> dict[str, str]:
    """``{invoice id: PL-n}`` of invoices held by a plan in good standing on ``as_of``."""
    try:
        from collectctl.ledger.plans import plan_invoice_states
    except ImportError:  # pragma: no cover
        return {}
    exists = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'plans'"
    ).fetchone()
    if not exists:
        return {}
    return {
        s.invoice_id: s.plan_id
        for s in plan_invoice_states(conn, as_of)
        if s.held and s.source == source
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

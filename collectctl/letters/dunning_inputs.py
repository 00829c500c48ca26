"""What ``dunning run`` decides from, read in a fixed number of queries (never one per account).

- the accounts as of D from the account read model (:func:`collectctl.ledger.accounts.
  load_accounts` + :func:`collectctl.domain.accounts.account_state`), with ``account set``
  overrides and the consumer records (cease, opt-outs), turned into the decision inputs of
  :mod:`collectctl.domain.dunning` by :func:`dunning_accounts` — the hold, dispute, promise,
  plan and balance rules stay in the account model;
- the ladder from the send record (every claim not cancelled, manual and automatic alike) plus
  the ``--baseline`` positions, and the last letter per account and currency.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING

from collectctl.domain import dunning as rules

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.domain.accounts import AccountState
    from collectctl.ledger.letters import AccountOverride, PendingLetter


def dunning_accounts(
    states: Iterable[AccountState],
    overrides: Mapping[tuple[str, str], AccountOverride],
    ceased: set[tuple[str, str]],
    optouts: Mapping[tuple[str, str], frozenset[str]],
    last_payments: Mapping[tuple[str, str], date],
) -> Iterator[rules.DunningAccount]:
    """One :class:`~collectctl.domain.dunning.DunningAccount` per account and currency."""
    for state in states:
        cust = state.customer
        ref = (cust.source, cust.id)
        override = overrides.get(ref)
        kind = (override.kind if override else None) or cust.kind
        timezone = (override.timezone if override else None) or cust.timezone
        email = (override.email if override else None) or cust.email
        disputed, on_plan = state.disputes_open, state.on_plan
        by_currency: dict[str, list[rules.DunningInvoice]] = {}
        for inv in state.books.open_invoices:  # open on D: balance > 0
            if inv.currency not in by_currency:
                by_currency[inv.currency] = []
            ext = inv.id
            by_currency[inv.currency].append(
                rules.DunningInvoice(
                    cust.source, ext, inv.number, inv.due_date, inv.balance,
                    rules.DISPUTED if ext in disputed else rules.PLAN if ext in on_plan else None,
                    last_payments.get((cust.source, ext)) if last_payments else None,
                )
            )  # fmt: skip
        for balance in state.balances:
            invoices = by_currency.get(balance.currency)
            if not invoices:
                continue
            yield rules.DunningAccount(
                source=cust.source,
                customer_id=cust.id,
                name=cust.name,
                kind=kind,
                currency=balance.currency,
                invoices=tuple(invoices),
                unapplied_credit=max(-balance.unapplied, 0),
                on_hold=state.flags.on_hold,
                escalated=state.flags.escalated,
                promise_open=state.flags.promise_open,
                email=email or None,
                timezone=timezone or None,
                ceased=ref in ceased,
                opted_out=optouts.get(ref, frozenset()),
            )


def load_states(conn: sqlite3.Connection, as_of: date, grace_days: int) -> Iterator[AccountState]:
    """Every account with anything open as of ``as_of``, through the account read model."""
    from collectctl.domain.accounts import account_state
    from collectctl.ledger.accounts import load_accounts

    for books in load_accounts(conn, as_of, invoices=True):
        yield account_state(books, as_of, grace_days=grace_days, invoice_states=False)


def pending_detail(letter: PendingLetter, max_attempts: int) -> str:
    """What a ``letter-pending`` skip says about the letter that holds the account back."""
    ref = f"LTR-{letter.letter}"
    if letter.status != "failed":
        return f"{ref} is {letter.status}: it goes (or is reported) before any other letter"
    if letter.manual:
        return (
            f"{ref} failed; the `collectctl letter write ... --send` that made it retries it "
            f"(collectctl letter show {ref})"
        )
    if letter.attempts < max_attempts:
        return (
            f"{ref} failed ({letter.attempts} of {max_attempts} attempts): a later run retries it"
        )
    return (
        f"{ref} failed {letter.attempts} times and is not retried by itself: check the "
        f"address and the channel (collectctl letter show {ref}), then retry it with "
        "`collectctl letter write ACCOUNT --stage STAGE --send CHANNEL`"
    )


def load_history(conn: sqlite3.Connection, max_attempts: int = 5) -> rules.History:
    """The ladder (send record + baseline), the last letter per account and currency, and the
    letters that have not gone out yet (``max_attempts``: ``[dunning] max_attempts``)."""
    from collectctl.ledger import letters
    from collectctl.ledger.dunning import baseline_history

    rungs: dict[tuple[str, str], list[rules.Sent]] = {}
    for key, steps in letters.ladder_history(conn).items():
        rungs[key] = [rules.Sent(s.stage, s.seq, s.letter_date) for s in steps]
    for key, held in baseline_history(conn).items():
        rungs.setdefault(key, []).extend(
            rules.Sent(b.stage, b.seq, b.on, baseline=True) for b in held
        )
    last = {key: row.letter_date for key, row in letters.last_letters(conn).items()}
    pending = {
        key: pending_detail(row, max_attempts) for key, row in letters.pending_letters(conn).items()
    }
    return rules.History(rungs=rungs, last_letter=last, pending=pending)


def load_accounts_for_dunning(
    conn: sqlite3.Connection, as_of: date, grace_days: int, *, consumer_rules: bool
) -> Iterator[rules.DunningAccount]:
    """The decision inputs of every account and currency, streamed (a fixed number of queries:
    the collection records are read first, then the accounts one by one from the model)."""
    from collectctl.ledger import consumer_records, letters
    from collectctl.ledger.dunning import consumer_last_payments

    overrides = letters.overrides(conn)
    ceased = consumer_records.ceased(conn, as_of)
    optouts = consumer_records.optouts(conn, as_of)
    payments = consumer_last_payments(conn, as_of) if consumer_rules else {}
    states = load_states(conn, as_of, grace_days)
    return dunning_accounts(states, overrides, ceased, optouts, payments)

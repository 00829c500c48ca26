"""The collector's desk: ``account list`` rows and the ``account show`` document.

Both are assembled from :class:`~collectctl.domain.accounts.AccountState` (the account rules)
over the typed books of :mod:`collectctl.ledger.accounts`. Balances follow aging exactly
(contracts §3), money leaves as Decimals with the currency's decimals (strings in JSON), and the
activity timeline (:mod:`collectctl.reports.timeline`) is one chronological list of everything
that happened on the account as of the report date.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from collectctl.domain.accounts import AccountState, PromiseState, account_state
from collectctl.domain.aging import DEFAULT_BOUNDS
from collectctl.domain.books import (
    Allocation,
    Assignment,
    Contact,
    Customer,
    Dispute,
    Escalation,
    Hold,
    owner_on,
    record_id,
)
from collectctl.domain.collection import dispute_status, hold_status
from collectctl.gc_pause import gc_paused
from collectctl.ledger.account_records import assignments
from collectctl.ledger.accounts import load_account, load_accounts
from collectctl.ledger.letters import LetterRow, last_stages, letters_for_customer
from collectctl.letters.history import letter_summary
from collectctl.money import from_minor
from collectctl.output import Column, Report
from collectctl.reports.timeline import timeline

# -- account list --------------------------------------------------------------------------------


def account_list(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    grace_days: int = 0,
    currency: str | Collection[str] | None = None,
    overdue_only: bool = False,
    stage: str | Collection[str] | None = None,
    min_balance: Decimal | None = None,
    sort: str = "balance",
    customers: Collection[int] | None = None,
    insight: bool = False,
    owners: Collection[str] = (),
) -> dict[str, Any]:
    """The JSON document of ``account list``: one row per customer and currency with an open
    balance or credit (as aging), its stage, flags, last contact, next action and owner
    (``account assign``); with ``insight`` also how the customer pays
    (:mod:`collectctl.reports.forecast_insight`). ``currency``, ``stage``, ``customers`` (ledger
    keys) and ``owners`` keep rows matching any value given."""
    from collectctl.reports.aging import any_of, single

    with gc_paused():
        return _account_list(
            conn, as_of, grace_days, any_of(currency), overdue_only, any_of(stage),
            min_balance, sort, customers, insight, single, owners,
        )  # fmt: skip


def _account_list(
    conn: sqlite3.Connection,
    as_of: date,
    grace_days: int,
    currencies: Collection[str] | None,
    overdue_only: bool,
    stages: Collection[str] | None,
    min_balance: Decimal | None,
    sort: str,
    customers: Collection[int] | None,
    insight: bool,
    single: Callable[[Any], str | None],
    owners: Collection[str],
) -> dict[str, Any]:
    rows: list[dict[str, Any]] = []
    keys: list[int] = []
    #: the "balance" sort's key of each row, with the balance in minor units: within one
    #: currency (the first key) minor units order exactly as the Decimals do
    order: list[tuple[Any, ...]] = []
    letter_stages = last_stages(conn, as_of=as_of)
    owner_of = account_owners(conn, as_of)
    for books in load_accounts(conn, as_of, currency=single(currencies)):
        if customers is not None and books.customer.key not in customers:
            continue
        owner = owner_of.get(books.customer.ref)
        if owners and owner not in owners:
            continue
        state = account_state(books, as_of, grace_days=grace_days, invoice_states=False)
        c = state.customer
        folded = None
        for b in state.balances:
            cur = b.currency
            if currencies and cur not in currencies:
                continue
            row_stage = state.stage
            if row_stage == "overdue":  # refined by the latest letter sent for this currency
                row_stage = letter_stages.get((c.source, c.id, cur), row_stage)
            if stages and row_stage not in stages:
                continue
            total = b.total
            balance = from_minor(total, cur)
            if overdue_only and b.overdue <= 0:
                continue
            if min_balance is not None and balance < min_balance:
                continue
            rows.append(
                {
                    "customer_id": c.id,
                    "customer": c.name,
                    "kind": c.kind,
                    "currency": cur,
                    "balance": balance,
                    "overdue": from_minor(b.overdue, cur),
                    "oldest_days": (as_of - b.oldest_due).days if b.oldest_due else None,
                    "stage": row_stage,
                    "last_contact": state.last_contact,
                    "next_action": state.next_action,
                    "flags": list(state.flag_names),
                    "owner": owner,
                    "source": c.source,
                }
            )
            keys.append(c.key)
            if folded is None:
                folded = c.name.casefold()
            order.append((cur, -total, folded, c.id, cur))
    if insight:
        from collectctl.reports.forecast_insight import Insight, insights

        found = insights(conn, as_of, grace_days=grace_days, customers=set(keys))
        none = Insight(None, None, 0.0, 0)
        for row, key in zip(rows, keys, strict=True):
            row.update(found.get(key, none).as_dict(row["currency"]))
    if sort == "balance":
        ranked = sorted(range(len(rows)), key=order.__getitem__)
        rows = [rows[i] for i in ranked]
    else:
        rows.sort(key=_sort_key(sort))
    return {"as_of": as_of, "sort": sort, "rows": rows}


def account_owners(conn: sqlite3.Connection, as_of: date) -> dict[tuple[str, str], str]:
    """``{(source, customer id): owner}`` of every account assigned to someone on ``as_of``."""
    found = {ref: owner_on(items, as_of) for ref, items in assignments(conn, as_of, None).items()}
    return {ref: owner for ref, owner in found.items() if owner is not None}


def _sort_key(sort: str) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    far = date.max

    def name(r: Mapping[str, Any]) -> tuple[Any, ...]:
        return (r["customer"].casefold(), r["customer_id"], r["currency"])

    if sort == "name":
        return name
    if sort == "days":
        return lambda r: (
            -(r["oldest_days"] if r["oldest_days"] is not None else -(10**9)),
            *name(r),
        )
    if sort == "next":
        return lambda r: (r["next_action"] or far, *name(r))
    return lambda r: (r["currency"], -r["balance"], *name(r))


LIST_COLUMNS = [
    Column("customer_id"),
    Column("customer"),
    Column("currency"),
    Column("balance", kind="money"),
    Column("overdue", kind="money"),
    Column("oldest_days", "days", kind="int"),
    Column("stage"),
    Column("last_contact", kind="date"),
    Column("next_action", kind="date"),
    Column("flags"),
]


INSIGHT_COLUMNS = [
    Column("typical_days_late", "days late", kind="int"),
    Column("trend"),
    Column("promise_keeping", "promises kept", kind="number"),
    Column("next_payment", kind="date"),
]


class _FlagsJoined(Sequence[Mapping[str, Any]]):
    """The document's rows with their flags joined by spaces, made when read (JSON, which
    writes the document, never reads them)."""

    def __init__(self, rows: Sequence[Mapping[str, Any]]) -> None:
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def _joined(self, row: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**row, "flags": " ".join(row["flags"])}

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._joined(r) for r in self._rows[index]]
        return self._joined(self._rows[index])


def list_report(document: dict[str, Any]) -> Report:
    """``account list`` for any format: flags joined with spaces outside JSON."""
    rows = document["rows"]
    columns = LIST_COLUMNS
    if any(r.get("owner") for r in rows):  # a team's books: who works each account
        columns = [*LIST_COLUMNS, Column("owner")]
    if rows and "trend" in rows[0]:
        columns = [*columns, *INSIGHT_COLUMNS]
    return Report(columns=columns, rows=_FlagsJoined(rows), document=document)


# -- account show --------------------------------------------------------------------------------


def state_of(
    conn: sqlite3.Connection, key: int, as_of: date, *, grace_days: int = 0
) -> AccountState:
    """The :class:`AccountState` of customer ``key`` on ``as_of``, from its full books."""
    return account_state(load_account(conn, key, as_of), as_of, grace_days=grace_days)


def account_show(
    conn: sqlite3.Connection,
    key: int,
    as_of: date,
    *,
    grace_days: int = 0,
    bounds: Sequence[int] = DEFAULT_BOUNDS,
) -> dict[str, Any]:
    """The JSON document of ``account show`` for customer ``key`` (contract keys: customer,
    balances, invoices, payments, activity, promises, disputes, plans, stage; plus holds,
    escalations, contacts)."""
    from collectctl.reports.forecast_insight import Insight, insights

    books = load_account(conn, key, as_of)
    letters = [r for r in letters_for_customer(conn, books.customer.ref) if r.letter_date <= as_of]
    assigned = assignments(conn, as_of, books.customer.ref).get(books.customer.ref, [])
    state = account_state(books, as_of, grace_days=grace_days, bounds=bounds)
    doc = show_document(state, letters=letters, assignments=assigned)
    found = insights(conn, as_of, grace_days=grace_days, customers={key})
    doc["insight"] = found.get(key, Insight(None, None, 0.0, 0)).as_dict()
    return doc


def show_document(
    state: AccountState,
    letters: Sequence[LetterRow] = (),
    assignments: Sequence[Assignment] = (),
) -> dict[str, Any]:
    """The ``account show`` document of an account loaded with its full books (and the
    letters and assignments recorded for it, dated by then)."""
    as_of, books = state.as_of, state.books
    numbers = books.invoice_numbers
    outcomes = state.outcomes
    doc: dict[str, Any] = {
        "as_of": as_of,
        "customer": _customer(state.customer),
        "owner": owner_on(assignments, as_of),
        "stage": state.stage,
        "flags": list(state.flag_names),
        "balances": [
            {
                "currency": b.currency,
                "open": from_minor(b.open, b.currency),
                "overdue": from_minor(b.overdue, b.currency),
                "disputed": from_minor(b.disputed, b.currency),
                "unapplied": from_minor(b.unapplied, b.currency),
                "total": from_minor(b.total, b.currency),
                "oldest_days": max((as_of - b.oldest_due).days, 0) if b.oldest_due else 0,
            }
            for b in state.balances
        ],
        "invoices": [
            {
                "invoice_id": s.invoice.id,
                "number": s.invoice.number,
                "currency": s.invoice.currency,
                "issue_date": s.invoice.issue_date,
                "due_date": s.invoice.due_date,
                "days": s.days,
                "bucket": s.bucket,
                "amount": from_minor(s.invoice.amount, s.invoice.currency),
                "paid": from_minor(s.invoice.paid, s.invoice.currency),
                "balance": from_minor(s.invoice.balance, s.invoice.currency),
                "disputed": s.dispute,
            }
            for s in state.invoices
        ],
        "payments": [_payment(a) for a in books.allocations],
        "promises": [_promise(p, numbers) for p in state.promises],
        "disputes": [_dispute(x, numbers, as_of) for x in books.disputes],
        "holds": [_hold(h, as_of) for h in books.holds],
        "escalations": [_escalation(e) for e in books.escalations],
        "plans": [
            {
                "id": p.plan.id,
                "status": p.state,
                "currency": p.plan.currency,
                "balance": from_minor(p.plan.balance, p.plan.currency),
                "created_on": p.plan.created_on,
            }
            for p in state.plans
        ],
        "contacts": [_contact(c) for c in books.contacts],
        "letters": [letter_summary(r) for r in letters],
    }
    doc["activity"] = timeline(books, outcomes, as_of, letters=letters, assignments=assignments)
    return doc


def _customer(c: Customer) -> dict[str, Any]:
    return {
        "id": c.id,
        "source": c.source,
        "name": c.name,
        "kind": c.kind,
        "email": c.email,
        "phone": c.phone,
        "address": c.address,
        "currency": c.currency,
        "timezone": c.timezone,
        "terms_days": c.terms_days,
        "language": c.language,
        "interest": c.interest,
    }


def _payment(a: Allocation) -> dict[str, Any]:
    return {
        "payment_id": a.payment_id,
        "date": a.date,
        "kind": a.kind,
        "currency": a.currency,
        "amount": from_minor(a.amount, a.currency),
        "invoice_id": a.invoice_id,
        "invoice_number": a.invoice_number,
        "method": a.method,
        "reference": a.reference,
    }


def _invoice_refs(exts: Sequence[str], numbers: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"invoice_id": e, "number": numbers.get(e), "missing": e not in numbers} for e in exts]


def _void(voided_on: date | None, reason: str | None) -> dict[str, Any]:
    return {"voided_on": voided_on, "void_reason": reason}


def _promise(state: PromiseState, numbers: Mapping[str, str]) -> dict[str, Any]:
    p, out = state.promise, state.outcome
    cur = p.currency
    return {
        "id": record_id("PRM", p.id),
        "currency": cur,
        "amount": from_minor(p.amount, cur),
        "made_on": p.made_on,
        "by": p.due_on,
        "deadline": out.deadline if out else None,
        "invoices": _invoice_refs(p.invoices, numbers),
        "note": p.note,
        "status": state.status,
        "paid": from_minor(out.paid, cur) if out else None,
        "remaining": from_minor(out.remaining, cur) if out else None,
        "kept_on": out.kept_on if out else None,
        "created_by": p.created_by,
        **_void(p.voided_on, p.void_reason),
    }


def _dispute(x: Dispute, numbers: Mapping[str, str], as_of: date) -> dict[str, Any]:
    return {
        "id": record_id("DSP", x.id),
        **_invoice_refs([x.invoice_id], numbers)[0],
        "reason": x.reason,
        "note": x.note,
        "opened_on": x.opened_on,
        "resolved_on": x.resolved_on,
        "resolution": x.resolution,
        "status": dispute_status(x, as_of),
        "created_by": x.created_by,
        "resolved_by": x.resolved_by,
        **_void(x.voided_on, x.void_reason),
    }


def _hold(h: Hold, as_of: date) -> dict[str, Any]:
    return {
        "id": record_id("HLD", h.id),
        "start": h.start_on,
        "until": h.until_on,
        "reason": h.reason,
        "released_on": h.released_on,
        "status": hold_status(h, as_of),
        "created_by": h.created_by,
        "released_by": h.released_by,
        **_void(h.voided_on, h.void_reason),
    }


def _escalation(e: Escalation) -> dict[str, Any]:
    return {
        "id": record_id("ESC", e.id),
        "to": e.target,
        "on": e.escalated_on,
        "note": e.note,
        "pack_md": e.pack_md,
        "pack_pdf": e.pack_pdf,
        "status": "void" if e.voided_on else "active",
        "created_by": e.created_by,
        **_void(e.voided_on, e.void_reason),
    }


def _contact(c: Contact) -> dict[str, Any]:
    return {
        "id": record_id("ACT", c.id),
        "at": c.at,
        "channel": c.channel,
        "outcome": c.outcome,
        "note": c.note,
        "next": c.next_date,
        "created_by": c.created_by,
        **_void(c.voided_on, c.void_reason),
    }


def insight_line(ins: Mapping[str, Any]) -> str:
    """How the customer pays, in one line for people."""
    late = ins["typical_days_late"]
    parts = [
        "pays: " + ("no payment history yet" if late is None else f"typically {late} days late")
    ]
    if ins["trend"]:
        parts.append(f"trend {ins['trend']}")
    if ins["promises_resolved"]:
        parts.append(f"promises kept {ins['promise_keeping']:.0%} of {ins['promises_resolved']}")
    for cur, day in (ins["next_payment"] or {}).items():
        parts.append(f"next payment expected {day} ({cur})")
    return "; ".join(parts)


# -- show as reports -----------------------------------------------------------------------------


def show_reports(doc: Mapping[str, Any]) -> list[Report]:
    """``account show`` for the human formats: one section per part of the document."""
    c = doc["customer"]
    header = [
        f"{c['name']} ({c['id']}, {c['source']}) — {c['kind']}, stage {doc['stage']}"
        + (f" [{' '.join(doc['flags'])}]" if doc["flags"] else ""),
    ]
    for label in ("email", "phone", "terms_days", "timezone"):
        if c[label] not in (None, ""):
            header.append(f"{label.replace('_', ' ')}: {c[label]}")
    if doc.get("owner"):
        header.append(f"owner: {doc['owner']}")
    if c["address"]:
        header.append("address: " + " / ".join(c["address"].splitlines()))
    if doc.get("insight"):
        header.append(insight_line(doc["insight"]))
    cols = Column
    sections = [
        Report(
            columns=[
                cols("currency"),
                cols("open", kind="money"),
                cols("overdue", kind="money"),
                cols("disputed", kind="money"),
                cols("unapplied", kind="money"),
                cols("total", kind="money"),
                cols("oldest_days", "oldest days", "int"),
            ],
            rows=doc["balances"],
            title="\n".join(header) + "\n\nBalances",
        ),
        Report(
            columns=[
                cols("number"),
                cols("currency"),
                cols("due_date", "due", "date"),
                cols("days", kind="int"),
                cols("bucket"),
                cols("amount", kind="money"),
                cols("balance", kind="money"),
                cols("disputed"),
            ],
            rows=doc["invoices"],
            title="Open invoices",
        ),
        Report(
            columns=[
                cols("id"),
                cols("amount", kind="money"),
                cols("currency"),
                cols("by", kind="date"),
                cols("status"),
                cols("paid", kind="money"),
                cols("note"),
            ],
            rows=doc["promises"],
            title="Promises",
        ),
        Report(
            columns=[
                cols("id"),
                cols("number", "invoice"),
                cols("reason"),
                cols("status"),
                cols("opened_on", "opened", "date"),
                cols("note"),
            ],
            rows=[
                {**x, "number": x["number"] or f"{x['invoice_id']} (missing)"}
                for x in doc["disputes"]
            ],
            title="Disputes",
        ),
        Report(
            columns=[
                cols("id"),
                cols("start", kind="date"),
                cols("until", kind="date"),
                cols("status"),
                cols("reason"),
            ],
            rows=doc["holds"],
            title="Holds",
        ),
        Report(columns=activity_columns(doc), rows=activity_rows(doc), title="Activity"),
    ]
    return [s for s in sections if s.rows or s.title in ("Activity",) or s is sections[0]]


ACTIVITY_COLUMNS = [
    Column("date", kind="date"),
    Column("kind"),
    Column("ref"),
    Column("text", "what"),
]


#: Timeline kinds that are someone's record (made by a user), not the books' or a rule's.
RECORD_KINDS = frozenset(
    {
        "contact",
        "promise",
        "dispute",
        "dispute-resolved",
        "hold",
        "hold-released",
        "escalation",
        "letter",
        "assignment",
        "amend",
        "void",
    }
)


def activity_columns(doc: Mapping[str, Any]) -> list[Column]:
    """The timeline's columns: a ``by`` column too once anyone's name is on a record."""
    if any(e.get("by") for e in doc["activity"]):
        return [*ACTIVITY_COLUMNS, Column("by")]
    return ACTIVITY_COLUMNS


def activity_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The timeline rows, void records marked; a record made before who made it was kept
    (``by`` null in JSON) shows ``unknown``."""
    return [
        {
            **e,
            "text": e["text"] + (" [void]" if e.get("void") else ""),
            "by": e.get("by") or ("unknown" if e["kind"] in RECORD_KINDS else ""),
        }
        for e in doc["activity"]
    ]

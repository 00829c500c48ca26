"""The collector's desk: ``account list`` rows and the ``account show`` document.

Ledger reads (books + collection state) are combined here with the pure rules of
:mod:`collectctl.domain.promises` and :mod:`collectctl.domain.stages`. Balances follow aging
exactly (contracts §3; the list reuses the customer aging aggregation), money leaves as Decimals
with the currency's decimals (strings in JSON), and the activity timeline is one chronological
list of everything that happened on the account as of the report date.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from collectctl.domain.aging import DEFAULT_BOUNDS, bucket_index, bucket_names
from collectctl.domain.promises import PromiseOutcome, evaluate_promise
from collectctl.domain.stages import (
    AccountFlags,
    derive_stage,
    dispute_open,
    flag_names,
    hold_active,
)
from collectctl.ledger import books, collection
from collectctl.ledger.letters import last_stages, letters_for_customer, override_for
from collectctl.letters.history import letter_summary
from collectctl.money import from_minor
from collectctl.output import Column, Report
from collectctl.timeline import timeline

SORTS = ("balance", "days", "name", "next")
Key = tuple[str, str]  # (source, customer id)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


# -- shared rules --------------------------------------------------------------------------------


def evaluate(
    promises: Sequence[Mapping[str, Any]],
    payments: Mapping[int, list[tuple[date, int]]],
    as_of: date,
    grace_days: int,
) -> dict[int, PromiseOutcome]:
    """Outcome of each (non-void) promise as of ``as_of``."""
    return {
        p["id"]: evaluate_promise(
            p["amount"],
            date.fromisoformat(p["made_on"]),
            date.fromisoformat(p["due_on"]),
            payments.get(p["id"], []),
            as_of,
            grace_days,
        )
        for p in promises
        if not p.get("voided_on")
    }


def account_flags(
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    outcomes: Mapping[int, PromiseOutcome],
    plans: int,
    overdue: bool,
    as_of: date,
) -> AccountFlags:
    """The flags of one account from its (non-void) records as of ``as_of``."""
    live = {k: [r for r in v if not r.get("voided_on")] for k, v in records.items()}
    promises = sorted(
        (p for p in live.get("promises", []) if date.fromisoformat(p["made_on"]) <= as_of),
        key=lambda p: (p["made_on"], p["id"]),
    )
    latest = outcomes.get(promises[-1]["id"]) if promises else None
    return AccountFlags(
        overdue=overdue,
        escalated=any(
            date.fromisoformat(e["escalated_on"]) <= as_of for e in live.get("escalations", [])
        ),
        on_hold=any(_hold_on(h, as_of) for h in live.get("holds", [])),
        open_disputes=sum(
            dispute_open(date.fromisoformat(x["opened_on"]), _d(x["resolved_on"]), as_of)
            for x in live.get("disputes", [])
        ),
        active_plans=plans,
        promise_open=any(outcomes[p["id"]].status == "open" for p in promises),
        promise_broken=latest is not None and latest.is_broken,
    )


def _hold_on(h: Mapping[str, Any], as_of: date) -> bool:
    return hold_active(
        date.fromisoformat(h["start_on"]), _d(h["until_on"]), _d(h["released_on"]), as_of
    )


def _active(plans: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for p in plans if p["status"] == "active")


def next_action(
    contact_next: str | None,
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    outcomes: Mapping[int, PromiseOutcome],
    as_of: date,
) -> date | None:
    """The earliest of: the ``--next`` date of the latest contact that set one; the day after
    an open promise's deadline (check the money came in); the day after an active hold ends."""
    dates = [date.fromisoformat(contact_next)] if contact_next else []
    for p in records.get("promises", []):
        out = outcomes.get(p["id"])
        if out is not None and out.status == "open":
            dates.append(out.deadline + timedelta(days=1))
    for h in records.get("holds", []):
        if not h.get("voided_on") and h["until_on"] and _hold_on(h, as_of):
            dates.append(date.fromisoformat(h["until_on"]) + timedelta(days=1))
    return min(dates) if dates else None


# -- account list --------------------------------------------------------------------------------


def account_list(
    conn: sqlite3.Connection,
    as_of: date,
    *,
    grace_days: int = 0,
    currency: str | None = None,
    overdue_only: bool = False,
    stage: str | None = None,
    min_balance: Decimal | None = None,
    sort: str = "balance",
) -> dict[str, Any]:
    """The JSON document of ``account list``: one row per customer and currency with an open
    balance or credit (as aging), its stage, flags, last contact and next action."""
    from collectctl.ledger.aging import customer_lines

    lines = customer_lines(conn, as_of, (1,), currency=currency)  # current | 1-1 | 2+
    oldest = books.oldest_open_due(conn, as_of, currency=currency)
    refs = books.customer_refs(conn, [ln.customer_key for ln in lines])
    live = collection.live_records(conn, as_of)
    payments = collection.promise_payments(conn, live["promises"], as_of)
    outcomes = evaluate(live["promises"], payments, as_of, grace_days)
    per_account: dict[Key, dict[str, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for table, rows in live.items():
        for r in rows:
            per_account[(r["source"], r["customer_ext"])][table].append(r)
    contacts = collection.contact_summary(conn, as_of)
    plans = collection.plans_by_customer(conn, as_of)
    overdue_accounts = {refs[ln.customer_key][:2] for ln in lines if sum(ln.buckets[1:]) > 0}
    letter_stages = last_stages(conn, as_of=as_of)
    rows: list[dict[str, Any]] = []
    for ln in lines:
        source, ext, name, kind = refs[ln.customer_key]
        key = (source, ext)
        records = per_account.get(key, {})
        flags = account_flags(
            records, outcomes, _active(plans.get(key, [])), key in overdue_accounts, as_of
        )
        account_stage = derive_stage(flags)
        if account_stage == "overdue":
            account_stage = letter_stages.get((source, ext, ln.currency), account_stage)
        due = oldest.get((ln.customer_key, ln.currency))
        days = (as_of - date.fromisoformat(due)).days if due else None
        overdue = sum(ln.buckets[1:])
        balance = from_minor(ln.total, ln.currency)
        if overdue_only and overdue <= 0:
            continue
        if stage and account_stage != stage:
            continue
        if min_balance is not None and balance < min_balance:
            continue
        last, nxt = contacts.get(key, (None, None))
        rows.append(
            {
                "customer_id": ext,
                "customer": name,
                "kind": kind,
                "currency": ln.currency,
                "balance": balance,
                "overdue": from_minor(overdue, ln.currency),
                "oldest_days": days,
                "stage": account_stage,
                "last_contact": _d(last),
                "next_action": next_action(nxt, records, outcomes, as_of),
                "flags": flag_names(flags),
                "source": source,
            }
        )
    rows.sort(key=_sort_key(sort))
    return {"as_of": as_of, "sort": sort, "rows": rows}


def _sort_key(sort: str) -> Any:
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


def list_report(document: dict[str, Any]) -> Report:
    """``account list`` for any format: flags joined with spaces outside JSON."""
    rows = [{**r, "flags": " ".join(r["flags"])} for r in document["rows"]]
    return Report(columns=LIST_COLUMNS, rows=rows, document=document)


# -- account show --------------------------------------------------------------------------------


def account_show(
    conn: sqlite3.Connection,
    customer: Mapping[str, Any],
    as_of: date,
    *,
    grace_days: int = 0,
    bounds: Sequence[int] = DEFAULT_BOUNDS,
) -> dict[str, Any]:
    """The JSON document of ``account show`` (contract keys: customer, balances, invoices,
    payments, activity, promises, disputes, plans, stage; plus holds, escalations, contacts)."""
    key: Key = (customer["source"], customer["id"])
    names = bucket_names(bounds)
    invoices = books.customer_invoices(conn, customer["key"], as_of)
    allocations = books.customer_allocations(conn, customer["key"], as_of)
    records = collection.customer_records(conn, key)
    payments = collection.promise_payments(conn, records["promises"], as_of)
    outcomes = evaluate(records["promises"], payments, as_of, grace_days)
    disputed = {
        x["invoice_ext"]: collection.record_id("DSP", x["id"])
        for x in records["disputes"]
        if not x["voided_on"]
        and dispute_open(date.fromisoformat(x["opened_on"]), _d(x["resolved_on"]), as_of)
    }
    numbers = {i["id"]: i["number"] for i in invoices}

    sums: dict[str, dict[str, int]] = defaultdict(
        lambda: {"open": 0, "overdue": 0, "unapplied": 0, "disputed": 0, "oldest": 0}
    )
    open_rows = []
    for i in invoices:
        cur = i["currency"]
        if i["void"] or i["issue_date"] > as_of.isoformat():
            sums[cur]["unapplied"] -= i["paid"]
            continue
        bal = i["amount"] - i["paid"]
        if bal <= 0:
            sums[cur]["unapplied"] += bal
            continue
        days = (as_of - date.fromisoformat(i["due_date"])).days
        s = sums[cur]
        s["open"] += bal
        if days > 0:
            s["overdue"] += bal
            s["oldest"] = max(s["oldest"], days)
        if i["id"] in disputed:
            s["disputed"] += bal
        open_rows.append(
            {
                "invoice_id": i["id"],
                "number": i["number"],
                "currency": cur,
                "issue_date": date.fromisoformat(i["issue_date"]),
                "due_date": date.fromisoformat(i["due_date"]),
                "days": days,
                "bucket": names[bucket_index(days, bounds)],
                "amount": from_minor(i["amount"], cur),
                "paid": from_minor(i["paid"], cur),
                "balance": from_minor(bal, cur),
                "disputed": disputed.get(i["id"]),
            }
        )
    for a in allocations:
        if not a["linked"]:
            sign = 1 if a["kind"] == "refund" else -1
            sums[a["currency"]]["unapplied"] += sign * a["amount"]
    balances = []
    for cur in sorted(sums):
        s = sums[cur]
        if not any(s[k] for k in ("open", "unapplied")):
            continue
        balances.append(
            {
                "currency": cur,
                "open": from_minor(s["open"], cur),
                "overdue": from_minor(s["overdue"], cur),
                "disputed": from_minor(s["disputed"], cur),
                "unapplied": from_minor(s["unapplied"], cur),
                "total": from_minor(s["open"] + s["unapplied"], cur),
                "oldest_days": s["oldest"],
            }
        )
    plans = collection.plans_by_customer(conn, as_of).get(key, [])
    overdue = any(s["overdue"] > 0 for s in sums.values())
    flags = account_flags(records, outcomes, _active(plans), overdue, as_of)
    # Numbers of invoices named by records, also those that left the books.
    named = {x["invoice_ext"] for x in records["disputes"]}
    named |= {ext for p in records["promises"] for ext in p["invoices"]}
    live_numbers = books.invoice_numbers(conn, key[0], sorted(named - set(numbers)))
    numbers.update(live_numbers)
    doc = {
        "as_of": as_of,
        "customer": {
            "id": customer["id"],
            "source": customer["source"],
            "name": customer["name"],
            "kind": customer["kind"],
            "email": customer["email"],
            "phone": customer["phone"],
            "address": customer["address"],
            "currency": customer["currency"],
            "timezone": customer["timezone"],
            "terms_days": customer["terms_days"],
            "language": customer.get("language"),
        },
        "stage": derive_stage(flags),
        "flags": flag_names(flags),
        "balances": balances,
        "invoices": open_rows,
        "payments": [_payment(a) for a in allocations],
        "promises": [_promise(p, outcomes.get(p["id"]), numbers) for p in records["promises"]],
        "disputes": [_dispute(x, numbers, as_of) for x in records["disputes"]],
        "holds": [_hold(h, as_of) for h in records["holds"]],
        "escalations": [_escalation(e) for e in records["escalations"]],
        "plans": [{**p, "balance": from_minor(p["balance"], p["currency"])} for p in plans],
        "contacts": [_contact(c) for c in records["contacts"]],
    }
    override = override_for(conn, key)
    for name in ("kind", "language", "timezone", "email"):
        if getattr(override, name):
            doc["customer"][name] = getattr(override, name)
    doc["customer"]["interest"] = override.interest
    doc["letters"] = [
        letter_summary(r) for r in letters_for_customer(conn, key) if r.letter_date <= as_of
    ]
    doc["activity"] = timeline(invoices, allocations, records, outcomes, numbers, as_of)
    return doc


def _payment(a: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "payment_id": a["payment_id"],
        "date": date.fromisoformat(a["date"]),
        "kind": a["kind"],
        "currency": a["currency"],
        "amount": from_minor(a["amount"], a["currency"]),
        "invoice_id": a["invoice_ext"] or None,
        "invoice_number": a["invoice_number"],
        "method": a["method"],
        "reference": a["reference"],
    }


def _invoice_refs(exts: Sequence[str], numbers: Mapping[str, str]) -> list[dict[str, Any]]:
    return [{"invoice_id": e, "number": numbers.get(e), "missing": e not in numbers} for e in exts]


def _void(r: Mapping[str, Any]) -> dict[str, Any]:
    return {"voided_on": _d(r["voided_on"]), "void_reason": r["void_reason"]}


def _promise(
    p: Mapping[str, Any], out: PromiseOutcome | None, numbers: Mapping[str, str]
) -> dict[str, Any]:
    cur = p["currency"]
    return {
        "id": collection.record_id("PRM", p["id"]),
        "currency": cur,
        "amount": from_minor(p["amount"], cur),
        "made_on": date.fromisoformat(p["made_on"]),
        "by": date.fromisoformat(p["due_on"]),
        "deadline": out.deadline if out else None,
        "invoices": _invoice_refs(p["invoices"], numbers),
        "note": p["note"],
        "status": out.status if out else "void",
        "paid": from_minor(out.paid, cur) if out else None,
        "remaining": from_minor(out.remaining, cur) if out else None,
        "kept_on": out.kept_on if out else None,
        **_void(p),
    }


def _dispute(x: Mapping[str, Any], numbers: Mapping[str, str], as_of: date) -> dict[str, Any]:
    if x["voided_on"]:
        status = "void"
    elif x["resolved_on"] and date.fromisoformat(x["resolved_on"]) <= as_of:
        status = "resolved"
    else:
        status = "open"
    return {
        "id": collection.record_id("DSP", x["id"]),
        **_invoice_refs([x["invoice_ext"]], numbers)[0],
        "reason": x["reason"],
        "note": x["note"],
        "opened_on": date.fromisoformat(x["opened_on"]),
        "resolved_on": _d(x["resolved_on"]),
        "resolution": x["resolution"],
        "status": status,
        **_void(x),
    }


def _hold(h: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    if h["voided_on"]:
        status = "void"
    elif _hold_on(h, as_of):
        status = "active"
    elif h["released_on"] and date.fromisoformat(h["released_on"]) <= as_of:
        status = "released"
    elif date.fromisoformat(h["start_on"]) > as_of:
        status = "scheduled"
    else:
        status = "expired"
    return {
        "id": collection.record_id("HLD", h["id"]),
        "start": date.fromisoformat(h["start_on"]),
        "until": _d(h["until_on"]),
        "reason": h["reason"],
        "released_on": _d(h["released_on"]),
        "status": status,
        **_void(h),
    }


def _escalation(e: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": collection.record_id("ESC", e["id"]),
        "to": e["target"],
        "on": date.fromisoformat(e["escalated_on"]),
        "note": e["note"],
        "pack_md": e["pack_md"],
        "pack_pdf": e["pack_pdf"],
        "status": "void" if e["voided_on"] else "active",
        **_void(e),
    }


def _contact(c: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "id": collection.record_id("ACT", c["id"]),
        "at": c["at"],
        "channel": c["channel"],
        "outcome": c["outcome"],
        "note": c["note"],
        "next": _d(c["next_date"]),
        **_void(c),
    }


# -- the timeline --------------------------------------------------------------------------------


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
    if c["address"]:
        header.append("address: " + " / ".join(c["address"].splitlines()))
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
        Report(columns=ACTIVITY_COLUMNS, rows=activity_rows(doc), title="Activity"),
    ]
    return [s for s in sections if s.rows or s.title in ("Activity",) or s is sections[0]]


ACTIVITY_COLUMNS = [
    Column("date", kind="date"),
    Column("kind"),
    Column("ref"),
    Column("text", "what"),
]


def activity_rows(doc: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The timeline rows, void records marked."""
    return [
        {**e, "text": e["text"] + (" [void]" if e.get("void") else "")} for e in doc["activity"]
    ]

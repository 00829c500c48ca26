"""The activity timeline of one account: every event, oldest first, as plain rows.

Invoices, payments, contacts, promises, disputes, holds, escalations and corrections merged into
one chronological list (``account show``'s ``activity``; the escalation handover pack).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any

from collectctl.domain.promises import PromiseOutcome
from collectctl.ledger import collection
from collectctl.money import from_minor


def money_text(units: int, currency: str) -> str:
    """``"120.00 USD"``: an amount with its currency, for timeline text."""
    return f"{from_minor(units, currency)} {currency}"


def timeline(
    invoices: Sequence[Mapping[str, Any]],
    allocations: Sequence[Mapping[str, Any]],
    records: Mapping[str, Sequence[Mapping[str, Any]]],
    outcomes: Mapping[int, PromiseOutcome],
    numbers: Mapping[str, str],
    as_of: date,
) -> list[dict[str, Any]]:
    """Everything that happened on the account up to ``as_of``, oldest first: invoices,
    payments, contacts, promises (and when they were kept or broken), disputes, holds,
    escalations, letters (LTR-n), and every amendment and void (the audit trail)."""
    events: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def add(
        on: date,
        kind: str,
        ref: str,
        text: str,
        at: str | None = None,
        order: str = "",
        **extra: Any,
    ) -> None:
        # Same day: the books first, then records in the order they were made, then outcomes.
        if on <= as_of:
            item = {"date": on, "at": at, "kind": kind, "ref": ref, "text": text}
            item["void"] = bool(extra.get("void"))
            events.append(((on, order, len(events)), item))

    for i in invoices:
        if i["issue_date"] > as_of.isoformat():
            continue
        void = " (void)" if i["void"] else ""
        add(
            date.fromisoformat(i["issue_date"]),
            "invoice",
            i["number"],
            f"invoice {i['number']} issued{void}: {money_text(i['amount'], i['currency'])}, "
            f"due {i['due_date']}",
        )
    grouped: dict[tuple[str, str, str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for a in allocations:
        grouped[(a["date"], a["payment_id"], a["kind"], a["currency"])].append(a)
    for (on, pid, kind, cur), parts in grouped.items():
        total = sum(p["amount"] for p in parts)
        targets = sorted({p["invoice_number"] or p["invoice_ext"] or "on account" for p in parts})
        add(
            date.fromisoformat(on),
            kind.replace("_", "-"),
            pid,
            f"{kind.replace('_', ' ')} {pid}: {money_text(total, cur)} to {', '.join(targets)}",
        )
    for c in records.get("contacts", []):
        ref = collection.record_id("ACT", c["id"])
        nxt = f"; next {c['next_date']}" if c["next_date"] else ""
        note = f": {c['note']}" if c["note"] else ""
        add(
            date.fromisoformat(c["on_date"]),
            "contact",
            ref,
            f"{c['channel']}, {c['outcome']}{note}{nxt}",
            at=c["at"],
            order="1" + c["created_at"],
            void=bool(c["voided_on"]),
        )
    for p in records.get("promises", []):
        ref = collection.record_id("PRM", p["id"])
        on = [numbers.get(e, f"{e} (missing)") for e in p["invoices"]]
        about = f" for {', '.join(on)}" if on else ""
        add(
            date.fromisoformat(p["made_on"]),
            "promise",
            ref,
            f"promised {money_text(p['amount'], p['currency'])} by {p['due_on']}{about}",
            order="1" + p["created_at"],
            void=bool(p["voided_on"]),
        )
        out = outcomes.get(p["id"])
        if out is None or out.status == "open":
            continue
        if out.status == "kept" and out.kept_on is not None:
            add(out.kept_on, "promise-kept", ref, f"promise {ref} kept", order="2")
        else:
            add(
                out.deadline + timedelta(days=1),
                f"promise-{out.status}",
                ref,
                f"promise {ref} {'partly kept' if out.status == 'partial' else 'broken'}: "
                f"{money_text(out.paid, p['currency'])} of "
                f"{money_text(p['amount'], p['currency'])} "
                f"paid by {out.deadline}",
                order="2",
            )
    for x in records.get("disputes", []):
        ref = collection.record_id("DSP", x["id"])
        number = numbers.get(x["invoice_ext"], f"{x['invoice_ext']} (missing)")
        note = f": {x['note']}" if x["note"] else ""
        add(
            date.fromisoformat(x["opened_on"]),
            "dispute",
            ref,
            f"dispute on {number} ({x['reason']}){note}",
            order="1" + x["created_at"],
            void=bool(x["voided_on"]),
        )
        if x["resolved_on"]:
            res = f": {x['resolution']}" if x["resolution"] else ""
            add(
                date.fromisoformat(x["resolved_on"]),
                "dispute-resolved",
                ref,
                f"dispute {ref} on {number} resolved{res}",
                order="2",
            )
    for h in records.get("holds", []):
        ref = collection.record_id("HLD", h["id"])
        until = f" until {h['until_on']}" if h["until_on"] else ""
        add(
            date.fromisoformat(h["start_on"]),
            "hold",
            ref,
            f"on hold{until}: {h['reason']}",
            order="1" + h["created_at"],
            void=bool(h["voided_on"]),
        )
        if h["released_on"]:
            on = date.fromisoformat(h["released_on"])
            add(on, "hold-released", ref, f"hold {ref} released", order="2")
        elif h["until_on"] and not h["voided_on"]:
            end = date.fromisoformat(h["until_on"]) + timedelta(days=1)
            add(end, "hold-expired", ref, f"hold {ref} expired", order="2")
    for e in records.get("escalations", []):
        ref = collection.record_id("ESC", e["id"])
        note = f": {e['note']}" if e["note"] else ""
        add(
            date.fromisoformat(e["escalated_on"]),
            "escalation",
            ref,
            f"escalated to {e['target']}{note}",
            order="1" + e["created_at"],
            void=bool(e["voided_on"]),
        )
    for lt in records.get("letters", []):
        total = f" for {money_text(lt['total'], lt['currency'])}" if lt["total"] is not None else ""
        add(
            date.fromisoformat(lt["letter_date"]),
            "letter",
            f"LTR-{lt['id']}",
            f"{lt['stage']} letter by {lt['channel']}{total}: {lt['status']}",
            order="1" + lt["claimed_at"],
        )
    currencies = {p["id"]: p["currency"] for p in records.get("promises", [])}
    for k in records.get("corrections", []):
        changes = json.loads(k["changes"])
        if k["action"] == "void":
            text = f"{k['record']} voided: {k['reason']}"
        else:
            parts = []
            for fld, (old, new) in changes.items():
                if fld == "amount" and k["record"].startswith("PRM-"):
                    cur = currencies.get(int(k["record"][4:]), "")
                    old, new = from_minor(old, cur), from_minor(new, cur)
                parts.append(f"{fld} {old} -> {new}")
            text = f"{k['record']} amended ({'; '.join(parts)}): {k['reason']}"
        on = date.fromisoformat(k["on_date"])
        add(on, k["action"], k["record"], text, at=k["at"], order="1" + k["at"])
    events.sort(key=lambda e: e[0])
    return [item for _key, item in events]


# -- show as reports -----------------------------------------------------------------------------

"""The activity timeline of one account: every event, oldest first, as plain rows.

Invoices, payments, contacts, promises, disputes, holds, escalations, letters and corrections
merged into one chronological list (``account show``'s ``activity``; the escalation handover
pack), read from an account's full typed books (:func:`collectctl.ledger.accounts.load_account`)
and the send record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import TYPE_CHECKING, Any

from collectctl.domain.books import (
    AccountBooks,
    Allocation,
    Assignment,
    instant_key,
    record_id,
)
from collectctl.domain.promises import PromiseOutcome, day_after
from collectctl.money import from_minor

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.ledger.letters import LetterRow


def money_text(units: int, currency: str) -> str:
    """``"120.00 USD"``: an amount with its currency, for timeline text."""
    return f"{from_minor(units, currency)} {currency}"


def timeline(
    books: AccountBooks,
    outcomes: Mapping[int, PromiseOutcome],
    as_of: date,
    *,
    letters: Sequence[LetterRow] = (),
    assignments: Sequence[Assignment] = (),
) -> list[dict[str, Any]]:
    """Everything that happened on the account up to ``as_of``, oldest first: invoices,
    payments, contacts, promises (and when they were kept or broken), disputes, holds,
    escalations, letters (``LTR-n``, from the send record), assignments (``account assign``)
    and every amendment and void (the audit trail). Same-day records are ordered by when they
    were made (as instants: old local-offset and new UTC stamps compare right). ``by`` is who
    made a record (None for the books, for what the rules conclude, and for records made before
    collectctl kept it)."""
    numbers = books.invoice_numbers
    events: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def add(
        on: date,
        kind: str,
        ref: str,
        text: str,
        at: str | None = None,
        order: str = "",
        void: bool = False,
        by: str | None = None,
    ) -> None:
        # Same day: the books first, then records in the order they were made, then outcomes.
        if on <= as_of:
            item = {
                "date": on,
                "at": at,
                "kind": kind,
                "ref": ref,
                "text": text,
                "void": void,
                "by": by,
            }
            events.append(((on, order, len(events)), item))

    for i in books.invoices:
        if i.issue_date > as_of:
            continue
        void = " (void)" if i.void else ""
        add(
            i.issue_date,
            "invoice",
            i.number,
            f"invoice {i.number} issued{void}: {money_text(i.amount, i.currency)}, "
            f"due {i.due_date}",
        )
    grouped: dict[tuple[date, str, str, str], list[Allocation]] = defaultdict(list)
    for a in books.allocations:
        grouped[(a.date, a.payment_id, a.kind, a.currency)].append(a)
    for (on, pid, kind, cur), lines in grouped.items():
        total = sum(p.amount for p in lines)
        targets = sorted({p.invoice_number or p.invoice_id or "on account" for p in lines})
        add(
            on,
            kind.replace("_", "-"),
            pid,
            f"{kind.replace('_', ' ')} {pid}: {money_text(total, cur)} to {', '.join(targets)}",
        )
    for c in books.contacts:
        nxt = f"; next {c.next_date}" if c.next_date else ""
        note = f": {c.note}" if c.note else ""
        add(
            c.on_date,
            "contact",
            record_id("ACT", c.id),
            f"{c.channel}, {c.outcome}{note}{nxt}",
            at=c.at,
            order="1" + instant_key(c.created_at),
            void=c.voided_on is not None,
            by=c.created_by,
        )
    for p in books.promises:
        ref = record_id("PRM", p.id)
        named = [numbers.get(e, f"{e} (missing)") for e in p.invoices]
        about = f" for {', '.join(named)}" if named else ""
        add(
            p.made_on,
            "promise",
            ref,
            f"promised {money_text(p.amount, p.currency)} by {p.due_on}{about}",
            order="1" + instant_key(p.created_at),
            void=p.voided_on is not None,
            by=p.created_by,
        )
        out = outcomes.get(p.id)
        if out is None or out.status == "open":
            continue
        if out.status == "kept" and out.kept_on is not None:
            add(out.kept_on, "promise-kept", ref, f"promise {ref} kept", order="2")
        else:
            add(
                day_after(out.deadline) or out.deadline,
                f"promise-{out.status}",
                ref,
                f"promise {ref} {'partly kept' if out.status == 'partial' else 'broken'}: "
                f"{money_text(out.paid, p.currency)} of {money_text(p.amount, p.currency)} "
                f"paid by {out.deadline}",
                order="2",
            )
    for x in books.disputes:
        ref = record_id("DSP", x.id)
        number = numbers.get(x.invoice_id, f"{x.invoice_id} (missing)")
        note = f": {x.note}" if x.note else ""
        add(
            x.opened_on,
            "dispute",
            ref,
            f"dispute on {number} ({x.reason}){note}",
            order="1" + instant_key(x.created_at),
            void=x.voided_on is not None,
            by=x.created_by,
        )
        if x.resolved_on:
            res = f": {x.resolution}" if x.resolution else ""
            add(
                x.resolved_on,
                "dispute-resolved",
                ref,
                f"dispute {ref} on {number} resolved{res}",
                order="2",
                by=x.resolved_by,
            )
    for h in books.holds:
        ref = record_id("HLD", h.id)
        until = f" until {h.until_on}" if h.until_on else ""
        add(
            h.start_on,
            "hold",
            ref,
            f"on hold{until}: {h.reason}",
            order="1" + instant_key(h.created_at),
            void=h.voided_on is not None,
            by=h.created_by,
        )
        if h.released_on:
            add(
                h.released_on,
                "hold-released",
                ref,
                f"hold {ref} released",
                order="2",
                by=h.released_by,
            )
        elif h.until_on and h.voided_on is None:
            end = day_after(h.until_on)
            if end is not None:  # a hold until 9999-12-31 never expires
                add(end, "hold-expired", ref, f"hold {ref} expired", order="2")
    for e in books.escalations:
        note = f": {e.note}" if e.note else ""
        add(
            e.escalated_on,
            "escalation",
            record_id("ESC", e.id),
            f"escalated to {e.target}{note}",
            order="1" + instant_key(e.created_at),
            void=e.voided_on is not None,
            by=e.created_by,
        )
    for lt in letters:
        sum_text = f" for {money_text(lt.total, lt.currency)}" if lt.total is not None else ""
        add(
            lt.letter_date,
            "letter",
            lt.ref,
            f"{lt.stage} letter by {lt.channel}{sum_text}: {lt.status}",
            order="1" + instant_key(lt.claimed_at),
            by=lt.created_by,
        )
    for g in assignments:
        note = f": {g.note}" if g.note else ""
        add(
            g.on_date,
            "assignment",
            record_id("ASG", g.id),
            (f"assigned to {g.owner}" if g.owner else "unassigned") + note,
            order="1" + instant_key(g.created_at),
            void=g.voided_on is not None,
            by=g.created_by,
        )
    currencies = {p.id: p.currency for p in books.promises}
    for k in books.corrections:
        if k.action == "void":
            text = f"{k.record} voided: {k.reason}"
        else:
            parts: list[str] = []
            for fld, (old, new) in k.changes.items():
                if fld == "on_date":  # follows --at
                    continue
                if fld == "amount" and k.record.startswith("PRM-"):
                    cur = currencies.get(int(k.record[4:]), "")
                    old, new = from_minor(old, cur), from_minor(new, cur)
                parts.append(f"{_amend_option(k.record, fld)} {old} -> {new}")
            text = f"{k.record} amended ({'; '.join(parts)}): {k.reason}"
        add(
            k.on_date,
            k.action,
            k.record,
            text,
            at=k.at,
            order="1" + instant_key(k.at),
            by=k.created_by,
        )
    events.sort(key=lambda e: e[0])
    return [item for _key, item in events]


#: The ``account amend`` option that changed each stored field (the timeline names what the
#: user typed, not the ledger's column).
_AMEND_FIELDS = {"due_on": "--by", "until_on": "--until", "next_date": "--next", "target": "--to"}


def _amend_option(record: str, field: str) -> str:
    if field == "reason":
        return "--note" if record.startswith("HLD-") else "--dispute-reason"
    return _AMEND_FIELDS.get(field, f"--{field}")

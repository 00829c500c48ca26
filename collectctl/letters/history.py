"""What was sent: ``letter list``, ``letter show LTR-n``, the re-print, and the ``letters``
entries of ``account show`` and the timeline."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from collectctl.ledger import letters as record
from collectctl.money import from_minor
from collectctl.output import Column, Report

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App

COLUMNS = (
    Column("id"),
    Column("date", kind="date"),
    Column("customer_id"),
    Column("currency"),
    Column("stage"),
    Column("channel"),
    Column("status"),
    Column("total", kind="money"),
    Column("invoices"),
    Column("sent_at"),
)


def letter_doc(row: record.LetterRow) -> dict[str, Any]:
    """One letter as a JSON-able document (money as Decimal strings of its currency)."""

    def money(units: int | None) -> Decimal | None:
        return None if units is None else from_minor(units, row.currency)

    return {
        "id": row.ref,
        "run": row.run,
        "customer_id": row.customer_ext,
        "source": row.source,
        "currency": row.currency,
        "stage": row.stage,
        "language": row.language,
        "channel": row.channel,
        "format": row.format,
        "template": row.template,
        "status": row.status,
        "date": row.letter_date,
        "claimed_at": row.claimed_at,
        "sent_at": row.sent_at,
        "attempts": row.attempts,
        "error": row.last_error,
        "message_id": row.message_id,
        "content_sha256": row.content_sha256,
        "output_path": row.output_path,
        "total": money(row.total),
        "interest": money(row.interest),
        "compensation": money(row.compensation),
        "cancel_reason": row.cancel_reason,
        "invoices": [
            {
                "invoice_id": i.invoice_ext,
                "number": i.number,
                "balance": from_minor(i.balance, row.currency),
                "days": i.days,
                "stage": i.stage,
                "seq": i.seq,
            }
            for i in row.invoices
        ],
        "recipients": [
            {"address": r.address, "kind": r.kind, "status": r.status, "error": r.error}
            for r in row.recipients
        ],
    }


def letter_summary(row: record.LetterRow) -> dict[str, Any]:
    """A letter as listed in ``account show``'s ``letters`` key."""
    return {
        "id": row.ref,
        "date": row.letter_date,
        "stage": row.stage,
        "currency": row.currency,
        "channel": row.channel,
        "status": row.status,
        "sent_at": row.sent_at,
        "total": None if row.total is None else from_minor(row.total, row.currency),
        "invoices": [i.number for i in row.invoices],
    }


def letters_report(
    conn: sqlite3.Connection, customer: str | None, statuses: Sequence[str]
) -> Report:
    """``letter list``."""
    key = None
    if customer:
        from collectctl.ledger.books import find_customer

        found = find_customer(conn, customer)
        key = (found["source"], found["id"])
    docs = [letter_doc(r) for r in record.list_letters(conn, customer=key, statuses=statuses)]
    rows = [{**d, "invoices": ", ".join(i["number"] for i in d["invoices"])} for d in docs]
    return Report(columns=COLUMNS, rows=rows, document={"letters": docs})


def letter_record_text(conn: sqlite3.Connection, ref: str, *, as_json: bool) -> str:
    """``letter show LTR-n``: the record, as text or JSON."""
    doc = letter_doc(record.get_letter(conn, record.parse_letter_ref(ref)))
    if as_json:
        return json.dumps(doc, indent=2, default=str, ensure_ascii=False)
    lines = [
        f"{doc['id']}: {doc['stage']} letter to {doc['customer_id']} ({doc['currency']}), "
        f"{doc['date']}, by {doc['channel']} — {doc['status']}"
    ]
    for key in (
        "total",
        "interest",
        "compensation",
        "message_id",
        "sent_at",
        "attempts",
        "error",
        "output_path",
        "template",
        "content_sha256",
        "cancel_reason",
    ):
        if doc[key] not in (None, "", 0):
            lines.append(f"  {key}: {doc[key]}")
    for i in doc["invoices"]:
        lines.append(
            f"  invoice {i['number']}: {i['balance']} ({i['days']} days) at "
            f"{i['stage']} #{i['seq']}"
        )
    for r in doc["recipients"]:
        lines.append(
            f"  {r['kind']} {r['address']}: {r['status']}"
            + (f" ({r['error']})" if r["error"] else "")
        )
    return "\n".join(lines)


def reprint(app: App, ref: str, fmt: str) -> bytes:
    """Re-render a recorded letter as of its date, for its invoices. The books as of a past
    date are reconstructed exactly, so this is what was sent unless the books were corrected
    since; then a warning says the content differs from the recorded fingerprint."""
    import sys

    from collectctl.letters.actions import load
    from collectctl.letters.letter import render_formats, rendered
    from collectctl.letters.send import content_hash

    conn = app.ledger().conn
    row = record.get_letter(conn, record.parse_letter_ref(ref))
    customer_ref = f"{row.source}:{row.customer_ext}"
    _, prepared, cfg = load(
        app,
        customer_ref,
        row.stage,
        currency=row.currency,
        invoices=[i.invoice_ext for i in row.invoices],
        as_of=row.letter_date,
        language=row.language,
        draft=False,
        ref=row.ref,
    )
    from collectctl.plugins.manager import channels

    chan = channels().get(row.channel)
    sent = {row.format or fmt, *(chan.needs if chan else ())}
    documents = render_formats(prepared, sorted(sent | {fmt}), cfg)
    original = {k: v for k, v in documents.items() if k in sent}
    again = content_hash(
        rendered(prepared, row.format or fmt, original, ref=row.ref, message_id=None)
    )
    if row.content_sha256 and again != row.content_sha256:
        sys.stderr.write(
            f"Warning: {row.ref} re-printed from the books as they are now; it "
            "differs from what was sent (the books were corrected since)\n"
        )
    return documents[fmt]

"""Sending a letter: claim → channel → record. Used by ``letter --send`` and ``dunning run``.

How a caller sends (every step but the channel call is one short transaction, no I/O inside)::

    from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
    from collectctl.letters import send

    request = ClaimRequest(customer=("csv", "C1"), currency="GBP", stage="firm", language="en",
                           channel="email", letter_date=as_of, run=run_id_or_None,
                           invoices=(ClaimInvoice("I-1", "INV-1", 12000, 20, "firm", 1), ...))
    letter = send.claim(ledger, request, now=now, message_domain="example.com", recheck=recheck)
    if letter is None: ...            # an (invoice, stage, seq) already claimed, or recheck said no
    rendered = render(...)            # no lock held; uses letter.message_id and letter.ref
    result = send.deliver(ledger, letter, rendered, channel, ctx, now=clock)
    result.status                     # "sent" | "failed" | "uncertain"

``recheck(conn, request) -> ClaimRequest | None`` runs *inside* the claim transaction: re-read the
invoices' balances, disputes and holds and return the request with fewer invoices (or other
figures), or ``None`` to claim nothing. :func:`recheck_claimed` does the same for a letter already
claimed (a retry of a ``failed`` letter): dropped invoices are released, ``None`` cancels it.

Rendering for a caller: :func:`collectctl.letters.letter.prepare` (content + template →
document) and :func:`collectctl.letters.letter.render_formats`, or
:func:`collectctl.letters.batch.render_pdfs` for many PDFs on every core;
:func:`collectctl.letters.letter.rendered` builds the channel's :class:`RenderedLetter` (with the
claimed ``ref`` and ``message_id``).

States: claimed → sending → sent | failed | uncertain | cancelled (see
:mod:`collectctl.ledger.letters`). A channel exception is ``failed``; a channel that reports
``uncertain`` (timeout after DATA) leaves the letter ``uncertain``: reported, never retried
automatically. Message-IDs are fixed at claim time, so a retry re-uses the same one.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from collectctl.ledger import letters as record
from collectctl.ledger.connection import Ledger
from collectctl.ledger.letters import ClaimRequest, LetterRow, Recipient
from collectctl.letters.channel import Channel, ChannelContext, Delivery, RenderedLetter

Recheck = Callable[[sqlite3.Connection, ClaimRequest], ClaimRequest | None]
Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """The current instant in UTC (the default clock for ledger timestamps)."""
    return datetime.now(UTC)


def utc_iso(moment: datetime) -> str:
    """An aware datetime as UTC ISO text, seconds precision."""
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def claim(
    ledger: Ledger,
    request: ClaimRequest,
    *,
    now: datetime,
    message_domain: str,
    recheck: Recheck | None = None,
) -> LetterRow | None:
    """Claim one letter in one short transaction; ``None`` when nothing was claimed.

    ``recheck`` (optional) runs inside the transaction and may drop invoices or refuse. A claim
    that collides with an existing (invoice, stage, seq) claims nothing and returns ``None``.
    """
    with ledger.write() as conn:
        if recheck is not None:
            checked = recheck(conn, request)
            if checked is None or not checked.invoices:
                return None
            request = checked
        return record.insert_claim(
            conn, request, claimed_at=utc_iso(now), message_domain=message_domain
        )


def recheck_claimed(
    ledger: Ledger,
    letter: LetterRow,
    recheck: Recheck,
    *,
    now: datetime,
    request: ClaimRequest,
) -> LetterRow | None:
    """Re-check a claimed or failed letter before (re)sending it. ``request`` describes the
    letter as claimed; invoices ``recheck`` drops are released; ``None`` cancels the letter."""
    with ledger.write() as conn:
        checked = recheck(conn, request)
        if checked is None or not checked.invoices:
            record.cancel(conn, letter.id, at=utc_iso(now), reason="nothing left to demand")
            return None
        keep = {i.invoice_ext for i in checked.invoices}
        dropped = [i.invoice_ext for i in letter.invoices if i.invoice_ext not in keep]
        if dropped:
            record.drop_invoices(conn, letter.id, dropped)
        return record.get_letter(conn, letter.id)


def content_hash(rendered: RenderedLetter) -> str:
    """SHA-256 of the documents, in format order (the audit fingerprint; never a key)."""
    digest = hashlib.sha256()
    for name in sorted(rendered.documents):
        if name == "pdf":
            continue  # PDFs carry no semantic bytes beyond the text formats
        digest.update(name.encode() + b"\0" + rendered.documents[name] + b"\0")
    return digest.hexdigest()


def deliver(
    ledger: Ledger,
    letter: LetterRow,
    rendered: RenderedLetter,
    channel: Channel,
    ctx: ChannelContext,
    *,
    now: Clock = utc_now,
) -> Delivery:
    """Mark the letter ``sending``, call the channel with no lock held, record the outcome.

    Any exception from the channel is recorded as ``failed`` (the message names it) and returned
    as a failed :class:`Delivery`; KeyboardInterrupt leaves the letter ``uncertain``.
    """
    with ledger.write() as conn:
        record.mark_sending(
            conn,
            letter.id,
            at=utc_iso(now()),
            content_sha256=content_hash(rendered),
            format=rendered.format,
        )
    try:
        result = channel.send(rendered, ctx)
    except KeyboardInterrupt:
        with ledger.write() as conn:
            record.mark_uncertain(conn, letter.id, at=utc_iso(now()), error="interrupted")
        raise
    except Exception as exc:  # a channel bug or an I/O error: nothing known delivered
        result = Delivery(status="failed", error=f"{type(exc).__name__}: {exc}")
    at = result.at or utc_iso(now())
    with ledger.write() as conn:
        if result.recipients:
            record.set_recipients(
                conn,
                letter.id,
                [
                    Recipient(r.address, r.kind, "accepted" if r.accepted else "refused", r.error)
                    for r in result.recipients
                ],
            )
        if result.status == "sent":
            record.mark_sent(conn, letter.id, at=at, output_path=result.path)
        elif result.status == "uncertain":
            record.mark_uncertain(conn, letter.id, at=at, error=result.error or "outcome unknown")
        else:
            record.mark_failed(conn, letter.id, at=at, error=result.error or "failed")
    return replace(result, at=at)

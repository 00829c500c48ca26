"""The send record: letters (``LTR-n``), the invoices each covers, recipients, account overrides.

API (stable; changes are noted at the end of this docstring). Writers run inside
:meth:`Ledger.write` (one short transaction each, no I/O inside); readers take a plain connection.
Instants are UTC ISO text; customers and invoices are ``(source, ext_id)`` keys, so a sync never
orphans a letter. :mod:`collectctl.letters.send` wraps these in the claim → channel → record flow;
most callers (``letter --send``, ``dunning run``) use that module, not this one directly.

The ladder
    ``letter_invoices`` holds one row per (invoice, stage, seq) a letter covers, with
    ``UNIQUE (source, invoice_ext, stage, seq)``: that constraint *is* "sent once". ``seq`` counts
    repeats of a repeating stage (1 for the first). Amounts are never part of the key, so a balance
    change never re-sends, and a new invoice starts its own ladder.

States
    ``claimed → sending → sent | failed | uncertain | cancelled``; ``failed → sending`` (a retry,
    same letter, same Message-ID); ``claimed → cancelled`` and ``failed → cancelled`` (the claims
    are released: the rows move to ``letter_invoices_released`` so the (invoice, stage, seq) can be
    claimed again). ``sent``, ``uncertain`` and ``cancelled`` are final; ``uncertain`` (a timeout
    or disconnect after DATA) keeps its claims and is never retried automatically. A ``claimed``
    letter that never reached ``sending`` (a crash) is safe to retry.

Writers
    :func:`insert_claim` (returns ``None`` when any (invoice, stage, seq) is already claimed),
    :func:`mark_sending`, :func:`mark_sent`, :func:`mark_failed`, :func:`mark_uncertain`,
    :func:`cancel`, :func:`set_recipients`, :func:`set_override`; :func:`stuck_sending` finds
    letters a stopped process left ``sending`` (``dunning run`` reports them as uncertain).

Bulk readers (one indexed query each, for ``dunning run`` over every account)
    :func:`ladder_history` → ``{(source, invoice_ext): [LadderStep, ...]}`` (claims held now:
    every state but cancelled); :func:`last_letters` → ``{(source, customer_ext, currency):
    LastLetter}`` (latest letter not cancelled and not failed); :func:`retries_due` → failed (and
    optionally stale claimed) letters with their attempts; :func:`last_stages` → the stage of
    the latest sent letter per (source, customer_ext, currency), for ``account list``;
    :func:`overrides` → every local account override.

Per-letter / per-account readers
    :func:`get_letter`, :func:`list_letters`, :func:`letters_for_customer`, :func:`override_for`.

Changes: ``last_stages`` takes an optional keyword ``as_of`` (compatible).

It is longer than the house's ~450 lines on purpose: it is the whole send record (schema
columns, state machine, writers and the bulk readers dunning relies on) in one place, so the
"sent once" invariant can be checked by reading one module.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from collectctl.errors import CollectctlError, NotFoundError

STATUSES: tuple[str, ...] = ("claimed", "sending", "sent", "failed", "uncertain", "cancelled")
FINAL_STATUSES: frozenset[str] = frozenset({"sent", "uncertain", "cancelled"})
#: status -> the statuses it may move to.
TRANSITIONS: dict[str, frozenset[str]] = {
    "claimed": frozenset({"sending", "cancelled"}),
    "sending": frozenset({"sent", "failed", "uncertain"}),
    "failed": frozenset({"sending", "cancelled"}),
    "sent": frozenset(),
    "uncertain": frozenset(),
    "cancelled": frozenset(),
}
OVERRIDE_FIELDS: tuple[str, ...] = ("kind", "language", "timezone", "email", "interest")
_LETTER_ID = re.compile(r"^\s*LTR-(\d+)\s*$", re.IGNORECASE | re.ASCII)

CustomerKey = tuple[str, str]  # (source, customer_ext)
InvoiceKey = tuple[str, str]  # (source, invoice_ext)


class TransitionError(CollectctlError):
    """A letter was asked to move to a state its current state does not allow."""


@dataclass(frozen=True, slots=True)
class ClaimInvoice:
    """One (invoice, stage, seq) a letter claims, with what it showed at claim time."""

    invoice_ext: str
    number: str
    balance: int  # minor units
    days: int
    stage: str
    seq: int = 1


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """What a caller asks to claim: one letter for one account and currency.

    ``run`` is the dunning run id, ``None`` for a manual ``letter --send``. ``figures`` is a
    JSON-able mapping recorded with the letter (what it showed); ``total``/``interest``/
    ``compensation`` are minor units.
    """

    customer: CustomerKey
    currency: str
    stage: str
    language: str
    channel: str
    letter_date: date
    invoices: tuple[ClaimInvoice, ...]
    run: str | None = None
    format: str | None = None
    template: str | None = None
    total: int | None = None
    interest: int | None = None
    compensation: int | None = None
    figures: Mapping[str, Any] | None = None
    created_by: str | None = None


@dataclass(frozen=True, slots=True)
class LetterInvoice:
    """A row of ``letter_invoices`` (or of the released claims of a cancelled letter)."""

    invoice_ext: str
    number: str
    balance: int
    days: int
    stage: str
    seq: int


@dataclass(frozen=True, slots=True)
class Recipient:
    address: str
    kind: str  # to|cc|bcc
    status: str  # pending|accepted|refused
    error: str | None = None


@dataclass(frozen=True, slots=True)
class LetterRow:
    """One letter as recorded."""

    id: int
    run: str | None
    source: str
    customer_ext: str
    currency: str
    stage: str
    language: str
    channel: str
    format: str | None
    template: str | None
    status: str
    letter_date: date
    claimed_at: str
    sending_at: str | None
    sent_at: str | None
    finished_at: str | None
    attempts: int
    last_error: str | None
    message_id: str
    content_sha256: str | None
    output_path: str | None
    total: int | None
    interest: int | None
    compensation: int | None
    figures: dict[str, Any]
    created_by: str | None
    cancel_reason: str | None
    invoices: tuple[LetterInvoice, ...] = ()
    recipients: tuple[Recipient, ...] = ()

    @property
    def ref(self) -> str:
        """``LTR-n``."""
        return letter_ref(self.id)

    @property
    def customer(self) -> CustomerKey:
        return (self.source, self.customer_ext)


@dataclass(frozen=True, slots=True)
class LadderStep:
    """One (stage, seq) an invoice's ladder holds, with the letter and its state."""

    stage: str
    seq: int
    letter: int
    status: str
    letter_date: date
    claimed_at: str
    sent_at: str | None


@dataclass(frozen=True, slots=True)
class LastLetter:
    """The latest letter (not cancelled, not failed) for an account and currency."""

    letter: int
    stage: str
    status: str
    letter_date: date
    sent_at: str | None


@dataclass(frozen=True, slots=True)
class AccountOverride:
    """Local values set with ``account set``; ``None`` = not overridden."""

    kind: str | None = None
    language: str | None = None
    timezone: str | None = None
    email: str | None = None
    interest: str | None = None
    updated_at: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


def letter_ref(number: int) -> str:
    """``7`` -> ``"LTR-7"``."""
    return f"LTR-{number}"


def parse_letter_ref(text: str) -> int:
    """``"ltr-7"`` -> ``7``; NotFoundError (exit 1) for anything else."""
    match = _LETTER_ID.match(text)
    if not match:
        raise NotFoundError(f"{text!r} is not a letter id", hint="Letter ids look like LTR-7.")
    return int(match.group(1))


# -- writers -----------------------------------------------------------------------------------


def insert_claim(
    conn: sqlite3.Connection, request: ClaimRequest, *, claimed_at: str, message_domain: str
) -> LetterRow | None:
    """Claim a letter: one ``letters`` row (status ``claimed``) and its ``letter_invoices``.

    Returns ``None`` (and writes nothing) when any of the request's (invoice, stage, seq) is
    already claimed by another letter, or when the request has no invoices. The Message-ID is fixed
    here: ``<LTR-n.<claimed_at digits>@message_domain>``. Run inside :meth:`Ledger.write`.
    """
    if not request.invoices:
        return None
    source = request.customer[0]
    keys = [(source, i.invoice_ext, i.stage, i.seq) for i in request.invoices]
    if _any_claimed(conn, keys):
        return None
    conn.execute("SAVEPOINT letter_claim")
    try:
        cur = conn.execute(
            """INSERT INTO letters (run, source, customer_ext, currency, stage, language, channel,
                   format, template, status, letter_date, claimed_at, message_id, total, interest,
                   compensation, figures, created_by)
               VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'claimed', ?, ?, '', ?, ?, ?, ?, ?)""",
            (
                request.run,
                *request.customer,
                request.currency,
                request.stage,
                request.language,
                request.channel,
                request.format,
                request.template,
                request.letter_date.isoformat(),
                claimed_at,
                request.total,
                request.interest,
                request.compensation,
                json.dumps(dict(request.figures or {}), sort_keys=True, default=str),
                request.created_by,
            ),
        )
        number = int(cur.lastrowid or 0)
        stamp = re.sub(r"\D", "", claimed_at)[:14]
        message_id = f"<{letter_ref(number)}.{stamp}@{message_domain}>"
        conn.execute("UPDATE letters SET message_id = ? WHERE id = ?", (message_id, number))
        conn.executemany(
            """INSERT INTO letter_invoices (letter, source, invoice_ext, number, balance, days,
                   stage, seq, position) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                (number, source, i.invoice_ext, i.number, i.balance, i.days, i.stage, i.seq, k)
                for k, i in enumerate(request.invoices, start=1)
            ],
        )
    except sqlite3.IntegrityError:
        conn.execute("ROLLBACK TO letter_claim")
        conn.execute("RELEASE letter_claim")
        return None
    conn.execute("RELEASE letter_claim")
    return get_letter(conn, number)


def _any_claimed(conn: sqlite3.Connection, keys: Sequence[tuple[str, str, str, int]]) -> bool:
    for key in keys:
        row = conn.execute(
            """SELECT 1 FROM letter_invoices
               WHERE source = ? AND invoice_ext = ? AND stage = ? AND seq = ?""",
            key,
        ).fetchone()
        if row:
            return True
    return False


def _move(conn: sqlite3.Connection, number: int, to: str, sets: str, params: Sequence[Any]) -> None:
    row = conn.execute("SELECT status FROM letters WHERE id = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(f"no letter {letter_ref(number)}")
    if to not in TRANSITIONS[row[0]]:
        raise TransitionError(
            f"{letter_ref(number)} is {row[0]}: it cannot become {to}",
            hint="Run `collectctl letter show` on it to see its history.",
        )
    conn.execute(f"UPDATE letters SET status = ?, {sets} WHERE id = ?", (to, *params, number))


def mark_sending(
    conn: sqlite3.Connection,
    number: int,
    *,
    at: str,
    content_sha256: str | None = None,
    template: str | None = None,
    format: str | None = None,
) -> None:
    """``claimed|failed → sending``: counts an attempt; records what is about to be sent."""
    _move(
        conn,
        number,
        "sending",
        "sending_at = ?, attempts = attempts + 1, "
        "content_sha256 = COALESCE(?, content_sha256), template = COALESCE(?, template), "
        "format = COALESCE(?, format)",
        (at, content_sha256, template, format),
    )


def mark_sent(
    conn: sqlite3.Connection, number: int, *, at: str, output_path: str | None = None
) -> None:
    """``sending → sent``; ``at`` = when the channel accepted it (SMTP acceptance, file written)."""
    _move(
        conn,
        number,
        "sent",
        "sent_at = ?, finished_at = ?, output_path = COALESCE(?, output_path), last_error = NULL",
        (at, at, output_path),
    )


def mark_failed(conn: sqlite3.Connection, number: int, *, at: str, error: str) -> None:
    """``sending → failed``: nothing was delivered; retryable (claims kept)."""
    _move(conn, number, "failed", "finished_at = ?, last_error = ?", (at, error))


def mark_uncertain(conn: sqlite3.Connection, number: int, *, at: str, error: str) -> None:
    """``sending → uncertain``: may have been delivered; never retried automatically."""
    _move(conn, number, "uncertain", "finished_at = ?, last_error = ?", (at, error))


def cancel(conn: sqlite3.Connection, number: int, *, at: str, reason: str) -> None:
    """``claimed|failed → cancelled``: records why and releases the letter's claims."""
    _move(conn, number, "cancelled", "finished_at = ?, cancel_reason = ?", (at, reason))
    conn.execute(
        """INSERT INTO letter_invoices_released
               (letter, source, invoice_ext, number, balance, days, stage, seq, position)
           SELECT letter, source, invoice_ext, number, balance, days, stage, seq, position
           FROM letter_invoices WHERE letter = ?""",
        (number,),
    )
    conn.execute("DELETE FROM letter_invoices WHERE letter = ?", (number,))


def drop_invoices(conn: sqlite3.Connection, number: int, invoice_exts: Iterable[str]) -> None:
    """Release some invoices of a ``claimed``/``failed`` letter (paid or disputed since)."""
    status = conn.execute("SELECT status FROM letters WHERE id = ?", (number,)).fetchone()
    if status is None or status[0] not in ("claimed", "failed"):
        raise TransitionError(f"{letter_ref(number)} cannot change its invoices now")
    for ext in invoice_exts:
        conn.execute(
            """INSERT INTO letter_invoices_released
                   (letter, source, invoice_ext, number, balance, days, stage, seq, position)
               SELECT letter, source, invoice_ext, number, balance, days, stage, seq, position
               FROM letter_invoices WHERE letter = ? AND invoice_ext = ?""",
            (number, ext),
        )
        conn.execute(
            "DELETE FROM letter_invoices WHERE letter = ? AND invoice_ext = ?", (number, ext)
        )


def set_recipients(conn: sqlite3.Connection, number: int, recipients: Iterable[Recipient]) -> None:
    """Record (replace) the recipients of a letter and whether each was accepted."""
    conn.execute("DELETE FROM letter_recipients WHERE letter = ?", (number,))
    conn.executemany(
        """INSERT INTO letter_recipients (letter, address, kind, status, error, position)
           VALUES (?, ?, ?, ?, ?, ?)""",
        [
            (number, r.address, r.kind, r.status, r.error, k)
            for k, r in enumerate(recipients, start=1)
        ],
    )


def set_override(
    conn: sqlite3.Connection, customer: CustomerKey, values: Mapping[str, str | None], *, at: str
) -> AccountOverride:
    """Set local overrides for a customer (``None`` leaves a field, ``""`` clears it)."""
    unknown = set(values) - set(OVERRIDE_FIELDS)
    if unknown:
        raise ValueError(f"unknown override fields: {sorted(unknown)}")
    current = override_for(conn, customer)
    merged: dict[str, str | None] = {f: getattr(current, f) for f in OVERRIDE_FIELDS}
    for name, value in values.items():
        if value is not None:
            merged[name] = value or None
    conn.execute(
        """INSERT INTO account_overrides (source, customer_ext, kind, language, timezone, email,
               interest, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source, customer_ext) DO UPDATE SET kind = excluded.kind,
               language = excluded.language, timezone = excluded.timezone,
               email = excluded.email, interest = excluded.interest,
               updated_at = excluded.updated_at""",
        (*customer, *(merged[f] for f in OVERRIDE_FIELDS), at),
    )
    return override_for(conn, customer)


# -- readers -----------------------------------------------------------------------------------

_LETTER_COLUMNS = (
    "id, run, source, customer_ext, currency, stage, language, channel, format, template, "
    "status, letter_date, claimed_at, sending_at, sent_at, finished_at, attempts, last_error, "
    "message_id, content_sha256, output_path, total, interest, compensation, figures, "
    "created_by, cancel_reason"
)


_LETTER_FIELDS = tuple(name.strip() for name in _LETTER_COLUMNS.split(","))


def _letter(
    row: Sequence[Any], invoices: Sequence[LetterInvoice] = (), recipients: Any = ()
) -> LetterRow:
    values = dict(zip(_LETTER_FIELDS, row, strict=True))
    values["letter_date"] = date.fromisoformat(values["letter_date"])
    values["figures"] = json.loads(values["figures"] or "{}")
    return LetterRow(**values, invoices=tuple(invoices), recipients=tuple(recipients))


def _invoices(conn: sqlite3.Connection, numbers: Sequence[int]) -> dict[int, list[LetterInvoice]]:
    out: dict[int, list[LetterInvoice]] = defaultdict(list)
    if not numbers:
        return out
    marks = ",".join("?" * len(numbers))
    for table in ("letter_invoices", "letter_invoices_released"):
        for row in conn.execute(
            f"""SELECT letter, invoice_ext, number, balance, days, stage, seq FROM {table}
                WHERE letter IN ({marks}) ORDER BY letter, position""",
            list(numbers),
        ):
            out[int(row[0])].append(LetterInvoice(*row[1:]))
    return out


def _recipients(conn: sqlite3.Connection, numbers: Sequence[int]) -> dict[int, list[Recipient]]:
    out: dict[int, list[Recipient]] = defaultdict(list)
    if not numbers:
        return out
    marks = ",".join("?" * len(numbers))
    for row in conn.execute(
        f"""SELECT letter, address, kind, status, error FROM letter_recipients
            WHERE letter IN ({marks}) ORDER BY letter, position""",
        list(numbers),
    ):
        out[int(row[0])].append(Recipient(*row[1:]))
    return out


def _full(conn: sqlite3.Connection, rows: Sequence[Sequence[Any]]) -> list[LetterRow]:
    out: list[LetterRow] = []
    for start in range(0, len(rows), 500):
        chunk = rows[start : start + 500]
        numbers = [int(r[0]) for r in chunk]
        invoices = _invoices(conn, numbers)
        recipients = _recipients(conn, numbers)
        out.extend(
            _letter(r, invoices.get(int(r[0]), ()), recipients.get(int(r[0]), ())) for r in chunk
        )
    return out


def get_letter(conn: sqlite3.Connection, number: int) -> LetterRow:
    """One letter with its invoices and recipients; NotFoundError if there is none."""
    row = conn.execute(f"SELECT {_LETTER_COLUMNS} FROM letters WHERE id = ?", (number,)).fetchone()
    if row is None:
        raise NotFoundError(
            f"no letter {letter_ref(number)}", hint="`collectctl letter list` shows the letters."
        )
    return _full(conn, [row])[0]


def list_letters(
    conn: sqlite3.Connection,
    *,
    customer: CustomerKey | None = None,
    statuses: Sequence[str] = (),
    run: str | None = None,
) -> list[LetterRow]:
    """Letters, oldest first, optionally for one customer, some statuses, or one run."""
    where: list[str] = []
    params: list[Any] = []
    if customer is not None:
        where.append("source = ? AND customer_ext = ?")
        params.extend(customer)
    if statuses:
        where.append(f"status IN ({','.join('?' * len(statuses))})")
        params.extend(statuses)
    if run is not None:
        where.append("run = ?")
        params.append(run)
    sql = f"SELECT {_LETTER_COLUMNS} FROM letters"
    if where:
        sql += " WHERE " + " AND ".join(where)
    return _full(conn, conn.execute(sql + " ORDER BY id", params).fetchall())


def letters_for_customer(conn: sqlite3.Connection, customer: CustomerKey) -> list[LetterRow]:
    """Every letter of one customer, oldest first (for ``account show`` and the timeline)."""
    return list_letters(conn, customer=customer)


def ladder_history(
    conn: sqlite3.Connection, source: str | None = None
) -> dict[InvoiceKey, list[LadderStep]]:
    """Every claim held now, per invoice: ``{(source, invoice_ext): [LadderStep, ...]}``.

    Cancelled letters hold no claims and do not appear; failed and uncertain ones do (their
    (stage, seq) is taken). Steps are in claim order. One query over the unique index.
    """
    sql = """SELECT li.source, li.invoice_ext, li.stage, li.seq, l.id, l.status, l.letter_date,
                    l.claimed_at, l.sent_at
             FROM letter_invoices li JOIN letters l ON l.id = li.letter"""
    params: tuple[Any, ...] = ()
    if source is not None:
        sql += " WHERE li.source = ?"
        params = (source,)
    out: dict[InvoiceKey, list[LadderStep]] = defaultdict(list)
    for src, ext, stage, seq, letter, status, day, claimed, sent in conn.execute(
        sql + " ORDER BY l.id", params
    ):
        out[(src, ext)].append(
            LadderStep(stage, int(seq), int(letter), status, date.fromisoformat(day), claimed, sent)
        )
    return dict(out)


def last_letters(conn: sqlite3.Connection) -> dict[tuple[str, str, str], LastLetter]:
    """The latest letter per (source, customer_ext, currency) that is not cancelled or failed
    (claimed, sending, sent or uncertain count: a letter may be out). For the minimum gap."""
    out: dict[tuple[str, str, str], LastLetter] = {}
    for src, ext, currency, letter, stage, status, day, sent in conn.execute(
        """SELECT source, customer_ext, currency, id, stage, status, letter_date, sent_at
           FROM letters WHERE status NOT IN ('cancelled', 'failed') ORDER BY id"""
    ):
        out[(src, ext, currency)] = LastLetter(
            int(letter), stage, status, date.fromisoformat(day), sent
        )
    return out


@dataclass(frozen=True, slots=True)
class PendingLetter:
    """A letter that has not gone out and may still: ``claimed`` (its process stopped before
    sending, or is about to send), ``sending`` or ``failed`` (a run or ``letter --send``
    retries it)."""

    letter: int
    status: str
    attempts: int
    manual: bool


def pending_letters(conn: sqlite3.Connection) -> dict[tuple[str, str, str], PendingLetter]:
    """The oldest pending letter (:class:`PendingLetter`) per (source, customer_ext,
    currency). One query over the status index."""
    out: dict[tuple[str, str, str], PendingLetter] = {}
    for src, ext, currency, letter, status, attempts, run in conn.execute(
        """SELECT source, customer_ext, currency, id, status, attempts, run FROM letters
           WHERE status IN ('claimed', 'sending', 'failed') ORDER BY id"""
    ):
        out.setdefault(
            (src, ext, currency), PendingLetter(int(letter), status, int(attempts), run is None)
        )
    return out


def last_stages(
    conn: sqlite3.Connection, *, as_of: date | None = None
) -> dict[tuple[str, str, str], str]:
    """The stage of the latest *sent* letter per (source, customer_ext, currency), among letters
    dated on or before ``as_of`` (all when ``None``)."""
    out: dict[tuple[str, str, str], str] = {}
    day = (as_of or date.max).isoformat()
    for src, ext, currency, stage in conn.execute(
        """SELECT source, customer_ext, currency, stage FROM letters
           WHERE status = 'sent' AND letter_date <= ? ORDER BY id""",
        (day,),
    ):
        out[(src, ext, currency)] = stage
    return out


def retries_due(
    conn: sqlite3.Connection, *, max_attempts: int, include_claimed: bool = True
) -> list[LetterRow]:
    """Letters to retry: ``failed`` with fewer than ``max_attempts`` attempts, and (if
    ``include_claimed``) ``claimed`` ones that never reached ``sending`` (a crash). Oldest first,
    with their invoices. ``uncertain`` letters are never returned."""
    statuses = ["failed", "claimed"] if include_claimed else ["failed"]
    rows = conn.execute(
        f"""SELECT {_LETTER_COLUMNS} FROM letters
            WHERE status IN ({",".join("?" * len(statuses))}) AND attempts < ? ORDER BY id""",
        (*statuses, max_attempts),
    ).fetchall()
    return _full(conn, rows)


def stuck_sending(conn: sqlite3.Connection, *, before: str) -> list[LetterRow]:
    """Letters still ``sending`` whose send started before ``before`` (UTC ISO text): the
    process sending them stopped before it could record the outcome, so it is unknown."""
    rows = conn.execute(
        f"""SELECT {_LETTER_COLUMNS} FROM letters
            WHERE status = 'sending' AND sending_at < ? ORDER BY id""",
        (before,),
    ).fetchall()
    return _full(conn, rows)


def override_for(conn: sqlite3.Connection, customer: CustomerKey) -> AccountOverride:
    """The local overrides of one customer (all ``None`` when none are set)."""
    row = conn.execute(
        """SELECT kind, language, timezone, email, interest, updated_at FROM account_overrides
           WHERE source = ? AND customer_ext = ?""",
        customer,
    ).fetchone()
    return AccountOverride(*row) if row else AccountOverride()


def overrides(conn: sqlite3.Connection) -> dict[CustomerKey, AccountOverride]:
    """Every local override, keyed by (source, customer_ext). One query."""
    return {
        (src, ext): AccountOverride(*rest)
        for src, ext, *rest in conn.execute(
            """SELECT source, customer_ext, kind, language, timezone, email, interest, updated_at
               FROM account_overrides"""
        )
    }

"""Collection state in the ledger: contacts, promises, disputes, holds, escalations, corrections.

Every record has a user-facing id made of a prefix and its row id (``ACT-12``, ``PRM-3``,
``DSP-2``, ``HLD-1``, ``ESC-1``). Records reference customers and invoices by ``(source,
ext_id)``, so a sync never removes them. Nothing is ever deleted: :func:`amend` updates a row and
:func:`void` marks it, both writing a ``corrections`` row (old and new values) for the audit
trail. Writers here expect to run inside :meth:`Ledger.write`; readers return plain dicts.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from collectctl.errors import CollectctlError, NotFoundError

#: Record id prefix -> table.
RECORD_TABLES: dict[str, str] = {
    "ACT": "contacts",
    "PRM": "promises",
    "DSP": "disputes",
    "HLD": "holds",
    "ESC": "escalations",
    "ASG": "assignments",
}
#: Columns ``amend`` may change, per prefix.
AMENDABLE: dict[str, tuple[str, ...]] = {
    "ACT": ("at", "on_date", "channel", "outcome", "note", "next_date"),
    "PRM": ("amount", "due_on", "note"),
    "DSP": ("reason", "note"),
    "HLD": ("until_on", "reason"),
    "ESC": ("target", "note"),
    "ASG": ("note",),
}
_RECORD_ID = re.compile(r"^\s*([A-Za-z]{3})-(\d+)\s*$", re.ASCII)
_FORMS = (
    "ACT-n (contact), PRM-n (promise), DSP-n (dispute), HLD-n (hold), ESC-n (escalation), "
    "ASG-n (assignment)"
)

Row = dict[str, Any]


def parse_record_id(text: str) -> tuple[str, int]:
    """``"prm-3"`` -> ``("PRM", 3)``; NotFoundError (exit 1) for anything else."""
    match = _RECORD_ID.match(text)
    if not match or match.group(1).upper() not in RECORD_TABLES:
        raise NotFoundError(f"{text!r} is not a record id", hint=f"Record ids look like {_FORMS}.")
    return match.group(1).upper(), int(match.group(2))


def record_id(prefix: str, number: int) -> str:
    """``("PRM", 3)`` -> ``"PRM-3"``."""
    return f"{prefix}-{number}"


def _rows(conn: sqlite3.Connection, sql: str, params: Any = ()) -> list[Row]:
    cur = conn.execute(sql, params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur]


# -- writing -----------------------------------------------------------------------------------


def add_contact(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    at: str,
    on_date: date,
    channel: str,
    outcome: str,
    note: str | None,
    next_date: date | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Log a contact made by ``created_by`` (the acting user); returns its id (``ACT-n``)."""
    cur = conn.execute(
        """INSERT INTO contacts (source, customer_ext, at, on_date, channel, outcome, note,
                                 next_date, created_at, created_by)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            *customer,
            at,
            on_date.isoformat(),
            channel,
            outcome,
            note,
            next_date.isoformat() if next_date else None,
            created_at,
            created_by,
        ),
    )
    return record_id("ACT", int(cur.lastrowid or 0))


def add_promise(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    currency: str,
    amount: int,
    made_on: date,
    due_on: date,
    invoices: Sequence[str],
    note: str | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Record a promise to pay (optionally about particular invoices); returns ``PRM-n``."""
    cur = conn.execute(
        """INSERT INTO promises (source, customer_ext, currency, amount, made_on, due_on, note,
                                 created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            *customer,
            currency,
            amount,
            made_on.isoformat(),
            due_on.isoformat(),
            note,
            created_at,
            created_by,
        ),
    )
    number = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT OR IGNORE INTO promise_invoices (promise, invoice_ext) VALUES (?, ?)",
        [(number, ext) for ext in invoices],
    )
    return record_id("PRM", number)


def add_dispute(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    invoice_ext: str,
    reason: str,
    note: str | None,
    opened_on: date,
    created_at: str,
    created_by: str | None,
) -> str:
    """Open a dispute on one invoice; returns ``DSP-n``."""
    cur = conn.execute(
        """INSERT INTO disputes (source, customer_ext, invoice_ext, reason, note, opened_on,
                                 created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)""",
        (*customer, invoice_ext, reason, note, opened_on.isoformat(), created_at, created_by),
    )
    return record_id("DSP", int(cur.lastrowid or 0))


def resolve_dispute(
    conn: sqlite3.Connection, number: int, *, on: date, note: str | None, by: str | None
) -> None:
    """Mark dispute ``DSP-number`` resolved on ``on`` by ``by`` (the acting user)."""
    conn.execute(
        "UPDATE disputes SET resolved_on = ?, resolution = ?, resolved_by = ? WHERE id = ?",
        (on.isoformat(), note, by, number),
    )


def add_hold(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    start_on: date,
    until_on: date | None,
    reason: str,
    created_at: str,
    created_by: str | None,
) -> str:
    """Put the account on hold from ``start_on`` (through ``until_on`` when given)."""
    cur = conn.execute(
        """INSERT INTO holds (source, customer_ext, start_on, until_on, reason, created_at,
                              created_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (
            *customer,
            start_on.isoformat(),
            until_on.isoformat() if until_on else None,
            reason,
            created_at,
            created_by,
        ),
    )
    return record_id("HLD", int(cur.lastrowid or 0))


def release_holds(
    conn: sqlite3.Connection, numbers: Iterable[int], on: date, *, by: str | None
) -> None:
    """End the given holds on ``on`` (they no longer apply from that day); ``by`` released them."""
    conn.executemany(
        "UPDATE holds SET released_on = ?, released_by = ? WHERE id = ?",
        [(on.isoformat(), by, n) for n in numbers],
    )


def add_escalation(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    target: str,
    escalated_on: date,
    note: str | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Record a handover to an agency or to legal; returns ``ESC-n``."""
    cur = conn.execute(
        """INSERT INTO escalations (source, customer_ext, target, escalated_on, note, created_at,
                                    created_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (*customer, target, escalated_on.isoformat(), note, created_at, created_by),
    )
    return record_id("ESC", int(cur.lastrowid or 0))


def set_escalation_pack(conn: sqlite3.Connection, number: int, md: str, pdf: str) -> None:
    """Remember where the handover pack of ``ESC-number`` was written."""
    conn.execute("UPDATE escalations SET pack_md = ?, pack_pdf = ? WHERE id = ?", (md, pdf, number))


def delete_unfinished_escalation(conn: sqlite3.Connection, number: int) -> None:
    """Undo the claim of ``ESC-number`` whose handover pack could not be written or recorded
    (it was never complete, so nothing of it is kept)."""
    conn.execute("DELETE FROM escalations WHERE id = ? AND pack_md IS NULL", (number,))


def add_assignment(
    conn: sqlite3.Connection,
    customer: tuple[str, str],
    *,
    owner: str | None,
    on_date: date,
    note: str | None,
    created_at: str,
    created_by: str | None,
) -> str:
    """Assign the account to ``owner`` from ``on_date`` (None: to nobody); returns ``ASG-n``."""
    cur = conn.execute(
        """INSERT INTO assignments (source, customer_ext, owner, on_date, note, created_at,
                                    created_by) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        (*customer, owner, on_date.isoformat(), note, created_at, created_by),
    )
    return record_id("ASG", int(cur.lastrowid or 0))


def get_record(conn: sqlite3.Connection, ref: str) -> tuple[str, int, Row]:
    """The record ``ref`` (``PRM-3``) as ``(prefix, number, row)``; NotFoundError if unknown."""
    prefix, number = parse_record_id(ref)
    rows = _rows(conn, f"SELECT * FROM {RECORD_TABLES[prefix]} WHERE id = ?", (number,))
    if not rows:
        raise NotFoundError(
            f"no record {record_id(prefix, number)} in this profile's ledger",
            hint="`collectctl account show ID` lists an account's records with their ids.",
        )
    return prefix, number, rows[0]


def _correction(
    conn: sqlite3.Connection,
    ref: str,
    row: Mapping[str, Any],
    action: str,
    reason: str,
    at: str,
    on_date: date,
    changes: Mapping[str, tuple[Any, Any]],
    by: str | None,
) -> None:
    conn.execute(
        """INSERT INTO corrections (record, source, customer_ext, action, at, on_date, reason,
                                    changes, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        (
            ref,
            row["source"],
            row["customer_ext"],
            action,
            at,
            on_date.isoformat(),
            reason,
            json.dumps({k: list(v) for k, v in changes.items()}, ensure_ascii=False),
            by,
        ),
    )


def amend(
    conn: sqlite3.Connection,
    ref: str,
    values: Mapping[str, Any],
    *,
    reason: str,
    at: str,
    on_date: date,
    by: str | None,
) -> dict[str, tuple[Any, Any]]:
    """Change fields of record ``ref`` (``by``: the acting user, kept in the correction);
    returns ``{column: (old, new)}`` of what changed.

    Raises CollectctlError when the record is void or nothing would change.
    """
    prefix, number, row = get_record(conn, ref)
    name = record_id(prefix, number)
    if row["voided_on"]:
        raise CollectctlError(f"{name} is void and cannot be amended")
    unknown = set(values) - set(AMENDABLE[prefix])
    if unknown:  # pragma: no cover - the command only passes amendable columns
        raise ValueError(f"cannot amend {sorted(unknown)} of {name}")
    stored = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in values.items()}
    changes = {k: (row[k], v) for k, v in stored.items() if row[k] != v}
    if not changes:
        raise CollectctlError(
            f"nothing to change: {name} already has these values",
            hint="Give the new value(s), e.g. --amount, --by, --note.",
        )
    sets = ", ".join(f"{k} = ?" for k in changes)
    conn.execute(
        f"UPDATE {RECORD_TABLES[prefix]} SET {sets} WHERE id = ?",
        [new for _old, new in changes.values()] + [number],
    )
    _correction(conn, name, row, "amend", reason, at, on_date, changes, by)
    return changes


def void(
    conn: sqlite3.Connection, ref: str, *, reason: str, at: str, on_date: date, by: str | None
) -> str:
    """Void record ``ref`` (kept, marked, excluded from every evaluation) as ``by``; returns
    its id."""
    prefix, number, row = get_record(conn, ref)
    name = record_id(prefix, number)
    if row["voided_on"]:
        raise CollectctlError(f"{name} is already void (since {row['voided_on']})")
    conn.execute(
        f"UPDATE {RECORD_TABLES[prefix]} SET voided_on = ?, void_reason = ? WHERE id = ?",
        (on_date.isoformat(), reason, number),
    )
    voided = {"voided_on": (None, str(on_date))}
    _correction(conn, name, row, "void", reason, at, on_date, voided, by)
    return name


# -- reading -----------------------------------------------------------------------------------


def open_disputes(conn: sqlite3.Connection, as_of: date) -> dict[tuple[str, str], str]:
    """``{(source, invoice_ext): "DSP-n"}`` of every dispute open as of ``as_of``: the invoices
    chasing must skip (they stay in aging, flagged)."""
    d = as_of.isoformat()
    return {
        (source, ext): record_id("DSP", number)
        for number, source, ext in conn.execute(
            """SELECT id, source, invoice_ext FROM disputes
               WHERE voided_on IS NULL AND opened_on <= :d
                 AND (resolved_on IS NULL OR resolved_on > :d) ORDER BY id""",
            {"d": d},
        )
    }

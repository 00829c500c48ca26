"""Typed collection records of one account or of all (promises, disputes, holds, escalations,
contacts, corrections, plans), for :mod:`collectctl.ledger.accounts`.

Each reader is one query whatever the number of customers. Given an account ``ref`` (source,
customer id) a reader returns all of its records, void ones included; without one, the live
records (not void) started on or before D of every account, keyed by ``(source, customer id)``.
"""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import date

from collectctl.domain.books import (
    Assignment,
    Contact,
    Correction,
    Dispute,
    Escalation,
    Hold,
    Promise,
    StoredPlan,
)
from collectctl.ledger.plans import load_plans, receipts

Ref = tuple[str, str]  # (source, customer id)


def _d(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _record_filter(column: str, as_of: date, ref: Ref | None, params: dict[str, object]) -> str:
    """Listings read live records started by D; one account reads all of its records."""
    if ref is not None:
        params.update(src=ref[0], ext=ref[1])
        return "WHERE source = :src AND customer_ext = :ext"
    params["d"] = as_of.isoformat()
    return f"WHERE voided_on IS NULL AND {column} <= :d"


def promises(conn: sqlite3.Connection, as_of: date, ref: Ref | None) -> dict[Ref, list[Promise]]:
    params: dict[str, object] = {}
    where = _record_filter("made_on", as_of, ref, params)
    covered: dict[int, list[str]] = defaultdict(list)
    for number, ext in conn.execute(
        f"""SELECT x.promise, x.invoice_ext FROM promise_invoices x
            WHERE x.promise IN (SELECT id FROM promises {where})
            ORDER BY x.promise, x.invoice_ext""",
        params,
    ):
        covered[number].append(ext)
    out: dict[Ref, list[Promise]] = defaultdict(list)
    for r in conn.execute(
        f"""SELECT source, customer_ext, id, currency, amount, made_on, due_on, note,
                   created_at, voided_on, void_reason, created_by FROM promises {where}
            ORDER BY id""",
        params,
    ):
        out[(r[0], r[1])].append(
            Promise(
                r[2],
                r[3],
                r[4],
                date.fromisoformat(r[5]),
                date.fromisoformat(r[6]),
                tuple(covered.get(r[2], ())),
                r[7],
                r[8],
                _d(r[9]),
                r[10],
                r[11],
            )
        )
    return out


def promise_payments(
    conn: sqlite3.Connection, as_of: date, ref: Ref | None
) -> dict[int, list[tuple[date, int]]]:
    """Payments that may count for each promise: ``kind = 'payment'`` allocations of the
    promise's customer and currency dated from ``made_on`` to D (only those applied to the
    promise's invoices when it names some). The promise rule picks the dated window."""
    params: dict[str, object] = {"d": as_of.isoformat()}
    if ref is not None:
        params.update(src=ref[0], ext=ref[1])
        where = "p.source = :src AND p.customer_ext = :ext"
    else:
        where = "p.voided_on IS NULL AND p.made_on <= :d"
    out: dict[int, list[tuple[date, int]]] = defaultdict(list)
    for number, day, amount in conn.execute(
        # CROSS JOIN fixes the join order: from the (few) promises down to their customer's
        # allocations through the indexes, never from the (many) allocations up.
        f"""SELECT p.id, a.date, a.amount
            FROM promises p CROSS JOIN customers c CROSS JOIN allocations a
            WHERE c.source = p.source AND c.ext_id = p.customer_ext
              AND a.customer = c.id AND a.currency = p.currency
              AND a.date >= p.made_on AND a.date <= :d AND a.kind = 'payment'
              AND {where}
              AND (NOT EXISTS (SELECT 1 FROM promise_invoices x WHERE x.promise = p.id)
                   OR a.invoice_ext IN (SELECT x.invoice_ext FROM promise_invoices x
                                        WHERE x.promise = p.id))""",
        params,
    ):
        out[number].append((date.fromisoformat(day), amount))
    return out


def disputes(conn: sqlite3.Connection, as_of: date, ref: Ref | None) -> dict[Ref, list[Dispute]]:
    params: dict[str, object] = {}
    where = _record_filter("opened_on", as_of, ref, params)
    out: dict[Ref, list[Dispute]] = defaultdict(list)
    for r in conn.execute(
        f"""SELECT source, customer_ext, id, invoice_ext, reason, note, opened_on, resolved_on,
                   resolution, created_at, voided_on, void_reason, created_by, resolved_by
            FROM disputes {where} ORDER BY id""",
        params,
    ):
        out[(r[0], r[1])].append(
            Dispute(
                r[2],
                r[3],
                r[4],
                r[5],
                date.fromisoformat(r[6]),
                _d(r[7]),
                r[8],
                r[9],
                _d(r[10]),
                r[11],
                r[12],
                r[13],
            )
        )
    return out


def holds(conn: sqlite3.Connection, as_of: date, ref: Ref | None) -> dict[Ref, list[Hold]]:
    params: dict[str, object] = {}
    where = _record_filter("start_on", as_of, ref, params)
    out: dict[Ref, list[Hold]] = defaultdict(list)
    for r in conn.execute(
        f"""SELECT source, customer_ext, id, start_on, until_on, reason, released_on, created_at,
                   voided_on, void_reason, created_by, released_by FROM holds {where}
            ORDER BY id""",
        params,
    ):
        out[(r[0], r[1])].append(
            Hold(
                r[2],
                date.fromisoformat(r[3]),
                _d(r[4]),
                r[5],
                _d(r[6]),
                r[7],
                _d(r[8]),
                r[9],
                r[10],
                r[11],
            )
        )
    return out


def escalations(
    conn: sqlite3.Connection, as_of: date, ref: Ref | None
) -> dict[Ref, list[Escalation]]:
    params: dict[str, object] = {}
    where = _record_filter("escalated_on", as_of, ref, params)
    out: dict[Ref, list[Escalation]] = defaultdict(list)
    for r in conn.execute(
        f"""SELECT source, customer_ext, id, target, escalated_on, note, pack_md, pack_pdf,
                   created_at, voided_on, void_reason, created_by FROM escalations {where}
            ORDER BY id""",
        params,
    ):
        out[(r[0], r[1])].append(
            Escalation(
                r[2], r[3], date.fromisoformat(r[4]), r[5], r[6], r[7], r[8], _d(r[9]), r[10], r[11]
            )
        )
    return out


def contact_summary(
    conn: sqlite3.Connection, as_of: date, ref: Ref | None
) -> dict[Ref, tuple[date | None, date | None]]:
    """``{(source, customer): (last contact date, next action date)}`` from contacts logged on
    or before D (not void); the next action date is the ``--next`` of the latest contact that
    set one."""
    params: dict[str, object] = {"d": as_of.isoformat()}
    only = ""
    if ref is not None:
        params.update(src=ref[0], ext=ref[1])
        only = "AND source = :src AND customer_ext = :ext"
    out: dict[Ref, tuple[date | None, date | None]] = {}
    for source, ext, last, nxt in conn.execute(
        f"""SELECT source, customer_ext, MAX(on_date),
                  (SELECT c2.next_date FROM contacts c2
                    WHERE c2.source = c.source AND c2.customer_ext = c.customer_ext
                      AND c2.voided_on IS NULL AND c2.on_date <= :d AND c2.next_date IS NOT NULL
                    ORDER BY c2.at DESC, c2.id DESC LIMIT 1)
           FROM contacts c WHERE voided_on IS NULL AND on_date <= :d {only}
           GROUP BY source, customer_ext""",
        params,
    ):
        out[(source, ext)] = (_d(last), _d(nxt))
    return out


def plans(
    conn: sqlite3.Connection, as_of: date, ref: Ref | None
) -> tuple[
    dict[Ref, list[StoredPlan]], dict[int, list[tuple[date, int]]], dict[int, tuple[str, ...]]
]:
    """Plans made by D per account, their receipts by D and the invoices each covers."""
    plans = load_plans(conn, customer=ref, created_by=as_of)
    by_ref: dict[Ref, list[StoredPlan]] = defaultdict(list)
    for p in plans:
        by_ref[(p.customer_source, p.customer_id)].append(p)
    if not plans:
        return by_ref, {}, {}
    paid = receipts(conn, as_of, [p.key for p in plans] if ref is not None else None)
    covered: dict[int, list[str]] = defaultdict(list)
    for plan, ext in conn.execute(
        """SELECT pi.plan, pi.invoice_ext FROM plan_invoices pi
           JOIN plans p ON p.id = pi.plan AND p.created_on <= ?
           ORDER BY pi.plan, pi.invoice_ext""",
        (as_of.isoformat(),),
    ):
        covered[plan].append(ext)
    return by_ref, paid, {k: tuple(v) for k, v in covered.items()}


def contacts(conn: sqlite3.Connection, ref: Ref) -> list[Contact]:
    return [
        Contact(
            r[0],
            r[1],
            date.fromisoformat(r[2]),
            r[3],
            r[4],
            r[5],
            _d(r[6]),
            r[7],
            _d(r[8]),
            r[9],
            r[10],
        )
        for r in conn.execute(
            """SELECT id, at, on_date, channel, outcome, note, next_date, created_at, voided_on,
                      void_reason, created_by FROM contacts WHERE source = ? AND customer_ext = ?
               ORDER BY id""",
            ref,
        )
    ]


def corrections(conn: sqlite3.Connection, ref: Ref) -> list[Correction]:
    return [
        Correction(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], json.loads(r[5]), r[6])
        for r in conn.execute(
            """SELECT record, action, at, on_date, reason, changes, created_by FROM corrections
               WHERE source = ? AND customer_ext = ? ORDER BY id""",
            ref,
        )
    ]


def assignments(
    conn: sqlite3.Connection, as_of: date, ref: Ref | None
) -> dict[Ref, list[Assignment]]:
    """``account assign`` records: all of one account's (void ones included), or the live ones
    dated on or before D of every account; oldest first (by day, then as made)."""
    params: dict[str, object] = {}
    where = _record_filter("on_date", as_of, ref, params)
    out: dict[Ref, list[Assignment]] = defaultdict(list)
    for r in conn.execute(
        f"""SELECT source, customer_ext, id, owner, on_date, note, created_at, created_by,
                   voided_on, void_reason FROM assignments {where} ORDER BY on_date, id""",
        params,
    ):
        out[(r[0], r[1])].append(
            Assignment(r[2], r[3], date.fromisoformat(r[4]), r[5], r[6], r[7], _d(r[8]), r[9])
        )
    return out


def known_owners(conn: sqlite3.Connection) -> list[str]:
    """Every name accounts were ever assigned to, and everyone who made a record (for shell
    completion of ``--owner`` / ``--to``), sorted."""
    names = {
        name
        for (name,) in conn.execute(
            """SELECT owner FROM assignments WHERE owner IS NOT NULL
               UNION SELECT created_by FROM assignments WHERE created_by IS NOT NULL
               UNION SELECT created_by FROM contacts WHERE created_by IS NOT NULL"""
        )
    }
    return sorted(names)

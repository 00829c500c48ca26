"""Payment plans in the ledger: the covered balance, storing plans, receipts, and their state.

Tables (migration ``0003_plans.sql``): ``plans`` (terms), ``plan_lines`` (the schedule) and
``plan_invoices`` (what a plan covers). Plans name their customer and invoices by
``(source, source id)``, never by ledger key, so a sync that removes and re-adds records never
loses a plan's link, and an invoice that left the books is reported as ``missing``. A sync
never deletes plans (they are collectctl's own records).

Rules (docs/plans.md):

* **Covered balance.** A plan made on day D covers each invoice's balance at the *start* of D:
  amount − allocations dated before D (invoices issued on or before D, not void). Every
  receipt dated on or after D then counts toward the plan, whether it was synced before or
  after the plan was made.
* **Receipts** of plan P (currency C, customer K, made on D), by date, summed in SQL:
  ``payment`` and ``credit`` allocations dated ≥ D to an invoice P covers, plus ``payment``
  allocations of K in C dated ≥ D that are unapplied (on account, no invoice). Payments to
  invoices the plan does not cover, write-offs and refunds are not receipts.
* **State** is not computed here: :mod:`collectctl.reports.plan_states` applies
  :func:`collectctl.domain.plan_tracking.stored_plan_state` to :func:`load_plans` and
  :func:`receipts` (this module calls no domain rule).
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from collectctl.domain.books import PLAN_PREFIX, StoredPlan, format_plan_id
from collectctl.domain.plans import Installment, Schedule
from collectctl.errors import CollectctlError, NotFoundError
from collectctl.ledger.days import DAYS

#: Allocation kinds that count as receipts when applied to a covered invoice.
APPLIED_RECEIPT_KINDS = ("payment", "credit")


def parse_plan_id(text: str) -> int | None:
    """``PL-7``, ``pl-7`` or ``7`` -> 7; ``None`` when ``text`` is not a plan id at all."""
    s = text.strip()
    if s.upper().startswith(PLAN_PREFIX):
        s = s[len(PLAN_PREFIX) :]
    return int(s) if s.isdigit() and s.isascii() and int(s) > 0 else None


# --- what a new plan covers ------------------------------------------------------------------


@dataclass(frozen=True)
class CoveredInvoice:
    """An invoice a plan covers, with its balance at the start of the plan's day (minor units)."""

    key: int
    source: str
    invoice_id: str
    number: str
    due_date: date
    currency: str
    balance: int


def covered_invoices(
    conn: sqlite3.Connection,
    customer_key: int,
    customer_id: str,
    as_of: date,
    *,
    invoices: Sequence[str] = (),
    currency: str | None = None,
) -> tuple[str, list[CoveredInvoice]]:
    """The invoices a plan for this customer made on ``as_of`` would cover, and their currency.

    ``invoices`` (ids, or printed numbers) picks some; otherwise every invoice of the customer
    open at the start of ``as_of`` in one currency (``currency``, or the only one there is).
    Raises :class:`NotFoundError` for an unknown invoice or one of another customer, and
    :class:`CollectctlError` for a void, unissued or settled invoice, mixed currencies, or
    nothing open.
    """
    rows = conn.execute(
        """SELECT i.id, i.source, i.ext_id, i.number, i.due_date, i.currency, i.void,
                  i.issue_date, i.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                      WHERE a.invoice = i.id AND a.date < :d), 0)
           FROM invoices i WHERE i.customer = :c
           ORDER BY i.due_date, i.number, i.ext_id""",
        {"c": customer_key, "d": as_of.isoformat()},
    ).fetchall()
    d = as_of.isoformat()

    def covered(r: tuple[Any, ...]) -> CoveredInvoice:
        return CoveredInvoice(r[0], r[1], r[2], r[3], date.fromisoformat(r[4]), r[5], r[8])

    if invoices:
        chosen = [covered(_pick_invoice(conn, rows, ref, customer_id, d)) for ref in invoices]
        unique = list({c.key: c for c in chosen}.values())
        currencies = sorted({c.currency for c in unique})
        if len(currencies) > 1:
            listed = ", ".join(f"{c.invoice_id} ({c.currency})" for c in unique)
            raise CollectctlError(
                f"the invoices are in different currencies: {listed}",
                hint="A plan is in one currency: make one plan per currency.",
            )
        if currency and currencies[0] != currency:
            raise CollectctlError(
                f"--currency {currency} does not match the invoices' currency {currencies[0]}"
            )
        return currencies[0], unique
    open_rows = [r for r in rows if not r[6] and r[7] <= d and r[8] > 0]
    if currency:
        open_rows = [r for r in open_rows if r[5] == currency]
    currencies = sorted({r[5] for r in open_rows})
    if not currencies:
        what = f" in {currency}" if currency else ""
        raise CollectctlError(
            f"customer {customer_id!r} has no open invoices{what} on {d} (balances at the start "
            "of the day)",
            hint="A plan covers open invoices; see `collectctl aging --by invoice`.",
        )
    if len(currencies) > 1:
        raise CollectctlError(
            f"customer {customer_id!r} has open invoices in several currencies "
            f"({', '.join(currencies)})",
            hint="Choose one with --currency CODE (or name the invoices with --invoice).",
        )
    return currencies[0], [covered(r) for r in open_rows]


def _pick_invoice(
    conn: sqlite3.Connection, rows: list[Any], ref: str, customer_id: str, d: str
) -> tuple[Any, ...]:
    match = [r for r in rows if r[2] == ref] or [r for r in rows if r[3] == ref]
    if not match:
        other = conn.execute(
            "SELECT c.ext_id FROM invoices i JOIN customers c ON c.id = i.customer "
            "WHERE i.ext_id = ? OR i.number = ? LIMIT 1",
            (ref, ref),
        ).fetchone()
        if other:
            raise NotFoundError(
                f"invoice {ref!r} belongs to customer {other[0]!r}, not {customer_id!r}"
            )
        raise NotFoundError(
            f"no invoice {ref!r} in this profile's ledger",
            hint="Use the invoice id of your books (CSV id column) or its printed number.",
        )
    if len(match) > 1:
        raise CollectctlError(
            f"{ref!r} names more than one invoice of {customer_id!r}; use the invoice id"
        )
    r = match[0]
    if r[6]:
        raise CollectctlError(f"invoice {ref!r} is void; a plan covers open invoices only")
    if r[7] > d:
        raise CollectctlError(f"invoice {ref!r} is issued on {r[7]}, after {d}")
    if r[8] <= 0:
        raise CollectctlError(
            f"invoice {ref!r} is not open at the start of {d} (nothing left to pay)",
            hint="A plan covers open invoices only; see `collectctl aging --by invoice`.",
        )
    return r


# --- stored plans ----------------------------------------------------------------------------


_PLAN_COLUMNS = (
    "id, customer_source, customer_ext, customer_name, currency, created_on, created_at, "
    "balance, down, every, start, installments, amount_per, rate, interest_method, fee, "
    "grace_days, max_missed, cancelled_on, cancel_reason, created_by"
)


def insert_plan(
    conn: sqlite3.Connection,
    *,
    customer_source: str,
    customer_id: str,
    customer_name: str,
    created_on: date,
    created_at: str,
    schedule: Schedule,
    amount_per: int | None,
    fee: int,
    grace_days: int,
    max_missed: int,
    invoices: Sequence[CoveredInvoice],
    created_by: str | None,
) -> int:
    """Store a plan made by ``created_by`` (call inside :meth:`Ledger.write`); returns its key.
    The caller checks first that the account may have a new plan
    (:func:`collectctl.reports.plans.store`)."""
    cur = conn.execute(
        f"""INSERT INTO plans ({_PLAN_COLUMNS.split(", ", 1)[1]})
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, ?)""",
        (
            customer_source,
            customer_id,
            customer_name,
            schedule.currency,
            created_on.isoformat(),
            created_at,
            schedule.balance,
            schedule.down,
            schedule.every,
            schedule.start.isoformat(),
            schedule.installments,
            amount_per,
            None if schedule.rate is None else str(schedule.rate),
            schedule.interest_method,
            fee,
            grace_days,
            max_missed,
            created_by,
        ),
    )
    key = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO plan_lines VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (key, ln.number, ln.due.isoformat(), ln.principal, ln.interest, ln.fee, ln.total,
             ln.remaining)
            for ln in schedule.lines
        ],
    )  # fmt: skip
    conn.executemany(
        "INSERT INTO plan_invoices VALUES (?, ?, ?, ?, ?, ?)",
        [
            (key, c.source, c.invoice_id, c.number, c.due_date.isoformat(), c.balance)
            for c in invoices
        ],
    )
    return key


def cancel_plan(
    conn: sqlite3.Connection, key: int, on: date, reason: str, *, by: str | None = None
) -> StoredPlan:
    """Mark plan ``key`` cancelled on ``on`` by ``by`` (inside a write transaction); returns it
    as it was.

    Raises :class:`NotFoundError` for an unknown plan and :class:`CollectctlError` when it is
    cancelled already or ``on`` is before the day it was made.
    """
    plan = get_plan(conn, key)
    if plan.cancelled_on is not None:
        raise CollectctlError(
            f"plan {plan.id} was already cancelled on {plan.cancelled_on.isoformat()}"
        )
    if on < plan.created_on:
        raise CollectctlError(
            f"plan {plan.id} cannot be cancelled on {on.isoformat()}: it was made on "
            f"{plan.created_on.isoformat()}",
            hint="Give --as-of on or after the day the plan was made (or leave it out: today).",
        )
    conn.execute(
        "UPDATE plans SET cancelled_on = ?, cancel_reason = ?, cancelled_by = ? WHERE id = ?",
        (on.isoformat(), reason, by, key),
    )
    return plan


def get_plan(conn: sqlite3.Connection, key: int) -> StoredPlan:
    """One stored plan; :class:`NotFoundError` (exit 1) when there is none."""
    plans = load_plans(conn, keys=[key])
    if not plans:
        raise NotFoundError(
            f"no payment plan {format_plan_id(key)} in this profile's ledger",
            hint="`collectctl plan list` shows every plan.",
        )
    return plans[0]


def load_plans(
    conn: sqlite3.Connection,
    *,
    keys: Sequence[int] | None = None,
    customer: tuple[str, str] | None = None,
    currency: str | None = None,
    created_by: date | None = None,
) -> list[StoredPlan]:
    """Stored plans (oldest first), optionally only some keys, one customer/currency, or those
    made on or before ``created_by``. Two queries, whatever the number of plans."""
    where, params = _plan_filter(keys, customer, currency, created_by)
    lines: dict[int, list[Installment]] = defaultdict(list)
    days = DAYS
    for r in conn.execute(
        "SELECT l.plan, l.number, l.due, l.principal, l.interest, l.fee, l.total, l.remaining "
        f"FROM plans p CROSS JOIN plan_lines l ON l.plan = p.id {where} ORDER BY p.id, l.number",
        params,
    ):
        lines[r[0]].append(Installment(r[1], days[r[2]], *r[3:]))
    out = []
    for r in conn.execute(f"SELECT {_PLAN_COLUMNS} FROM plans p {where} ORDER BY id", params):
        out.append(
            StoredPlan(
                key=r[0],
                customer_source=r[1],
                customer_id=r[2],
                customer_name=r[3],
                currency=r[4],
                created_on=date.fromisoformat(r[5]),
                created_at=r[6],
                balance=r[7],
                down=r[8],
                every=r[9],
                start=date.fromisoformat(r[10]),
                installments=r[11],
                amount_per=r[12],
                rate=None if r[13] is None else Decimal(r[13]),
                interest_method=r[14],
                fee=r[15],
                grace_days=r[16],
                max_missed=r[17],
                cancelled_on=None if r[18] is None else date.fromisoformat(r[18]),
                cancel_reason=r[19],
                lines=tuple(lines.get(r[0], ())),
                created_by=r[20],
            )
        )
    return out


def _plan_filter(
    keys: Sequence[int] | None,
    customer: tuple[str, str] | None,
    currency: str | None,
    created_by: date | None,
) -> tuple[str, dict[str, object]]:
    clauses: list[str] = []
    params: dict[str, object] = {}
    if keys is not None:
        clauses.append(f"p.id IN ({','.join(str(int(k)) for k in keys) or 'NULL'})")
    if customer is not None:
        clauses.append("p.customer_source = :csrc AND p.customer_ext = :cext")
        params.update(csrc=customer[0], cext=customer[1])
    if currency is not None:
        clauses.append("p.currency = :cur")
        params["cur"] = currency
    if created_by is not None:
        clauses.append("p.created_on <= :made")
        params["made"] = created_by.isoformat()
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


def receipts(
    conn: sqlite3.Connection, as_of: date, keys: Iterable[int] | None = None
) -> dict[int, list[tuple[date, int]]]:
    """``{plan key: [(date, amount), ...]}``: each plan's receipts dated from its creation day
    to ``as_of``, summed per day in SQL (see the module docstring for what counts)."""
    only = ""
    if keys is not None:
        only = f"AND p.id IN ({','.join(str(int(k)) for k in keys) or 'NULL'})"
    kinds = ", ".join(f"'{k}'" for k in APPLIED_RECEIPT_KINDS)
    # CROSS JOIN fixes the join order: from the (few) plans down to their allocations through
    # the indexes, never from the (many) allocations dated up to as_of.
    sql = f"""
        SELECT plan, date, SUM(amount) FROM (
            SELECT p.id AS plan, a.date AS date, a.amount AS amount
            FROM plans p CROSS JOIN plan_invoices pi CROSS JOIN invoices i
                CROSS JOIN allocations a
            WHERE pi.plan = p.id AND i.source = pi.source AND i.ext_id = pi.invoice_ext
              AND a.invoice = i.id AND a.date >= p.created_on AND a.date <= :d
              AND a.kind IN ({kinds}) {only}
            UNION ALL
            SELECT p.id, a.date, a.amount
            FROM plans p CROSS JOIN customers c CROSS JOIN allocations a
            WHERE c.source = p.customer_source AND c.ext_id = p.customer_ext
              AND a.customer = c.id AND a.currency = p.currency AND a.invoice IS NULL
              AND a.date >= p.created_on AND a.date <= :d AND a.kind = 'payment'
              AND a.invoice_ext = '' {only})
        GROUP BY plan, date ORDER BY plan, date
    """
    out: dict[int, list[tuple[date, int]]] = defaultdict(list)
    days = DAYS
    for plan, day, amount in conn.execute(sql, {"d": as_of.isoformat()}):
        if amount > 0:
            out[plan].append((days[day], amount))
    return out


@dataclass(frozen=True)
class PlanInvoice:
    """An invoice a plan covers, as stored and as the books hold it now.

    ``status``: ``open``, ``paid`` (nothing left on it now), ``void``, or ``missing`` (no longer
    in the books: the source removed it).
    """

    source: str
    invoice_id: str
    number: str
    due_date: date
    covered: int  # balance covered when the plan was made
    invoice_key: int | None
    balance_now: int | None  # amount − every allocation, whatever its date
    status: str


def plan_invoices(conn: sqlite3.Connection, key: int) -> list[PlanInvoice]:
    """The invoices plan ``key`` covers, with their present state in the books."""
    out = []
    for r in conn.execute(
        """SELECT pi.source, pi.invoice_ext, pi.number, pi.due_date, pi.balance,
                  i.id, i.void, i.amount - i.allocated
           FROM plan_invoices pi
           LEFT JOIN invoices i ON i.source = pi.source AND i.ext_id = pi.invoice_ext
           WHERE pi.plan = ? ORDER BY pi.due_date, pi.number""",
        (key,),
    ):
        if r[5] is None:
            status = "missing"
        elif r[6]:
            status = "void"
        else:
            status = "open" if r[7] > 0 else "paid"
        out.append(
            PlanInvoice(r[0], r[1], r[2], date.fromisoformat(r[3]), r[4], r[5], r[7], status)
        )
    return out


def covering_plans(conn: sqlite3.Connection, as_of: date) -> list[tuple[int, str, str, int | None]]:
    """``(plan key, source, invoice id, invoice ledger key or None)`` of every invoice covered
    by a plan made on or before ``as_of``."""
    return conn.execute(
        """SELECT pi.plan, pi.source, pi.invoice_ext, i.id FROM plan_invoices pi
           JOIN plans p ON p.id = pi.plan AND p.created_on <= ?
           LEFT JOIN invoices i ON i.source = pi.source AND i.ext_id = pi.invoice_ext
           ORDER BY pi.plan, pi.invoice_ext""",
        (as_of.isoformat(),),
    ).fetchall()

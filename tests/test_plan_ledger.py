"""collectctl.ledger.plans for other commands: which invoices a plan holds out of dunning."""

from __future__ import annotations

from datetime import date

from core_helpers import cust, inv, pay, run_json

from collectctl.ledger.connection import Ledger
from collectctl.ledger.plans import format_plan_id, parse_plan_id
from collectctl.reports.plan_states import plan_invoice_states, plans_in_good_standing

AS_OF = "2026-11-30"
BOOKS = [
    cust("C1", "Acme Ltd"),
    inv("I1", "C1", "2026-09-01", "600.00"),
    inv("I2", "C1", "2026-10-01", "400.00"),
    cust("C2", "Bravo"),
    inv("B1", "C2", "2026-10-01", "500.00"),
    inv("B2", "C2", "2026-10-02", "50.00"),
]
TERMS = ["--installments", "2", "--every", "month", "--start", "2026-12-01", "--as-of", AS_OF]


def test_plan_ids():
    assert format_plan_id(12) == "PL-12"
    assert [parse_plan_id(t) for t in ("PL-12", "pl-12", " 12 ", "PL-0", "PL-", "x", "PL-1.5")] == [
        12, 12, 12, None, None, None, None,
    ]  # fmt: skip


def test_held_invoices_follow_the_plan_state(cli, books, collectctl_home):
    books.load([*BOOKS, pay("P1", "C2", "2026-12-01", "250.00", "B1")])
    assert cli("sync", "memory", "-q").exit_code == 0
    run_json(cli, "plan", "create", "C1", *TERMS)
    run_json(cli, "plan", "create", "C2", "--invoice", "B1", *TERMS)
    ledger = Ledger.open(collectctl_home / "profiles" / "default" / "ledger.db")
    try:
        conn = ledger.conn
        # before any plan existed: nothing is held
        assert plans_in_good_standing(conn, date(2026, 11, 29)) == []
        assert plan_invoice_states(conn, date(2026, 11, 29)) == []
        on = date(2026, 12, 3)
        assert [e.plan.id for e in plans_in_good_standing(conn, on)] == ["PL-1", "PL-2"]
        held = {(s.plan_id, s.invoice_id): s.held for s in plan_invoice_states(conn, on)}
        assert held == {("PL-1", "I1"): True, ("PL-1", "I2"): True, ("PL-2", "B1"): True}
        # PL-1 breaks on 12-07 (nothing paid); PL-2's first installment was paid on time
        later = date(2026, 12, 7)
        assert [e.plan.id for e in plans_in_good_standing(conn, later)] == ["PL-2"]
        states = {s.invoice_id: (s.state, s.held) for s in plan_invoice_states(conn, later)}
        assert states == {
            "I1": ("broken", False),
            "I2": ("broken", False),
            "B1": ("active", True),
        }
        keys = {s.invoice_id: s.invoice_key for s in plan_invoice_states(conn, later)}
        ledger_keys = dict(conn.execute("SELECT ext_id, id FROM invoices").fetchall())
        assert keys == {k: ledger_keys[k] for k in keys}
    finally:
        ledger.close()

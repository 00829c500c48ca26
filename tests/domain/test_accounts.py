"""AccountState from plain typed books: stage, flags, chasing, statuses, next action."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from collectctl.domain.accounts import account_state, invoice_skip_reason, next_action
from collectctl.domain.books import (
    AccountBooks,
    BalanceLine,
    Customer,
    Dispute,
    Escalation,
    Hold,
    Invoice,
    Promise,
    StoredPlan,
    instant_key,
)
from collectctl.domain.collection import dispute_status, hold_status
from collectctl.domain.plans import Installment

D = date(2026, 11, 30)
ACME = Customer(1, "csv", "C1", "Acme", "business")
OLD = Invoice("I1", "A-1", "USD", date(2026, 9, 1), date(2026, 10, 1), 10000, 2000)
NEW = Invoice("I2", "A-2", "USD", date(2026, 11, 1), date(2026, 12, 1), 5000, 0)


def books(**changes) -> AccountBooks:
    base = AccountBooks(
        customer=ACME,
        lines=(BalanceLine("USD", 5000, 8000, -1000, OLD.due_date),),
        open_invoices=(OLD, NEW),
        promises=(),
        promise_payments={},
        disputes=(),
        holds=(),
        escalations=(),
        plans=(),
        plan_receipts={},
        plan_invoices={},
    )
    return replace(base, **changes)


def hold(n=1, start=date(2026, 11, 1), until=None, released=None, voided=None) -> Hold:
    return Hold(n, start, until, "audit", released, "2026-11-01T10:00:00+00:00", voided)


def dispute(invoice="I1", opened=date(2026, 11, 10), resolved=None, n=4) -> Dispute:
    return Dispute(n, invoice, "quality", None, opened, resolved, None, "2026-11-10T10:00+00:00")


def test_overdue_account_chases_every_open_invoice():
    state = account_state(books(), D)
    assert state.stage == "overdue"
    assert [(b.open, b.overdue, b.unapplied, b.total) for b in state.balances] == [
        (13000, 8000, -1000, 12000)
    ]
    assert [(i.invoice.id, i.days, i.bucket) for i in state.invoices] == [
        ("I1", 60, "31-60"),
        ("I2", -1, "current"),
    ]
    assert [i.invoice.id for i in state.chaseable] == ["I1", "I2"]
    assert state.skip_reasons == ()


def test_a_disputed_invoice_is_held_out_and_counted_as_disputed():
    state = account_state(books(disputes=(dispute(),)), D)
    assert state.stage == "disputed"
    assert state.flag_names == ("dispute",)
    assert [i.invoice.id for i in state.chaseable] == ["I2"]
    (held,) = state.held_out
    assert held.skip == "disputed (DSP-4)"
    assert state.balances[0].disputed == 8000
    resolved = account_state(books(disputes=(dispute(resolved=D),)), D)
    assert resolved.stage == "overdue"
    assert len(resolved.chaseable) == 2


def test_a_hold_or_escalation_holds_out_the_whole_account():
    held = account_state(books(holds=(hold(until=date(2026, 12, 3)),)), D)
    assert held.stage == "on-hold"
    assert held.chaseable == ()
    assert {i.skip for i in held.held_out} == {"on hold"}
    assert held.next_action == date(2026, 12, 4)
    assert [h.id for h in held.holds_in_force] == [1]
    esc = Escalation(2, "agency", date(2026, 11, 29), None, None, None, "x")
    escalated = account_state(books(escalations=(esc,)), D)
    assert escalated.stage == "escalated"
    assert escalated.chaseable == ()
    assert account_state(books(escalations=(esc,)), date(2026, 11, 28)).stage == "overdue"


def test_an_open_promise_holds_out_the_account_and_a_broken_one_is_flagged():
    promise = Promise(3, "USD", 5000, date(2026, 11, 20), date(2026, 12, 5), (), None, "x")
    state = account_state(books(promises=(promise,)), D)
    assert state.stage == "promised"
    assert state.skip_reasons == ("promise to pay not yet due",)
    assert state.next_action == date(2026, 12, 6)
    later = account_state(books(promises=(promise,)), date(2026, 12, 6))
    assert later.stage == "overdue"
    assert "promise-broken" in later.flag_names
    assert later.promises[0].status == "broken"
    kept = account_state(
        books(promises=(promise,), promise_payments={3: ((date(2026, 12, 1), 5000),)}),
        date(2026, 12, 6),
    )
    assert kept.promises[0].status == "kept"
    assert "promise-broken" not in kept.flag_names


def test_an_active_plan_holds_out_the_invoices_it_covers_only():
    line = Installment(1, date(2026, 12, 15), 5000, 0, 0, 5000, 5000)
    plan = StoredPlan(
        7, "csv", "C1", "Acme", "USD", date(2026, 11, 25), "x", 5000, 0, "month",
        date(2026, 12, 15), 1, None, None, "amortized", 0, 5, 1, None, None, (line,),
    )  # fmt: skip
    state = account_state(books(plans=(plan,), plan_invoices={7: ("I2",)}), D)
    assert state.stage == "plan"
    assert [p.state for p in state.plans] == ["active"]
    assert [(i.invoice.id, i.plan, i.skip) for i in state.invoices] == [
        ("I1", None, None),
        ("I2", "PL-7", "on plan PL-7"),
    ]


def test_statuses_and_reasons():
    assert hold_status(hold(start=date(2026, 12, 1)), D) == "scheduled"
    assert hold_status(hold(until=date(2026, 11, 29)), D) == "expired"
    assert hold_status(hold(released=D), D) == "released"
    assert hold_status(hold(voided=D), D) == "void"
    assert dispute_status(dispute(resolved=D), D) == "resolved"
    assert dispute_status(dispute(resolved=date(2026, 12, 1)), D) == "open"
    assert invoice_skip_reason(["on hold"], "DSP-1", None) == "on hold"
    assert invoice_skip_reason([], None, "PL-1") == "on plan PL-1"
    assert next_action(None, (), (), {}, D) is None


def test_timestamps_compare_as_instants():
    local = "2026-11-30T09:00:00.000000+01:00"  # 08:00 UTC
    utc = "2026-11-30T08:30:00.000000+00:00"
    assert instant_key(local) < instant_key(utc)
    assert local > utc  # as text they would sort the other way

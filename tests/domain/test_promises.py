"""Promises to pay: kept, broken, partly kept, open (domain.promises), with property tests."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from collectctl.domain.promises import evaluate_promise

D = date.fromisoformat
MADE, BY = D("2026-12-01"), D("2026-12-10")


def outcome(payments, as_of, grace=0, amount=10000):
    return evaluate_promise(amount, MADE, BY, [(D(d), a) for d, a in payments], D(as_of), grace)


def test_open_before_the_deadline_even_when_nothing_paid():
    out = outcome([], "2026-12-10")
    assert (out.status, out.paid, out.remaining) == ("open", 0, 10000)


def test_broken_the_day_after_the_date():
    assert outcome([], "2026-12-11").status == "broken"


def test_payment_exactly_on_the_date_keeps_it():
    out = outcome([("2026-12-10", 10000)], "2026-12-31")
    assert (out.status, out.kept_on) == ("kept", D("2026-12-10"))


def test_payment_a_day_late_does_not_count_without_grace():
    assert outcome([("2026-12-11", 10000)], "2026-12-31").status == "broken"


def test_grace_days_move_the_deadline_inclusive():
    assert outcome([("2026-12-13", 10000)], "2026-12-31", grace=3).status == "kept"
    assert outcome([("2026-12-14", 10000)], "2026-12-31", grace=3).status == "broken"
    assert outcome([], "2026-12-13", grace=3).status == "open"
    assert outcome([], "2026-12-14", grace=3).status == "broken"


def test_payments_before_the_promise_never_count():
    assert outcome([("2026-11-30", 10000)], "2026-12-31").status == "broken"
    assert outcome([("2026-12-01", 10000)], "2026-12-31").status == "kept"


def test_partial_and_several_payments():
    out = outcome([("2026-12-02", 4000)], "2026-12-11")
    assert (out.status, out.paid, out.remaining) == ("partial", 4000, 6000)
    assert out.is_broken
    kept = outcome([("2026-12-02", 4000), ("2026-12-09", 6000)], "2026-12-11")
    assert (kept.status, kept.kept_on) == ("kept", D("2026-12-09"))
    # Overpaying is kept, remaining never negative.
    assert outcome([("2026-12-02", 12000)], "2026-12-05").remaining == 0


def test_as_of_reconstructs_the_past():
    # Paid on the 9th, but as of the 8th it was still open with nothing in.
    out = outcome([("2026-12-09", 10000)], "2026-12-08")
    assert (out.status, out.paid) == ("open", 0)


def test_bad_values_are_refused():
    with pytest.raises(ValueError, match="above zero"):
        evaluate_promise(0, MADE, BY, [], MADE)
    with pytest.raises(ValueError, match="negative"):
        evaluate_promise(1, MADE, BY, [], MADE, -1)


@given(
    amount=st.integers(1, 10**9),
    pays=st.lists(st.tuples(st.integers(-5, 20), st.integers(1, 10**9)), max_size=6),
    as_of=st.integers(-3, 25),
    grace=st.integers(0, 5),
)
def test_outcome_properties(amount, pays, as_of, grace):
    payments = [(MADE + timedelta(days=d), a) for d, a in pays]
    day = MADE + timedelta(days=as_of)
    out = evaluate_promise(amount, MADE, BY, payments, day, grace)
    last = BY + timedelta(days=grace)
    counted = sum(a for d, a in payments if MADE <= d <= min(last, day))
    assert out.paid == counted
    assert out.remaining == max(amount - counted, 0)
    assert out.deadline == last
    if counted >= amount:
        assert out.status == "kept"
        assert out.kept_on is not None
        assert MADE <= out.kept_on <= min(last, day)
    elif day <= last:
        assert out.status == "open"
    else:
        assert out.status == ("partial" if counted else "broken")
        assert out.is_broken


def test_a_promise_is_in_the_given_else_its_first_invoices_else_the_customers_currency():
    from collectctl.domain.promises import promise_currency

    assert promise_currency("EUR", "USD", []) == "EUR"
    assert promise_currency(None, "USD", [("INV-1", "GBP"), ("INV-2", "GBP")]) == "GBP"
    assert promise_currency(None, "USD", []) == "USD"
    with pytest.raises(ValueError, match="invoice INV-2 is in EUR, the promise in GBP"):
        promise_currency(None, "USD", [("INV-1", "GBP"), ("INV-2", "EUR")])
    with pytest.raises(ValueError, match="invoice INV-1 is in GBP, the promise in USD"):
        promise_currency("USD", "USD", [("INV-1", "GBP")])

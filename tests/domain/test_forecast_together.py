"""Invoices paid together with the payer's next one (``paid_with_next``, ``together_outlook``),
every expectation worked out by hand.

The payer here pays 60% of its money in the due-date week (delays 0..6, bin 8) and 40% three
weeks later (delays 21..27, bin 11), never anything else. ``late_after(0.85)``: 0.85 of the paid
money is reached in bin 11 at (0.85 − 0.6) / 0.4 × 7 = 4.375 → day ceil(4.375) − 1 = 4 of the
bin, delay 21 + 4 = 25: an invoice more than 25 days past due is late for this payer.
"""

from __future__ import annotations

import pytest

from collectctl.domain import forecast as fm


def _payer() -> fm.Behaviour:
    mass = [0.0] * fm.NBINS
    mass[8], mass[11] = 0.6, 0.4
    return fm.Behaviour(mass, 0.0)


BEH = _payer()
Q = 0.85


def test_late_after_by_hand():
    assert fm.late_after(BEH, Q) == 25
    assert fm.late_after(BEH, 0.5) == 5  # 0.5 / 0.6 × 7 = 5.83 → day 5 of bin 8
    assert fm.late_after(fm.Behaviour([0.0] * fm.NBINS, 1.0), Q) is None  # pays nothing


def _item(who, key, overdue, plain=True, beh=BEH):
    return (who, key, beh, overdue, plain)


def test_a_late_invoice_is_paired_with_the_next_open_one_only():
    items = [
        _item("A", 3, -10),  # A's newest
        _item("A", 1, 30),  # late (30 > 25): paired with the next by due date, key 2
        _item("A", 2, 10),  # not late: stays alone although key 3 is newer
        _item("B", 4, 40),  # late, but B has nothing newer
    ]
    assert fm.paid_with_next(items, Q) == {1: 2}


def test_just_late_enough_and_the_limits():
    assert fm.paid_with_next([_item("A", 1, 25), _item("A", 2, 0)], Q) == {}
    assert fm.paid_with_next([_item("A", 1, 26), _item("A", 2, 0)], Q) == {0: 1}
    # past NEVER_AFTER the money is unlikely to be collected: it stays so
    assert fm.paid_with_next([_item("A", 1, fm.NEVER_AFTER), _item("A", 2, 0)], Q) == {}
    assert fm.paid_with_next([_item("A", 1, 26), _item("A", 2, 0)], None) == {}


def test_ties_on_the_due_date_go_by_key_and_plans_are_left_alone():
    # same due date: the next is the higher key
    items = [_item("A", 9, 30), _item("A", 7, 30), _item("A", 8, 20)]
    assert fm.paid_with_next(items, Q) == {1: 0, 0: 2}
    # an invoice on a plan or promise (not following the curve) neither pairs nor is paired to
    planned = [_item("A", 1, 30), _item("A", 2, -5, plain=False)]
    assert fm.paid_with_next(planned, Q) == {}
    assert fm.paid_with_next([_item("A", 1, 30, plain=False), _item("A", 2, 0)], Q) == {}


def test_together_outlook_by_hand():
    """Invoice 30 days past due, the next one 10 days before its due date, half and half.

    Its own half: by day 30 the payer has paid everything it ever pays (bins 8 and 11 end at
    delay 27), so that half is "never". The other half follows the next invoice from delay −10:
    60% by offsets 10..16, 40% by 31..37. Median of what will be paid (half of the half):
    0.5 / 0.6 × 7 = 5.83 → day 5 of the week, offset 10 + 5 = 15."""
    look = fm.together_outlook(1000, BEH, 30, -10, 0.5)
    assert look.never() == pytest.approx(0.5)
    assert look.quantile(0.5) == 15
    assert look.cdf(16) == pytest.approx(0.5 * 0.6)
    assert look.cdf(37) == pytest.approx(0.5)
    # all of it moved: the next invoice's own curve
    whole = fm.together_outlook(1000, BEH, 30, -10, 1.0)
    assert whole.never() == pytest.approx(0.0)
    assert whole.quantile(0.5) == 15
    assert whole.cdf(37) == pytest.approx(1.0)

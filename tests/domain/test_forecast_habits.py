"""Habits (the prior of payers with little history), every expectation worked out by hand.

Bins are 7 days wide from delay −56: delay 0..6 is bin 8, 28..34 bin 12, 56..62 bin 16. Every
habit gives each of the 35 bins (34 paid bins and never) a floor of 1e-5 before it is
normalised, so a shape with all its paid money in one bin gives that bin 1 ÷ (1 + 35e-5).
"""

from __future__ import annotations

import math

import pytest

from collectctl.domain import forecast as fm

#: Small books may learn habits in these tests: two payers with two invoices' worth suffice.
SMALL = fm.ModelSettings(habit_payers=2, habit_evidence=2.0)
Z = 1 + 35e-5  # a one-bin shape's total with the floors


def rows(payer: object, b: int, n: int, w: float = 1.0) -> list[tuple[object, int, float]]:
    return [(payer, b, w)] * n


def hist(pairs: dict[int, float]) -> list[float]:
    h = [0.0] * (fm.NBINS + 1)
    for b, w in pairs.items():
        h[b] = w
    return h


def test_no_habits_on_small_books():
    """The defaults want 30 payers with 5 invoices' worth each: two payers learn none, and the
    forecast is the profile-shrunk one (the hand-worked tests of test_forecast_model)."""
    history = rows("A", 8, 5) + rows("B", 12, 5)
    assert fm.learn_habits([hist({8: 5.0}), hist({12: 5.0})]) is None
    beh = fm.build_behaviours(history)
    assert beh.habits is None
    plain = fm.build_behaviours(history, fm.ModelSettings(habit_invoices=0.0))
    assert beh.of("A").mass == plain.of("A").mass


def test_habits_learnt_by_hand():
    """Three on-time payers (median bin 8) and one paying 28..34 days late (bin 12), each with
    two invoices; a payer with one invoice is not well known (evidence 1 < 2). Every payer's
    shape, moved to its median, is all at offset 0, so the shared shape is {0: 1}. Habits: bin 8
    weight 3/4 and bin 12 weight 1/4 (only medians some payer has); never 0 everywhere."""
    habits = fm.learn_habits(
        [hist({8: 2.0}), hist({8: 2.0}), hist({8: 2.0}), hist({12: 2.0}), hist({16: 1.0})],
        SMALL,
    )
    assert habits is not None
    assert habits.at == [8, 12]
    assert habits.weights == pytest.approx([0.75, 0.25])
    on_time, late = habits.shapes
    assert on_time[8] == pytest.approx((1 + 1e-5) / Z)
    assert on_time[12] == pytest.approx(1e-5 / Z)
    assert late[12] == pytest.approx((1 + 1e-5) / Z)
    assert sum(late) == pytest.approx(1.0)


def test_one_late_payment_makes_a_late_payer():
    """Six on-time payers (two invoices each in bin 8), one late payer E (two in bin 12), and C,
    who has paid once, in bin 12. Habits: bin 8 weight 6/7, bin 12 weight 1/7 (C, with one
    invoice, is not well known). C's posterior: on time 6/7 × 1e-5/Z against late 1/7 × (1 +
    1e-5)/Z → P(late) = 0.99994. C = its own invoice + 16 invoices' worth of the late habit:
    nearly all in bin 12, median day 3 of it (the 12 floors below weigh 12 × 16e-5/Z ≈ 0.0019
    of 17) → 28 + 3 = 31 days late. Without habits, C = 1 in bin 12 + 2 × the profile (12 of
    the 15 invoices on time): bin 8 1.6, bin 12 1.4, of 3: the median is in bin 8, at (0.5 ÷
    0.5333) × 7 = 6.56 → day 6: 6 days late, the on-time majority's habit."""
    history = [r for p in "ABDFGH" for r in rows(p, 8, 2)] + rows("E", 12, 2) + rows("C", 12, 1)
    beh = fm.build_behaviours(history, SMALL)
    assert beh.habits is not None
    assert beh.habits.weights == pytest.approx([6 / 7, 1 / 7])
    post = beh.habits.posterior(hist({12: 1.0}), None)
    late = 1 / 7 * (1 + 1e-5)
    assert post[1] == pytest.approx(late / (late + 6 / 7 * 1e-5))
    assert beh.of("C").median_delay() == 31
    plain = fm.build_behaviours(history, fm.ModelSettings(habit_invoices=0.0))
    assert plain.of("C").median_delay() == 6


def test_invoices_waiting_point_to_a_slow_habit():
    """Payer W has paid nothing; one invoice of it is 40 days past due (day 5 of bin 13). Habits:
    on time (bin 8, weight 3/4) and 56..62 days late (bin 16, weight 1/4). Not paid by day 40:
    on time, only the floors of bins 13 (its days 35..41: 1/7 of it is after day 40) to 33 and
    never are left, (1/7 + 20 + 1) × 1e-5 / Z; late, all but the floors of bins 0..12 and 6/7
    of bin 13, 1 − (13 + 6/7) × 1e-5 / Z. P(late) = 0.25 × that ÷ (0.25 × that + 0.75 × the
    on-time one) = 0.99936, so W's behaviour is the late habit: median day 3 of bin 16 → 59
    days late."""
    history = rows("A", 8, 2) + rows("B", 8, 2) + rows("D", 8, 2) + rows("E", 16, 2)
    beh = fm.build_behaviours(history, SMALL, None, [("W", 40, 1.0)])
    assert beh.habits is not None
    on_time = (1 / 7 + 21) * 1e-5 / Z
    late = 1 - (13 + 6 / 7) * 1e-5 / Z
    want = 0.25 * late / (0.25 * late + 0.75 * on_time)
    assert beh.habits.posterior(None, {40: 1.0})[1] == pytest.approx(want, rel=1e-9)
    assert want == pytest.approx(0.99936, abs=1e-5)
    assert beh.of("W").median_delay() == 59
    # the evidence of waiting invoices is only what they say: not yet 40 days late
    assert "W" not in beh.evidence


def test_well_known_payer_takes_its_own_habit():
    """A payer with at least ``habit_sure`` invoices' worth of history takes the habit of its
    own median week outright: E (two invoices in bin 16, habit_sure 2) gets own + 16 × the bin
    16 habit, median day 3 of bin 16 → 59. With habit_sure above its evidence the posterior
    gives the same habit (0.25 × 1 against 0.75 × 1e-10): the same median."""
    history = rows("A", 8, 2) + rows("B", 8, 2) + rows("D", 8, 2) + rows("E", 16, 2)
    sure = fm.ModelSettings(habit_payers=2, habit_evidence=2.0, habit_sure=2.0)
    assert fm.build_behaviours(history, sure).of("E").median_delay() == 59
    assert fm.build_behaviours(history, SMALL).of("E").median_delay() == 59


def test_never_shares_per_habit():
    """Never, per habit: the share of its payers' money never paid, shrunk toward the average
    by two payers' worth. Bin 8: one payer with 1 of 4 never (0.25); bin 12: one payer without
    (0). Average 0.125. Bin 8: (0.25 + 2 × 0.125) ÷ 3 = 1/6; bin 12: (0 + 0.25) ÷ 3 = 1/12."""
    habits = fm.learn_habits([hist({8: 3.0, fm.NEVER: 1.0}), hist({12: 4.0})], SMALL)
    assert habits is not None
    # shape: the first payer's 3/4 at offset 0, the second's 1 at offset 0 → all at 0
    on_time, late = habits.shapes
    assert on_time[fm.NEVER] == pytest.approx((1 / 6 + 1e-5) / Z)
    assert late[fm.NEVER] == pytest.approx((1 / 12 + 1e-5) / Z)
    assert on_time[8] == pytest.approx((5 / 6 + 1e-5) / Z)
    assert math.isclose(sum(on_time), 1.0)

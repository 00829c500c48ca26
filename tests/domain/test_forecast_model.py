"""The forecast model's pieces on plain values, every expectation worked out by hand.

Bins are 7 days wide from delay −56: delay 0..6 is bin 8, 7..13 bin 9, 14..20 bin 10.
"""

from __future__ import annotations

from datetime import date

import pytest

from collectctl.domain import cashflow as cf
from collectctl.domain import forecast as fm


def test_bins_and_clamping():
    assert fm.delay_bin(0) == 8
    assert fm.delay_bin(6) == 8
    assert fm.delay_bin(7) == 9
    assert fm.delay_bin(-56) == 0
    assert fm.delay_bin(-300) == 0  # earlier still: the first bin
    assert fm.delay_bin(181) == fm.NBINS - 1
    assert fm.NEVER == fm.NBINS == 34


def test_shrinkage_by_hand():
    """Customer 1: one invoice paid 14 days late (bin 10). Customer 2: three invoices paid on the
    due date (bin 8). Profile: bin 8 = 3/4, bin 10 = 1/4. With K = 2:
    customer 1 = (1 in bin 10 + 2 × (3/4, 1/4)) ÷ 3 → bin 8 = 1.5/3 = 0.5, bin 10 = 1.5/3 = 0.5;
    customer 2 = (3 in bin 8 + 2 × (3/4, 1/4)) ÷ 5 → bin 8 = 4.5/5 = 0.9, bin 10 = 0.5/5 = 0.1.
    A customer with no history gets the profile's (3/4, 1/4)."""
    rows = [(1, 10, 1.0), (2, 8, 1.0), (2, 8, 1.0), (2, 8, 1.0)]
    beh = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0))
    c1, c2, c3 = beh.of(1), beh.of(2), beh.of(3)
    assert (c1.mass[8], c1.mass[10]) == pytest.approx((0.5, 0.5))
    assert (c2.mass[8], c2.mass[10]) == pytest.approx((0.9, 0.1))
    assert (c3.mass[8], c3.mass[10]) == pytest.approx((0.75, 0.25))
    assert beh.evidence == {1: 1.0, 2: 3.0}
    # Customer 1's median: half its money by the end of the due-date week (delay 6); customer
    # 2's: 0.5 of bin 8's 0.9 → ceil(0.5 / 0.9 × 7) − 1 = 3 days.
    assert c1.median_delay() == 6
    assert c2.median_delay() == 3


def test_more_history_means_less_shrinkage():
    """Forty invoices paid 14 days late: (40 + 2 × 0.25) ÷ 42 = 0.964 in bin 10."""
    rows = [(1, 10, 1.0)] * 40 + [(2, 8, 1.0)] * 120
    beh = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0))
    # profile: 40 of 160 in bin 10 = 0.25
    assert beh.of(1).mass[10] == pytest.approx((40 + 2 * 0.25) / 42)


def test_invoices_still_waiting_count_by_hand():
    """Customer 1 paid one invoice at delay 0 (bin 8) and has one open 13 days past due (it
    has waited through all of bin 9, delays 7..13); customer 2 paid one at delay 14 (bin 10).
    Profile life table (3 invoices): bin 8 reached by 3, 1 paid → 1/3; bin 9 reached by 2
    (customer 2's and the waiting one), none paid; bin 10 reached by customer 2's only, paid →
    the remaining 2/3. So (1/3, 2/3), not the paid-only (1/2, 1/2).
    Customer 1, K = 2: own bin 8 = 1 + 2/3 = 5/3, bin 10 = 4/3, plus the waiting invoice:
    bin 8 reached by 4 → 5/12 paid there; the other 7/12 all in bin 10.
    Customer 3 (no history, one invoice open 13 days past due): 2 × profile = (2/3, 4/3) plus
    the waiting one: bin 8 → (2/3) ÷ 3 = 2/9, bin 10 → 7/9. Evidence counts only history."""
    rows = [(1, 8, 1.0), (2, 10, 1.0)]
    open_rows = [(1, 13, 1.0), (3, 13, 1.0)]
    beh = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0), None, open_rows[:1])
    assert (beh.profile.mass[8], beh.profile.mass[10]) == pytest.approx((1 / 3, 2 / 3))
    c1 = beh.of(1)
    assert (c1.mass[8], c1.mass[10], c1.never) == pytest.approx((5 / 12, 7 / 12, 0.0))
    beh3 = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0), {3}, open_rows[1:])
    c3 = beh3.of(3)
    assert (c3.mass[8], c3.mass[10]) == pytest.approx((2 / 9, 7 / 9))
    assert 3 not in beh3.evidence
    # With nothing waiting (or only invoices the bins cannot place: due in more than 56 days,
    # or more than 181 days past due and already "never" in the history) nothing changes.
    plain = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0))
    far = fm.build_behaviours(
        rows, fm.ModelSettings(prior_invoices=2.0), None, [(1, -57, 1.0), (1, 182, 1.0)]
    )
    assert far.of(1).mass == pytest.approx(plain.of(1).mass)
    assert (plain.profile.mass[8], plain.profile.mass[10]) == pytest.approx((0.5, 0.5))


def test_waiting_part_of_a_bin_by_hand():
    """History: one invoice paid at delay 0 (bin 8, delays 0..6), one at delay 7 (bin 9), one
    never; one invoice open 3 days past due: it has waited through days 0..3, 4/7 of bin 8.
    Life table (K = 0): bin 9 is reached by its payment and the never one → 1/2 paid there;
    bin 8 by all three and 4/7 of the waiting one (25/7) → 7/25 paid there, 18/25 go on, of
    which half (9/25) is paid in bin 9. Paid shape 7 : 9. The never share stays what the
    history says, 1/3: bin 8 = 2/3 × 7/16 = 7/24, bin 9 = 2/3 × 9/16 = 3/8 (paid only: 1/3 each).
    """
    rows = [(1, 8, 1.0), (1, 9, 1.0), (1, fm.NEVER, 1.0)]
    settings = fm.ModelSettings(prior_invoices=0.0)
    b = fm.build_behaviours(rows, settings, None, [(1, 3, 1.0)]).of(1)
    assert (b.mass[8], b.mass[9], b.never) == pytest.approx((7 / 24, 3 / 8, 1 / 3))


def test_never_bin_and_unlikely():
    """One invoice paid at delay 0, one never: 1/2 never. Open invoice 200 days past due: beyond
    the last delay bin, so all of it is unlikely to be collected."""
    beh = fm.build_behaviours([(1, 8, 1.0), (1, fm.NEVER, 1.0)], fm.ModelSettings())
    b = beh.of(1)
    assert b.never == pytest.approx(0.5)
    old = fm.curve_outlook(10_000, b, 200)
    assert old.never() == pytest.approx(1.0)
    assert old.quantile(0.5) is None
    # Due today (x = 0): half will never come; of the other half, 1/7 by tomorrow... the
    # conditional on "not paid by delay 0" removes 1/7 of bin 8: S = 1 − 0.5/7.
    today = fm.curve_outlook(10_000, b, 0)
    assert today.never() == pytest.approx(0.5 / (1 - 0.5 / 7))


def test_weekly_cash_by_hand():
    """A customer who always pays in the week 7..13 days late (bin 9). Invoice 700.00 due on the
    as-of date: pay offsets 7..13 uniform, so week 1 (offsets 1..7) gets 1/7 = 100.00 and week 2
    (8..14) 6/7 = 600.00. Median offset: ceil(0.5 × 7) − 1 = 3 → delay 10; p25 → delay 8, p75 →
    delay 12. Band of week 1: variance 70000² × 1/7 × 6/7 = 6e8 (cents²), sd 24494.9;
    1.2816 sd = 31392.6 → high 10000 + 31392.6 → 413.93, low max(0, −) = 0."""
    beh = fm.build_behaviours([(1, 9, 1.0)] * 5, fm.ModelSettings())
    look = fm.curve_outlook(70_000, beh.of(1), 0)
    assert look.quantile(0.5) == 10
    assert look.quantile(0.25) == 8
    assert look.quantile(0.75) == 12
    tally = cf.Tally.empty(2)
    shares = cf.add_to_tally(tally, look, [7, 14])
    assert shares == pytest.approx([1 / 7, 6 / 7])
    assert [cf.round_units(e) for e in tally.expected] == [10_000, 60_000]
    assert cf.band(tally.expected[0], tally.variance[0]) == (0, 10_000, 41_393)


def test_an_overdue_invoice_follows_the_tail():
    """Same customer, invoice 10 days past due (x = 10): only delays 11..13 remain, 1/3 each:
    offsets 1, 2, 3. Median: the 2nd of them → offset 2."""
    beh = fm.build_behaviours([(1, 9, 1.0)] * 5, fm.ModelSettings())
    look = fm.curve_outlook(30_000, beh.of(1), 10)
    assert look.cdf(1) == pytest.approx(1 / 3)
    assert look.cdf(3) == pytest.approx(1.0)
    assert look.quantile(0.5) == 2


def test_plan_schedule_is_followed_without_variance():
    """300.00 on a plan: 100.00 at offsets 10, 40 and 70. Median at the 2nd installment (1/3 <
    0.5 ≤ 2/3), p25 at the 1st, p75 at the 3rd; periods of 30 days get exactly 100.00 each and
    the band has no width."""
    beh = fm.Behaviour.on_time()
    parts = [(10_000, 10, 1.0), (10_000, 40, 1.0), (10_000, 70, 1.0)]
    look = fm.scheduled_outlook(30_000, beh, -5, parts)
    assert (look.quantile(0.25), look.quantile(0.5), look.quantile(0.75)) == (10, 40, 70)
    tally = cf.Tally.empty(3)
    cf.add_to_tally(tally, look, [30, 60, 90])
    assert [cf.round_units(e) for e in tally.expected] == [10_000, 10_000, 10_000]
    assert tally.variance == pytest.approx([0.0, 0.0, 0.0])


def test_promise_moves_money_by_the_keeping_rate():
    """Promise of the whole 500.00 at offset 5 with keeping rate 0.8; otherwise the customer pays
    7..13 days late (invoice due today → offsets 7..13). P(by offset 5) = 0.8; P(by offset 7) =
    0.8 + 0.2 × 1/7; median: 0.8 ≥ 0.5 is reached at offset 5."""
    beh = fm.build_behaviours([(1, 9, 1.0)], fm.ModelSettings()).of(1)
    look = fm.scheduled_outlook(50_000, beh, 0, [(50_000, 5, 0.8)])
    assert look.cdf(4) == pytest.approx(0.0)
    assert look.cdf(5) == pytest.approx(0.8)
    assert look.cdf(7) == pytest.approx(0.8 + 0.2 / 7)
    assert look.quantile(0.5) == 5
    assert look.quantile(0.9) == 10  # 0.8 + 0.2 × (o − 6)/7 ≥ 0.9 → o ≥ 9.5
    # A promise of part of it (200.00): 2/5 of the balance moves, 3/5 follows the curve.
    part = fm.scheduled_outlook(50_000, beh, 0, [(20_000, 5, 0.8)])
    assert part.cdf(5) == pytest.approx(0.4 * 0.8)


def test_promise_keeping_rate_is_shrunk():
    """Kept 2 of 2 with a profile rate of 2/3 and strength 2: (2 + 2 × 2/3) ÷ 4 = 0.8333."""
    assert fm.shrink_rate(2, 2, 2 / 3, 2) == pytest.approx(10 / 12)
    assert fm.shrink_rate(0, 1, 2 / 3, 2) == pytest.approx(4 / 9)


def test_periods_weeks_and_months():
    weeks = cf.periods(date(2026, 10, 31), "week", 2)
    assert [(p.start, p.end, p.first, p.last) for p in weeks] == [
        (date(2026, 11, 1), date(2026, 11, 7), 1, 7),
        (date(2026, 11, 8), date(2026, 11, 14), 8, 14),
    ]
    months = cf.periods(date(2026, 11, 15), "month", 2)
    assert [(p.start, p.end) for p in months] == [
        (date(2026, 11, 16), date(2026, 11, 30)),
        (date(2026, 12, 1), date(2026, 12, 31)),
    ]


def test_allocate_oldest_first():
    assert fm.allocate(250, [100, 100, 100]) == [100, 100, 50]
    assert fm.allocate(0, [5]) == [0]


def test_any_key_is_a_customer_by_hand():
    """The forecast keys history by (customer, currency): customer 1 paid two USD invoices on
    the due date (bin 8) and two EUR invoices 30 days late (bin 12). Profile (1/2, 1/2); with
    K = 2 the USD habit is (2 + 1, 1) ÷ 4 = (0.75, 0.25) in bins 8 and 12, the EUR habit the
    mirror (0.25, 0.75). Medians: USD ceil(0.5 ÷ 0.75 × 7) − 1 = 4 days; EUR bin 12 from
    0.25: ceil((0.5 − 0.25) ÷ 0.75 × 7) − 1 = 2 → 28 + 2 = 30 days. Taken as one customer
    the habit is (1/2, 1/2) and the median 6 (the end of the due-date week)."""
    usd, eur = (1, "USD"), (1, "EUR")
    rows = [(usd, 8, 1.0), (usd, 8, 1.0), (eur, 12, 1.0), (eur, 12, 1.0)]
    beh = fm.build_behaviours(rows, fm.ModelSettings(prior_invoices=2.0))
    assert (beh.of(usd).mass[8], beh.of(usd).mass[12]) == pytest.approx((0.75, 0.25))
    assert (beh.of(eur).mass[8], beh.of(eur).mass[12]) == pytest.approx((0.25, 0.75))
    assert (beh.of(usd).median_delay(), beh.of(eur).median_delay()) == (4, 30)
    assert beh.evidence == {usd: 2.0, eur: 2.0}
    whole = fm.build_behaviours([(1, b, w) for _k, b, w in rows], fm.ModelSettings())
    assert whole.of(1).median_delay() == 6


def _life_table_every_bin(weights, part, whole):
    """The life table with both loops over every bin (what ``_life_table`` shortens)."""
    never = weights[fm.NBINS]
    paid_weight = sum(weights) - never
    later = never
    reached = [0.0] * fm.NBINS
    for b in range(fm.NBINS - 1, -1, -1):
        reached[b] = later + weights[b] + part[b]
        later += weights[b] + whole[b]
    shape, alive = [], 1.0
    for b in range(fm.NBINS):
        paid = alive * weights[b] / reached[b] if reached[b] > 0 else 0.0
        shape.append(paid)
        alive -= paid
    return [p * paid_weight / sum(shape) for p in shape] + [never]


@pytest.mark.parametrize("waiting_bin", [0, 3, 9, 20, fm.NBINS - 1])
def test_life_table_stops_at_the_last_waiting_bin(waiting_bin):
    """Above the last bin with an invoice waiting, each bin keeps its weight times one factor:
    the shortened loops give every bin's share the full ones give."""
    weights = [0.0] * (fm.NBINS + 1)
    for b, w in [(2, 0.5), (8, 3.0), (9, 1.25), (12, 2.0), (21, 0.75), (30, 0.5)]:
        weights[b] = w
    weights[fm.NEVER] = 0.4
    part, whole = [0.0] * fm.NBINS, [0.0] * fm.NBINS
    part[waiting_bin], whole[waiting_bin] = 0.3, 0.7
    part[1], whole[1] = 0.2, 1.0
    assert fm._life_table(list(weights), part, whole) == pytest.approx(
        _life_table_every_bin(weights, part, whole), rel=1e-12
    )

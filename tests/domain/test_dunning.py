"""Dunning decisions over plain values: the ladder, catch-up, gap, repeats, every skip reason."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import date, timedelta

import pytest

from collectctl.domain import dunning as d
from collectctl.domain.dunning_policy import parse_policy

POLICY = """
default = "std"
max_letters_per_run = 2

[sections.std]
min_gap_days = 7
fallback_channel = "file"
repeat_every_days = 14
max_repeats = 2
min_balance = { USD = "25.00" }

[[sections.std.stages]]
category = "courtesy"
offset_days = -3

[[sections.std.stages]]
category = "reminder"
offset_days = 3

[[sections.std.stages]]
category = "firm"
offset_days = 14

[[sections.std.stages]]
category = "final"
offset_days = 30
template = "final-demand"
"""

DUE = date(2026, 3, 1)
GUARDS = d.Guards()


def policy(text: str = POLICY, **section):
    parsed = parse_policy(tomllib.loads(text), "p.toml")
    if section:
        std = replace(parsed.sections["std"], **section)
        parsed = replace(parsed, sections={"std": std})
    return parsed


def invoice(invoice_id="I1", due=DUE, balance=10_000, **kw):
    return d.DunningInvoice("csv", invoice_id, f"N-{invoice_id}", due, balance, **kw)


def account(*invoices, **kw):
    fields = {"email": "a@example.com", "kind": "business"}
    fields.update(kw)
    return d.DunningAccount(
        "csv",
        fields.pop("customer_id", "C1"),
        "Acme",
        currency="USD",
        invoices=tuple(invoices or (invoice(),)),
        **fields,
    )


def history(rungs=None, last=None):
    return d.History(
        rungs={("csv", k): tuple(v) for k, v in (rungs or {}).items()},
        last_letter={("csv", "C1", "USD"): last} if last else {},
    )


def decide(acct=None, hist=None, pol=None, on=DUE, guards=GUARDS):
    return d.decide(acct or account(), hist or history(), pol or policy(), on, guards)


def test_ladder_by_days_from_due_date():
    assert decide(on=DUE - timedelta(days=4)) is None
    assert decide(on=DUE - timedelta(days=3)).stage == "courtesy"
    reminder_day = {"I1": [d.Sent("courtesy", 1, DUE - timedelta(days=3))]}
    assert decide(hist=history(reminder_day), on=DUE + timedelta(days=2)) is None
    letter = decide(hist=history(reminder_day), on=DUE + timedelta(days=3))
    assert letter.sends
    assert (letter.stage, letter.category, letter.channel) == ("reminder", "reminder", "email")
    assert [(line.invoice_id, line.stage, line.seq, line.days) for line in letter.lines] == [
        ("I1", "reminder", 1, 3)
    ]
    assert letter.demanded == 10_000


def test_one_letter_at_the_highest_stage_lower_invoices_ride_along():
    old = invoice("I1", due=DUE - timedelta(days=30))
    new = invoice("I2", due=DUE - timedelta(days=3), balance=5_000)
    sent = {
        "I1": [
            d.Sent("courtesy", 1, DUE - timedelta(days=33)),
            d.Sent("reminder", 1, DUE - timedelta(days=27)),
            d.Sent("firm", 1, DUE - timedelta(days=16)),
        ],
        "I2": [d.Sent("courtesy", 1, DUE - timedelta(days=6))],
    }
    letter = decide(account(old, new), history(sent))
    assert letter.stage == "final"
    assert letter.template == "final-demand"
    assert [(line.invoice_id, line.stage) for line in letter.lines] == [
        ("I1", "final"),
        ("I2", "reminder"),
    ]
    assert letter.days == 30
    assert letter.demanded == 15_000


def test_a_courtesy_reminder_is_never_sent_after_the_due_date():
    assert decide(on=DUE).stage == "courtesy"  # due today: still a courtesy
    late = decide(on=DUE + timedelta(days=1))
    assert late is None  # past due, the reminder (+3) not yet due: nothing, never courtesy
    assert decide(on=DUE + timedelta(days=3)).stage == "reminder"


def test_catch_up_next_after_a_missed_week_then_the_gap():
    # Nothing ran for 40 days after the due date: `next` sends the reminder only ...
    on = DUE + timedelta(days=40)
    first = decide(on=on, pol=policy(catch_up="next"))
    assert first.stage == "reminder"
    sent = {"I1": [d.Sent("reminder", 1, on)]}
    # ... the next day the reminder is due but the gap holds it back ...
    held = decide(
        hist=history(sent, last=on), on=on + timedelta(days=1), pol=policy(catch_up="next")
    )
    assert held.skip_reason == d.GAP
    assert "not before 2026-04-17" in held.detail
    # ... and seven days later only the next stage (firm) goes.
    later = decide(
        hist=history(sent, last=on), on=on + timedelta(days=7), pol=policy(catch_up="next")
    )
    assert (later.sends, later.stage) == (True, "firm")


def test_a_reminder_leaves_out_the_invoices_not_due_yet():
    # I2 is due its courtesy stage, but the account's letter is I1's reminder: a reminder
    # demands overdue invoices only, so I2 is not in it (nor claimed) and keeps its ladder.
    on = DUE + timedelta(days=5)
    later = invoice("I2", due=on + timedelta(days=2), balance=4_000)
    sent = {"I1": [d.Sent("courtesy", 1, DUE - timedelta(days=3))]}
    letter = decide(acct=account(invoice(), later), hist=history(sent), on=on)
    assert (letter.sends, letter.stage) == (True, "reminder")
    assert [line.invoice_id for line in letter.lines] == ["I1"]
    assert letter.demanded == 10_000
    # Alone, I2 gets its courtesy letter.
    alone = decide(acct=account(later), on=on)
    assert (alone.stage, [line.invoice_id for line in alone.lines]) == ("courtesy", ["I2"])


def test_a_letter_that_has_not_gone_out_holds_the_account_back():
    # The reminder failed (its claim holds the rung): the firm stage is due by days, but the
    # account waits for the reminder's retry, whatever the gap says.
    on = DUE + timedelta(days=20)
    sent = {"I1": [d.Sent("reminder", 1, on - timedelta(days=10))]}
    hist = replace(
        history(sent), pending={("csv", "C1", "USD"): "LTR-3 failed: a later run retries it"}
    )
    held = decide(hist=hist, on=on, pol=policy(min_gap_days=0))
    assert (held.sends, held.skip_reason, held.stage) == (False, d.PENDING, "firm")
    assert held.detail == "LTR-3 failed: a later run retries it"
    # Another currency of the same customer is not held back.
    other = replace(hist, pending={("csv", "C1", "EUR"): "LTR-4 failed"})
    assert decide(hist=other, on=on, pol=policy(min_gap_days=0)).sends


def test_catch_up_latest_after_a_missed_week_honours_the_gap():
    on = DUE + timedelta(days=20)
    sent = {
        "I1": [
            d.Sent("courtesy", 1, DUE - timedelta(days=3)),
            d.Sent("reminder", 1, on - timedelta(days=4)),
        ]
    }
    pol = policy(catch_up="latest")
    gap = decide(hist=history(sent, last=on - timedelta(days=4)), on=on, pol=pol)
    assert (gap.skip_reason, gap.stage) == (d.GAP, "firm")
    # A missed week later the highest stage due is final: firm is passed over.
    late = on + timedelta(days=10)
    letter = decide(hist=history(sent, last=on - timedelta(days=4)), on=late, pol=pol)
    assert (letter.stage, letter.lines[0].seq) == ("final", 1)


def test_repeats_of_the_last_stage_and_their_maximum():
    sent = [
        d.Sent("courtesy", 1, DUE),
        d.Sent("reminder", 1, DUE),
        d.Sent("firm", 1, DUE),
        d.Sent("final", 1, DUE + timedelta(days=30)),
    ]
    on = DUE + timedelta(days=43)
    assert decide(hist=history({"I1": sent}), on=on) is None  # 13 days after the final
    repeat = decide(hist=history({"I1": sent}), on=on + timedelta(days=1))
    assert (repeat.stage, repeat.lines[0].seq) == ("final", 2)
    sent.append(d.Sent("final", 2, on + timedelta(days=1)))
    second = decide(hist=history({"I1": sent}), on=on + timedelta(days=15))
    assert second.lines[0].seq == 3
    sent.append(d.Sent("final", 3, on + timedelta(days=15)))
    done = decide(hist=history({"I1": sent}), on=on + timedelta(days=60))
    assert done.skip_reason == d.MAX_REPEATS
    assert done.skipped[0].reason == d.MAX_REPEATS


def test_no_repeat_interval_means_the_ladder_ends():
    sent = [d.Sent(s, 1, DUE) for s in ("courtesy", "reminder", "firm", "final")]
    pol = policy(repeat_every_days=None, max_repeats=0)
    assert decide(hist=history({"I1": sent}), on=DUE + timedelta(days=400), pol=pol) is None


def test_a_manual_letter_counts_as_an_automatic_one():
    # `letter --send --stage firm` on day 15 records category "firm": the ladder is at firm
    # and the gap starts from it.
    manual = {"I1": [d.Sent("firm", 1, DUE + timedelta(days=15))]}
    hist = history(manual, last=DUE + timedelta(days=15))
    assert decide(hist=hist, on=DUE + timedelta(days=16)) is None
    letter = decide(hist=hist, on=DUE + timedelta(days=30))
    assert letter.stage == "final"
    gap = decide(hist=history(manual, last=DUE + timedelta(days=27)), on=DUE + timedelta(days=30))
    assert gap.skip_reason == d.GAP


def test_a_recorded_stage_unknown_to_the_policy_maps_by_category():
    pol = parse_policy(
        tomllib.loads(
            '[[sections.s.stages]]\ncategory = "reminder"\noffset_days = 1\n'
            '[[sections.s.stages]]\ncategory = "final"\noffset_days = 20\n'
        ),
        "p.toml",
    )
    hist = history({"I1": [d.Sent("firm", 1, DUE + timedelta(days=10))]})
    assert d.decide(account(), hist, pol, DUE + timedelta(days=12), GUARDS) is None
    assert d.decide(account(), hist, pol, DUE + timedelta(days=20), GUARDS).stage == "final"


def test_start_on_ignores_older_invoices():
    text = POLICY.replace('default = "std"', 'default = "std"\nstart_on = 2026-02-01')
    old = invoice("OLD", due=date(2026, 1, 31))
    assert d.decide(account(old), history(), policy(text), DUE, GUARDS) is None
    fresh = invoice("NEW", due=date(2026, 2, 1))
    letter = d.decide(account(old, fresh), history(), policy(text), DUE, GUARDS)
    assert [line.invoice_id for line in letter.lines] == ["NEW"]


@pytest.mark.parametrize(
    ("flags", "reason"),
    [
        ({"escalated": True}, d.ESCALATED),
        ({"on_hold": True}, d.ON_HOLD),
        ({"promise_open": True}, d.PROMISE),
    ],
)
def test_account_level_skips(flags, reason):
    skip = decide(account(**flags))
    assert skip.skip_reason == reason
    assert not skip.sends
    assert skip.detail == d.SKIP_REASONS[reason]


def test_account_flags_do_not_report_accounts_with_nothing_due():
    assert decide(account(on_hold=True), on=DUE - timedelta(days=10)) is None


def test_manual_only():
    text = POLICY.replace('default = "std"', 'default = "std"\nmanual_only = ["C1"]')
    skip = d.decide(account(), history(), policy(text), DUE + timedelta(days=1), GUARDS)
    assert (skip.skip_reason, skip.section, skip.rule) == (d.MANUAL_ONLY, None, "manual_only")
    assert d.decide(account(), history(), policy(text), DUE, GUARDS) is None


@pytest.mark.parametrize("reason", [d.DISPUTED, d.PLAN])
def test_invoice_exclusions(reason):
    excluded = invoice("I1", excluded=reason)
    skip = decide(account(excluded))
    assert skip.skip_reason == reason
    assert skip.skipped == (d.Skipped("I1", "N-I1", reason),)
    # The excluded invoice stays out while another one is chased (and is not demanded).
    other = invoice("I2", balance=4_000)
    letter = decide(account(excluded, other))
    assert [line.invoice_id for line in letter.lines] == ["I2"]
    assert letter.demanded == 4_000
    assert letter.skipped[0].reason == reason


def test_broken_plan_or_promise_comes_back_into_the_ladder():
    # The model clears the exclusion when a plan breaks and promise_open when a promise breaks.
    assert decide(account(invoice(excluded=d.PLAN))).skip_reason == d.PLAN
    assert decide(account(invoice(excluded=None))).sends
    assert decide(account(promise_open=True)).skip_reason == d.PROMISE
    assert decide(account(promise_open=False)).sends


def test_covered_by_credit_and_the_minimum_net_of_credit():
    overdue = invoice("I1", due=DUE - timedelta(days=5), balance=10_000)
    courtesy = invoice("I2", due=DUE + timedelta(days=3), balance=2_000)
    sent = {"I1": [d.Sent("courtesy", 1, DUE - timedelta(days=8))]}
    covered = decide(account(overdue, unapplied_credit=10_000), history(sent))
    assert (covered.skip_reason, covered.demanded) == (d.CREDIT, 0)
    under = decide(account(overdue, unapplied_credit=7_600), history(sent))
    assert (under.skip_reason, under.demanded) == (d.MINIMUM, 2_400)
    at_minimum = decide(account(overdue, unapplied_credit=7_500), history(sent))
    assert (at_minimum.sends, at_minimum.demanded, at_minimum.credit) == (True, 2_500, 7_500)
    # An invoice not yet due is not in a reminder (nor netted against credit), as the letter
    # itself leaves it out.
    both = decide(account(overdue, courtesy, unapplied_credit=7_500), history(sent))
    assert [line.invoice_id for line in both.lines] == ["I1"]
    assert both.demanded == 2_500


def test_fallback_channel_when_the_email_is_missing():
    assert decide(account(email=None)).channel == "file"
    none = decide(account(email=None), pol=policy(fallback_channel=None))
    assert none.skip_reason == d.NO_CHANNEL


def consumer(*invoices, **kw):
    return account(*invoices, kind="consumer", timezone="America/New_York", **kw)


def test_consumer_cease_and_open_dispute_stop_the_account():
    assert decide(consumer(ceased=True)).skip_reason == d.CONSUMER
    disputed = consumer(invoice("I1", excluded=d.DISPUTED), invoice("I2"))
    skip = decide(disputed)
    assert (skip.skip_reason, skip.detail) == (
        d.CONSUMER,
        "an open dispute stops the whole consumer account",
    )
    # A business keeps being chased on the undisputed invoice.
    business = account(invoice("I1", excluded=d.DISPUTED), invoice("I2"))
    assert [line.invoice_id for line in decide(business).lines] == ["I2"]
    # Guards off: a consumer is treated like a business.
    off = decide(disputed, guards=d.Guards(enabled=False))
    assert off.sends


def test_consumer_opt_out_uses_the_fallback_or_skips():
    assert decide(consumer(opted_out=frozenset({"email"}))).channel == "file"
    skip = decide(consumer(opted_out=frozenset({"email", "file"})))
    assert (skip.skip_reason, skip.detail) == (d.CONSUMER, "opted out of email, file")
    # Opt-outs are a consumer guard: a business opt-out record does not stop email.
    assert decide(account(opted_out=frozenset({"email"}))).channel == "email"


def test_consumer_send_cap_per_debt():
    sent = {"I1": [d.Sent("courtesy", 1, DUE - timedelta(days=3))]}
    capped = decide(
        consumer(), history(sent), on=DUE + timedelta(days=3), guards=d.Guards(sends_per_week=1)
    )
    assert capped.skip_reason == d.CONSUMER
    assert capped.detail.startswith("send cap: 1 letters")
    ok = decide(
        consumer(), history(sent), on=DUE + timedelta(days=4), guards=d.Guards(sends_per_week=1)
    )
    assert ok.sends
    # Baseline positions are not sends.
    base = {"I1": [d.Sent("courtesy", 1, DUE - timedelta(days=1), baseline=True)]}
    assert decide(
        consumer(), history(base), on=DUE + timedelta(days=3), guards=d.Guards(sends_per_week=1)
    ).sends


def test_time_barred_consumer_debt_never_gets_legal_wording():
    old_due = date(2020, 1, 10)
    on = date(2026, 3, 1)
    barred = consumer(invoice("I1", due=old_due))
    guards = d.Guards(limitation_years=6, threatening_templates=frozenset({"final-demand"}))
    sent = {
        "I1": [d.Sent(s, 1, old_due + timedelta(days=40)) for s in ("courtesy", "reminder", "firm")]
    }
    skip = decide(barred, history(sent), on=on, guards=guards)
    assert skip.skip_reason == d.CONSUMER
    assert skip.detail == "time-barred: final threatens legal action"
    # The template does not threaten: the letter goes, flagged time-barred.
    letter = decide(barred, history(sent), on=on, guards=d.Guards(limitation_years=6))
    assert letter.lines[0].time_barred
    # A pre-legal stage is always blocked for a time-barred debt.
    pre = POLICY.replace(
        'template = "final-demand"',
        'template = "final-demand"\n'
        '[[sections.std.stages]]\ncategory = "pre-legal"\noffset_days = 45\n',
    )
    sent["I1"].append(d.Sent("final", 1, old_due + timedelta(days=40)))
    blocked = decide(
        barred, history(sent), pol=policy(pre), on=on, guards=d.Guards(limitation_years=6)
    )
    assert blocked.detail == "time-barred: pre-legal threatens legal action"
    # Not barred a day before six years have run.
    fresh = consumer(invoice("I1", due=date(2020, 3, 2)))
    assert decide(
        fresh, history(sent), pol=policy(pre), on=on, guards=d.Guards(limitation_years=6)
    ).sends


def test_collector_first_letter_carries_the_validation_notice():
    guards = d.Guards(collector=True)
    assert decide(consumer(), guards=guards).validation_notice
    later = decide(consumer(), history(last=DUE - timedelta(days=30)), guards=guards)
    assert not later.validation_notice
    assert not decide(account(), guards=guards).validation_notice


def test_decide_all_and_max_letters_per_run():
    pol = policy()
    accounts = [account(customer_id=f"C{n}") for n in range(3)] + [
        account(customer_id="H", on_hold=True),
        account(invoice(due=DUE + timedelta(days=30)), customer_id="Q"),
    ]
    decisions = d.decide_all(accounts, history(), pol, DUE, GUARDS)
    assert [(x.customer_id, x.sends) for x in decisions] == [
        ("C0", True),
        ("C1", True),
        ("C2", True),
        ("H", False),
    ]
    count = sum(x.sends for x in decisions)
    refusal = d.letter_count_refusal(count, pol.max_letters_per_run, None)
    assert refusal is not None
    assert "3 letters are due, more than max_letters_per_run = 2" in refusal
    assert d.letter_count_refusal(count, pol.max_letters_per_run, 3) is None
    assert "--max 2" in (d.letter_count_refusal(count, 50, 2) or "")
    assert d.letter_count_refusal(2, 2, None) is None


def test_baseline_records_positions_and_the_ladder_continues_from_them():
    old = invoice("OLD", due=DUE - timedelta(days=200))
    young = invoice("NEW", due=DUE - timedelta(days=5))
    future = invoice("FUT", due=DUE + timedelta(days=10))
    positions = d.baseline_positions([account(old, young, future)], history(), policy(), DUE)
    assert [(inv.invoice_id, stage) for inv, stage in positions] == [
        ("OLD", "final"),
        ("NEW", "reminder"),
    ]
    hist = history(
        {
            "OLD": [d.Sent("final", 1, DUE, baseline=True)],
            "NEW": [d.Sent("reminder", 1, DUE, baseline=True)],
        }
    )
    # Next day: nothing (no stage newly due; a baseline is not a letter, so no gap either).
    assert (
        d.decide(account(old, young, future), hist, policy(), DUE + timedelta(days=1), GUARDS)
        is None
    )
    # The young invoice reaches firm at +14; the old one repeats final 14 days after baseline;
    # the new one, 4 days past due, starts at the reminder (its courtesy date has passed).
    letter = d.decide(account(old, young, future), hist, policy(), DUE + timedelta(days=14), GUARDS)
    assert [(line.invoice_id, line.stage, line.seq) for line in letter.lines] == [
        ("OLD", "final", 2),
        ("NEW", "firm", 1),
        ("FUT", "reminder", 1),
    ]
    assert d.baseline_positions([account(old)], hist, policy(), DUE) == []

"""Run-level rules: the as-of refusals, retry backoff, contact hours at the moment of sending."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collectctl.domain.dunning_guards import as_of_refusal, hours_refusal, retry_due

TODAY = date(2026, 12, 1)


def test_a_real_run_accepts_today_only():
    assert as_of_refusal(TODAY, TODAY, None, force=False, dry_run=False) is None
    assert as_of_refusal(TODAY, TODAY, TODAY, force=False, dry_run=False) is None


def test_a_future_as_of_is_refused_even_with_force():
    future = TODAY + timedelta(days=1)
    message = as_of_refusal(future, TODAY, None, force=True, dry_run=False)
    assert message is not None
    assert message.startswith("--as-of 2026-12-02 is in the future (today is 2026-12-01")
    assert as_of_refusal(future, TODAY, None, force=False, dry_run=True) is None


def test_a_past_as_of_needs_force_and_never_goes_before_the_last_run():
    past = TODAY - timedelta(days=3)
    assert "add --force" in (as_of_refusal(past, TODAY, None, force=False, dry_run=False) or "")
    assert as_of_refusal(past, TODAY, None, force=True, dry_run=False) is None
    assert as_of_refusal(past, TODAY, past, force=True, dry_run=False) is None
    earlier = as_of_refusal(past, TODAY, past + timedelta(days=1), force=True, dry_run=False)
    assert earlier is not None
    assert "earlier than the last real run (2026-11-29)" in earlier
    assert as_of_refusal(past, TODAY, TODAY, force=False, dry_run=True) is None


def test_retry_backoff_doubles():
    failed = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert retry_due(0, None, failed, 30)
    assert not retry_due(1, failed, failed + timedelta(minutes=29, seconds=59), 30)
    assert retry_due(1, failed, failed + timedelta(minutes=30), 30)
    assert not retry_due(2, failed, failed + timedelta(minutes=59), 30)
    assert retry_due(2, failed, failed + timedelta(minutes=60), 30)
    assert retry_due(3, failed, failed + timedelta(minutes=120), 30)


def test_hours_at_the_moment_of_sending():
    # 20:59:59 and 21:00 EST on 1 December (UTC-5).
    assert (
        hours_refusal(datetime(2026, 12, 2, 1, 59, 59, tzinfo=UTC), "America/New_York", []) is None
    )
    late = hours_refusal(datetime(2026, 12, 2, 2, 0, tzinfo=UTC), "America/New_York", [])
    assert late == "outside 08:00-21:00 in America/New_York: the letter stays due for a later run"
    unknown = hours_refusal(datetime(2026, 12, 1, 16, 0, tzinfo=UTC), None, [])
    assert unknown is not None
    assert "consumer_timezones is empty" in unknown
    both = ["America/New_York", "America/Los_Angeles"]
    assert "one of America/New_York, America/Los_Angeles" in (
        hours_refusal(datetime(2026, 12, 1, 15, 0, tzinfo=UTC), None, both) or ""
    )
    assert hours_refusal(datetime(2026, 12, 1, 17, 0, tzinfo=UTC), None, both) is None

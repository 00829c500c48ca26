"""The freshness guard: sync times parsed as instants, never compared as strings."""

from __future__ import annotations

from datetime import UTC, datetime

from collectctl.domain.freshness import parse_instant, stale_sources

NOW = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)


def test_fresh_at_the_limit_stale_past_it():
    # 26 hours before 07:00 UTC is 05:00 UTC the day before.
    assert stale_sources(["csv"], {"csv": "2026-11-30T05:00:00+00:00"}, NOW, 26) == []
    [message] = stale_sources(["csv"], {"csv": "2026-11-30T04:59:59+00:00"}, NOW, 26)
    assert message.startswith("source csv last synced 2026-11-30T04:59:59+00:00 (26.0 hours ago")
    assert message.endswith("run `collectctl sync csv`")


def test_offsets_are_compared_as_instants():
    # 23:30 at -08:00 is 07:30 UTC the next day: 23.5 hours before NOW, fresh — although the
    # text "2026-11-29T23:30" sorts before "2026-11-30T05:00".
    assert stale_sources(["qb"], {"qb": "2026-11-29T23:30:00-08:00"}, NOW, 26) == []
    # 06:30 at +09:00 is 21:30 UTC the day before last: 33.5 hours, stale.
    assert stale_sources(["qb"], {"qb": "2026-11-30T06:30:00+09:00"}, NOW, 26)


def test_never_synced_unreadable_and_unconfigured():
    assert stale_sources(["csv", "quickbooks"], {"csv": NOW.isoformat()}, NOW, 26) == [
        "source quickbooks has never synced: run `collectctl sync quickbooks`"
    ]
    [naive] = stale_sources(["csv"], {"csv": "2026-12-01T06:00:00"}, NOW, 26)
    assert "unreadable" in naive
    # No [sources] table: every source that synced counts.
    assert stale_sources([], {"a": "2026-11-01T00:00:00+00:00"}, NOW, 26)[0].startswith("source a")
    assert stale_sources([], {}, NOW, 26) == [
        "no source has ever synced: run `collectctl sync` first"
    ]


def test_parse_instant():
    assert parse_instant("2026-12-01T06:00:00+01:00") == datetime(2026, 12, 1, 5, tzinfo=UTC)
    assert parse_instant("yesterday") is None

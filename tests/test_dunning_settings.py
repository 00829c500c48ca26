"""[dunning] settings in config.toml and the per-profile dunning lock."""

from __future__ import annotations

import multiprocessing
import time

import pytest

from collectctl.dunning_settings import DunningSettings, read_settings
from collectctl.errors import ConfigError, LockTimeout
from collectctl.home import DEFAULTS
from collectctl.profile_lock import dunning_lock


def test_defaults():
    settings = read_settings(DEFAULTS, "config.toml")
    assert settings == DunningSettings()
    assert settings.max_sync_age_hours == 26


def problem(table: dict) -> str:
    with pytest.raises(ConfigError) as caught:
        read_settings({"dunning": table}, "c.toml")
    return str(caught.value)


def test_values_are_validated_with_file_and_key():
    assert problem({"max_sync_ages": 3}) == (
        "c.toml: dunning.max_sync_ages: unknown key (did you mean 'max_sync_age_hours'?)"
    )
    assert "dunning.max_sync_age_hours: must be a number" in problem({"max_sync_age_hours": 0})
    zones = problem({"consumer_timezones": "America/Nowhere"})
    assert "dunning.consumer_timezones: unknown time zone" in zones
    assert "dunning.collector: must be true or false" in problem({"collector": "yes"})
    cap = problem({"consumer_sends_per_week": 0})
    assert "dunning.consumer_sends_per_week: must be a whole number >= 1" in cap
    ok = read_settings(
        {"dunning": {"consumer_timezones": "America/New_York", "limitation_years": 0}}, "c"
    )
    assert ok.consumer_timezones == ("America/New_York",)
    assert ok.limitation_years == 0


def _hold_lock(path, ready, release):
    from pathlib import Path

    with dunning_lock(Path(path)):
        ready.set()
        release.wait(10)


def test_a_second_run_of_one_profile_waits_then_gives_up(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    holder = ctx.Process(target=_hold_lock, args=(str(tmp_path), ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        started = time.monotonic()
        busy = r"another dunning run of this profile is running \(pid \d+"
        with pytest.raises(LockTimeout, match=busy), dunning_lock(tmp_path, timeout=0.3):
            pass
        assert time.monotonic() - started >= 0.3
    finally:
        release.set()
        holder.join(20)
    with dunning_lock(tmp_path, timeout=0):
        assert (tmp_path / "dunning.lock").read_text().startswith("pid ")

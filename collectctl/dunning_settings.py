"""The profile's ``[dunning]`` settings (config.toml), typed and validated.

Every key and its default is in docs/configuration.md and docs/dunning.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError
from collectctl.home import DEFAULTS as HOME_DEFAULTS

#: ``[dunning]`` keys and their defaults.
DEFAULTS: Mapping[str, Any] = HOME_DEFAULTS["dunning"]


@dataclass(frozen=True)
class DunningSettings:
    """``[dunning]`` as the run uses it."""

    max_sync_age_hours: float = 26
    consumer_guards: bool = True
    consumer_timezones: tuple[str, ...] = ()
    consumer_sends_per_week: int = 2
    #: ``0`` switches the time-barred test off.
    limitation_years: int = 3
    collector: bool = False
    max_attempts: int = 5
    retry_after_minutes: int = 30


def read_settings(config: Mapping[str, Any], file: Path | str) -> DunningSettings:
    """Validate ``config["dunning"]``; errors name ``file: dunning.KEY``."""
    import difflib

    from collectctl.home import check_timezone

    table = config.get("dunning") or {}

    def bad(key: str, why: str) -> ConfigError:
        return ConfigError(
            f"{file}: dunning.{key}: {why}", hint="See docs/configuration.md ([dunning])."
        )

    for key in table:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(key, list(DEFAULTS), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise bad(key, f"unknown key{hint}")
    values = {**DEFAULTS, **table}

    def whole(key: str, minimum: int) -> int:
        value = values[key]
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise bad(key, f"must be a whole number >= {minimum}, not {value!r}")
        return value

    def flag(key: str) -> bool:
        value = values[key]
        if not isinstance(value, bool):
            raise bad(key, f"must be true or false, not {value!r}")
        return value

    age = values["max_sync_age_hours"]
    if not isinstance(age, int | float) or isinstance(age, bool) or age <= 0:
        raise bad("max_sync_age_hours", f"must be a number of hours > 0, not {age!r}")
    zones = values["consumer_timezones"]
    if isinstance(zones, str):
        zones = [z.strip() for z in zones.split(",") if z.strip()]
    if not isinstance(zones, list) or not all(isinstance(z, str) for z in zones):
        raise bad(
            "consumer_timezones", 'must be IANA names, like "America/New_York,America/Chicago"'
        )
    for zone in zones:
        check_timezone(zone, lambda why: bad("consumer_timezones", why))
    return DunningSettings(
        max_sync_age_hours=float(age),
        consumer_guards=flag("consumer_guards"),
        consumer_timezones=tuple(zones),
        consumer_sends_per_week=whole("consumer_sends_per_week", 1),
        limitation_years=whole("limitation_years", 0),
        collector=flag("collector"),
        max_attempts=whole("max_attempts", 1),
        retry_after_minutes=whole("retry_after_minutes", 0),
    )

"""Run-level dunning rules (pure): which decision days a real run accepts, when a failed letter
may be retried, and the contact-hours check at the moment of sending."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from collectctl.domain import consumer


def as_of_refusal(
    as_of: date, today: date, last_run: date | None, *, force: bool, dry_run: bool
) -> str | None:
    """Why a run may not decide for ``as_of`` (None: it may).

    A dry run may look at any day. A real run (or a baseline) never runs for a future day (a typo
    like 2027 would send early demands and then block every later run), runs for a past day only
    with ``--force``, and never for a day earlier than the profile's last real run.
    """
    if dry_run:
        return None
    if as_of > today:
        return (
            f"--as-of {as_of} is in the future (today is {today} in the profile's time zone): "
            "a real run never sends early; use --dry-run to look ahead"
        )
    if last_run is not None and as_of < last_run:
        return (
            f"--as-of {as_of} is earlier than the last real run ({last_run}): "
            "runs only move forward; use --dry-run to look back"
        )
    if as_of != today and not force:
        return (
            f"--as-of {as_of} is not today ({today} in the profile's time zone): "
            "add --force to send for a past day, or --dry-run to look"
        )
    return None


def retry_due(
    attempts: int, last_attempt: datetime | None, now: datetime, base_minutes: int
) -> bool:
    """A failed letter is retried ``base_minutes`` after its first failure, then after twice as
    long, four times, ... (exponential backoff). ``last_attempt`` None: retry now."""
    if last_attempt is None or attempts <= 0:
        return True
    wait = timedelta(minutes=base_minutes * 2 ** (attempts - 1))
    return now >= last_attempt + wait


def hours_refusal(instant: datetime, timezone: str | None, candidates: Iterable[str]) -> str | None:
    """Why a consumer may not be written to at ``instant`` (None: they may)."""
    zones = consumer.contact_zones(timezone, candidates)
    if not zones:
        return (
            "no time zone known and [dunning] consumer_timezones is empty: "
            "set the customer's timezone (account set ID --timezone ...)"
        )
    if consumer.within_hours_everywhere(instant, zones):
        return None
    where = zones[0] if len(zones) == 1 else f"one of {', '.join(zones)}"
    return f"outside 08:00-21:00 in {where}: the letter stays due for a later run"

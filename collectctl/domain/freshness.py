"""The freshness guard (pure): refuse to chase from books that were last synced too long ago.

Which sources count: every source in the profile's ``[sources]``; a listed source that never
synced is stale. With no ``[sources]`` table, every source that ever synced counts.
``sync_log.finished_at`` is ISO text with an offset; it is parsed as an aware datetime and
compared as an instant, never as a string (a string comparison breaks across offset changes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta


def parse_instant(text: str) -> datetime | None:
    """An ISO timestamp with an offset as an aware datetime (None: unreadable or no offset)."""
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None or moment.utcoffset() is None:
        return None
    return moment


def stale_sources(
    configured: Iterable[str],
    last_sync: Mapping[str, str | None],
    now: datetime,
    max_age_hours: float,
) -> list[str]:
    """One message per stale source (empty: all fresh), naming it and its sync command."""
    names = list(configured) or sorted(last_sync)
    if not names:
        return ["no source has ever synced: run `collectctl sync` first"]
    limit = timedelta(hours=max_age_hours)
    problems = []
    for name in names:
        stamp = last_sync.get(name)
        fix = f"run `collectctl sync {name}`"
        if stamp is None:
            problems.append(f"source {name} has never synced: {fix}")
            continue
        moment = parse_instant(stamp)
        if moment is None:
            problems.append(f"source {name}: last sync time {stamp!r} is unreadable: {fix}")
            continue
        age = now.astimezone(UTC) - moment.astimezone(UTC)
        if age > limit:
            hours = age.total_seconds() / 3600
            problems.append(
                f"source {name} last synced {moment.isoformat()} ({hours:.1f} hours ago, "
                f"more than [dunning] max_sync_age_hours = {max_age_hours:g}): {fix}"
            )
    return problems

"""Consumer guards (US Regulation F, 12 CFR 1006, as in docs/dunning.md; not legal advice).

Pure functions over plain values; the caller supplies the instant (the moment of sending, never
the decision time) and the dates.

- :func:`within_hours`: 08:00 <= local time < 21:00 in the debtor's zone (1006.6(b)(1)), DST
  handled by :mod:`zoneinfo`; :func:`within_hours_everywhere` for a consumer with no known zone
  (the hour must be allowed in every candidate zone).
- :func:`sends_in_last_7_days` / :func:`under_send_cap`: a cap of sends per debt per 7 days.
- :func:`time_barred`: the limitation period has run, counted from the due date or the last
  payment, whichever is later.
- :func:`validation_end_date`: receipt assumed 5 business days after sending (weekends and US
  federal holidays excluded, 1006.34(b)(5)), then 30 days.
- :func:`call_attempt_warning`: the 8th call attempt in 7 consecutive days (1006.14(b)).
- :func:`manual_send_refusals`: the same guards for a letter sent by hand (``letter write
  --send``), which ``--force`` overrides.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from collectctl.domain.calendar import add_business_days

#: First allowed local time (inclusive) and the end of the window (exclusive).
WINDOW_START = time(8, 0)
WINDOW_END = time(21, 0)
#: Business days after sending on which receipt may be assumed, and the validation period.
RECEIPT_BUSINESS_DAYS = 5
VALIDATION_DAYS = 30
#: Call attempts per debt in 7 consecutive days above which a violation is presumed.
MAX_CALL_ATTEMPTS = 7
WEEK = 7


@lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def local_time(instant: datetime, zone: str) -> datetime:
    """``instant`` (aware) as wall-clock time in ``zone``."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("the instant must be an aware datetime")
    return instant.astimezone(_zone(zone))


def within_hours(instant: datetime, zone: str) -> bool:
    """True when ``instant`` falls in 08:00 <= local < 21:00 in ``zone``."""
    wall = local_time(instant, zone).time().replace(tzinfo=None)
    return WINDOW_START <= wall < WINDOW_END


def within_hours_everywhere(instant: datetime, zones: Iterable[str]) -> bool:
    """True when ``instant`` is inside the window in every zone (none given: never)."""
    names = list(zones)
    return bool(names) and all(within_hours(instant, zone) for zone in names)


def contact_zones(timezone: str | None, candidates: Iterable[str]) -> tuple[str, ...]:
    """The zones a consumer's window is checked in: their own, else every candidate zone."""
    if timezone:
        return (timezone,)
    return tuple(candidates)


def sends_in_last_7_days(sent_on: Iterable[date], as_of: date) -> int:
    """How many sends fell in the 7 consecutive days ending with ``as_of`` (inclusive)."""
    first = as_of - timedelta(days=WEEK - 1)
    return sum(1 for day in sent_on if first <= day <= as_of)


def under_send_cap(sent_on: Iterable[date], as_of: date, cap: int) -> bool:
    """True when one more send to this debt today stays within ``cap`` sends per 7 days."""
    return sends_in_last_7_days(sent_on, as_of) < cap


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a non-leap year: the period ends on 1 March
        return date(day.year + years, 3, 1)


def limitation_start(due_date: date, last_payment_on: date | None) -> date:
    """When the limitation period starts: the due date, or a later payment on the debt."""
    if last_payment_on is not None and last_payment_on > due_date:
        return last_payment_on
    return due_date


def time_barred(
    due_date: date, last_payment_on: date | None, as_of: date, limitation_years: int | None
) -> bool:
    """True when ``limitation_years`` have run since :func:`limitation_start` (None: never)."""
    if limitation_years is None:
        return False
    start = limitation_start(due_date, last_payment_on)
    if start.year + limitation_years > 9999:
        return False
    return as_of >= _add_years(start, limitation_years)


def assumed_receipt(sent_on: date) -> date:
    """The date a notice sent on ``sent_on`` may be assumed received (5 business days on)."""
    return add_business_days(sent_on, RECEIPT_BUSINESS_DAYS)


def validation_end_date(sent_on: date) -> date:
    """The end of the validation period: 30 days after the assumed receipt."""
    return assumed_receipt(sent_on) + timedelta(days=VALIDATION_DAYS)


def call_attempt_warning(attempts_on: Iterable[date], as_of: date) -> str | None:
    """A warning when a call logged on ``as_of`` is the 8th (or later) attempt in 7 days.

    ``attempts_on`` holds the earlier attempts' dates; the new attempt is counted too.
    """
    count = sends_in_last_7_days(attempts_on, as_of) + 1
    if count <= MAX_CALL_ATTEMPTS:
        return None
    return (
        f"this is call attempt {count} on this debt in the 7 days to {as_of.isoformat()}: "
        f"more than {MAX_CALL_ATTEMPTS} is presumed harassment under Regulation F "
        "(12 CFR 1006.14(b)) for consumer debts"
    )


@dataclass(frozen=True, slots=True)
class ManualSend:
    """What the consumer guards look at before a letter to a consumer is sent by hand.

    Gathered by the caller from the ledger and the clock; ``sends`` maps each demanded invoice's
    number to the dates of the letters already sent on that debt (manual and automatic alike).
    """

    channel: str
    ceased: bool = False
    opted_out: frozenset[str] = frozenset()
    disputed: bool = False
    sends: Mapping[str, Sequence[date]] = field(default_factory=dict)
    #: Numbers of the demanded invoices whose limitation period has run.
    time_barred: Sequence[str] = ()
    threatens_legal_action: bool = False
    #: Why the moment of sending is outside the contact hours (None: it is within them).
    hours: str | None = None


def manual_send_refusals(facts: ManualSend, as_of: date, sends_per_week: int) -> list[str]:
    """Every reason the consumer guards refuse a letter sent by hand (empty: it may go).

    The same rules as an automatic run (docs/dunning.md, "Consumer guards"): a cease recorded,
    the channel opted out, an open dispute on the account, the per-debt send cap, a letter that
    threatens legal action on a time-barred debt, and the contact hours at the moment of sending.
    """
    why: list[str] = []
    if facts.ceased:
        why.append("a cease of communication is recorded (account cease)")
    if facts.channel in facts.opted_out:
        why.append(f"the consumer opted out of {facts.channel} (account optout)")
    if facts.disputed:
        why.append("an open dispute stops the whole consumer account")
    capped = sorted(
        n for n, days in facts.sends.items() if not under_send_cap(days, as_of, sends_per_week)
    )
    if capped:
        why.append(
            f"send cap: {sends_per_week} letters in 7 days already sent on {', '.join(capped)}"
        )
    if facts.threatens_legal_action and facts.time_barred:
        why.append(
            f"time-barred: {', '.join(sorted(facts.time_barred))} and this letter threatens legal "
            "action"
        )
    if facts.hours:
        why.append(facts.hours)
    return why

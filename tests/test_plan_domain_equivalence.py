"""The faster ``_broken`` in collectctl.domain.plans (made for ``plan status`` on 10k plans)
answers exactly as the first, straightforward version did: same day, same reason."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from collectctl.domain.plan_tracking import InstallmentState, _broken, _match, _unpaid_at_start_of
from collectctl.domain.plans import propose


def reference_broken(
    states: Sequence[InstallmentState], as_of: date, grace_days: int, max_missed: int
) -> tuple[date | None, str | None]:
    """The original implementation (commit 19c95da), kept as the oracle."""
    candidates: list[tuple[date, str]] = []
    for state in states:
        day = state.due + timedelta(days=grace_days + 1)
        if day <= as_of and _unpaid_at_start_of(state, day):
            candidates.append(
                (
                    day,
                    f"installment {state.number} due {state.due.isoformat()} was not paid "
                    f"within {grace_days} days of grace",
                )
            )
        day = state.due + timedelta(days=1)
        if day <= as_of:
            missed = [s for s in states if s.due < day and _unpaid_at_start_of(s, day)]
            if len(missed) > max_missed:
                candidates.append(
                    (
                        day,
                        f"{len(missed)} installments past due and unpaid on {day.isoformat()} "
                        f"(at most {max_missed} allowed)",
                    )
                )
    if not candidates:
        return None, None
    return min(candidates, key=lambda candidate: candidate[0])


START = date(2026, 1, 31)


@settings(max_examples=400)
@given(
    n=st.integers(1, 8),
    every=st.sampled_from(["week", "2weeks", "month"]),
    down=st.integers(0, 3),
    payments=st.lists(st.tuples(st.integers(-5, 300), st.integers(1, 6000)), max_size=10),
    as_of=st.integers(-3, 320),
    grace=st.integers(0, 12),
    max_missed=st.integers(0, 3),
)
def test_broken_matches_the_reference(n, every, down, payments, as_of, grace, max_missed):
    schedule = propose(10000, "USD", installments=n, every=every, start=START, down_minor=down)
    day = START + timedelta(days=as_of)
    receipts = [
        (START + timedelta(days=d), a) for d, a in payments if START + timedelta(days=d) <= day
    ]
    states, _excess = _match(schedule.lines, receipts)
    assert _broken(states, day, grace, max_missed) == reference_broken(
        states, day, grace, max_missed
    )


def test_same_day_ties_keep_the_first_reason():
    # grace 0: installment 1's grace day and its missed-count day are the same day
    schedule = propose(9000, "USD", installments=3, every="week", start=START)
    states, _ = _match(schedule.lines, [])
    as_of = START + timedelta(days=30)
    for grace, missed in [(0, 0), (6, 0), (6, 1), (7, 1), (13, 1), (0, 2)]:
        assert _broken(states, as_of, grace, missed) == reference_broken(
            states, as_of, grace, missed
        )

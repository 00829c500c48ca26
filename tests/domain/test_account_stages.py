"""Stages, flags, skip reasons, holds and disputes: the first-match rules (domain.accounts)."""

from __future__ import annotations

from datetime import date

import pytest

from collectctl.domain.accounts import (
    AccountFlags,
    chaseable,
    derive_stage,
    flag_names,
    skip_reasons,
)
from collectctl.domain.collection import dispute_open, hold_active

D = date.fromisoformat


@pytest.mark.parametrize(
    ("flags", "stage"),
    [
        (AccountFlags(), "current"),
        (AccountFlags(overdue=True), "overdue"),
        (AccountFlags(overdue=True, promise_open=True), "promised"),
        (AccountFlags(overdue=True, promise_open=True, active_plans=1), "plan"),
        (AccountFlags(promise_open=True, open_disputes=2), "disputed"),
        (AccountFlags(open_disputes=1, on_hold=True), "on-hold"),
        (AccountFlags(on_hold=True, escalated=True), "escalated"),
        (AccountFlags(overdue=True, promise_broken=True), "overdue"),
    ],
)
def test_stage_is_first_match(flags, stage):
    assert derive_stage(flags) == stage


def test_flags_and_skip_reasons():
    flags = AccountFlags(overdue=True, on_hold=True, open_disputes=1, promise_broken=True)
    assert flag_names(flags) == ["hold", "dispute", "promise-broken"]
    assert skip_reasons(flags) == ["on hold"]
    assert skip_reasons(AccountFlags(promise_open=True, escalated=True)) == [
        "escalated",
        "promise to pay not yet due",
    ]
    assert skip_reasons(AccountFlags(overdue=True, promise_broken=True)) == []
    assert chaseable(["I1", "I2", "I3"], {"I2"}) == ["I1", "I3"]


def test_hold_expires_by_itself_and_ends_on_release():
    start, until = D("2026-12-01"), D("2026-12-15")
    assert not hold_active(start, until, None, D("2026-11-30"))
    assert hold_active(start, until, None, D("2026-12-01"))
    assert hold_active(start, until, None, D("2026-12-15"))
    assert not hold_active(start, until, None, D("2026-12-16"))
    assert hold_active(start, None, None, D("2030-01-01"))
    assert hold_active(start, None, D("2026-12-05"), D("2026-12-04"))
    assert not hold_active(start, None, D("2026-12-05"), D("2026-12-05"))


def test_dispute_open_until_resolved():
    assert not dispute_open(D("2026-12-01"), None, D("2026-11-30"))
    assert dispute_open(D("2026-12-01"), D("2026-12-05"), D("2026-12-04"))
    assert not dispute_open(D("2026-12-01"), D("2026-12-05"), D("2026-12-05"))

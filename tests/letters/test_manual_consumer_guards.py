"""A letter sent by hand (`letter write --send`) to a consumer obeys the same consumer guards as
`dunning run` — cease, opt-out, open dispute, the per-debt send cap, contact hours — unless
`--force`; a refused letter records nothing."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from letter_helpers import AS_OF, CREDITOR, set_config

from collectctl.domain import consumer

NEW_YORK = ZoneInfo("America/New_York")


def instant(local: str) -> datetime:
    """``local`` New York time on the letter date, as the UTC instant of sending."""
    return datetime.fromisoformat(f"{AS_OF}T{local}").replace(tzinfo=NEW_YORK).astimezone(UTC)


@pytest.fixture
def consumer_c1(cli, synced, collectctl_home, monkeypatch):
    """C1 made a consumer in New York; the moment of sending is noon there."""
    monkeypatch.setattr("collectctl.letters.send.utc_now", lambda: instant("12:00:00"))
    result = cli("account", "set", "C1", "--kind", "consumer", "--timezone", "America/New_York")
    assert result.exit_code == 0, result.stderr
    return collectctl_home


def send(cli, tmp_path, *extra, stage="reminder"):
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    args = ["--stage", stage, "--send", "file", "--output", str(out), *extra]
    return cli("letter", "C1", "--as-of", AS_OF, *args)


def letters(home) -> int:
    conn = sqlite3.connect(home / "profiles" / "default" / "ledger.db")
    try:
        return conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0]
    finally:
        conn.close()


def ok(cli, *args):
    result = cli("account", *args)
    assert result.exit_code == 0, result.stderr


def test_a_consumer_with_nothing_against_it_gets_the_letter(cli, consumer_c1, tmp_path):
    result = send(cli, tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "LTR-1" in result.stderr
    assert letters(consumer_c1) == 1


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (("cease", "C1", "--as-of", AS_OF), "a cease of communication is recorded"),
        (("optout", "C1", "--channel", "file", "--as-of", AS_OF), "opted out of file"),
        (
            (
                "dispute",
                "C1",
                "--invoice",
                "INV-1001",
                "--reason",
                "wrong-amount",
                "--as-of",
                AS_OF,
            ),
            "an open dispute stops the whole consumer account",
        ),
    ],
)
def test_a_recorded_objection_refuses_the_letter_unless_forced(
    cli, consumer_c1, tmp_path, record, reason
):
    ok(cli, *record)
    refused = send(cli, tmp_path)
    assert refused.exit_code == 1
    assert reason in refused.stderr
    assert "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert letters(consumer_c1) == 0  # nothing claimed, nothing recorded
    forced = send(cli, tmp_path, "--force")
    assert forced.exit_code == 0, forced.stderr
    assert letters(consumer_c1) == 1


def test_a_cease_recorded_today_stops_a_letter_dated_earlier(cli, consumer_c1, tmp_path):
    ok(cli, "cease", "C1")  # today, after the letter date
    refused = send(cli, tmp_path)
    assert refused.exit_code == 1
    assert "cease" in refused.stderr


def test_the_send_cap_counts_manual_letters_per_debt(cli, consumer_c1, tmp_path):
    set_config(consumer_c1, CREDITOR + "[dunning]\nconsumer_sends_per_week = 1\n")
    assert send(cli, tmp_path).exit_code == 0
    again = send(cli, tmp_path, stage="firm")
    assert again.exit_code == 1
    assert "send cap: 1 letters in 7 days already sent on INV-1001" in again.stderr
    assert letters(consumer_c1) == 1


@pytest.mark.parametrize(
    ("local", "sent"), [("07:59:59", False), ("08:00:00", True), ("21:00:00", False)]
)
def test_contact_hours_at_the_moment_of_sending(
    cli, consumer_c1, tmp_path, monkeypatch, local, sent
):
    monkeypatch.setattr("collectctl.letters.send.utc_now", lambda: instant(local))
    result = send(cli, tmp_path)
    assert (result.exit_code == 0) is sent, result.stderr
    if not sent:
        assert "outside 08:00-21:00 in America/New_York" in result.stderr


def test_guards_can_be_switched_off_and_never_touch_a_business(
    cli, synced, collectctl_home, tmp_path
):
    ok(cli, "cease", "C1", "--as-of", AS_OF)  # a cease on a business account: not a consumer
    assert send(cli, tmp_path).exit_code == 0
    ok(cli, "set", "C1", "--kind", "consumer")
    set_config(collectctl_home, CREDITOR + "[dunning]\nconsumer_guards = false\n")
    assert send(cli, tmp_path, stage="firm").exit_code == 0
    assert letters(collectctl_home) == 2


def test_dry_run_reports_the_refusal_too(cli, consumer_c1, tmp_path):
    ok(cli, "cease", "C1", "--as-of", AS_OF)
    result = send(cli, tmp_path, "--dry-run")
    assert result.exit_code == 1
    assert "cease" in result.stderr
    assert letters(consumer_c1) == 0


def test_manual_send_refusals_lists_every_reason():
    day = date(2026, 11, 30)
    facts = consumer.ManualSend(
        channel="email",
        ceased=True,
        opted_out=frozenset({"email"}),
        disputed=True,
        sends={"A-1": [date(2026, 11, 24), date(2026, 11, 29)], "A-2": [date(2026, 11, 23)]},
        time_barred=["A-1"],
        threatens_legal_action=True,
        hours="outside 08:00-21:00 in America/New_York: the letter stays due for a later run",
    )
    why = consumer.manual_send_refusals(facts, day, sends_per_week=2)
    assert why == [
        "a cease of communication is recorded (account cease)",
        "the consumer opted out of email (account optout)",
        "an open dispute stops the whole consumer account",
        "send cap: 2 letters in 7 days already sent on A-1",  # A-2's one send is outside the 7 days
        "time-barred: A-1 and this letter threatens legal action",
        "outside 08:00-21:00 in America/New_York: the letter stays due for a later run",
    ]
    clean = consumer.ManualSend(channel="file", opted_out=frozenset({"email"}), time_barred=["A-1"])
    assert consumer.manual_send_refusals(clean, day, sends_per_week=2) == []

"""`collectctl dunning run` end to end on a real ledger: dry-run parity, once per day, refusals,
baseline, the re-check inside the claim, contact hours at the moment of sending."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from dunning_helpers import (
    POLICY,
    TODAY,
    ledger_execute,
    ledger_rows,
    profile_dir,
    sends,
    skips,
    write_books,
    write_config,
    write_policy,
)

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


@pytest.fixture
def synced(cli, collectctl_home, tmp_path):
    write_config(collectctl_home)
    books = write_books(tmp_path / "books")
    result = cli("sync", "csv", str(books))
    assert result.exit_code == 0, result.stderr
    assert cli("account", "hold", "held", "--reason", "talking to them").exit_code == 0
    return books


def run(cli, policy, *args, code=0):
    result = cli("dunning", "run", "--policy", str(policy), *args, "--format", "json")
    assert result.exit_code == code, result.stderr + result.stdout
    return json.loads(result.stdout) if result.stdout.strip() else None


def counts(home):
    return ledger_rows(
        home,
        "SELECT (SELECT COUNT(*) FROM letters), (SELECT COUNT(*) FROM letter_invoices), "
        "(SELECT COUNT(*) FROM dunning_runs)",
    )[0]


def test_dry_run_and_real_run_make_the_same_decisions(cli, synced, collectctl_home, tmp_path):
    policy = write_policy(tmp_path)
    dry = run(cli, policy, "--dry-run")
    assert counts(collectctl_home) == (0, 0, 0)  # a dry run writes nothing
    assert not (profile_dir(collectctl_home) / "letters").exists()
    real = run(cli, policy)
    assert sends(dry) == sends(real)
    assert skips(dry) == skips(real)
    expected = [
        ("acme", "firm", (("a1", "firm", 1), ("a2", "reminder", 1))),
        ("beta", "final", (("b1", "final", 1),)),
    ]
    assert sends(real) == expected
    assert sorted(skips(real)) == [("held", "on-hold"), ("small", "under-minimum")]
    assert {d["status"] for d in dry["decisions"] if not d["skip_reason"]} == {"would-send"}
    assert {d["status"] for d in real["decisions"] if not d["skip_reason"]} == {"sent"}
    assert real["run"] == "RUN-1"
    # beta has no email address: the fallback channel (file) was used for both.
    written = sorted(p.name for p in (profile_dir(collectctl_home) / "letters").iterdir())
    assert len(written) == 2
    assert counts(collectctl_home) == (2, 3, 1)


def test_a_second_run_the_same_day_sends_nothing(cli, synced, collectctl_home, tmp_path):
    policy = write_policy(tmp_path)
    first = run(cli, policy)
    assert len(sends(first)) == 2
    second = run(cli, policy)
    assert sends(second) == []
    assert counts(collectctl_home)[0] == 2
    assert not second["summary"].get("sent")


def test_a_manual_letter_counts_as_an_automatic_one(cli, synced, collectctl_home, tmp_path):
    sent = cli("letter", "acme", "--stage", "firm", "--invoice", "a1", "--send", "file")
    assert sent.exit_code == 0, sent.stderr
    doc = run(cli, write_policy(tmp_path), "--dry-run")
    assert ("acme", "gap-not-passed") in skips(doc)


def test_stale_sync_is_refused_naming_the_source(cli, synced, collectctl_home, tmp_path):
    old = (datetime.now(UTC) - timedelta(hours=27)).isoformat(timespec="seconds")
    ledger_execute(collectctl_home, "UPDATE sync_log SET finished_at = ?", (old,))
    policy = write_policy(tmp_path)
    result = cli("dunning", "run", "--policy", str(policy))
    assert result.exit_code == 1
    assert "refusing to send from stale books" in result.stderr
    assert "source csv last synced" in result.stderr
    assert "run `collectctl sync csv`" in result.stderr
    assert counts(collectctl_home) == (0, 0, 0)
    dry = run(cli, policy, "--dry-run")  # a dry run only warns
    assert any("source csv" in w for w in dry["warnings"])
    assert len(sends(run(cli, policy, "--allow-stale"))) == 2


def test_as_of_refusals(cli, synced, collectctl_home, tmp_path):
    policy = write_policy(tmp_path)
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    future = cli("dunning", "run", "--policy", str(policy), "--as-of", tomorrow, "--force")
    assert future.exit_code == 1
    assert "is in the future" in future.stderr
    past = (TODAY - timedelta(days=2)).isoformat()
    refused = cli("dunning", "run", "--policy", str(policy), "--as-of", past)
    assert refused.exit_code == 1
    assert "add --force" in refused.stderr
    assert counts(collectctl_home) == (0, 0, 0)
    run(cli, policy)  # today
    earlier = cli("dunning", "run", "--policy", str(policy), "--as-of", past, "--force")
    assert earlier.exit_code == 1
    assert "earlier than the last real run" in earlier.stderr
    assert run(cli, policy, "--as-of", past, "--dry-run")["as_of"] == past


def test_max_letters_per_run(cli, synced, collectctl_home, tmp_path):
    policy = write_policy(tmp_path, text=POLICY.replace("max_letters_per_run = 10",
                                                       "max_letters_per_run = 1"))  # fmt: skip
    result = cli("dunning", "run", "--policy", str(policy))
    assert result.exit_code == 1
    assert "2 letters are due, more than max_letters_per_run = 1 allows" in result.stderr
    assert counts(collectctl_home) == (0, 0, 0)
    assert len(sends(run(cli, policy, "--max", "2"))) == 2


def test_baseline_records_positions_without_sending(cli, synced, collectctl_home, tmp_path):
    policy = write_policy(tmp_path)
    doc = run(cli, policy, "--baseline")
    assert doc["mode"] == "baseline"
    assert doc["baseline_rungs"] == 5  # a1 firm, a2 reminder, b1 final, h1 final, s1 reminder
    assert ledger_rows(collectctl_home, "SELECT COUNT(*) FROM letters") == [(0,)]
    after = run(cli, policy, "--dry-run")
    assert sends(after) == []


def test_paid_between_decision_and_send(cli, synced, collectctl_home, tmp_path):
    """The decision is made, then a sync commits a payment: the claim's re-check drops it."""
    from collectctl.app import App
    from collectctl.dunning_policy_file import load_policy
    from collectctl.dunning_settings import read_settings
    from collectctl.letters.dunning_run import RunOptions, RunReport, decide, guards_for
    from collectctl.letters.dunning_send import send_all
    from collectctl.letters.letter import letter_config

    app = App()
    policy_path = write_policy(tmp_path)
    policy, sha = load_policy(policy_path)
    settings = read_settings(app.config, "config.toml")
    decisions = decide(app, policy, settings, TODAY, guards_for(settings, frozenset()))
    assert [d.customer_id for d in decisions if d.sends] == ["acme", "beta"]
    paid = write_books(tmp_path / "books", payments=[("p1", "beta", "b1", "900.00")])
    assert cli("sync", "csv", str(paid)).exit_code == 0
    report = RunReport(as_of=TODAY, mode="send", run=None, policy=str(policy_path))
    send_all(
        app, decisions, TODAY, sha, RunOptions(policy_path), settings,
        letter_config(app.config, app.profile_dir), report, lambda: datetime.now(UTC),
    )  # fmt: skip
    app.close()
    by_customer = {o.decision.customer_id: o for o in report.outcomes}
    assert by_customer["acme"].status == "sent"
    assert by_customer["beta"].status == "not-claimed"
    assert "paid" in by_customer["beta"].message
    assert ledger_rows(collectctl_home, "SELECT DISTINCT invoice_ext FROM letter_invoices") == [
        ("a1",),
        ("a2",),
    ]


@pytest.mark.parametrize(
    ("local", "status"),
    [
        ("07:59:59", "deferred"),
        ("08:00:00", "sent"),
        ("20:59:59", "sent"),
        ("21:00:00", "deferred"),
    ],
)
def test_consumer_hours_at_the_moment_of_sending(cli, collectctl_home, tmp_path, local, status):
    from zoneinfo import ZoneInfo

    from collectctl.app import App
    from collectctl.letters.dunning_run import RunOptions, run_dunning

    write_config(collectctl_home)
    books = write_books(tmp_path / "books")
    text = (
        (books / "customers.csv")
        .read_text()
        .replace(
            "acme,Acme Ltd,ap@acme.example,business,USD,Europe/London",
            "acme,Acme Ltd,ap@acme.example,consumer,USD,America/New_York",
        )
    )
    (books / "customers.csv").write_text(text)
    assert cli("sync", "csv", str(books)).exit_code == 0
    # The instant: `local` New York time on today's date (DST as it falls).
    wall = datetime.fromisoformat(f"{TODAY.isoformat()}T{local}")
    instant = wall.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    app = App()
    report = run_dunning(
        app, RunOptions(write_policy(tmp_path), as_of=instant.date(), force=True),
        now=lambda: instant,
    )  # fmt: skip
    app.close()
    (acme,) = [o for o in report.outcomes if o.decision.customer_id == "acme"]
    assert acme.status == status
    if status == "deferred":
        assert "outside 08:00-21:00 in America/New_York" in acme.message


def test_preview_renders_the_would_be_letters_and_records_nothing(
    cli, synced, collectctl_home, tmp_path
):
    preview = tmp_path / "preview"
    doc = run(cli, write_policy(tmp_path), "--dry-run", "--preview", str(preview))
    files = sorted(p.name for p in preview.iterdir())
    assert len(files) == len(sends(doc)) == 2
    assert all(name.endswith(".pdf") for name in files)  # the file channel's format
    assert counts(collectctl_home) == (0, 0, 0)
    refused = cli(
        "dunning", "run", "--policy", str(write_policy(tmp_path)), "--preview", str(preview)
    )
    assert refused.exit_code == 2  # a usage error, like any option clash
    assert "--preview needs --dry-run" in refused.stderr
    clash = cli("dunning", "run", "--policy", str(write_policy(tmp_path)), "--baseline", "-n")
    assert clash.exit_code == 2
    assert "cannot be a dry run" in clash.stderr


@pytest.mark.parametrize("dry", [["--dry-run"], []])
def test_a_policy_naming_a_channel_not_installed_sends_nothing(
    cli, synced, collectctl_home, tmp_path, dry
):
    policy = write_policy(tmp_path, channel="fax")
    result = cli("dunning", "run", "--policy", str(policy), *dry)
    assert result.exit_code == 1, result.stdout
    assert f"{policy}:sections.std.channel: 'fax' is not one of email, file" in result.stderr
    assert "would-send" not in result.stdout
    assert counts(collectctl_home) == (0, 0, 0)


def test_without_an_smtp_host_no_email_letter_is_claimed(cli, synced, collectctl_home, tmp_path):
    # acme would go by email, but [smtp] has no host: reported failed, nothing recorded for it
    # (so nothing holds acme back once the host is set); beta's file letter still goes.
    policy = write_policy(tmp_path, channel="email")
    doc = run(cli, policy, code=1)
    acme = next(d for d in doc["decisions"] if d["customer_id"] == "acme")
    assert acme["status"] == "failed"
    assert "[smtp] host is not set" in acme["message"]
    assert "nothing recorded" in acme["message"]
    assert ledger_rows(
        collectctl_home, "SELECT customer_ext, channel, status FROM letters ORDER BY id"
    ) == [("beta", "file", "sent")]

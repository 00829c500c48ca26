"""`account cease` and `account optout` stop dunning for consumers (and can be lifted)."""

from __future__ import annotations

import json

import pytest
from dunning_helpers import ledger_rows, write_books, write_config, write_policy

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


@pytest.fixture
def consumer(cli, collectctl_home, tmp_path):
    write_config(collectctl_home, '[dunning]\nconsumer_timezones = "America/New_York"\n')
    books = write_books(tmp_path / "books")
    text = (
        (books / "customers.csv")
        .read_text()
        .replace("acme,Acme Ltd,ap@acme.example,business", "acme,Acme Ltd,ap@acme.example,consumer")
    )
    (books / "customers.csv").write_text(text)
    assert cli("sync", "csv", str(books)).exit_code == 0
    return write_policy(tmp_path, channel="email")


def acme(cli, policy):
    result = cli("dunning", "run", "--policy", str(policy), "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.stderr
    (found,) = [d for d in json.loads(result.stdout)["decisions"] if d["customer_id"] == "acme"]
    return found


def ok(cli, *args):
    result = cli("account", *args)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_cease_stops_dunning_until_lifted(cli, consumer):
    assert acme(cli, consumer)["status"] == "would-send"
    out = ok(cli, "cease", "acme", "--note", "letter of 3 Dec: stop contacting me")
    assert out.startswith("CEA-1: Acme Ltd (acme) asked to cease communication on")
    skip = acme(cli, consumer)
    assert (skip["skip_reason"], skip["message"]) == (
        "consumer-guard",
        "cease communication recorded (account cease)",
    )
    assert "CEA-1 lifted" in ok(cli, "cease", "acme", "--lift", "consumer consented")
    assert acme(cli, consumer)["status"] == "would-send"


def test_cease_of_an_unknown_account_or_nothing_to_lift(cli, consumer):
    unknown = cli("account", "cease", "nobody")
    assert unknown.exit_code == 1
    assert "nobody" in unknown.stderr
    nothing = cli("account", "cease", "acme", "--lift", "x")
    assert nothing.exit_code == 1
    assert "has no cease record" in nothing.stderr


def test_optout_uses_the_fallback_then_skips(cli, consumer, collectctl_home):
    ok(cli, "optout", "acme", "--channel", "email")
    assert acme(cli, consumer)["channel"] == "file"
    ok(cli, "optout", "acme", "--channel", "file")
    skip = acme(cli, consumer)
    assert (skip["skip_reason"], skip["message"]) == ("consumer-guard", "opted out of email, file")
    ok(cli, "optout", "acme", "--channel", "email", "--lift", "asked for email again")
    assert acme(cli, consumer)["channel"] == "email"
    rows = ledger_rows(
        collectctl_home, "SELECT channel, voided_on IS NOT NULL FROM channel_optouts"
    )
    assert sorted(rows) == [("email", 1), ("file", 0)]


def test_a_collectors_first_letter_carries_the_validation_notice(cli, collectctl_home, tmp_path):
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    import pypdfium2
    from dunning_helpers import TODAY, profile_dir

    from collectctl.app import App
    from collectctl.domain.consumer import validation_end_date
    from collectctl.letters.dunning_run import RunOptions, run_dunning

    write_config(collectctl_home, "[dunning]\ncollector = true\n")
    books = write_books(tmp_path / "books")
    text = (
        (books / "customers.csv")
        .read_text()
        .replace(
            "acme,Acme Ltd,ap@acme.example,business,USD,Europe/London",
            "acme,Acme Ltd,,consumer,USD,America/New_York",
        )
    )
    (books / "customers.csv").write_text(text)
    assert cli("sync", "csv", str(books)).exit_code == 0
    noon = datetime.fromisoformat(f"{TODAY.isoformat()}T12:00:00")
    instant = noon.replace(tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)
    app = App()
    report = run_dunning(
        app, RunOptions(write_policy(tmp_path, channel="file"), as_of=instant.date(), force=True),
        now=lambda: instant,
    )  # fmt: skip
    app.close()
    by_customer = {o.decision.customer_id: o for o in report.outcomes}
    assert by_customer["acme"].status == "sent"
    assert by_customer["acme"].decision.validation_notice is True
    assert by_customer["beta"].decision.validation_notice is False  # a business account
    (pdf,) = [p for p in (profile_dir(collectctl_home) / "letters").iterdir() if "acme" in p.name]
    page_text = " ".join(
        page.get_textpage().get_text_range() for page in pypdfium2.PdfDocument(str(pdf))
    )
    words = " ".join(page_text.split())
    assert "Validation notice" in words
    assert f"You have until {validation_end_date(instant.date()).isoformat()}" in words


def test_templates_declare_whether_they_threaten_legal_action(tmp_path):
    import tomllib

    from collectctl.domain.dunning_policy import parse_policy
    from collectctl.letters.dunning_run import threatening_templates

    policy = parse_policy(
        tomllib.loads(
            '[[sections.s.stages]]\ncategory = "firm"\noffset_days = 14\n'
            '[[sections.s.stages]]\ncategory = "final"\noffset_days = 30\n'
        ),
        "p.toml",
    )
    assert threatening_templates(policy, tmp_path, {"en"}) == frozenset()  # the built-ins
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "final.md.j2").write_text(
        "{% set threatens_legal_action = true %}\nWe will issue a claim.\n", encoding="utf-8"
    )
    assert threatening_templates(policy, tmp_path, {"en"}) == frozenset({"final"})

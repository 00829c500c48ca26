"""The day a write command records is not more than a day ahead without --future: hold,
release, escalate, amend, void, cease, optout, plan create and plan cancel (promise, dispute and
log are in test_hostile_writes.py). Dates meant to lie ahead (a hold's --until, a promise's new
--by, a plan's --start) need no --future."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
FAR = "2040-01-01"


@pytest.fixture
def desk(cli, collectctl_home):
    assert cli("sync", "csv", str(EXAMPLES), "-q").exit_code == 0
    config = collectctl_home / "profiles/default/config.toml"
    text = config.read_text(encoding="utf-8")  # escalate's handover pack needs a creditor
    head, section, tail = text.partition('[creditor]\nname = ""')
    assert section
    config.write_text(f'{head}[creditor]\nname = "Example Co"{tail}', encoding="utf-8")
    for args in (
        ["account", "log", "northwind", "--channel", "phone", "--outcome", "spoke", "--note", "a"],
        ["account", "promise", "northwind", "--amount", "10", "--by", "2039-01-01"],
        ["account", "hold", "northwind", "--reason", "a"],
        ["plan", "create", "mueller", "--every", "month", "--installments", "2", "--start",
         "2039-01-01"],
    ):  # fmt: skip
        result = cli(*args)
        assert result.exit_code == 0, (args, result.output)
    return cli


COMMANDS = {
    "hold": ["account", "hold", "kestrel", "--reason", "holiday"],
    "release": ["account", "release", "northwind"],
    "escalate": ["account", "escalate", "northwind", "--to", "agency"],
    "amend": ["account", "amend", "PRM-1", "--reason", "fix", "--by", "2039-02-01"],
    "void": ["account", "void", "HLD-1", "--reason", "in error"],
    "cease": ["account", "cease", "mlopez"],
    "optout": ["account", "optout", "mlopez", "--channel", "email"],
    "plan create": ["plan", "create", "northwind", "--every", "month", "--installments", "2",
                    "--start", "2040-02-01"],
    "plan cancel": ["plan", "cancel", "PL-1", "--reason", "in error"],
}  # fmt: skip


@pytest.mark.parametrize("name", list(COMMANDS))
def test_a_day_far_ahead_is_refused_without_future(desk, name):
    args = COMMANDS[name]
    refused = desk(*args, "--as-of", FAR)
    assert refused.exit_code == 2, refused.output
    assert f"{FAR} is in the future" in refused.stderr
    assert "--future" in refused.stderr
    accepted = desk(*args, "--as-of", FAR, "--future")
    assert accepted.exit_code == 0, accepted.output


@pytest.mark.parametrize("name", ["hold", "void", "plan cancel"])
def test_tomorrow_is_still_today_somewhere(desk, name):
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    result = desk(*COMMANDS[name], "--as-of", tomorrow)
    assert result.exit_code == 0, result.output


def test_future_may_come_before_the_date(desk):
    result = desk("account", "release", "northwind", "--future", "--as-of", FAR)
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["account", "hold", "kestrel", "--reason", "until the audit", "--until", FAR],
        ["account", "amend", "HLD-1", "--reason", "longer", "--until", FAR],
        ["account", "amend", "PRM-1", "--reason", "later", "--by", FAR],
        ["plan", "create", "northwind", "--every", "month", "--installments", "2", "--start", FAR],
    ],
)
def test_dates_meant_to_lie_ahead_need_no_future(desk, args):
    result = desk(*args)
    assert result.exit_code == 0, result.output

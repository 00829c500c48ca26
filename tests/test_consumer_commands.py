"""Consumer-protection commands: the call-attempt warning on `account log --channel phone`."""

from __future__ import annotations

import pytest
from core_helpers import cust, inv


@pytest.fixture
def synced(cli, books):
    books.load([cust("C1", "Maria Lopez", kind="consumer"), inv("I1", "C1", "2026-10-01", "80.00")])
    assert cli("sync", "memory", "-q").exit_code == 0


def call(cli, at, channel="phone"):
    result = cli("account", "log", "C1", "--channel", channel, "--outcome", "no-answer",
                 "--note", "rang", "--at", at)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    return result


def test_the_eighth_call_attempt_in_seven_days_warns(cli, synced):
    # Seven attempts from Mon 23 to Sun 29 November: no warning.
    for n in range(7):
        assert "Warning" not in call(cli, f"2026-11-{23 + n} 10:00").stderr
    # Emails do not count as calls.
    assert "Warning" not in call(cli, "2026-11-29 11:00", channel="email").stderr
    # The eighth call on the 29th warns (and is still logged).
    eighth = call(cli, "2026-11-29 12:00")
    assert (
        "Warning: this is call attempt 8 on this debt in the 7 days to 2026-11-29" in eighth.stderr
    )
    assert eighth.stdout.startswith("ACT-9: phone")
    # On 1 December the calls of 23 and 24 November have left the window: 6 earlier + this one.
    assert "Warning" not in call(cli, "2026-12-01 10:00").stderr


def test_the_call_attempt_warning_is_for_consumer_accounts_only(cli, synced, books):
    # Business accounts are not under Regulation F; an `account set --kind` override counts.
    books.load(
        [
            cust("C1", "Maria Lopez", kind="consumer"),
            cust("C2", "Beta LLC"),
            inv("I1", "C1", "2026-10-01", "80.00"),
            inv("I2", "C2", "2026-10-01", "80.00"),
        ]
    )
    assert cli("sync", "memory", "-q").exit_code == 0

    def calls(customer):
        out = []
        for n in range(8):
            at = f"2026-11-{23 + min(n, 6)} 1{n}:00"
            result = cli("account", "log", customer, "--channel", "phone", "--outcome",
                         "no-answer", "--note", "rang", "--at", at)  # fmt: skip
            assert result.exit_code == 0, result.stderr
            out.append(result.stderr)
        return out

    assert not any("call attempt" in err for err in calls("C2"))
    assert cli("account", "set", "C2", "--kind", "consumer").exit_code == 0
    assert "call attempt 16" in calls("C2")[-1]

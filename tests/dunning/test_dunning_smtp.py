"""`dunning run` against a real SMTP server (aiosmtpd on 127.0.0.1) in real processes: two
concurrent runs never send one letter twice; a server that is down, then back; a timeout after
DATA is uncertain (exit 3) and never retried."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from dunning_helpers import collectctl, ledger_rows, write_books, write_config, write_policy

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


class Inbox:
    """Counts every message the server accepted; can stall before answering DATA."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.data_delay = 0.0
        self.data_commands = 0  # DATA received, counted before any stall
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd hook)
        with self.lock:
            self.data_commands += 1
        if self.data_delay:
            await asyncio.sleep(self.data_delay)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


def free_port() -> int:
    # aiosmtpd's Controller(port=0) fails its own self-test (aio-libs/aiosmtpd#276).
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def smtp():
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    port = free_port()
    started = []

    def start():
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        started.append(controller)

    yield inbox, port, start
    for controller in started:
        controller.stop()


def setup_profile(home, tmp_path, port, extra=""):
    write_config(
        home,
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 2\n'
        f'from = "billing@lumen.example"\n[dunning]\nretry_after_minutes = 0\n{extra}',
    )
    books = write_books(tmp_path / "books")
    done = collectctl(home, "sync", "csv", str(books))
    assert done.returncode == 0, done.stderr
    held = collectctl(home, "account", "hold", "held", "--reason", "in talks")
    assert held.returncode == 0, held.stderr
    return write_policy(tmp_path, channel="email")


def message_ids(inbox):
    from email import message_from_bytes, policy

    return [
        message_from_bytes(raw, policy=policy.default)["Message-ID"] for _, raw in inbox.messages
    ]


def test_two_concurrent_runs_never_send_a_letter_twice(smtp, tmp_path):
    inbox, port, start = smtp
    start()
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port)
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(
                lambda _: collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json"),
                range(2),
            )
        )
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    # acme has an email address (one mail); beta has none (the file fallback): one mail in all.
    ids = message_ids(inbox)
    assert len(ids) == 1
    assert len(set(ids)) == len(ids)
    letters = ledger_rows(home, "SELECT status, channel FROM letters ORDER BY id")
    assert sorted(letters) == [("sent", "email"), ("sent", "file")]
    sent_by = [
        sum(1 for d in json.loads(r.stdout)["decisions"] if d["status"] == "sent") for r in results
    ]
    assert sorted(sent_by) == [0, 2]  # the second run waited for the lock, then had nothing due


def test_smtp_down_then_back_is_retried(smtp, tmp_path):
    inbox, port, start = smtp
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port)
    down = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert down.returncode == 1, down.stderr
    assert "1 failed (retried by a later run)" in down.stderr
    assert ledger_rows(home, "SELECT status, attempts FROM letters WHERE channel = 'email'") == [
        ("failed", 1)
    ]
    start()
    back = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert back.returncode == 0, back.stderr
    assert len(inbox.messages) == 1
    assert ledger_rows(home, "SELECT status, attempts FROM letters WHERE channel = 'email'") == [
        ("sent", 2)
    ]
    again = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert again.returncode == 0
    assert len(inbox.messages) == 1


def test_max_attempts_stops_retrying(smtp, tmp_path):
    _inbox, port, _start = smtp
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port, "max_attempts = 2\n")
    for _ in range(3):
        collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert ledger_rows(home, "SELECT status, attempts FROM letters WHERE channel = 'email'") == [
        ("failed", 2)
    ]


def test_timeout_after_data_is_uncertain_and_never_retried(smtp, tmp_path):
    inbox, port, start = smtp
    inbox.data_delay = 4  # longer than [smtp] timeout = 2: the reply to DATA never comes in time
    start()
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port)
    first = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert first.returncode == 3, first.stderr
    assert "1 uncertain" in first.stderr
    assert ledger_rows(home, "SELECT status FROM letters WHERE channel = 'email'") == [
        ("uncertain",)
    ]
    inbox.data_delay = 0
    second = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert second.returncode == 0, second.stderr
    # The message data reached the server once; the letter was never sent again.
    assert inbox.data_commands == 1
    assert ledger_rows(home, "SELECT status FROM letters WHERE channel = 'email'") == [
        ("uncertain",)
    ]


def test_a_letter_left_sending_by_a_stopped_process_is_reported_never_resent(smtp, tmp_path):
    inbox, port, start = smtp
    start()
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port)
    first = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert first.returncode == 0, first.stderr
    assert len(inbox.messages) == 1
    # As if the process had been killed between starting the SMTP transaction and recording
    # its outcome an hour ago: the letter is still "sending".
    from dunning_helpers import ledger_execute

    ledger_execute(
        home,
        "UPDATE letters SET status = 'sending', sent_at = NULL, "
        "sending_at = '2000-01-01T00:00:00+00:00' WHERE channel = 'email'",
    )
    second = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert second.returncode == 3, second.stderr
    assert "1 uncertain" in second.stderr
    assert ledger_rows(home, "SELECT status FROM letters WHERE channel = 'email'") == [
        ("uncertain",)
    ]
    third = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert third.returncode == 0, third.stderr
    assert len(inbox.messages) == 1  # never sent again


@pytest.mark.postgresql_only
def test_two_machines_on_one_database_never_send_a_letter_twice(smtp, tmp_path):
    """Two homes (alice's and bob's machines), one PostgreSQL ledger, one SMTP server: both run
    `dunning run` at once; the dunning advisory lock lets one send, the other finds nothing due."""
    inbox, port, start = smtp
    start()
    alice, bob = tmp_path / "alice", tmp_path / "bob"
    policy = setup_profile(alice, tmp_path, port)
    write_config(
        bob,
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\ntimeout = 2\n'
        f'from = "billing@lumen.example"\n[dunning]\nretry_after_minutes = 0\n',
    )
    homes = {"alice": alice, "bob": bob}
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(
            zip(
                homes,
                pool.map(
                    lambda who: collectctl(
                        homes[who], "dunning", "run", "--policy", str(policy), "-f", "json",
                        env={"COLLECTCTL_USER": who},
                    ),
                    homes,
                ),
                strict=True,
            )
        )  # fmt: skip
    assert {w: r.returncode for w, r in results.items()} == {"alice": 0, "bob": 0}, [
        r.stderr for r in results.values()
    ]
    ids = message_ids(inbox)
    assert len(ids) == len(set(ids)) == 1  # acme by email (beta has no address: a file)
    letters = ledger_rows(bob, "SELECT status, channel, created_by FROM letters ORDER BY id")
    sent_by = {
        w: sum(1 for d in json.loads(r.stdout)["decisions"] if d["status"] == "sent")
        for w, r in results.items()
    }
    assert sorted(sent_by.values()) == [0, 2]  # one waited for the lock, then had nothing due
    sender = next(w for w, n in sent_by.items() if n)
    assert sorted(letters) == [("sent", "email", sender), ("sent", "file", sender)]
    runs = ledger_rows(alice, "SELECT status, letters FROM dunning_runs ORDER BY id")
    assert sorted(runs) == [("done", 0), ("done", 2)]
    # Each machine wrote its own letters directory; only the sender's has the file letter.
    assert (homes[sender] / "profiles" / "default" / "letters").is_dir()


def test_a_failed_letter_is_retried_and_never_followed_by_the_next_stage(smtp, tmp_path):
    """acme's oldest invoice is past its firm stage; with catch_up = "next" the reminder goes
    first. While the server is down, each run retries that reminder and sends nothing else to
    acme (no firm letter climbing over a reminder that never arrived); once it is back, the
    reminder goes once, and the gap holds the firm letter back."""
    from dunning_helpers import POLICY

    inbox, port, start = smtp
    home = tmp_path / "home"
    policy = setup_profile(home, tmp_path, port)
    write_policy(tmp_path, channel="email", text=POLICY.replace('"latest"', '"next"'))
    acme = "SELECT stage, status, attempts FROM letters WHERE customer_ext = 'acme' ORDER BY id"
    for attempt in (1, 2, 3):
        down = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
        assert down.returncode == 1, down.stderr
        assert ledger_rows(home, acme) == [("reminder", "failed", attempt)]
    held = [
        d
        for d in json.loads(down.stdout)["decisions"]
        if d["customer_id"] == "acme" and d["status"] == "skipped"
    ]
    assert [d["skip_reason"] for d in held] == ["letter-pending"]
    assert "LTR-" in held[0]["message"]
    assert "a later run retries it" in held[0]["message"]
    start()
    back = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert back.returncode == 0, back.stderr
    assert ledger_rows(home, acme) == [("reminder", "sent", 4)]
    assert len(inbox.messages) == 1
    again = collectctl(home, "dunning", "run", "--policy", str(policy), "-f", "json")
    assert again.returncode == 0, again.stderr
    assert len(inbox.messages) == 1
    reasons = {d["customer_id"]: d["skip_reason"] for d in json.loads(again.stdout)["decisions"]}
    assert reasons["acme"] == "gap-not-passed"

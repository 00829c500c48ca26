"""Two `collectctl sync quickbooks` processes on one profile at the same time.

Real processes (``python -m collectctl.cli``) against the fake server, sharing one
``COLLECTCTL_HOME``, with the stored access token expired so that both want to refresh it. The
first to take the profile's sync lock refreshes (once) and syncs; the other waits for the lock and
then reuses the refreshed token — or, when its wait (``COLLECTCTL_LOCK_TIMEOUT``) runs out, exits
1 with the lock message and writes nothing. Either way the ledger matches QuickBooks exactly and
the token file holds one valid token.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from fakeqbo import FakeQBO, generate_books
from test_qbo_e2e import FAST, assert_matches_quickbooks, open_invoices

#: How long the first sync's Invoice query is held up, so that the two runs overlap.
HOLD = 2.0


@pytest.fixture
def qbo() -> Iterator[FakeQBO]:
    with FakeQBO(generate_books(1500, seed=5)) as server:
        yield server


@pytest.fixture
def env(qbo: FakeQBO) -> dict[str, str]:
    return {**qbo.env(refresh_token=qbo.issue_tokens()["refresh_token"]), **FAST}


def _expire_stored_token(token_file: Path) -> None:
    """Make the token file's access token look expired (as after a night): both runs refresh."""
    data = json.loads(token_file.read_text())
    data["expires_at"] = time.time() - 60
    token_file.write_text(json.dumps(data))
    token_file.chmod(0o600)


def _refreshes(qbo: FakeQBO) -> list[str]:
    """The refresh tokens sent to the token endpoint (``grant_type=refresh_token``), in order."""
    used = []
    for req in qbo.token_requests():
        body = req.body.decode() if isinstance(req.body, bytes) else str(req.body or "")
        form = {k: v[0] for k, v in parse_qs(body).items()}
        if form.get("grant_type") == "refresh_token":
            used.append(form["refresh_token"])
    return used


def _start(home: Path, env: dict[str, str], lock_timeout: float) -> subprocess.Popen[str]:
    child_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("COLLECTCTL_", "QUICKBOOKS_"))},
        **env,
        "COLLECTCTL_HOME": str(home),
        "COLLECTCTL_LOCK_TIMEOUT": str(lock_timeout),
        "QUICKBOOKS_TIMEOUT": "2,10",  # the held-up query must not time out
    }
    child_env.pop("QUICKBOOKS_REFRESH_TOKEN", None)  # the token file is the only credential
    return subprocess.Popen(
        [sys.executable, "-m", "collectctl.cli", "sync", "quickbooks"],
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.parametrize("waits", [True, False], ids=["second-waits", "second-times-out"])
def test_two_concurrent_syncs_on_one_profile(
    qbo: FakeQBO,
    cli: Callable[..., Any],
    env: dict[str, str],
    collectctl_home: Path,
    waits: bool,
) -> None:
    assert cli("sync", "quickbooks", env=env).exit_code == 0  # connected; token file written
    token_file = collectctl_home / "profiles" / "default" / "quickbooks-token.json"
    qbo.clock.advance(hours=1)
    for inv in list(qbo.books.entities["Invoice"].values())[:5]:
        qbo.books.update("Invoice", inv["Id"], PrivateNote="touched")
    qbo.books.add_invoice(
        next(iter(qbo.books.entities["Customer"])), "77.70", txn_date="2026-03-01"
    )
    qbo.clock.advance(minutes=1)
    qbo.expire_access_tokens()
    _expire_stored_token(token_file)
    qbo.clear_log()
    # Whoever gets the sync lock first is held up on its first API call, so the two overlap.
    qbo.faults.add("slow", on="api", delay=HOLD)
    lock_timeout = 60.0 if waits else 0.5

    procs = [_start(collectctl_home, env, lock_timeout) for _ in range(2)]
    # They do overlap: while one holds the sync lock, the other is still alive (waiting).
    lock = collectctl_home / "profiles" / "default" / "sync.lock"
    deadline = time.monotonic() + 30
    while not (lock.exists() and lock.read_text().startswith("pid")):
        assert time.monotonic() < deadline, "no process took the sync lock"
        time.sleep(0.02)
    assert all(p.poll() is None for p in procs)
    outs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)

    if waits:
        assert codes == [0, 0], outs
    else:
        assert codes == [0, 1], outs
        loser = next(err for p, (_, err) in zip(procs, outs, strict=True) if p.returncode == 1)
        assert "another sync of this profile is running" in loser
        assert "COLLECTCTL_LOCK_TIMEOUT" in loser
        assert "Traceback" not in loser
    # Exactly one refresh, with the refresh token the file held; no refresh token used twice.
    used = _refreshes(qbo)
    assert len(used) == 1, used
    assert max(Counter(used).values()) == 1
    # The token file holds one valid token pair.
    saved = json.loads(token_file.read_text())
    assert qbo.tokens.access_ok(saved["access_token"])
    assert saved["refresh_token"] in qbo.tokens.live_refresh_tokens()
    assert token_file.stat().st_mode & 0o077 == 0
    # The ledger matches QuickBooks: every balance, nothing duplicated.
    qbo.faults.clear()
    local = {**env, "QUICKBOOKS_REFRESH_TOKEN": ""}
    assert_matches_quickbooks(qbo, cli, local)
    rows = json.loads(
        cli(
            "aging", "--by", "invoice", "--format", "json", "--as-of", "2026-03-02", env=local
        ).stdout
    )["rows"]
    assert len(rows) == len({r["invoice_id"] for r in rows}) == len(open_invoices(cli, local))
    # A third sync still works with the stored token (no new refresh needed).
    third = cli("sync", "quickbooks", env=local)
    assert third.exit_code == 0, third.output
    assert len(_refreshes(qbo)) == 1

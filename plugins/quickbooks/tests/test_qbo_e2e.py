"""End to end: the real CLI (`collectctl sync quickbooks`) against the fake QuickBooks server.

Every scenario checks the invariant that matters: for every invoice, the ledger's open amount
equals QuickBooks' ``Balance``, per customer totals agree, nothing is duplicated or lost, and
secrets never reach output, logs or the ledger.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from fakeqbo import FakeQBO, generate_books, small_books

AS_OF = "2026-03-02"
FAST = {
    "QUICKBOOKS_RETRY_BASE": "0.01",
    "QUICKBOOKS_RETRY_CAP": "0.05",
    "QUICKBOOKS_THROTTLE_WAIT": "0.05",
    "QUICKBOOKS_RETRY_DEADLINE": "10",
    "QUICKBOOKS_TIMEOUT": "2,1",
}


@pytest.fixture
def qbo() -> Iterator[FakeQBO]:
    with FakeQBO(small_books()) as server:
        yield server


@pytest.fixture
def env(qbo: FakeQBO) -> dict[str, str]:
    """Headless bootstrap: a refresh token in the environment, no token file yet."""
    tokens = qbo.issue_tokens()
    return {**qbo.env(refresh_token=tokens["refresh_token"]), **FAST}


@pytest.fixture
def profile(collectctl_home: Path) -> Path:
    return collectctl_home / "profiles" / "default"


def open_invoices(cli: Callable[..., Any], env: dict[str, str]) -> dict[str, Decimal]:
    result = cli("aging", "--by", "invoice", "--format", "json", "--as-of", AS_OF, env=env)
    assert result.exit_code == 0, result.output
    return {r["invoice_id"]: Decimal(r["balance"]) for r in json.loads(result.stdout)["rows"]}


def customer_rows(cli: Callable[..., Any], env: dict[str, str], as_of: str = AS_OF) -> list[dict]:
    result = cli("aging", "--format", "json", "--as-of", as_of, env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["rows"]


def qbo_open_invoices(qbo: FakeQBO) -> dict[str, Decimal]:
    """What QuickBooks says is open (every small_books invoice is issued by AS_OF)."""
    return {
        inv["Id"]: Decimal(inv["Balance"])
        for inv in qbo.books.entities["Invoice"].values()
        if Decimal(inv["Balance"]) > 0 and inv["TxnDate"] <= AS_OF
    }


def assert_matches_quickbooks(qbo: FakeQBO, cli: Callable[..., Any], env: dict[str, str]) -> None:
    assert open_invoices(cli, env) == qbo_open_invoices(qbo)
    customers = {c["Id"]: c for c in qbo.books.entities["Customer"].values()}
    rows = customer_rows(cli, env)
    for row in rows:
        # QuickBooks' Customer.Balance nets open invoices, unapplied payments and credits.
        assert Decimal(row["total"]) == Decimal(customers[row["customer_id"]]["Balance"]), row
    owing = {cid for cid, c in customers.items() if Decimal(c.get("Balance", 0)) != 0}
    assert {row["customer_id"] for row in rows} == owing


def sync(cli: Callable[..., Any], env: dict[str, str], *args: str, debug: bool = False) -> Any:
    return cli(*(["--debug"] if debug else []), "sync", "quickbooks", *args, env=env)


def test_full_sync_matches_quickbooks(qbo, cli, env, profile):
    result = sync(cli, env, "--full")
    assert result.exit_code == 0, result.output
    assert_matches_quickbooks(qbo, cli, env)
    rows = {r["customer"]: r for r in customer_rows(cli, env)}
    assert rows["Harbor Tools Ltd"]["currency"] == "GBP"
    assert "Dormant Co" not in rows
    assert "Dormant Co (deleted)" not in rows
    # Historical aging: Harbor's 50.00 overpayment was on account until the check of 02-26.
    before = {r["customer"]: r for r in customer_rows(cli, env, "2026-02-21")}
    assert before["Harbor Tools Ltd"]["unapplied"] == "-50.00"
    # Pagination: every query asked for 1000 rows ordered by Id.
    for req in qbo.api_requests("query"):
        text = req.query_text
        if "Id IN" not in text:
            assert "ORDERBY Id STARTPOSITION" in text
            assert "MAXRESULTS 1000" in text
    customer_query = next(
        r.query_text for r in qbo.api_requests("query") if "Customer" in r.query_text
    )
    assert "Active IN (true, false)" in customer_query
    # The bootstrap refresh token was rotated into the token file.
    saved = json.loads((profile / "quickbooks-token.json").read_text())
    assert saved["refresh_token"] != env["QUICKBOOKS_REFRESH_TOKEN"]
    assert (profile / "quickbooks-token.json").stat().st_mode & 0o077 == 0


def test_secrets_never_in_output_logs_or_ledger(qbo, cli, env, profile, caplog):
    caplog.set_level("DEBUG")
    result = sync(cli, env, "--full", debug=True)
    assert result.exit_code == 0, result.output
    qbo.expire_access_tokens()
    again = sync(cli, env, debug=True)
    assert again.exit_code == 0, again.output
    saved = json.loads((profile / "quickbooks-token.json").read_text())
    secrets = {
        env["QUICKBOOKS_CLIENT_SECRET"],
        env["QUICKBOOKS_REFRESH_TOKEN"],
        saved["refresh_token"],
        saved["access_token"],
        *(
            r.header("Authorization").split()[-1]
            for r in qbo.api_requests()
            if r.header("Authorization")
        ),
    }
    ledger = b"".join(p.read_bytes() for p in profile.glob("ledger.db*"))
    text = result.output + again.output + caplog.text
    assert "GET /v3/company/" in text  # --debug logs requests ...
    for secret in secrets:  # ... but never a token or the client secret
        assert secret not in text
        assert secret.encode() not in ledger
    assert "Bearer" not in text


def test_incremental_sync_adds_changes_and_deletes(qbo, cli, env):
    assert sync(cli, env).exit_code == 0  # first run: full
    assert_matches_quickbooks(qbo, cli, env)
    books, ids = qbo.books, qbo.books.ids
    qbo.clock.advance(hours=1)
    new_inv = books.add_invoice(ids["acme"], "410.00", txn_date="2026-03-01")
    books.add_payment(
        ids["acme"], "100.00", txn_date="2026-03-02", invoices={ids["inv_acme_open"]: "100.00"}
    )
    books.delete("Payment", ids["pay_acme_partial"])  # reopens inv_acme_partial
    books.void_invoice(ids["inv_site"])
    cm = books.add_credit_memo(ids["acme"], "35.00", txn_date="2026-03-01")
    books.apply_credit(cm["Id"], new_inv["Id"], "20.00", txn_date="2026-03-02")
    books.update("Customer", ids["obrien"], DisplayName="O'Brien and Sons")
    qbo.clock.advance(minutes=5)
    qbo.clear_log()

    result = sync(cli, env)
    assert result.exit_code == 0, result.output
    assert len(qbo.api_requests("cdc")) == 1
    scans = [
        r.query_text
        for r in qbo.api_requests("query")
        if "Id IN" not in r.query_text and "CustomerRef =" not in r.query_text
    ]
    assert scans == []  # no full scan: only look-ups of linked objects
    assert_matches_quickbooks(qbo, cli, env)
    open_now = open_invoices(cli, env)
    assert open_now[new_inv["Id"]] == Decimal("390.00")
    assert open_now[ids["inv_acme_partial"]] == Decimal("500.00")
    assert ids["inv_site"] not in open_now
    names = {r["customer"] for r in customer_rows(cli, env)}
    assert "O'Brien and Sons" in names

    # A second incremental run with nothing new changes nothing; a --full agrees exactly.
    before = customer_rows(cli, env), open_invoices(cli, env)
    assert sync(cli, env).exit_code == 0
    assert (customer_rows(cli, env), open_invoices(cli, env)) == before
    assert sync(cli, env, "--full").exit_code == 0
    assert (customer_rows(cli, env), open_invoices(cli, env)) == before


def test_deleted_invoice_and_credit_memo_via_cdc(qbo, cli, env):
    assert sync(cli, env).exit_code == 0
    books, ids = qbo.books, qbo.books.ids
    qbo.clock.advance(hours=2)
    books.delete("Invoice", ids["inv_acme_open"])
    books.delete("Payment", ids["pay_harbor_credit"])  # un-applies cm_harbor
    qbo.clock.advance(minutes=1)
    result = sync(cli, env)
    assert result.exit_code == 0, result.output
    assert_matches_quickbooks(qbo, cli, env)
    assert ids["inv_acme_open"] not in open_invoices(cli, env)


def test_editing_only_a_refund_check_date_is_picked_up_incrementally(qbo, cli, env):
    assert sync(cli, env).exit_code == 0
    before = {r["customer"]: r for r in customer_rows(cli, env, "2026-02-28")}
    assert before["Harbor Tools Ltd"]["unapplied"] == "0.00"
    qbo.clock.advance(hours=1)
    qbo.books.update("Purchase", qbo.books.ids["check_harbor"], TxnDate="2026-03-01")
    qbo.clock.advance(minutes=1)
    result = sync(cli, env)
    assert result.exit_code == 0, result.output
    after = {r["customer"]: r for r in customer_rows(cli, env, "2026-02-28")}
    assert after["Harbor Tools Ltd"]["unapplied"] == "-50.00"
    assert_matches_quickbooks(qbo, cli, env)


def test_old_cursor_falls_back_to_full(qbo, cli, env):
    assert sync(cli, env).exit_code == 0
    qbo.clock.advance(days=31)
    qbo.clear_log()
    result = sync(cli, env)
    assert result.exit_code == 0, result.output
    assert qbo.api_requests("cdc") == []
    assert any("FROM Invoice" in r.query_text for r in qbo.api_requests("query"))


def _ledger_snapshot(cli, env) -> tuple:
    return customer_rows(cli, env), open_invoices(cli, env)


# kind, params, whether the sync completes (else exit 1 with the ledger unchanged)
FAULTS = [
    ("throttle", {"retry_after": 0}, True),
    ("throttle", {"retry_after": None, "xml": True}, True),
    ("system_fault", {}, True),
    ("unavailable", {"status": 502}, True),
    ("unavailable", {"status": 504}, True),
    ("malformed", {}, True),
    ("incomplete", {}, True),
    ("drop", {}, True),
    ("expire_token", {}, True),
    ("slow", {"delay": 1.5}, True),
    ("fault_200", {}, False),
    ("xml_fault", {}, False),
    ("validation", {}, False),
    ("forbidden", {}, False),
    ("revoke", {}, False),
]


# Every kind on a full sync; on the CDC call only those whose handling differs in kind (the
# other retry paths are the same code and would only slow the suite down).
CASES = [("full", *case) for case in FAULTS] + [
    ("incremental", *case)
    for case in FAULTS
    if case[0] not in ("unavailable", "drop", "incomplete", "xml_fault", "slow")
]


@pytest.mark.parametrize(
    ("mode", "kind", "params", "completes"),
    CASES,
    ids=[f"{mode}-{kind}-{i}" for i, (mode, kind, _, _) in enumerate(CASES)],
)
def test_fault_completes_or_fails_cleanly(qbo, cli, env, kind, params, completes, mode):
    if mode == "incremental":
        assert sync(cli, env).exit_code == 0
        qbo.clock.advance(hours=1)
        qbo.books.add_invoice(qbo.books.ids["obrien"], "45.00", txn_date="2026-03-02")
        qbo.clock.advance(minutes=1)
        target = {"on": "cdc"}
    else:
        target = {"on": "query", "entity": "Invoice"}
    before = _ledger_snapshot(cli, env)
    qbo.faults.add(kind, **target, **params)
    started = time.monotonic()
    result = sync(cli, env)
    assert time.monotonic() - started < 30
    assert "Traceback" not in result.output
    if completes:
        assert result.exit_code == 0, result.output
        assert_matches_quickbooks(qbo, cli, env)
    else:
        assert result.exit_code == 1, result.output
        error_lines = [ln for ln in result.output.splitlines() if ln.startswith("Error")]
        assert len(error_lines) == 1
        assert _ledger_snapshot(cli, env) == before
        if kind in ("forbidden", "revoke"):
            assert "quickbooks auth" in result.output
        if kind in ("fault_200", "xml_fault", "validation"):
            assert "intuit_tid" in result.output
        # The source recovers: clear the faults (reconnect if revoked) and sync again.
        if kind != "revoke":
            qbo.faults.clear()
            assert sync(cli, env).exit_code == 0
            assert_matches_quickbooks(qbo, cli, env)


def test_server_that_always_fails_ends_quickly_and_cleanly(qbo, cli, env):
    assert sync(cli, env).exit_code == 0
    before = _ledger_snapshot(cli, env)
    qbo.faults.add("unavailable", on="api", times=None)
    started = time.monotonic()
    result = sync(cli, env)
    assert time.monotonic() - started < 15
    assert result.exit_code == 1
    assert "failed after 5 attempts" in result.output
    assert _ledger_snapshot(cli, env) == before


def test_invalid_grant_on_refresh_says_rerun_auth(qbo, cli, env, profile):
    assert sync(cli, env).exit_code == 0
    qbo.revoke()
    result = sync(cli, env)
    assert result.exit_code == 1
    assert "invalid_grant" in result.output
    assert "collectctl quickbooks auth" in result.output


def test_requests_are_one_at_a_time_with_minorversion(qbo, cli, env):
    assert sync(cli, env, "--full").exit_code == 0
    assert qbo.max_in_flight == 1
    assert all(r.param("minorversion") == "75" for r in qbo.api_requests())
    assert all(r.header("Accept") == "application/json" for r in qbo.api_requests())


def test_generated_books_with_small_pages(cli, collectctl_home):
    books = generate_books(1200, seed=7)
    with FakeQBO(books) as server:
        tokens = server.issue_tokens()
        env = {**server.env(refresh_token=tokens["refresh_token"]), **FAST}
        env["QUICKBOOKS_PAGE_SIZE"] = "250"
        result = sync(cli, env)
        assert result.exit_code == 0, result.output
        assert_matches_quickbooks(server, cli, env)
        starts = [
            r.query_text for r in server.api_requests("query") if "FROM Invoice" in r.query_text
        ]
        assert len(starts) == 5  # 1200 invoices: 4 full pages of 250 and a short one
        assert "STARTPOSITION 1001 MAXRESULTS 250" in starts[-1]


def test_plugin_import_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, collectctl_quickbooks.plugin as p; "
        "assert 'requests' not in sys.modules, 'requests imported'; print('ok')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert out.stdout.strip() == "ok", out.stderr


def test_cdc_at_the_cap_becomes_a_full_sync(cli, collectctl_home):
    books = generate_books(1100, seed=3)
    with FakeQBO(books) as server:
        env = {**server.env(refresh_token=server.issue_tokens()["refresh_token"]), **FAST}
        assert sync(cli, env).exit_code == 0
        server.clock.advance(hours=1)
        for inv in list(books.entities["Invoice"].values())[:1001]:
            books.update("Invoice", inv["Id"], PrivateNote="touched")
        server.clock.advance(minutes=1)
        server.clear_log()
        result = sync(cli, env)
        assert result.exit_code == 0, result.output
        assert len(server.api_requests("cdc")) == 1
        assert any("FROM Invoice ORDERBY" in r.query_text for r in server.api_requests("query"))
        assert_matches_quickbooks(server, cli, env)


def test_within_intuit_limits_when_the_server_enforces_them(cli, collectctl_home):
    with FakeQBO(small_books(), enforce_limits=True) as server:
        env = {**server.env(refresh_token=server.issue_tokens()["refresh_token"]), **FAST}
        assert sync(cli, env, "--full").exit_code == 0
        assert all(r.status != 429 for r in server.api_requests())
        assert server.max_in_flight == 1


def test_account_show_and_reconcile_after_a_sync(qbo, cli, env):
    assert sync(cli, env).exit_code == 0
    harbor = qbo.books.ids["harbor"]
    result = cli("account", "show", harbor, "--format", "json", "--as-of", AS_OF, env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["customer"]["name"] == "Harbor Tools Ltd"
    assert doc["balances"] == [
        {**doc["balances"][0], "currency": "GBP", "open": "122.07", "total": "122.07"}
    ]
    (invoice,) = doc["invoices"]
    assert (invoice["amount"], invoice["balance"]) == ("362.07", "122.07")
    kinds = sorted((p["kind"], p["amount"], p["date"]) for p in doc["payments"])
    assert kinds == [
        ("credit", "40.00", "2026-02-25"),
        ("payment", "200.00", "2026-02-20"),
        ("payment", "50.00", "2026-02-20"),
        ("refund", "50.00", "2026-02-26"),
    ]
    # Every invoice's ledger balance equals QuickBooks' own Balance: nothing to reconcile.
    check = cli("reconcile", "--check", env=env)
    assert check.exit_code == 0, check.output


def test_a_misspelled_config_key_stops_the_sync(qbo, cli, env, profile):
    assert cli("aging", env=env).exit_code == 0  # creates the profile
    (profile / "config.toml").write_text('[sources.quickbooks]\nrealmid = "1"\n', encoding="utf-8")
    result = cli("sync", "quickbooks", env=env)
    assert result.exit_code == 1
    assert "unknown key sources.quickbooks.realmid" in result.stderr
    assert "`realm_id`" in result.stderr
    assert customer_rows(cli, env) == []  # nothing was synced


def test_a_dry_run_on_a_fresh_home_keeps_the_rotated_token(qbo, cli, env, profile):
    """The dry run's ledger is a throwaway one, but QuickBooks rotated the refresh token it
    used: the new pair is kept in the profile, so the first real sync can still log in."""
    dry = sync(cli, env, "--dry-run")
    assert dry.exit_code == 0, dry.output
    token = profile / "quickbooks-token.json"
    assert token.is_file()
    assert token.stat().st_mode & 0o777 == 0o600
    assert not (profile / "ledger.db").exists()  # nothing of the books was written
    real = sync(cli, env)  # the same (now spent) QUICKBOOKS_REFRESH_TOKEN: the file wins
    assert real.exit_code == 0, real.output
    assert_matches_quickbooks(qbo, cli, env)


def test_a_customer_deleted_stub_in_cdc_removes_nothing(qbo, cli, env):
    """QuickBooks never deletes a customer (it makes it inactive) and its invoices stay: a
    Customer "Deleted" stub in a CDC answer must not take the customer's books with it."""
    from fakeqbo.dataset import Deletion as Stub

    assert sync(cli, env).exit_code == 0
    before = open_invoices(cli, env)
    acme = qbo.books.ids["acme"]
    qbo.clock.advance(hours=2)
    qbo.books.deletions.append(Stub("Customer", acme, qbo.clock.now()))
    qbo.clock.advance(minutes=1)
    result = sync(cli, env, "--format", "json")
    assert result.exit_code == 0, result.output
    changes = json.loads(result.stdout)[0]["changes"]
    assert all(changes[kind]["removed"] == 0 for kind in ("customers", "invoices"))
    assert open_invoices(cli, env) == before
    assert cli("account", "show", acme, "--format", "json", env=env).exit_code == 0

"""collectctl plan: every bad input gets a clear message, the contract's exit code, and
leaves the ledger exactly as it was."""

from __future__ import annotations

import pytest
from core_helpers import cust, inv, ledger_snapshot, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-11-30"
BOOKS = [
    cust("C1", "Acme Ltd"),
    inv("I1", "C1", "2026-09-01", "600.00", due="2026-10-01"),
    inv("I2", "C1", "2026-10-01", "400.00", due="2026-10-31"),
    inv("PAID", "C1", "2026-10-01", "100.00"),
    inv("VOID", "C1", "2026-10-01", "100.00", void=True),
    inv("LATER", "C1", "2026-12-15", "100.00"),
    inv("EUR1", "C1", "2026-10-01", "300.00", currency="EUR"),
    cust("C2", "Bravo"),
    inv("B1", "C2", "2026-10-01", "500.00"),
    cust("M", "Mixed"),
    inv("M1", "M", "2026-10-01", "100.00"),
    inv("M2", "M", "2026-10-01", "100.00", currency="GBP"),
    cust("Z", "Zero"),
    cust("P", "Person", kind="consumer"),
    inv("P1", "P", "2026-10-01", "800.00"),
    pay("X", "C1", "2026-10-05", "100.00", "PAID"),
]
TERMS = ["--installments", "3", "--every", "month", "--start", "2026-12-01", "--as-of", AS_OF]

CASES = [
    # (args after `plan create`, exit code, part of the message)
    (["NOPE", *TERMS], 1, "no customer with id 'NOPE'"),
    (["C1", "--invoice", "NOPE", *TERMS], 1, "no invoice 'NOPE'"),
    (["C1", "--invoice", "B1", *TERMS], 1, "belongs to customer 'C2'"),
    (["C1", "--invoice", "PAID", *TERMS], 1, "not open"),
    (["C1", "--invoice", "VOID", *TERMS], 1, "void"),
    (["C1", "--invoice", "LATER", *TERMS], 1, "issued on 2026-12-15"),
    (["C1", "--invoice", "I1", "--invoice", "EUR1", *TERMS], 1, "different currencies"),
    (["C1", "--invoice", "I1", "--currency", "EUR", *TERMS], 1, "does not match"),
    (["C1", *TERMS], 1, "several currencies (EUR, USD)"),
    (["M", *TERMS], 1, "--currency"),
    (["C1", "--currency", "JPY", *TERMS], 1, "no open invoices in JPY"),
    (["Z", *TERMS], 1, "no open invoices"),
    (["C1", "--currency", "USD", *TERMS[:-1], "2026-12-02"], 1, "is before 2026-12-02"),
    (["C1", "--currency", "USD", "--down", "1000", *TERMS], 1, "must be less than the balance"),
    (["C1", "--currency", "USD", "--down", "10.005", *TERMS], 1, "more decimals than USD"),
    (["C1", "--currency", "USD", "--fee", "0.001", *TERMS], 1, "--fee 0.001"),
    (["C1", "--currency", "USD", "--installments", "200000", *TERMS[2:]], 1, "installments"),
    (["P", "--rate", "5", *TERMS], 1, "consumer account"),
    # malformed option values: click usage errors, exit 2
    (["C1", "--installments", "0", *TERMS[2:]], 2, "--installments"),
    (["C1", "--installments", "-2", *TERMS[2:]], 2, "--installments"),
    (["C1", "--installments", "x", *TERMS[2:]], 2, "--installments"),
    (["C1", "--currency", "USD", "--rate", "-1", *TERMS], 2, "--rate"),
    (["C1", "--currency", "USD", "--rate", "abc", *TERMS], 2, "--rate"),
    (["C1", "--currency", "USD", "--down", "-5", *TERMS], 2, "--down"),
    (["C1", "--currency", "USD", "--amount", "0", "--every", "month", "--start", "2026-12-01"],
     2, "--amount"),
    (["C1", "--every", "fortnight", "--installments", "3", "--start", "2026-12-01"], 2, "--every"),
    (["C1", "--installments", "3", "--every", "month", "--start", "2026-13-01"], 2, "--start"),
    (["C1", "--installments", "3", "--every", "month"], 2, "--start"),
    (["C1", "--every", "month", "--start", "2026-12-01"], 2, "--installments N or --amount"),
    (["C1", "--installments", "3", "--amount", "100", "--every", "month", "--start",
      "2026-12-01"], 2, "exactly one"),
    (["C1", "--interest", "simple", *TERMS], 2, "--interest needs --rate"),
    (["C1", "--currency", "XYZ", *TERMS], 2, "--currency"),
    (["C1", *TERMS, "--as-of", "30/11/2026"], 2, "--as-of"),
]  # fmt: skip


@pytest.fixture
def loaded(cli, books):
    books.load(BOOKS)
    assert cli("sync", "memory", "-q").exit_code == 0


def plans(cli):
    return run_json(cli, "plan", "list", "--as-of", "2100-01-01")


@pytest.mark.parametrize(("args", "code", "message"), CASES)
@pytest.mark.parametrize("command", ["propose", "create"])
def test_bad_input(cli, loaded, command, args, code, message):
    before = (plans(cli), ledger_snapshot(cli))
    result = cli("plan", command, *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    assert (plans(cli), ledger_snapshot(cli)) == before


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["show", "PL-9"], 1, "no payment plan PL-9"),
        (["status", "PL-9"], 1, "no payment plan PL-9"),
        (["cancel", "PL-9", "--reason", "x"], 1, "no payment plan PL-9"),
        (["show", "PLAN-1"], 2, "not a plan id"),
        (["status", "PL-0"], 2, "not a plan id"),
        (["cancel", "PL-1"], 2, "--reason"),
        (["cancel", "PL-1", "--reason", " "], 2, "give a reason"),
        (["list", "--state", "sleeping"], 2, "--state"),
        (["list", "--account", "NOPE"], 1, "no customer"),
        (["status", "--as-of", "2026-02-30"], 2, "--as-of"),
    ],
)
def test_bad_plan_references(cli, loaded, args, code, message):
    run_json(cli, "plan", "create", "C2", *TERMS)
    before = plans(cli)
    result = cli("plan", *args)
    assert result.exit_code == code, result.stdout + result.stderr
    assert message in result.stderr
    assert plans(cli) == before


def test_cancel_twice(cli, loaded):
    run_json(cli, "plan", "create", "C2", *TERMS)
    assert cli("plan", "cancel", "PL-1", "--reason", "done", "--as-of", AS_OF).exit_code == 0
    before = plans(cli)
    result = cli("plan", "cancel", "PL-1", "--reason", "again")
    assert result.exit_code == 1
    assert "already cancelled on 2026-11-30" in result.stderr
    assert plans(cli) == before


def test_cancel_before_the_plan_was_made_is_refused(cli, loaded):
    run_json(cli, "plan", "create", "C2", *TERMS)
    made = run_json(cli, "plan", "show", "PL-1")["created_on"]
    before = plans(cli)
    result = cli("plan", "cancel", "PL-1", "--reason", "oops", "--as-of", "2026-01-01")
    assert result.exit_code == 1
    assert f"plan PL-1 cannot be cancelled on 2026-01-01: it was made on {made}" in result.stderr
    assert plans(cli) == before
    assert cli("plan", "cancel", "PL-1", "--reason", "ok", "--as-of", made).exit_code == 0

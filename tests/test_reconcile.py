"""collectctl reconcile: every finding kind, --check exit codes, --customer, as-of, formats."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from core_helpers import cust, inv, pay, run_json

from collectctl.domain.reconcile import Credit, OpenItem, plan_credit

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-06-30"


def sync(cli, books, records):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    return result


def messy_books():
    """One customer per finding kind, plus a clean one."""
    return [
        # C1: I1 (100) paid 60 + 60 -> overpaid by 20; I2 (50) open: apply P2's excess to it.
        cust("C1", "Acme Ltd"),
        inv("I1", "C1", "2026-01-01", "100.00", due="2026-01-31"),
        inv("I2", "C1", "2026-03-01", "50.00", due="2026-03-31"),
        pay("P1", "C1", "2026-02-01", "60.00", "I1"),
        pay("P2", "C1", "2026-02-10", "60.00", "I1"),
        # C2: I3 (75) past due; P3 of exactly 75 recorded unapplied.
        cust("C2", "Bolt GmbH"),
        inv("I3", "C2", "2026-02-01", "75.00", due="2026-03-03"),
        pay("P3", "C2", "2026-03-10", "75.00"),
        # C3: P4 and P5, same day, amount and reference: a duplicate.
        cust("C3", "Crane Co"),
        inv("I4", "C3", "2026-03-01", "100.00", due="2026-03-31"),
        pay("P4", "C3", "2026-04-01", "40.00", "I4", reference="CHK 1001"),
        pay("P5", "C3", "2026-04-01", "40.00", "I4", reference="CHK 1001"),
        # C4: 30 on account, 50 refunded -> owes 20 back.
        cust("C4", "Delta LLC"),
        pay("P6", "C4", "2026-02-01", "30.00"),
        pay("R1", "C4", "2026-03-01", "50.00", kind="refund"),
        # C5: the source says 200 open, the ledger's payments leave 50.
        cust("C5", "Echo Inc"),
        inv("I5", "C5", "2026-01-15", "200.00", due="2026-02-14", source_balance=Decimal("200")),
        pay("P7", "C5", "2026-02-01", "150.00", "I5"),
        # C6: clean (paid in full; the source agrees).
        cust("C6", "Fox Ltd"),
        inv("I6", "C6", "2026-01-10", "80.00", due="2026-02-09", source_balance=Decimal("0")),
        pay("P8", "C6", "2026-02-05", "80.00", "I6", reference="CHK 1001"),
    ]


def findings_of(doc, kind):
    return [f for f in doc["findings"] if f["kind"] == kind]


def test_every_kind(cli, books):
    sync(cli, books, messy_books())
    doc = run_json(cli, "reconcile", "--as-of", AS_OF)
    assert doc["as_of"] == AS_OF
    assert doc["counts"] == {
        "overpayment": 1,
        "unapplied_payment_match": 1,
        "unapplied_credit": 1,
        "duplicate_payment": 1,
        "refund_exceeds_credit": 1,
        "source_balance_mismatch": 1,
    }
    # Ordered by customer name, then kind.
    assert [(f["customer_id"], f["kind"]) for f in doc["findings"]] == [
        ("C1", "overpayment"),
        ("C1", "unapplied_credit"),
        ("C2", "unapplied_payment_match"),
        ("C3", "duplicate_payment"),
        ("C4", "refund_exceeds_credit"),
        ("C5", "source_balance_mismatch"),
    ]
    (over,) = findings_of(doc, "overpayment")
    assert over["customer"] == "Acme Ltd"
    assert over["currency"] == "USD"
    assert over["invoice_ids"] == ["I1"]
    assert over["payment_ids"] == ["P1", "P2"]
    assert over["amount"] == "20.00"
    assert over["amounts"] == {"invoice_amount": "100.00", "allocated": "120.00", "excess": "20.00"}
    (credit,) = findings_of(doc, "unapplied_credit")
    assert credit["applications"] == [
        {
            "payment_id": "P2",
            "from_invoice_id": "I1",
            "invoice_id": "I2",
            "number": "I2",
            "amount": "20.00",
        }
    ]
    assert credit["amounts"] == {
        "credit": "20.00",
        "open": "50.00",
        "applicable": "20.00",
        "credit_left": "0.00",
    }
    (match,) = findings_of(doc, "unapplied_payment_match")
    assert match["invoice_ids"] == ["I3"]
    assert match["payment_ids"] == ["P3"]
    assert match["amount"] == "75.00"
    assert "P3" in match["suggestion"]
    (dup,) = findings_of(doc, "duplicate_payment")
    assert dup["payment_ids"] == ["P4", "P5"]
    assert dup["amounts"] == {
        "payment": "40.00",
        "total": "80.00",
    }
    (refund,) = findings_of(doc, "refund_exceeds_credit")
    assert refund["payment_ids"] == ["R1"]
    assert refund["amounts"] == {"refunded": "50.00", "credit": "30.00", "excess": "20.00"}
    (mismatch,) = findings_of(doc, "source_balance_mismatch")
    assert mismatch["invoice_ids"] == ["I5"]
    assert mismatch["amount"] == "150.00"
    assert mismatch["amounts"] == {"source_balance": "200.00", "ledger_balance": "50.00"}
    for f in doc["findings"]:
        assert f["suggestion"].endswith(".")
        assert set(f) == {
            "kind",
            "customer_id",
            "customer",
            "currency",
            "amount",
            "invoice_ids",
            "payment_ids",
            "amounts",
            "applications",
            "suggestion",
        }


def test_exit_codes(cli, books):
    sync(cli, books, messy_books())
    plain = cli("reconcile", "--as-of", AS_OF, "--format", "json")
    assert plain.exit_code == 0
    checked = cli("reconcile", "--as-of", AS_OF, "--check", "--format", "json")
    assert checked.exit_code == 3
    assert json.loads(checked.stdout) == json.loads(plain.stdout)  # findings still printed
    assert "6 findings" in checked.stderr


def test_clean_books_exit_0_with_check(cli, books):
    only_c6 = [r for r in messy_books() if (getattr(r, "customer_id", None) or r.id) == "C6"]
    sync(cli, books, only_c6)
    result = cli("reconcile", "--as-of", AS_OF, "--check", "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["findings"] == []
    table = cli("reconcile", "--as-of", AS_OF, "--check")
    assert table.exit_code == 0
    assert "nothing to show" in table.stdout


def test_customer_filter_and_unknown_customer(cli, books):
    sync(cli, books, messy_books())
    doc = run_json(cli, "reconcile", "--as-of", AS_OF, "--customer", "C1")
    assert {f["customer_id"] for f in doc["findings"]} == {"C1"}
    assert doc["customer_id"] == "C1"
    clean = cli("reconcile", "--as-of", AS_OF, "--customer", "C6", "--check")
    assert clean.exit_code == 0
    unknown = cli("reconcile", "--customer", "NOPE")
    assert unknown.exit_code == 1
    assert "NOPE" in unknown.stderr


def test_historical_as_of(cli, books):
    sync(cli, books, messy_books())
    # On 2026-02-05 P2 had not arrived: I1 was part paid, nothing was wrong yet except the
    # source's balance, which is today's figure and so always compared with today's books.
    doc = run_json(cli, "reconcile", "--as-of", "2026-02-05")
    assert [f["kind"] for f in doc["findings"]] == ["source_balance_mismatch"]
    # Before the refund (2026-03-01) C4 still had 30 on account and nothing open: no finding.
    doc = run_json(cli, "reconcile", "--as-of", "2026-02-28", "--customer", "C4")
    assert doc["findings"] == []


def test_csv_rows(cli, books):
    sync(cli, books, messy_books())
    result = cli("reconcile", "--as-of", AS_OF, "--format", "csv")
    lines = result.stdout.splitlines()
    assert lines[0] == (
        "kind,customer_id,customer,currency,amount,invoice_ids,payment_ids,suggestion"
    )
    assert lines[1].startswith("overpayment,C1,Acme Ltd,USD,20.00,I1,P1 P2,")
    assert len(lines) == 7


def test_refund_of_overpayment_is_clean(cli, books):
    # Overpaid by 20 and the 20 refunded: the overpayment is still reported, nothing else.
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-01-01", "100.00"),
            inv("I2", "C1", "2026-02-01", "100.00"),
            pay("P1", "C1", "2026-01-20", "120.00", "I1"),
            pay("R1", "C1", "2026-01-25", "20.00", kind="refund"),
        ],
    )
    doc = run_json(cli, "reconcile", "--as-of", AS_OF)
    assert [f["kind"] for f in doc["findings"]] == ["overpayment"]


def test_plan_credit_exact_match_first_then_oldest_first():
    d = date.fromisoformat
    credits = [
        Credit("A", d("2026-01-05"), 3000),
        Credit("B", d("2026-02-01"), 2500),  # exactly I2's balance
        Credit("C", d("2026-03-01"), 4000, invoice_id="X9"),  # overpayment excess
    ]
    items = [
        OpenItem("I1", "1", d("2026-01-01"), d("2026-01-31"), 5000),
        OpenItem("I2", "2", d("2026-02-01"), d("2026-03-03"), 2500),
        OpenItem("I3", "3", d("2026-03-01"), d("2026-12-31"), 10000),  # not yet due
    ]
    # A refund of 1000 returns the oldest credit first (A: 3000 -> 2000).
    plan = plan_credit(credits, 1000, items, d("2026-06-30"))
    assert [(a.payment_id, a.invoice_id, a.amount) for a in plan.exact] == [("B", "I2", 2500)]
    assert [(a.payment_id, a.invoice_id, a.amount) for a in plan.applications] == [
        ("A", "I1", 2000),
        ("C", "I1", 3000),
        ("C", "I3", 1000),
    ]
    assert plan.credit == 8500
    assert plan.left_credit == 0
    assert plan.left_open == 9000


def test_duplicates_found_after_incremental_syncs(cli, books):
    """The duplicate-payment keys are kept by every sync: a duplicate that appears, goes or is
    made by changing a payment on a later sync is reported as of that sync."""
    base = [
        cust("C1", "Acme Ltd"),
        inv("I1", "C1", "2026-03-01", "100.00", due="2026-03-31"),
        pay("P1", "C1", "2026-04-01", "40.00", "I1", reference="CHK 7"),
    ]
    sync(cli, books, base)
    assert findings_of(run_json(cli, "reconcile", "--as-of", AS_OF), "duplicate_payment") == []
    twin = pay("P2", "C1", "2026-04-01", "40.00", "I1", reference="CHK 7")
    sync(cli, books, [*base, twin])
    (dup,) = findings_of(run_json(cli, "reconcile", "--as-of", AS_OF), "duplicate_payment")
    assert dup["payment_ids"] == ["P1", "P2"]
    # P2 removed: the key stays behind, but nothing is reported
    sync(cli, books, base)
    assert findings_of(run_json(cli, "reconcile", "--as-of", AS_OF), "duplicate_payment") == []
    # P3 first carries another reference, then a later sync changes it to P1's
    other = pay("P3", "C1", "2026-04-01", "40.00", "I1", reference="CHK 8")
    sync(cli, books, [*base, other])
    assert findings_of(run_json(cli, "reconcile", "--as-of", AS_OF), "duplicate_payment") == []
    changed = pay("P3", "C1", "2026-04-01", "40.00", "I1", reference="CHK 7")
    sync(cli, books, [*base, changed])
    (dup,) = findings_of(run_json(cli, "reconcile", "--as-of", AS_OF), "duplicate_payment")
    assert dup["payment_ids"] == ["P1", "P3"]
    # not before the payments' date
    doc = run_json(cli, "reconcile", "--as-of", "2026-03-31")
    assert findings_of(doc, "duplicate_payment") == []

"""The same books, typed into CSV by hand and kept in (fake) QuickBooks, age identically.

The CSV files below are what a bookkeeper would export for these books (contracts §2); the
QuickBooks side builds the same history the way QuickBooks stores it (zero-total payments for
applied credit, a Purchase check for a refund, a void that zeroes the invoice). Both go through
the real CLI into separate profiles, and every aging report — and ``account show`` of every
customer — must be identical.

The CSV payments carry the ids and references the QuickBooks mapping gives the same money
(``books.ids``: the Payment's own id, ``CreditMemo-<id>`` for a memo's unapplied credit, the
applying Payment's id for applied credit, the refunded Payment's id for a refund check), so that
``account show`` matches line for line. Two fields differ by design and are left out of the
comparison: ``customer.source`` (the source's name) and the amount of a *void* invoice in the
activity text — QuickBooks zeroes a voided invoice and keeps no original total, while CSV
requires the original (positive) amount next to ``status`` void.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fakeqbo import Books, FakeQBO

CUSTOMERS = """id,name,currency
1,Acme Ltd,USD
2,Harbor Tools Ltd,GBP
3,Dormant Co,USD
"""
INVOICES = """id,customer_id,number,issue_date,due_date,currency,amount,status
10,1,1001,2026-01-05,2026-02-04,USD,500.00,
11,1,1002,2026-01-20,2026-02-19,USD,1200.00,
12,1,1003,2026-01-05,2026-02-04,USD,99.00,void
13,2,1004,2026-01-15,2026-02-14,GBP,362.07,
14,3,1005,2025-12-01,2025-12-31,USD,100.00,
"""
#: Ids (and references) are QuickBooks': ``PAYMENTS.format(**books.ids)``.
PAYMENTS = """id,customer_id,date,amount,invoice_id,kind,currency,reference
{pay_acme},1,2026-02-10,300.00,10,payment,USD,
{pay_harbor},2,2026-02-20,200.00,13,payment,GBP,
{pay_harbor},2,2026-02-20,50.00,,payment,GBP,
{pay_harbor},2,2026-02-26,50.00,,refund,GBP,Check {check_harbor}
{apply_harbor},2,2026-02-25,40.00,13,credit,GBP,CreditMemo {cm_harbor}
CreditMemo-{cm_acme},1,2026-02-12,30.00,,credit,USD,CM {cm_acme_number}
{pay_dormant},3,2025-12-20,100.00,14,payment,USD,
{pay_acme_late},1,2026-03-01,75.00,11,payment,USD,
"""
#: ``account show`` is compared at these dates (before and after the credits and the refund).
ACCOUNT_DATES = ("2026-02-21", "2026-03-02")


def quickbooks_books() -> Books:
    b = Books(company_name="Equivalence Co")
    b.add_customer("Acme Ltd", obj_id="1")
    b.add_customer("Harbor Tools Ltd", currency="GBP", obj_id="2")
    b.add_customer("Dormant Co", obj_id="3")
    b.add_invoice(
        "1", "500.00", txn_date="2026-01-05", due_date="2026-02-04", obj_id="10", doc_number="1001"
    )
    b.add_invoice(
        "1", "1200.00", txn_date="2026-01-20", due_date="2026-02-19", obj_id="11", doc_number="1002"
    )
    b.add_invoice(
        "1", "99.00", txn_date="2026-01-05", due_date="2026-02-04", obj_id="12", doc_number="1003"
    )
    b.add_invoice(
        "2", "362.07", txn_date="2026-01-15", due_date="2026-02-14", obj_id="13", doc_number="1004"
    )
    b.add_invoice(
        "3", "100.00", txn_date="2025-12-01", due_date="2025-12-31", obj_id="14", doc_number="1005"
    )
    ids = b.ids
    ids["pay_acme"] = b.add_payment(
        "1", "300.00", txn_date="2026-02-10", invoices={"10": "300.00"}
    )["Id"]
    b.void_invoice("12")
    pay = b.add_payment("2", "250.00", txn_date="2026-02-20", invoices={"13": "200.00"})
    ids["pay_harbor"] = pay["Id"]
    cm = b.add_credit_memo("2", "40.00", txn_date="2026-02-25")
    ids["cm_harbor"] = cm["Id"]
    ids["apply_harbor"] = b.apply_credit(cm["Id"], "13", "40.00", txn_date="2026-02-25")["Id"]
    ids["check_harbor"] = b.refund_credit(
        "2", "50.00", txn_date="2026-02-26", payment_id=pay["Id"]
    )["Id"]
    cm_acme = b.add_credit_memo("1", "30.00", txn_date="2026-02-12")
    ids["cm_acme"], ids["cm_acme_number"] = cm_acme["Id"], cm_acme["DocNumber"]
    ids["pay_dormant"] = b.add_payment(
        "3", "100.00", txn_date="2025-12-20", invoices={"14": "100.00"}
    )["Id"]
    b.inactivate_customer("3")
    ids["pay_acme_late"] = b.add_payment(
        "1", "75.00", txn_date="2026-03-01", invoices={"11": "75.00"}
    )["Id"]
    b.add_refund_receipt("1", "25.00", txn_date="2026-03-01")  # no effect on receivables
    return b


def reports(cli: Callable[..., Any], profile: str, env: dict[str, str]) -> list[Any]:
    out = []
    for as_of in (
        "2026-01-31",
        "2026-02-11",
        "2026-02-21",
        "2026-02-25",
        "2026-02-27",
        "2026-03-02",
    ):
        for by in ("customer", "invoice"):
            result = cli(
                "--profile",
                profile,
                "aging",
                "--by",
                by,
                "--format",
                "json",
                "--as-of",
                as_of,
                env=env,
            )
            assert result.exit_code == 0, result.output
            out.append(json.loads(result.stdout))
    return out


def accounts(cli: Callable[..., Any], profile: str, env: dict[str, str]) -> list[Any]:
    """``account show ID --format json`` of every customer at each of ACCOUNT_DATES, with the
    two fields that differ by design (module docstring) normalised."""
    out = []
    for customer_id in ("1", "2", "3"):
        for as_of in ACCOUNT_DATES:
            result = cli(
                "--profile",
                profile,
                "account",
                "show",
                customer_id,
                "--format",
                "json",
                "--as-of",
                as_of,
                env=env,
            )
            assert result.exit_code == 0, result.output
            doc = json.loads(result.stdout)
            assert doc["customer"].pop("source") in ("csv", "quickbooks")
            for entry in doc["activity"]:
                entry["text"] = re.sub(r"\(void\): [0-9.]+", "(void): VOID", entry["text"])
            out.append(doc)
    return out


@pytest.mark.parametrize("incremental", [False, True])
def test_csv_and_quickbooks_books_age_identically(cli, tmp_path: Path, incremental):
    books_dir = tmp_path / "books"
    books_dir.mkdir()
    (books_dir / "customers.csv").write_text(CUSTOMERS)
    (books_dir / "invoices.csv").write_text(INVOICES)
    books = quickbooks_books()
    (books_dir / "payments.csv").write_text(PAYMENTS.format(**books.ids))
    assert cli("profile", "create", "csvbooks").exit_code == 0
    result = cli("--profile", "csvbooks", "sync", "csv", str(books_dir))
    assert result.exit_code == 0, result.output

    with FakeQBO(books) as qbo:
        env = {
            **qbo.env(refresh_token=qbo.issue_tokens()["refresh_token"]),
            "QUICKBOOKS_RETRY_BASE": "0.01",
        }
        result = cli("sync", "quickbooks", env=env)
        assert result.exit_code == 0, result.output
        if incremental:
            qbo.clock.advance(hours=1)
            books.add_invoice(
                "1",
                "60.00",
                txn_date="2026-03-02",
                due_date="2026-04-01",
                obj_id="15",
                doc_number="1006",
            )
            qbo.clock.advance(minutes=1)
            assert cli("sync", "quickbooks", env=env).exit_code == 0
            with (books_dir / "invoices.csv").open("a") as fh:
                fh.write("15,1,1006,2026-03-02,2026-04-01,USD,60.00,\n")
            assert cli("--profile", "csvbooks", "sync", "csv", str(books_dir)).exit_code == 0
        from_quickbooks = reports(cli, "default", env)
        assert from_quickbooks == reports(cli, "csvbooks", env)
        assert sum(len(r["rows"]) for r in from_quickbooks) > 20  # not trivially equal
        harbor = next(r for r in from_quickbooks[4]["rows"] if r["customer_id"] == "2")
        assert harbor["unapplied"] == "-50.00"  # 02-21: overpayment on account until 02-26
        shown = accounts(cli, "default", env)
        assert shown == accounts(cli, "csvbooks", env)
        assert sum(len(doc["payments"]) for doc in shown) > 10  # not trivially equal
        kinds = {p["kind"] for doc in shown for p in doc["payments"]}
        assert kinds == {"payment", "credit", "refund"}

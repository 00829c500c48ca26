"""collectctl plan: propose, create, list, show, status, cancel, through the CLI (docs/plans.md)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_helpers import cust, inv, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-11-30"
BASE = [
    cust("C1", "Acme Ltd"),
    inv("I1", "C1", "2026-09-01", "600.00", due="2026-10-01", number="SL-1"),
    inv("I2", "C1", "2026-10-01", "400.00", due="2026-10-31", number="SL-2"),
    cust("C2", "Bravo GmbH", currency="EUR"),
    inv("E1", "C2", "2026-10-01", "900.00", due="2026-10-31"),
]
PLAN = ["C1", "--installments", "3", "--every", "month", "--start", "2026-12-01"]


def sync(cli, books, records):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr


def create(cli, *args, as_of=AS_OF):
    return run_json(cli, "plan", "create", *args, "--as-of", as_of, "--future")


def status(cli, plan_id, as_of):
    (doc,) = run_json(cli, "plan", "status", plan_id, "--as-of", as_of)["plans"]
    return doc


def money_sum(values):
    return sum(Decimal(v) for v in values)


@pytest.fixture
def base(cli, books):
    sync(cli, books, BASE)
    return books


# --- propose ---------------------------------------------------------------------------------


def test_propose_splits_exactly_and_stores_nothing(cli, base):
    doc = run_json(cli, "plan", "propose", *PLAN, "--as-of", AS_OF)
    assert doc["plan_id"] is None
    assert doc["balance"] == "1000.00"
    assert [ln["total"] for ln in doc["lines"]] == ["333.33", "333.33", "333.34"]
    assert [ln["due"] for ln in doc["lines"]] == ["2026-12-01", "2027-01-01", "2027-02-01"]
    assert [i["invoice_id"] for i in doc["invoices"]] == ["I1", "I2"]
    assert run_json(cli, "plan", "list", "--as-of", "2030-01-01")["plans"] == []


def test_propose_with_down_rate_and_fee_sums_to_balance_interest_and_fees(cli, base):
    doc = run_json(
        cli, "plan", "propose", *PLAN, "--down", "100", "--rate", "12", "--fee", "25.00",
        "--as-of", AS_OF,
    )  # fmt: skip
    lines = doc["lines"]
    assert lines[0] == {
        "number": 0, "due": "2026-12-01", "principal": "100.00", "interest": "0.00",
        "fee": "0.00", "total": "100.00", "remaining": "900.00",
    }  # fmt: skip
    assert [ln["due"] for ln in lines[1:]] == ["2027-01-01", "2027-02-01", "2027-03-01"]
    assert lines[1]["fee"] == "25.00"
    assert money_sum(ln["principal"] for ln in lines) == Decimal("1000.00")
    interest = money_sum(ln["interest"] for ln in lines)
    assert interest > 0
    assert money_sum(ln["total"] for ln in lines) == Decimal("1025.00") + interest
    assert doc["totals"]["total"] == str(Decimal("1025.00") + interest)
    assert all(len(ln["total"].split(".")[1]) == 2 for ln in lines)


def test_propose_simple_interest_vector(cli, books):
    sync(cli, books, [cust("C1"), inv("I1", "C1", "2026-01-01", "1200.00")])
    doc = run_json(
        cli, "plan", "propose", "C1", "--installments", "6", "--every", "month",
        "--start", "2026-12-15", "--rate", "12", "--interest", "simple", "--as-of", AS_OF,
    )  # fmt: skip
    assert {ln["total"] for ln in doc["lines"]} == {"212.00"}
    assert doc["totals"] == {
        "principal": "1200.00", "interest": "72.00", "fees": "0.00", "total": "1272.00"
    }  # fmt: skip


def test_month_end_clamping_is_shown(cli, base):
    result = cli(
        "plan", "propose", "C1", "--installments", "4", "--every", "month",
        "--start", "2027-01-31", "--as-of", AS_OF,
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    for day in ("2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"):
        assert day in result.stdout
    assert "250.00" in result.stdout


def test_amount_per_installment_and_csv(cli, base):
    result = cli(
        "plan", "propose", "C1", "--amount", "300", "--every", "2weeks", "--start",
        "2026-12-04", "--as-of", AS_OF, "--format", "csv",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "number,due,principal,interest,fee,total,remaining",
        "1,2026-12-04,300.00,0.00,0.00,300.00,700.00",
        "2,2026-12-18,300.00,0.00,0.00,300.00,400.00",
        "3,2027-01-01,300.00,0.00,0.00,300.00,100.00",
        "4,2027-01-15,100.00,0.00,0.00,100.00,0.00",
    ]


def test_named_invoice_and_number(cli, base):
    doc = run_json(cli, "plan", "propose", *PLAN, "--invoice", "SL-2", "--as-of", AS_OF)
    assert doc["balance"] == "400.00"
    assert [i["invoice_id"] for i in doc["invoices"]] == ["I2"]


def test_covered_balance_is_taken_at_the_start_of_the_day(cli, books):
    sync(cli, books, [*BASE, pay("P0", "C1", "2026-11-20", "100.00", "I1"),
                      pay("P1", "C1", AS_OF, "50.00", "I1")])  # fmt: skip
    doc = run_json(cli, "plan", "propose", *PLAN, "--as-of", AS_OF)
    # The payment dated 11-20 is out of the balance; the one dated on the day is not: it will
    # count toward the plan.
    assert doc["balance"] == "900.00"


def test_jpy_plan(cli, books):
    sync(cli, books, [cust("J", "Sakura", currency="JPY"), inv("Y1", "J", "2026-10-01", "10000")])
    doc = run_json(
        cli, "plan", "propose", "J", "--installments", "3", "--every", "week",
        "--start", "2026-12-01", "--as-of", AS_OF,
    )  # fmt: skip
    assert [ln["total"] for ln in doc["lines"]] == ["3333", "3333", "3334"]
    assert [ln["due"] for ln in doc["lines"]] == ["2026-12-01", "2026-12-08", "2026-12-15"]


# --- create, show, list, cancel --------------------------------------------------------------


def test_create_show_list_and_cancel(cli, base):
    created = create(cli, *PLAN)
    assert created["plan_id"] == "PL-1"
    shown = run_json(cli, "plan", "show", "PL-1")
    assert shown["plan_id"] == "PL-1"
    assert shown["lines"] == created["lines"]
    assert shown["created_on"] == AS_OF
    assert [(i["invoice_id"], i["status"], i["balance"]) for i in shown["invoices"]] == [
        ("I1", "open", "600.00"),
        ("I2", "open", "400.00"),
    ]
    assert shown["grace_days"] == 5
    assert shown["max_missed"] == 1
    listed = run_json(cli, "plan", "list", "--as-of", "2026-12-01")["plans"]
    assert [(p["plan_id"], p["state"], p["outstanding"]) for p in listed] == [
        ("PL-1", "active", "1000.00")
    ]
    # lower case and bare numbers name the same plan
    assert run_json(cli, "plan", "show", "pl-1")["plan_id"] == "PL-1"
    assert run_json(cli, "plan", "show", "1")["plan_id"] == "PL-1"

    result = cli("plan", "cancel", "PL-1", "--reason", "customer paid elsewhere", "--as-of",
                 "2026-12-05", "--future")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "Cancelled plan PL-1" in result.stdout
    # before the cancellation day the plan was active; from that day on it is cancelled
    before = status(cli, "PL-1", "2026-12-04")
    assert before["state"] == "active"
    assert before["cancelled_on"] is None
    after = status(cli, "PL-1", "2026-12-05")
    assert after["state"] == "cancelled"
    assert after["cancelled_on"] == "2026-12-05"
    shown = run_json(cli, "plan", "show", "PL-1")
    assert shown["cancel_reason"] == "customer paid elsewhere"
    # `plan status` without an id leaves cancelled plans out; `plan list` keeps them
    assert run_json(cli, "plan", "status", "--as-of", "2026-12-31")["plans"] == []
    assert (
        run_json(cli, "plan", "list", "--state", "cancelled", "--as-of", "2026-12-31")["plans"][0][
            "plan_id"
        ]
        == "PL-1"
    )


def test_one_active_plan_per_account_and_currency(cli, base):
    create(cli, *PLAN)
    before = run_json(cli, "plan", "list", "--as-of", "2030-01-01")
    result = cli("plan", "create", *PLAN, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "already has plan PL-1" in result.stderr
    assert "plan cancel PL-1" in result.stderr
    assert run_json(cli, "plan", "list", "--as-of", "2030-01-01") == before
    # a broken plan still blocks: it has to be cancelled (with a reason) first
    assert status(cli, "PL-1", "2027-01-10")["state"] == "broken"
    late = cli("plan", "create", *PLAN[:-1], "2027-01-15", "--as-of", "2027-01-10", "--future")
    assert late.exit_code == 1
    # another account is fine
    assert create(cli, "C2", "--installments", "2", "--every", "month", "--start",
                  "2026-12-01")["plan_id"] == "PL-2"  # fmt: skip
    cli("plan", "cancel", "PL-1", "--reason", "broken", "--as-of", "2027-01-10", "--future")
    again = create(cli, *PLAN[:-1], "2027-01-15", as_of="2027-01-10")
    assert again["plan_id"] == "PL-3"


def test_completed_plan_does_not_block_a_new_one(cli, books):
    sync(cli, books, BASE)
    create(cli, "C1", "--invoice", "I2", "--installments", "1", "--every", "month",
           "--start", "2026-12-01")  # fmt: skip
    sync(cli, books, [*BASE, pay("P1", "C1", "2026-12-01", "400.00", "I2")])
    assert status(cli, "PL-1", "2026-12-02")["state"] == "completed"
    assert create(cli, "C1", "--installments", "2", "--every", "month", "--start",
                  "2026-12-05", as_of="2026-12-02")["balance"] == "600.00"  # fmt: skip


def test_create_says_which_plan_it_made(cli, base):
    result = cli("plan", "create", *PLAN, "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 0, result.stderr
    assert "Created plan PL-1" in result.stderr
    assert result.stdout.startswith("number,due,principal")


def test_agreement_letter_markdown(cli, base, collectctl_home):
    config = collectctl_home / "profiles" / "default" / "config.toml"
    config.write_text(
        '[creditor]\nname = "Studio Lumen"\nemail = "billing@lumen.example"\n'
        'payment_details = "IBAN DE00 1234"\n',
        encoding="utf-8",
    )
    create(cli, *PLAN, "--down", "100")
    result = cli("plan", "agreement", "PL-1")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert text.startswith("# Payment plan agreement PL-1")
    assert "**Creditor:** Studio Lumen" in text
    assert "**Debtor:** Acme Ltd (account C1)" in text
    assert "| down payment | 2026-12-01 | USD 100.00 |" in text
    assert "USD 300.00" in text
    assert "Total to pay: USD 1,000.00." in text
    assert "within 5 days after its due date" in text
    assert "more than 1 installment is past due" in text
    assert "IBAN DE00 1234" in text
    assert "billing@lumen.example" in text
    for threat in ("legal action", "court", "bailiff", "credit rating"):
        assert threat not in text.lower()


def test_plan_show_md_is_the_schedule_table_like_every_md(cli, base):
    create(cli, *PLAN)
    result = cli("plan", "show", "PL-1", "--format", "md")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.startswith("|"))
    assert [c.strip() for c in header.strip("|").split("|")][:3] == ["#", "due", "principal"]
    assert "Payment plan agreement" not in result.stdout


def test_table_output_for_people(cli, base):
    create(cli, *PLAN)
    result = cli("plan", "status", "PL-1", "--as-of", "2026-12-03")
    assert result.exit_code == 0, result.stderr
    assert "Plan PL-1: Acme Ltd (C1), USD" in result.stdout
    assert "State on 2026-12-03: active" in result.stdout
    result = cli("plan", "show", "PL-1")
    assert "TOTAL" in result.stdout
    assert "Covers I1 (600.00), I2 (400.00)" in result.stdout


# --- tracking --------------------------------------------------------------------------------


def statuses(doc):
    return [i["status"] for i in doc["installments"]]


def test_payment_on_the_due_date_and_on_the_last_grace_day(cli, books):
    sync(cli, books, BASE)
    create(cli, *PLAN)
    paid = [
        pay("P1", "C1", "2026-12-01", "333.33", "I1"),  # on the due date
        pay("P2", "C1", "2027-01-06", "333.33", "I1"),  # due 01-01, last grace day 01-06
    ]
    sync(cli, books, [*BASE, *paid])
    doc = status(cli, "PL-1", "2026-12-01")
    assert statuses(doc) == ["paid", "upcoming", "upcoming"]
    assert doc["installments"][0]["paid_on"] == "2026-12-01"
    doc = status(cli, "PL-1", "2027-01-05")
    assert statuses(doc) == ["paid", "due", "upcoming"]
    assert doc["state"] == "active"
    doc = status(cli, "PL-1", "2027-01-10")
    assert statuses(doc) == ["paid", "paid", "upcoming"]
    assert doc["state"] == "active"
    assert doc["broken_on"] is None


def test_payment_the_day_after_the_grace_breaks_the_plan(cli, books):
    sync(cli, books, BASE)
    create(cli, *PLAN)
    sync(cli, books, [*BASE, pay("P1", "C1", "2026-12-07", "333.33", "I1")])
    doc = status(cli, "PL-1", "2026-12-06")
    assert doc["state"] == "active"
    assert statuses(doc)[0] == "due"
    doc = status(cli, "PL-1", "2026-12-07")
    assert doc["state"] == "broken"
    assert doc["broken_on"] == "2026-12-07"
    assert "installment 1 due 2026-12-01" in doc["reason"]
    # breaking is sticky: the late payment still counts, but the plan stays broken
    assert statuses(doc)[0] == "paid"
    listed = run_json(cli, "plan", "list", "--broken", "--as-of", "2026-12-31")["plans"]
    assert [p["plan_id"] for p in listed] == ["PL-1"]
    assert (
        run_json(cli, "plan", "list", "--state", "active", "--as-of", "2026-12-31")["plans"] == []
    )


def test_overpayment_rolls_forward_and_completion(cli, books):
    sync(cli, books, BASE)
    create(cli, *PLAN)
    sync(cli, books, [*BASE, pay("P1", "C1", "2026-12-01", "500.00", "I1")])
    doc = status(cli, "PL-1", "2026-12-02")
    assert statuses(doc) == ["paid", "partial", "upcoming"]
    assert doc["installments"][1]["paid"] == "166.67"
    assert doc["paid"] == "500.00"
    assert doc["outstanding"] == "500.00"
    # the rest, split across an applied payment and an unapplied one, plus 20.00 too much
    rest = [
        pay("P2", "C1", "2027-01-01", "200.00", "I2"),
        pay("P3", "C1", "2027-01-02", "320.00"),  # on account: counts toward the plan
    ]
    sync(cli, books, [*BASE, pay("P1", "C1", "2026-12-01", "500.00", "I1"), *rest])
    doc = status(cli, "PL-1", "2027-01-02")
    assert doc["state"] == "completed"
    assert statuses(doc) == ["paid", "paid", "paid"]
    assert doc["installments"][2]["paid_on"] == "2027-01-02"
    assert doc["excess"] == "20.00"
    assert doc["outstanding"] == "0.00"
    assert (
        run_json(cli, "plan", "list", "--state", "completed", "--as-of", "2027-01-02")["plans"][0][
            "state"
        ]
        == "completed"
    )


def test_what_counts_as_a_receipt(cli, books):
    extra = [
        inv("I3", "C1", "2026-11-10", "50.00", due="2026-12-10"),  # not covered (named below)
        inv("U1", "C1", "2026-10-01", "70.00", currency="EUR"),
    ]
    sync(cli, books, [*BASE, *extra])
    create(cli, "C1", "--invoice", "I1", "--invoice", "I2", "--installments", "2", "--every",
           "month", "--start", "2026-12-01")  # fmt: skip
    receipts = [
        pay("A", "C1", "2026-11-29", "10.00", "I1"),  # before the plan: part of the balance...
        pay("B", "C1", AS_OF, "10.00", "I1"),  # on the creation day: counts
        pay("C", "C1", "2026-12-01", "50.00", "I3"),  # to an invoice the plan does not cover
        pay("D", "C1", "2026-12-01", "70.00", "U1", currency="EUR"),  # other currency
        pay("E", "C1", "2026-12-01", "5.00", "I2", kind="write_off"),  # a write-off is not paid
        pay("F", "C1", "2026-12-01", "20.00", "I2", kind="credit"),  # a credit note counts
        pay("G", "C1", "2026-12-01", "15.00"),  # unapplied, USD: counts
    ]
    sync(cli, books, [*BASE, *extra, *receipts])
    doc = status(cli, "PL-1", "2026-12-01")
    assert doc["paid"] == "45.00"  # B + F + G


def test_grace_days_and_max_missed_come_from_the_config(cli, base, collectctl_home):
    config = collectctl_home / "profiles" / "default" / "config.toml"
    config.write_text("[plans]\ngrace_days = 2\n", encoding="utf-8")
    create(cli, *PLAN)
    assert status(cli, "PL-1", "2026-12-03")["state"] == "active"
    doc = status(cli, "PL-1", "2026-12-04")
    assert doc["state"] == "broken"
    assert doc["broken_on"] == "2026-12-04"
    assert "within 2 days of grace" in doc["reason"]
    # max_missed = 0: the plan breaks the day after any installment falls due unpaid
    config.write_text("[plans]\ngrace_days = 10\nmax_missed = 0\n", encoding="utf-8")
    create(cli, "C2", "--installments", "2", "--every", "month", "--start", "2026-12-01")
    doc = status(cli, "PL-2", "2026-12-02")
    assert doc["state"] == "broken"
    assert doc["broken_on"] == "2026-12-02"
    assert "1 installments past due and unpaid" in doc["reason"]
    # the terms agreed stay with the plan when the config changes later
    config.write_text("[plans]\ngrace_days = 30\n", encoding="utf-8")
    assert status(cli, "PL-1", "2026-12-04")["state"] == "broken"
    assert run_json(cli, "plan", "show", "PL-1")["grace_days"] == 2
    config.write_text('[plans]\ngrace_days = "five"\n', encoding="utf-8")
    result = cli("plan", "propose", *PLAN, "--as-of", AS_OF)
    assert result.exit_code == 1
    assert "plans.grace_days" in result.stderr


def test_status_of_every_plan(cli, base):
    create(cli, *PLAN)
    create(cli, "C2", "--installments", "2", "--every", "week", "--start", "2026-11-30")
    doc = run_json(cli, "plan", "status", "--as-of", "2026-12-07")
    assert doc["as_of"] == "2026-12-07"
    assert [
        (p["plan_id"], p["currency"], p["state"], p["installments"], p["late"], p["past_due"])
        for p in doc["plans"]
    ] == [("PL-1", "USD", "broken", 3, 1, "333.33"), ("PL-2", "EUR", "broken", 2, 1, "450.00")]
    assert doc["plans"][0]["reason"].startswith("installment 1 due 2026-12-01")
    # plans made after the as-of date are not shown
    assert run_json(cli, "plan", "status", "--as-of", "2026-11-29")["plans"] == []
    table = cli("plan", "status", "--as-of", "2026-12-03").stdout
    assert "PL-1" in table
    assert "PL-2" in table


# --- re-sync -----------------------------------------------------------------------------------


def test_resync_never_deletes_plans_and_shows_missing_invoices(cli, books):
    sync(cli, books, BASE)
    create(cli, *PLAN)
    # the source drops I2 and the whole customer C2, changes I1's description
    changed = [
        cust("C1", "Acme Ltd (renamed)"),
        inv("I1", "C1", "2026-09-01", "600.00", due="2026-10-01", number="SL-1",
            description="changed"),
        pay("P1", "C1", "2026-12-01", "333.33", "I1"),
    ]  # fmt: skip
    sync(cli, books, changed)
    shown = run_json(cli, "plan", "show", "PL-1")
    assert [(i["invoice_id"], i["status"]) for i in shown["invoices"]] == [
        ("I1", "open"),
        ("I2", "missing"),
    ]
    doc = status(cli, "PL-1", "2026-12-02")
    assert doc["state"] == "active"
    assert statuses(doc)[0] == "paid"
    assert {i["invoice_id"]: i["status"] for i in doc["invoices"]}["I2"] == "missing"
    table = cli("plan", "status", "PL-1", "--as-of", "2026-12-02").stdout
    assert "No longer in the books (removed by the source): I2." in table
    # the invoice comes back: the plan finds it again
    sync(cli, books, BASE)
    shown = run_json(cli, "plan", "show", "PL-1")
    assert [i["status"] for i in shown["invoices"]] == ["open", "open"]

"""collectctl aging: every option and edge of contracts §3, checked through the CLI."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal

import pytest
from core_helpers import cust, inv, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-11-30"


def sync(cli, books, records, *extra):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q", *extra)
    assert result.exit_code == 0, result.stderr
    return result


def aging(cli, *args):
    return run_json(cli, "aging", "--as-of", AS_OF, *args)


def row_of(doc, customer_id, currency=None):
    rows = [
        r
        for r in doc["rows"]
        if r["customer_id"] == customer_id and (currency is None or r["currency"] == currency)
    ]
    assert len(rows) == 1, doc["rows"]
    return rows[0]


def test_contract_example_shape(cli, books):
    # The example of contracts §3: 120 current, 50 in 31-60, 20 unapplied -> total 150.
    sync(
        cli,
        books,
        [
            cust("C1", "Acme Ltd"),
            inv("I1", "C1", "2026-11-01", "120.00", due="2026-12-01"),
            inv("I2", "C1", "2026-09-01", "50.00", due="2026-10-15"),
            pay("P1", "C1", "2026-11-10", "20.00"),
        ],
    )
    doc = aging(cli)
    assert doc == {
        "as_of": AS_OF,
        "basis": "due",
        "buckets": ["current", "1-30", "31-60", "61-90", "91+"],
        "rows": [
            {
                "customer_id": "C1",
                "customer": "Acme Ltd",
                "currency": "USD",
                "current": "120.00",
                "1-30": "0.00",
                "31-60": "50.00",
                "61-90": "0.00",
                "91+": "0.00",
                "unapplied": "-20.00",
                "total": "150.00",
            }
        ],
        "totals": [
            {
                "currency": "USD",
                "current": "120.00",
                "1-30": "0.00",
                "31-60": "50.00",
                "61-90": "0.00",
                "91+": "0.00",
                "unapplied": "-20.00",
                "total": "150.00",
            }
        ],
    }


@pytest.mark.parametrize(
    ("due", "bucket"),
    [
        ("2026-12-01", "current"),  # not yet due
        ("2026-11-30", "current"),  # due today: days = 0
        ("2026-11-29", "1-30"),  # 1 day
        ("2026-10-31", "1-30"),  # 30 days
        ("2026-10-30", "31-60"),  # 31 days
        ("2026-10-01", "31-60"),  # 60 days
        ("2026-09-30", "61-90"),  # 61 days
        ("2026-09-01", "61-90"),  # 90 days
        ("2026-08-31", "91+"),  # 91 days
    ],
)
def test_bucket_boundaries(cli, books, due, bucket):
    sync(cli, books, [cust("C1"), inv("I1", "C1", "2026-01-01", "10.00", due=due)])
    row = row_of(aging(cli), "C1")
    assert row[bucket] == "10.00"
    assert row["total"] == "10.00"
    inv_row = aging(cli, "--by", "invoice")["rows"][0]
    assert inv_row["bucket"] == bucket


def test_custom_buckets_names_and_placement(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-01-01", "1.00", due="2026-11-15"),  # 15 days
            inv("I2", "C1", "2026-01-01", "2.00", due="2026-11-14"),  # 16 days
            inv("I3", "C1", "2026-01-01", "4.00", due="2026-10-16"),  # 45 days
            inv("I4", "C1", "2026-01-01", "8.00", due="2026-10-15"),  # 46 days
        ],
    )
    doc = aging(cli, "--buckets", "15,45")
    assert doc["buckets"] == ["current", "1-15", "16-45", "46+"]
    row = row_of(doc, "C1")
    assert (row["current"], row["1-15"], row["16-45"], row["46+"]) == (
        "0.00",
        "1.00",
        "6.00",
        "8.00",
    )


def test_basis_issue_ages_from_issue_date(cli, books):
    sync(cli, books, [cust("C1"), inv("I1", "C1", "2026-10-20", "10.00", due="2026-12-20")])
    assert row_of(aging(cli), "C1")["current"] == "10.00"
    doc = aging(cli, "--basis", "issue")
    assert doc["basis"] == "issue"
    assert row_of(doc, "C1")["31-60"] == "10.00"  # 41 days since issue
    inv_row = aging(cli, "--basis", "issue", "--by", "invoice")["rows"][0]
    assert (inv_row["days"], inv_row["bucket"]) == (41, "31-60")


def test_historical_as_of_before_issue_and_payment_after(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-03-01", "100.00", due="2026-03-31"),
            inv("I2", "C1", "2026-06-01", "40.00", due="2026-07-01"),
            pay("P1", "C1", "2026-05-15", "100.00", "I1"),
            # paid before I2 was issued: unapplied credit until then
            pay("P2", "C1", "2026-05-20", "40.00", "I2"),
        ],
    )
    # Before anything: customer left out.
    assert run_json(cli, "aging", "--as-of", "2026-02-28")["rows"] == []
    # I1 open and 31 days late; P1 not yet received.
    row = row_of(run_json(cli, "aging", "--as-of", "2026-05-01"), "C1")
    assert (row["31-60"], row["unapplied"], row["total"]) == ("100.00", "0.00", "100.00")
    # P2 received before I2 issued -> unapplied credit.
    row = row_of(run_json(cli, "aging", "--as-of", "2026-05-25"), "C1")
    assert (row["unapplied"], row["total"]) == ("-40.00", "-40.00")
    # Everything settled.
    assert run_json(cli, "aging", "--as-of", "2026-06-02")["rows"] == []


def test_overpayment_excess_is_unapplied(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-10-01", "100.00", due="2026-10-31"),
            pay("P1", "C1", "2026-11-05", "130.00", "I1"),
        ],
    )
    row = row_of(aging(cli), "C1")
    assert row["1-30"] == "0.00"
    assert (row["unapplied"], row["total"]) == ("-30.00", "-30.00")
    assert aging(cli, "--by", "invoice")["rows"] == []


def test_credit_note_write_off_and_refund(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-09-01", "500.00", due="2026-10-01"),
            pay("CN1", "C1", "2026-09-10", "100.00", "I1", kind="credit"),
            pay("WO1", "C1", "2026-11-01", "50.00", "I1", kind="write_off"),
            pay("CN2", "C1", "2026-09-15", "80.00", kind="credit"),  # on account
            pay("R1", "C1", "2026-11-20", "30.00", kind="refund"),  # paid back
        ],
    )
    row = row_of(aging(cli), "C1")
    assert row["31-60"] == "350.00"  # 500 - 100 - 50
    assert row["unapplied"] == "-50.00"  # -80 + 30
    assert row["total"] == "300.00"
    # Before the refund and the write-off:
    row = row_of(run_json(cli, "aging", "--as-of", "2026-10-31"), "C1")
    assert (row["1-30"], row["unapplied"], row["total"]) == ("400.00", "-80.00", "320.00")


def test_refund_larger_than_credit_leaves_positive_unapplied(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            pay("P1", "C1", "2026-10-01", "10.00"),
            pay("R1", "C1", "2026-10-02", "25.00", kind="refund"),
        ],
    )
    row = row_of(aging(cli), "C1")
    assert (row["unapplied"], row["total"]) == ("15.00", "15.00")


def test_void_invoice_ignored_and_its_payment_unapplied(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            inv("I1", "C1", "2026-10-01", "75.00", due="2026-10-15", void=True),
            pay("P1", "C1", "2026-10-20", "75.00", "I1"),
        ],
    )
    row = row_of(aging(cli), "C1")
    assert all(row[b] == "0.00" for b in ["current", "1-30", "31-60", "61-90", "91+"])
    assert (row["unapplied"], row["total"]) == ("-75.00", "-75.00")
    assert aging(cli, "--by", "invoice")["rows"] == []


def test_zero_and_three_decimal_currencies(cli, books):
    sync(
        cli,
        books,
        [
            cust("J", "Tanaka KK", currency="JPY"),
            cust("B", "Manama Trading", currency="BHD"),
            inv("IJ", "J", "2026-11-01", "150000", due="2026-11-15"),
            inv("IB", "B", "2026-11-01", "1234.567", due="2026-11-15"),
            pay("PB", "B", "2026-11-20", "0.005", "IB"),
            pay("PJ", "J", "2026-11-20", "1", "IJ"),
        ],
    )
    doc = aging(cli)
    assert row_of(doc, "J")["1-30"] == "149999"
    assert row_of(doc, "B")["1-30"] == "1234.562"
    assert {t["currency"]: t["total"] for t in doc["totals"]} == {
        "BHD": "1234.562",
        "JPY": "149999",
    }


def test_rows_per_customer_and_currency_and_ordering(cli, books):
    sync(
        cli,
        books,
        [
            cust("Z9", "acme"),
            cust("A1", "Beta"),
            cust("M5", "Acme", currency="EUR"),
            inv("1", "Z9", "2026-11-01", "1.00"),
            inv("2", "Z9", "2026-11-01", "2.00", currency="EUR"),
            inv("3", "A1", "2026-11-01", "3.00"),
            inv("4", "M5", "2026-11-01", "4.00"),
        ],
    )
    doc = aging(cli)
    order = [(r["customer"], r["currency"], r["customer_id"]) for r in doc["rows"]]
    assert order == [
        ("Acme", "EUR", "M5"),
        ("acme", "EUR", "Z9"),
        ("acme", "USD", "Z9"),
        ("Beta", "USD", "A1"),
    ]
    assert [t["currency"] for t in doc["totals"]] == ["EUR", "USD"]
    eur = next(t for t in doc["totals"] if t["currency"] == "EUR")
    assert eur["total"] == "6.00"


def test_currency_filter_and_min_balance(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            cust("C2"),
            cust("C3", currency="EUR"),
            inv("1", "C1", "2026-11-01", "100.00"),
            inv("2", "C2", "2026-11-01", "99.99"),
            inv("3", "C3", "2026-11-01", "500.00"),
        ],
    )
    doc = aging(cli, "--currency", "usd")
    assert [r["customer_id"] for r in doc["rows"]] == ["C1", "C2"]
    assert [t["currency"] for t in doc["totals"]] == ["USD"]
    doc = aging(cli, "--min-balance", "100")
    assert [r["customer_id"] for r in doc["rows"]] == ["C1", "C3"]
    # totals always sum the rows shown
    assert {t["currency"]: t["total"] for t in doc["totals"]} == {"EUR": "500.00", "USD": "100.00"}
    inv_doc = aging(cli, "--by", "invoice", "--min-balance", "100.00")
    assert [r["invoice_id"] for r in inv_doc["rows"]] == ["1", "3"]


def test_by_invoice_rows_order_and_totals(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1", "Beta"),
            cust("C2", "alpha"),
            inv("X", "C1", "2026-08-01", "10.00", due="2026-09-01", number="INV-2"),
            inv("Y", "C1", "2026-08-01", "20.00", due="2026-09-01", number="INV-1"),
            inv("W", "C1", "2026-07-01", "5.00", due="2026-08-01"),
            inv("V", "C2", "2026-11-01", "7.00", due="2026-12-01"),
            pay("P", "C1", "2026-09-05", "4.00", "Y"),
            pay("U", "C1", "2026-09-05", "3.00"),
        ],
    )
    doc = aging(cli, "--by", "invoice")
    assert [r["invoice_id"] for r in doc["rows"]] == ["V", "W", "Y", "X"]
    first = doc["rows"][1]
    assert list(first) == [
        "invoice_id",
        "number",
        "customer_id",
        "customer",
        "currency",
        "issue_date",
        "due_date",
        "days",
        "bucket",
        "amount",
        "balance",
    ]
    assert first["number"] == "W"  # number defaults to the id
    assert first["days"] == 121
    assert isinstance(first["days"], int)
    assert (first["bucket"], first["amount"], first["balance"]) == ("91+", "5.00", "5.00")
    y = doc["rows"][2]
    assert (y["amount"], y["balance"]) == ("20.00", "16.00")
    assert doc["totals"] == [
        {
            "currency": "USD",
            "current": "7.00",
            "1-30": "0.00",
            "31-60": "0.00",
            "61-90": "26.00",
            "91+": "5.00",
            "total": "38.00",
        }
    ]


def test_zero_customers_left_out(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1"),
            cust("C2"),
            inv("1", "C1", "2026-11-01", "10.00"),
            pay("P", "C1", "2026-11-02", "10.00", "1"),
        ],
    )
    assert aging(cli)["rows"] == []
    assert aging(cli)["totals"] == []


def test_due_date_defaults_from_terms(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1", terms_days=14),
            cust("C2"),
            inv("1", "C1", "2026-11-01", "10.00"),
            inv("2", "C2", "2026-10-01", "10.00"),
        ],
    )
    rows = {r["invoice_id"]: r for r in aging(cli, "--by", "invoice")["rows"]}
    assert rows["1"]["due_date"] == "2026-11-15"
    assert rows["2"]["due_date"] == "2026-10-31"  # profile default: 30 days


def test_csv_output_rows_only_with_formula_escaping(cli, books):
    sync(
        cli,
        books,
        [
            cust("=HYPERLINK(1)", "=cmd|' /C calc'!A0"),
            cust("C2", "+Plus"),
            inv("1", "=HYPERLINK(1)", "2026-11-01", "10.00"),
            inv("2", "C2", "2026-11-01", "20.00"),
            pay("P", "C2", "2026-11-02", "25.00"),
        ],
    )
    result = cli("aging", "--as-of", AS_OF, "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert rows[0] == [
        "customer_id",
        "customer",
        "currency",
        "current",
        "1-30",
        "31-60",
        "61-90",
        "91+",
        "unapplied",
        "total",
    ]
    assert len(rows) == 3  # header + rows, no totals
    by_id = {r[0]: r for r in rows[1:]}
    assert by_id["'=HYPERLINK(1)"][1] == "'=cmd|' /C calc'!A0"
    plus = by_id["C2"]
    assert plus[1] == "'+Plus"
    # money is never altered, negative or not
    assert (plus[8], plus[9]) == ("-25.00", "-5.00")
    # JSON carries values unchanged
    doc = aging(cli)
    assert {r["customer"] for r in doc["rows"]} == {"=cmd|' /C calc'!A0", "+Plus"}


def test_table_and_md_end_with_totals(cli, books):
    sync(cli, books, [cust("C1", "Acme"), inv("1", "C1", "2026-11-01", "10.00")])
    table = cli("aging", "--as-of", AS_OF)
    assert table.exit_code == 0
    lines = table.stdout.strip().splitlines()
    assert lines[-1].startswith("TOTAL")
    assert lines[-1].endswith("10.00")
    md = cli("aging", "--as-of", AS_OF, "--format", "md")
    assert md.stdout.strip().splitlines()[-1].startswith("| TOTAL")


def test_format_from_environment(cli, books):
    sync(cli, books, [cust("C1"), inv("1", "C1", "2026-11-01", "10.00")])
    result = cli("aging", "--as-of", AS_OF, env={"COLLECTCTL_FORMAT": "json"})
    assert json.loads(result.stdout)["rows"][0]["total"] == "10.00"
    # an explicit option wins over the environment
    result = cli("aging", "--as-of", AS_OF, "-f", "csv", env={"COLLECTCTL_FORMAT": "json"})
    assert result.stdout.startswith("customer_id,")


@pytest.mark.parametrize(
    "args",
    [
        ["--as-of", "2026-13-01"],
        ["--as-of", "30/11/2026"],
        ["--buckets", "60,30"],
        ["--buckets", "0,30"],
        ["--buckets", "a,b"],
        ["--buckets", "\u0663\u0660,60"],  # int() would read other scripts' digits
        ["--buckets", "1_0"],  # and underscores
        ["--buckets", "30,,60"],  # an empty bound
        ["--buckets", "30,60,"],
        ["--buckets", ","],
        ["--min-balance", "\u0661\u0660"],
        ["--basis", "paid"],
        ["--by", "month"],
        ["--format", "xml"],
        ["--currency", "XYZ"],
        ["--currency", "XAU"],
        ["--min-balance", "1,000"],
        ["--nope"],
    ],
)
def test_bad_options_exit_2(cli, args):
    result = cli("aging", *args)
    assert result.exit_code == 2, result.stdout
    assert "Error" in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_format_in_environment_is_a_usage_error(cli):
    result = cli("aging", env={"COLLECTCTL_FORMAT": "yaml"})
    assert result.exit_code == 2
    assert "yaml" in result.stderr


def test_money_is_never_float_in_json(cli, books):
    sync(
        cli,
        books,
        [cust("C1"), inv("1", "C1", "2026-11-01", "0.10"), inv("2", "C1", "2026-11-01", "0.20")],
    )
    doc = json.loads(cli("aging", "--as-of", AS_OF, "-f", "json").stdout, parse_float=Decimal)
    total = doc["rows"][0]["total"]
    assert total == "0.30"
    assert isinstance(total, str)


def test_prepaid_invoice_follows_its_payment_date_through_a_resync(cli, books):
    # I1 is paid in full before it is issued: unapplied credit until its issue date. Aging
    # reads settled invoices only through their allocations after the date, so moving the
    # payment (a re-sync) must move the credit with it. P9 after the date keeps allocations
    # after AS_OF in the books (the other way aging reconstructs the past).
    base = [
        cust("C1"),
        cust("C2"),
        inv("I1", "C1", "2026-12-10", "60.00", due="2027-01-09"),
        inv("I2", "C2", "2026-10-01", "100.00", due="2026-10-31"),
        pay("P9", "C2", "2026-12-05", "100.00", "I2"),
    ]
    sync(cli, books, [*base, pay("P1", "C1", "2026-11-20", "60.00", "I1")])
    for extra in ([], ["--by", "invoice"]):
        doc = aging(cli, *extra)
        if not extra:
            assert (row_of(doc, "C1")["unapplied"], row_of(doc, "C1")["total"]) == (
                "-60.00",
                "-60.00",
            )
            assert row_of(doc, "C2")["1-30"] == "100.00"
        else:
            assert [r["invoice_id"] for r in doc["rows"]] == ["I2"]
    # Before the prepayment: nothing from C1.
    doc = run_json(cli, "aging", "--as-of", "2026-11-19")
    assert [r["customer_id"] for r in doc["rows"]] == ["C2"]
    # The payment moved after the issue date: no credit as of AS_OF any more.
    sync(cli, books, [*base, pay("P1", "C1", "2026-12-15", "60.00", "I1")])
    doc = aging(cli)
    assert [r["customer_id"] for r in doc["rows"]] == ["C2"]
    # And back before it, now with nothing after AS_OF at all.
    sync(
        cli,
        books,
        [
            *base[:4],
            pay("P9", "C2", "2026-11-05", "100.00", "I2"),
            pay("P1", "C1", "2026-11-20", "60.00", "I1"),
        ],
    )
    doc = aging(cli)
    assert [r["customer_id"] for r in doc["rows"]] == ["C1"]
    assert row_of(doc, "C1")["unapplied"] == "-60.00"


def test_every_format_has_the_same_rows_with_quotes_and_non_ascii_names(cli, books):
    sync(
        cli,
        books,
        [
            cust("C1", 'The "Best" Co'),
            cust("C2", "Ærø Ølhandel"),
            cust("C3", "zeta\\tab"),
            inv("I1", "C1", "2026-10-01", "10.00", due="2026-10-31"),
            inv("I2", "C2", "2026-10-01", "20.00", due="2026-10-31"),
            inv("I3", "C3", "2026-10-01", "30.00", due="2026-10-31"),
        ],
    )
    for by in ("customer", "invoice"):
        doc = aging(cli, "--by", by)
        assert [r["customer"] for r in doc["rows"]] == [
            'The "Best" Co',
            "zeta\\tab",
            "Ærø Ølhandel",
        ]
        result = cli("aging", "--as-of", AS_OF, "--by", by, "--format", "csv")
        assert result.exit_code == 0, result.stderr
        parsed = list(csv.DictReader(io.StringIO(result.stdout)))
        assert [dict(r) for r in parsed] == [{k: str(v) for k, v in r.items()} for r in doc["rows"]]


def test_few_allocations_after_the_date_among_many(cli, books):
    # One allocation after the date among many: the correction path for a few late invoices.
    records = [cust("C1"), cust("C2")]
    for k in range(40):  # 2 of 42 allocations after AS_OF
        records.append(inv(f"I{k}", "C1", "2026-09-01", "10.00", due="2026-10-01"))
        records.append(pay(f"P{k}", "C1", "2026-09-15", "10.00", f"I{k}"))
    records += [
        inv("J1", "C2", "2026-11-01", "50.00", due="2026-11-15"),
        pay("Q1", "C2", "2026-12-02", "50.00", "J1"),  # after AS_OF: J1 is open as of AS_OF
        pay("Q2", "C1", "2026-12-03", "5.00", "I0"),  # overpays I0 after AS_OF: no effect yet
    ]
    sync(cli, books, records)
    doc = aging(cli)
    assert [(r["customer_id"], r["1-30"], r["unapplied"]) for r in doc["rows"]] == [
        ("C2", "50.00", "0.00")
    ]
    assert [r["invoice_id"] for r in aging(cli, "--by", "invoice")["rows"]] == ["J1"]
    doc = run_json(cli, "aging", "--as-of", "2026-12-31")
    assert [(r["customer_id"], r["unapplied"]) for r in doc["rows"]] == [("C1", "-5.00")]


def test_by_invoice_customers_whose_names_differ_only_in_case_interleave_by_due_date(cli, books):
    # "customer name, due date, number": Acme and ACME are one name, case-insensitively.
    sync(
        cli,
        books,
        [
            cust("C1", "Acme"),
            cust("C2", "ACME"),
            cust("C0", "acme co"),
            inv("I1", "C1", "2026-01-01", "100.00", due="2026-02-20", number="A-1"),
            inv("I2", "C2", "2026-01-01", "50.00", due="2026-01-10", number="B-1"),
            inv("I3", "C1", "2026-01-01", "10.00", due="2026-01-10", number="B-1"),
            inv("I4", "C0", "2026-01-01", "10.00", due="2025-12-01"),
        ],
    )
    doc = aging(cli, "--by", "invoice", "--as-of", "2026-03-01")
    rows = [(r["invoice_id"], r["customer"]) for r in doc["rows"]]
    # equal name, due date and number: by customer id (C1 before C2)
    assert rows == [("I3", "Acme"), ("I2", "ACME"), ("I1", "Acme"), ("I4", "acme co")]


def test_by_invoice_same_customer_id_in_two_sources(cli, books, register_plugin):
    # Two sources with a customer "C1", and a "C0", whose names differ only in case: one rank
    # (the case-folded name), so their invoices interleave by due date, number, customer id,
    # invoice id and then ledger key (the first source's first); each row keeps its own
    # customer's name.
    from collectctl import hookimpl
    from collectctl.records import Source

    # The conftest's in-memory source, taken from the fixture (an import of `conftest` would
    # find another directory's conftest when several test trees run in one session).
    memory_books = type(books)

    class OtherBooks(memory_books):  # type: ignore[misc,valid-type]
        @hookimpl
        def register_sources(self, register):
            register(Source(name="other", read=self.read, help="A second in-memory source."))

    other = OtherBooks()
    register_plugin(other, name="other-books")
    sync(
        cli,
        books,
        [
            cust("C1", "Acme"),
            cust("C0", "acme"),
            inv("A1", "C1", "2026-08-01", "1.00", due="2026-09-03"),
            inv("A2", "C1", "2026-08-01", "2.00", due="2026-09-01", number="N"),
            inv("Z", "C0", "2026-08-01", "9.00", due="2026-12-01"),
        ],
    )
    other.load(
        [
            cust("C1", "ACME"),
            inv("B1", "C1", "2026-08-01", "3.00", due="2026-09-02"),
            inv("A2", "C1", "2026-08-01", "4.00", due="2026-09-01", number="N"),
            inv("B0", "C1", "2026-08-01", "5.00", due="2026-09-01", number="M"),
        ]
    )
    result = cli("sync", "other", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    rows = aging(cli, "--by", "invoice")["rows"]
    assert [(r["customer_id"], r["customer"], r["invoice_id"], r["amount"]) for r in rows] == [
        ("C1", "ACME", "B0", "5.00"),
        ("C1", "Acme", "A2", "2.00"),
        ("C1", "ACME", "A2", "4.00"),
        ("C1", "ACME", "B1", "3.00"),
        ("C1", "Acme", "A1", "1.00"),
        ("C0", "acme", "Z", "9.00"),
    ]


def _reference_rows(records, as_of, basis="due"):
    """The independent reference of test_aging_properties, as the report's rows."""
    from datetime import date

    from test_aging_properties import reference

    customers = [r for r in records if type(r).__name__ == "Customer"]
    invoices = [r for r in records if type(r).__name__ == "Invoice"]
    allocations = [r for r in records if type(r).__name__ == "Allocation"]
    lines, _ = reference(
        customers, invoices, allocations, date.fromisoformat(as_of), (30, 60, 90), basis
    )
    return {
        key: {name: str(value.quantize(Decimal("0.01"))) for name, value in line.items()}
        for key, line in lines.items()
    }


def _report_rows(cli, as_of, basis="due"):
    doc = run_json(cli, "aging", "--as-of", as_of, "--basis", basis)
    return {
        (r["customer_id"], r["currency"]): {
            k: v for k, v in r.items() if k not in ("customer_id", "customer", "currency", "total")
        }
        for r in doc["rows"]
    }


def _far_back_books(late_date="2026-03-01"):
    """Books where most allocations lie after 2025-12-31 (aging as of then reads the invoices
    that can contribute and the allocations on or before the date of those paid by then)."""
    return [
        cust("C1", "Acme", currency="USD"),
        cust("C2", "Bolt", currency="USD"),
        # issued before D, partly paid before and the rest after (paid in full after D)
        inv("A", "C1", "2025-10-01", "100.00", due="2025-10-31"),
        pay("PA1", "C1", "2025-11-15", "30.00", "A"),
        pay("PA2", "C1", "2026-02-01", "70.00", "A"),
        # issued after D, partly paid before its issue (and D), the rest after
        inv("B", "C1", "2026-01-20", "50.00", due="2026-02-19"),
        pay("PB1", "C1", "2025-12-20", "20.00", "B"),
        pay("PB2", "C1", "2026-02-10", "30.00", "B"),
        # issued after D, paid after it: nothing as of D
        inv("C", "C2", "2026-01-05", "40.00", due="2026-02-04"),
        pay("PC", "C2", "2026-02-05", "40.00", "C"),
        # paid in full before D: nothing as of D
        inv("D", "C2", "2025-09-01", "60.00", due="2025-10-01"),
        pay("PD", "C2", "2025-09-20", "60.00", "D"),
        # still open: paid partly before D and partly after
        inv("E", "C2", "2025-08-01", "90.00", due="2025-08-31"),
        pay("PE1", "C2", "2025-12-01", "10.00", "E"),
        pay("PE2", "C2", late_date, "15.00", "E"),
        # issued before D, paid in full after it, all at once
        inv("F", "C2", "2025-12-01", "25.00", due="2025-12-31"),
        pay("PF", "C2", "2026-03-10", "25.00", "F"),
        # void, allocated before D: that allocation is unapplied credit
        inv("G", "C1", "2025-11-01", "10.00", due="2025-12-01", void=True),
        pay("PG", "C1", "2025-11-05", "10.00", "G"),
        # issued after D, overpaid before it
        inv("H", "C2", "2026-02-01", "5.00", due="2026-03-03"),
        pay("PH1", "C2", "2025-12-15", "3.00", "H"),
        pay("PH2", "C2", "2026-02-20", "4.00", "H"),
        pay("U", "C2", "2025-12-30", "7.00"),
        *(inv(f"K{k}", "C1", "2026-01-10", "2.00", due="2026-02-09") for k in range(6)),
        *(pay(f"PK{k}", "C1", "2026-02-15", "2.00", f"K{k}") for k in range(6)),
    ]


@pytest.mark.parametrize("as_of", ["2025-12-31", "2025-12-20", "2025-11-14", "2026-01-31"])
def test_aging_far_back_matches_the_reference(cli, books, as_of):
    # Allocations on both sides of the date, invoices issued after it partly paid before it:
    # the far-back path (most allocations after the date) equals the literal reference, by
    # customer and by invoice, and still after a re-sync moved an allocation across the date.
    records = _far_back_books()
    applied = [r.date.isoformat() for r in records if getattr(r, "invoice_id", None)]
    assert sum(d > as_of for d in applied) * 2 > len(applied)  # the far-back path
    sync(cli, books, records)
    for basis in ("due", "issue"):
        assert _report_rows(cli, as_of, basis) == _reference_rows(records, as_of, basis)
    moved = _far_back_books(late_date="2025-11-01")  # PE2 now before every as-of date
    sync(cli, books, moved)
    assert _report_rows(cli, as_of) == _reference_rows(moved, as_of)
    open_by_invoice = {
        r["invoice_id"]: r["balance"]
        for r in run_json(cli, "aging", "--as-of", as_of, "--by", "invoice")["rows"]
    }
    expected = {
        "2025-12-31": {"A": "70.00", "E": "65.00", "F": "25.00"},
        "2025-12-20": {"A": "70.00", "E": "65.00", "F": "25.00"},
        "2025-11-14": {"A": "100.00", "E": "75.00"},
        "2026-01-31": {
            "A": "70.00",
            "B": "30.00",
            "C": "40.00",
            "E": "65.00",
            "F": "25.00",
            **{f"K{k}": "2.00" for k in range(6)},
        },
    }
    assert open_by_invoice == expected[as_of]


@pytest.mark.sqlite_only
def test_migration_10_backfills_first_allocation(tmp_path, monkeypatch):
    from collectctl.ledger import connection, schema

    path = tmp_path / "ledger.db"
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS[:9])
    monkeypatch.setattr(connection, "LATEST", 9)
    ledger = connection.Ledger.open(path)
    with ledger.write() as conn:
        conn.execute(
            "INSERT INTO customers (id, source, ext_id, name, currency) "
            "VALUES (1, 's', 'C', 'C', 'USD')"
        )
        for key, ext in ((1, "I"), (2, "J")):
            conn.execute(
                "INSERT INTO invoices (id, source, ext_id, customer, number, issue_date, "
                "due_date, currency, amount, allocated) "
                "VALUES (?, 's', ?, 1, ?, '2026-01-01', '2026-01-31', 'USD', 100, 100)",
                (key, ext, ext),
            )
        conn.executemany(
            "INSERT INTO allocations (source, payment_id, customer, invoice, invoice_ext, date, "
            "amount, currency, kind) VALUES ('s', ?, 1, 1, 'I', ?, ?, 'USD', 'payment')",
            [("P1", "2026-02-03", 70), ("P2", "2025-12-20", 30)],
        )
    ledger.close()
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(connection, "LATEST", schema.LATEST)
    ledger = connection.Ledger.open(path)
    rows = ledger.conn.execute("SELECT id, first_allocation FROM invoices ORDER BY id").fetchall()
    assert rows == [(1, "2025-12-20"), (2, None)]
    ledger.close()

"""collectctl metrics: hand-worked DSO countback and CEI, as-of, null, currencies, trends.

The books (``books_2025``):

USD (Q1 2025, a non-leap year) — sales Jan 70,000, Feb 80,000, Mar 100,000 (S = 250,000), and
38,000 paid on 2025-03-15, so E on 2025-03-31 = 250,000 − 38,000 = 212,000. Countback from
31 Mar: March's 100,000 (31 days) leaves 112,000; February's 80,000 (28 days) leaves 32,000;
January pays the rest: 32,000 / 70,000 × 31 = 14.17 days → 31 + 28 + 14.17 = **73.17** days.
D = 31 + 28 + 31 = 90: DSO = 212,000 / 250,000 × 90 = **76.32**. Terms are 30 days, so on
31 Mar only the March invoice (due 9 Apr) is current: Ec = 100,000, BPDSO = 100,000 / 250,000 ×
90 = **36.00**, ADD = 76.32 − 36.00 = **40.32**, CEI = (0 + 250,000 − 212,000) /
(0 + 250,000 − 100,000) = **25.33 %**, % current = 100,000 / 212,000 = **47.17 %**. A payment of
100,000 on 2025-04-15 must not change any of that (as-of reconstruction).

EUR (Q2 2025) — B = 6,200 (invoice A, issued 1 Mar, due 31 Mar); sales in Q2 S = 3,000 (B1) +
4,300 (B3) + 3,590 (B2, due 15 Jul) = 10,890; collected in Q2: A 6,200 (20 Apr), B1 3,000
(20 May), 1,550 of B3 (10 Jun) → E = 3,590 + 2,750 = 6,340 and Ec = 3,590 (only B2 not yet
due). CEI = (6,200 + 10,890 − 6,340) / (6,200 + 10,890 − 3,590) = 10,750 / 13,500 = **79.63 %**;
monthly variant (S / 3 = 3,630): 3,490 / 6,240 = **55.93 %** (the domain reference's vector).
Days to pay in Q2: A 50 days (1 Mar → 20 Apr), B1 40 days (10 Apr → 20 May): mean **45.00**;
weighted (6,200 × 50 + 3,000 × 40) / 9,200 = **46.74**. In Q1, two small EUR invoices paid
after 30 and 40 days (the second in two parts): mean **35.00**.
"""

from __future__ import annotations

import json

import pytest
from core_helpers import cust, inv, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def books_2025():
    return [
        cust("U1", "Umber Inc", currency="USD"),
        inv("U-JAN", "U1", "2025-01-10", "70000.00", due="2025-02-09"),
        inv("U-FEB", "U1", "2025-02-10", "80000.00", due="2025-03-12"),
        inv("U-MAR", "U1", "2025-03-10", "100000.00", due="2025-04-09"),
        pay("UP1", "U1", "2025-03-15", "38000.00", "U-JAN"),
        pay("UP2", "U1", "2025-04-15", "100000.00", "U-FEB"),
        cust("E1", "Ember GmbH", currency="EUR"),
        inv("A", "E1", "2025-03-01", "6200.00", due="2025-03-31"),
        inv("B1", "E1", "2025-04-10", "3000.00", due="2025-05-10"),
        inv("B3", "E1", "2025-05-05", "4300.00", due="2025-06-04"),
        inv("B2", "E1", "2025-06-15", "3590.00", due="2025-07-15"),
        pay("EP1", "E1", "2025-04-20", "6200.00", "A"),
        pay("EP2", "E1", "2025-05-20", "3000.00", "B1"),
        pay("EP3", "E1", "2025-06-10", "1550.00", "B3"),
        cust("E2", "Elm BV", currency="EUR"),
        inv("S1", "E2", "2025-01-05", "1000.00", due="2025-02-04"),
        inv("S2", "E2", "2025-01-10", "1000.00", due="2025-02-09"),
        pay("SP1", "E2", "2025-02-04", "1000.00", "S1"),
        pay("SP2", "E2", "2025-02-01", "400.00", "S2"),
        pay("SP3", "E2", "2025-02-19", "600.00", "S2"),
    ]


@pytest.fixture
def synced(cli, books):
    books.load(books_2025())
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    return cli


def row(doc, currency, month=None):
    rows = [r for r in doc["rows"] if r["currency"] == currency and r.get("month") == month]
    assert len(rows) == 1, doc["rows"]
    return rows[0]


def test_countback_and_standard_dso_by_hand(synced):
    doc = run_json(synced, "metrics", "--as-of", "2025-03-31")
    assert (doc["from"], doc["to"], doc["days"], doc["months"]) == (
        "2025-01-01",
        "2025-03-31",
        90,
        3,
    )
    usd = row(doc, "USD")
    assert usd["sales"] == "250000.00"
    assert usd["begin_ar"] == "0.00"
    assert usd["end_ar"] == "212000.00"
    assert usd["current_ar"] == "100000.00"
    assert usd["dso_countback"] == "73.17"
    assert usd["dso"] == "76.32"
    assert usd["dso_last_3_months"] == "76.32"
    assert usd["best_possible_dso"] == "36.00"
    assert usd["average_days_delinquent"] == "40.32"
    assert usd["cei"] == "25.33"
    assert usd["percent_current"] == "47.17"
    assert usd["percent_91_plus"] == "0.00"
    assert usd["ar_turnover"] == "2.36"  # 250,000 / ((0 + 212,000) / 2)
    assert usd["paid_invoices"] == 0
    assert usd["average_days_to_pay"] is None
    # Every metric is named with its definition.
    assert doc["definitions"]["dso"] == "standard: E / S x D"
    assert set(doc["definitions"]) <= set(usd)


def test_cei_by_hand_and_days_to_pay(synced):
    doc = run_json(synced, "metrics", "--as-of", "2025-06-30", "--currency", "EUR")
    assert [r["currency"] for r in doc["rows"]] == ["EUR"]
    eur = row(doc, "EUR")
    assert (eur["begin_ar"], eur["sales"], eur["end_ar"], eur["current_ar"]) == (
        "6200.00",
        "10890.00",
        "6340.00",
        "3590.00",
    )
    assert eur["cei"] == "79.63"
    assert eur["cei_monthly"] == "55.93"
    assert eur["paid_invoices"] == 2
    assert eur["average_days_to_pay"] == "45.00"
    assert eur["average_days_to_pay_weighted"] == "46.74"


def test_currencies_are_never_added(synced):
    doc = run_json(synced, "metrics", "--as-of", "2025-03-31")
    assert [r["currency"] for r in doc["rows"]] == ["EUR", "USD"]
    eur = row(doc, "EUR")
    # EUR in Q1: S1 + S2 + A = 8,200 of sales; only A (6,200) still open, and current.
    assert eur["sales"] == "8200.00"
    assert eur["end_ar"] == "6200.00"
    assert eur["average_days_to_pay"] == "35.00"


def test_undefined_is_null(synced):
    doc = run_json(synced, "metrics", "--as-of", "2024-12-31")
    for r in doc["rows"]:
        assert r["sales"] in ("0.00",)
        for key in ("dso", "dso_countback", "best_possible_dso", "cei", "percent_current"):
            assert r[key] is None, key


def test_by_month_series(synced):
    doc = run_json(synced, "metrics", "--as-of", "2025-03-31", "--by", "month", "--currency", "USD")
    assert [(r["month"], r["from"], r["to"]) for r in doc["rows"]] == [
        ("2025-01", "2025-01-01", "2025-01-31"),
        ("2025-02", "2025-02-01", "2025-02-28"),
        ("2025-03", "2025-03-01", "2025-03-31"),
    ]
    jan, feb, mar = doc["rows"]
    assert jan["end_ar"] == "70000.00"
    assert jan["dso"] == "31.00"  # 70,000 / 70,000 × 31
    # End of Feb: E = 150,000 = Feb's 80,000 (28 days) + Jan's 70,000 (31 days) → 59 days.
    assert feb["begin_ar"] == "70000.00"
    assert feb["end_ar"] == "150000.00"
    assert feb["dso_countback"] == "59.00"
    assert mar["dso_countback"] == "73.17"
    assert mar["begin_ar"] == "150000.00"
    # One month's CEI: (150,000 + 100,000 − 212,000) / (250,000 − 100,000).
    assert mar["cei"] == "25.33"


def test_by_month_table_chart_only_on_a_terminal(synced):
    result = synced("metrics", "--as-of", "2025-06-30", "--months", "6", "--by", "month")
    assert result.exit_code == 0, result.stderr
    assert "2025-06" in result.stdout
    assert "▁" not in result.stdout  # CliRunner's stdout is not a terminal


def test_sparkline():
    from collectctl.reports.metrics import sparkline

    assert sparkline([1, 2, 3, None, 8]) == "▁▂▃ █"
    assert sparkline([None, None]) == "  "


def test_period_options(synced):
    doc = run_json(synced, "metrics", "--from", "2025-02-01", "--to", "2025-03-31")
    assert (doc["from"], doc["to"], doc["days"], doc["months"]) == (
        "2025-02-01",
        "2025-03-31",
        59,
        2,
    )
    assert row(doc, "USD")["begin_ar"] == "70000.00"
    mid = run_json(synced, "metrics", "--as-of", "2025-03-15", "--months", "1")
    assert (mid["from"], mid["to"]) == ("2025-02-16", "2025-03-15")
    # N counts the period's days with both ends: 46 days / 30.44 = 1.51 -> 2 (45 would be 1).
    short = run_json(synced, "metrics", "--from", "2025-08-16", "--to", "2025-09-30")
    assert (short["days"], short["months"]) == (46, 2)
    bad = synced("metrics", "--from", "2025-02-01", "--months", "2")
    assert bad.exit_code == 2
    clash = synced("metrics", "--as-of", "2025-03-31", "--to", "2025-03-30")
    assert clash.exit_code == 2


def test_an_invoice_issued_after_the_period_is_not_paid_in_it(cli, books):
    # X2 is prepaid on 20 Oct but issued on 5 Nov: as of 31 Oct it does not exist yet, and
    # XP2 is unapplied credit; only X1 (19 days) was paid in the period.
    books.load(
        [
            cust("X", "Xi Inc", currency="USD"),
            inv("X1", "X", "2026-09-01", "100.00", due="2026-10-01"),
            inv("X2", "X", "2026-11-05", "200.00", due="2026-12-05"),
            pay("XP1", "X", "2026-09-20", "100.00", "X1"),
            pay("XP2", "X", "2026-10-20", "200.00", "X2"),
        ]
    )
    assert cli("sync", "memory", "--allow-deletions", "-q").exit_code == 0
    doc = run_json(cli, "metrics", "--as-of", "2026-10-31")
    usd = row(doc, "USD")
    assert usd["paid_invoices"] == 1
    assert (usd["average_days_to_pay"], usd["average_days_to_pay_weighted"]) == ("19.00", "19.00")


def test_by_customer_days_to_pay(synced):
    doc = run_json(synced, "metrics", "--as-of", "2025-06-30", "--by", "customer")
    assert [(r["customer_id"], r["currency"], r["paid_invoices"]) for r in doc["rows"]] == [
        ("E1", "EUR", 2),
        ("U1", "USD", 1),  # U-FEB: fully paid (over-paid) by UP2 on 15 Apr, 64 days
    ]
    assert [r["average_days_to_pay"] for r in doc["rows"]] == ["45.00", "64.00"]


@pytest.mark.parametrize("as_of", ["2025-01-31", "2025-02-15", "2025-03-31", "2025-06-30"])
def test_ar_figures_match_aging(cli, books, as_of):
    # Overpaid, void, refunded, on account, not-yet-issued, 91+: AR, current and 91+ must be
    # exactly aging's totals at every date.
    books.load(
        [
            *books_2025(),
            cust("X1", "Xeno", currency="USD"),
            inv("X-OLD", "X1", "2024-09-01", "500.00", due="2024-10-01"),
            inv("X-OVER", "X1", "2025-01-02", "100.00", due="2025-02-01"),
            inv("X-VOID", "X1", "2025-01-03", "300.00", void=True),
            inv("X-LATE", "X1", "2025-05-01", "200.00", due="2025-05-31"),
            pay("XP1", "X1", "2025-01-20", "130.00", "X-OVER"),
            pay("XP2", "X1", "2025-02-01", "40.00"),
            pay("XR1", "X1", "2025-02-10", "60.00", kind="refund"),
            pay("XP3", "X1", "2025-03-01", "50.00", "X-LATE"),
        ]
    )
    assert cli("sync", "memory", "--allow-deletions", "-q").exit_code == 0
    aging = run_json(cli, "aging", "--as-of", as_of)
    doc = run_json(cli, "metrics", "--as-of", as_of)
    for total in aging["totals"]:
        got = row(doc, total["currency"])
        assert got["end_ar"] == total["total"]
        assert got["current_ar"] == total["current"]
        assert got["over_90_ar"] == total["91+"]


def test_csv_has_every_key(synced):
    result = synced("metrics", "--as-of", "2025-03-31", "--format", "csv")
    header = result.stdout.splitlines()[0].split(",")
    assert header[:3] == ["currency", "from", "to"]
    assert "dso_countback_30" in header
    doc = json.loads(synced("metrics", "--as-of", "2025-03-31", "--format", "json").stdout)
    assert len(result.stdout.splitlines()) == len(doc["rows"]) + 1

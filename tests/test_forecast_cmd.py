"""collectctl forecast on small hand-built books (a real SQLite ledger), worked out by hand.

Books (as of 2026-06-30):

* **A** (Alder Ltd) paid five invoices, each exactly 10 days after its due date (bin 7..13 days
  late), all long ago. Its open invoice OPEN1, 700.00 due 2026-06-30, is therefore paid 7..13 days
  after the as-of date, one seventh a day: week 1 (1–7 Jul) gets 1/7 = 100.00, week 2 (8–14 Jul)
  6/7 = 600.00; median on day 10 (10 Jul), 25th percentile on day 8, 75th on day 12.
* **R** (Rowan plc): paid R1 on its due date 2025-01-01 (545 days before the as-of date) and R2
  31 days late on 2026-06-01 (29 days before). Half-life 180 days: weights 0.5^(545/180) = 0.1226
  and 0.5^(29/180) = 0.8943, so R is seen as a late payer.
"""

from __future__ import annotations

import json
import math
import sqlite3
from decimal import Decimal
from pathlib import Path

import pytest
from core_helpers import cust, day, inv, pay, run_json

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")

AS_OF = "2026-06-30"


def base_books():
    records = [cust("A", "Alder Ltd", currency="USD")]
    dues = ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"]
    pays = ["2025-02-10", "2025-03-10", "2025-04-10", "2025-05-10", "2025-06-10"]
    for n, (due, paid) in enumerate(zip(dues, pays, strict=True), start=1):
        records.append(inv(f"A{n}", "A", "2025-01-01", "100.00", due=due))
        records.append(pay(f"PA{n}", "A", paid, "100.00", f"A{n}"))
    records.append(inv("OPEN1", "A", "2026-05-31", "700.00", due="2026-06-30"))
    return records


def rowan_books():
    return [
        cust("R", "Rowan plc", currency="USD"),
        inv("R1", "R", "2024-12-01", "100.00", due="2025-01-01"),
        pay("PR1", "R", "2025-01-01", "100.00", "R1"),
        inv("R2", "R", "2026-04-01", "100.00", due="2026-05-01"),
        pay("PR2", "R", "2026-06-01", "100.00", "R2"),
    ]


def sync(cli, books, records):
    books.load(records)
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr


@pytest.fixture
def synced(cli, books):
    sync(cli, books, base_books())
    return cli


def test_weekly_cash_and_invoice_dates_by_hand(synced):
    doc = run_json(synced, "forecast", "--as-of", AS_OF, "--weeks", "3")
    weeks = [(r["period"], str(r["start"]), r["expected"]) for r in doc["rows"]]
    assert weeks == [
        (1, "2026-07-01", "100.00"),
        (2, "2026-07-08", "600.00"),
        (3, "2026-07-15", "0.00"),
    ]
    # Week 1 band: 1.2816 × sqrt(70000² × 1/7 × 6/7) = 31392.6 cents above 100.00; low clipped.
    assert (doc["rows"][0]["low"], doc["rows"][0]["high"]) == ("0.00", "413.93")
    (total,) = doc["totals"]
    assert total == {
        "currency": "USD",
        "open": "700.00",
        "expected_in_horizon": "700.00",
        "expected_later": "0.00",
        "unlikely": "0.00",
        "at_risk": "0.00",
    }
    rows = run_json(synced, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    (row,) = rows
    assert (row["invoice_id"], row["status"]) == ("OPEN1", "forecast")
    assert (row["early_date"], row["expected_date"], row["late_date"]) == (
        "2026-07-08",
        "2026-07-10",
        "2026-07-12",
    )
    assert (row["p_horizon"], row["p_never"]) == (1.0, 0.0)


def test_months_and_customer_view(synced):
    doc = run_json(synced, "forecast", "--as-of", AS_OF, "--months", "2", "--by", "customer")
    assert doc["unit"] == "month"
    assert str(doc["horizon_end"]) == "2026-08-31"
    (row,) = doc["rows"]
    assert row["customer_id"] == "A"
    assert row["expected_in_horizon"] == "700.00"
    assert row["typical_days_late"] == 10  # the median delay: ceil(0.5 × 7) − 1 + 7
    assert row["next_payment"] == "2026-07-10"
    assert [r["expected"] for r in doc["cash"]] == ["700.00", "0.00"]


def test_recency_weights_in_the_ledger(cli, books, ledger_backend, open_ledger):
    """The loader's rows for R: bin 8 (delay 0) weight 0.5^(545/180), bin 12 (delay 31) weight
    0.5^(29/180); R1 is mature (due > 181 days before) and fully paid, so no "never" row."""
    sync(cli, books, rowan_books())
    from collectctl.ledger.forecast import payment_history
    from collectctl.reports.forecast import GEOMETRY

    ledger = open_ledger()  # the test's backend: the SQLite file or PostgreSQL
    rows = payment_history(ledger.conn, day(AS_OF), GEOMETRY, 180.0)
    got = {b: w for _c, b, w in rows}
    assert set(got) == {8, 12}
    assert got[8] == pytest.approx(0.5 ** (545 / 180))
    assert got[12] == pytest.approx(0.5 ** (29 / 180))
    # R's distribution (the profile is R itself, so shrinkage keeps the proportions): bin 8
    # 0.1206, bin 12 0.8794; the median 0.5 falls in bin 12 (delays 28..34) at
    # ceil((0.5 − 0.1206) / 0.8794 × 7) − 1 = 3 → 31 days late. Without recency the two
    # payments weigh the same and the median is the end of the on-time week: 6.
    from collectctl.domain.forecast import build_behaviours

    assert build_behaviours(rows).of(rows[0][0]).median_delay() == 31
    flat = [(c, b, 1.0) for c, b, _w in rows]
    assert build_behaviours(flat).of(rows[0][0]).median_delay() == 6


def test_invoices_still_waiting_make_a_customer_later(cli, books):
    """S (Sorrel) paid S1 on its due date, 2026-06-30 (bin 8); T (Tansy) paid T1, due
    2026-06-16, 14 days late on 2026-06-30 (bin 10): both weigh 1 as of 2026-06-30. S's S2, due
    2026-06-17, is open 13 days past due: it has waited through all of bin 9 (delays 7..13).
    Profile life table: bin 8 reached by all 3, 1 paid → 1/3; bin 9 by T1 and S2, none paid;
    bin 10 by T1 → the other 2/3 (paid only: 1/2, 1/2). S with K = 2: own 1 in bin 8 + 2 × (1/3,
    2/3) = (5/3, 4/3), plus S2 waiting: bin 8 reached by 4 → 5/12, bin 10 the other 7/12.
    S's typical delay (median of its paid money): 0.5 is past bin 8's 5/12, in bin 10 at
    ceil((0.5 − 5/12) ÷ (7/12) × 7) − 1 = 0 → 14 days late (paid history alone: (2/3, 1/3),
    median ceil(0.5 ÷ (2/3) × 7) − 1 = 5 days). S2 beyond day 13 is all in bin 10: median at
    5/12 + 0.5 × 7/12 = 17/24, ceil(3.5) − 1 = 3 days into it, delay 17, 4 days after the as-of
    date: 2026-07-04."""
    sync(
        cli,
        books,
        [
            cust("S", "Sorrel", currency="USD"),
            cust("T", "Tansy", currency="USD"),
            inv("S1", "S", "2026-06-01", "100.00", due="2026-06-30"),
            pay("PS1", "S", "2026-06-30", "100.00", "S1"),
            inv("T1", "T", "2026-06-01", "100.00", due="2026-06-16"),
            pay("PT1", "T", "2026-06-30", "100.00", "T1"),
            inv("S2", "S", "2026-06-01", "300.00", due="2026-06-17"),
        ],
    )
    doc = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "customer")
    (row,) = doc["rows"]
    assert (row["customer_id"], row["typical_days_late"]) == ("S", 14)
    # two payers: too few to learn habits from, so the profile is the prior (and JSON says so)
    assert (doc["model"]["habits"], doc["model"]["habit_invoices"]) == (0, 16.0)
    assert doc["model"]["half_life_days"] == 365.0
    (inv_row,) = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    assert (inv_row["invoice_id"], inv_row["expected_date"]) == ("S2", "2026-07-04")
    assert inv_row["p_never"] == 0.0


def cli_home(cli) -> str:
    import os

    return os.environ["COLLECTCTL_HOME"]


def test_never_row_for_an_old_unpaid_invoice(cli, books, ledger_backend, open_ledger):
    """N1 due 2025-06-01, never paid: as of 2026-06-30 it is 394 days past due, so it adds
    0.5^((394 − 182)/180) = 0.4420 to the never bin; it is itself unlikely to be collected."""
    sync(
        cli,
        books,
        [
            cust("N", "Nettle", currency="EUR"),
            inv("N1", "N", "2025-05-01", "50.00", due="2025-06-01"),
        ],
    )
    from collectctl.ledger.forecast import payment_history
    from collectctl.reports.forecast import GEOMETRY

    ledger = open_ledger()  # the test's backend: the SQLite file or PostgreSQL
    rows = payment_history(ledger.conn, day(AS_OF), GEOMETRY, 180.0)
    ((_c, b, w),) = rows
    assert b == 34
    assert w == pytest.approx(0.5 ** ((394 - 182) / 180))
    doc = run_json(cli, "forecast", "--as-of", AS_OF)
    assert doc["totals"][0]["unlikely"] == "50.00"
    assert all(r["expected"] == "0.00" for r in doc["rows"])


def test_a_payment_after_the_as_of_date_changes_nothing(cli, books):
    """Z's invoice and payment in July only make the books run to 31 July in both states."""
    records = [
        *base_books(),
        cust("Z", "Zinnia", currency="USD"),
        inv("Z1", "Z", "2026-07-10", "5.00", due="2026-07-20"),
        pay("PZ1", "Z", "2026-07-31", "5.00", "Z1"),
    ]
    sync(cli, books, records)
    before = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")
    back_before = run_json(cli, "forecast", "backtest", "--from", "2026-06-01", "--to", AS_OF)
    # OPEN1 is paid on 9 July; A also pays an old invoice late and a new one appears.
    sync(
        cli,
        books,
        [
            *records,
            pay("LATE1", "A", "2026-07-09", "700.00", "OPEN1"),
            inv("NEW", "A", "2026-07-05", "90.00", due="2026-07-20"),
            pay("LATE2", "A", "2026-07-21", "90.00", "NEW"),
        ],
    )
    after = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")
    assert after == before
    back_after = run_json(cli, "forecast", "backtest", "--from", "2026-06-01", "--to", AS_OF)
    (m_before,) = back_before["month_ends"]
    (m_after,) = back_after["month_ends"]
    # The forecasts made on 30 June are identical; only what really came in differs.
    assert m_before["currencies"][0]["expected"] == m_after["currencies"][0]["expected"] == "700.00"
    assert m_after["currencies"][0]["actual"] == "700.00"
    assert m_before["currencies"][0]["actual"] == "0.00"
    # 700.00 on 9 July = week 2: model MAE over the 4 known weeks (to 28 Jul; the books end on
    # 31 Jul) (|100 − 0| + |600 − 700| + 0 + 0) / 4 = 50.00; naive puts it all in week 1:
    # (700 + 700 + 0 + 0) / 4 = 350.00.
    assert m_after["weeks"] == 4
    cash = next(r for r in back_after["rows"] if r["measure"] == "weekly cash-in")
    assert (cash["model"], cash["naive"], cash["ratio"]) == ("50.00", "350.00", 0.143)
    dates = next(r for r in back_after["rows"] if r["measure"] != "weekly cash-in")
    # Paid on day 9: the model said day 10 (error 1), naive day 1 (error 8).
    assert (dates["model"], dates["naive"], dates["ratio"]) == ("1.00", "8.00", 0.125)


def test_disputed_and_escalated_are_at_risk(synced):
    result = synced("account", "dispute", "A", "--invoice", "OPEN1", "--reason", "quality",
                    "--as-of", "2026-06-20")  # fmt: skip
    assert result.exit_code == 0, result.stderr
    doc = run_json(synced, "forecast", "--as-of", AS_OF, "--by", "invoice")
    (row,) = doc["rows"]
    assert (row["status"], row["ref"], row["expected_date"]) == ("disputed", "DSP-1", None)
    assert doc["totals"][0]["at_risk"] == "700.00"
    assert doc["totals"][0]["expected_in_horizon"] == "0.00"
    # Before the dispute was opened the invoice was an ordinary forecast.
    earlier = run_json(synced, "forecast", "--as-of", "2026-06-19", "--by", "invoice")
    assert earlier["rows"][0]["status"] == "forecast"


def test_plan_in_good_standing_follows_its_schedule(synced):
    """OPEN1 (700.00) on a plan of 7 weekly installments of 100.00 from 2026-07-03: weeks of
    1–7 Jul … get exactly 100.00 each, with no band; median at the 4th installment (24 Jul)."""
    result = synced("plan", "create", "A", "--installments", "7", "--every", "week",
                    "--start", "2026-07-03", "--as-of", AS_OF)  # fmt: skip
    assert result.exit_code == 0, result.stderr + result.stdout
    doc = run_json(synced, "forecast", "--as-of", AS_OF, "--weeks", "8")
    assert [r["expected"] for r in doc["rows"]] == ["100.00"] * 7 + ["0.00"]
    assert all(r["low"] == r["high"] == r["expected"] for r in doc["rows"])
    (row,) = run_json(synced, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    assert (row["status"], row["ref"]) == ("plan", "PL-1")
    assert (row["early_date"], row["expected_date"], row["late_date"]) == (
        "2026-07-10",
        "2026-07-24",
        "2026-08-07",
    )


def promise(cli, amount: str, by: str, made: str):
    return cli("account", "promise", "A", "--amount", amount, "--by", by, "--as-of", made)


def test_promise_uses_the_keeping_record(cli, books):
    """A kept a promise (made 1 Jun 2025, 100.00 by 10 Jun, paid 10 Jun); no other promise in the
    profile, so the profile rate is 1 and A's shrunk rate (1 + 2 × 1) ÷ 3 = 1. A new promise of
    700.00 by 2026-07-03 then moves OPEN1 wholly to 3 July (day 3)."""
    sync(cli, books, base_books())
    r1 = cli(
        "account", "promise", "A", "--amount", "100", "--by", "2025-06-10", "--as-of", "2025-06-01"
    )
    assert r1.exit_code == 0, r1.stderr
    r2 = cli(
        "account", "promise", "A", "--amount", "700", "--by", "2026-07-03", "--as-of", "2026-06-29"
    )
    assert r2.exit_code == 0, r2.stderr
    (row,) = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    assert (row["status"], row["ref"], row["expected_date"]) == ("promise", "PRM-2", "2026-07-03")


def test_broken_promises_discount_a_new_one(cli, books):
    """A broke one promise (100.00 by 2025-06-05; nothing paid 1–5 Jun 2025): profile rate 0, A's
    (0 + 2 × 0) ÷ 3 = 0, so a new promise moves nothing: OPEN1 keeps its usual 10 July."""
    sync(cli, books, base_books())
    r1 = cli(
        "account", "promise", "A", "--amount", "100", "--by", "2025-06-05", "--as-of", "2025-06-01"
    )
    assert r1.exit_code == 0, r1.stderr
    r2 = cli(
        "account", "promise", "A", "--amount", "700", "--by", "2026-07-03", "--as-of", "2026-06-29"
    )
    assert r2.exit_code == 0, r2.stderr
    (row,) = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    assert (row["status"], row["expected_date"]) == ("promise", "2026-07-10")


def test_usage_errors(synced):
    both = synced("forecast", "--weeks", "2", "--months", "2")
    assert both.exit_code == 2
    assert "not both" in both.stderr
    assert synced("forecast", "--as-of", "2026-13-01").exit_code == 2
    assert synced("forecast", "--weeks", "0").exit_code == 2
    back = synced("forecast", "backtest", "--from", "2026-06-01", "--to", "2026-01-01")
    assert back.exit_code == 2
    late = synced("forecast", "backtest", "--from", "2026-01-01", "--to", "2026-03-31")
    assert late.exit_code == 1
    assert "the books' last payment is dated 2025-06-10" in late.stderr
    none = synced("forecast", "backtest", "--from", "2026-06-02", "--to", "2026-06-20")
    assert none.exit_code == 1
    assert "no month-end" in none.stderr


def test_csv_table_and_chart(synced):
    csv_out = synced("forecast", "--as-of", AS_OF, "--weeks", "2", "--format", "csv")
    assert csv_out.exit_code == 0
    assert csv_out.stdout.splitlines() == [
        "period,start,end,currency,expected,low,high",
        "1,2026-07-01,2026-07-07,USD,100.00,0.00,413.93",
        "2,2026-07-08,2026-07-14,USD,600.00,286.07,913.93",
    ]
    table = synced("forecast", "--as-of", AS_OF, "--weeks", "2")
    assert "unlikely to be collected 0.00" in table.stdout
    assert "█" not in table.stdout  # not a terminal: plain numbers only
    from collectctl.reports.forecast_render import chart_lines

    doc = json.loads(
        synced("forecast", "--as-of", AS_OF, "--weeks", "2", "--format", "json").stdout
    )
    lines = chart_lines(doc, width=20)
    # Week 2: high 913.93 is the top (20 cells): low 286.07 → 6 █, expected 600.00 → 13 (7 ▓),
    # then 7 ░ up to 20.
    assert lines[-1].startswith("2026-07-08  " + "█" * 6 + "▓" * 7 + "░" * 7)
    assert math.isclose(float(doc["rows"][1]["high"]), 913.93)


def test_no_sqlite_math_functions_fallback(cli, books, ledger_backend):
    """The loader registers exp() itself when SQLite lacks its math functions (same rows)."""
    if ledger_backend != "sqlite":
        pytest.skip("SQLite's own math functions (PostgreSQL always has exp())")
    sync(cli, books, rowan_books())
    from collectctl.ledger import forecast as loader

    conn = sqlite3.connect(Path(cli_home(cli)) / "profiles" / "default" / "ledger.db")
    loader._ensure_exp(conn)
    assert conn.execute("SELECT exp(0)").fetchone()[0] == 1.0
    conn.close()


def test_the_back_test_history_equals_one_history_per_date(cli, books, ledger_backend, open_ledger):
    """payment_history_at (one pass for every month-end) gives exactly payment_history's rows."""
    sync(cli, books, [*base_books(), *rowan_books()])
    from collectctl.ledger.forecast import payment_history, payment_history_at
    from collectctl.reports.forecast import GEOMETRY

    days = [day("2025-03-31"), day("2025-12-31"), day(AS_OF)]
    ledger = open_ledger()  # the test's backend: the SQLite file or PostgreSQL
    multi = dict(payment_history_at(ledger.conn, days, GEOMETRY, 180.0))
    for d in days:
        single = {(c, b): w for c, b, w in payment_history(ledger.conn, d, GEOMETRY, 180.0)}
        assert single  # something to compare
        assert {(c, b): w for c, b, w in multi[d]} == pytest.approx(single)


def test_open_invoices_and_back_test_inputs_as_of_past_dates(
    cli, books, ledger_backend, open_ledger
):
    """open_invoices as of D (read through paid_on) = a plain sum of allocations dated ≤ D;
    receipts_between and last_write_offs give each month-end what it would have queried."""
    records = [
        *base_books(),
        *rowan_books(),
        cust("P", "Poplar", currency="USD"),
        inv("P1", "P", "2025-10-01", "300.00", due="2025-10-31"),
        pay("PP1", "P", "2025-11-15", "100.00", "P1"),  # partly paid ...
        pay("CP1", "P", "2025-12-20", "50.00", "P1", kind="credit"),  # ... credited ...
        pay("WP1", "P", "2026-02-10", "150.00", "P1", kind="write_off"),  # ... written off
        inv("P2", "P", "2025-11-01", "80.00", due="2025-12-01"),
        pay("PP2", "P", "2026-01-05", "30.00", "P2"),
        pay("PP3", "P", "2026-01-05", "50.00", "P2"),  # two payments the same day close it
        inv("P3", "P", "2025-12-01", "40.00", due="2025-12-31"),  # never paid
    ]
    sync(cli, books, records)
    from collectctl.ledger.forecast import last_write_offs, open_invoices, receipts_between

    ledger = open_ledger()  # the test's backend: the SQLite file or PostgreSQL
    conn = ledger.conn
    dates = ["2025-10-31", "2025-11-15", "2025-11-30", "2025-12-20", "2025-12-31",
             "2026-01-04", "2026-01-05", "2026-02-28", AS_OF]  # fmt: skip
    for d in dates:
        want = conn.execute(
            """SELECT id, bal FROM (
                   SELECT i.id, i.amount - COALESCE((SELECT SUM(a.amount) FROM allocations a
                                WHERE a.invoice = i.id AND a.date <= :d), 0) AS bal
                   FROM invoices i WHERE i.void = 0 AND i.issue_date <= :d) AS x
               WHERE bal > 0 ORDER BY id""",
            {"d": d},
        ).fetchall()
        got = [(i.key, i.balance) for i in open_invoices(conn, day(d), with_paid_on=True)]
        assert got == want, d
    keys = dict(conn.execute("SELECT ext_id, id FROM invoices"))
    assert last_write_offs(conn) == {keys["P1"]: day("2026-02-10")}
    rows = receipts_between(conn, day("2025-11-30"), day("2026-06-01"))
    # payments only (no credit or write-off), summed per invoice and day, in date order
    assert rows == [
        (day("2026-01-05").toordinal(), keys["P2"], 8000),
        (day("2026-06-01").toordinal(), keys["R2"], 10000),
    ]


def birch_books():
    """B (Birch) pays its USD invoices on the due date and its EUR invoices 30 days late: two
    of each, every payment dated 2026-05-01. Its open USD and EUR invoices are due 2026-09-01,
    more than 56 days ahead of the as-of date (not yet evidence of anything)."""
    return [
        cust("B", "Birch", currency="USD"),
        inv("BU1", "B", "2026-04-01", "100.00", due="2026-05-01"),
        pay("PBU1", "B", "2026-05-01", "100.00", "BU1"),
        inv("BU2", "B", "2026-04-01", "100.00", due="2026-05-01"),
        pay("PBU2", "B", "2026-05-01", "100.00", "BU2"),
        inv("BE1", "B", "2026-03-01", "100.00", due="2026-04-01", currency="EUR"),
        pay("PBE1", "B", "2026-05-01", "100.00", "BE1", currency="EUR"),
        inv("BE2", "B", "2026-03-01", "100.00", due="2026-04-01", currency="EUR"),
        pay("PBE2", "B", "2026-05-01", "100.00", "BE2", currency="EUR"),
        inv("BUO", "B", "2026-06-01", "100.00", due="2026-09-01"),
        inv("BEO", "B", "2026-06-01", "100.00", due="2026-09-01", currency="EUR"),
    ]


def test_each_currency_of_a_customer_has_its_own_habit(cli, books):
    """Every payment weighs w = 0.5^(60/180) = 0.7937; the profile (B alone) is half bin 8
    (delay 0), half bin 12 (delay 30). USD, K = 2: bin 8 = 2w + 1 = 2.5874, bin 12 = 1 →
    0.7212 / 0.2788; the median ceil(0.5 ÷ 0.7212 × 7) − 1 = 4 days late → 2026-09-05. EUR: bin
    12 = 0.7212 after bin 8's 0.2788: ceil((0.5 − 0.2788) ÷ 0.7212 × 7) − 1 = 2 → day 30 →
    2026-10-01. Taken together (the customer's typical delay in ``account show``) the two
    currencies are half and half: the median is the end of the due-date week, 6 days late."""
    sync(cli, books, birch_books())
    rows = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    assert {r["invoice_id"]: r["expected_date"] for r in rows} == {
        "BUO": "2026-09-05",
        "BEO": "2026-10-01",
    }
    by_customer = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "customer")["rows"]
    assert {r["currency"]: r["typical_days_late"] for r in by_customer} == {"USD": 4, "EUR": 30}
    insight = run_json(cli, "account", "show", "B", "--as-of", AS_OF)["insight"]
    assert insight["typical_days_late"] == 6
    assert insight["next_payment"] == {"USD": "2026-09-05", "EUR": "2026-10-01"}


def test_history_rows_by_currency(cli, books, ledger_backend, open_ledger):
    """The loader keeps B's currencies apart when asked: (B, USD) in bin 8, (B, EUR) in bin 12,
    each 2w; without by_currency one customer row per bin, the same weights."""
    sync(cli, books, birch_books())
    from collectctl.ledger.forecast import payment_history, payment_history_at
    from collectctl.reports.forecast import GEOMETRY

    conn = open_ledger().conn
    w = 0.5 ** (60 / 180)
    split = payment_history(conn, day(AS_OF), GEOMETRY, 180.0, by_currency=True)
    assert sorted((c[1], b) for c, b, _w in split) == [("EUR", 12), ("USD", 8)]  # type: ignore[index]
    assert [x for _c, _b, x in split] == pytest.approx([2 * w, 2 * w])
    whole = payment_history(conn, day(AS_OF), GEOMETRY, 180.0)
    assert sorted(b for _c, b, _w in whole) == [8, 12]
    ((_d, rows),) = payment_history_at(conn, [day(AS_OF)], GEOMETRY, 180.0, by_currency=True)
    assert sorted((c, b, round(x, 9)) for c, b, x in rows) == sorted(
        (c, b, round(x, 9)) for c, b, x in split
    )


def test_habits_on_generated_books_beat_the_profile_prior(cli, open_ledger, tmp_path):
    """On the benchmark generator's books (6,000 invoices: customers who pay on time, 10–45 or
    30–100 days late) the profile learns habits, and the back-test's pay-date error with them
    is below the profile-shrunk model's and well below the naive forecast's (both from the
    same ledger and the same scoring)."""
    import sys
    from datetime import date

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import generate  # the benchmark generator, a sibling script

    from collectctl.domain import forecast as fm
    from collectctl.reports import forecast_backtest as bt

    generate.generate(tmp_path / "books", 6000, seed=11)
    cli("sync", "csv", str(tmp_path / "books"), "-q")
    doc = run_json(cli, "forecast", "--as-of", "2026-10-31")
    assert doc["model"]["habits"] > 5
    days = bt.month_ends(date(2025, 8, 1), date(2026, 7, 31))
    ledger = open_ledger()

    def pay_date_mae(settings: fm.ModelSettings) -> tuple[float, float]:
        rows = bt.backtest_document(ledger.conn, days, settings=settings)["rows"]
        (row,) = [r for r in rows if r["measure"] == "pay date (days)"]
        return float(row["model"]), row["ratio"]

    habits, ratio = pay_date_mae(fm.ModelSettings())
    plain, _ = pay_date_mae(fm.ModelSettings(habit_invoices=0.0))
    assert habits < plain
    assert ratio < 0.5


#: The history scan as it was written before its one-integer group key (ea01f03): the
#: reference the scan's rows must equal exactly, in the same order, on SQLite.
REFERENCE_HISTORY = """
    SELECT i.customer, i.currency, (MAX({delay}, :low) - :low) / :w AS bin,
        SUM(CASE WHEN a.kind = 'payment'
                 THEN {share} * exp(:k * (:jd - julianday(a.date))) END),
        SUM(CASE WHEN i.due_date <= :m
                 THEN {share} * exp(:k * (:jd - julianday(i.due_date) - :na - 1)) END)
    FROM allocations a NOT INDEXED JOIN invoices i ON i.id = a.invoice
    WHERE a.date <= :d AND a.kind IN ('payment', 'credit') AND i.void = 0
      AND i.issue_date <= :d
    GROUP BY i.customer, i.currency, bin
""".format(
    delay="CAST(julianday(a.date) - julianday(i.due_date) AS INTEGER)",
    share="MIN(a.amount, i.amount) * 1.0 / i.amount",
)


def _reference_paid_rows(conn, as_of):
    from collectctl.reports.forecast import GEOMETRY

    g = GEOMETRY
    d = day(as_of)
    params = {
        "d": as_of, "jd": d.toordinal() + 1721424.5, "k": -math.log(2) / 180.0, "low": g.low,
        "w": g.width, "na": g.never_after,
        "m": day(as_of).fromordinal(d.toordinal() - g.never_after - 1).isoformat(),
    }  # fmt: skip
    return [
        ((c, cur), b, paid)
        for c, cur, b, paid, _m in conn.execute(REFERENCE_HISTORY, params)
        if b < g.never_bin and paid
    ]


@pytest.mark.parametrize("key_limit", [None, 0], ids=["one-key", "three-columns"])
def test_history_rows_equal_the_plain_grouping(
    cli, books, ledger_backend, open_ledger, monkeypatch, key_limit
):
    """The scan groups on one integer (customer, currency rank, bin), or on the three columns
    when such keys would not fit; either way its paid rows are the plain GROUP BY's — the same
    sums in the same order on SQLite. B's EUR invoices are in a currency no customer is kept
    in (customers are USD): the first pass misses it and the scan is made again."""
    from collectctl.ledger import forecast as loader
    from collectctl.reports.forecast import GEOMETRY

    if key_limit is not None:
        monkeypatch.setattr(loader, "_KEY_LIMIT", key_limit)
    sync(cli, books, [*base_books(), *rowan_books(), *birch_books()])
    conn = open_ledger().conn
    for as_of in ("2025-12-31", AS_OF):
        rows = loader.payment_history(conn, day(as_of), GEOMETRY, 180.0, by_currency=True)
        paid = [r for r in rows if r[1] < GEOMETRY.never_bin]
        want = _reference_paid_rows(conn, as_of)
        assert want, as_of
        if ledger_backend == "sqlite":
            assert paid == want, as_of
        else:  # PostgreSQL's groups come in no set order
            assert {(p, b): w for p, b, w in paid} == pytest.approx(
                {(p, b): w for p, b, w in want}
            ), as_of
    assert {p[1] for p, _b, _w in paid} == {"USD", "EUR"}  # type: ignore[index]


def test_open_invoices_without_the_few_later_shortcut(cli, books, ledger_backend, open_ledger,
                                                      monkeypatch):  # fmt: skip
    """As of a D with allocations after it, open_invoices sums the few of them per invoice
    in Python, or (more than _FEW_LATER) seeks them per open invoice: the same invoices and
    balances."""
    from collectctl.ledger import forecast as loader

    sync(cli, books, [
        *base_books(),
        *rowan_books(),
        cust("P", "Poplar", currency="USD"),
        inv("P1", "P", "2025-10-01", "300.00", due="2025-10-31"),
        pay("PP1", "P", "2025-11-15", "100.00", "P1"),  # partly paid, then credited
        pay("CP1", "P", "2025-12-20", "50.00", "P1", kind="credit"),
    ])  # fmt: skip
    conn = open_ledger().conn
    dates = ["2025-02-28", "2025-11-15", "2025-12-19", "2026-05-15", AS_OF]
    few = {d: loader.open_invoices(conn, day(d), with_paid_on=True) for d in dates}
    monkeypatch.setattr(loader, "_FEW_LATER", 0)
    for d in dates:
        assert loader.open_invoices(conn, day(d), with_paid_on=True) == few[d], d
    assert [i.balance for i in few["2025-12-19"] if i.invoice_id == "P1"] == [20000]


def test_an_invoice_the_customer_is_late_with_is_half_paid_with_the_next(cli, books):
    """Alder always pays 10 days late; LATE1 (due 2026-05-01) is 60 days past due on the as-of
    date, far later than Alder ever pays, and OPEN1 (due on the as-of date) is newer. Half of
    LATE1 follows OPEN1's curve, the other half its own, which by day 60 holds nothing more
    that Alder pays: so LATE1's median is OPEN1's, and its chance of never coming in is a half
    plus half of OPEN1's. OPEN1 itself is not moved."""
    late = inv("LATE1", "A", "2026-04-01", "200.00", due="2026-05-01")
    sync(cli, books, [*base_books(), late])
    rows = run_json(cli, "forecast", "--as-of", AS_OF, "--by", "invoice")["rows"]
    by_id = {r["invoice_id"]: r for r in rows}
    late_row, open_row = by_id["LATE1"], by_id["OPEN1"]
    assert late_row["status"] == open_row["status"] == "forecast"
    assert late_row["expected_date"] == open_row["expected_date"]
    assert late_row["early_date"] <= open_row["expected_date"] <= late_row["late_date"]
    assert late_row["p_never"] == pytest.approx(0.5 + 0.5 * open_row["p_never"], abs=0.002)
    assert open_row["p_never"] < 0.5
    # the weekly cash-in counts half of LATE1 with OPEN1's weeks
    weeks = run_json(cli, "forecast", "--as-of", AS_OF, "--weeks", "3")
    (total,) = weeks["totals"]
    assert total["open"] == "900.00"
    assert Decimal(total["unlikely"]) >= Decimal("100.00")

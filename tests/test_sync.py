"""The sync engine: whole-batch validation, diffs, the deletion guard, idempotence, locks."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest
from core_helpers import cust, inv, pay, run_json

from collectctl.records import Cursor, Deletion, Problem

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def snapshot(cli):
    return (
        run_json(cli, "aging", "--as-of", "2100-01-01", "--by", "invoice"),
        run_json(cli, "aging", "--as-of", "2100-01-01"),
        run_json(cli, "aging", "--as-of", "2026-06-30"),
    )


BASE = [
    cust("C1", "Acme"),
    cust("C2", "Beta", currency="EUR"),
    inv("I1", "C1", "2026-05-01", "100.00", due="2026-05-31"),
    inv("I2", "C1", "2026-06-01", "200.00", due="2026-07-01"),
    inv("I3", "C2", "2026-06-01", "300.00", due="2026-07-01"),
    inv("I4", "C2", "2026-06-15", "50.00", due="2026-07-15"),
    inv("I5", "C1", "2026-06-20", "10.00", due="2026-07-20"),
    pay("P1", "C1", "2026-06-10", "60.00", "I1"),
    pay("P1", "C1", "2026-06-10", "40.00", "I2"),  # split payment
    pay("P2", "C2", "2026-06-20", "30.00", "I3"),
]


def synced(cli, books, records=BASE, *args):
    books.load(records)
    result = cli("sync", "memory", *args)
    assert result.exit_code == 0, result.stderr
    return result


def changes(cli, books, records, *args):
    books.load(records)
    result = cli("sync", "memory", "--format", "json", *args)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)[0]["changes"]


def test_first_sync_then_resync_is_idempotent(cli, books):
    first = changes(cli, books, BASE)
    assert {k: v["added"] for k, v in first.items()} == {
        "customers": 2,
        "invoices": 5,
        "allocations": 3,
    }
    before = snapshot(cli)
    again = changes(cli, books, BASE)
    assert all(v["added"] == v["changed"] == v["removed"] == 0 for v in again.values())
    assert snapshot(cli) == before


def test_corrected_books_update_exactly(cli, books):
    synced(cli, books)
    corrected = [
        cust("C1", "Acme Ltd"),  # changed name
        cust("C2", "Beta", currency="EUR"),
        inv("I1", "C1", "2026-05-01", "110.00", due="2026-05-31"),  # changed amount
        inv("I2", "C1", "2026-06-01", "200.00", due="2026-07-01"),
        inv("I3", "C2", "2026-06-01", "300.00", due="2026-07-01"),
        inv("I4", "C2", "2026-06-15", "50.00", due="2026-07-15"),
        inv("I6", "C2", "2026-06-25", "70.00"),  # added; I5 removed (1 of 5 = 20 %)
        pay("P1", "C1", "2026-06-10", "60.00", "I1"),
        pay("P1", "C1", "2026-06-10", "40.00", "I2"),
        # P2 removed
    ]
    got = changes(cli, books, corrected)
    assert got["customers"] == {
        "added": 0,
        "changed": 1,
        "removed": 0,
        "added_ids": [],
        "changed_ids": ["C1"],
        "removed_ids": [],
    }
    assert (got["invoices"]["added_ids"], got["invoices"]["changed_ids"]) == (["I6"], ["I1"])
    assert got["invoices"]["removed_ids"] == ["I5"]
    assert got["allocations"]["removed_ids"] == ["P2 -> I3"]
    rows = {r["invoice_id"]: r for r in snapshot(cli)[0]["rows"]}
    assert rows["I1"]["balance"] == "50.00"
    assert rows["I3"]["balance"] == "300.00"
    assert "I5" not in rows
    assert rows["I6"]["due_date"] == "2026-07-25"


def test_dry_run_writes_nothing(cli, books):
    synced(cli, books)
    before = snapshot(cli)
    books.load([r for r in BASE if getattr(r, "id", None) != "I5"])
    result = cli("sync", "memory", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would change" in result.stdout
    assert "remove invoices: I5" in result.stdout
    assert snapshot(cli) == before


def test_deletion_guard(cli, books):
    synced(cli, books)
    before = snapshot(cli)
    fewer = [r for r in BASE if getattr(r, "id", None) not in ("I4", "I5")]  # 2 of 5 = 40 %
    books.load(fewer)
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "remove 2 of the 5" in result.stderr
    assert "--allow-deletions" in result.stderr
    assert snapshot(cli) == before
    result = cli("sync", "memory", "--allow-deletions")
    assert result.exit_code == 0, result.stderr
    assert {r["invoice_id"] for r in snapshot(cli)[0]["rows"]} == {"I1", "I2", "I3"}


BAD_CASES = [
    (inv("I9", "C404", "2026-06-01", "1.00"), "unknown customer 'C404'", "customer_id"),
    (pay("P9", "C1", "2026-06-01", "1.00", "I404"), "unknown invoice 'I404'", "invoice_id"),
    (pay("P9", "C2", "2026-06-01", "1.00", "I1"), "belongs to customer 'C1'", "customer_id"),
    (pay("P9", "C1", "2026-06-01", "1.00", "I1", currency="EUR"), "in EUR but invoice", "currency"),
    (inv("I1", "C1", "2026-06-01", "1.00"), "duplicate invoice id 'I1'", "id"),
    (cust("C1", "Again"), "duplicate customer id 'C1'", "id"),
    (inv("I9", "C1", "2026-06-01", "1234.505"), "more decimals than USD allows", "amount"),
    (inv("I9", "C1", "2026-06-01", "1.00", currency="XXX"), "no minor unit", "currency"),
    (inv("I9", "C1", "2026-06-01", "1.00", currency="ABC"), "not an ISO 4217", "currency"),
    (inv("I9", "C1", "2026-06-01", "0"), "more than 0", "amount"),
    (pay("P9", "C1", "2026-06-01", "-5", "I1"), "more than 0", "amount"),
    (pay("P9", "C1", "2026-06-01", "5", "I1", kind="Payment"), "not a payment kind", "kind"),
    (pay("P9", "C1", "2026-06-01", "5", kind="write_off"), "needs an invoice_id", "invoice_id"),
    (pay("P9", "C1", "2026-06-01", "5", "I1", kind="refund"), "must not have", "invoice_id"),
    (
        pay("W9", "C1", "2026-06-11", "40.01", "I1", kind="write_off"),
        "larger than the 40.00",
        "amount",
    ),
    (
        pay("W9", "C1", "2026-05-15", "1.00", "I2", kind="write_off"),
        "invoice 'I2' is issued after 2026-05-15",
        "amount",
    ),
    (cust("C9", "X", kind="person"), "not a customer kind", "kind"),
    (cust("C9", "X", timezone="Mars/Base"), "unknown time zone", "timezone"),
    (
        Problem("invoices.csv:7", "'2026-02-30' is not a date", "due_date", "2026-02-30"),
        "'2026-02-30' is not a date",
        "due_date",
    ),
]


@pytest.mark.parametrize(("bad", "message", "column"), BAD_CASES)
def test_bad_input_is_rejected_whole(cli, books, bad, message, column):
    synced(cli, books)
    before = snapshot(cli)
    books.load([*BASE, inv("NEW", "C1", "2026-06-01", "5.00"), bad])
    result = cli("sync", "memory")
    assert result.exit_code == 1, result.stdout
    assert message in result.stderr
    assert f"column '{column}'" in result.stderr
    assert "nothing was written" in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(cli) == before  # neither the bad row nor the good new one was stored


def test_write_off_up_to_open_is_fine(cli, books):
    synced(cli, books, [*BASE, pay("W1", "C1", "2026-06-11", "40.00", "I1", kind="write_off")])
    rows = {r["invoice_id"] for r in snapshot(cli)[0]["rows"]}
    assert "I1" not in rows


def test_nothing_on_a_void_invoice_can_be_written_off(cli, books):
    # A payment or credit to a void invoice is unapplied credit (contract §3); a write-off is
    # not money: with nothing open on a void invoice, it is more than is open (an error).
    void = inv("V1", "C1", "2026-06-01", "80.00", void=True)
    books.load([*BASE, void, pay("W1", "C1", "2026-06-11", "30.00", "V1", kind="write_off")])
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "invoice 'V1' is void: nothing on it can be written off" in result.stderr
    # The same write-off in an incremental batch against the ledger's void invoice.
    synced(cli, books, [*BASE, void])
    before = snapshot(cli)
    books.load([pay("W1", "C1", "2026-06-11", "30.00", "V1", kind="write_off")], complete=False)
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "invoice 'V1' is void: nothing on it can be written off" in result.stderr
    assert snapshot(cli) == before


def test_every_problem_reported_up_to_twenty_then_a_count(cli, books):
    bad = [
        inv(f"X{k}", "NOBODY", "2026-06-01", "1.00", origin=f"invoices.csv:{k + 2}")
        for k in range(25)
    ]
    books.load([*BASE, *bad])
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "25 problems found" in result.stderr
    assert "invoices.csv:2: column 'customer_id'" in result.stderr
    assert "invoices.csv:21:" in result.stderr
    assert "invoices.csv:22:" not in result.stderr
    assert "... and 5 more problems" in result.stderr


def test_source_failure_leaves_ledger_as_it_was(cli, books):
    synced(cli, books)
    before = snapshot(cli)

    def broken():
        yield from BASE
        raise ConnectionError("network dropped")

    books.records = broken()
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "source 'memory' failed: ConnectionError: network dropped" in result.stderr
    assert snapshot(cli) == before


def test_incremental_batch_upserts_deletes_and_keeps_the_rest(cli, books):
    synced(cli, books)
    assert books.reads[-1].cursor is None
    assert books.reads[-1].full is True
    books.load(
        [
            inv("I7", "C2", "2026-06-30", "5.00", due="2026-07-30"),
            pay("P1", "C1", "2026-06-10", "100.00", "I1"),  # P1 now pays only I1, in full
            Deletion("invoice", "I5"),
            Deletion("payment", "P2"),
            Deletion("invoice", "NEVER-SEEN"),
            Cursor("2026-07-01T00:00:00-08:00"),
        ],
        complete=False,
    )
    result = cli("sync", "memory", "--format", "json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)[0]
    assert out["mode"] == "incremental"
    assert out["changes"]["allocations"]["removed_ids"] == ["P1 -> I2", "P2 -> I3"]
    rows = {r["invoice_id"]: r["balance"] for r in snapshot(cli)[0]["rows"]}
    assert rows == {"I2": "200.00", "I3": "300.00", "I4": "50.00", "I7": "5.00"}
    books.load([], complete=False)
    assert cli("sync", "memory", "-q").exit_code == 0
    assert books.reads[-1].cursor == "2026-07-01T00:00:00-08:00"
    assert books.reads[-1].full is False


def test_incremental_reference_to_ledger_rows_is_valid_and_bad_one_is_not(cli, books):
    synced(cli, books)
    books.load([pay("P7", "C2", "2026-07-01", "5.00", "I4")], complete=False)
    assert cli("sync", "memory", "-q").exit_code == 0
    books.load([pay("P8", "C2", "2026-07-01", "5.00", "I5")], complete=False)
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "belongs to customer 'C1'" in result.stderr


def test_incremental_batch_rechecks_the_ledgers_write_offs_on_what_it_changes(cli, books):
    synced(cli, books, [*BASE, pay("W1", "C1", "2026-06-25", "150.00", "I2", kind="write_off")])
    # I2 (200.00, 40.00 paid, 150.00 written off) shrinks to 150.00: the ledger's write-off,
    # not in the batch, is now more than was open on its date.
    books.load([inv("I2", "C1", "2026-06-01", "150.00", due="2026-07-01")], complete=False)
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "payment W1: column 'amount': write_off of 150.00 is larger than the 110.00 open" in (
        result.stderr
    )
    # A payment added before the write-off's date does the same.
    books.load([pay("P9", "C1", "2026-06-20", "20.00", "I2")], complete=False)
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "write_off of 150.00 is larger than the 140.00 open" in result.stderr
    # One after it does not.
    books.load([pay("P9", "C1", "2026-06-30", "10.00", "I2")], complete=False)
    assert cli("sync", "memory", "-q").exit_code == 0


def test_status_shows_last_sync_and_counts(cli, books):
    synced(cli, books)
    doc = run_json(cli, "status")
    (row,) = doc["sources"]
    assert (row["source"], row["mode"], row["customers"], row["invoices"]) == (
        "memory",
        "full",
        2,
        5,
    )
    assert row["allocations"] == 3
    assert doc["ledger_bytes"] > 0


def test_sync_waits_for_another_sync_then_fails_cleanly(cli, books, open_ledger):
    synced(cli, books)
    before = snapshot(cli)
    books.load([*BASE, inv("NEW", "C1", "2026-06-01", "5.00")])
    with open_ledger().lock("sync", timeout=1, what="sync"):
        result = cli("sync", "memory", env={"COLLECTCTL_LOCK_TIMEOUT": "0.3"})
    assert result.exit_code == 1
    assert "another sync of this profile is running" in result.stderr
    assert snapshot(cli) == before


def test_busy_ledger_writer_times_out_cleanly(cli, books, open_ledger):
    synced(cli, books)
    before = snapshot(cli)
    with open_ledger().write():
        books.load([*BASE, inv("NEW", "C1", "2026-06-01", "5.00")])
        result = cli("sync", "memory", env={"COLLECTCTL_LOCK_TIMEOUT": "0.3"})
    assert result.exit_code == 1
    assert "is busy" in result.stderr
    assert snapshot(cli) == before


SCRIPT = textwrap.dedent(
    """
    import sys
    from collectctl import hookimpl
    from collectctl.cli import cli
    from collectctl.plugins import manager
    from collectctl.records import Customer, Invoice, Source, SourceBatch
    from datetime import date
    from decimal import Decimal
    import time

    def read(request):
        def records():
            for c in range(50):
                yield Customer(id=f"C{c}", name=f"Customer {c}")
            for i in range(2000):
                time.sleep(0.0002)
                yield Invoice(id=f"I{i}", customer_id=f"C{i % 50}",
                              issue_date=date(2026, 1, 1), amount=Decimal("1.00"))
        return SourceBatch(True, records(), "slow books")

    class P:
        @hookimpl
        def register_sources(self, register):
            register(Source(name="slow", read=read))

    manager.get_plugin_manager().register(P(), name="slow")
    cli.main(["sync", "slow", "-q"], prog_name="collectctl")
    """
)


def test_two_concurrent_syncs_leave_one_consistent_ledger(collectctl_home, tmp_path, cli):
    script = tmp_path / "sync_slow.py"
    script.write_text(SCRIPT)
    procs = [
        subprocess.Popen([sys.executable, str(script)], stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    assert [code for code, _ in results] == [0, 0], results
    doc = run_json(cli, "aging", "--as-of", "2026-12-31")
    assert len(doc["rows"]) == 50
    assert doc["totals"][0]["total"] == "2000.00"
    assert sum(Decimal(r["total"]) for r in doc["rows"]) == Decimal("2000.00")
    status = run_json(cli, "status")["sources"][0]
    assert status["invoices"] == 2000


def test_unconfigured_sync_explains_how(cli):
    result = cli("sync")
    assert result.exit_code == 1
    assert "no sources are configured" in result.stderr
    assert "collectctl sync csv DIR" in result.stderr


def test_payment_without_currency_takes_its_invoices_currency(cli, books):
    # A USD customer billed once in JPY: a payment row naming that invoice and no currency is
    # yen (there is no other money it could be); unapplied rows stay in the customer's currency.
    synced(
        cli,
        books,
        [
            cust("C1", "Acme"),
            inv("I1", "C1", "2026-06-01", "100.00"),
            inv("IJ", "C1", "2026-06-01", "50000", currency="JPY"),
            pay("P1", "C1", "2026-06-10", "20000", "IJ"),
            pay("P2", "C1", "2026-06-10", "10.00", "I1"),
            pay("P3", "C1", "2026-06-11", "5.00"),
        ],
    )
    rows = {(r["customer_id"], r["currency"]): r for r in snapshot(cli)[1]["rows"]}
    assert rows[("C1", "JPY")]["total"] == "30000"
    assert rows[("C1", "USD")]["total"] == "85.00"  # 100 - 10 - 5 unapplied


def test_payment_without_currency_is_still_exact_in_its_invoices_currency(cli, books):
    synced(cli, books)
    books.load(
        [
            *BASE,
            inv("IJ", "C1", "2026-06-01", "50000", currency="JPY"),
            pay("PJ", "C1", "2026-06-10", "10.50", "IJ"),
        ]
    )
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "10.50 has more decimals than JPY allows (0)" in result.stderr
    books.load(
        [
            *BASE,
            inv("IJ", "C1", "2026-06-01", "50000", currency="JPY"),
            pay("PJ", "C1", "2026-06-10", "10.50", "IJ", currency="USD"),
        ]
    )
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "payment 'PJ' is in USD but invoice 'IJ' is in JPY" in result.stderr


def paid_on(open_ledger):
    conn = open_ledger().conn
    return dict(conn.execute("SELECT ext_id, paid_on FROM invoices ORDER BY ext_id").fetchall())


def test_paid_on_follows_full_and_incremental_syncs(cli, books, open_ledger):
    synced(cli, books, [*BASE, pay("P3", "C1", "2026-06-12", "40.00", "I1")])
    # I1 (100.00): 60.00 on 06-10 (P1) and 40.00 on 06-12 (P3) -> paid on 06-12
    assert paid_on(open_ledger) == {
        "I1": "2026-06-12",
        "I2": None,
        "I3": None,
        "I4": None,
        "I5": None,
    }
    books.load(
        [Deletion("payment", "P3"), pay("P4", "C2", "2026-07-01", "50.00", "I4")], complete=False
    )
    assert cli("sync", "memory", "-q").exit_code == 0
    assert paid_on(open_ledger)["I1"] is None
    assert paid_on(open_ledger)["I4"] == "2026-07-01"
    synced(cli, books, [*BASE, pay("P5", "C1", "2026-06-30", "160.00", "I2")])
    got = paid_on(open_ledger)
    assert (got["I1"], got["I2"], got["I4"]) == (None, "2026-06-30", None)


def test_first_sync_writes_paid_on_with_each_invoice(cli, books, open_ledger):
    # The first sync of a source computes paid_on while inserting the invoices (no UPDATE
    # afterwards); every shape of allocation history has its date worked out by hand here.
    synced(
        cli,
        books,
        [
            cust("C1", "Acme"),
            inv("A", "C1", "2026-01-01", "100.00"),  # one payment in full
            inv("B", "C1", "2026-01-01", "100.00"),  # two payments the same day
            inv("C", "C1", "2026-01-01", "100.00"),  # 3 payments: the 2nd covers it
            inv("D", "C1", "2026-01-01", "100.00"),  # part paid only
            inv("E", "C1", "2026-01-01", "100.00"),  # overpaid by the first payment
            inv("F", "C1", "2026-01-01", "100.00"),  # credit note, then a write-off
            inv("G", "C1", "2026-01-01", "100.00"),  # no allocation at all
            inv("H", "C1", "2026-01-01", "100.00"),  # a tie: two rows on the covering day
            pay("PA", "C1", "2026-02-01", "100.00", "A"),
            pay("PB1", "C1", "2026-02-02", "40.00", "B"),
            pay("PB2", "C1", "2026-02-02", "60.00", "B"),
            pay("PC1", "C1", "2026-02-01", "30.00", "C"),
            pay("PC2", "C1", "2026-02-05", "70.00", "C"),
            pay("PC3", "C1", "2026-02-09", "5.00", "C"),
            pay("PD", "C1", "2026-02-01", "99.99", "D"),
            pay("PE", "C1", "2026-02-03", "150.00", "E"),
            pay("PE2", "C1", "2026-02-04", "10.00", "E"),
            pay("CF", "C1", "2026-02-01", "20.00", "F", kind="credit"),
            pay("WF", "C1", "2026-08-01", "80.00", "F", kind="write_off"),
            pay("PH1", "C1", "2026-02-01", "50.00", "H"),
            pay("PH2", "C1", "2026-02-07", "25.00", "H"),
            pay("PH3", "C1", "2026-02-07", "25.00", "H"),
        ],
    )
    assert paid_on(open_ledger) == {
        "A": "2026-02-01",
        "B": "2026-02-02",
        "C": "2026-02-05",
        "D": None,
        "E": "2026-02-03",
        "F": "2026-08-01",
        "G": None,
        "H": "2026-02-07",
    }


@pytest.mark.sqlite_only
def test_migration_4_backfills_paid_on(tmp_path, monkeypatch):
    from collectctl.ledger import connection, schema

    path = tmp_path / "ledger.db"
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS[:3])
    monkeypatch.setattr(connection, "LATEST", 3)
    ledger = connection.Ledger.open(path)
    with ledger.write() as conn:
        conn.execute(
            "INSERT INTO customers (id, source, ext_id, name, currency) "
            "VALUES (1, 's', 'C', 'C', 'USD')"
        )
        conn.execute(
            "INSERT INTO invoices (id, source, ext_id, customer, number, issue_date, "
            "due_date, currency, amount, allocated) "
            "VALUES (1, 's', 'I', 1, 'I', '2026-01-01', '2026-01-31', 'USD', 100, 100)"
        )
        conn.executemany(
            "INSERT INTO allocations (source, payment_id, customer, invoice, invoice_ext, date, "
            "amount, currency, kind) VALUES ('s', ?, 1, 1, 'I', ?, ?, 'USD', 'payment')",
            [("P1", "2026-02-01", 30), ("P2", "2026-02-03", 70)],
        )
    ledger.close()
    monkeypatch.setattr(connection, "MIGRATIONS", schema.MIGRATIONS)
    monkeypatch.setattr(connection, "LATEST", schema.LATEST)
    ledger = connection.Ledger.open(path)
    assert ledger.conn.execute("SELECT paid_on FROM invoices").fetchone() == ("2026-02-03",)
    ledger.close()
    assert (tmp_path / "ledger.db.v3.bak").exists()


def test_hostile_values_are_problems_not_crashes(cli, books):
    books.load(
        [
            cust("C1"),
            inv("I1", "C1", "2026-01-01", "99999999999999999999999.00"),
            inv("I2", "C1", "9999-12-31", "10.00"),  # its default due date is past 9999
        ]
    )
    result = cli("sync", "memory")
    assert result.exit_code == 1
    assert "column 'amount': 99999999999999999999999.00 is too large an amount" in result.stderr
    assert "column 'issue_date': issue date 9999-12-31 + 30 days" in result.stderr
    assert "Traceback" not in result.stderr


def test_lower_case_currency_codes_are_read_as_iso(cli, books):
    synced(
        cli,
        books,
        [
            cust("C1", currency="usd"),
            inv("I1", "C1", "2026-01-01", "10.00", currency="eur"),
            pay("P1", "C1", "2026-01-05", "4.00", "I1", currency="Eur"),
        ],
    )
    (row,) = snapshot(cli)[1]["rows"]
    assert (row["currency"], row["total"]) == ("EUR", "6.00")


def test_what_needs_no_write_is_computed_before_the_write_lock(cli, books, monkeypatch):
    # The write transaction (the lock a colleague's `account log` waits on) starts only after
    # the allocation totals of a complete batch, or the invoices an incremental one touches,
    # are in their TEMP tables; the ledger ends up the same either way.
    import collectctl.syncing as syncing
    from collectctl.ledger.connection import Ledger
    from collectctl.ledger.pgledger import PgLedger

    events: list[str] = []
    prepare = syncing.prepare

    def prepared(*args, **kwargs):
        events.append("prepare")
        return prepare(*args, **kwargs)

    def watched(cls):
        write = cls.write

        def wrapper(self):
            events.append("write")
            return write(self)

        monkeypatch.setattr(cls, "write", wrapper)

    monkeypatch.setattr(syncing, "prepare", prepared)
    watched(Ledger)
    watched(PgLedger)
    synced(cli, books)  # the first sync: a fresh ledger has nothing to prepare
    assert events.count("prepare") == 1
    del events[:]
    synced(cli, books, [*BASE, pay("P3", "C1", "2026-06-12", "40.00", "I1")])  # complete
    assert events[:2] == ["prepare", "write"]
    del events[:]
    books.load([pay("P4", "C2", "2026-07-01", "50.00", "I4")], complete=False)
    assert cli("sync", "memory", "-q").exit_code == 0
    assert events[:2] == ["prepare", "write"]
    balances = {r["invoice_id"]: r["balance"] for r in snapshot(cli)[0]["rows"]}
    assert balances == {"I2": "160.00", "I3": "270.00", "I5": "10.00"}

"""A re-sync of a changed directory: only what changed is read into the core, and the ledger
ends up exactly as a full read leaves it (collectctl_csv.rowstate / increment)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from csv_helpers import CUSTOMERS, GOOD, INVOICES, PAYMENTS, write_books

#: Every test runs on SQLite and on PostgreSQL (the increment goes through the same core).
pytestmark = pytest.mark.usefixtures("ledger_backend")

#: Books with enough rows that a few changes stay under the 20 % deletion guard.
CUSTOMERS_MANY = CUSTOMERS + "".join(
    f"C{n},Customer {n},,,,business,{'EUR' if n == 3 else 'USD'},,{'' if n % 2 else 20}\n"
    for n in range(1, 6)
)
INVOICES_MANY = INVOICES + "".join(
    f"I{n},C{n % 5 + 1},,2026-0{n % 9 + 1}-01,,,{n}00.00,,line {n}\n" for n in range(1, 31)
)
# P1 is split over two invoices, with its rows far apart in the file; P9 is a write-off.
PAYMENTS_MANY = (
    PAYMENTS
    + "P1,C2,2026-03-01,10.00,I1,,,,\n"
    + "".join(f"Q{n},C{n % 5 + 1},2026-09-01,5.00,I{n},,,,ref {n}\n" for n in range(2, 20))
    + "P1,C2,2026-03-01,20.00,I6,,,,\n"
    + "P9,C5,2026-10-01,50.00,I4,write_off,,,\n"
    + "P8,C3,2026-10-02,7.00,,credit,,,\n"
)


def many(**replace: str) -> dict[str, str]:
    files = {
        "customers.csv": CUSTOMERS_MANY,
        "invoices.csv": INVOICES_MANY,
        "payments.csv": PAYMENTS_MANY,
    }
    files.update({f"{k}.csv": v for k, v in replace.items()})
    return files


def sync(cli: Any, directory: Path, *extra: str) -> dict[str, Any]:
    result = cli("sync", "csv", str(directory), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr + result.stdout
    (outcome,) = json.loads(result.stdout)
    return outcome


def counts(outcome: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {e: (c["added"], c["changed"], c["removed"]) for e, c in outcome["changes"].items()}


NOTHING = {"customers": (0, 0, 0), "invoices": (0, 0, 0), "allocations": (0, 0, 0)}


def assert_same_as_a_full_read(cli: Any, directory: Path) -> None:
    """A full read of ``directory`` finds nothing to change: the ledger is what it holds."""
    again = sync(cli, directory, "--full")
    assert again["mode"] == "full"
    assert counts(again) == NOTHING


def test_a_changed_directory_syncs_only_its_changes_and_equals_a_full_read(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    assert sync(cli, books)["mode"] == "full"
    edited = write_books(
        tmp_path / "edited",
        many(
            # C2's row changes (not its currency or terms); C5 is gone with its rows.
            customers=CUSTOMERS_MANY.replace("Customer 2,", "Customer Two,").replace(
                "C5,Customer 5,,,,business,USD,,\n", ""
            ),
            invoices=INVOICES_MANY.replace(
                "I7,C3,,2026-08-01,,,700.00", "I7,C3,,2026-08-01,,,750.00"
            )
            + "I99,C1,,2026-10-01,,,99.00,,new\n",
            # one row of the split payment P1 changes; Q3 is removed; a new payment on I99
            payments=PAYMENTS_MANY.replace(
                "P1,C2,2026-03-01,20.00,I6,,,,", "P1,C2,2026-03-01,25.00,I6,,,,"
            ).replace("Q3,C4,2026-09-01,5.00,I3,,,,ref 3\n", "")
            + "P7,C1,2026-10-05,9.00,I99,,,,\n",
        ),
    )
    # C5's invoices and payments are still in the edited invoices/payments files: first drop them
    # so that the books are valid.
    inv = (edited / "invoices.csv").read_text().splitlines(keepends=True)
    (edited / "invoices.csv").write_text("".join(r for r in inv if ",C5," not in r))
    pay = (edited / "payments.csv").read_text().splitlines(keepends=True)
    (edited / "payments.csv").write_text("".join(r for r in pay if ",C5," not in r))
    outcome = sync(cli, edited, "--allow-deletions")
    assert outcome["mode"] == "incremental"
    assert outcome["records"] < 30  # the changed rows, their dependants and deletions (of 58)
    result = counts(outcome)
    assert result["customers"] == (0, 1, 1)
    assert result["invoices"][0] == 1
    assert result["invoices"][1] == 1
    assert_same_as_a_full_read(cli, edited)


def test_a_customer_whose_currency_or_terms_change_takes_its_rows_along(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    # C2 (terms 20) loses its terms: its invoices without a due date fall due 30 days after
    # issue instead of 20; C4 changes currency: its invoices and payments without one follow.
    customers = CUSTOMERS_MANY.replace(
        "C2,Customer 2,,,,business,USD,,20", "C2,Customer 2,,,,business,USD,,"
    )
    customers = customers.replace(
        "C4,Customer 4,,,,business,USD,,20", "C4,Customer 4,,,,business,CAD,,20"
    )
    edited = write_books(tmp_path / "edited", many(customers=customers))
    outcome = sync(cli, edited)
    assert outcome["mode"] == "incremental"
    assert counts(outcome)["invoices"][1] == 12  # six invoices each of C2 and C4
    assert counts(outcome)["allocations"][1] > 0
    assert_same_as_a_full_read(cli, edited)


def test_an_invoice_change_rechecks_the_payments_on_it(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    # I4 (400.00, a 50.00 write-off and a 5.00 payment) shrinks below its write-off: the
    # unchanged write-off row is now wrong, reported as a full read reports it (file:line).
    edited = write_books(
        tmp_path / "edited",
        many(
            invoices=INVOICES_MANY.replace(
                "I4,C5,,2026-05-01,,,400.00", "I4,C5,,2026-05-01,,,40.00"
            )
        ),
    )
    before = sync(cli, books)  # unchanged: the cheap path
    assert counts(before) == NOTHING
    result = cli("sync", "csv", str(edited))
    assert result.exit_code != 0
    assert "payments.csv:22" in result.stderr
    assert "write_off" in result.stderr
    assert "nothing was written" in result.stderr
    assert_same_as_a_full_read(cli, books)


def test_a_removed_invoice_with_a_payment_left_is_an_error_naming_the_line(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    edited = write_books(
        tmp_path / "edited",
        many(invoices=INVOICES_MANY.replace("I5,C1,,2026-06-01,,,500.00,,line 5\n", "")),
    )
    result = cli("sync", "csv", str(edited))
    assert result.exit_code != 0
    assert "payments.csv:" in result.stderr
    assert "unknown invoice 'I5'" in result.stderr
    assert_same_as_a_full_read(cli, books)


def test_removed_rows_are_deletions_under_the_guard_and_dry_run_writes_nothing(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    kept = [r for r in INVOICES_MANY.splitlines(keepends=True) if not r.startswith("I2")]
    payments = [r for r in PAYMENTS_MANY.splitlines(keepends=True) if ",I2" not in r]
    edited = write_books(
        tmp_path / "edited", many(invoices="".join(kept), payments="".join(payments))
    )
    refused = cli("sync", "csv", str(edited))
    assert refused.exit_code != 0
    assert "--allow-deletions" in refused.stderr
    dry = sync(cli, edited, "--dry-run")
    assert dry["dry_run"] is True
    assert counts(dry)["invoices"] == (0, 0, 11)  # I2 and I20-I29
    assert_same_as_a_full_read(cli, books)  # nothing was written
    sync(cli, edited, "--allow-deletions")
    assert_same_as_a_full_read(cli, edited)


def test_a_duplicate_id_added_is_reported_by_a_full_read(cli, tmp_path):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    edited = write_books(
        tmp_path / "edited", many(invoices=INVOICES_MANY + "I3,C2,,2026-10-01,,,1.00,,again\n")
    )
    result = cli("sync", "csv", str(edited))
    assert result.exit_code != 0
    assert "invoices.csv:32" in result.stderr
    assert "duplicate invoice id 'I3'" in result.stderr


def test_a_state_out_of_step_with_the_ledger_means_a_full_read(cli, tmp_path, collectctl_home):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    state = next(collectctl_home.glob("profiles/*/csv-rows.state"))
    saved = state.read_bytes()
    other = write_books(tmp_path / "other", dict(GOOD))
    sync(cli, other, "--allow-deletions")  # the ledger now holds other books
    state.write_bytes(saved)  # a stale state restored beside it
    edited = write_books(
        tmp_path / "edited", many(invoices=INVOICES_MANY.replace("line 7", "line seven"))
    )
    outcome = sync(cli, edited, "--allow-deletions")
    assert outcome["mode"] == "full"  # the state's cursor is not the ledger's
    assert_same_as_a_full_read(cli, edited)
    # A damaged state is not used either.
    state.write_bytes(b"not a state")
    edited2 = write_books(tmp_path / "edited2", many(payments=PAYMENTS_MANY.replace("ref 5", "r5")))
    assert sync(cli, edited2)["mode"] == "full"
    assert_same_as_a_full_read(cli, edited2)


def test_other_settings_or_headers_mean_a_full_read(cli, tmp_path, collectctl_home):
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    # The same rows with the columns in another order: the digests would not compare.
    lines = INVOICES_MANY.splitlines()
    swapped = "\n".join(
        ",".join([c.split(",")[1], c.split(",")[0], *c.split(",")[2:]]) for c in lines
    )
    edited = write_books(tmp_path / "edited", many(invoices=swapped + "\n"))
    assert sync(cli, edited)["mode"] == "full"
    assert_same_as_a_full_read(cli, edited)
    config = next(collectctl_home.glob("profiles/*/config.toml"))
    text = config.read_text()
    assert "default_terms_days = 30\n" in text
    config.write_text(text.replace("default_terms_days = 30\n", "default_terms_days = 45\n"))
    edited2 = write_books(tmp_path / "edited2", many(payments=PAYMENTS_MANY.replace("ref 5", "r5")))
    outcome = sync(cli, edited2)
    assert outcome["mode"] == "full"  # due dates of invoices without one move with the terms
    assert counts(outcome)["invoices"][1] > 0
    assert_same_as_a_full_read(cli, edited2)


def test_changed_references_and_dates_are_both_written(cli, tmp_path, open_ledger):
    """A re-export that changes only payments' references and methods writes just those two
    columns of them (the ledger's narrow update); a change of date or amount in the same
    batch is written in full. Either way the ledger ends up what a full read leaves."""
    books = write_books(tmp_path / "books", many())
    sync(cli, books)
    payments = (
        PAYMENTS_MANY.replace(
            "Q2,C3,2026-09-01,5.00,I2,,,,ref 2", "Q2,C3,2026-09-01,5.00,I2,,,wire,ref two"
        )
        .replace("Q5,C1,2026-09-01,5.00,I5,,,,ref 5", "Q5,C1,2026-09-02,5.00,I5,,,,ref 5")
        .replace("Q6,C2,2026-09-01,5.00,I6,,,,ref 6", "Q6,C2,2026-09-01,6.00,I6,,,,ref six")
    )
    edited = write_books(tmp_path / "edited", many(payments=payments))
    outcome = sync(cli, edited)
    assert outcome["mode"] == "incremental"
    assert counts(outcome)["allocations"] == (0, 3, 0)
    rows = {
        pid: (date, amount, method, reference)
        for pid, date, amount, method, reference in open_ledger().conn.execute(
            "SELECT payment_id, date, amount, method, reference FROM allocations"
            " WHERE payment_id IN ('Q2', 'Q5', 'Q6')"
        )
    }
    assert rows == {
        "Q2": ("2026-09-01", 500, "wire", "ref two"),
        "Q5": ("2026-09-02", 500, None, "ref 5"),
        "Q6": ("2026-09-01", 600, None, "ref six"),
    }
    assert_same_as_a_full_read(cli, edited)

"""A re-sync compares files block by block: unchanged blocks are not parsed, and whatever
moved, grew or shrank between them still leaves the ledger exactly as a full read does
(collectctl_csv.rowstate blocks, collectctl_csv.increment._File)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, ClassVar

import pytest
from collectctl_csv import rowstate
from collectctl_csv.increment import _File
from collectctl_csv.reader import read_directory
from collectctl_csv.rowstate import BLOCK_ROWS, STATE_FILE, Recorder
from collectctl_csv.table import Progress
from csv_helpers import CUSTOMERS, INVOICES, PAYMENTS, write_books

pytestmark = pytest.mark.usefixtures("ledger_backend")

N_CUSTOMERS = 40
N_INVOICES = 200


def customer(n: int, email: str = "") -> str:
    return f"C{n},Customer {n},{email},,,business,USD,,\n"


def invoice(n: int, amount: int | None = None, note: str = "") -> str:
    return f"I{n},C{n % N_CUSTOMERS + 1},,2026-0{n % 9 + 1}-01,,,{amount or n + 100}.00,,{note}\n"


def payment(n: int, ref: str = "") -> str:
    # P<n> pays 10.00 on invoice n and, for every fifth, 5.00 more on invoice n + 1.
    rows = f"P{n},C{n % N_CUSTOMERS + 1},2026-10-01,10.00,I{n},,,,{ref}\n"
    if n % 5 == 0:
        rows += f"P{n},C{(n + 1) % N_CUSTOMERS + 1},2026-10-01,5.00,I{n + 1},,,,{ref}\n"
    return rows


def books(
    customers: dict[int, str] | None = None,
    invoices: dict[int, str | None] | None = None,
    payments: dict[int, str | None] | None = None,
    extra_invoices: str = "",
) -> dict[str, str]:
    """The books, with some rows replaced (``None``: removed)."""
    cust = {n: customer(n) for n in range(1, N_CUSTOMERS + 1)} | (customers or {})
    inv: dict[int, str | None] = {n: invoice(n) for n in range(1, N_INVOICES + 1)}
    inv |= invoices or {}
    pay: dict[int, str | None] = {n: payment(n) for n in range(1, N_INVOICES, 3)}
    pay |= payments or {}
    return {
        "customers.csv": CUSTOMERS + "".join(cust.values()),
        "invoices.csv": INVOICES + "".join(r for r in inv.values() if r) + extra_invoices,
        "payments.csv": PAYMENTS + "".join(r for r in pay.values() if r),
    }


def sync(cli: Any, directory: Path, *extra: str) -> dict[str, Any]:
    result = cli("sync", "csv", str(directory), "--format", "json", *extra)
    assert result.exit_code == 0, result.stderr + result.stdout
    (outcome,) = json.loads(result.stdout)
    return outcome


def counts(outcome: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {e: (c["added"], c["changed"], c["removed"]) for e, c in outcome["changes"].items()}


NOTHING = {"customers": (0, 0, 0), "invoices": (0, 0, 0), "allocations": (0, 0, 0)}


def resync_equals_full_read(cli: Any, tmp_path: Path, edited: dict[str, str]) -> dict[str, Any]:
    directory = write_books(tmp_path / "edited", edited)
    outcome = sync(cli, directory, "--allow-deletions")
    assert outcome["mode"] == "incremental"
    again = sync(cli, directory, "--full")
    assert counts(again) == NOTHING
    return outcome


@pytest.fixture
def synced(cli: Any, tmp_path: Path) -> Path:
    directory = write_books(tmp_path / "books", books())
    assert sync(cli, directory)["mode"] == "full"
    return directory


def test_scattered_edits_one_in_each_of_a_few_blocks(cli, tmp_path, synced):
    outcome = resync_equals_full_read(
        cli,
        tmp_path,
        books(
            customers={7: customer(7, "new@example.com")},
            invoices={n: invoice(n, amount=n + 101) for n in (3, 50, 51, 199)},
            payments={n: payment(n, ref="changed") for n in (1, 100)},
        ),
    )
    assert counts(outcome)["customers"] == (0, 1, 0)
    assert counts(outcome)["invoices"] == (0, 4, 0)


def test_rows_inserted_removed_and_moved_between_unchanged_blocks(cli, tmp_path, synced):
    edited = books(
        invoices={10: None, 11: None, 120: invoice(120) + invoice(500) + invoice(501)},
        payments={10: None},  # P10 paid I10 and I11
    )
    # A run of rows moved from the start to the end of the file.
    lines = edited["invoices.csv"].splitlines(keepends=True)
    edited["invoices.csv"] = "".join(lines[:30] + lines[50:] + lines[30:50])
    outcome = resync_equals_full_read(cli, tmp_path, edited)
    added, _changed, removed = counts(outcome)["invoices"]
    assert (added, removed) == (2, 2)


def test_a_block_whose_first_row_changed_and_a_trailing_row_without_newline(cli, tmp_path):
    plain = books()
    plain["invoices.csv"] = plain["invoices.csv"].rstrip("\n")  # no newline at the end
    directory = write_books(tmp_path / "books", plain)
    sync(cli, directory)
    edited = books(invoices={1 + BLOCK_ROWS: invoice(1 + BLOCK_ROWS, amount=7)})
    edited["invoices.csv"] = edited["invoices.csv"].rstrip("\n") + "1"  # the last amount too
    outcome = resync_equals_full_read(cli, tmp_path, edited)
    assert counts(outcome)["invoices"] == (0, 2, 0)
    # Rows appended after a last row that had no newline.
    more = books(extra_invoices="I900,C1,,2026-01-01,,,9.00,,\n")
    outcome = resync_equals_full_read(cli, tmp_path / "more", more)
    assert counts(outcome)["invoices"][0] == 1


def test_quoted_values_spanning_lines(cli, tmp_path):
    notes = {n: invoice(n, note=f'"two\nlines, {n}"') for n in range(5, 60, 4)}
    directory = write_books(tmp_path / "books", books(invoices=notes))
    sync(cli, directory)
    edited = dict(notes)
    edited[9] = invoice(9, note='"now\nthree\nlines"')
    edited[13] = invoice(13, note="one line")
    edited[40] = invoice(40, note='"a new\nline"')
    outcome = resync_equals_full_read(cli, tmp_path, books(invoices=edited))
    assert counts(outcome)["invoices"] == (0, 3, 0)


def test_a_changed_invoice_takes_the_payment_rows_far_away_along(cli, tmp_path, synced):
    # P150's second row pays I151: a change of I151 re-checks P150, both rows of it.
    outcome = resync_equals_full_read(cli, tmp_path, books(invoices={151: invoice(151, 7)}))
    assert counts(outcome)["invoices"] == (0, 1, 0)


def test_blocks_that_did_not_change_are_not_parsed(tmp_path):
    directory = write_books(tmp_path / "books", books())
    profile = tmp_path / "profile"
    profile.mkdir()
    recorder = _recorder(profile, directory)
    assert list(read_directory(directory, recorder=recorder))
    recorder.save()
    state = rowstate.load(profile, recorder.cursor, "head")
    assert state is not None
    edited = write_books(tmp_path / "edited", books(invoices={100: invoice(100, amount=1)}))
    scan = _File(edited, "invoices.csv", state["invoices.csv"], Progress(None))
    assert [item[1][0] for _i, item in scan.changed] == ["I100"]
    assert scan.parsed == 1  # one block of BLOCK_ROWS rows parsed, the rest skipped
    assert scan.new.rows == N_INVOICES
    assert scan.new.blocks == state["invoices.csv"].blocks


class _Request:  # what the fingerprint reads of a sync request
    options: ClassVar[dict[str, Any]] = {}
    config: ClassVar[dict[str, Any]] = {}


def _recorder(profile: Path, directory: Path) -> Recorder:
    """A recorder as a full read of ``directory`` makes it (its cursor the fingerprint)."""
    from collectctl_csv.plugin import fingerprint_start
    from collectctl_csv.reader import FILES

    digest = fingerprint_start(directory, _Request())  # type: ignore[arg-type]
    for name in FILES:
        digest.update(name.encode() + b"\0" + (directory / name).read_bytes())
    cursor = "csv-v1:" + digest.hexdigest()
    check = fingerprint_start(directory, _Request())  # type: ignore[arg-type]
    return Recorder(profile, cursor, "head", directory, check)


def test_a_file_changed_before_the_state_is_saved_keeps_no_state(tmp_path):
    directory = write_books(tmp_path / "books", books())
    profile = tmp_path / "profile"
    profile.mkdir()
    recorder = _recorder(profile, directory)
    list(read_directory(directory, recorder=recorder))
    (directory / "payments.csv").write_text(books(payments={1: None})["payments.csv"])
    recorder.save()
    assert not (profile / STATE_FILE).exists()
    # Unchanged, the same read keeps its state.
    write_books(directory, books())
    recorder = _recorder(profile, directory)
    list(read_directory(directory, recorder=recorder))
    recorder.save()
    assert rowstate.load(profile, recorder.cursor, "head") is not None

"""``collectctl sync csv DIR`` end to end, through the ``cli`` fixture (contracts §2)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from csv_helpers import GOOD, INVOICES, PAYMENTS

AS_OF = "2026-11-30"
#: Ten invoices for C1 (so that removing one or two stays under the 20 % deletion guard).
TEN_INVOICES = INVOICES + "".join(
    f"T{n},C1,,2026-06-{n + 1:02d},,,{n + 1}0.00,,\n" for n in range(10)
)

#: A payment on T1, for books built on :data:`TEN_INVOICES`.
TEN_PAYMENTS = PAYMENTS + "P1,C1,2026-07-01,5.00,T1,,,,\n"


def aging(cli: Any) -> dict[str, Any]:
    """The aging report as of :data:`AS_OF`, by invoice (the most detailed view of the ledger)."""
    result = cli("aging", "--format", "json", "--as-of", AS_OF, "--by", "invoice")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def sync(cli: Any, directory: Path, *extra: str) -> Any:
    return cli("sync", "csv", str(directory), "--format", "json", *extra)


def changes(result: Any) -> dict[str, tuple[int, int, int]]:
    """``{"invoices": (added, changed, removed), ...}`` from ``sync --format json``."""
    assert result.exit_code == 0, result.stderr
    (outcome,) = json.loads(result.stdout)
    return {
        entity: (c["added"], c["changed"], c["removed"]) for entity, c in outcome["changes"].items()
    }


def test_sync_then_aging_shows_what_the_files_hold(cli, books):
    result = sync(cli, books())
    assert changes(result) == {
        "customers": (2, 0, 0),
        "invoices": (3, 0, 0),
        "allocations": (3, 0, 0),
    }
    report = json.loads(cli("aging", "--format", "json", "--as-of", AS_OF).stdout)
    rows = {r["customer_id"]: r for r in report["rows"]}
    # C1: I1 100.00 - 60.00 and I2 250.00 - 40.00, both more than 90 days past due by Nov 30.
    assert (rows["C1"]["91+"], rows["C1"]["unapplied"], rows["C1"]["total"]) == (
        "250.00",
        "0.00",
        "250.00",
    )
    # C2: I3 80.00 open; the 10.00 credit note is unapplied credit, netted into the total.
    assert (rows["C2"]["unapplied"], rows["C2"]["total"]) == ("-10.00", "70.00")


def test_defaults_are_filled_by_the_core(cli, books):
    assert changes(sync(cli, books()))["invoices"] == (3, 0, 0)
    rows = {r["invoice_id"]: r for r in aging(cli)["rows"]}
    assert rows["I1"]["number"] == "INV-1"
    assert rows["I3"]["number"] == "I3"  # number defaults to id
    assert rows["I2"]["due_date"] == "2026-03-31"  # 2026-03-01 + profile default 30 days
    assert rows["I3"]["due_date"] == "2026-04-15"  # 2026-04-01 + the customer's 14 days
    assert rows["I3"]["currency"] == "USD"


def test_resync_of_the_same_directory_changes_nothing(cli, books):
    d = books()
    assert changes(sync(cli, d))["invoices"] == (3, 0, 0)
    before = aging(cli)
    assert changes(sync(cli, d)) == {
        "customers": (0, 0, 0),
        "invoices": (0, 0, 0),
        "allocations": (0, 0, 0),
    }
    assert aging(cli) == before


def test_an_unchanged_directory_is_not_read_again_but_any_change_is(cli, books):
    d = books()
    assert changes(sync(cli, d))["invoices"] == (3, 0, 0)
    before = aging(cli)
    again = sync(cli, d)
    (outcome,) = json.loads(again.stdout)
    assert outcome["mode"] == "incremental"
    assert "unchanged since the last sync" in outcome["description"]
    assert outcome["records"] == 0  # only the fingerprint, which is not a record
    assert aging(cli) == before
    # --full reads every row all the same, and finds nothing to change
    (outcome,) = json.loads(sync(cli, d, "--full").stdout)
    assert (outcome["mode"], outcome["records"]) == ("full", 8)
    # one byte changed in one file: read again, and the change lands
    invoices = (d / "invoices.csv").read_text().replace(",100.00,", ",100.01,")
    (d / "invoices.csv").write_text(invoices)
    assert changes(sync(cli, d))["invoices"] == (0, 1, 0)
    # a profile setting that shapes the books (default terms) also means a full read
    home_config = json.loads(cli("profile", "show", "--format", "json").stdout)["path"]
    path = Path(home_config) / "config.toml"
    path.write_text(path.read_text().replace("default_terms_days = 30", "default_terms_days = 45"))
    result = sync(cli, d)
    (outcome,) = json.loads(result.stdout)
    assert outcome["mode"] == "full"
    assert changes(result)["invoices"] == (0, 1, 0)  # I2's due date moved


def test_a_corrected_directory_adds_changes_and_removes_rows(cli, books):
    v1_payments = PAYMENTS + (
        "P1,C1,2026-03-15,60.00,I1,,,,\nP1,C1,2026-03-15,40.00,T1,,,,\n"
        "P2,C2,2026-05-01,10.00,,credit,,,\n"
    )
    v1 = TEN_INVOICES + "I1,C1,,2026-01-10,,,100.00,,\n"
    assert changes(sync(cli, books("v1", invoices=v1, payments=v1_payments)))["invoices"] == (
        11,
        0,
        0,
    )
    v2 = TEN_INVOICES.replace("T0,C1,,2026-06-01,,,10.00", "T0,C1,,2026-06-01,,,15.00")
    v2 = v2.replace("T9,C1,,2026-06-10,,,100.00,,\n", "")  # removed
    v2 += "I1,C1,,2026-01-10,,,100.00,,\nNEW,C2,,2026-07-01,,,5.00,,\n"  # added
    result = sync(
        cli, books("v2", invoices=v2, payments=PAYMENTS + "P1,C1,2026-03-15,60.00,I1,,,,\n")
    )
    got = changes(result)
    assert got["invoices"] == (1, 1, 1)
    assert got["allocations"][2] == 2  # P1's second row and P2 are gone
    (outcome,) = json.loads(result.stdout)
    assert outcome["changes"]["invoices"]["removed_ids"] == ["T9"]
    rows = {r["invoice_id"]: r for r in aging(cli)["rows"]}
    assert "T9" not in rows
    assert rows["T0"]["balance"] == "15.00"
    assert rows["NEW"]["balance"] == "5.00"


def test_dry_run_reports_but_writes_nothing(cli, books):
    assert changes(sync(cli, books("v1", invoices=TEN_INVOICES, payments=TEN_PAYMENTS)))[
        "invoices"
    ] == (10, 0, 0)
    before = aging(cli)
    v2 = TEN_INVOICES.replace("T0,C1,,2026-06-01,,,10.00", "T0,C1,,2026-06-01,,,99.00")
    result = sync(cli, books("v2", invoices=v2, payments=TEN_PAYMENTS), "--dry-run")
    assert changes(result)["invoices"] == (0, 1, 0)
    assert aging(cli) == before
    # the real sync then does what the dry run said
    assert changes(sync(cli, books("v2", invoices=v2, payments=TEN_PAYMENTS)))["invoices"] == (
        0,
        1,
        0,
    )
    assert aging(cli) != before


def test_removing_more_than_20_percent_of_invoices_needs_allow_deletions(cli, books):
    assert changes(sync(cli, books("v1", invoices=TEN_INVOICES, payments=TEN_PAYMENTS)))[
        "invoices"
    ] == (10, 0, 0)
    before = aging(cli)
    # three of the ten invoices gone: 30 % > 20 %
    kept = "".join(line + "\n" for line in TEN_INVOICES.splitlines()[:8])
    partial = books("v2", invoices=kept, payments=TEN_PAYMENTS)
    refused = sync(cli, partial)
    assert refused.exit_code == 1
    assert "--allow-deletions" in refused.stderr
    assert aging(cli) == before
    allowed = sync(cli, partial, "--allow-deletions")
    assert changes(allowed)["invoices"] == (0, 0, 3)
    assert len(aging(cli)["rows"]) == len(before["rows"]) - 3


def test_removing_up_to_20_percent_needs_no_flag(cli, books):
    assert changes(sync(cli, books("v1", invoices=TEN_INVOICES, payments=TEN_PAYMENTS)))[
        "invoices"
    ] == (10, 0, 0)
    kept = "".join(line + "\n" for line in TEN_INVOICES.splitlines()[:10])  # T9 gone: 10 %
    assert changes(sync(cli, books("v2", invoices=kept, payments=TEN_PAYMENTS)))["invoices"] == (
        0,
        0,
        1,
    )


# -- bad input: exit 1, a message naming file, line, column and value, nothing written -----------

BAD_INPUTS = {
    "missing required column": (
        {"invoices": "id,customer_id,issue_date\nI1,C1,2026-01-10\n"},
        ["invoices.csv:1", "amount"],
    ),
    "unknown customer": (
        {"invoices": INVOICES + "I1,C1,,2026-01-10,,,100.00,,\nI2,C9,,2026-01-11,,,5.00,,\n"},
        ["invoices.csv:3", "customer_id", "C9"],
    ),
    "malformed date": (
        {"invoices": INVOICES + "I1,C1,,2026-02-30,,,100.00,,\n"},
        ["invoices.csv:2", "issue_date", "2026-02-30"],
    ),
    "malformed amount": (
        {"payments": PAYMENTS + 'P1,C1,2026-03-15,"1,000.00",,,,,\n'},
        ["payments.csv:2", "amount", "1,000.00"],
    ),
    "currency mismatch": (
        {"payments": PAYMENTS + "P1,C1,2026-03-15,60.00,I1,,EUR,,\n"},
        ["payments.csv:2", "currency", "EUR"],
    ),
    "duplicate invoice id": (
        {
            "invoices": INVOICES
            + "I1,C1,,2026-01-10,,,100.00,,\nI2,C1,,2026-01-10,,,5.00,,\n"
            + "I1,C1,,2026-01-12,,,7.00,,\n"
        },
        ["invoices.csv:4", "id", "I1"],
    ),
    "write_off larger than open": (
        {"payments": PAYMENTS + "W1,C1,2026-05-01,120.00,I1,write_off,,,\n"},
        ["payments.csv:2", "amount", "120.00"],
    ),
    "more decimals than the currency has": (
        {"invoices": INVOICES + "I1,C1,,2026-01-10,,USD,1234.505,,\n"},
        ["invoices.csv:2", "amount", "1234.505"],
    ),
    "payment from another customer": (
        {"payments": PAYMENTS + "P1,C2,2026-03-15,60.00,I1,,,,\n"},
        ["payments.csv:2", "customer_id", "C2"],
    ),
    "unknown invoice": (
        {"payments": PAYMENTS + "P1,C1,2026-03-15,60.00,I99,,,,\n"},
        ["payments.csv:2", "invoice_id", "I99"],
    ),
    "unknown payment kind": (
        {"payments": PAYMENTS + "P1,C1,2026-03-15,60.00,I1,Payment,,,\n"},
        ["payments.csv:2", "kind", "Payment"],
    ),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_fails_naming_file_line_column_and_value_and_writes_nothing(cli, books, case):
    files, expected = BAD_INPUTS[case]
    good = books("good")
    assert changes(sync(cli, good))["invoices"] == (3, 0, 0)
    before = aging(cli)
    content = {"invoices": INVOICES + "I1,C1,,2026-01-10,,,100.00,,\n", "payments": PAYMENTS}
    content.update(files)
    result = sync(cli, books("bad", **content))
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if expected[0] in line]
    assert lines, result.stderr
    for word in expected[1:]:
        assert word in lines[0], lines[0]
    assert aging(cli) == before  # one transaction: nothing of the failed sync was written
    assert changes(sync(cli, good)) == {  # and the ledger still matches the good books
        "customers": (0, 0, 0),
        "invoices": (0, 0, 0),
        "allocations": (0, 0, 0),
    }


def test_every_bad_record_is_reported_up_to_20_then_a_count(cli, books):
    bad = "".join(f"B{n},C1,,2026-02-{30 + n % 2},,,1.00,,\n" for n in range(25))
    result = sync(cli, books(invoices=INVOICES + bad, payments=PAYMENTS))
    assert result.exit_code == 1
    reported = [line for line in result.stderr.splitlines() if "invoices.csv:" in line]
    assert len(reported) == 20
    assert "invoices.csv:2:" in reported[0]
    assert "5 more" in result.stderr
    assert "25" in result.stderr


def test_problems_from_the_reader_and_the_core_are_reported_together(cli, books):
    d = books(
        invoices=INVOICES + "I1,C1,,2026-01-10,,,100.00,,\nI2,C7,,2026-01-10,,,1.00,,\n",
        payments=PAYMENTS + "P1,C1,someday,1.00,I1,,,,\n",
    )
    result = sync(cli, d)
    assert result.exit_code == 1
    assert "invoices.csv:3" in result.stderr  # unknown customer (the core's check)
    assert "payments.csv:2" in result.stderr  # bad date (the reader's check)


# -- where the directory comes from ---------------------------------------------------------------


def test_a_missing_file_is_an_error_that_says_how_to_fix_it(cli, books):
    d = books()
    (d / "payments.csv").unlink()
    result = sync(cli, d)
    assert result.exit_code == 1
    assert "payments.csv" in result.stderr
    assert "header row" in result.stderr
    assert "id,customer_id,date,amount" in result.stderr


def test_a_missing_directory_is_an_error(cli, tmp_path):
    result = sync(cli, tmp_path / "nowhere")
    assert result.exit_code == 1
    assert "nowhere" in result.stderr
    assert "does not exist" in result.stderr


def test_without_dir_or_config_the_error_explains_both_ways(cli):
    result = cli("sync", "csv")
    assert result.exit_code == 1
    assert "collectctl sync csv DIR" in result.stderr
    assert "[sources.csv]" in result.stderr


def _profile_config(home: Path, text: str) -> None:
    """Create the default profile and append ``text`` to its config.toml."""
    config = home / "profiles" / "default" / "config.toml"
    if not config.exists():
        from collectctl.home import create_profile

        create_profile("default")
    with config.open("a", encoding="utf-8") as fh:
        fh.write(text)


def test_config_dir_is_relative_to_the_profile_directory(cli, collectctl_home):
    _profile_config(collectctl_home, '\n[sources.csv]\ndir = "books"\n')
    profile = collectctl_home / "profiles" / "default"
    from csv_helpers import write_books

    write_books(profile / "books", GOOD)
    result = cli("sync", "--format", "json")  # every configured source
    assert changes(result)["invoices"] == (3, 0, 0)
    assert changes(cli("sync", "csv", "--format", "json"))["invoices"] == (0, 0, 0)


def test_command_line_dir_wins_over_config(cli, collectctl_home, books):
    _profile_config(collectctl_home, '\n[sources.csv]\ndir = "/no/such/dir"\n')
    assert changes(sync(cli, books()))["customers"] == (2, 0, 0)


def test_config_dir_expands_home(cli, collectctl_home, tmp_path, monkeypatch):
    from csv_helpers import write_books

    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    write_books(tmp_path / "user" / "export", GOOD)
    _profile_config(collectctl_home, '\n[sources.csv]\ndir = "~/export"\n')
    assert changes(cli("sync", "csv", "--format", "json"))["customers"] == (2, 0, 0)


def test_profile_date_format_applies_to_csv_dates(cli, collectctl_home, books):
    config = collectctl_home / "profiles" / "default" / "config.toml"
    _profile_config(collectctl_home, "")
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            'date_format = "%Y-%m-%d"', 'date_format = "%d/%m/%Y"'
        ),
        encoding="utf-8",
    )
    d = books(
        invoices=INVOICES + "I1,C1,,10/01/2026,,,100.00,,\n",
        payments=PAYMENTS + "P1,C1,15/03/2026,60.00,I1,,,,\n",
    )
    assert changes(sync(cli, d))["invoices"] == (1, 0, 0)
    (row,) = aging(cli)["rows"]
    assert (row["issue_date"], row["balance"]) == ("2026-01-10", "40.00")


def test_syncing_another_directory_replaces_the_csv_books(cli, books, tmp_path):
    assert changes(sync(cli, books("a", invoices=TEN_INVOICES, payments=TEN_PAYMENTS)))[
        "invoices"
    ] == (10, 0, 0)
    other = tmp_path / "b"
    shutil.copytree(tmp_path / "a", other)
    (other / "invoices.csv").write_text(TEN_INVOICES.replace("T3,C1", "T3,C2"), encoding="utf-8")
    assert changes(sync(cli, other))["invoices"] == (0, 1, 0)


def test_sync_csv_help_describes_the_directory(cli):
    result = cli("sync", "csv", "--help")
    assert result.exit_code == 0
    assert "customers.csv" in result.stdout
    assert "[sources.csv]" in result.stdout


def test_a_sync_never_removes_collectctls_own_records(cli, books):
    v1 = books("v1", invoices=TEN_INVOICES, payments=TEN_PAYMENTS)
    assert changes(sync(cli, v1))["invoices"] == (10, 0, 0)
    steps = [
        ("account", "log", "C1", "--channel", "phone", "--outcome", "promised", "--note", "Tue"),
        ("account", "promise", "C1", "--amount", "20", "--by", "2026-12-15", "--as-of", AS_OF),
        ("account", "dispute", "C1", "--invoice", "T9", "--reason", "quality", "--note", "dent"),
    ]
    for args in steps:
        result = cli(*args)
        assert result.exit_code == 0, result.stderr

    def own_records() -> tuple[list[str], list[str], list[str]]:
        result = cli("account", "show", "C1", "--format", "json", "--as-of", AS_OF)
        assert result.exit_code == 0, result.stderr
        doc = json.loads(result.stdout)
        return (
            [c["note"] for c in doc["contacts"]],
            [p["id"] for p in doc["promises"]],
            [d["id"] for d in doc["disputes"]],
        )

    before = own_records()
    assert before[0] == ["Tue"]
    assert len(before[1]) == 1
    assert len(before[2]) == 1
    # T9 (the disputed invoice) and the payment leave the books; T0 changes
    v2 = TEN_INVOICES.replace("T9,C1,,2026-06-10,,,100.00,,\n", "").replace(",10.00,", ",12.00,")
    got = changes(sync(cli, books("v2", invoices=v2, payments=PAYMENTS)))
    assert got["invoices"] == (0, 1, 1)
    assert got["allocations"] == (0, 0, 1)
    assert own_records() == before

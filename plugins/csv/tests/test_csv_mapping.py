"""Column mapping, dialects and ``--explain`` for collectctl's own three files and for the
generic invoice list (issue #13, items 1-3), through the real CLI and a real ledger."""

from __future__ import annotations

import json
from pathlib import Path

from csv_helpers import GOOD, write_books
from test_csv_presets import aged, configure

from collectctl.records import Customer

MAPPED_CUSTOMERS = "Customer No;Customer Name;E-Mail\nC1;Acme Ltd;ap@acme.example\nC2;Jo Bloggs;\n"
MAPPED_INVOICES = (
    "Invoice No;Customer No;Invoice Date;Due;Total\n"
    "I1;C1;15/09/2026;15/10/2026;1.234,56\n"  # due 15 Oct -> 46 days -> 31-60
    "I2;C2;20/11/2026;20/12/2026;80,00\n"  # current
)
MAPPED_PAYMENTS = "Ref;Customer No;Paid On;Paid\nP1;C1;01/10/2026;234,56\n"
COLUMNS = """
[sources.csv.columns.customers]
id = "Customer No"
name = "Customer Name"
email = "E-Mail"
[sources.csv.columns.invoices]
id = "Invoice No"
customer_id = "Customer No"
issue_date = "Invoice Date"
due_date = "Due"
amount = "Total"
[sources.csv.columns.payments]
id = "Ref"
customer_id = "Customer No"
date = "Paid On"
amount = "Paid"
"""


def mapped_books(tmp_path: Path) -> Path:
    return write_books(
        tmp_path / "mapped",
        {
            "customers.csv": MAPPED_CUSTOMERS,
            "invoices.csv": MAPPED_INVOICES,
            "payments.csv": MAPPED_PAYMENTS,
        },
    )


def test_config_columns_map_three_semicolon_files_with_decimal_commas(
    cli, collectctl_home, tmp_path
):
    settings = 'date_order = "dmy"\ndecimal_separator = ","\nthousands_separator = "."\n'
    configure(collectctl_home, cli, settings + COLUMNS)
    result = cli("sync", "csv", mapped_books(tmp_path))
    assert result.exit_code == 0, result.stderr
    # I1 1,234.56 - 234.56 paid = 1,000.00, 46 days past due; P1 names no invoice, so with
    # no invoice_id column mapped it is unapplied credit: -234.56 (total 1234.56 - 234.56).
    assert aged(cli) == {
        "Acme Ltd": {"31-60": "1234.56", "unapplied": "-234.56", "total": "1000.00"},
        "Jo Bloggs": {"current": "80.00", "total": "80.00"},
    }


def test_a_map_file_does_the_same_and_a_missing_column_suggests_the_header(
    cli, collectctl_home, tmp_path
):
    configure(
        collectctl_home,
        cli,
        'date_order = "dmy"\ndecimal_separator = ","\nthousands_separator = "."\n',
    )
    mapping = tmp_path / "map.toml"
    mapping.write_text(
        COLUMNS.replace("[sources.csv.", "[").replace('issue_date = "Invoice Date"\n', "")
    )
    result = cli("sync", "csv", mapped_books(tmp_path), "--map", mapping)
    assert result.exit_code == 1
    assert (
        "invoices.csv:1: column 'issue_date': required column 'issue_date' is missing from the "
        "header row (did you mean 'Invoice Date'?)"
    ) in result.stderr
    assert "issue_date = 'Invoice Date'" in result.stderr


def test_headers_match_case_and_space_insensitively(cli, books):
    invoices = GOOD["invoices.csv"].replace(
        "id,customer_id,number,issue_date,due_date",
        " ID ,Customer ID,Number,Issue Date,DUE_DATE",
        1,
    )
    result = cli("sync", "csv", books(invoices=invoices))
    assert result.exit_code == 0, result.stderr


def test_the_native_format_keeps_strict_iso_dates(cli, books):
    invoices = GOOD["invoices.csv"].replace("2026-01-10", "10/01/2026")
    result = cli("sync", "csv", books(invoices=invoices))
    assert result.exit_code == 1
    assert (
        "'10/01/2026' is not a date (expected YYYY-MM-DD; for other dates set date_format"
        in result.stderr
    )


def test_utf16_tab_separated_excel_export_with_serial_and_iso_z_dates(
    cli, collectctl_home, tmp_path
):
    configure(collectctl_home, cli)
    text = (
        "Invoice Number\tCustomer\tIssue Date\tDue Date\tAmount\tAmount Due\tPaid Date\r\n"
        # 46266 = 2026-09-01 (46023 is 2026-01-01, plus 243 days of Jan..Aug); due 09-30 ->
        # 61 days -> 61-90; 100.00 - 40.00 due = 60.00 paid on 2026-10-10
        "A-1\tAcme Ltd\t46266\t2026-09-30T00:00:00Z\t100.00\t40.00\t2026-10-10\r\n"
        # 46327 = 2026-11-01, due 12-01 -> current
        "A-2\tBrown & Co\t46327\t2026-12-01T00:00:00Z\t55.00\t55.00\t\r\n"
    )
    path = tmp_path / "Book1.txt"
    path.write_bytes(text.encode("utf-16"))  # with a byte order mark, as Excel writes it
    explained = cli("sync", "csv", path, "--preset", "spreadsheet", "--explain")
    assert explained.exit_code == 0, explained.stderr
    assert "UTF-16 (with UTF-16 LE byte order mark), delimiter TAB" in explained.stdout
    assert "issue_date   <- 'Issue Date'" in explained.stdout
    assert "balance      <- 'Amount Due'" in explained.stdout
    assert aged(cli) == {}  # --explain wrote nothing
    assert cli("status", "--format", "json").exit_code == 0
    result = cli("sync", "csv", path, "--preset", "spreadsheet")
    assert result.exit_code == 0, result.stderr
    assert aged(cli) == {
        "Acme Ltd": {"61-90": "40.00", "total": "40.00"},
        "Brown & Co": {"current": "55.00", "total": "55.00"},
    }
    # As of 2026-10-05 the 60.00 paid on 10-10 is not paid yet: 100.00 open, 5 days past due.
    assert aged(cli, "2026-10-05") == {"Acme Ltd": {"1-30": "100.00", "total": "100.00"}}
    assert "approximate" not in cli("aging", "--as-of", "2026-10-05").stderr


def test_explain_reports_a_bad_header_and_exits_1(cli, collectctl_home, tmp_path):
    configure(collectctl_home, cli)
    path = tmp_path / "sheet.csv"
    path.write_text("Invoice Number;Customer;Amount\nA-1;Acme;10,00\n")
    result = cli("sync", "csv", path, "--preset", "spreadsheet", "--explain")
    assert result.exit_code == 1
    assert "delimiter ';'" in result.stdout
    assert "'issue_date' is missing" in result.stdout


def test_windows_1252_needs_configuring_and_then_reads(cli, collectctl_home, tmp_path):
    configure(collectctl_home, cli)
    path = tmp_path / "sheet.csv"
    path.write_bytes(
        "Invoice Number,Customer,Issue Date,Amount\nA-1,Café,2026-11-01,10.00\n".encode("cp1252")
    )
    result = cli("sync", "csv", path, "--preset", "spreadsheet")
    assert result.exit_code == 1
    assert "not UTF-8" in result.stderr
    configure(collectctl_home, cli, 'encoding = "windows-1252"\n')
    result = cli("sync", "csv", path, "--preset", "spreadsheet")
    assert result.exit_code == 0, result.stderr
    assert list(aged(cli)) == ["Café"]


def test_date_order_configured_reads_ambiguous_dates(cli, collectctl_home, tmp_path):
    configure(collectctl_home, cli, 'date_order = "mdy"\n')
    path = tmp_path / "sheet.csv"
    # 03/04/2026 month first = March 4; due 04/03/2026 = April 3 -> 241 days -> 91+
    path.write_text(
        "Invoice Number,Customer,Issue Date,Due Date,Amount\nA-1,Acme,03/04/2026,04/03/2026,10.00\n"
    )
    assert cli("sync", "csv", path, "--preset", "spreadsheet").exit_code == 0
    document = json.loads(
        cli("aging", "--by", "invoice", "--format", "json", "--as-of", "2026-11-30").stdout
    )
    (row,) = document["rows"]
    assert (row["issue_date"], row["due_date"], row["bucket"]) == (
        "2026-03-04",
        "2026-04-03",
        "91+",
    )


def test_an_unknown_config_key_and_preset_are_clear_errors(cli, collectctl_home, tmp_path):
    configure(collectctl_home, cli, 'date_ordr = "dmy"\n')
    result = cli("sync", "csv", tmp_path, "--preset", "stripe")
    assert result.exit_code == 1
    assert "unknown key 'date_ordr' (did you mean 'date_order'?)" in result.stderr
    configure(collectctl_home, cli)
    result = cli("sync", "csv", tmp_path, "--preset", "strpe")
    assert "unknown CSV preset 'strpe' (did you mean 'stripe'?)" in result.stderr


def test_preset_from_config_and_preset_list(cli, collectctl_home, tmp_path):
    listed = cli("sync", "csv", "--preset-list")
    assert listed.exit_code == 0
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert names == sorted(
        [
            "stripe",
            "xero-invoices",
            "xero-aged-receivables",
            "freshbooks",
            "wave",
            "invoice-ninja",
            "zoho-invoice",
            "quickbooks-online",
            "quickbooks-desktop",
            "spreadsheet",
        ]
    )
    path = tmp_path / "in.csv"
    path.write_text("Invoice Number,Customer,Issue Date,Amount\nA-1,Acme,2026-11-01,10.00\n")
    configure(collectctl_home, cli, f'preset = "spreadsheet"\ndir = "{path}"\n')
    result = cli("sync")
    assert result.exit_code == 0, result.stderr
    # no due date: issue date + 30 days' default terms = 2026-12-01 -> current
    assert aged(cli) == {"Acme": {"current": "10.00", "total": "10.00"}}


def test_the_deletion_guard_holds_for_an_invoice_list(cli, collectctl_home, tmp_path):
    configure(collectctl_home, cli)
    path = tmp_path / "in.csv"
    rows = "".join(f"A-{n},Acme,2026-11-01,10.00\n" for n in range(10))
    path.write_text("Invoice Number,Customer,Issue Date,Amount\n" + rows)
    assert cli("sync", "csv", path, "--preset", "spreadsheet").exit_code == 0
    path.write_text("Invoice Number,Customer,Issue Date,Amount\n" + rows.split("\n", 7)[-1])
    result = cli("sync", "csv", path, "--preset", "spreadsheet")
    assert result.exit_code == 1
    assert "--allow-deletions" in result.stderr + result.stdout


def test_hook_register_csv_presets(cli, collectctl_home, register_plugin, tmp_path):
    from collectctl import hookimpl

    preset = tmp_path / "harvest.toml"
    preset.write_text(
        'title = "Harvest invoices export"\nlayout = "invoice-list"\n'
        'sources = ["https://help.getharvest.com/harvest/invoices/"]\n'
        '[columns.invoices]\nnumber = "ID"\ncustomer = "Client"\nissue_date = "Issue Date"\n'
        'amount = "Amount"\nbalance = "Due Amount"\nstatus = "State"\n'
        '[status]\nopen = "open"\npaid = "paid"\ndraft = "draft"\n'
    )

    class Harvest:
        @hookimpl
        def register_csv_presets(self, register):
            register(preset)
            register({"name": "stripe", "layout": "invoice-list"})  # a conflict: first wins

    register_plugin(Harvest(), name="harvest")
    listed = cli("sync", "csv", "--preset-list")
    assert "harvest  " in listed.stdout
    assert "Harvest invoices export" in listed.stdout
    assert "Stripe invoices export" in listed.stdout  # the built-in one kept
    configure(collectctl_home, cli)
    export = tmp_path / "harvest.csv"
    # 50.00 of 120.00 still due on 2026-11-01 (no due date: 30 days' terms -> 2026-12-01, current)
    export.write_text(
        "ID,Client,Issue Date,Amount,Due Amount,State\n"
        "7,Acme,2026-11-01,120.00,50.00,open\n"
        "8,Acme,2026-11-02,5.00,5.00,draft\n"
    )
    result = cli("sync", "csv", export, "--preset", "harvest")
    assert result.exit_code == 0, result.stderr
    assert aged(cli) == {"Acme": {"current": "50.00", "total": "50.00"}}


def test_derived_customers_come_before_their_invoices(tmp_path):
    from csv_helpers import read_all

    path = tmp_path / "in.csv"
    path.write_text(
        "Invoice Number,Customer,Email,Issue Date,Amount\n"
        "A-1,Acme,ap@acme.example,2026-11-01,10.00\n"
    )
    records = read_all(path, options={"preset": "spreadsheet"})
    assert isinstance(records[0], Customer)
    assert (records[0].id, records[0].name, records[0].email) == ("Acme", "Acme", "ap@acme.example")


def test_the_approximate_dates_warning_ends_when_real_payment_dates_arrive(
    cli, collectctl_home, books, tmp_path
):
    configure(collectctl_home, cli)
    path = tmp_path / "in.csv"
    path.write_text(
        "Invoice Number,Customer,Issue Date,Amount,Paid\nA-1,Acme,2026-11-01,10.00,4.00\n"
    )
    assert cli("sync", "csv", path, "--preset", "spreadsheet").exit_code == 0
    assert (
        "payment dates from source 'csv' are approximate"
        in cli("aging", "--as-of", "2026-11-02").stderr
    )
    # an unchanged export (nothing re-read) keeps the note
    assert cli("sync", "csv", path, "--preset", "spreadsheet").exit_code == 0
    assert "approximate" in cli("aging", "--as-of", "2026-11-02").stderr
    # today's aging never warns: it is exact
    assert "approximate" not in cli("aging").stderr
    result = cli("sync", "csv", books(), "--allow-deletions")
    assert result.exit_code == 0, result.stderr
    assert "approximate" not in cli("aging", "--as-of", "2026-11-02").stderr


def test_explain_on_collectctl_s_own_files_writes_nothing(cli, books):
    result = cli("sync", "csv", books(), "--explain")
    assert result.exit_code == 0, result.stderr
    assert "dates: YYYY-MM-DD" in result.stdout
    assert "invoice: id=I1, customer_id=C1, issue_date=2026-01-10, amount=100.00" in result.stdout
    status = cli("status", "--format", "json")
    assert status.exit_code == 0
    assert aged(cli) == {}


def test_collectctl_s_own_format_never_loads_the_import_machinery(books):
    """The mapping, dialect, date and invoice-list code costs nothing when it is not used."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from collectctl_csv.plugin import read; "
        "from collectctl.records import SyncRequest; "
        f"list(read(SyncRequest(options={{'dir': Path({str(books())!r})}})).records); "
        "print(sorted(m for m in sys.modules if m.startswith('collectctl_csv')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    for module in ("imports", "invoice_list", "dates", "presets"):
        assert f"collectctl_csv.{module}'" not in out, out
    assert "collectctl_csv.reader'" in out


def test_a_repeated_invoice_is_a_duplicate_unless_the_export_has_line_items(
    cli, collectctl_home, tmp_path
):
    configure(collectctl_home, cli)
    path = tmp_path / "in.csv"
    path.write_text(
        "Invoice Number,Customer,Issue Date,Amount\n"
        "A-1,Acme,2026-11-01,10.00\n"
        "A-1,Acme,2026-11-01,12.00\n"
    )
    result = cli("sync", "csv", path, "--preset", "spreadsheet")
    assert result.exit_code == 1
    assert "in.csv:3" in result.stderr
    assert "A-1" in result.stderr
    # Xero's export repeats the invoice per line: the total must agree on every line.
    from preset_fixtures import XERO

    bad = XERO.replace(
        '1200.00,0.00,200.00,1000.00,,"Design, phase 2"',
        '1300.00,0.00,200.00,1000.00,,"Design, phase 2"',
    )
    assert bad != XERO
    path = tmp_path / "xero.csv"
    path.write_text(bad)
    result = cli("sync", "csv", path, "--preset", "xero-invoices")
    assert result.exit_code == 1
    assert (
        "xero.csv:3: column 'amount': this line of invoice 'INV-0001' gives a total of '1300.00'"
        in result.stderr
    )


def test_a_customers_file_beside_the_list_is_used_instead_of_deriving(
    cli, collectctl_home, tmp_path
):
    from preset_fixtures import STRIPE

    configure(collectctl_home, cli)
    export = tmp_path / "stripe"
    export.mkdir()
    (export / "invoices.csv").write_text(STRIPE)
    (export / "customers.csv").write_text(
        "id,name,email,kind\n"
        "cus_A,Acme Limited,billing@acme.example,business\n"
        "cus_B,Beta Inc,,consumer\n"
    )
    result = cli("sync", "csv", export, "--preset", "stripe")
    assert result.exit_code == 0, result.stderr
    assert aged(cli) == {
        "Acme Limited": {"31-60": "700.00", "total": "700.00"},
        "Beta Inc": {"current": "80.00", "total": "80.00"},
    }


def test_a_semicolon_file_in_the_native_format_gets_a_hint_then_reads(cli, collectctl_home, books):
    semi = {k: v.replace(",", ";") for k, v in GOOD.items()}
    directory = books(**{k[:-4]: v for k, v in semi.items()})
    result = cli("sync", "csv", directory)
    assert result.exit_code == 1
    assert 'the header looks ";"-separated: set delimiter = ";"' in result.stderr
    configure(collectctl_home, cli, 'delimiter = "auto"\n')
    result = cli("sync", "csv", directory)
    assert result.exit_code == 0, result.stderr


def test_a_utf16_export_is_named_and_reads_once_configured(cli, collectctl_home, tmp_path):
    files = {name: text.encode("utf-16") for name, text in GOOD.items()}
    books = write_books(tmp_path / "books", files)
    result = cli("sync", "csv", books)
    assert result.exit_code == 1
    assert "customers.csv:1: the file is UTF-16 text" in result.stderr
    assert "CSV UTF-8" in result.stderr
    configure(collectctl_home, cli, 'encoding = "utf-16"\n')
    assert cli("sync", "csv", books).exit_code == 0
    # one file saved otherwise: a clear error naming it, not an internal one
    (books / "payments.csv").write_bytes(GOOD["payments.csv"].encode("utf-8"))
    mixed = cli("sync", "csv", books)
    assert mixed.exit_code == 1
    assert "payments.csv is not utf-16 text" in mixed.stderr
    assert "Traceback" not in mixed.stderr

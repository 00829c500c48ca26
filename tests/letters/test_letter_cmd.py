"""`collectctl letter` through the CLI: content, formats, the creditor guard, --send file and
the record it leaves, list/show, and the template check."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest
from letter_helpers import AS_OF, CREDITOR, set_config

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def letter(cli, *args):
    return cli("letter", "C1", "--as-of", AS_OF, *args)


def test_a_reminder_holds_what_domain_says_a_letter_holds(cli, synced):
    result = letter(cli, "--stage", "reminder", "--format", "txt")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert "Studio Lumen Ltd" in text
    assert "Łódź Trading Sp. z o.o." in text
    assert "ul. Piotrkowska 104" in text
    assert "Reference to quote: C1/GBP" in text
    # per invoice: number, issue and due dates, amount, paid/credited, balance, days overdue
    row = next(ln for ln in text.splitlines() if ln.startswith("INV-1001")).split()
    assert row == [
        "INV-1001",
        "2026-08-01",
        "2026-09-01",
        "GBP",
        "5,000.00",
        "GBP",
        "2,000.00",
        "GBP",
        "3,000.00",
        "90",
    ]
    # not yet due: not demanded at the reminder stage
    assert "INV-1003" not in text
    # total net of unapplied credit: 3,000 + 250 - 50
    assert "GBP -50.00" in text
    assert "Total due" in text
    assert "GBP 3,200.00" in text
    assert "Sort code 00-00-00" in text
    assert "by 2026-12-07" in text  # what to do and by when
    assert "billing@lumen.example" in text  # contact for disputes and plans


def letters_recorded() -> int:
    """How many letters the default profile's ledger records (on the test's backend)."""
    from collectctl.app import App

    app = App()
    try:
        return int(app.ledger().conn.execute("SELECT COUNT(*) FROM letters").fetchone()[0])
    finally:
        app.close()


def test_rendering_alone_records_nothing(cli, synced, collectctl_home):
    assert letter(cli, "--stage", "reminder").exit_code == 0
    assert letters_recorded() == 0


def test_no_creditor_name_is_an_error_naming_the_key_unless_draft(cli, synced, collectctl_home):
    set_config(collectctl_home, '[creditor]\nname = ""\n')
    result = letter(cli, "--stage", "reminder")
    assert result.exit_code == 1
    assert "[creditor] name" in result.stderr
    assert "--draft" in result.stderr
    draft = letter(cli, "--stage", "reminder", "--draft")
    assert draft.exit_code == 0, draft.stderr
    assert "DRAFT" in draft.stdout
    sent = letter(cli, "--stage", "reminder", "--draft", "--send", "file")
    assert sent.exit_code == 1
    assert "DRAFT letter cannot be sent" in sent.stderr


def test_disputed_invoices_are_listed_not_demanded(cli, synced):
    assert (
        cli(
            "account",
            "dispute",
            "C1",
            "--invoice",
            "I2",
            "--reason",
            "wrong-amount",
            "--as-of",
            "2026-11-01",
        ).exit_code
        == 0
    )
    text = letter(cli, "--stage", "reminder", "--format", "md").stdout
    assert "under review (DSP-1)" in text
    assert "GBP 2,950.00" in text  # 3,000 - 50 credit, INV-1002 left out


def test_pdf_reads_back(cli, synced, tmp_path):
    out = tmp_path / "r.pdf"
    result = letter(cli, "--stage", "firm", "--format", "pdf", "--output", str(out))
    assert result.exit_code == 0, result.stderr
    pdf = pdfium.PdfDocument(str(out))
    assert len(pdf) >= 1
    width, height = pdf[0].get_size()
    assert (round(width), round(height)) == (595, 842)  # A4
    text = "\n".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Łódź Trading Sp. z o.o." in text
    assert "INV-1001" in text
    assert "GBP 3,200.00" in text
    assert "Late Payment of Commercial Debts (Interest) Act 1998" not in text  # interest = none


def test_letter_paper_from_config(cli, synced, collectctl_home, tmp_path):
    set_config(collectctl_home, CREDITOR + '[letters]\npaper = "Letter"\n')
    out = tmp_path / "r.pdf"
    assert letter(cli, "--stage", "reminder", "-f", "pdf", "-o", str(out)).exit_code == 0
    width, height = pdfium.PdfDocument(str(out))[0].get_size()
    assert (round(width), round(height)) == (612, 792)


def test_send_file_records_and_moves_the_ladder(cli, synced, collectctl_home, tmp_path):
    target = tmp_path / "out"
    result = letter(
        cli, "--stage", "reminder", "--send", "file", "--output", str(target), "--format", "pdf"
    )
    assert result.exit_code == 0, result.stderr
    assert "LTR-1: reminder letter sent by file" in result.stderr
    (path,) = target.iterdir()
    assert path.name.startswith("2026-11-30-reminder-c1-")
    assert path.name.endswith("-LTR-1.pdf")
    again = letter(cli, "--stage", "reminder", "--send", "file", "--output", str(target))
    assert again.exit_code == 1
    assert "already sent (LTR-1, sent)" in again.stderr
    listed = json.loads(cli("letter", "list", "--format", "json").stdout)["letters"]
    assert [(x["id"], x["stage"], x["status"], x["total"]) for x in listed] == [
        ("LTR-1", "reminder", "sent", "3200.00")
    ]
    assert [i["number"] for i in listed[0]["invoices"]] == ["INV-1001", "INV-1002"]
    shown = cli("letter", "show", "LTR-1")
    assert "LTR-1: reminder letter to C1 (GBP)" in shown.stdout
    reprint = cli("letter", "show", "LTR-1", "--format", "txt")
    assert reprint.exit_code == 0, reprint.stderr
    assert "GBP 3,200.00" in reprint.stdout
    assert "differs" not in reprint.stderr
    # the next stage is a new claim
    firm = letter(cli, "--stage", "firm", "--send", "file", "--output", str(target))
    assert firm.exit_code == 0, firm.stderr
    account = json.loads(cli("account", "show", "C1", "--as-of", AS_OF, "-f", "json").stdout)
    assert [(x["id"], x["stage"]) for x in account["letters"]] == [
        ("LTR-1", "reminder"),
        ("LTR-2", "firm"),
    ]


def test_dry_run_sends_and_records_nothing(cli, synced, collectctl_home, tmp_path):
    target = tmp_path / "out"
    result = letter(cli, "--stage", "reminder", "--send", "file", "-o", str(target), "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "would send the reminder letter for INV-1001, INV-1002" in result.stderr
    assert not target.exists()
    assert letters_recorded() == 0


def test_unknown_channel_and_invoice(cli, synced):
    result = letter(cli, "--stage", "reminder", "--send", "pigeon")
    assert result.exit_code == 1
    assert "no letter channel 'pigeon'" in result.stderr
    result = letter(cli, "--stage", "reminder", "--invoice", "NOPE")
    assert result.exit_code == 1
    assert "invoice 'NOPE' is not an open GBP invoice" in result.stderr


def test_check_templates(cli, synced):
    result = cli("letter", "--check-templates")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len([ln for ln in lines if ln.startswith("ok ")]) == 5
    assert "ok   pre-legal.en: built-in:pre-legal.en.md.j2" in lines


def test_check_templates_reports_a_broken_profile_template(cli, synced, collectctl_home):
    folder = collectctl_home / "profiles" / "default" / "templates"
    folder.mkdir()
    (folder / "firm.de.md.j2").write_text("Hallo {{ customer.nmae }}\n", encoding="utf-8")
    result = cli("letter", "--check-templates")
    assert result.exit_code == 3
    assert "FAIL firm.de:" in result.stdout
    assert "nmae" in result.stdout
    assert "ok   reminder.de: built-in:reminder.en.md.j2 (falls back to English)" in result.stdout


def test_a_template_that_is_not_utf8_is_an_error_naming_it_and_its_line(
    cli, synced, collectctl_home
):
    folder = collectctl_home / "profiles" / "default" / "templates"
    folder.mkdir()
    (folder / "reminder.md.j2").write_bytes(b"{{ blocks.address }}\n\nSehr geehrte \xc4nderung\n")
    result = letter(cli, "--stage", "reminder")
    assert result.exit_code == 1
    assert "profile:templates/reminder.md.j2:3: not UTF-8 text (byte 0xc4)" in result.stderr
    assert "internal error" not in result.stderr


def test_send_stdout_prints_and_records(cli, synced):
    result = letter(cli, "--stage", "reminder", "--send", "stdout", "--format", "txt")
    assert result.exit_code == 0, result.stderr
    assert "Payment reminder" in result.stdout
    assert "LTR-1: reminder letter sent by stdout" in result.stderr
    listed = json.loads(cli("letter", "list", "-f", "json").stdout)["letters"]
    assert [(x["channel"], x["status"]) for x in listed] == [("stdout", "sent")]


def test_a_paid_invoice_is_never_demanded_again(cli, synced, books, tmp_path):
    from core_helpers import pay
    from letter_helpers import BOOKS

    books.load([*BOOKS, pay("P9", "C1", "2026-11-29", "3000.00", "I1", currency="GBP")])
    assert cli("sync", "memory", "-q").exit_code == 0
    result = letter(cli, "--stage", "reminder", "--send", "file", "-o", str(tmp_path))
    assert result.exit_code == 0, result.stderr
    shown = json.loads(cli("letter", "show", "LTR-1", "-f", "json").stdout)
    assert [i["number"] for i in shown["invoices"]] == ["INV-1002"]


def test_paid_between_the_decision_and_the_claim_is_dropped_inside_the_claim(
    cli, synced, books, collectctl_home
):
    from datetime import UTC, date, datetime

    from core_helpers import pay
    from letter_helpers import BOOKS

    from collectctl.app import App
    from collectctl.ledger.books import find_customer
    from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
    from collectctl.letters import send
    from collectctl.letters.letter import still_demanded

    app = App()
    ledger = app.ledger()
    customer = find_customer(ledger.conn, "C1")
    request = ClaimRequest(
        customer=("memory", "C1"), currency="GBP", stage="reminder", language="en",
        channel="file", letter_date=date(2026, 11, 30),
        invoices=(ClaimInvoice("I1", "INV-1001", 300000, 90, "reminder"),
                  ClaimInvoice("I2", "INV-1002", 25000, 46, "reminder")),
    )  # fmt: skip
    # the decision was made; now a sync brings in the payment of I1
    books.load([*BOOKS, pay("P9", "C1", "2026-11-29", "3000.00", "I1", currency="GBP")])
    assert cli("sync", "memory", "-q").exit_code == 0
    letter_row = send.claim(
        ledger, request, now=datetime(2026, 11, 30, tzinfo=UTC), message_domain="x",
        recheck=lambda conn, req: still_demanded(conn, customer, date(2026, 11, 30), req, 0),
    )  # fmt: skip
    assert letter_row is not None
    assert [i.invoice_ext for i in letter_row.invoices] == ["I2"]
    app.close()


def test_a_future_letter_date_is_refused_for_a_send(cli, synced, collectctl_home):
    result = cli("letter", "C1", "--as-of", "2099-01-01", "--stage", "reminder", "--send", "file")
    assert result.exit_code == 1
    assert "--as-of 2099-01-01 is in the future" in result.stderr
    assert letters_recorded() == 0


@pytest.mark.parametrize(
    ("account", "config", "message"),
    [
        ("C1", "", "[smtp] host is not set in config.toml"),
        ("C2", '[smtp]\nhost = "127.0.0.1"\n', "Beta LLC has no email address"),
    ],
)
def test_an_email_that_cannot_go_at_all_records_nothing(
    cli, synced, collectctl_home, account, config, message
):
    """No SMTP host, or no address: refused before the claim, so nothing is left `failed`
    for dunning to wait on (a failed letter holds its account back: `letter-pending`)."""
    set_config(collectctl_home, CREDITOR + config)
    result = cli("letter", account, "--as-of", AS_OF, "--stage", "reminder", "--send", "email")
    assert result.exit_code == 1
    assert f"not sent by email: {message}" in result.stderr
    assert "Nothing was recorded" in result.stderr
    assert letters_recorded() == 0

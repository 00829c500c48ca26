"""`letter --send email` against a real SMTP server (aiosmtpd on 127.0.0.1 in a thread): what
arrives, and how refusals, a lost answer after DATA, a refused recipient and STARTTLS are
recorded."""

from __future__ import annotations

import json

import pypdfium2 as pdfium
import pytest
from letter_helpers import AS_OF, CREDITOR, set_config

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def smtp_config(home, port, extra=""):
    set_config(
        home,
        CREDITOR + f'[smtp]\nhost = "127.0.0.1"\nport = {port}\n'
        f'security = "none"\nfrom = "billing@lumen.example"\ntimeout = 2\n{extra}',
    )


def send(cli, stage="final", env=None):
    return cli(
        "letter",
        "C1",
        "--as-of",
        AS_OF,
        "--stage",
        stage,
        "--send",
        "email",
        "--format",
        "pdf",
        env=env,
    )


def record(cli, ref="LTR-1"):
    result = cli("letter", "show", ref, "--format", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_the_mail_arrives_with_text_html_and_the_pdf(
    cli, synced, smtp_server, collectctl_home, tmp_path
):
    inbox, port, start = smtp_server
    start()
    smtp_config(collectctl_home, port, 'bcc = "archive@lumen.example"\n')
    result = send(cli, stage="reminder")
    assert result.exit_code == 0, result.stderr
    ((rcpts, msg),) = inbox.messages
    assert rcpts == ["ap@lodz.example", "archive@lumen.example"]
    assert msg["Subject"] == "Payment reminder: C1/GBP from Studio Lumen Ltd"
    assert msg["From"].addresses[0].display_name == "Studio Lumen Ltd"
    assert msg["From"].addresses[0].addr_spec == "billing@lumen.example"
    assert msg["To"] == "ap@lodz.example"
    assert "Bcc" not in msg
    assert msg["Reply-To"] == "billing@lumen.example"
    assert msg["Auto-Submitted"] == "auto-generated"
    rec = record(cli)
    assert msg["Message-ID"] == rec["message_id"]
    assert rec["status"] == "sent"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "Łódź Trading Sp. z o.o." in text
    assert "GBP 3,200.00" in text
    assert "<td>INV-1001</td>" in html
    (attachment,) = list(msg.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename().endswith("-LTR-1.pdf")
    path = tmp_path / "a.pdf"
    path.write_bytes(attachment.get_content())
    pdf = pdfium.PdfDocument(str(path))
    page_text = pdf[0].get_textpage().get_text_range()
    assert "Łódź Trading Sp. z o.o." in page_text
    assert "INV-1002" in page_text


def test_a_utf8_subject(cli, synced, smtp_server, collectctl_home):
    inbox, port, start = smtp_server
    start()
    smtp_config(collectctl_home, port)
    folder = collectctl_home / "profiles" / "default" / "templates"
    folder.mkdir()
    (folder / "reminder.md.j2").write_text(
        '{% set subject = "Przypomnienie o płatności — " ~ customer.name %}\n'
        "Dzień dobry {{ customer.name }}\n\n{{ blocks.invoices }}\n",
        encoding="utf-8",
    )
    assert send(cli, stage="reminder").exit_code == 0
    ((_, msg),) = inbox.messages
    assert msg["Subject"] == "Przypomnienie o płatności — Łódź Trading Sp. z o.o."


def test_smtp_refusing_is_failed_and_the_retry_reuses_the_message_id(
    cli, synced, smtp_server, collectctl_home
):
    inbox, port, start = smtp_server
    start()
    smtp_config(collectctl_home, port)
    inbox.mail_reply = "451 4.3.0 try again later"
    result = send(cli)
    assert result.exit_code == 1
    assert "LTR-1: sending failed: SMTP mail refused: 451" in result.stderr
    first = record(cli)
    assert (first["status"], first["attempts"]) == ("failed", 1)
    inbox.mail_reply = None
    again = send(cli)
    assert again.exit_code == 0, again.stderr
    second = record(cli)
    assert (second["status"], second["attempts"]) == ("sent", 2)
    ((_, msg),) = inbox.messages
    assert msg["Message-ID"] == first["message_id"]
    assert json.loads(cli("letter", "list", "-f", "json").stdout)["letters"][0]["id"] == "LTR-1"


def test_no_server_at_all_is_failed(cli, synced, smtp_server, collectctl_home):
    _, port, _ = smtp_server  # never started: connection refused
    smtp_config(collectctl_home, port)
    result = send(cli)
    assert result.exit_code == 1
    assert "sending failed" in result.stderr
    assert record(cli)["status"] == "failed"


def test_a_timeout_after_data_is_uncertain_exit_3_and_never_retried(
    cli, synced, smtp_server, collectctl_home
):
    inbox, port, start = smtp_server
    start()
    smtp_config(collectctl_home, port)
    inbox.data_delay = 4  # the client gives up after 2 s
    result = send(cli)
    assert result.exit_code == 3, result.stderr
    assert "uncertain" in result.stderr
    assert record(cli)["status"] == "uncertain"
    inbox.data_delay = 0
    again = send(cli)
    assert again.exit_code == 1
    assert "already sent (LTR-1, uncertain)" in again.stderr


def test_one_recipient_refused_is_recorded_per_recipient(
    cli, synced, smtp_server, books, collectctl_home
):
    from core_helpers import cust
    from letter_helpers import BOOKS

    records = [
        cust(
            "C1",
            "Łódź Trading Sp. z o.o.",
            email="ap@lodz.example, gone@lodz.example",
            address="ul. Piotrkowska 104\n90-001 Łódź",
            currency="GBP",
        ),
        *BOOKS[1:],
    ]
    books.load(records)
    assert cli("sync", "memory", "-q").exit_code == 0
    inbox, port, start = smtp_server
    start()
    smtp_config(collectctl_home, port)
    inbox.refuse_rcpt = {"gone@lodz.example"}
    result = send(cli)
    assert result.exit_code == 0, result.stderr
    assert "refused: gone@lodz.example (550 5.1.1 no such mailbox)" in result.stderr
    ((rcpts, _),) = inbox.messages
    assert rcpts == ["ap@lodz.example"]
    rec = record(cli)
    assert rec["status"] == "sent"
    assert [(r["address"], r["status"]) for r in rec["recipients"]] == [
        ("ap@lodz.example", "accepted"),
        ("gone@lodz.example", "refused"),
    ]


def test_starttls_with_a_test_certificate_and_login(
    cli, synced, smtp_server, collectctl_home, tmp_path
):
    import ssl

    import trustme
    from aiosmtpd.smtp import AuthResult, LoginPassword

    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(server_ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    seen = []

    def authenticator(server, session, envelope, mechanism, data):
        ok = isinstance(data, LoginPassword) and data.password == b"s3cret"
        seen.append((data.login, session.ssl is not None))
        # handled=False: with the default, a refusal is never answered (the client hangs)
        return AuthResult(success=ok, handled=False)

    inbox, port, start = smtp_server
    start(tls_context=server_ctx, require_starttls=True, authenticator=authenticator)
    smtp_config(collectctl_home, port, f'username = "lumen"\ncafile = "{ca_file}"\n')
    text = (collectctl_home / "profiles" / "default" / "config.toml").read_text()
    (collectctl_home / "profiles" / "default" / "config.toml").write_text(
        text.replace('security = "none"', 'security = "starttls"')
    )
    bad = send(cli, env={"COLLECTCTL_SMTP_PASSWORD": "wrong"})
    assert bad.exit_code == 1
    assert "SMTP login refused (535)" in bad.stderr
    assert "wrong" not in bad.stderr
    good = send(cli, env={"COLLECTCTL_SMTP_PASSWORD": "s3cret"})
    assert good.exit_code == 0, good.stderr
    assert seen[-1] == (b"lumen", True)
    assert len(inbox.messages) == 1
    db = collectctl_home / "profiles" / "default" / "ledger.db"
    if db.exists():  # SQLite: nowhere in the file
        assert b"s3cret" not in db.read_bytes()
    else:  # PostgreSQL: nowhere in the send record
        from collectctl.app import App

        app = App()
        rows = app.ledger().conn.execute("SELECT * FROM letters").fetchall()
        app.close()
        assert rows
        assert "s3cret" not in repr(rows)


@pytest.mark.parametrize("security", ["tls"])
def test_implicit_tls_refuses_an_unknown_certificate(
    cli, synced, smtp_server, collectctl_home, security
):
    import ssl

    import trustme

    ca = trustme.CA()
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_ctx)
    inbox, port, start = smtp_server
    start(ssl_context=server_ctx)
    smtp_config(collectctl_home, port)
    text = (collectctl_home / "profiles" / "default" / "config.toml").read_text()
    (collectctl_home / "profiles" / "default" / "config.toml").write_text(
        text.replace('security = "none"', f'security = "{security}"')
    )
    result = send(cli)
    assert result.exit_code == 1
    assert "CERTIFICATE_VERIFY_FAILED" in result.stderr
    assert inbox.messages == []

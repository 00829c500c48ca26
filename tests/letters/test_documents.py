"""The plan agreement and the handover pack are documents of the letters kind: four formats,
the same PDF engine (so `Łódź` prints as `Łódź`), and no creditor name is an error unless
--draft, which marks the document DRAFT."""

from __future__ import annotations

import pypdfium2 as pdfium
from letter_helpers import AS_OF, CREDITOR, set_config

PLAN = [
    "C1",
    "--installments",
    "3",
    "--every",
    "month",
    "--start",
    "2026-12-01",
    "--currency",
    "GBP",
]


def pdf_text(path):
    pdf = pdfium.PdfDocument(str(path))
    return "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))


def make_plan(cli):
    result = cli("plan", "create", *PLAN, "--as-of", AS_OF, "-f", "json")
    assert result.exit_code == 0, result.stderr


def test_plan_agreement_in_four_formats(cli, synced, tmp_path):
    make_plan(cli)
    md = cli("plan", "agreement", "PL-1")
    assert md.exit_code == 0, md.stderr
    assert md.stdout.startswith("# Payment plan agreement PL-1")
    assert "**Debtor:** Łódź Trading Sp. z o.o. (account C1)" in md.stdout
    txt = cli("plan", "agreement", "PL-1", "-f", "txt").stdout
    assert "Payment plan agreement PL-1\n===" in txt
    html = cli("plan", "agreement", "PL-1", "-f", "html").stdout
    assert "<h1>Payment plan agreement PL-1</h1>" in html
    out = tmp_path / "agreement.pdf"
    result = cli("plan", "agreement", "PL-1", "-f", "pdf", "-o", str(out))
    assert result.exit_code == 0, result.stderr
    text = pdf_text(out)
    assert "Łódź Trading Sp. z o.o." in text
    assert "Studio Lumen Ltd" in text
    assert "INV-1001" in text


def test_plan_agreement_without_creditor_name(cli, synced, collectctl_home):
    make_plan(cli)
    set_config(collectctl_home, "")
    result = cli("plan", "agreement", "PL-1")
    assert result.exit_code == 1
    assert "the plan agreement needs the creditor's name: [creditor] name is empty" in (
        result.stderr
    )
    draft = cli("plan", "agreement", "PL-1", "--draft")
    assert draft.exit_code == 0, draft.stderr
    assert draft.stdout.startswith("> **DRAFT**")
    assert "(set [creditor] name" not in draft.stdout


def test_handover_pack_prints_polish_names_and_needs_a_creditor(cli, synced, collectctl_home):
    set_config(collectctl_home, "")
    refused = cli("account", "escalate", "C1", "--to", "agency", "--as-of", AS_OF)
    assert refused.exit_code == 1
    assert "the handover pack needs the creditor's name" in refused.stderr
    assert "[creditor] name" in refused.stderr
    folder = collectctl_home / "profiles" / "default" / "handover"
    assert not folder.exists()  # nothing half-written, no escalation recorded
    assert cli("account", "show", "C1", "--as-of", AS_OF, "-f", "json").exit_code == 0
    draft = cli("account", "escalate", "C1", "--to", "agency", "--as-of", AS_OF, "--draft")
    assert draft.exit_code == 0, draft.stderr
    (pdf,) = folder.glob("*.pdf")
    text = pdf_text(pdf)
    assert "Łódź Trading Sp. z o.o." in text
    assert "DRAFT" in text
    (md,) = folder.glob("*.md")
    assert md.read_text(encoding="utf-8").startswith("> **DRAFT**")


def test_handover_pack_lists_letters_sent(cli, synced, collectctl_home, tmp_path):
    set_config(collectctl_home, CREDITOR)
    sent = cli(
        "letter", "C1", "--as-of", AS_OF, "--stage", "final", "--send", "file", "-o", str(tmp_path)
    )
    assert sent.exit_code == 0, sent.stderr
    assert cli("account", "escalate", "C1", "--to", "legal", "--as-of", AS_OF).exit_code == 0
    (md,) = (collectctl_home / "profiles" / "default" / "handover").glob("*.md")
    section = md.read_text(encoding="utf-8").split("## Letters sent", 1)[1].split("##", 1)[0]
    assert "final letter by file for 3200.00 GBP: sent" in section

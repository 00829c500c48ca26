"""One content model, four formats: customer data never changes a document's structure, the
template sandbox refuses internals and mutation, a runaway template is stopped, the PDF is real
and refuses characters its fonts cannot print, and file names are safe."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from collectctl.errors import CollectctlError
from collectctl.letters.blocks import Heading, Table
from collectctl.letters.content import AccountInvoice, LetterAccount, LetterSettings, build_letter
from collectctl.letters.document import compose, file_stem
from collectctl.letters.render import render
from collectctl.letters.templates import RenderTimeout, TemplateError, render_template

HOSTILE = "Evil | Co **bold** <script>alert(1)</script> {{ 7*7 }} [x](javascript:alert(1))"
HOSTILE_ID = "../../etc/passwd\\CON|*"
CREDITOR = {"name": "Studio Lumen Ltd", "email": "billing@lumen.example"}


def account(name=HOSTILE, number="INV|1 **x** <b>", customer_id=HOSTILE_ID):
    inv = AccountInvoice("I1", number, date(2026, 8, 1), date(2026, 9, 1), 10000, 0, 10000, 90)
    return LetterAccount(
        "csv",
        customer_id,
        name,
        "# Heading?\n- item?\n| a | b |",
        None,
        "business",
        None,
        "USD",
        (inv,),
    )


def composed(acc=None, stage="reminder", profile_dir=None):
    content = build_letter(
        acc or account(), stage, date(2026, 11, 30), LetterSettings(creditor=CREDITOR)
    )
    return compose(content, stage, "en", profile_dir=profile_dir)


def test_hostile_names_stay_text_in_every_format(tmp_path: Path):
    letter = composed()
    doc = letter.document
    # the structure comes from the template and the code only: one invoice table, one h1
    assert [type(b).__name__ for b in doc.blocks].count("Table") == 1
    headings = [b for b in doc.blocks if isinstance(b, Heading)]
    assert ["".join(s.text for s in h.spans) for h in headings] == ["Payment reminder"]
    (table,) = [b for b in doc.blocks if isinstance(b, Table)]
    assert table.rows[0][0] == "INV|1 **x** <b>"
    md = render(doc, "md").decode()
    assert "\\*\\*bold\\*\\*" in md
    assert "Evil \\| Co" in md
    assert "\\<script\\>" in md
    assert "| INV\\|1 \\*\\*x\\*\\* \\<b\\> |" in md
    assert not re.search(r"^#+ Heading", md, re.M)  # the address line never became a heading
    txt = render(doc, "txt").decode()
    assert HOSTILE in txt
    assert "{{ 7*7 }}" in txt  # data is never compiled as a template
    assert "49" not in txt
    page = render(doc, "html").decode()
    assert "<script>" not in page
    assert html.escape(HOSTILE, quote=False) in page
    assert "<td>INV|1 **x** &lt;b&gt;</td>" in page
    pdf_path = tmp_path / "x.pdf"
    pdf_path.write_bytes(render(doc, "pdf"))
    text = pdfium.PdfDocument(str(pdf_path))[0].get_textpage().get_text_range()
    assert "<script>alert(1)</script>" in text
    assert "INV|1 **x** <b>" in text


def test_private_marks_in_data_cannot_forge_structure():
    forged = account(name="\ue001\n# Forged\ue000")
    doc = composed(forged).document
    headings = ["".join(s.text for s in b.spans) for b in doc.blocks if isinstance(b, Heading)]
    assert headings == ["Payment reminder"]


def test_hostile_ids_make_safe_distinct_file_names():
    a = file_stem(date(2026, 12, 1), "reminder", HOSTILE_ID, "LTR-7")
    assert re.fullmatch(r"2026-12-01-reminder-[a-z0-9-]+-[0-9a-f]{8}-LTR-7", a)
    assert "/" not in a
    assert ".." not in a
    assert "\\" not in a
    # case-folding file systems: ids that differ only in case get different names
    assert file_stem(date(2026, 12, 1), "reminder", "acme", None) != file_stem(
        date(2026, 12, 1), "reminder", "ACME", None
    )
    assert "-con--" in file_stem(date(2026, 12, 1), "reminder", "CON", None)


def test_the_file_channel_never_writes_through_a_symlink_or_over_a_file(tmp_path: Path):
    from collectctl.plugins.builtin.channels import write_exclusive

    target = tmp_path / "victim"
    target.write_text("keep")
    link = tmp_path / "out" / "letter.pdf"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(FileExistsError):
        write_exclusive(link, b"x")
    assert target.read_text() == "keep"
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    (tmp_path / "linked").symlink_to(real_dir)
    with pytest.raises(OSError, match="symbolic link"):
        write_exclusive(tmp_path / "linked" / "a.pdf", b"x")
    write_exclusive(real_dir / "a.pdf", b"first")
    with pytest.raises(FileExistsError):
        write_exclusive(real_dir / "a.pdf", b"second")
    assert (real_dir / "a.pdf").read_bytes() == b"first"
    assert [p.name for p in real_dir.iterdir()] == ["a.pdf"]  # no temporary file left


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ cycler.__init__.__globals__ }}",
        "{{ '{0.__class__}'.format(customer) }}",
        "{{ customer.name.__class__ }}",
    ],
)
def test_the_sandbox_refuses_internals(source):
    with pytest.raises(TemplateError, match=r"sandbox|unsafe|undefined"):
        render_template(source, {"customer": {"name": "x"}}, name="t")


def test_the_sandbox_refuses_to_mutate_the_data():
    invoices = [{"number": "A-1"}, {"number": "A-2"}]
    with pytest.raises(TemplateError, match="sandbox"):
        render_template("{{ invoices.pop() }}", {"invoices": invoices}, name="t")
    with pytest.raises(TemplateError, match="sandbox"):
        render_template(
            "{{ customer.update({'name': 'x'}) }}", {"customer": {"name": "a"}}, name="t"
        )
    assert invoices == [{"number": "A-1"}, {"number": "A-2"}]


def test_an_undefined_name_is_an_error_naming_the_template():
    with pytest.raises(TemplateError, match=r"reminder\.en\.md\.j2.*nmae"):
        render_template(
            "{{ customer.nmae }}",
            {"customer": {"name": "a"}},
            name="profile:templates/reminder.en.md.j2",
        )


@pytest.mark.parametrize(
    ("source", "line"),
    [
        ("Dear {{ customer.name }},\n\n{{ custmer.name }}\n", 3),
        ("{% for x in [1] %}\n\n{{ 1 // 0 }}\n{% endfor %}\n", 3),
        ("{% macro m() %}\n{{ nope.x }}\n{% endmacro %}\n\n{{ m() }}\n", 2),
    ],
)
def test_a_rendering_error_names_the_template_line(source, line):
    with pytest.raises(TemplateError) as caught:
        render_template(source, {"customer": {"name": "a"}}, name="profile:templates/x.md.j2")
    assert str(caught.value).startswith(f"profile:templates/x.md.j2:{line}: ")


def test_a_template_that_never_ends_is_stopped():
    source = "{% for a in range(99999) %}{% for b in range(99999) %}{% endfor %}{% endfor %}"
    with pytest.raises(RenderTimeout, match=r"longer than 0\.5 s"):
        render_template(source, {}, name="slow", time_limit=0.5)


def test_a_character_the_font_cannot_print_is_an_error_naming_it():
    from collectctl.letters.pdf import PdfOptions

    doc = composed(account(name="東京商事", customer_id="T1")).document
    with pytest.raises(CollectctlError, match=r"customer T1.*'東'.*U\+6771"):
        render(doc, "pdf", pdf_options=PdfOptions(who="customer T1"))
    # the text formats are fine
    assert "東京商事" in render(doc, "txt").decode()


def test_final_letter_names_the_law_and_itemises_interest(tmp_path: Path):
    from decimal import Decimal

    from collectctl.domain.interest import RateRow, RateTable

    rates = RateTable([RateRow("uk", "2026-H1", Decimal("3.75"), "BoE", date(2026, 1, 5))])
    inv = AccountInvoice("I1", "INV-9", date(2026, 1, 1), date(2026, 1, 31), 200000, 0, 200000, 59)
    acc = LetterAccount(
        "csv", "C9", "Łódź Trading", "ul. Długa 1\nŁódź", None, "business", None, "GBP", (inv,)
    )
    settings = LetterSettings(creditor=CREDITOR, regime="uk", rates=rates)
    content = build_letter(acc, "final", date(2026, 3, 31), settings)
    # 2,000 × 11.75 % ÷ 365 × 59 days = 37.9863 -> 37.99; compensation £70 (1,000 to 9,999.99)
    assert (content.interest, content.compensation) == (3799, 7000)
    doc = compose(content, "final", "en", profile_dir=None).document
    path = tmp_path / "final.pdf"
    path.write_bytes(render(doc, "pdf"))
    pdf = pdfium.PdfDocument(str(path))
    text = "".join(pdf[i].get_textpage().get_text_range() for i in range(len(pdf)))
    assert "Late Payment of Commercial Debts" in text
    assert "GBP 37.99" in text
    assert "GBP 70.00" in text
    assert "GBP 2,107.99" in text  # 2,000 + 37.99 + 70
    assert "Łódź Trading" in text


def test_consumers_get_no_statutory_interest(tmp_path: Path):
    from collectctl.letters.letter import letter_config, prepare

    inv = AccountInvoice("I1", "INV-9", date(2026, 1, 1), date(2026, 1, 31), 200000, 0, 200000, 59)
    acc = LetterAccount("csv", "C9", "Jan Kowalski", None, None, "consumer", None, "GBP", (inv,))
    cfg = letter_config({"creditor": CREDITOR, "letters": {"interest": "uk"}}, None)
    prepared = prepare(acc, "final", date(2026, 3, 31), cfg)
    assert prepared.settings.regime == "none"
    assert prepared.content.interest == 0
    assert "Late Payment" not in render(prepared.composed.document, "txt").decode()

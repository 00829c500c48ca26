"""Batch PDF rendering on worker processes: same bytes as one process, in input order."""

from __future__ import annotations

import pickle
import subprocess
import sys

import pypdfium2 as pdfium
import pytest

from collectctl.errors import CollectctlError
from collectctl.letters.batch import render_pdfs
from collectctl.letters.blocks import Address, Bullets, Document, Heading, Paragraph, Span, Table
from collectctl.letters.pdf import PdfOptions, to_pdf

#: Every test here runs on both ledger backends (see collectctl.testing).
pytestmark = pytest.mark.usefixtures("ledger_backend")


def doc(n: int, name: str = "Łódź") -> Document:
    return Document(
        f"letter {n}",
        (Heading(1, (Span(f"Letter {n}"),)), Paragraph(((Span(f"Dear {name} {n}"),),))),
    )


def test_workers_give_the_same_pdfs_in_order():
    jobs = [(doc(n), PdfOptions(footer=f"f{n}")) for n in range(12)]
    alone = list(render_pdfs(jobs, workers=1))
    spread = list(render_pdfs(jobs, workers=2))
    assert spread == alone  # reportlab's invariant mode: deterministic bytes
    assert len(set(alone)) == 12
    assert all(p.startswith(b"%PDF") for p in alone)


def test_a_font_error_surfaces_from_a_worker():
    with pytest.raises(CollectctlError, match="U\\+6771"):
        list(render_pdfs([(doc(1, "東京"), PdfOptions(who="customer T1"))], workers=2))


def rich_doc(name: str, number: str) -> Document:
    return Document(
        f"letter to {name}",
        (
            Address((name, "1 Long Road", "Łódź")),
            Heading(1, (Span("Overdue invoices"),)),
            Paragraph(((Span("Dear "), Span(name, bold=True)),)),
            Bullets(((Span(f"Invoice {number}"),), (Span("Yours faithfully"),))),
            Table(("Invoice", "Balance"), ("left", "right"), ((number, "EUR 1,234.56"),)),
        ),
    )


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    return "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))


def test_a_letter_renders_the_same_after_many_others_in_one_process():
    # Font subsets, their compressed streams and parsed paragraphs are reused between the
    # letters of a process: a letter rendered after others (other accented letters, the same
    # boilerplate) must come out byte for byte as in a fresh process, with its own text.
    target = (rich_doc("Ærø Fisk ApS", "INV-7"), PdfOptions(footer="f"))
    script = (
        "import sys, pickle; from collectctl.letters.pdf import to_pdf; "
        "sys.stdout.buffer.write(to_pdf(*pickle.loads(sys.stdin.buffer.read())))"
    )
    fresh = subprocess.run(
        [sys.executable, "-c", script], input=pickle.dumps(target), capture_output=True, check=True
    ).stdout
    others = [("Škoda Díly s.r.o.", "INV-1"), ("Müller & Söhne", "INV-2"), ("Łódź Trading", "I3")]
    for name, number in others:
        text = pdf_text(to_pdf(rich_doc(name, number), PdfOptions(footer="f")))
        assert name in text
        assert number in text
        assert "Ærø" not in text
    again = to_pdf(*target)
    assert again == fresh
    text = pdf_text(again)
    assert "Dear Ærø Fisk ApS" in text
    assert "Invoice INV-7" in text
    assert "EUR 1,234.56" in text
    assert "Škoda" not in text
    assert "Müller" not in text

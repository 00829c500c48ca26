"""The dependency-free text PDF of the handover pack (reports.textpdf)."""

from __future__ import annotations

import re


def test_text_pdf_is_well_formed():
    from collectctl.reports import textpdf

    text = "\n".join(f"line {n} (Müller) \\ {'x' * (n % 150)}" for n in range(200))
    pdf = textpdf.render(text, title="T")
    assert pdf.startswith(b"%PDF-1.4")
    assert pdf.rstrip().endswith(b"%%EOF")
    # Every xref offset points at its object.
    xref = int(re.search(rb"startxref\n(\d+)", pdf).group(1))
    assert pdf[xref:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n ", pdf[xref:])
    for number, offset in enumerate(entries, start=1):
        assert pdf[int(offset) :].startswith(b"%d 0 obj" % number)
    lines = textpdf.wrap(text.splitlines())
    assert len(lines) > 200  # long lines were wrapped, not cut
    assert max(map(len, lines)) <= textpdf.CHARS_PER_LINE
    pages = -(-len(lines) // textpdf.LINES_PER_PAGE)
    assert b"/Count %d" % pages in pdf
    assert pages > 1
    assert "(line 7 \\(Müller\\) \\\\ xxxxxxx) Tj".encode("cp1252") in pdf

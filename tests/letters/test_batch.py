"""Batch PDF rendering on worker processes: same bytes as one process, in input order."""

from __future__ import annotations

import pytest

from collectctl.errors import CollectctlError
from collectctl.letters.batch import render_pdfs
from collectctl.letters.blocks import Document, Heading, Paragraph, Span
from collectctl.letters.pdf import PdfOptions


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

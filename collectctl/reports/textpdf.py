"""A minimal PDF writer for plain text: monospaced lines on A4 pages, nothing else.

Enough for documents that are already laid out as text (the escalation handover pack), with no
dependency: one built-in Courier font (no embedding), WinAnsi (cp1252) encoding — characters
outside it print as ``?``, so the markdown file next to the PDF stays the full-fidelity copy —
long lines wrapped, pages broken every :data:`LINES_PER_PAGE` lines, streams uncompressed.
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable
from pathlib import Path

PAGE_WIDTH, PAGE_HEIGHT = 595, 842  # A4 in points
MARGIN = 42
FONT_SIZE = 9
LEADING = 11
#: Courier glyphs are 0.6 em wide.
CHARS_PER_LINE = int((PAGE_WIDTH - 2 * MARGIN) / (FONT_SIZE * 0.6))
LINES_PER_PAGE = int((PAGE_HEIGHT - 2 * MARGIN) / LEADING)


def _escape(line: str) -> bytes:
    raw = line.encode("cp1252", errors="replace")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def wrap(lines: Iterable[str], width: int = CHARS_PER_LINE) -> list[str]:
    """Split every line longer than ``width`` (tabs expanded; leading indent kept)."""
    out: list[str] = []
    for line in lines:
        line = line.expandtabs(4).rstrip()
        if len(line) <= width:
            out.append(line)
            continue
        indent = line[: len(line) - len(line.lstrip())]
        out.extend(
            textwrap.wrap(
                line,
                width,
                subsequent_indent=indent + "  ",
                break_long_words=True,
                drop_whitespace=True,
            )
        )
    return out


def render(text: str, *, title: str = "") -> bytes:
    """The PDF bytes for ``text``."""
    lines = wrap(text.splitlines()) or [""]
    pages = [lines[i : i + LINES_PER_PAGE] for i in range(0, len(lines), LINES_PER_PAGE)]
    objects: list[bytes] = []  # object n is objects[n - 1]
    n_pages = len(pages)
    first_page = 4  # 1 catalog, 2 pages, 3 font, then (page, content) pairs, then info
    kids = " ".join(f"{first_page + 2 * k} 0 R" for k in range(n_pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Courier /Encoding /WinAnsiEncoding >>"
    )
    for k, page in enumerate(pages):
        content_ref = first_page + 2 * k + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {PAGE_WIDTH} {PAGE_HEIGHT}] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {content_ref} 0 R >>".encode()
        )
        top = PAGE_HEIGHT - MARGIN - FONT_SIZE
        body = [f"BT /F1 {FONT_SIZE} Tf {LEADING} TL {MARGIN} {top} Td".encode()]
        for line in page:
            body.append(b"(" + _escape(line) + b") Tj T*")
        body.append(b"ET")
        stream = b"\n".join(body)
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Title (" + _escape(title) + b") /Producer (collectctl) >>")
    info_ref = len(objects)
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        info_ref,
        xref,
    )
    return bytes(out)


def write(path: Path, text: str, *, title: str = "") -> Path:
    """Write ``text`` as a PDF at ``path`` (atomically: a temporary file, then rename)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(render(text, title=title))
    tmp.replace(path)
    return path

"""The content model every document shares: blocks of spans, rendered to md, txt, html and pdf.

A template's output is parsed into blocks here. Every value a template prints goes through
:func:`literal`, which wraps it in private-use marks; structure (``#`` headings, ``-`` items,
``|`` table rows, ``**bold**``, block placeholders) is recognised only *outside* those marks, so
customer data (a name holding ``|``, ``**``, ``<script>`` or ``{{``) can never change a
document's structure: it stays one literal span, and each renderer escapes it for its format.
Code-built blocks (the invoice table, totals, interest working) are inserted where the template
prints a :class:`BlockRef`.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

OPEN, CLOSE = "\ue000", "\ue001"  # around a literal value
REF_OPEN, REF_CLOSE = "\ue002", "\ue003"  # around a block placeholder name
_MARKS = re.compile("[\ue000-\ue003]")
Align = Literal["left", "right"]


@dataclass(frozen=True, slots=True)
class Span:
    """A run of text; ``bold`` from ``**`` in the template (never from data)."""

    text: str
    bold: bool = False


Line = tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    spans: Line


@dataclass(frozen=True, slots=True)
class Paragraph:
    """Lines of spans (a line break between lines, not a new paragraph)."""

    lines: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Bullets:
    items: tuple[Line, ...]


@dataclass(frozen=True, slots=True)
class Table:
    """Header cells, alignments and rows of plain cell text; ``total_rows`` are set in bold."""

    header: tuple[str, ...]
    align: tuple[Align, ...]
    rows: tuple[tuple[str, ...], ...]
    total_rows: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class Address:
    """The recipient address block (placed in the envelope window in the PDF)."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Notice:
    """A boxed line such as DRAFT."""

    text: str


Block = Heading | Paragraph | Bullets | Table | Address | Notice


@dataclass(frozen=True, slots=True)
class Document:
    """A titled list of blocks, the one input of every renderer."""

    title: str
    blocks: tuple[Block, ...]
    language: str = "en"
    draft: bool = False
    meta: Mapping[str, str] = field(default_factory=dict)

    def text(self) -> str:
        """Every character the document will print (for the font coverage check)."""
        parts = [self.title]
        for b in self.blocks:
            parts.extend(_block_texts(b))
        return "\n".join(parts)


def _block_texts(b: Block) -> Iterator[str]:
    if isinstance(b, Heading):
        yield "".join(s.text for s in b.spans)
    elif isinstance(b, Paragraph):
        for line in b.lines:
            yield "".join(s.text for s in line)
    elif isinstance(b, Bullets):
        for item in b.items:
            yield "".join(s.text for s in item)
    elif isinstance(b, Table):
        for row in (b.header, *b.rows, *b.total_rows):
            yield " ".join(row)
    elif isinstance(b, Address):
        yield from b.lines
    else:
        yield b.text


@dataclass(frozen=True, slots=True)
class BlockRef:
    """What a template prints to place a code-built block (``{{ blocks.invoices }}``)."""

    name: str

    def __str__(self) -> str:
        return f"{REF_OPEN}{self.name}{REF_CLOSE}"


def clean(text: str) -> str:
    """Data text with the private marks removed (they can never be forged from data)."""
    return _MARKS.sub("", text)


def literal(value: object) -> str:
    """The finalize of every template print: data becomes one literal span."""
    if isinstance(value, BlockRef):
        return str(value)
    text = "" if value is None else str(value)
    if "\n" in text or "\r" in text:
        text = one_line(text)  # a value never spans lines: it cannot start a heading or a row
    return f"{OPEN}{clean(text)}{CLOSE}"


def one_line(text: str) -> str:
    """Multi-line data for a table cell or a heading: lines joined with ' / '."""
    return " / ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _spans(line: str) -> Line:
    """Spans of one template line: ``**`` toggles bold outside literal marks only."""
    out: list[Span] = []
    buf: list[str] = []
    bold = False
    in_literal = False
    i = 0
    while i < len(line):
        ch = line[i]
        if ch == OPEN:
            in_literal = True
        elif ch == CLOSE:
            in_literal = False
        elif not in_literal and line.startswith("**", i):
            if buf:
                out.append(Span("".join(buf), bold))
                buf = []
            bold = not bold
            i += 2
            continue
        else:
            buf.append(ch)
        i += 1
    if buf:
        out.append(Span("".join(buf), bold))
    return tuple(s for s in out if s.text)


def _structure(line: str) -> str:
    """The line with literal text blanked out (what structure tests look at)."""
    return re.sub(f"{OPEN}[^{CLOSE}]*{CLOSE}", lambda m: "\ufffc" * len(m.group()), line)


def _cells(line: str) -> list[str]:
    shape = _structure(line).strip()
    raw = line.strip()
    cuts = [k for k, ch in enumerate(shape) if ch == "|"]
    cells = [raw[a + 1 : b] for a, b in itertools.pairwise(cuts)]
    return [clean(c).strip() for c in cells]


_SEPARATOR = re.compile(r"^\|(\s*:?-+:?\s*\|)+$")


def parse(text: str, refs: Mapping[str, Sequence[Block]]) -> list[Block]:
    """Template output -> blocks. ``refs`` maps placeholder names to code-built blocks."""
    blocks: list[Block] = []
    para: list[Line] = []
    bullets: list[Line] = []
    table: list[str] = []

    def flush() -> None:
        if para:
            blocks.append(Paragraph(tuple(para)))
            para.clear()
        if bullets:
            blocks.append(Bullets(tuple(bullets)))
            bullets.clear()
        if table:
            blocks.append(_table(table))
            table.clear()

    for line in text.splitlines():
        shape = _structure(line).strip()
        ref = re.fullmatch(f"{REF_OPEN}([a-z_]+){REF_CLOSE}", line.strip())
        if ref:
            flush()
            blocks.extend(refs.get(ref.group(1), ()))
            continue
        if not shape:
            flush()
            continue
        heading = re.match(r"^(#{1,3}) ", shape)
        if heading:
            flush()
            level = len(heading.group(1))
            blocks.append(Heading(level, _spans(line.strip()[level + 1 :])))
        elif shape.startswith("|") and shape.endswith("|"):
            if para or bullets:
                flush()
            table.append(line)
        elif shape.startswith("- "):
            if para or table:
                flush()
            bullets.append(_spans(line.strip()[2:]))
        else:
            if bullets or table:
                flush()
            para.append(_spans(line.strip()))
    flush()
    return blocks


def _table(lines: list[str]) -> Table:
    rows = [ln for ln in lines if not _SEPARATOR.match(_structure(ln).strip())]
    seps = [ln for ln in lines if _SEPARATOR.match(_structure(ln).strip())]
    header = _cells(rows[0]) if rows else []
    align: list[Align] = ["left"] * len(header)
    if seps:
        marks = [c.strip() for c in seps[0].strip().strip("|").split("|")]
        align = ["right" if m.endswith(":") else "left" for m in marks][: len(header)]
        align += ["left"] * (len(header) - len(align))
    body = [tuple(_pad(_cells(r), len(header))) for r in rows[1:]]
    return Table(tuple(header), tuple(align), tuple(body))


def _pad(cells: list[str], n: int) -> list[str]:
    return (cells + [""] * n)[:n]

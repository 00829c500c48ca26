"""Rendering a :class:`~collectctl.letters.blocks.Document` to markdown, plain text and HTML.

Each renderer escapes every span for its format, so data never becomes markup: markdown
backslash-escapes its punctuation (and ``|`` in cells), HTML escapes ``<>&"'``. PDF is in
:mod:`collectctl.letters.pdf`. ``render(doc, fmt)`` returns bytes (UTF-8 for the text formats).
"""

from __future__ import annotations

import html
import re
import unicodedata

from collectctl.letters.blocks import (
    Address,
    Block,
    Bullets,
    Document,
    Heading,
    Line,
    Notice,
    Paragraph,
    Table,
)

FORMATS: tuple[str, ...] = ("md", "txt", "html", "pdf")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&#])")
_MD_LINE_START = re.compile(r"^(\s*)([-+](?=\s|$)|\d{1,9}[.)](?=\s|$)|>|=(?==*\s*$))")


def md_escape(text: str, *, at_start: bool = True) -> str:
    """Markdown-escape literal text: inline syntax anywhere, block syntax (``-``, ``+``, ``>``,
    ``1.``) where the text could start a line."""
    out = _MD_SPECIAL.sub(r"\\\1", text)
    if at_start:
        out = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), out)
    return out


def _md_line(line: Line) -> str:
    parts = []
    for k, s in enumerate(line):
        text = md_escape(s.text, at_start=k == 0)
        parts.append(f"**{text}**" if s.bold else text)
    return "".join(parts)


def to_markdown(doc: Document) -> str:
    """The document as CommonMark/GFM markdown."""
    out: list[str] = []
    if doc.draft:
        out += ["> **DRAFT** — not for sending", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            out += ["#" * b.level + " " + _md_line(b.spans), ""]
        elif isinstance(b, Paragraph):
            out += ["  \n".join(_md_line(ln) for ln in b.lines), ""]
        elif isinstance(b, Bullets):
            out += [f"- {_md_line(i)}" for i in b.items] + [""]
        elif isinstance(b, Table):
            out += [*_md_table(b), ""]
        elif isinstance(b, Address):
            out += ["  \n".join(md_escape(x) for x in b.lines), ""]
        elif isinstance(b, Notice):
            out += [f"> **{md_escape(b.text)}**", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _md_table(t: Table) -> list[str]:
    def row(cells: tuple[str, ...], bold: bool = False) -> str:
        parts = [md_escape(c) for c in cells]
        if bold:
            parts = [f"**{p}**" if p else p for p in parts]
        return "| " + " | ".join(parts) + " |"

    sep = "|" + "|".join("---:" if a == "right" else "---" for a in t.align) + "|"
    return [row(t.header), sep, *(row(r) for r in t.rows), *(row(r, True) for r in t.total_rows)]


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _plain(line: Line) -> str:
    return "".join(s.text for s in line)


def to_text(doc: Document) -> str:
    """The document as plain text: tables aligned in columns, headings underlined."""
    out: list[str] = []
    if doc.draft:
        out += ["*** DRAFT — not for sending ***", ""]
    for b in doc.blocks:
        if isinstance(b, Heading):
            text = _plain(b.spans)
            out += [text, ("=" if b.level == 1 else "-") * max(3, _width(text)), ""]
        elif isinstance(b, Paragraph):
            out += [_plain(ln) for ln in b.lines] + [""]
        elif isinstance(b, Bullets):
            out += [f"  - {_plain(i)}" for i in b.items] + [""]
        elif isinstance(b, Table):
            out += [*_text_table(b), ""]
        elif isinstance(b, Address):
            out += [*list(b.lines), ""]
        elif isinstance(b, Notice):
            out += [f"*** {b.text} ***", ""]
    return "\n".join(out).rstrip("\n") + "\n"


def _text_table(t: Table) -> list[str]:
    rows = [t.header, *t.rows, *t.total_rows]
    widths = [max(_width(r[k]) for r in rows) for k in range(len(t.header))]

    def fmt(r: tuple[str, ...]) -> str:
        cells = []
        for cell, w, a in zip(r, widths, t.align, strict=True):
            pad = " " * (w - _width(cell))
            cells.append(pad + cell if a == "right" else cell + pad)
        return "  ".join(cells).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [fmt(r) for r in t.rows]
    totals = [fmt(r) for r in t.total_rows]
    return [fmt(t.header), rule, *body, *([rule, *totals] if totals else [])]


def _html_line(line: Line) -> str:
    return "".join(
        f"<strong>{html.escape(s.text)}</strong>" if s.bold else html.escape(s.text) for s in line
    )


_CSS = (
    "body{font-family:'DejaVu Sans',Arial,sans-serif;max-width:44em;margin:2em auto;"
    "line-height:1.4;color:#111}table{border-collapse:collapse;margin:1em 0}"
    "th,td{padding:.25em .6em;border-bottom:1px solid #ccc;text-align:left}"
    ".r{text-align:right}.total td{font-weight:bold;border-top:2px solid #333}"
    ".notice{border:2px solid #b00;color:#b00;padding:.4em;font-weight:bold}"
    ".address{margin:1em 0}"
)


def to_html(doc: Document) -> str:
    """A complete, self-contained HTML document (no scripts, no external resources)."""
    body: list[str] = []
    if doc.draft:
        body.append('<p class="notice">DRAFT — not for sending</p>')
    for b in doc.blocks:
        body.append(_html_block(b))
    lang = html.escape(doc.language, quote=True)
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{html.escape(doc.title)}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def _html_block(b: Block) -> str:
    if isinstance(b, Heading):
        return f"<h{b.level}>{_html_line(b.spans)}</h{b.level}>"
    if isinstance(b, Paragraph):
        return "<p>" + "<br>\n".join(_html_line(ln) for ln in b.lines) + "</p>"
    if isinstance(b, Bullets):
        return "<ul>\n" + "\n".join(f"<li>{_html_line(i)}</li>" for i in b.items) + "\n</ul>"
    if isinstance(b, Table):

        def cells(tag: str, row: tuple[str, ...]) -> str:
            right = ' class="r"'
            return "".join(
                f"<{tag}{right if a == 'right' else ''}>{html.escape(c)}</{tag}>"
                for c, a in zip(row, b.align, strict=True)
            )

        rows = [f"<tr>{cells('td', r)}</tr>" for r in b.rows]
        rows += [f'<tr class="total">{cells("td", r)}</tr>' for r in b.total_rows]
        return (
            f"<table>\n<thead><tr>{cells('th', b.header)}</tr></thead>\n<tbody>\n"
            + "\n".join(rows)
            + "\n</tbody>\n</table>"
        )
    if isinstance(b, Address):
        return '<p class="address">' + "<br>\n".join(html.escape(x) for x in b.lines) + "</p>"
    return f'<p class="notice">{html.escape(b.text)}</p>'


def render(doc: Document, fmt: str, *, pdf_options: object = None) -> bytes:
    """``doc`` in ``fmt`` (md, txt, html or pdf) as bytes."""
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt == "txt":
        return to_text(doc).encode("utf-8")
    if fmt == "html":
        return to_html(doc).encode("utf-8")
    if fmt == "pdf":
        from collectctl.letters.pdf import PdfOptions, to_pdf

        options = pdf_options if isinstance(pdf_options, PdfOptions) else PdfOptions()
        return to_pdf(doc, options)
    raise ValueError(f"unknown document format {fmt!r}")

"""PDF rendering with reportlab and the bundled DejaVu Sans (regular and bold; licence in
``collectctl/fonts/LICENSE``). A4 or Letter; on the first page the recipient's address sits where
a window envelope shows it (DIN 5008 form B on A4, a #10 window on Letter).

Before anything is drawn, every character is checked against the fonts' character maps: reportlab
would print a missing glyph as a blank, so a character no font covers is an error that names the
character and the document (``[letters] font`` adds a font for other scripts). Fonts are registered
once per process; output is deterministic (``invariant``), so the same letter gives the same bytes.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from collectctl.errors import CollectctlError
from collectctl.letters.blocks import (
    Address,
    Bullets,
    Document,
    Heading,
    Line,
    Notice,
    Paragraph,
    Table,
)

REGULAR, BOLD, EXTRA = "DejaVuSans", "DejaVuSans-Bold", "CollectctlExtra"
_fonts: dict[str, Any] = {}


@dataclass(frozen=True, slots=True)
class PdfOptions:
    """``paper`` is ``A4`` or ``Letter``; ``extra_font`` a TTF path for characters DejaVu lacks;
    ``sender`` the one-line return address printed above the window; ``footer`` left footer text."""

    paper: str = "A4"
    extra_font: str | None = None
    sender: str = ""
    footer: str = ""
    who: str = ""  # names the customer in a coverage error


def _register(extra: str | None) -> dict[str, Any]:
    from reportlab.pdfbase import pdfmetrics

    if REGULAR not in _fonts:
        folder = files("collectctl.fonts")
        for name, file in ((REGULAR, "DejaVuSans.ttf"), (BOLD, "DejaVuSans-Bold.ttf")):
            font = _load_font(name, str(folder / file))
            pdfmetrics.registerFont(font)
            _fonts[name] = font
        pdfmetrics.registerFontFamily(REGULAR, normal=REGULAR, bold=BOLD)
    if extra and _fonts.get("extra_path") != extra:
        path = Path(extra).expanduser()
        try:
            font = _load_font(EXTRA, str(path))
        except Exception as exc:  # reportlab raises its own TTFError and OSError
            raise CollectctlError(
                f"[letters] font {str(path)!r} cannot be used: {exc}",
                hint="Give the path of a TrueType (.ttf) font file.",
            ) from None
        pdfmetrics.registerFont(font)
        _fonts[EXTRA] = font
        _fonts["extra_path"] = extra
    return _fonts


_SUBSET_MEMO = 64  # distinct font subsets (and their compressed streams) kept per process


class _MemoFlate:
    """reportlab's FlateDecode filter, remembering its last results: the embedded font subsets
    and their ToUnicode maps repeat from letter to letter (the ASCII part of a subset is fixed,
    only the few accented letters vary), and compressing them was a quarter of a letter's CPU.
    The bytes are exactly those ``zlib.compress`` gives, so the PDF does not change."""

    pdfname = "FlateDecode"

    def __init__(self) -> None:
        self._memo: dict[bytes, bytes] = {}

    def encode(self, data: bytes | str) -> bytes:
        import zlib

        raw = data.encode("utf8") if isinstance(data, str) else data
        packed = self._memo.get(raw)
        if packed is None:
            if len(self._memo) >= _SUBSET_MEMO:
                del self._memo[next(iter(self._memo))]
            packed = self._memo[raw] = zlib.compress(raw)
        return packed

    def decode(self, encoded: bytes) -> bytes:
        import zlib

        return zlib.decompress(encoded)


_FLATE = _MemoFlate()


def _load_font(name: str, path: str) -> Any:
    """A reportlab TTFont (the file parsed once per process) whose subsets are built and
    compressed once per distinct set of characters instead of once per document."""
    from reportlab.pdfbase import pdfdoc
    from reportlab.pdfbase.ttfonts import TTFont

    class Formatted(pdfdoc.PDFObject):
        """A PDF value formatted once (a subset's Widths array: 128 numbers)."""

        def __init__(self, data: bytes) -> None:
            self.data = data

        def format(self, document: Any) -> bytes:
            return self.data

    widths: dict[tuple[float, ...], Any] = {}

    class MemoTTFont(TTFont):
        def addObjects(self, doc: Any) -> None:  # noqa: N802 - reportlab's name
            super().addObjects(doc)
            for key, obj in doc.idToObject.items():
                if key.startswith(("fontFile:", "toUnicodeCMap:")) and getattr(
                    obj, "filters", None
                ) == [pdfdoc.PDFZCompress]:
                    obj.filters = [_FLATE]
            mine = f"Font {self.fontName} subset "
            for obj in doc.idToObject["BasicFonts"].dict.values():
                if str(getattr(obj, "__Comment__", "")).startswith(mine):
                    key = tuple(obj.Widths.sequence)
                    if key not in widths:
                        if len(widths) >= _SUBSET_MEMO:
                            del widths[next(iter(widths))]
                        widths[key] = Formatted(obj.Widths.format(doc))
                    obj.Widths = widths[key]

    font = MemoTTFont(name, path)
    make_subset = font.face.makeSubset
    subsets: dict[tuple[int, ...], bytes] = {}

    def memo_subset(subset: list[int]) -> bytes:
        key = tuple(subset)
        data = subsets.get(key)
        if data is None:
            if len(subsets) >= _SUBSET_MEMO:
                del subsets[next(iter(subsets))]
            data = subsets[key] = make_subset(subset)
        return data

    font.face.makeSubset = memo_subset
    return font


def preload() -> None:
    """Import reportlab and parse the bundled fonts now (before forking workers, so each worker
    inherits them instead of parsing the fonts again)."""
    import reportlab.platypus  # noqa: F401 - the import is the point

    _register(None)
    _styles()


def check_coverage(text: str, who: str, extra: str | None = None) -> None:
    """Refuse (naming the character and ``who``) any character the fonts cannot print."""
    fonts = _register(extra)
    regular = fonts[REGULAR].face.charToGlyph
    bold = fonts[BOLD].face.charToGlyph
    more = fonts[EXTRA].face.charToGlyph if extra and EXTRA in fonts else {}
    for ch in dict.fromkeys(text):  # in order of appearance
        if ch in "\n\r\t" or unicodedata.category(ch) in ("Zl", "Zp"):
            continue
        code = ord(ch)
        if (code in regular and code in bold) or code in more:
            continue
        name = unicodedata.name(ch, "unnamed character")
        raise CollectctlError(
            f"{who}: the PDF font cannot print {ch!r} (U+{code:04X} {name})",
            hint="Set [letters] font to a .ttf file that covers it (e.g. a Noto font), or use "
            "--format txt/html.",
        )


def _markup(line: Line, extra: bool) -> str:
    out = []
    for s in line:
        text = _fallback(s.text, extra)
        out.append(f"<b>{text}</b>" if s.bold else text)
    return "".join(out)


def _fallback(text: str, extra: bool) -> str:
    if not extra:
        return escape(text)
    covered = _fonts[REGULAR].face.charToGlyph
    out = []
    for ch in text:
        if ord(ch) in covered or ch.isspace():
            out.append(escape(ch))
        else:
            out.append(f'<font name="{EXTRA}">{escape(ch)}</font>')
    return "".join(out)


_STYLES: list[Any] = []
_PARSED: dict[tuple[str, int, str | None], tuple[Any, list[Any], Any]] = {}
_PARSED_MEMO = 512  # paragraphs whose parsed markup is kept (headings, greetings, boilerplate)


def _styles() -> tuple[Any, Any, dict[int, Any]]:
    """The paragraph styles (body, table cell, headings by level), made once per process."""
    if not _STYLES:
        from reportlab.lib.styles import ParagraphStyle

        body = ParagraphStyle("body", fontName=REGULAR, fontSize=10, leading=13.5, spaceAfter=6)
        cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5, spaceAfter=0)
        heads = {
            1: ParagraphStyle(
                "h1", parent=body, fontName=BOLD, fontSize=14, leading=18, spaceAfter=8
            ),
            2: ParagraphStyle(
                "h2",
                parent=body,
                fontName=BOLD,
                fontSize=11.5,
                leading=15,
                spaceBefore=6,
                spaceAfter=4,
            ),
            3: ParagraphStyle("h3", parent=body, fontName=BOLD, fontSize=10, leading=13),
        }
        _STYLES.append((body, cell, heads))
    styles: tuple[Any, Any, dict[int, Any]] = _STYLES[0]
    return styles


def _paragraph(text: str, style: Any, bulletText: str | None = None) -> Any:  # noqa: N803
    """``reportlab.platypus.Paragraph(text, style, bulletText)``, but a markup text seen before
    with the same (process-wide) style is not parsed again: its parsed fragments are copied.
    Most of a letter's headings and sentences recur from letter to letter."""
    from reportlab.platypus import Paragraph as RLParagraph

    key = (text, id(style), bulletText)
    hit = _PARSED.get(key)
    if hit is None:
        para = RLParagraph(text, style, bulletText=bulletText)
        if any(style is s for s in (*_styles()[:2], *_styles()[2].values())):
            if len(_PARSED) >= _PARSED_MEMO:
                del _PARSED[next(iter(_PARSED))]
            _PARSED[key] = (para.text, [f.clone() for f in para.frags], para.bulletText)
        return para
    cleaned, frags, bullet = hit
    return RLParagraph(cleaned, style, bulletText=bullet, frags=[f.clone() for f in frags])


def to_pdf(doc: Document, options: PdfOptions) -> bytes:
    """Render ``doc`` as a PDF (bytes)."""
    check_coverage(
        doc.text() + options.sender + options.footer, options.who or doc.title, options.extra_font
    )
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.lib.units import inch, mm
    from reportlab.platypus import (
        BaseDocTemplate,
        Frame,
        NextPageTemplate,
        PageTemplate,
        Spacer,
    )

    extra = bool(options.extra_font)
    letter = options.paper.lower() == "letter"
    size = LETTER if letter else A4
    width, height = size
    margin = 0.875 * inch if letter else 20 * mm
    # Address window: #10 envelope (Letter) or DIN 5008 form B (A4): left, top, width, height.
    window = (
        (0.875 * inch, 2.0 * inch, 4.0 * inch, 1.125 * inch)
        if letter
        else (20 * mm, 45 * mm, 85 * mm, 45 * mm)
    )
    body, cell, heads = _styles()
    RLParagraph = _paragraph  # noqa: N806 - reportlab's Paragraph, its markup parsed once
    address = next((b for b in doc.blocks if isinstance(b, Address)), None)

    def first_page(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        left, top, w, _h = window
        y = height - top
        if options.sender:
            canvas.setFont(REGULAR, 6.5)
            canvas.drawString(left, y - 8, options.sender[:110])
            y -= 14
        if address is not None:
            p = RLParagraph("<br/>".join(_fallback(x, extra) for x in address.lines), body)
            _pw, ph = p.wrap(w, window[3])
            p.drawOn(canvas, left, y - ph - 2)
        later_pages(canvas, _doc)
        canvas.restoreState()

    def later_pages(canvas: Any, _doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 7)
        canvas.drawString(margin, 12 * mm, options.footer[:120])
        canvas.drawRightString(width - margin, 12 * mm, f"{canvas.getPageNumber()}")
        if doc.draft:
            canvas.setFont(BOLD, 40)
            canvas.setFillColor(colors.Color(0.8, 0.1, 0.1, alpha=0.25))
            canvas.translate(width / 2, height / 2)
            canvas.rotate(45)
            canvas.drawCentredString(0, 0, "DRAFT")
        canvas.restoreState()

    below_window = window[1] + window[3] + 8 * mm
    frame_w = width - 2 * margin
    first = Frame(margin, 20 * mm, frame_w, height - below_window - 20 * mm, id="first")
    rest = Frame(margin, 20 * mm, frame_w, height - margin - 20 * mm, id="rest")
    out = io.BytesIO()
    template = BaseDocTemplate(
        out,
        pagesize=size,
        title=doc.title,
        author="collectctl",
        invariant=1,
        leftMargin=margin,
        rightMargin=margin,
    )
    template.addPageTemplates(
        [
            PageTemplate(id="first", frames=[first], onPage=first_page),
            PageTemplate(id="rest", frames=[rest], onPage=later_pages),
        ]
    )
    story: list[Any] = [NextPageTemplate("rest")]
    if doc.draft:
        story.append(RLParagraph("<b>DRAFT — not for sending</b>", heads[2]))
    for b in doc.blocks:
        if isinstance(b, Heading):
            story.append(RLParagraph(_markup(b.spans, extra), heads.get(b.level, heads[3])))
        elif isinstance(b, Paragraph):
            story.append(RLParagraph("<br/>".join(_markup(ln, extra) for ln in b.lines), body))
        elif isinstance(b, Bullets):
            for item in b.items:
                story.append(RLParagraph(_markup(item, extra), body, bulletText="•"))
        elif isinstance(b, Notice):
            story.append(RLParagraph(f"<b>{_fallback(b.text, extra)}</b>", heads[2]))
        elif isinstance(b, Table):
            story.append(_table(b, cell, frame_w, extra))
            story.append(Spacer(1, 6))
        elif isinstance(b, Address):
            continue  # drawn in the window on page 1
    story.append(Spacer(1, 1))
    template.build(story)
    return out.getvalue()


def _table(b: Table, cell: Any, width: float, extra: bool) -> Any:
    """A reportlab table. Cells are plain strings (fast) sized to fit the frame; only when the
    table cannot fit even at 6 pt, or an extra font is needed, are they wrapping Paragraphs."""
    from reportlab.lib import colors
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import Paragraph as RLParagraph
    from reportlab.platypus import Table as RLTable
    from reportlab.platypus import TableStyle

    pad = 3.0
    rows = (b.header, *b.rows, *b.total_rows)
    unit = [max(stringWidth(r[k], BOLD, 1) for r in rows) for k in range(len(b.header))]
    room = width - (2 * pad + 1) * len(unit) - 1
    size = max(6.0, min(cell.fontSize, room / max(sum(unit), 1e-6)))
    widths = [u * size + 2 * pad + 1 for u in unit]
    wrap = extra or sum(widths) > width
    if sum(widths) > width:  # only at the minimum size: let the widest text column wrap
        widest = max(range(len(unit)), key=lambda k: widths[k])
        widths[widest] -= sum(widths) - width
    first_total = len(b.rows) + 1
    style: list[Any] = [
        ("FONT", (0, 0), (-1, -1), REGULAR, size, size * 1.25),
        ("FONT", (0, 0), (-1, 0), BOLD, size, size * 1.25),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
    ]
    for k, a in enumerate(b.align):
        if a == "right":
            style.append(("ALIGN", (k, 0), (k, -1), "RIGHT"))
    if b.total_rows:
        style.append(("FONT", (0, first_total), (-1, -1), BOLD, size, size * 1.25))
        style.append(("LINEABOVE", (0, first_total), (-1, first_total), 0.8, colors.black))
    data: list[list[Any]] = [list(r) for r in rows]
    if wrap:
        left = ParagraphStyle("cellfit", parent=cell, fontSize=size, leading=size * 1.25)
        right = ParagraphStyle("cellfitr", parent=left, alignment=2)

        def para(text: str, a: str, bold: bool) -> Any:
            markup = _fallback(text, extra)
            return RLParagraph(
                f"<b>{markup}</b>" if bold else markup, right if a == "right" else left
            )

        data = [
            [para(c, a, n == 0 or n >= first_total) for c, a in zip(r, b.align, strict=True)]
            for n, r in enumerate(rows)
        ]
    table = RLTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(style))
    return table

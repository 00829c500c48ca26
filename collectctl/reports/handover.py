"""The escalation handover pack: one document (``templates/handover.md.j2`` rendered in the
letters sandbox), written as markdown and as a PDF on the letters' PDF engine (reportlab, the
bundled DejaVu fonts), so ``Łódź`` prints as ``Łódź``.

``write_pack`` writes ``<dir>/<customer>-<ESC-n>-<date>.md`` and ``.pdf``. The pack goes to an
agency or a lawyer, so it needs ``[creditor] name``; ``draft=True`` allows an empty one and marks
the pack DRAFT.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def document(
    doc: Mapping[str, Any],
    ref: str,
    target: str,
    creditor: Mapping[str, Any],
    *,
    draft: bool = False,
) -> Any:
    """The handover pack as a :class:`~collectctl.letters.blocks.Document`."""
    from importlib.resources import files

    from collectctl.letters.blocks import Document, one_line, parse
    from collectctl.letters.templates import render_template

    source = (files("collectctl") / "templates" / "handover.md.j2").read_text(encoding="utf-8")
    note = next((e["note"] for e in doc["escalations"] if e["id"] == ref), None)
    body, _ = render_template(
        source,
        {"doc": doc, "ref": ref, "target": target, "creditor": dict(creditor or {}), "note": note},
        name="built-in:handover.md.j2",
    )
    title = f"Handover pack {ref}: {one_line(str(doc['customer']['name']))}"
    return Document(title=title, blocks=tuple(parse(body, {})), draft=draft)


def render_markdown(
    doc: Mapping[str, Any], ref: str, target: str, creditor: Mapping[str, Any]
) -> str:
    """The handover pack as markdown."""
    from collectctl.letters.render import to_markdown

    return to_markdown(document(doc, ref, target, creditor))


def write_pack(
    directory: Path,
    doc: Mapping[str, Any],
    ref: str,
    target: str,
    creditor: Mapping[str, Any],
    *,
    draft: bool = False,
    paper: str = "A4",
) -> tuple[Path, Path]:
    """Write the markdown and PDF handover pack; returns their paths."""
    from collectctl.letters.document import require_creditor
    from collectctl.letters.pdf import PdfOptions, to_pdf
    from collectctl.letters.render import to_markdown

    require_creditor(creditor, draft=draft, what="the handover pack")
    pack = document(doc, ref, target, creditor, draft=draft)
    stem = f"{_UNSAFE.sub('_', doc['customer']['id'])}-{ref}-{doc['as_of']}"
    pdf_bytes = to_pdf(
        pack, PdfOptions(paper=paper, footer=pack.title, who=f"customer {doc['customer']['id']}")
    )
    md = directory / f"{stem}.md"
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        from collectctl.errors import CollectctlError

        raise CollectctlError(
            f"cannot write the handover pack under {directory}: {exc.strerror or exc}",
            hint="Make that directory writable (or remove a file in its way) and escalate again.",
        ) from None
    pdf = directory / f"{stem}.pdf"
    try:
        for path, data in ((md, to_markdown(pack).encode("utf-8")), (pdf, pdf_bytes)):
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
    except OSError as exc:
        from collectctl.errors import CollectctlError

        raise CollectctlError(
            f"cannot write the handover pack under {directory}: {exc.strerror or exc}",
            hint="Make that directory writable (or remove a file in its way) and escalate again.",
        ) from None
    return md, pdf

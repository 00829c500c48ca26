"""The escalation handover pack: markdown (jinja2 template) and a PDF of the same text.

``write_pack`` renders ``templates/handover.md.j2`` from an ``account show`` document and writes
``<dir>/<customer>-<ESC-n>-<date>.md`` and ``.pdf``. The PDF is the markdown laid out as plain
text (tables aligned) by :mod:`collectctl.reports.textpdf`, so no PDF library is needed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _cell(value: Any) -> str:
    """A value safe inside a markdown table cell (one line, pipes escaped)."""
    text = "" if value is None else str(value)
    return " / ".join(part.strip() for part in text.splitlines() if part.strip()).replace(
        "|", "\\|"
    )


def render_markdown(
    doc: Mapping[str, Any], ref: str, target: str, creditor: Mapping[str, Any]
) -> str:
    """The handover pack as markdown."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("collectctl", "templates"),
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["cell"] = _cell
    template = env.get_template("handover.md.j2")
    note = next((e["note"] for e in doc["escalations"] if e["id"] == ref), None)
    text = template.render(
        doc=doc, ref=ref, target=target, creditor=dict(creditor or {}), note=note
    )
    return re.sub(r"\n{3,}", "\n\n", text)


def plain_text(markdown: str) -> str:
    """Markdown tables laid out as aligned columns (separator rows dropped), for the PDF."""
    out: list[str] = []
    block: list[list[str]] = []

    def flush() -> None:
        if not block:
            return
        widths = [max(len(row[k]) for row in block if k < len(row)) for k in range(len(block[0]))]
        for row in block:
            out.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)).rstrip())
        block.clear()

    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line)[1:-1]]
            if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue
            block.append(cells)
            continue
        flush()
        out.append(line.replace("**", ""))
    flush()
    return "\n".join(out) + "\n"


def write_pack(
    directory: Path,
    doc: Mapping[str, Any],
    ref: str,
    target: str,
    creditor: Mapping[str, Any],
) -> tuple[Path, Path]:
    """Write the markdown and PDF handover pack; returns their paths.

    An unwritable directory raises CollectctlError (exit 1) naming it.
    """
    try:
        return _write(directory, doc, ref, target, creditor)
    except OSError as exc:
        from collectctl.errors import CollectctlError

        raise CollectctlError(
            f"cannot write the handover pack under {directory}: {exc.strerror or exc}",
            hint="Make that directory writable (or remove a file in its way) and escalate again.",
        ) from None


def _write(
    directory: Path,
    doc: Mapping[str, Any],
    ref: str,
    target: str,
    creditor: Mapping[str, Any],
) -> tuple[Path, Path]:
    from collectctl.reports import textpdf

    directory.mkdir(parents=True, exist_ok=True)
    stem = f"{_UNSAFE.sub('_', doc['customer']['id'])}-{ref}-{doc['as_of']}"
    markdown = render_markdown(doc, ref, target, creditor)
    md = directory / f"{stem}.md"
    tmp = md.with_name(f".{md.name}.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(md)
    pdf = textpdf.write(
        directory / f"{stem}.pdf",
        plain_text(markdown),
        title=f"Handover pack {ref}: {doc['customer']['name']}",
    )
    return md, pdf

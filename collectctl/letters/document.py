"""Composing a letter document: content (code) + template (text) → one :class:`Document`, then
every format. Also the creditor-name guard every customer-facing document shares."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from collectctl.errors import ConfigError
from collectctl.letters.blocks import Document, one_line, parse
from collectctl.letters.content import LetterContent
from collectctl.letters.templates import (
    TIME_LIMIT,
    TemplatePack,
    find_template,
    read_template,
    render_template,
)


def require_creditor(creditor: Mapping[str, object], *, draft: bool, what: str) -> None:
    """A document for a debtor or an agency needs ``[creditor] name`` (``--draft`` allows it)."""
    if draft or str(creditor.get("name") or "").strip():
        return
    raise ConfigError(
        f"{what} needs the creditor's name: [creditor] name is empty in config.toml",
        hint='Set it (e.g. [creditor] name = "Your Company Ltd") with the address, email and '
        "payment_details to print, or pass --draft for a copy marked DRAFT.",
    )


@dataclass(frozen=True, slots=True)
class ComposedLetter:
    document: Document
    subject: str
    template: str
    language: str
    fallback: bool  # the template is in another language than asked for


def compose(
    content: LetterContent,
    stage: str,
    language: str,
    *,
    profile_dir: Path | None,
    packs: Sequence[TemplatePack] = (),
    draft: bool = False,
    time_limit: float = TIME_LIMIT,
) -> ComposedLetter:
    """Render the stage's template with the content's context into a :class:`Document`."""
    found = find_template(stage, language, profile_dir=profile_dir, packs=packs)
    source = read_template(found.path, found.name)
    body, subject = render_template(
        source, {**content.context, "draft": draft}, name=found.name, time_limit=time_limit
    )
    blocks = parse(body, content.refs)
    name = content.context["customer"]["name"]
    title = f"{stage} — {one_line(name)} — {content.context['letter']['date']}"
    subject_text = one_line(subject or f"{stage}: {content.context['letter']['reference']}")
    doc = Document(title=title, blocks=tuple(blocks), language=found.language, draft=draft)
    return ComposedLetter(doc, subject_text, found.name, found.language, found.language != language)


_UNSAFE = re.compile(r"[^a-z0-9]+")
_RESERVED = {
    "con",
    "prn",
    "aux",
    "nul",
    *(f"com{i}" for i in range(10)),
    *(f"lpt{i}" for i in range(10)),
}


def slug(text: str, limit: int = 40) -> str:
    """A file-name-safe, case-folded ASCII slug of ``text`` (never empty, never reserved)."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    out = _UNSAFE.sub("-", folded).strip("-")[:limit].strip("-") or "x"
    return f"{out}-" if out in _RESERVED else out


def file_stem(day: date, stage: str, customer_id: str, ref: str | None) -> str:
    """``2026-12-01-reminder-<slug>-<hash>-LTR-7``: the slug for people, a short hash of the raw
    id so two ids that fold to the same slug never share a name."""
    digest = hashlib.sha256(customer_id.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    tail = f"-{ref}" if ref else ""
    return f"{day.isoformat()}-{slug(stage)}-{slug(customer_id)}-{digest}{tail}"

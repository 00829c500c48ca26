"""``letter --check-templates``: render every stage × language with sample data, in every
format, so a broken or missing template is found before a letter is due."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from collectctl.errors import CollectctlError
from collectctl.letters.content import AccountInvoice, LetterAccount

SAMPLE_DAY = date(2026, 3, 31)


def sample_account(language: str) -> LetterAccount:
    """A made-up business account with an overdue, a disputed and a part-paid invoice."""
    inv = (
        AccountInvoice(
            "S-1",
            "INV-1001",
            date(2026, 1, 2),
            date(2026, 2, 1),
            120000,
            20000,
            100000,
            58,
            allocations=((date(2026, 2, 15), 20000),),
        ),
        AccountInvoice(
            "S-2",
            "INV-1002",
            date(2026, 1, 20),
            date(2026, 2, 19),
            45050,
            0,
            45050,
            40,
            disputed="DSP-1",
        ),
    )
    return LetterAccount(
        "sample",
        "SAMPLE",
        "Żółć & Søn Ltd",
        "1 Sample Street\nŁódź",
        "ap@example.com",
        "business",
        language,
        "EUR",
        inv,
        unapplied=-5000,
    )


def languages(config: Mapping[str, Any], profile_dir: Path) -> list[str]:
    """Every language a template exists for (profile, packs, built-in) plus the profile's."""
    from collectctl.plugins.manager import template_packs

    found = {"en", str(dict(config.get("letters") or {}).get("language") or "en")}
    folder = profile_dir / "templates"
    if folder.is_dir():
        for path in folder.glob("*.*.md.j2"):
            found.add(path.name.split(".")[1])
    for pack in template_packs().values():
        found.update(pack.languages)
    return sorted(found)


def check_all(config: Mapping[str, Any], profile_dir: Path, *, echo: Callable[[str], None]) -> int:
    """Render everything; print one line per stage × language; return the number of problems."""
    from collectctl.letters.letter import letter_config, prepare, render_formats
    from collectctl.letters.templates import STAGES
    from collectctl.plugins.manager import template_packs

    problems = 0
    sample_config = {
        **config,
        "creditor": {
            **dict(config.get("creditor") or {}),
            "name": (dict(config.get("creditor") or {}).get("name") or "Sample Creditor Ltd"),
        },
        "letters": {
            **dict(config.get("letters") or {}),
            "interest": "contract",
            "contract_rate": "8",
        },
    }
    cfg = letter_config(sample_config, profile_dir)
    packs = list(template_packs().values())
    for lang in languages(config, profile_dir):
        for stage in STAGES:
            try:
                prepared = prepare(
                    sample_account(lang), stage, SAMPLE_DAY, cfg, language=lang, packs=packs
                )
                render_formats(prepared, ["md", "txt", "html", "pdf"], cfg)
            except CollectctlError as exc:
                problems += 1
                echo(f"FAIL {stage}.{lang}: {exc.message}")
                continue
            note = " (falls back to English)" if prepared.composed.fallback else ""
            echo(f"ok   {stage}.{lang}: {prepared.composed.template}{note}")
    return problems

"""One letter for one account, end to end: settings → account → content → document → formats,
and the manual send (``letter --send``): claim (re-checked) → render → channel → record.

This is assembly (like the reports): it reads the ledger through loaders, calls domain rules and
the renderers, and never parses options. ``dunning run`` uses :mod:`collectctl.letters.send`
directly with its own decisions and can reuse :func:`prepare` and :func:`render_formats`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from collectctl.errors import CollectctlError, ConfigError
from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
from collectctl.letters.channel import RenderedLetter
from collectctl.letters.content import LetterAccount, LetterContent, LetterSettings, build_letter
from collectctl.letters.document import ComposedLetter, compose, file_stem, require_creditor
from collectctl.letters.templates import TIME_LIMIT, TemplatePack


@dataclass(frozen=True, slots=True)
class LetterConfig:
    """``[creditor]`` and ``[letters]`` of a profile, checked."""

    creditor: Mapping[str, str]
    language: str
    interest: str
    contract_rate: Decimal | None
    paper: str
    font: str | None
    time_limit: float
    profile_dir: Path | None


def letter_config(config: Mapping[str, Any], profile_dir: Path | None) -> LetterConfig:
    """Read and check the letter settings (ConfigError naming the key on a bad value)."""
    letters = dict(config.get("letters") or {})
    creditor = {k: str(v or "") for k, v in dict(config.get("creditor") or {}).items()}
    interest = str(letters.get("interest") or "none")
    from collectctl.domain.interest import REGIMES

    if interest not in REGIMES:
        raise ConfigError(f"[letters] interest = {interest!r} is not one of {', '.join(REGIMES)}")
    rate: Decimal | None = None
    if letters.get("contract_rate") not in (None, ""):
        try:
            rate = Decimal(str(letters["contract_rate"]))
        except InvalidOperation:
            raise ConfigError(
                f"[letters] contract_rate = {letters['contract_rate']!r} is not a number",
                hint='Write the annual percentage as a string, e.g. contract_rate = "8.0".',
            ) from None
    paper = str(letters.get("paper") or "A4")
    if paper.lower() not in ("a4", "letter"):
        raise ConfigError(f'[letters] paper = {paper!r}: use "A4" or "Letter"')
    try:
        limit = float(letters.get("render_time_limit") or TIME_LIMIT)
    except (TypeError, ValueError):
        raise ConfigError("[letters] render_time_limit must be a number of seconds") from None
    return LetterConfig(
        creditor=creditor,
        language=str(letters.get("language") or "en"),
        interest=interest,
        contract_rate=rate,
        paper=paper,
        font=str(letters["font"]) if letters.get("font") else None,
        time_limit=limit,
        profile_dir=profile_dir,
    )


@dataclass(frozen=True, slots=True)
class Prepared:
    account: LetterAccount
    stage: str
    as_of: date
    language: str
    content: LetterContent
    composed: ComposedLetter
    settings: LetterSettings


def prepare(
    account: LetterAccount,
    stage: str,
    as_of: date,
    cfg: LetterConfig,
    *,
    language: str | None = None,
    only: Sequence[str] = (),
    draft: bool = False,
    packs: Sequence[TemplatePack] = (),
    ref: str | None = None,
) -> Prepared:
    """Build and compose the letter (no I/O but reading templates and rates)."""
    from collectctl.domain.interest import choose_regime

    require_creditor(cfg.creditor, draft=draft, what="a letter")
    regime = choose_regime(
        cfg.interest, account.interest_regime, kind=account.kind, contract_rate=cfg.contract_rate
    )
    rates = None
    if regime in ("uk", "eu") and stage in ("final", "pre-legal"):
        from collectctl.letters.rates import load_rates

        rates = load_rates(cfg.profile_dir)
    settings = LetterSettings(
        creditor=cfg.creditor, regime=regime, contract_rate=cfg.contract_rate, rates=rates
    )
    content = build_letter(account, stage, as_of, settings, only=only, ref=ref)
    if not content.demanded:
        raise CollectctlError(
            f"{account.name} ({account.customer_id}) has nothing to demand in "
            f"{account.currency} at the {stage} stage as of {as_of}",
            hint="Overdue invoices that are not disputed or on a plan are demanded; "
            "`collectctl account show` lists them.",
        )
    lang = language or account.language or cfg.language or "en"
    composed = compose(
        content,
        stage,
        lang,
        profile_dir=cfg.profile_dir,
        packs=packs,
        draft=draft,
        time_limit=cfg.time_limit,
    )
    return Prepared(account, stage, as_of, lang, content, composed, settings)


def render_formats(
    prepared: Prepared, formats: Sequence[str], cfg: LetterConfig
) -> dict[str, bytes]:
    """The document in each of ``formats``."""
    from collectctl.letters.pdf import PdfOptions
    from collectctl.letters.render import render

    creditor = cfg.creditor
    sender = " · ".join(
        x
        for x in (creditor.get("name", ""), " ".join((creditor.get("address") or "").split()))
        if x
    )
    options = PdfOptions(
        paper=cfg.paper,
        extra_font=cfg.font,
        sender=sender,
        footer=prepared.composed.subject,
        who=f"customer {prepared.account.customer_id}",
    )
    return {f: render(prepared.composed.document, f, pdf_options=options) for f in formats}


def rendered(
    prepared: Prepared,
    fmt: str,
    documents: Mapping[str, bytes],
    *,
    ref: str | None,
    message_id: str | None,
) -> RenderedLetter:
    """The channel's view of the letter."""
    acc = prepared.account
    return RenderedLetter(
        ref=ref,
        kind="letter",
        stage=prepared.stage,
        language=prepared.composed.language,
        letter_date=prepared.as_of,
        customer_id=acc.customer_id,
        customer_name=acc.name,
        subject=prepared.composed.subject,
        format=fmt,
        documents=dict(documents),
        message_id=message_id,
        to=tuple(x.strip() for x in (acc.email or "").split(",") if x.strip()),
        creditor_name=prepared.settings.creditor.get("name", ""),
        creditor_email=prepared.settings.creditor.get("email") or None,
        file_stem=file_stem(prepared.as_of, prepared.stage, acc.customer_id, ref),
    )


def claim_request(
    prepared: Prepared,
    channel: str,
    fmt: str,
    history: Mapping[tuple[str, str], Sequence[Any]],
    *,
    repeat: bool,
    created_by: str | None = None,
) -> ClaimRequest:
    """The claim for a manual send: each demanded invoice at the letter's stage; seq 1, or the
    next repeat with ``repeat``. Refuses when a stage was already sent and ``repeat`` is off."""
    acc, stage = prepared.account, prepared.stage
    invoices = []
    for inv in prepared.content.demanded:
        steps = [s for s in history.get((acc.source, inv.invoice_id), ()) if s.stage == stage]
        if steps and not repeat:
            raise CollectctlError(
                f"the {stage} letter for invoice {inv.number} was already sent "
                f"(LTR-{steps[-1].letter}, {steps[-1].status})",
                hint="`collectctl letter show` re-prints it; --repeat sends the stage again.",
            )
        seq = max((s.seq for s in steps), default=0) + 1
        invoices.append(ClaimInvoice(inv.invoice_id, inv.number, inv.balance, inv.days, stage, seq))
    c = prepared.content
    return ClaimRequest(
        customer=(acc.source, acc.customer_id),
        currency=acc.currency,
        stage=stage,
        language=prepared.composed.language,
        channel=channel,
        letter_date=prepared.as_of,
        invoices=tuple(invoices),
        run=None,
        format=fmt,
        template=prepared.composed.template,
        total=c.total + c.interest + c.compensation,
        interest=c.interest,
        compensation=c.compensation,
        figures=c.figures,
        created_by=created_by,
    )


def still_demanded(
    conn: sqlite3.Connection,
    customer: Mapping[str, Any],
    as_of: date,
    request: ClaimRequest,
    grace_days: int,
) -> ClaimRequest | None:
    """The re-check inside the claim: drop invoices paid, disputed or put on a plan since."""
    from collectctl.letters.accounts import letter_accounts

    account = letter_accounts(conn, customer, as_of, grace_days=grace_days).get(request.currency)
    if account is None:
        return None
    live = {
        i.invoice_id for i in account.invoices if i.balance > 0 and not i.disputed and not i.plan
    }
    keep = tuple(i for i in request.invoices if i.invoice_ext in live)
    return replace(request, invoices=keep) if keep else None


def message_domain(creditor: Mapping[str, str], smtp: Mapping[str, Any]) -> str:
    """The right-hand side of Message-IDs: the sender's mail domain, else ``collectctl.local``."""
    for addr in (smtp.get("from"), creditor.get("email")):
        if addr and "@" in str(addr):
            return str(addr).rsplit("@", 1)[1].strip(" >")
    return "collectctl.local"


def utc_now() -> datetime:
    from collectctl.letters.send import utc_now as now

    return now()

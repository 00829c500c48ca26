"""What ``collectctl letter`` does for one account: write it, or send it with a record.

The send is the shared pipeline of :mod:`collectctl.letters.send`: a short claim transaction that
re-checks the invoices, rendering and the channel call with no lock held, then the outcome
recorded. A dry run renders but claims, writes and sends nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from collectctl.errors import CollectctlError, NotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App
    from collectctl.letters.letter import LetterConfig, Prepared


@dataclass(frozen=True, slots=True)
class Outcome:
    ref: str | None
    status: str  # sent|failed|uncertain|dry-run
    message: str


def _grace(app: App) -> int:
    return int(dict(app.config.get("promises") or {}).get("grace_days", 0) or 0)


def _packs() -> list[Any]:
    from collectctl.plugins.manager import template_packs

    return list(template_packs().values())


def load(
    app: App,
    account_ref: str,
    stage: str,
    *,
    currency: str | None,
    invoices: Sequence[str],
    as_of: date | None,
    language: str | None,
    draft: bool,
    ref: str | None = None,
) -> tuple[Any, Prepared, LetterConfig]:
    """Find the customer, build its letter account and prepare the letter."""
    from collectctl.ledger.books import find_customer
    from collectctl.letters.accounts import letter_accounts, pick_currency
    from collectctl.letters.letter import letter_config, prepare

    cfg = letter_config(app.config, app.config_dir)
    conn = app.ledger().conn
    customer = find_customer(conn, account_ref)
    day = as_of or app.today()
    accounts = letter_accounts(conn, customer, day, grace_days=_grace(app))
    who = f"{customer['name']} ({customer['id']})"
    cur = pick_currency(accounts, currency, who)
    acc = accounts[cur]
    known = {i.invoice_id for i in acc.invoices}
    for inv in invoices:
        if inv not in known:
            raise NotFoundError(
                f"invoice {inv!r} is not an open {cur} invoice of {who}",
                hint="`collectctl account show` lists the open invoices.",
            )
    prepared = prepare(
        acc, stage, day, cfg, language=language, only=invoices, draft=draft, packs=_packs(), ref=ref
    )
    return customer, prepared, cfg


def write_letter(
    app: App,
    account_ref: str,
    stage: str,
    *,
    currency: str | None,
    invoices: Sequence[str],
    as_of: date | None,
    language: str | None,
    fmt: str,
    draft: bool,
) -> bytes:
    """The letter in ``fmt``; records nothing."""
    from collectctl.letters.letter import render_formats

    _, prepared, cfg = load(
        app,
        account_ref,
        stage,
        currency=currency,
        invoices=invoices,
        as_of=as_of,
        language=language,
        draft=draft,
    )
    _warn(prepared)
    return render_formats(prepared, [fmt], cfg)[fmt]


def _warn(prepared: Prepared) -> None:
    import sys

    if prepared.composed.fallback:
        sys.stderr.write(
            f"Warning: no {prepared.language!r} template for {prepared.stage}; "
            f"used {prepared.composed.template}\n"
        )
    for w in prepared.content.warnings:
        sys.stderr.write(f"Warning: {w}\n")


def send_letter(
    app: App,
    account_ref: str,
    stage: str,
    *,
    channel: str,
    currency: str | None,
    invoices: Sequence[str],
    as_of: date | None,
    language: str | None,
    fmt: str,
    output: str | None,
    dry_run: bool,
    repeat: bool,
    draft: bool,
    echo: Callable[[str], None],
    force: bool = False,
) -> Outcome:
    """Claim, render, send and record one letter (``dry_run``: render only).

    A consumer account's letter obeys the same consumer guards as ``dunning run`` (checked
    before the claim and again inside it) unless ``force``.
    """
    from collectctl.ledger import letters as record
    from collectctl.letters import send
    from collectctl.letters.channel import ChannelContext
    from collectctl.letters.letter import (
        claim_request,
        message_domain,
        render_formats,
        rendered,
        still_demanded,
    )
    from collectctl.plugins.manager import channels

    if draft:
        raise CollectctlError(
            "a DRAFT letter cannot be sent",
            hint="Drop --draft and set [creditor] name in config.toml.",
        )
    if as_of is not None and (as_of - app.today()).days > 1:
        raise CollectctlError(
            f"--as-of {as_of} is in the future: a letter is sent with today's date",
            hint="Drop --as-of to send today (render a future-dated copy without --send).",
        )
    known = channels()
    if channel not in known:
        raise NotFoundError(
            f"no letter channel {channel!r}",
            hint=f"Channels: {', '.join(sorted(known))} (`collectctl plugins`).",
        )
    chan = known[channel]
    customer, prepared, cfg = load(
        app,
        account_ref,
        stage,
        currency=currency,
        invoices=invoices,
        as_of=as_of,
        language=language,
        draft=False,
    )
    _warn(prepared)
    ledger = app.ledger()
    history = record.ladder_history(ledger.conn)
    guarded = not force and _consumer_guarded(app, prepared)
    if guarded:
        refusals = consumer_refusals(app, prepared, channel, history)
        if refusals:
            raise CollectctlError(
                f"not sent: {prepared.account.name} ({prepared.account.customer_id}) is a "
                f"consumer account and the consumer guards refuse this letter: "
                + "; ".join(refusals),
                hint="Nothing was recorded. Add --force to send it anyway (your responsibility; "
                'see docs/dunning.md, "Consumer guards").',
            )
    source = prepared.account.source
    retry = sorted(
        {
            s.letter
            for inv in prepared.content.demanded
            for s in history.get((source, inv.invoice_id), ())
            if s.stage == stage and s.status in ("failed", "claimed")
        }
    )
    formats = sorted({fmt, *chan.needs})

    def recheck(conn: Any, req: Any) -> Any:
        if guarded and _ceased_or_disputed(conn, customer, prepared, app.today()):
            return None
        return still_demanded(conn, customer, prepared.as_of, req, _grace(app))

    ctx = ChannelContext(
        settings=chan.settings_in(app.config),
        environ=dict(app.env),
        profile_dir=app.profile_dir,
        output=output,
        echo=echo,
    )
    if chan.check is not None:  # a send that cannot go at all records nothing
        problem = chan.check(rendered(prepared, fmt, {}, ref=None, message_id=None), ctx)
        if problem:
            raise CollectctlError(
                f"not sent by {channel}: {problem}",
                hint="Nothing was recorded; fix it and run the same command again.",
            )
    if retry and not repeat:
        old = record.get_letter(ledger.conn, retry[0])
        if dry_run:
            return Outcome(
                old.ref, "dry-run", f"would retry {old.ref} ({old.status}) by {old.channel}"
            )
        if old.channel != channel:
            raise CollectctlError(
                f"{old.ref} ({old.status}) was to go by {old.channel}",
                hint=f"Retry it with --send {old.channel}.",
            )
        letter = send.recheck_claimed(
            ledger, old, recheck, now=send.utc_now(), request=_as_request(old)
        )
        if letter is None:
            raise CollectctlError(f"{old.ref} cancelled: its invoices are no longer demanded")
    else:
        request = claim_request(
            prepared, channel, fmt, history, repeat=repeat, created_by=app.acting_user()
        )
        if dry_run:
            render_formats(prepared, formats, cfg)  # catches template and font errors
            names = ", ".join(i.number for i in request.invoices)
            return Outcome(
                None,
                "dry-run",
                f"would send the {stage} letter for {names} "
                f"({prepared.composed.subject}) by {channel}",
            )
        smtp = dict(app.config.get("smtp") or {})
        letter = send.claim(
            ledger,
            request,
            now=send.utc_now(),
            message_domain=message_domain(cfg.creditor, smtp),
            recheck=recheck,
        )
    if letter is None:
        raise CollectctlError(
            f"nothing was sent: the {stage} letter's invoices were paid, disputed, put on a "
            "plan or claimed by another letter meanwhile",
            hint="`collectctl letter list` shows what was sent.",
        )
    claimed = [i.invoice_ext for i in letter.invoices]
    _, prepared, cfg = load(
        app,
        account_ref,
        stage,
        currency=prepared.account.currency,
        invoices=claimed,
        as_of=prepared.as_of,
        language=language,
        draft=False,
        ref=letter.ref,
    )
    try:
        documents = render_formats(prepared, formats, cfg)
    except BaseException:
        with ledger.write() as conn:
            record.cancel(
                conn, letter.id, at=send.utc_iso(send.utc_now()), reason="rendering failed"
            )
        raise
    result = send.deliver(
        ledger,
        letter,
        rendered(prepared, fmt, documents, ref=letter.ref, message_id=letter.message_id),
        chan,
        ctx,
    )
    refused = [r for r in result.recipients if not r.accepted]
    extra = (
        ("; refused: " + ", ".join(f"{r.address} ({r.error})" for r in refused)) if refused else ""
    )
    if result.status == "sent":
        where = f" to {result.path}" if result.path and result.path != "-" else ""
        return Outcome(letter.ref, "sent", f"{stage} letter sent by {channel}{where}{extra}")
    if result.status == "uncertain":
        return Outcome(
            letter.ref,
            "uncertain",
            f"the outcome is unknown ({result.error}); recorded as uncertain and "
            "never retried automatically: check with the recipient or the mail "
            f"server before sending again{extra}",
        )
    return Outcome(letter.ref, "failed", f"sending failed: {result.error}{extra}")


def _consumer_guarded(app: App, prepared: Prepared) -> bool:
    """True when the consumer guards apply to this letter's account."""
    from collectctl.dunning_settings import read_settings

    if prepared.account.kind != "consumer":
        return False
    return read_settings(app.config, app.config_file).consumer_guards


def consumer_refusals(
    app: App, prepared: Prepared, channel: str, history: Mapping[Any, Sequence[Any]]
) -> list[str]:
    """Why the consumer guards refuse to send ``prepared`` by ``channel`` now (empty: they
    do not); the rules are :func:`collectctl.domain.consumer.manual_send_refusals`."""
    from collectctl.domain import consumer
    from collectctl.domain.dunning_guards import hours_refusal
    from collectctl.dunning_settings import read_settings
    from collectctl.ledger import consumer_records
    from collectctl.ledger.dunning import consumer_last_payments
    from collectctl.ledger.letters import override_for
    from collectctl.letters import send
    from collectctl.letters.templates import TemplateError, find_template, threatens_legal_action

    settings = read_settings(app.config, app.config_file)
    conn = app.ledger().conn
    acc, day = prepared.account, prepared.as_of
    ref = (acc.source, acc.customer_id)
    demanded = prepared.content.demanded
    paid = consumer_last_payments(conn, day) if settings.limitation_years else {}
    due = {i.invoice_id: i.due_date for i in acc.invoices}
    barred = [
        inv.number
        for inv in demanded
        if inv.invoice_id in due
        and consumer.time_barred(
            due[inv.invoice_id], paid.get((acc.source, inv.invoice_id)), day,
            settings.limitation_years or None,
        )
    ]  # fmt: skip
    threatens = prepared.stage == "pre-legal"
    if barred and not threatens:
        try:
            found = find_template(
                prepared.composed.template, prepared.language, profile_dir=app.config_dir,
                packs=_packs(),
            )  # fmt: skip
            threatens = threatens_legal_action(found.path)
        except TemplateError:
            threatens = False
    timezone = override_for(conn, ref).timezone or _customer_timezone(conn, ref)
    # A letter dated in the past still goes out now: what is in force on either day counts.
    days = {day, app.today()}
    facts = consumer.ManualSend(
        channel=channel,
        ceased=any(ref in consumer_records.ceased(conn, d) for d in days),
        opted_out=frozenset().union(
            *(consumer_records.optouts(conn, d).get(ref, frozenset()) for d in days)
        ),
        disputed=any(i.disputed for i in acc.invoices),
        sends={
            inv.number: [s.letter_date for s in history.get((acc.source, inv.invoice_id), ())]
            for inv in demanded
        },
        time_barred=barred,
        threatens_legal_action=threatens,
        hours=hours_refusal(send.utc_now(), timezone, settings.consumer_timezones),
    )
    return consumer.manual_send_refusals(facts, day, settings.consumer_sends_per_week)


def _customer_timezone(conn: Any, ref: tuple[str, str]) -> str | None:
    row = conn.execute(
        "SELECT timezone FROM customers WHERE source = ? AND ext_id = ?", ref
    ).fetchone()
    return row[0] if row and row[0] else None


def _ceased_or_disputed(
    conn: Any, customer: Mapping[str, Any], prepared: Prepared, today: date
) -> bool:
    """Inside the claim: a cease or a dispute recorded since the check refuses the letter."""
    from collectctl.domain.accounts import account_state
    from collectctl.ledger import consumer_records
    from collectctl.ledger.accounts import load_account

    day = prepared.as_of
    ref = (customer["source"], customer["id"])
    if any(ref in consumer_records.ceased(conn, d) for d in {day, today}):
        return True
    return bool(account_state(load_account(conn, customer["key"], day), day).disputes_open)


def _as_request(letter: Any) -> Any:
    """A claimed letter described as the request that claimed it (for the re-check)."""
    from collectctl.ledger.letters import ClaimInvoice, ClaimRequest

    return ClaimRequest(
        customer=letter.customer,
        currency=letter.currency,
        stage=letter.stage,
        language=letter.language,
        channel=letter.channel,
        letter_date=letter.letter_date,
        invoices=tuple(
            ClaimInvoice(i.invoice_ext, i.number, i.balance, i.days, i.stage, i.seq)
            for i in letter.invoices
        ),
        run=letter.run,
    )

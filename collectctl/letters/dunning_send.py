"""The sending half of ``dunning run``: retries, then each letter decided (claim → re-check →
render → channel → record), and the dry run's preview.

Every letter goes through :mod:`collectctl.letters.send` — the one send record. The consumer
contact window is checked right before claiming and again right before the channel call, at the
moment of sending, never at decision time (a run that crosses 21:00 stops sending to that zone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from collectctl.domain import dunning as rules
from collectctl.errors import CollectctlError
from collectctl.letters.dunning_outcomes import Outcome, RunOptions, RunReport

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App
    from collectctl.dunning_settings import DunningSettings
    from collectctl.ledger.letters import ClaimRequest, LetterRow
    from collectctl.letters.channel import ChannelContext
    from collectctl.letters.letter import LetterConfig, Prepared


def _grace(app: App) -> int:
    return int(dict(app.config.get("promises") or {}).get("grace_days", 0) or 0)


def _format(channel: str) -> str:
    return "pdf" if channel == "file" else "txt"


def _customer(app: App, source: str, customer_id: str) -> Mapping[str, Any]:
    from collectctl.ledger.books import find_customer

    return find_customer(app.ledger().conn, f"{source}:{customer_id}")


def _prepare(
    app: App,
    customer: Mapping[str, Any],
    currency: str,
    category: str,
    template: str | None,
    as_of: date,
    cfg: LetterConfig,
    only: Sequence[str],
    ref: str | None = None,
) -> Prepared:
    """The letter for ``only`` of the account's invoices, with the policy's template."""
    from collectctl.letters.accounts import letter_accounts
    from collectctl.letters.document import compose
    from collectctl.letters.letter import prepare
    from collectctl.plugins.manager import template_packs

    conn = app.ledger().conn
    account = letter_accounts(conn, customer, as_of, grace_days=_grace(app)).get(currency)
    if account is None:
        raise CollectctlError(f"{customer['name']} owes nothing in {currency} any more")
    packs = list(template_packs().values())
    prepared = prepare(account, category, as_of, cfg, only=only, packs=packs, ref=ref)
    if template and template != category:
        composed = compose(
            prepared.content,
            template,
            prepared.language,
            profile_dir=cfg.profile_dir,
            packs=packs,
            time_limit=cfg.time_limit,
        )
        prepared = replace(prepared, composed=composed)
    return prepared


def preview(
    app: App,
    decisions: Sequence[rules.Decision],
    as_of: date,
    cfg: LetterConfig,
    directory: Path | None,
) -> list[Outcome]:
    """The dry run's outcomes; with ``directory``, the would-be letters rendered into it."""
    from collectctl.letters.document import file_stem
    from collectctl.letters.letter import render_formats

    outcomes = []
    if directory is not None:
        directory.mkdir(parents=True, exist_ok=True)
    for decision in decisions:
        if not decision.sends:
            outcomes.append(Outcome(decision, "skipped", message=decision.detail))
            continue
        message = f"would send by {decision.channel}"
        if directory is not None:
            customer = _customer(app, decision.source, decision.customer_id)
            prepared = _prepare(
                app, customer, decision.currency, decision.category or "", decision.template,
                as_of, cfg, [line.invoice_id for line in decision.lines],
            )  # fmt: skip
            fmt = _format(decision.channel or "")
            body = render_formats(prepared, [fmt], cfg)[fmt]
            stem = file_stem(as_of, decision.stage or "", decision.customer_id, None)
            path = directory / f"{stem}-{decision.currency}.{fmt}"
            path.write_bytes(body)
            message += f"; preview {path}"
        outcomes.append(Outcome(decision, "would-send", message=message))
    return outcomes


class _Sender:
    """Claims, renders and delivers the letters of one run."""

    def __init__(
        self,
        app: App,
        as_of: date,
        run: str,
        settings: DunningSettings,
        cfg: LetterConfig,
        clock: Callable[[], datetime],
    ) -> None:
        from collectctl.letters.letter import message_domain
        from collectctl.plugins.manager import channels

        self.app, self.as_of, self.run, self.settings, self.cfg = app, as_of, run, settings, cfg
        self.clock = clock
        self.channels = channels()
        self.domain = message_domain(cfg.creditor, dict(app.config.get("smtp") or {}))

    def hours(self, kind: str, timezone: str | None) -> str | None:
        from collectctl.domain.dunning_guards import hours_refusal

        if kind != "consumer" or not self.settings.consumer_guards:
            return None
        return hours_refusal(self.clock(), timezone, self.settings.consumer_timezones)

    def recheck(self, customer: Mapping[str, Any], kind: str, refused: list[str]) -> Any:
        """Re-read the account inside the claim transaction: drop what was paid, disputed or put
        on a plan since the decision; refuse when the account is now held, escalated, promised,
        or (consumer) ceased or disputed."""
        from collectctl.domain.accounts import account_state
        from collectctl.ledger import consumer_records
        from collectctl.ledger.accounts import load_account
        from collectctl.letters.letter import still_demanded

        def check(conn: Any, request: ClaimRequest) -> ClaimRequest | None:
            state = account_state(
                load_account(conn, customer["key"], self.as_of), self.as_of,
                grace_days=_grace(self.app),
            )  # fmt: skip
            ref = (customer["source"], customer["id"])
            if state.skip_reasons:
                refused.append("; ".join(state.skip_reasons))
                return None
            if kind == "consumer" and self.settings.consumer_guards:
                if ref in consumer_records.ceased(conn, self.as_of):
                    refused.append("cease communication recorded")
                    return None
                if state.disputes_open:
                    refused.append("an open dispute stops the whole consumer account")
                    return None
            checked = still_demanded(conn, customer, self.as_of, request, _grace(self.app))
            if checked is None:
                refused.append("paid, disputed or put on a plan since the decision")
            return checked

        return check

    def deliver(
        self, decision: rules.Decision, letter: LetterRow, customer: Mapping[str, Any]
    ) -> Outcome:
        """Render the claimed letter and hand it to its channel (no lock held)."""
        from collectctl.ledger import letters as record
        from collectctl.letters import send
        from collectctl.letters.letter import render_formats, rendered

        ledger = self.app.ledger()
        channel = self.channels[letter.channel]
        fmt = _format(letter.channel)
        try:
            prepared = _prepare(
                self.app, customer, letter.currency, letter.stage, decision.template,
                self.as_of, self.cfg, [i.invoice_ext for i in letter.invoices], ref=letter.ref,
            )  # fmt: skip
            if decision.validation_notice:
                from collectctl.letters.validation_notice import with_validation_notice

                prepared = with_validation_notice(prepared, self.as_of)
            documents = render_formats(prepared, sorted({fmt, *channel.needs}), self.cfg)
        except CollectctlError as exc:
            with ledger.write() as conn:
                record.cancel(conn, letter.id, at=send.utc_iso(self.clock()), reason=str(exc))
            return Outcome(decision, "cancelled", letter.ref, f"not rendered: {exc}")
        late = self.hours(decision.kind, decision.timezone)
        if late:
            with ledger.write() as conn:
                record.cancel(conn, letter.id, at=send.utc_iso(self.clock()), reason=late)
            return Outcome(decision, "deferred", letter.ref, late)
        ctx = self.context(letter.channel)
        letter_doc = rendered(
            prepared, fmt, documents, ref=letter.ref, message_id=letter.message_id
        )
        result = send.deliver(ledger, letter, letter_doc, channel, ctx, now=self.clock)
        return Outcome(decision, result.status, letter.ref, result.error or "")

    def context(self, name: str) -> ChannelContext:
        """What channel ``name`` is given: its settings table, the environment, the profile."""
        from collectctl.letters.channel import ChannelContext

        return ChannelContext(
            settings=self.channels[name].settings_in(self.app.config),
            environ=dict(self.app.env),
            profile_dir=self.app.profile_dir,
        )

    def still_open(self, customer: Mapping[str, Any], decision: rules.Decision) -> list[str]:
        """The decision's invoices still open and chaseable now (before the claim re-checks)."""
        from collectctl.letters.accounts import letter_accounts

        conn = self.app.ledger().conn
        account = letter_accounts(conn, customer, self.as_of, grace_days=_grace(self.app))
        found = account.get(decision.currency)
        live = {
            i.invoice_id
            for i in (found.invoices if found else ())
            if i.balance > 0 and not i.disputed and not i.plan
        }
        return [line.invoice_id for line in decision.lines if line.invoice_id in live]

    def send(self, decision: rules.Decision) -> Outcome:
        """Claim (re-checked) and deliver one decided letter."""
        from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
        from collectctl.letters import send

        late = self.hours(decision.kind, decision.timezone)
        if late:
            return Outcome(decision, "deferred", message=late)
        if decision.channel not in self.channels:
            return Outcome(decision, "failed", message=f"no letter channel {decision.channel!r}")
        customer = _customer(self.app, decision.source, decision.customer_id)
        only = self.still_open(customer, decision)
        if not only:
            return Outcome(
                decision,
                "not-claimed",
                message="paid, disputed or put on a plan since the decision",
            )
        try:
            prepared = _prepare(
                self.app, customer, decision.currency, decision.category or "",
                decision.template, self.as_of, self.cfg, only,
            )  # fmt: skip
        except CollectctlError as exc:
            return Outcome(decision, "failed", message=f"not rendered: {exc}")
        channel = self.channels[decision.channel or ""]
        if channel.check is not None:  # it cannot go at all: claim nothing
            from collectctl.letters.letter import rendered

            preview = rendered(prepared, _format(decision.channel or ""), {}, ref=None,
                               message_id=None)  # fmt: skip
            problem = channel.check(preview, self.context(channel.name))
            if problem:
                return Outcome(decision, "failed", message=f"not sent: {problem}; nothing recorded")
        demanded = {i.invoice_id for i in prepared.content.demanded}
        content = prepared.content
        request = ClaimRequest(
            customer=(decision.source, decision.customer_id),
            currency=decision.currency,
            stage=decision.category or "",
            language=prepared.composed.language,
            channel=decision.channel or "",
            letter_date=self.as_of,
            invoices=tuple(
                ClaimInvoice(x.invoice_id, x.number, x.balance, x.days, x.stage, x.seq)
                for x in decision.lines
                if x.invoice_id in demanded
            ),
            run=self.run,
            format=_format(decision.channel or ""),
            template=prepared.composed.template,
            total=content.total + content.interest + content.compensation,
            interest=content.interest,
            compensation=content.compensation,
            figures=content.figures,
            created_by=self.app.acting_user(),
        )
        refused: list[str] = []
        letter = send.claim(
            self.app.ledger(),
            request,
            now=self.clock(),
            message_domain=self.domain,
            recheck=self.recheck(customer, decision.kind, refused),
        )
        if letter is None:
            why = refused[0] if refused else "already claimed by another letter"
            return Outcome(decision, "not-claimed", message=why)
        return self.deliver(decision, letter, customer)

    def decision_of(
        self, old: LetterRow, customer: Mapping[str, Any], rule: str = "retry of"
    ) -> rules.Decision:
        """The decision an earlier run's letter stands for (to retry or report it)."""
        from collectctl.ledger.letters import override_for

        override = override_for(self.app.ledger().conn, old.customer)
        kind = override.kind or customer["kind"]
        timezone = override.timezone or customer.get("timezone")
        return rules.Decision(
            source=old.source, customer_id=old.customer_ext, name=customer["name"],
            currency=old.currency, section=None, rule=f"{rule} {old.ref}", stage=old.stage,
            category=old.stage, template=old.template, channel=old.channel, kind=kind,
            timezone=timezone,
            lines=tuple(
                rules.Line(old.source, i.invoice_ext, i.number, self.as_of, i.days, i.balance,
                           i.stage, i.seq)
                for i in old.invoices
            ),
        )  # fmt: skip

    def report_stuck(self, old: LetterRow) -> Outcome:
        """A letter left ``sending`` by a process that stopped: its outcome is unknown, so it
        becomes ``uncertain`` (reported, exit 3) and is never sent again by itself."""
        from collectctl.ledger.letters import mark_uncertain
        from collectctl.letters.send import utc_iso

        customer = _customer(self.app, old.source, old.customer_ext)
        decision = self.decision_of(old, customer, rule="unfinished send of")
        why = (
            f"the process sending it (since {old.sending_at}) stopped before recording the "
            "outcome; check whether it arrived, then see `collectctl letter show "
            f"{old.ref}`"
        )
        with self.app.ledger().write() as conn:
            mark_uncertain(conn, old.id, at=utc_iso(self.clock()), error=why)
        return Outcome(decision, "uncertain", old.ref, why)

    def retry(self, old: LetterRow) -> Outcome:
        """Re-check and resend a failed (or crashed, never-sent) letter of an earlier run."""
        from collectctl.ledger.letters import ClaimInvoice, ClaimRequest
        from collectctl.letters import send

        customer = _customer(self.app, old.source, old.customer_ext)
        decision = self.decision_of(old, customer)
        kind, timezone = decision.kind, decision.timezone
        late = self.hours(kind, timezone)
        if late:
            return Outcome(decision, "deferred", old.ref, late)
        request = ClaimRequest(
            customer=old.customer, currency=old.currency, stage=old.stage,
            language=old.language, channel=old.channel, letter_date=old.letter_date,
            invoices=tuple(ClaimInvoice(i.invoice_ext, i.number, i.balance, i.days, i.stage,
                                        i.seq) for i in old.invoices),
            run=old.run,
        )  # fmt: skip
        refused: list[str] = []
        letter = send.recheck_claimed(
            self.app.ledger(), old, self.recheck(customer, kind, refused),
            now=self.clock(), request=request,
        )  # fmt: skip
        if letter is None:
            return Outcome(decision, "cancelled", old.ref, refused[0] if refused else "")
        return self.deliver(replace(decision, template=None), letter, customer)


#: A letter still ``sending`` this long after its send began was abandoned by its process (the
#: SMTP timeout is far shorter): reported as uncertain.
STUCK_AFTER = timedelta(minutes=30)


def _stuck(sender: _Sender) -> list[LetterRow]:
    from collectctl.ledger.letters import stuck_sending
    from collectctl.letters.send import utc_iso

    return stuck_sending(sender.app.ledger().conn, before=utc_iso(sender.clock() - STUCK_AFTER))


def _retries(sender: _Sender) -> list[LetterRow]:
    from collectctl.domain.dunning_guards import retry_due
    from collectctl.domain.freshness import parse_instant
    from collectctl.ledger.letters import retries_due

    due = []
    for old in retries_due(sender.app.ledger().conn, max_attempts=sender.settings.max_attempts):
        if old.run is None:
            continue  # a manual letter: `collectctl letter ... --send` retries it
        last = parse_instant(old.finished_at) if old.finished_at else None
        if old.status == "failed" and not retry_due(
            old.attempts, last, sender.clock(), sender.settings.retry_after_minutes
        ):
            continue
        due.append(old)
    return due


def send_all(
    app: App,
    decisions: Sequence[rules.Decision],
    as_of: date,
    sha: str,
    opts: RunOptions,
    settings: DunningSettings,
    cfg: LetterConfig,
    report: RunReport,
    clock: Callable[[], datetime],
) -> RunReport:
    """A real run: record it, retry what failed before, send what was decided."""
    from collectctl.ledger import dunning as record
    from collectctl.letters.send import utc_iso

    ledger = app.ledger()
    with ledger.write() as conn:
        number = record.start_run(
            conn, as_of=as_of, mode="send", policy_path=str(opts.policy), policy_sha256=sha,
            started_at=utc_iso(clock()),
        )  # fmt: skip
    report.run = f"RUN-{number}"
    sender = _Sender(app, as_of, report.run, settings, cfg, clock)
    for old in _stuck(sender):
        report.outcomes.append(sender.report_stuck(old))
    for old in _retries(sender):
        report.outcomes.append(sender.retry(old))
    for decision in decisions:
        if decision.sends:
            report.outcomes.append(sender.send(decision))
        else:
            report.outcomes.append(Outcome(decision, "skipped", message=decision.detail))
    counts = {
        "letters": report.count("sent"),
        "failed": report.count("failed"),
        "uncertain": report.count("uncertain"),
        "cancelled": report.count("cancelled"),
        "skipped": report.count("skipped"),
    }
    with ledger.write() as conn:
        record.finish_run(
            conn, number, finished_at=utc_iso(clock()), counts=counts,
            skip_counts=report.skip_counts,
        )  # fmt: skip
    return report

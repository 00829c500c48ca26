"""Dunning decisions (pure): which letter each account gets today, or why it gets none.

A ladder per invoice, one letter per account and currency (letters-dunning reference §4.1):

- each open invoice climbs its section's stages by days from its due date; what it has already
  had comes from the send record (:class:`Sent`: manual ``letter --send`` and automatic letters
  alike, and ``--baseline`` positions);
- ``catch_up = "next"`` sends the next stage only; ``"latest"`` the highest stage due today,
  skipping the ones a missed run never sent; both honour ``min_gap_days`` between two letters
  to one account and currency;
- the last stage repeats every ``repeat_every_days`` up to ``max_repeats`` times;
- the letter's stage is the highest stage due among the account's invoices; invoices due a lower
  stage ride along and are claimed at their own stage.

Skip reasons (:data:`SKIP_REASONS`) are recorded on the decision; invoice-level ones on its
``skipped`` lines. The hold/dispute/promise/plan/balance rules themselves live in the account
read model; this module only reads their outcome from :class:`DunningAccount`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from collectctl.domain import consumer
from collectctl.domain.dunning_policy import CATEGORIES, Policy, Section, Stage, demands

MANUAL_ONLY = "manual-only"
ESCALATED = "escalated"
ON_HOLD = "on-hold"
PROMISE = "promise-not-yet-due"
DISPUTED = "disputed-invoice"
PLAN = "plan-in-good-standing"
CREDIT = "covered-by-credit"
MINIMUM = "under-minimum"
GAP = "gap-not-passed"
CONSUMER = "consumer-guard"
NO_CHANNEL = "no-channel"
BEFORE_START = "due-before-start-on"
MAX_REPEATS = "max-repeats-sent"
PENDING = "letter-pending"
#: Every skip reason, with what it means (docs/dunning.md shows this table).
SKIP_REASONS: Mapping[str, str] = {
    MANUAL_ONLY: "the policy marks the account manual only (manual_only or an [[assign]] rule)",
    ESCALATED: "an escalation (agency or legal) is in force",
    ON_HOLD: "a hold is in force",
    PROMISE: "a promise to pay is open and not yet due",
    DISPUTED: "the invoice has an open dispute",
    PLAN: "the invoice is covered by a payment plan in good standing",
    CREDIT: "unapplied credit covers the overdue amount",
    MINIMUM: "the amount demanded (net of credit) is under the section's min_balance",
    GAP: "the last letter to this account and currency is less than min_gap_days old",
    CONSUMER: "a consumer guard (cease, opt-out, open dispute, send cap, time-barred, hours)",
    NO_CHANNEL: "no email address and no fallback_channel",
    BEFORE_START: "the invoice fell due before the policy's start_on",
    MAX_REPEATS: "the last stage has been repeated max_repeats times",
    PENDING: "an earlier letter to this account and currency has not gone out yet (failed and "
    "waiting for its retry, or being sent): it is retried, never followed by the next stage",
}
#: Invoice exclusions the account model reports, as skip reasons.
EXCLUSIONS = (DISPUTED, PLAN)


@dataclass(slots=True)
class DunningInvoice:
    """One open invoice as the account model sees it on the decision day."""

    source: str
    invoice_id: str
    number: str
    due_date: date
    balance: int
    #: ``disputed-invoice`` or ``plan-in-good-standing`` when the model excludes it from chasing.
    excluded: str | None = None
    last_payment_on: date | None = None


@dataclass(frozen=True, slots=True)
class DunningAccount:
    """One account and currency, with the model's outcome of every collection rule."""

    source: str
    customer_id: str
    name: str
    kind: str
    currency: str
    invoices: tuple[DunningInvoice, ...]
    #: Unapplied credit held, in minor units (positive: the customer has credit).
    unapplied_credit: int = 0
    on_hold: bool = False
    escalated: bool = False
    promise_open: bool = False
    email: str | None = None
    timezone: str | None = None
    ceased: bool = False
    opted_out: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Sent:
    """One rung an invoice already has: a letter line not cancelled, or a baseline position."""

    stage: str
    seq: int
    on: date
    baseline: bool = False


@dataclass(frozen=True, slots=True)
class History:
    """The send record as the decisions need it (bulk-read once per run)."""

    #: (source, invoice_id) → its rungs.
    rungs: Mapping[tuple[str, str], Sequence[Sent]] = field(default_factory=dict)
    #: (source, customer_id, currency) → the date of the last letter (manual or automatic).
    last_letter: Mapping[tuple[str, str, str], date] = field(default_factory=dict)
    #: (source, customer_id, currency) → why its oldest letter that has not gone out yet
    #: (failed, or claimed or sending) holds the account back (see ``letter-pending``).
    pending: Mapping[tuple[str, str, str], str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Guards:
    """Consumer-guard settings (profile ``[dunning]``; on by default for consumer accounts)."""

    enabled: bool = True
    sends_per_week: int = 2
    limitation_years: int | None = None
    #: Templates that declare they threaten legal action (blocked for time-barred debts).
    threatening_templates: frozenset[str] = frozenset()
    collector: bool = False


@dataclass(frozen=True, slots=True)
class Line:
    """An invoice in a letter, claimed at its own stage and repeat (``seq``)."""

    source: str
    invoice_id: str
    number: str
    due_date: date
    days: int
    balance: int
    stage: str
    seq: int
    time_barred: bool = False


@dataclass(frozen=True, slots=True)
class Skipped:
    """An invoice left out of the letter, and why."""

    invoice_id: str
    number: str
    reason: str
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Decision:
    """What one account and currency gets today: a letter, or a skip with its reason."""

    source: str
    customer_id: str
    name: str
    currency: str
    section: str | None
    rule: str
    stage: str | None = None
    category: str | None = None
    template: str | None = None
    channel: str | None = None
    lines: tuple[Line, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    days: int = 0
    demanded: int = 0
    credit: int = 0
    skip_reason: str | None = None
    detail: str = ""
    kind: str = "business"
    timezone: str | None = None
    #: A third-party collector's first letter to this account carries the validation notice.
    validation_notice: bool = False

    @property
    def sends(self) -> bool:
        """True when a letter goes out."""
        return self.skip_reason is None


def _position(section: Section, recorded: str) -> int | None:
    index = section.stage_index(recorded)
    if index is not None or recorded not in CATEGORIES:
        return index
    rank = CATEGORIES.index(recorded)
    lower = [i for i, s in enumerate(section.stages) if CATEGORIES.index(s.category) <= rank]
    return max(lower) if lower else None


def next_rung(
    section: Section, due_date: date, sent: Sequence[Sent], as_of: date
) -> tuple[int, int] | str | None:
    """The (stage index, seq) an invoice is due today, ``max-repeats-sent``, or None.

    ``seq`` is 1 for a stage's first letter and counts up for repeats of the last stage
    (so ``max_repeats = 2`` allows seq 2 and 3), as in the send record's claims.
    """
    days = (as_of - due_date).days
    last = len(section.stages) - 1
    positions = [p for p in (_position(section, s.stage) for s in sent) if p is not None]
    top = max(positions, default=-1)
    if top < last:
        due = [i for i, stage in enumerate(section.stages) if days >= stage.offset_days]
        following = top + 1
        # A stage before the due date (a courtesy reminder) is passed over once the invoice
        # is past due: the ladder goes on from the first stage after the due date.
        while days > 0 and following < last and section.stages[following].offset_days < 0:
            following += 1
        if section.catch_up == "next":
            return (following, 1) if following in due else None
        highest = max(due, default=-1)
        return (highest, 1) if highest >= following else None
    if section.repeat_every_days is None:
        return None
    at_last = [s for s in sent if _position(section, s.stage) == last]
    seq = max((s.seq for s in at_last), default=1)
    if seq - 1 >= section.max_repeats:
        return MAX_REPEATS
    latest = max(s.on for s in at_last)
    if as_of < latest + timedelta(days=section.repeat_every_days):
        return None
    return (last, seq + 1)


def _threatens(stage: Stage, guards: Guards) -> bool:
    return stage.category == "pre-legal" or stage.template in guards.threatening_templates


def _lines(
    account: DunningAccount,
    section: Section,
    history: History,
    policy: Policy,
    as_of: date,
    guards: Guards,
    consumer_rules: bool,
    memo: dict[tuple[int, date], tuple[int, int] | str | None],
) -> tuple[list[Line], list[Skipped], bool]:
    """The invoices due a rung today (lines), those held out (skipped), and whether any was
    due at all. ``memo`` keeps :func:`next_rung` of invoices with nothing sent yet (most),
    which depends only on the section and the due date."""
    lines: list[Line] = []
    skipped: list[Skipped] = []
    would_be_due = False
    rungs = history.rungs
    for inv in sorted(account.invoices, key=lambda i: (i.due_date, i.number, i.invoice_id)):
        if policy.start_on is not None and inv.due_date < policy.start_on:
            continue
        sent = rungs.get((inv.source, inv.invoice_id), ())
        if sent:
            rung = next_rung(section, inv.due_date, sent, as_of)
        else:
            key = (id(section), inv.due_date)
            if key in memo:
                rung = memo[key]
            else:
                rung = memo[key] = next_rung(section, inv.due_date, (), as_of)
        if rung is None:
            continue
        would_be_due = True
        if isinstance(rung, str):
            skipped.append(Skipped(inv.invoice_id, inv.number, rung))
            continue
        if inv.excluded is not None:
            skipped.append(Skipped(inv.invoice_id, inv.number, inv.excluded))
            continue
        stage = section.stages[rung[0]]
        barred = consumer_rules and consumer.time_barred(
            inv.due_date, inv.last_payment_on, as_of, guards.limitation_years
        )
        if barred and _threatens(stage, guards):
            why = f"time-barred: {stage.name} threatens legal action"
            skipped.append(Skipped(inv.invoice_id, inv.number, CONSUMER, why))
            continue
        if consumer_rules:
            recent = [s.on for s in sent if not s.baseline]
            if not consumer.under_send_cap(recent, as_of, guards.sends_per_week):
                why = f"send cap: {guards.sends_per_week} letters on this debt in 7 days"
                skipped.append(Skipped(inv.invoice_id, inv.number, CONSUMER, why))
                continue
        days = (as_of - inv.due_date).days
        lines.append(
            Line(inv.source, inv.invoice_id, inv.number, inv.due_date, days, inv.balance,
                 stage.name, rung[1], barred)
        )  # fmt: skip
    return lines, skipped, would_be_due


def _account_skip(
    account: DunningAccount, consumer_rules: bool, lines: list[Line], skipped: list[Skipped]
) -> tuple[str, str] | None:
    """Why the whole account gets no letter although something is due (None: it may)."""
    if account.escalated:
        return ESCALATED, ""
    if account.on_hold:
        return ON_HOLD, ""
    if account.promise_open:
        return PROMISE, ""
    if consumer_rules and account.ceased:
        return CONSUMER, "cease communication recorded (account cease)"
    if consumer_rules and any(inv.excluded == DISPUTED for inv in account.invoices):
        return CONSUMER, "an open dispute stops the whole consumer account"
    if not lines:
        reasons = [s.reason for s in skipped]
        reason = next(r for r in (CONSUMER, DISPUTED, PLAN, MAX_REPEATS) if r in reasons)
        return reason, next(s.detail for s in skipped if s.reason == reason)
    return None


def decide(
    account: DunningAccount,
    history: History,
    policy: Policy,
    as_of: date,
    guards: Guards,
    memo: dict[tuple[int, date], tuple[int, int] | str | None] | None = None,
) -> Decision | None:
    """The decision for one account and currency (None: nothing is due, nothing to report).
    ``memo``: a dict shared by the decisions of one run over one policy and day (speed only)."""
    section, rule = policy.assign(account.customer_id, account.kind, account.currency)
    consumer_rules = guards.enabled and account.kind == "consumer"
    out: dict[str, object] = {
        "source": account.source,
        "customer_id": account.customer_id,
        "name": account.name,
        "currency": account.currency,
        "section": section.name if section else None,
        "rule": rule,
        "kind": account.kind,
        "timezone": account.timezone,
        "credit": account.unapplied_credit,
    }
    if section is None:
        # Manual only: report it only when an invoice is overdue (no ladder to consult).
        if any(inv.due_date < as_of for inv in account.invoices):
            return Decision(**out, skip_reason=MANUAL_ONLY, detail=SKIP_REASONS[MANUAL_ONLY])  # type: ignore[arg-type]
        return None
    lines, skipped, due = _lines(
        account, section, history, policy, as_of, guards, consumer_rules,
        {} if memo is None else memo,
    )  # fmt: skip
    if not due:
        return None
    lines = _demanded(section, lines)
    if not lines and not skipped:
        return None  # only invoices not due yet, under a letter that does not demand them
    out["skipped"] = tuple(skipped)
    why = _account_skip(account, consumer_rules, lines, skipped)
    if why is None:
        why = _letter(out, account, section, lines, history, as_of, guards)
    if why is not None:
        out["skip_reason"], out["detail"] = why[0], why[1] or SKIP_REASONS[why[0]]
    return Decision(**out)  # type: ignore[arg-type]


def _demanded(section: Section, lines: list[Line]) -> list[Line]:
    """The lines the account's letter demands: it goes at the highest stage due, and a letter
    past the courtesy stage leaves out the invoices not due yet (:func:`demands`) — they are
    not claimed and keep their own ladder."""
    if not lines:
        return lines
    index = max(section.stage_index(line.stage) or 0 for line in lines)
    category = section.stages[index].category
    return [line for line in lines if demands(category, line.days)]


def _letter(
    out: dict[str, object],
    account: DunningAccount,
    section: Section,
    lines: list[Line],
    history: History,
    as_of: date,
    guards: Guards,
) -> tuple[str, str] | None:
    """Fill the letter's fields into ``out``; the skip reason when it still may not go."""
    index = max(section.stage_index(line.stage) or 0 for line in lines)
    stage = section.stages[index]
    # The letter demands its own invoices, net of the account's unapplied credit.
    demanded = sum(line.balance for line in lines) - account.unapplied_credit
    out.update(
        stage=stage.name,
        category=stage.category,
        template=stage.template,
        lines=tuple(lines),
        days=max(line.days for line in lines),
        demanded=max(demanded, 0),
    )
    if demanded <= 0:
        return CREDIT, ""
    minimum = section.min_balance.get(account.currency)
    if minimum is not None and demanded < minimum:
        return MINIMUM, ""
    key = (account.source, account.customer_id, account.currency)
    pending = history.pending.get(key)
    if pending is not None:
        return PENDING, pending
    last = history.last_letter.get(key)
    if last is not None and (as_of - last).days < section.min_gap_days:
        after = last + timedelta(days=section.min_gap_days)
        return GAP, (
            f"last letter {last.isoformat()}; min_gap_days {section.min_gap_days}: "
            f"not before {after.isoformat()}"
        )
    channel = _channel(stage.channel, section.fallback_channel, account)
    if isinstance(channel, tuple):
        return channel
    out["channel"] = channel
    out["validation_notice"] = (
        guards.collector and account.kind == "consumer" and key not in history.last_letter
    )
    return None


def _channel(wanted: str, fallback: str | None, account: DunningAccount) -> str | tuple[str, str]:
    """The channel to use, or the (skip reason, detail) when none is usable."""
    consumer_rules = account.kind == "consumer"
    candidates = [wanted] + ([fallback] if fallback and fallback != wanted else [])
    for channel in candidates:
        if channel == "email" and not account.email:
            continue
        if consumer_rules and channel in account.opted_out:
            continue
        return channel
    if consumer_rules and any(c in account.opted_out for c in candidates):
        return CONSUMER, f"opted out of {', '.join(sorted(account.opted_out))}"
    return NO_CHANNEL, SKIP_REASONS[NO_CHANNEL]


def decide_all(
    accounts: Iterable[DunningAccount],
    history: History,
    policy: Policy,
    as_of: date,
    guards: Guards,
) -> list[Decision]:
    """Every account's decision, letters and skips, in the accounts' order."""
    decisions = []
    memo: dict[tuple[int, date], tuple[int, int] | str | None] = {}
    for account in accounts:
        decision = decide(account, history, policy, as_of, guards, memo)
        if decision is not None:
            decisions.append(decision)
    return decisions


def letter_count_refusal(count: int, limit: int, override: int | None) -> str | None:
    """Why a run of ``count`` letters must not start (None: it may). ``--max N`` replaces the
    policy's ``max_letters_per_run`` for this run."""
    allowed = override if override is not None else limit
    if count <= allowed:
        return None
    where = f"--max {override}" if override is not None else f"max_letters_per_run = {limit}"
    return (
        f"{count} letters are due, more than {where} allows; check them with --dry-run, "
        f"then run with --max {count} (or --baseline on old books)"
    )


def baseline_positions(
    accounts: Iterable[DunningAccount], history: History, policy: Policy, as_of: date
) -> list[tuple[DunningInvoice, str]]:
    """For ``--baseline``: each invoice's highest stage due today that it has not had yet,
    recorded without sending so the ladder continues from there."""
    found = []
    for account in accounts:
        section, _rule = policy.assign(account.customer_id, account.kind, account.currency)
        if section is None:
            continue
        for inv in account.invoices:
            if policy.start_on is not None and inv.due_date < policy.start_on:
                continue
            days = (as_of - inv.due_date).days
            due = [i for i, s in enumerate(section.stages) if days >= s.offset_days]
            if not due:
                continue
            sent = history.rungs.get((inv.source, inv.invoice_id), ())
            top = max(
                (p for p in (_position(section, s.stage) for s in sent) if p is not None),
                default=-1,
            )
            if max(due) > top:
                found.append((inv, section.stages[max(due)].name))
    return found

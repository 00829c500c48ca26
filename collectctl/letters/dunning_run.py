"""``dunning run``: decide for every account, then send each letter once.

One decision pass over one read snapshot (:mod:`collectctl.letters.dunning_inputs`, pure rules in
:mod:`collectctl.domain.dunning`), then per letter the shared send pipeline of
:mod:`collectctl.letters.send`: claim in a short transaction that re-reads the invoices, disputes
and holds (:func:`_recheck`), render and call the channel with no lock held, record the outcome.
A dry run is the same decision code with the claims simulated: it writes nothing. The sending
half lives in :mod:`collectctl.letters.dunning_send`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from collectctl.domain import dunning as rules
from collectctl.errors import CollectctlError, OptionClash
from collectctl.gc_pause import gc_paused
from collectctl.letters.dunning_outcomes import Outcome, RunOptions, RunReport

__all__ = ["Outcome", "RunOptions", "RunReport", "decide", "guards_for", "run_dunning"]

if TYPE_CHECKING:  # pragma: no cover
    from collectctl.app import App
    from collectctl.domain.dunning_policy import Policy
    from collectctl.dunning_settings import DunningSettings


def guards_for(settings: DunningSettings, threatening: frozenset[str]) -> rules.Guards:
    """The consumer-guard settings of the decisions."""
    return rules.Guards(
        enabled=settings.consumer_guards,
        sends_per_week=settings.consumer_sends_per_week,
        limitation_years=settings.limitation_years or None,
        threatening_templates=threatening,
        collector=settings.collector,
    )


def threatening_templates(policy: Policy, profile_dir: Path, languages: set[str]) -> frozenset[str]:
    """The policy's templates that declare ``{% set threatens_legal_action = true %}``."""
    from collectctl.letters.templates import (
        TemplateError,
        find_template,
        threatens_legal_action,
    )
    from collectctl.plugins.manager import template_packs

    packs = list(template_packs().values())
    found = set()
    for section in policy.sections.values():
        for stage in section.stages:
            for language in languages:
                try:
                    path = find_template(
                        stage.template, language, profile_dir=profile_dir, packs=packs
                    ).path
                except TemplateError:
                    continue
                if threatens_legal_action(path):
                    found.add(stage.template)
    return frozenset(found)


def decide(
    app: App, policy: Policy, settings: DunningSettings, as_of: date, guards: rules.Guards
) -> list[rules.Decision]:
    """Every decision as of ``as_of`` from one read of the ledger (fixed number of queries)."""
    from collectctl.letters.dunning_inputs import load_accounts_for_dunning, load_history

    conn = app.ledger().conn
    grace = int(dict(app.config.get("promises") or {}).get("grace_days", 0) or 0)
    conn.execute("BEGIN")  # one snapshot for the whole decision pass (WAL: readers never wait)
    try:
        with gc_paused():  # tens of thousands of acyclic objects: reference counting frees them
            history = load_history(conn, settings.max_attempts)
            accounts = load_accounts_for_dunning(
                conn, as_of, grace, consumer_rules=guards.enabled and bool(guards.limitation_years)
            )
            return rules.decide_all(accounts, history, policy, as_of, guards)
    finally:
        conn.execute("COMMIT")


def run_dunning(
    app: App, opts: RunOptions, *, now: Callable[[], datetime] | None = None
) -> RunReport:
    """Run dunning as the options say; raises :class:`CollectctlError` (exit 1) on a refusal."""
    from collectctl.domain.dunning_guards import as_of_refusal
    from collectctl.domain.freshness import stale_sources
    from collectctl.dunning_policy_file import load_policy
    from collectctl.dunning_settings import read_settings
    from collectctl.ledger.connection import lock_timeout
    from collectctl.ledger.dunning import last_run_as_of, last_syncs
    from collectctl.letters.letter import letter_config
    from collectctl.letters.send import utc_now

    clock = now or utc_now
    from collectctl.plugins.manager import channels

    policy, sha = load_policy(opts.policy, list(channels()))
    settings = read_settings(app.config, app.config_file)
    cfg = letter_config(app.config, app.config_dir)
    # "Today" is the profile's date at the run's instant (tests inject the instant).
    today = app.today() if now is None else clock().astimezone(app.clock.zone).date()
    as_of = opts.as_of or today
    if opts.preview is not None and not opts.dry_run:
        raise OptionClash("--preview needs --dry-run", hint="Add --dry-run to preview.")
    if opts.baseline and opts.dry_run:
        raise OptionClash("--baseline records positions: it cannot be a dry run")
    mode = "dry-run" if opts.dry_run else "baseline" if opts.baseline else "send"
    report = RunReport(as_of=as_of, mode=mode, run=None, policy=str(opts.policy))
    conn = app.ledger().conn

    def check_day() -> None:
        why = as_of_refusal(
            as_of, today, last_run_as_of(conn), force=opts.force, dry_run=opts.dry_run
        )
        if why:
            raise CollectctlError(why)

    check_day()
    stale = stale_sources(
        list(dict(app.config.get("sources") or {})),
        last_syncs(conn),
        clock(),
        settings.max_sync_age_hours,
    )
    if stale and mode == "send" and not opts.allow_stale:
        raise CollectctlError(
            "refusing to send from stale books:\n  " + "\n  ".join(stale),
            hint="Sync first (a CSV export can be old even when the sync is fresh), "
            "or pass --allow-stale.",
        )
    report.warnings.extend(stale)
    languages = {cfg.language, "en"}
    guards = guards_for(settings, threatening_templates(policy, app.config_dir, languages))
    if opts.dry_run:
        decisions = decide(app, policy, settings, as_of, guards)
        _refuse_too_many(decisions, policy, opts, report)
        from collectctl.letters.dunning_send import preview

        report.outcomes = preview(app, decisions, as_of, cfg, opts.preview)
        return report
    with app.ledger().lock("dunning", timeout=lock_timeout(), what="dunning run"):
        check_day()  # another run may have finished while we waited for the lock
        decisions = decide(app, policy, settings, as_of, guards)
        if opts.baseline:
            return _baseline(app, policy, decisions, as_of, sha, opts, report, clock)
        _refuse_too_many(decisions, policy, opts, report)
        from collectctl.letters.dunning_send import send_all

        return send_all(app, decisions, as_of, sha, opts, settings, cfg, report, clock)


def _refuse_too_many(
    decisions: list[rules.Decision], policy: Policy, opts: RunOptions, report: RunReport
) -> None:
    count = sum(1 for d in decisions if d.sends)
    why = rules.letter_count_refusal(count, policy.max_letters_per_run, opts.max_letters)
    if why is None:
        return
    if opts.dry_run:
        report.warnings.append(f"a real run would refuse: {why}")
        return
    raise CollectctlError(f"refusing to send: {why}", hint="Nothing was sent.")


def _baseline(
    app: App,
    policy: Policy,
    decisions: list[rules.Decision],
    as_of: date,
    sha: str,
    opts: RunOptions,
    report: RunReport,
    clock: Callable[[], datetime],
) -> RunReport:
    """Record today's ladder positions without sending (a first run on old books)."""
    from collectctl.ledger import dunning as record
    from collectctl.letters.dunning_inputs import load_accounts_for_dunning, load_history
    from collectctl.letters.send import utc_iso

    ledger = app.ledger()
    grace = int(dict(app.config.get("promises") or {}).get("grace_days", 0) or 0)
    accounts = load_accounts_for_dunning(ledger.conn, as_of, grace, consumer_rules=False)
    positions = rules.baseline_positions(accounts, load_history(ledger.conn), policy, as_of)
    with ledger.write() as conn:
        run = record.start_run(
            conn,
            as_of=as_of,
            mode="baseline",
            policy_path=str(opts.policy),
            policy_sha256=sha,
            started_at=utc_iso(clock()),
        )
        report.baseline_rungs = record.record_baseline(
            conn, run, ((inv.source, inv.invoice_id, stage, 1) for inv, stage in positions), as_of
        )
        record.finish_run(conn, run, finished_at=utc_iso(clock()), counts={}, skip_counts={})
    report.run = f"RUN-{run}"
    report.outcomes = [
        Outcome(d, "baseline" if d.sends else "skipped", message="position recorded")
        for d in decisions
    ]
    return report

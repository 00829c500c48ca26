"""``dunning run`` output: the JSON document (stable keys) and the rows for table and csv."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from collectctl.gc_pause import gc_paused
from collectctl.letters.dunning_outcomes import Outcome, RunReport
from collectctl.money import formatter
from collectctl.output import Column, Report

COLUMNS = [
    Column("customer_id"),
    Column("currency"),
    Column("status"),
    Column("stage"),
    Column("days", kind="int"),
    Column("invoices"),
    Column("amount", kind="money"),
    Column("channel"),
    Column("letter"),
    Column("reason"),
]


_FORMATTERS: dict[str, Callable[[int], str]] = {}


def _money(units: int, currency: str) -> str:
    """``format_minor`` through one formatter per currency (the same text)."""
    fmt = _FORMATTERS.get(currency)
    if fmt is None:
        fmt = _FORMATTERS[currency] = formatter(currency)
    return fmt(units)


def decision_document(outcome: Outcome) -> dict[str, Any]:
    """One decision as JSON: money as strings, every key always present."""
    d = outcome.decision
    return {
        "customer_id": d.customer_id,
        "customer": d.name,
        "source": d.source,
        "currency": d.currency,
        "section": d.section,
        "rule": d.rule,
        "stage": d.stage,
        "category": d.category,
        "template": d.template,
        "days": d.days,
        "invoices": [
            {
                "invoice_id": line.invoice_id,
                "number": line.number,
                "stage": line.stage,
                "seq": line.seq,
                "days": line.days,
                "balance": _money(line.balance, d.currency),
                "time_barred": line.time_barred,
            }
            for line in d.lines
        ],
        "skipped_invoices": [
            {"invoice_id": s.invoice_id, "number": s.number, "reason": s.reason, "detail": s.detail}
            for s in d.skipped
        ],
        "amount": _money(d.demanded, d.currency),
        "credit": _money(d.credit, d.currency),
        "channel": d.channel,
        "validation_notice": d.validation_notice,
        "status": outcome.status,
        "letter": outcome.letter,
        "skip_reason": d.skip_reason,
        "message": outcome.message or d.detail,
    }


def run_document(report: RunReport) -> dict[str, Any]:
    """The whole run as JSON."""
    statuses = {o.status for o in report.outcomes}
    return {
        "as_of": report.as_of.isoformat(),
        "run": report.run,
        "mode": report.mode,
        "policy": report.policy,
        "summary": {status: report.count(status) for status in sorted(statuses)},
        "skip_reasons": dict(sorted(report.skip_counts.items())),
        "baseline_rungs": report.baseline_rungs,
        "warnings": list(report.warnings),
        "decisions": [decision_document(o) for o in report.outcomes],
    }


def to_report(report: RunReport) -> Report:
    """Rows for table/csv (one per decision); JSON carries :func:`run_document`."""
    with gc_paused():
        return _to_report(report)


def _to_report(report: RunReport) -> Report:
    from decimal import Decimal

    rows = []
    for o in report.outcomes:
        d = o.decision
        rows.append(
            {
                "customer_id": d.customer_id,
                "currency": d.currency,
                "status": o.status,
                "stage": d.stage,
                "days": d.days if d.lines else None,
                "invoices": " ".join(line.number for line in d.lines),
                "amount": Decimal(_money(d.demanded, d.currency)) if d.lines else None,
                "channel": d.channel,
                "letter": o.letter,
                "reason": d.skip_reason
                or (o.message if o.status not in ("sent", "would-send", "baseline") else ""),
            }
        )
    doc = run_document(report)
    summary = ", ".join(f"{n} {status}" for status, n in doc["summary"].items()) or "nothing due"
    label = {"dry-run": "dry run", "send": report.run or "run", "baseline": "baseline"}[report.mode]
    footer = [f"\n{label} as of {report.as_of}: {summary}"]
    footer += [f"warning: {w}" for w in report.warnings]
    return Report(columns=COLUMNS, rows=rows, document=doc, footer=footer)

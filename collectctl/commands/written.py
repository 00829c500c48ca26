"""What a write command prints: a sentence for people, the record it made for scripts.

``account log|promise|dispute|hold|release|escalate|amend|void`` take ``--format`` (and
``$COLLECTCTL_FORMAT``): ``table`` (the default) prints one sentence; ``json`` prints the record
with its id (``{"id": "PRM-3", ...}``; ``release`` prints a list); ``csv`` and ``md`` print it as
a one-row table. A script never has to scrape ``PRM-3`` out of prose.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import click

from collectctl.commands.options import emit
from collectctl.output import Column, Report

#: The kind of record behind each id prefix.
KINDS = {
    "ACT": "contact",
    "PRM": "promise",
    "DSP": "dispute",
    "HLD": "hold",
    "ESC": "escalation",
    "ASG": "assignment",
}


def record_document(conn: Any, ref: str) -> dict[str, Any]:
    """The ledger record ``ref`` as a JSON-ready dict: ``id``, ``kind``, ``customer_id``, its
    fields, money as strings in the record's currency."""
    from collectctl.ledger.collection import get_record, record_id
    from collectctl.money import format_minor

    prefix, number, row = get_record(conn, ref)
    doc: dict[str, Any] = {
        "id": record_id(prefix, number),
        "kind": KINDS[prefix],
        "customer_id": row.get("customer_ext"),
        "source": row.get("source"),
    }
    for key, value in row.items():
        if key in ("id", "customer_ext", "source"):
            continue
        if key == "amount" and isinstance(value, int) and row.get("currency"):
            value = format_minor(value, str(row["currency"]))
        doc[key] = value
    return doc


def emit_written(conn: Any, refs: str | Sequence[str], text: str, fmt: str) -> None:
    """Print ``text`` (format ``table``) or the record(s) ``refs`` in format ``fmt``."""
    if fmt == "table":
        click.echo(text)
        return
    many = not isinstance(refs, str)
    docs = [record_document(conn, ref) for ref in ([refs] if isinstance(refs, str) else refs)]
    keys: list[str] = []
    for doc in docs:
        keys += [k for k in doc if k not in keys]
    rows = [
        {k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in doc.items()}
        for doc in docs
    ]
    document: Any = docs if many else docs[0]
    emit(Report(columns=[Column(k) for k in keys], rows=rows, document=document), fmt)

"""Built-in output formats: ``table`` (people), ``md`` (markdown), ``csv`` and ``json`` (scripts).

csv and json are stable interfaces (they change only with a CHANGELOG entry); table and md are
for people and may change. CSV neutralises spreadsheet formulas in text columns only.

The plugin registering them is :mod:`collectctl.plugins.builtin.formats`; this module imports
no plugin machinery, so a command can use them without loading plugins
(:func:`collectctl.plugins.manager.format_named`).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, TextIO

from collectctl.output import Column, Format, Report, escape_formula, write_json


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def render_json(report: Report, out: TextIO) -> None:
    """The report's ``document`` (or its rows) as JSON; money as strings, never floats."""
    doc = report.document if report.document is not None else list(report.rows)
    # Indented for a person at a terminal; compact (and written by the C encoder, or from the
    # rows' tuples, which matters for a million-row report) when piped to a script.
    write_json(doc, out, pretty=out.isatty() if hasattr(out, "isatty") else False)


def render_csv(report: Report, out: TextIO) -> None:
    """One header row (the JSON keys) and the rows; no totals. Formula cells neutralised."""
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.key for c in report.columns])
    text_keys = {c.key for c in report.columns if c.kind == "text"}
    for row in report.rows:
        cells = []
        for c in report.columns:
            cell = _plain(row.get(c.key))
            cells.append(escape_formula(cell) if c.key in text_keys else cell)
        writer.writerow(cells)


#: Control characters a terminal would act on (all of C0 but the line break, DEL, C1).
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def shown(text: str) -> str:
    """``text`` with every control character but the line break written as ``\\xNN``, so that
    a name from the books (an ESC sequence in a CSV export, say) cannot move the cursor, clear
    the screen or recolour a terminal; other text is returned as it is."""
    if text.isprintable():
        return text
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def _human_rows(columns: Sequence[Column], rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    text = [c.kind == "text" for c in columns]
    if not any(text):
        return [[_plain(r.get(c.key)) for c in columns] for r in rows]
    return [
        [
            shown(_plain(r.get(c.key))) if t else _plain(r.get(c.key))
            for c, t in zip(columns, text, strict=True)
        ]
        for r in rows
    ]


def _align(columns: Sequence[Column]) -> list[str]:
    return ["right" if c.kind in ("money", "int", "number") else "left" for c in columns]


def _table(report: Report, fmt: str, terminal: bool = False) -> str:
    from tabulate import tabulate

    cols = list(report.columns)
    body = _human_rows(cols, report.rows)
    rows_shown = len(body)
    if report.totals:
        tcols = list(report.totals_columns or cols)
        by_key = {c.key for c in tcols}
        for total in report.totals:
            line = []
            for i, c in enumerate(cols):
                if c.key in by_key:
                    line.append(_plain(total.get(c.key)))
                else:
                    line.append("TOTAL" if i == 0 else "")
            body.append(line)
    if not body:
        return "(nothing to show)"
    if terminal:
        from collectctl.plugins.builtin import terminal as term

        body = term.fit(cols, body, term.width())
        if term.colours_wanted():
            body = term.colour(cols, body[:rows_shown]) + body[rows_shown:]
    text = tabulate(
        body,
        headers=[c.heading for c in cols],
        tablefmt=fmt,
        colalign=_align(cols),
        disable_numparse=True,
    )
    if report.totals and fmt == "simple":
        # A rule between the rows and the totals.
        lines = text.splitlines()
        rule = lines[1]
        n = len(report.totals)
        text = "\n".join([*lines[: len(lines) - n], rule, *lines[len(lines) - n :]])
    return text


def render_table(report: Report, out: TextIO) -> None:
    """An aligned plain-text table for people, totals last; on a terminal it fits the width and
    is coloured (:mod:`collectctl.plugins.builtin.terminal`), piped it is plain."""
    if report.title:
        out.write(shown(report.title) + "\n\n")
    terminal = out.isatty() if hasattr(out, "isatty") else False
    out.write(_table(report, "simple", terminal) + "\n")
    for line in report.footer:
        out.write(shown(line) + "\n")


def render_md(report: Report, out: TextIO) -> None:
    """A GitHub-flavoured markdown table, totals last."""
    if report.title:
        out.write(f"## {shown(report.title)}\n\n")
    out.write(_table(report, "pipe") + "\n")
    if report.footer:
        out.write("\n")
        for line in report.footer:
            out.write(shown(line) + "\n")


def builtin_formats() -> list[Format]:
    """table, md, csv and json, in the order they are registered."""
    return [
        Format("table", render_table, "aligned text table for people", for_scripts=False),
        Format("md", render_md, "markdown table", for_scripts=False),
        Format("csv", render_csv, "CSV rows with one header (spreadsheet-safe)", True),
        Format("json", render_json, "JSON document; money as strings", True),
    ]

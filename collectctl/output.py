"""Reports and output formats: what commands hand to a format, and what a format is.

A command builds a :class:`Report` (typed columns, rows of plain values, optional totals, and the
JSON document for ``--format json``) and calls :func:`render`. Formats are plugins
(``register_formats``); the built-in ``table``, ``csv``, ``json`` and ``md`` live in
``collectctl.plugins.builtin.formats``.

Value types in rows: ``str``, ``int``, ``Decimal`` (money, already quantized to its currency),
``datetime.date``, ``bool`` and ``None``. JSON carries money as strings, never floats.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

ColumnKind = Literal["text", "money", "date", "int", "number", "bool"]

#: Leading characters a spreadsheet would treat as a formula (contracts §3).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column: ``key`` (the JSON/CSV name), ``title`` (table heading), ``kind``."""

    key: str
    title: str | None = None
    kind: ColumnKind = "text"

    @property
    def heading(self) -> str:
        return self.title if self.title is not None else self.key


@dataclass
class Report:
    """A table of results, format-neutral.

    :param columns: the columns, in order.
    :param rows: one mapping per row, keyed by column key.
    :param totals: optional total rows (shown after the rows by ``table``/``md``; not in ``csv``).
    :param totals_columns: the columns of the totals rows (default: ``columns``).
    :param document: the JSON document for ``--format json`` (default: the list of rows).
    :param title: an optional heading for human formats.
    :param footer: optional lines printed after a human-format table.
    """

    columns: Sequence[Column]
    rows: Sequence[Mapping[str, Any]]
    totals: Sequence[Mapping[str, Any]] | None = None
    totals_columns: Sequence[Column] | None = None
    document: Any = None
    title: str | None = None
    footer: Sequence[str] = field(default_factory=list)


@dataclass(frozen=True)
class Format:
    """An output format registered by a plugin.

    :param name: the value of ``--format``.
    :param render: ``render(report, stream)`` writes the report as text.
    :param help: one line for ``collectctl plugins`` and docs.
    :param for_scripts: ``True`` when the format is a stable interface for scripts (csv, json).
    """

    name: str
    render: Callable[[Report, TextIO], None]
    help: str = ""
    for_scripts: bool = False


def escape_formula(text: str) -> str:
    """Neutralise a spreadsheet formula: prefix ``'`` when ``text`` starts with = + - @ tab CR."""
    if text and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text

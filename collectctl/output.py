"""Reports and output formats: what commands hand to a format, and what a format is.

A command builds a :class:`Report` (typed columns, rows of plain values, optional totals, and the
JSON document for ``--format json``) and calls :func:`render`. Formats are plugins
(``register_formats``); the built-in ``table``, ``csv``, ``json`` and ``md`` live in
``collectctl.plugins.builtin.formats``.

Value types in rows: ``str``, ``int``, ``Decimal`` (money, already quantized to its currency),
``datetime.date``, ``bool`` and ``None``. JSON carries money as strings, never floats.

A report with many rows of one shape (aging) keeps them as :class:`Rows` — one tuple of cells per
row — which every format reads as mappings and which :func:`write_json` writes without building a
dict per row.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from itertools import compress, count
from typing import Any, Literal, TextIO, overload

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


_ENCODE = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) uses for str
_NEEDS_ESCAPE = re.compile(r'["\\\x00-\x1f]')


class Rows(Sequence[Mapping[str, Any]]):
    """Rows of one shape kept as tuples: ``keys`` and one tuple of cells per row.

    A sequence of mappings for every format (each row becomes a ``dict`` when read), and a
    compact JSON array from :meth:`json` without any per-row dict.
    """

    __slots__ = ("cells", "keys")

    def __init__(self, keys: Sequence[str], cells: list[tuple[Any, ...]]) -> None:
        self.keys = tuple(keys)
        self.cells = cells

    def __len__(self) -> int:
        return len(self.cells)

    @overload
    def __getitem__(self, index: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, index: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(index, slice):
            return [dict(zip(self.keys, row, strict=True)) for row in self.cells[index]]
        return dict(zip(self.keys, self.cells[index], strict=True))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self.keys
        return (dict(zip(keys, row, strict=True)) for row in self.cells)

    def json(self) -> str:
        """The rows as a JSON array, byte for byte what ``json.dumps`` (compact,
        ``ensure_ascii=False``) writes for the list of dicts (see :meth:`write_json`)."""
        out = io.StringIO()
        self.write_json(out)
        return out.getvalue()

    def write_json(self, out: TextIO) -> None:
        """Write :meth:`json`'s text to ``out``, :data:`CHUNK` rows at a time (so a large
        report never holds its whole JSON text in memory).

        In each chunk, columns of strings go between quotes as they are and columns of ints as
        numbers, through one template per row; the few rows with a string JSON must escape (a
        quote, a backslash, a control character) are written by ``json.dumps``, and so is the
        whole chunk when a column holds anything else.
        """
        out.write("[")
        cells = self.cells
        for start in range(0, len(cells), CHUNK):
            if start:
                out.write(", ")
            out.write(self._items(cells[start : start + CHUNK]))
        out.write("]")

    def _items(self, cells: list[tuple[Any, ...]]) -> str:
        """``cells`` as the comma-separated JSON objects of an array (no brackets)."""
        keys = self.keys
        columns: list[Any] = list(zip(*cells, strict=True))
        if len(columns) != len(keys):
            raise ValueError("one cell per key in every row")
        parts = []
        special: set[int] = set()
        for k, key in enumerate(keys):
            name = _ENCODE(key).replace("%", "%%")
            try:
                text = "".join(columns[k])  # raises unless every cell is a string
            except TypeError:
                if set(map(type, columns[k])) != {int}:
                    return json.dumps(
                        [dict(zip(keys, row, strict=True)) for row in cells],
                        default=json_value,
                        ensure_ascii=False,
                    )[1:-1]
                parts.append(f"{name}: %d")
                continue
            parts.append(f'{name}: "%s"')
            if _NEEDS_ESCAPE.search(text) is not None:
                special.update(compress(count(), map(_NEEDS_ESCAPE.search, columns[k])))
        template = "{" + ", ".join(parts) + "}"
        rows = [template % row for row in cells]
        for n in special:
            rows[n] = json.dumps(dict(zip(keys, cells[n], strict=True)), ensure_ascii=False)
        return ", ".join(rows)


#: Rows per chunk of :meth:`Rows.write_json`.
CHUNK = 8192


def json_value(value: Any) -> Any:
    """``json.dumps``'s ``default``: money and dates as strings, sets as lists, :class:`Rows` as
    lists of dicts."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    if isinstance(value, Rows):
        return list(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def write_json(document: Any, out: TextIO, *, pretty: bool = False) -> None:
    """``document`` as JSON and a newline: indented for people (``pretty``), else compact.

    Compact output is what ``json.dumps`` writes; a top-level dict's :class:`Rows` values are
    written by :meth:`Rows.write_json` (no dict per row).
    """
    if (
        pretty
        or not isinstance(document, dict)
        or not any(isinstance(v, Rows) for v in document.values())
    ):
        out.write(
            json.dumps(
                document, default=json_value, ensure_ascii=False, indent=2 if pretty else None
            )
        )
        out.write("\n")
        return
    out.write("{")
    for n, (key, value) in enumerate(document.items()):
        if n:
            out.write(", ")
        out.write(json.dumps(key, ensure_ascii=False))
        out.write(": ")
        if isinstance(value, Rows):
            value.write_json(out)
        else:
            out.write(json.dumps(value, default=json_value, ensure_ascii=False))
    out.write("}\n")

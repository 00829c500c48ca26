"""What a set of files looks like: columns per file, statuses, and the value formats — the
shape a preset or a ``--map FILE`` describes, merged with ``[sources.csv]``.

A preset is a TOML file (see docs/importing.md)::

    name = "stripe"
    title = "Stripe — Invoices export"
    layout = "invoice-list"          # one file of invoices with paid/balance columns
    sources = ["https://..."]        # where the column names come from
    cannot_know = ["..."]            # what the export does not say
    [settings]                       # any [sources.csv] value option
    date_order = "mdy"
    [columns.invoices]               # collectctl column = header, or a list of headers
    id = ["id", "Invoice ID"]
    [status]                         # the tool's status -> open|paid|draft|void|write_off|ignore
    draft = "draft"

This module is plain data handling: it never reads a CSV file.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError

#: How an invoice-list row's status is treated.
STATUS_KINDS = ("open", "paid", "draft", "void", "write_off", "ignore")
LAYOUTS = ("three-files", "invoice-list")
#: Columns of a one-file invoice list (``invoices`` in a preset).
LIST_COLUMNS: tuple[str, ...] = (
    *("id", "number", "customer_id", "customer", "email", "phone", "address"),
    *("issue_date", "due_date", "currency", "amount", "paid", "balance", "credited"),
    *("written_off", "paid_date", "status", "description"),
)
#: Required columns of a one-file invoice list; ``a|b`` means either.
LIST_REQUIRED: tuple[str, ...] = ("id|number", "customer_id|customer", "issue_date", "amount")
#: Keys a preset's ``[settings]`` may hold (the value options of ``[sources.csv]``).
SETTING_KEYS = (
    *("date_format", "date_order", "decimal_separator", "thousands_separator"),
    *("strip_currency", "encoding", "delimiter", "quote", "report_rows", "line_items"),
)
_TOP_KEYS = {"name", "title", "layout", "sources", "cannot_know", "settings", "columns", "status"}
_FILES = ("customers", "invoices", "payments")


@dataclass(frozen=True)
class Layout:
    """A preset or mapping, parsed and checked.

    :param columns: file stem (``invoices``) -> collectctl column -> headers, in order of
        preference.
    :param status: a status as written (:func:`~collectctl_csv.table.normalize`-d) -> kind.
    :param settings: value options (``date_order`` ...), below ``[sources.csv]`` in precedence.
    :param report_rows: skip title lines above the header and "Total" rows (report exports).
    """

    name: str
    title: str = ""
    layout: str = "three-files"
    sources: tuple[str, ...] = ()
    cannot_know: tuple[str, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)
    columns: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    status: Mapping[str, str] = field(default_factory=dict)
    origin: str = ""

    @property
    def one_file(self) -> bool:
        """True for an invoice list (one file, amounts paid or due per invoice)."""
        return self.layout == "invoice-list"

    def aliases(self, stem: str) -> dict[str, str]:
        """Normalized header -> collectctl column, for the file ``stem``."""
        from collectctl_csv.table import normalize

        found: dict[str, str] = {}
        for column, headers in self.columns.get(stem, {}).items():
            for h in headers:
                found.setdefault(normalize(h), column)
        return found

    def overlay(self, other: Layout) -> Layout:
        """This layout with ``other``'s columns, statuses and settings on top."""
        columns = {k: dict(v) for k, v in self.columns.items()}
        for stem, cols in other.columns.items():
            columns.setdefault(stem, {}).update(cols)
        return Layout(
            name=other.name or self.name,
            title=other.title or self.title,
            layout=other.layout if other.layout != "three-files" else self.layout,
            sources=self.sources + other.sources,
            cannot_know=self.cannot_know + other.cannot_know,
            settings={**self.settings, **other.settings},
            columns=columns,
            status={**self.status, **other.status},
            origin=", ".join(o for o in (self.origin, other.origin) if o),
        )


def load_file(path: Path) -> Layout:
    """Read a preset or mapping TOML file; :class:`ConfigError` says what is wrong in it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read mapping file {path}: {exc.strerror or exc}") from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    return parse(data, origin=str(path), default_name=path.stem)


def parse(data: Mapping[str, Any], *, origin: str, default_name: str = "") -> Layout:
    """Check a preset's or mapping's parsed TOML and build the :class:`Layout`."""
    from collectctl_csv.table import normalize

    unknown = sorted(set(data) - _TOP_KEYS)
    if unknown:
        raise ConfigError(
            f"{origin}: unknown key(s) {', '.join(unknown)}",
            hint=f"A mapping holds {', '.join(sorted(_TOP_KEYS))}.",
        )
    layout = data.get("layout", "three-files")
    if layout not in LAYOUTS:
        raise ConfigError(f"{origin}: layout must be one of {', '.join(LAYOUTS)}, not {layout!r}")
    columns: dict[str, dict[str, tuple[str, ...]]] = {}
    for stem, table in dict(data.get("columns") or {}).items():
        columns[stem] = _columns(origin, stem, table, layout)
    settings = dict(data.get("settings") or {})
    bad = sorted(set(settings) - set(SETTING_KEYS))
    if bad:
        raise ConfigError(
            f"{origin}: unknown [settings] key(s) {', '.join(bad)}",
            hint=f"Settings are {', '.join(SETTING_KEYS)}.",
        )
    status: dict[str, str] = {}
    for raw, kind in dict(data.get("status") or {}).items():
        if kind not in STATUS_KINDS:
            raise ConfigError(
                f"{origin}: [status] {raw!r} = {kind!r}: a status maps to one of "
                f"{', '.join(STATUS_KINDS)}"
            )
        status[normalize(str(raw))] = kind
    return Layout(
        name=str(data.get("name") or default_name),
        title=str(data.get("title") or ""),
        layout=layout,
        sources=tuple(str(s) for s in data.get("sources") or ()),
        cannot_know=tuple(str(s) for s in data.get("cannot_know") or ()),
        settings=settings,
        columns=columns,
        status=status,
        origin=origin,
    )


def _columns(origin: str, stem: str, table: Any, layout: str) -> dict[str, tuple[str, ...]]:
    from collectctl_csv.reader import COLUMNS

    if stem not in _FILES or not isinstance(table, Mapping):
        raise ConfigError(
            f"{origin}: [columns.{stem}] is not a file collectctl reads",
            hint="Map columns under [columns.customers], [columns.invoices] or [columns.payments].",
        )
    known = LIST_COLUMNS if layout == "invoice-list" and stem == "invoices" else None
    known = known or COLUMNS[f"{stem}.csv"]
    out: dict[str, tuple[str, ...]] = {}
    for column, headers in table.items():
        if column not in known:
            import difflib

            close = difflib.get_close_matches(column, known, n=1)
            mean = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(
                f"{origin}: [columns.{stem}] {column!r} is not a collectctl column{mean}",
                hint=f"Columns of {stem}: {', '.join(known)}.",
            )
        if isinstance(headers, str):
            headers = [headers]
        if not isinstance(headers, list) or not all(isinstance(h, str) for h in headers):
            raise ConfigError(
                f"{origin}: [columns.{stem}] {column} must be a header name or a list of them"
            )
        out[column] = tuple(headers)
    return out


def from_config(table: Mapping[str, Any]) -> Layout | None:
    """The layout ``[sources.csv.columns]`` / ``[sources.csv.status]`` describe, if any."""
    if not table.get("columns") and not table.get("status") and not table.get("layout"):
        return None
    data = {k: table[k] for k in ("columns", "status", "layout") if table.get(k)}
    return parse(data, origin="config.toml [sources.csv]", default_name="config")

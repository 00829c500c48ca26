"""Reading other tools' exports: a mapped three-file directory, or a one-file invoice list.

Only used with a preset, a mapping or a non-native dialect, so collectctl's own format keeps its
fast path in :mod:`collectctl_csv.reader`. ``--explain`` is answered here too: what was detected
and mapped is printed, with the first records, and the command stops before anything is written.
"""

from __future__ import annotations

import pathlib
from collections.abc import Iterator

import click

from collectctl.errors import SourceError
from collectctl.records import Cursor, Problem, Record, SourceBatch, SyncRequest
from collectctl_csv.dialect import detect
from collectctl_csv.formats import Values
from collectctl_csv.invoice_list import InvoiceList
from collectctl_csv.layout import LIST_COLUMNS, LIST_REQUIRED, Layout
from collectctl_csv.options import CsvOptions
from collectctl_csv.reader import COLUMNS, FILES, REQUIRED, check_directory, read_directory
from collectctl_csv.table import Progress, Table

#: Records shown by ``--explain``.
EXPLAIN_RECORDS = 5


def _hint(stem: str) -> str:
    return (
        f"map it under [sources.csv.columns.{stem}] in config.toml or [columns.{stem}] in a "
        "--map file"
    )


def _table(
    path: pathlib.Path, stem: str, opts: CsvOptions, counter: Progress, one_file: bool
) -> Table:
    layout = opts.layout
    columns = LIST_COLUMNS if one_file else COLUMNS[f"{stem}.csv"]
    required = LIST_REQUIRED if one_file else REQUIRED[f"{stem}.csv"]
    return Table(
        path,
        columns,
        required,
        counter,
        aliases=layout.aliases(stem) if layout else None,
        dialect=detect(path, opts.encoding, opts.delimiter, opts.quote),
        find_header=bool(layout and layout.settings.get("report_rows")),
        mapping_hint=_hint(stem),
    )


def list_file(path: pathlib.Path) -> pathlib.Path:
    """The invoice list to read: ``path`` itself, its ``invoices.csv``, or its only other CSV."""
    if path.is_file():
        return path
    if not path.is_dir():
        raise SourceError(f"{path} does not exist", hint="Give the export file or its directory.")
    if (path / "invoices.csv").is_file():
        return path / "invoices.csv"
    found = [
        p
        for p in sorted(path.iterdir())
        if p.suffix.lower() in (".csv", ".txt", ".tsv")
        and p.name not in ("customers.csv", "payments.csv")
    ]
    if len(found) != 1:
        names = ", ".join(p.name for p in found) or "none"
        raise SourceError(
            f"{path} must hold one invoice list (invoices.csv or a single .csv file); "
            f"found: {names}",
            hint="Give the export file itself: collectctl sync csv FILE --preset NAME.",
        )
    return found[0]


def read_invoice_list(path: pathlib.Path, opts: CsvOptions, request: SyncRequest) -> SourceBatch:
    """A batch from a one-file invoice list (with ``customers.csv`` beside it if there is one)."""
    from collectctl_csv.plugin import fingerprint
    from collectctl_csv.reader import _customers

    layout = opts.layout
    assert layout is not None
    source = list_file(path)
    directory = source.parent
    customers = directory / "customers.csv"
    has_customers = customers.is_file() and customers != source
    values = Values(opts.settings)
    converter = InvoiceList(layout, values, derive_customers=not has_customers)
    files = [source] + ([customers] if has_customers else [])
    stamp = fingerprint(source, request, files=files, extra=layout)
    description = f"{layout.title or layout.name}: {source}"
    if opts.explain:
        _explain(
            opts,
            [(f, "customers" if f == customers else "invoices") for f in files],
            values,
            converter,
        )
    if request.cursor == stamp and not opts.full:
        return SourceBatch(
            complete=False,
            records=iter([Cursor(stamp)]),
            description=f"{description} (unchanged since the last sync)",
        )
    batch = SourceBatch(complete=True, records=(), description=description)

    def records() -> Iterator[Record]:
        counter = Progress(request.progress)
        if has_customers:
            with _table(customers, "customers", opts, counter, one_file=False) as table:
                yield from table.problems or _customers(table, values)
        with _table(source, "invoices", opts, counter, one_file=True) as table:
            if table.problems:
                yield from table.problems
            else:
                yield from converter.records(table)
        if request.progress is not None:
            request.progress(counter.rows)
        batch.approximate_payment_dates = converter.approximate
        yield Cursor(stamp)

    batch.records = records()
    return batch


def read_mapped_directory(
    directory: pathlib.Path, opts: CsvOptions, request: SyncRequest
) -> SourceBatch:
    """A batch from collectctl's three files written with other headers or another dialect."""
    from collectctl_csv.plugin import fingerprint

    check_directory(directory)
    values = Values(opts.settings)
    if opts.explain:
        _explain(opts, [(directory / n, n[:-4]) for n in FILES], values, None)
    stamp = fingerprint(directory, request, extra=opts.layout)
    if request.cursor == stamp and not opts.full:
        return SourceBatch(
            complete=False,
            records=iter([Cursor(stamp)]),
            description=f"CSV directory {directory} (unchanged since the last sync)",
        )

    def open_table(name: str, counter: Progress) -> Table:
        return _table(directory / name, name[:-4], opts, counter, one_file=False)

    def records() -> Iterator[Record]:
        yield from read_directory(directory, opts.settings, request.progress, open_table)
        yield Cursor(stamp)

    return SourceBatch(
        complete=True,
        records=records(),
        description=f"CSV directory {directory}",
        approximate_payment_dates=False,
    )


def _explain(
    opts: CsvOptions,
    files: list[tuple[pathlib.Path, str]],
    values: Values,
    converter: InvoiceList | None,
) -> None:
    """Print what was detected and mapped, and the first records; then stop (nothing written)."""
    from collectctl_csv.reader import _allocations, _customers, _invoices

    layout: Layout | None = opts.layout
    out = ["collectctl sync csv --explain (nothing is read into the ledger)"]
    if layout is not None:
        out.append(f"mapping: {layout.name}" + (f" — {layout.title}" if layout.title else ""))
        for s in layout.sources:
            out.append(f"  source: {s}")
        out.append(f"  layout: {layout.layout}")
    st = opts.settings
    if st.date_format:
        out.append(f"dates: date_format {st.date_format!r}")
    elif st.flexible_dates:
        order = {"dmy": "day first (31/12/2026)", "mdy": "month first (12/31/2026)"}
        out.append(
            "dates: ISO, date-times, month names, Excel serials; day/month order "
            + order.get(
                st.date_order or "", "not set (an ambiguous date such as 03/04/2026 is an error)"
            )
        )
    else:
        out.append("dates: YYYY-MM-DD")
    thou = {None: "none", " ": "space"}.get(st.thousands_separator, repr(st.thousands_separator))
    out.append(
        f"amounts: decimal separator {st.decimal_separator!r}, thousands separator {thou}, "
        + ("currency symbols and codes dropped" if st.strip_currency else "no currency symbols")
    )
    failed = False
    for path, stem in files:
        one_file = converter is not None and stem == "invoices"
        counter = Progress(None)
        table = _table(path, stem, opts, counter, one_file)
        with table:
            out.append(f"file: {path}")
            out.append(f"  {table.dialect.describe() if table.dialect else 'UTF-8'}")
            out.append(f"  header: line {table.header_line}")
            for column in table.columns:
                if column in table.mapped:
                    out.append(f"    {column:<12} <- {table.mapped[column]!r}")
            used = set(table.mapped.values())
            ignored = [h.strip() for h in table._header if h.strip() and h.strip() not in used]
            if ignored:
                out.append(f"  ignored columns: {', '.join(repr(h) for h in ignored)}")
            for p in table.problems:
                failed = True
                out.append(f"  problem: {p.origin}: {p.message}")
            if table.problems:
                continue
            if one_file:
                assert converter is not None
                gen: Iterator[Record] = converter.records(table)
                if "paid_date" not in table.mapped:
                    out.append(
                        "  payment dates: none in this export — payments are dated on the issue "
                        "date (aging today is exact; aging as of a past date is approximate)"
                    )
            else:
                convert = {
                    "customers": _customers,
                    "invoices": _invoices,
                    "payments": _allocations,
                }[stem]
                gen = convert(table, values)
            out.append("  first records:")
            for i, rec in enumerate(gen):
                if i >= EXPLAIN_RECORDS:
                    break
                if isinstance(rec, Problem):
                    failed = True
                out.append(f"    {_show(rec)}")
    click.echo("\n".join(out))
    raise SystemExit(1 if failed else 0)  # not an Exception: the sync stops before staging


def _show(rec: Record) -> str:
    if isinstance(rec, Problem):
        where = f" [{rec.column}]" if rec.column else ""
        return f"problem {rec.origin}{where}: {rec.message}"
    fields = {k: getattr(rec, k) for k in getattr(rec, "__dataclass_fields__", {}) if k != "origin"}
    shown = ", ".join(f"{k}={v}" for k, v in fields.items() if v not in (None, False, ""))
    return f"{type(rec).__name__.lower()}: {shown}"

"""A re-sync of a changed CSV directory as an incremental batch: only the rows that matter.

:func:`plan` reads the three files once, compares each row with the state of the last sync
(:mod:`collectctl_csv.rowstate`) and returns the records of an incremental batch that leaves the
ledger exactly as a full read would:

- every row whose digest is new (changed or added), turned into records by the reader's own
  converters (so its row-level problems are the reader's);
- a :class:`~collectctl.records.Deletion` per customer, invoice or payment id no row holds any
  more;
- the unchanged rows whose meaning depends on a changed row: every invoice and payment row of a
  customer whose currency or terms changed (or that was added or removed: defaults and
  references), every payment row naming a changed or removed invoice (its currency, owner and
  open amount), and every row of a payment any of whose rows changed (an incremental batch
  replaces all of a payment's rows, so each is given, in file order).

It returns ``None`` (read everything) whenever the comparison cannot be trusted: a header or the
settings differ, a row is one the reader reports, two rows are the same row or share an id, or
a file changed while it was read.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from pathlib import Path

from collectctl.records import Record
from collectctl_csv.formats import Settings, Values
from collectctl_csv.reader import COLUMNS, FILES, REQUIRED, _allocations, _customers, _invoices
from collectctl_csv.rowstate import (
    _CHUNK,
    _SEP,
    _SIZE,
    FileRows,
    Item,
    Recorder,
    Unusable,
    View,
    deletion,
    row_digest,
)
from collectctl_csv.table import Progress, Table


def plan(
    directory: Path,
    settings: Settings | None,
    previous: dict[str, FileRows],
    recorder: Recorder,
    progress: Progress,
) -> list[Record] | None:
    """The records of an incremental batch equivalent to a full read, or ``None`` (see the
    module docstring). Records every row in ``recorder`` on the way."""
    try:
        return _plan(directory, settings, previous, recorder, progress)
    except (Unusable, ValueError, TypeError, EOFError):  # ValueError: a damaged state
        return None


_BOM = b"\xef\xbb\xbf"


class _Scan:
    """One file read as :class:`Table` reads it (same line splitting, strict UTF-8 and CSV,
    padding) but without its per-row checks, which the comparison does not need: anything a
    :class:`Table` would report raises :class:`Unusable` instead (a full read reports it).

    :attr:`column` and :attr:`name` are the table's; iterating yields ``(line, fields)`` for
    each non-blank row, with ``fields`` exactly as :meth:`Table.rows` gives them, and keeps
    :attr:`text` and :attr:`digest` of the current row (:func:`row_digest`).
    """

    def __init__(self, directory: Path, name: str, previous: FileRows, progress: Progress):
        path = directory / name
        if not path.is_file():
            raise Unusable(name)
        with Table(path, COLUMNS[name], REQUIRED[name], Progress(None)) as table:
            if table.problems or table.header != previous.header:
                raise Unusable(name)
            self.name = table.name
            self.column = table.column
            self.width = len(table.header)
        self.path = path
        self.progress = progress

    def __iter__(self) -> Iterator[tuple[int, list[str], bytes, str]]:
        width = self.width
        sep = _SEP
        b2 = hashlib.blake2b
        size = _SIZE
        try:
            with self.path.open("rb") as fh:
                if fh.read(3) != _BOM:
                    fh.seek(0)
                reader = csv.reader(map(bytes.decode, fh), strict=True)
                next(reader, None)  # the header, checked when opened
                end = reader.line_num
                rows = 0
                for fields in reader:
                    line = end + 1
                    end = reader.line_num
                    if not fields:
                        continue
                    n = len(fields)
                    if n == width:
                        fields.append("")
                    elif n < width:
                        fields.extend([""] * (width + 1 - n))
                    elif "".join(fields[width:]).strip():
                        raise Unusable(f"{self.name}:{line}: too many values")
                    else:
                        del fields[width:]
                        fields.append("")
                    text = sep.join(fields)  # row_digest, inlined (a million rows)
                    if not text.strip():
                        continue
                    if text.count(sep) == width:
                        d = b2(text.encode("utf-8", "surrogatepass"), digest_size=size).digest()
                    else:
                        text, d = row_digest(fields)
                    rows += 1
                    yield line, fields, d, text
                self.progress.add(rows)
        except (csv.Error, UnicodeDecodeError, OSError) as exc:
            raise Unusable(f"{self.name}: {exc}") from exc


def _check_ids(changed: list[str], removed: dict[str, str], old: FileRows) -> None:
    """Raise Unusable when a changed row's id is another row's: duplicates (a full read
    reports them) or an id that moved between rows."""
    if len(set(changed)) != len(changed):
        raise Unusable("duplicate id")
    added = [k for k in changed if k not in removed]
    if added:
        known = set(old.keys)
        if any(k in known for k in added):
            raise Unusable("an id of an unchanged row")


def _removed(old: FileRows, gone: set[bytes]) -> dict[str, str]:
    """id -> dependency text of the old rows whose digests are ``gone``."""
    deps = old.deps
    return {old.keys[i]: (deps[i] if deps is not None else "") for i in old.indexes_of(gone)}


def _plan(
    directory: Path,
    settings: Settings | None,
    previous: dict[str, FileRows],
    recorder: Recorder,
    progress: Progress,
) -> list[Record]:
    values = Values(settings or Settings())
    records: list[Record] = []
    deletions: list[Record] = []
    if set(previous) != set(FILES):
        raise Unusable("the state's files")

    # -- customers ------------------------------------------------------------------------
    name = FILES[0]
    old = previous[name]
    old_set = old.digest_set()
    if old_set is None:
        raise Unusable(name)
    scan = _Scan(directory, name, old, progress)
    col = scan.column
    i_id, i_cur, i_terms = col("id"), col("currency"), col("terms_days")
    rec = recorder.file(name, old.header)
    rec.deps = []
    kept: list[Item] = []
    changed: dict[str, str] = {}
    for line, f, d, _text in scan:
        key = f[i_id].strip()
        dep = f[i_cur].strip() + "\x1f" + f[i_terms].strip()
        rec.digests += d
        rec.keys.append(key)
        rec.deps.append(dep)
        if d in old_set:
            old_set.discard(d)
        else:
            kept.append((line, f))
            if key in changed:
                raise Unusable("duplicate customer id")
            changed[key] = dep
    rec.done()
    removed = _removed(old, old_set)
    _check_ids(list(changed), removed, old)
    old.release()
    deletions += [deletion("customer", k) for k in removed if k not in changed]
    # Customers whose rows the others take defaults from, or that came or went.
    dirty_customers = {k for k, dep in removed.items() if changed.get(k) != dep}
    dirty_customers |= {k for k in changed if k not in removed}
    records += _customers(View(scan, kept), values)  # type: ignore[arg-type]

    # -- invoices -------------------------------------------------------------------------
    name = FILES[1]
    old = previous[name]
    old_set = old.digest_set()
    if old_set is None:
        raise Unusable(name)
    scan = _Scan(directory, name, old, progress)
    col = scan.column
    i_id, i_cust = col("id"), col("customer_id")
    rec = recorder.file(name, old.header)
    kept = []
    changed_ids: list[str] = []
    digests = rec.digests
    keys = rec.keys
    chunk = _CHUNK
    for line, f, d, _text in scan:
        key = f[i_id].strip()
        digests += d
        keys.append(key)
        if len(keys) >= chunk:
            rec.pack()
        if d in old_set:
            old_set.discard(d)
            if dirty_customers and f[i_cust].strip() in dirty_customers:
                kept.append((line, f))
        else:
            kept.append((line, f))
            changed_ids.append(key)
    rec.done()
    removed = _removed(old, old_set)
    _check_ids(changed_ids, removed, old)
    old.release()
    changed_set = set(changed_ids)
    deletions += [deletion("invoice", k) for k in removed if k not in changed_set]
    dirty_invoices = changed_set | set(removed)
    records += _invoices(View(scan, kept), values)  # type: ignore[arg-type]

    # -- payments -------------------------------------------------------------------------
    name = FILES[2]
    old = previous[name]
    old_set = old.digest_set()
    if old_set is None:
        raise Unusable(name)
    scan = _Scan(directory, name, old, progress)
    col = scan.column
    i_id, i_cust, i_inv = col("id"), col("customer_id"), col("invoice_id")
    rec = recorder.file(name, old.header)
    digests = rec.digests
    keys = rec.keys
    # Rows of one payment are usually next to each other: the unkept rows of the current run
    # of one payment id are held until the run ends, in case a later row of it is kept.
    run_pid: str | None = None
    run: list[tuple[int, list[str], bytes, str]] = []
    run_kept = False
    kept_rows: list[tuple[int, list[str], bytes, str]] = []
    add_kept = kept_rows.append
    for row in scan:
        f = row[1]
        d = row[2]
        pid = f[i_id].strip()
        digests += d
        keys.append(pid)
        if len(keys) >= chunk:
            rec.pack()
        if pid != run_pid:
            run_pid = pid
            run_kept = False
            if run:
                run.clear()
        if d in old_set:
            old_set.discard(d)
            if run_kept or (
                (dirty_customers and f[i_cust].strip() in dirty_customers)
                or f[i_inv].strip() in dirty_invoices
            ):
                if run:
                    kept_rows += run
                    run.clear()
                run_kept = True
                add_kept(row)
            else:
                run.append(row)
        else:
            if run:
                kept_rows += run
                run.clear()
            run_kept = True
            add_kept(row)
    kept = [(row[0], row[1]) for row in kept_rows]
    kept_digests = {row[2] for row in kept_rows}
    del kept_rows
    rec.done()
    gone = old_set
    dirty_pids = {f[i_id].strip() for _line, f in kept}
    blob = old.digests
    old_keys = old.keys
    dirty_pids |= {old_keys[i] for i in old.indexes_of(gone)}
    # Every row of a payment in the batch must be in it: an unchanged row of such a payment
    # that was not kept (not next to a kept row of it) means reading the file again.
    missing = any(
        blob[i * 16 : i * 16 + 16] not in kept_digests and blob[i * 16 : i * 16 + 16] not in gone
        for i, k in enumerate(old_keys)
        if k in dirty_pids
    )
    old.release()
    del old_set, gone, kept_digests
    if missing:
        kept = _rows_of(scan, dirty_pids, recorder.files[name]["digests"])
    kept_pids = {f[i_id].strip() for _line, f in kept}
    deletions += [deletion("payment", k) for k in sorted(dirty_pids - kept_pids)]
    records += _allocations(View(scan, kept), values)  # type: ignore[arg-type]
    return records + deletions


def _rows_of(scan: _Scan, pids: set[str], digests: bytes) -> list[Item]:
    """Every row of the scanned file whose payment id is in ``pids``, in file order (the file
    read again must be the one whose row ``digests`` were recorded)."""
    i_id = scan.column("id")
    kept: list[Item] = []
    seen = bytearray()
    scan.progress = Progress(None)
    for line, f, d, _text in scan:
        seen += d
        if f[i_id].strip() in pids:
            kept.append((line, f))
    if seen != digests:
        raise Unusable(f"{scan.name} changed while it was read")
    return kept

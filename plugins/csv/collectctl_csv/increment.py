"""A re-sync of a changed CSV directory as an incremental batch: only the rows that matter.

:func:`plan` compares each file with the state of the last sync (:mod:`collectctl_csv.rowstate`)
and returns the records of an incremental batch that leaves the ledger exactly as a full read
would. A file is compared block by block first: a block whose raw bytes have the digest the
state holds is the same rows as before and is not parsed; only the stretches between unchanged
blocks are parsed, and their rows' digests compared with the rows the state held there. The
batch holds:

- every row whose digest is new (changed or added), turned into records by the reader's own
  converters (so its row-level problems are the reader's);
- a :class:`~collectctl.records.Deletion` per customer, invoice or payment id no row holds any
  more;
- the unchanged rows whose meaning depends on a changed row: every invoice and payment row of a
  customer whose currency or terms changed (or that was added or removed: defaults and
  references), every payment row naming a changed or removed invoice (its currency, owner and
  open amount), and every row of a payment any of whose rows changed (an incremental batch
  replaces all of a payment's rows, so each is given, in file order). The state keeps those
  columns per row, so the blocks holding such rows are found without parsing the others.

It returns ``None`` (read everything) whenever the comparison cannot be trusted: a header, the
bytes before the first row or the settings differ, a row is one the reader reports, two rows are
the same row or share an id, or an id moved to another row.
"""

from __future__ import annotations

import csv
import hashlib
import io
from array import array
from itertools import accumulate
from pathlib import Path

from collectctl.gc_pause import gc_paused
from collectctl.records import Record
from collectctl_csv.formats import Settings, Values
from collectctl_csv.reader import COLUMNS, FILES, REQUIRED, _allocations, _customers, _invoices
from collectctl_csv.rowstate import (
    _RS,
    _SEP,
    _SIZE,
    ANCHOR,
    BLOCK_DIGEST,
    BLOCK_ROWS,
    STATE_COLUMNS,
    FileRows,
    Item,
    Recorder,
    Unusable,
    View,
    deletion,
    join_values,
    row_digest,
    starts_of,
)
from collectctl_csv.table import Progress, Table, fit_width

#: Blocks looked at, past one that differs, for the next unchanged one (then the rest of the
#: file is parsed).
LOOKAHEAD = 16

#: A parsed row: ``(line, fields, digest)``.
Row = tuple[int, list[str], bytes]


def plan(
    directory: Path,
    settings: Settings | None,
    previous: dict[str, FileRows],
    recorder: Recorder,
    progress: Progress,
) -> list[Record] | None:
    """The records of an incremental batch equivalent to a full read, or ``None`` (see the
    module docstring). Keeps the new state of every file in ``recorder`` on the way, and takes
    each file's old state out of ``previous`` once compared (memory)."""
    try:
        with gc_paused():  # many small lists that make no cycles (as the full reader makes)
            return _plan(directory, settings, previous, recorder, progress)
    except (Unusable, ValueError, TypeError, EOFError):  # ValueError: a damaged state
        return None


class _File:
    """One file of the directory compared with its state (:class:`FileRows`).

    After construction: :attr:`changed` holds ``(row index, item)`` of every parsed row whose
    digest the state did not hold where it stands, :attr:`removed` the state's values
    (:data:`STATE_COLUMNS`) of every row gone, and :attr:`new` the file's new state. The file is
    read as :class:`Table` reads it (same line splitting, strict UTF-8 and CSV, padding) but
    without its per-row checks: anything a :class:`Table` would report raises :class:`Unusable`
    (a full read reports it).
    """

    def __init__(self, directory: Path, name: str, old: FileRows, progress: Progress) -> None:
        path = directory / name
        if not path.is_file():
            raise Unusable(name)
        with Table(path, COLUMNS[name], REQUIRED[name], Progress(None)) as table:
            if table.problems or table.header != old.header:
                raise Unusable(name)
            self.name = table.name
            self.column = table.column
            self.width = len(table.header)
        try:
            self.data = path.read_bytes()
        except OSError as exc:
            raise Unusable(f"{name}: {exc}") from exc
        self.old = old
        self.columns = STATE_COLUMNS[name]
        self.indexes = [self.column(c) for c in self.columns]
        self.changed: list[tuple[int, Item]] = []
        self.removed: dict[str, list[str]] = {c: [] for c in self.columns}
        self.parsed = 0  # blocks parsed (regions and rows fetched)
        self.new = self._compare()
        new = self.new
        self.offsets = starts_of(new.sizes, new.prefix_size)
        self.first_lines = starts_of(new.lines, new.prefix_lines + 1)
        self.first_rows = starts_of(new.counts, 0)
        progress.add(new.rows)

    # -- matching ---------------------------------------------------------------------------

    def _same(self, block: int, at: int) -> bool:
        """True when old ``block`` is what the file holds at byte ``at``."""
        end = at + self.old.sizes[block]
        data = self.data
        return (
            end <= len(data)
            and (end == len(data) or data[end - 1] == 10)
            and hashlib.sha1(self._view[at:end]).digest()
            == self.old.bdigests[block * BLOCK_DIGEST : (block + 1) * BLOCK_DIGEST]
        )

    def _segments(self) -> list[tuple[bool, int, int, int, int]]:
        """``(same, first old block, end old block, first byte, end byte)`` per stretch of the
        file: runs of unchanged blocks (``same``) and the parts that differ, with the old blocks
        they replace."""
        old = self.old
        data = self.data
        n = len(data)
        start = old.prefix_size
        if (
            start > n
            or hashlib.sha1(self._view[:start]).digest() != old.prefix_digest
            or (start < n and data[start - 1] != 10)
        ):
            raise Unusable(f"{self.name}: the bytes before the first row")
        sizes = old.sizes
        blocks = old.blocks
        digests = old.bdigests
        width = BLOCK_DIGEST
        view = self._view
        sha1 = hashlib.sha1
        segments: list[tuple[bool, int, int, int, int]] = []
        run_block, run_at = 0, start
        i, at = 0, start
        while i < blocks:
            end = at + sizes[i]
            if (
                end <= n
                and (end == n or data[end - 1] == 10)
                and sha1(view[at:end]).digest() == digests[i * width : i * width + width]
            ):
                i, at = i + 1, end
                continue
            if run_block < i:
                segments.append((True, run_block, i, run_at, at))
            j, found = self._next_same(i, at)
            segments.append((False, i, j, at, found))
            i, at = j, found
            run_block, run_at = i, at
        if run_block < i:
            segments.append((True, run_block, i, run_at, at))
        if at < n:
            segments.append((False, blocks, blocks, at, n))
        return segments

    def _next_same(self, i: int, at: int) -> tuple[int, int]:
        """The first old block past ``i`` found unchanged at or after byte ``at`` (near where
        it stood: found by its anchor, then checked whole), and where; else the end of both."""
        old = self.old
        data = self.data
        n = len(data)
        offsets = self._old_offsets
        for j in range(i + 1, min(old.blocks, i + 1 + LOOKAHEAD)):
            anchor = b"\n" + old.anchor(j)
            limit = min(n, at + 2 * (offsets[j] - offsets[i]) + 65_536) + len(anchor)
            pos = data.find(anchor, at - 1, limit)
            while pos >= 0:
                if self._same(j, pos + 1):
                    return j, pos + 1
                pos = data.find(anchor, pos + 1, limit)
        return old.blocks, n

    # -- parsing ----------------------------------------------------------------------------

    def _parse(self, at: int, end: int, first_line: int) -> tuple[list[Row], list[int], int]:
        """The rows of bytes ``at:end`` (which start a record), the byte offset (from ``at``)
        where each starts, and how many lines the bytes hold."""
        lines = list(io.BytesIO(self.data[at:end]))
        starts = list(accumulate(map(len, lines), initial=0))
        width = self.width
        sep = _SEP
        b2 = hashlib.blake2b
        size = _SIZE
        rows: list[Row] = []
        offsets: list[int] = []
        try:
            reader = csv.reader(map(bytes.decode, lines), strict=True)
            last = 0
            for fields in reader:
                line = last + 1
                last = reader.line_num
                if not fields:
                    continue
                if len(fields) == width:
                    fields.append("")
                elif not fit_width(fields, width):
                    raise Unusable(f"{self.name}:{first_line + line - 1}: too many values")
                text = sep.join(fields)  # row_digest, inlined
                if not text.strip():
                    continue
                if text.count(sep) == width:
                    d = b2(text.encode("utf-8", "surrogatepass"), digest_size=size).digest()
                else:
                    text, d = row_digest(fields)
                rows.append((first_line + line - 1, fields, d))
                offsets.append(starts[line - 1])
        except (csv.Error, UnicodeDecodeError) as exc:
            raise Unusable(f"{self.name}: {exc}") from exc
        return rows, offsets, len(lines)

    def _compare(self) -> FileRows:
        old = self.old
        self._view = memoryview(self.data)
        self._old_offsets = starts_of(old.sizes, old.prefix_size)
        old_rows = starts_of(old.counts, 0)
        old_digests = old.digests
        sizes, lines, counts = array("I"), array("I"), array("I")
        bdigests, anchors, digests = bytearray(), bytearray(), bytearray()
        cols: dict[str, list[str]] = {c: [] for c in self.columns}
        line = old.prefix_lines + 1
        rows = 0
        for same, i, j, at, end in self._segments():
            if same:
                sizes += old.sizes[i:j]
                lines += old.lines[i:j]
                counts += old.counts[i:j]
                bdigests += old.bdigests[i * BLOCK_DIGEST : j * BLOCK_DIGEST]
                anchors += old.anchors[i * ANCHOR : j * ANCHOR]
                digests += old_digests[old_rows[i] * _SIZE : old_rows[j] * _SIZE]
                for c in self.columns:
                    cols[c] += old.cols[c][i:j]
                line += sum(old.lines[i:j])
                rows += old_rows[j] - old_rows[i]
                continue
            found, offsets, nlines = self._parse(at, end, line)
            # The rows the state held in these blocks, against the rows there now.
            a, b = old_rows[i], old_rows[j]
            before = {old_digests[k * _SIZE : (k + 1) * _SIZE] for k in range(a, b)}
            now = {r[2] for r in found}
            if len(before) != b - a or len(now) != len(found):
                raise Unusable(f"{self.name}: two rows are the same")
            self.changed += [
                (rows + k, (r[0], r[1])) for k, r in enumerate(found) if r[2] not in before
            ]
            gone = [
                k - a for k in range(a, b) if old_digests[k * _SIZE : (k + 1) * _SIZE] not in now
            ]
            if gone:
                for c in self.columns:
                    values = old.values(c, i, j)
                    self.removed[c] += [values[k] for k in gone]
            # The stretch cut into new blocks of BLOCK_ROWS rows.
            n = BLOCK_ROWS
            cuts = [0, *offsets[n::n], end - at]
            firsts = [line, *(r[0] for r in found[n::n]), line + nlines]
            for m in range(len(cuts) - 1 if end > at else 0):
                block = self._view[at + cuts[m] : at + cuts[m + 1]]
                mine = found[m * n : (m + 1) * n]
                self.parsed += 1
                sizes.append(len(block))
                lines.append(firsts[m + 1] - firsts[m])
                counts.append(len(mine))
                bdigests += hashlib.sha1(block).digest()
                anchors += bytes(block[:ANCHOR]).ljust(ANCHOR, b"\0")
                for c, index in zip(self.columns, self.indexes, strict=True):
                    cols[c].append(join_values([r[1][index].strip() for r in mine]))
            digests += b"".join(r[2] for r in found)
            line += nlines
            rows += len(found)
        return FileRows(
            old.header,
            (old.prefix_size, old.prefix_lines, old.prefix_digest),
            (sizes, lines, counts, bytes(bdigests), bytes(anchors)),
            digests,
            cols,
        )

    # -- rows of the new file ---------------------------------------------------------------

    def values_where(self, tests: list[tuple[int, set[str]]], column: int) -> set[str]:
        """The values of column ``STATE_COLUMNS[name][column]`` of every row whose value of
        column ``STATE_COLUMNS[name][position]`` is in the set, for any ``(position, set)``
        (from the state's values: nothing is parsed)."""
        new = self.new
        counts = new.counts
        out: set[str] = set()
        wanted_col = new.cols[self.columns[column]]
        for position, wanted in tests:
            if not wanted:
                continue
            joined = new.cols[self.columns[position]]
            isdisjoint = wanted.isdisjoint
            for b in range(new.blocks):
                if not counts[b]:
                    continue
                values = joined[b].split(_RS)
                if isdisjoint(values):
                    continue
                picked = wanted_col[b].split(_RS)
                out.update(picked[k] for k, value in enumerate(values) if value in wanted)
        return out

    def rows_where(self, position: int, wanted: set[str]) -> dict[int, Item]:
        """``row index -> item`` of every row of the file whose value of column
        ``STATE_COLUMNS[name][position]`` is in ``wanted`` (only their blocks are parsed)."""
        new = self.new
        found: dict[int, Item] = {}
        if not wanted:
            return found
        counts = new.counts
        first_rows = self.first_rows
        joined = new.cols[self.columns[position]]
        isdisjoint = wanted.isdisjoint
        for b in range(new.blocks):
            if not counts[b]:
                continue
            values = joined[b].split(_RS)
            if isdisjoint(values):
                continue
            rows = self._rows(b)
            first = first_rows[b]
            for k, value in enumerate(values):
                if value in wanted:
                    found[first + k] = (rows[k][0], rows[k][1])
        return found

    def _rows(self, block: int) -> list[Row]:
        """The rows of new block ``block``."""
        rows, _offsets, _lines = self._parse(
            self.offsets[block], self.offsets[block + 1], self.first_lines[block]
        )
        if len(rows) != self.new.counts[block]:
            raise Unusable(f"{self.name}: a block no longer holds its rows")
        self.parsed += 1
        return rows

    def release(self) -> None:
        """Forget the file's bytes and its old state (memory)."""
        self._view.release()
        self.data = b""
        self.old.release()


def _check_ids(changed: list[str], removed: dict[str, str], old: FileRows) -> None:
    """Raise Unusable when a changed row's id is another row's: duplicates (a full read
    reports them) or an id that moved between rows."""
    if len(set(changed)) != len(changed):
        raise Unusable("duplicate id")
    added = [k for k in changed if k not in removed]
    if added:
        known = set(_RS.join(old.cols["id"]).split(_RS))
        if any(k in known for k in added):
            raise Unusable("an id of an unchanged row")


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
    scan = _File(directory, name, previous.pop(name), progress)  # (memory)
    i_id, i_cur, i_terms = scan.indexes
    changed: dict[str, str] = {}
    for _index, (_line, f) in scan.changed:
        key = f[i_id].strip()
        if key in changed:
            raise Unusable("duplicate customer id")
        changed[key] = f[i_cur].strip() + _SEP + f[i_terms].strip()
    gone = scan.removed
    removed = {
        k: cur + _SEP + terms
        for k, cur, terms in zip(gone["id"], gone["currency"], gone["terms_days"], strict=True)
    }
    _check_ids(list(changed), removed, scan.old)
    recorder.files[name] = scan.new
    deletions += [deletion("customer", k) for k in removed if k not in changed]
    # Customers whose rows the others take defaults from, or that came or went.
    dirty_customers = {k for k, dep in removed.items() if changed.get(k) != dep}
    dirty_customers |= {k for k in changed if k not in removed}
    records += _customers(View(scan, [item for _i, item in scan.changed]), values)  # type: ignore[arg-type]
    scan.release()

    # -- invoices -------------------------------------------------------------------------
    name = FILES[1]
    scan = _File(directory, name, previous.pop(name), progress)  # (memory)
    i_id = scan.indexes[0]
    kept = dict(scan.changed)
    changed_ids = [f[i_id].strip() for _line, f in kept.values()]
    removed_ids = scan.removed["id"]
    _check_ids(changed_ids, dict.fromkeys(removed_ids, ""), scan.old)
    if dirty_customers:
        kept.update(scan.rows_where(1, dirty_customers))
    recorder.files[name] = scan.new
    changed_set = set(changed_ids)
    deletions += [deletion("invoice", k) for k in removed_ids if k not in changed_set]
    dirty_invoices = changed_set | set(removed_ids)
    records += _invoices(View(scan, [kept[k] for k in sorted(kept)]), values)  # type: ignore[arg-type]
    scan.release()

    # -- payments -------------------------------------------------------------------------
    name = FILES[2]
    scan = _File(directory, name, previous.pop(name), progress)  # (memory)
    i_id = scan.indexes[0]
    dirty_pids = {f[i_id].strip() for _i, (_line, f) in scan.changed}
    dirty_pids |= scan.values_where([(2, dirty_invoices), (1, dirty_customers)], 0)
    dirty_pids |= set(scan.removed["id"])
    # Every row of a payment in the batch is in it (it replaces all of the payment's rows).
    kept = scan.rows_where(0, dirty_pids)
    recorder.files[name] = scan.new
    kept_pids = {f[i_id].strip() for _line, f in kept.values()}
    deletions += [deletion("payment", k) for k in sorted(dirty_pids - kept_pids)]
    records += _allocations(View(scan, [kept[k] for k in sorted(kept)]), values)  # type: ignore[arg-type]
    scan.release()
    return records + deletions

"""What the last sync of a CSV directory held, block by block and row by row, so a re-sync can
yield only what changed.

After a sync of collectctl's own CSV format commits, the profile directory keeps
``csv-rows.state``. Per file it holds the header and:

- per data row, in file order, a 16-byte digest of the row's fields and the values of the
  columns the increment needs (:data:`STATE_COLUMNS`: the id, and the customer's currency and
  terms, an invoice's customer, a payment row's customer and invoice);
- the file cut into *blocks* of :data:`BLOCK_ROWS` rows at row boundaries: per block its byte
  length, line count, row count, a digest of its raw bytes and its first bytes (an anchor to
  find it again after an edit moved it). The bytes before the first row (byte order mark,
  header) are kept as one more digest.

It is tied to the ledger by the cursor that sync stored (the ledger keeps the cursor in the same
transaction as the rows), and to the settings that shape parsing and defaults.

A re-sync of a changed directory whose state matches (the ledger's cursor is the state's, the
settings and headers are the same) finds the unchanged blocks by their digests without parsing
them, parses only the stretches that differ, compares their rows' digests with the rows the
state held there, and yields an incremental batch: the rows that changed, the unchanged rows
whose meaning depends on a changed one (see :func:`collectctl_csv.increment.plan`), and a
:class:`~collectctl.records.Deletion` per removed id. Anything unusual — no state, another
cursor, other settings or headers, a row the reader would report, a duplicate id or row, an id
moved between rows — returns ``None``: the caller reads everything, as it did before this
existed. A batch derived here that has problems in the core is read again in full
(``SourceBatch.fallback``), so errors are reported exactly as a full read reports them.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from array import array
from collections.abc import Iterator
from itertools import accumulate, islice
from pathlib import Path
from typing import Any, BinaryIO

from collectctl.records import Deletion, Problem, Record

#: The state file, in the profile directory.
STATE_FILE = "csv-rows.state"
_MAGIC = "collectctl-csv-rows"
_VERSION = 2
_SIZE = 16  # digest bytes per row
#: Joins a row's fields for its digest (a value holding it takes the slower, unambiguous path).
_SEP = "\x1f"
#: Joins one block's values of a column in the state (a value holding it: no state).
_RS = "\x1e"
#: Rows per block (a power of two): a block is skipped whole when its bytes are unchanged, so
#: small blocks keep scattered edits (1 % of the rows) from touching most of them.
BLOCK_ROWS = 8
#: Bytes of a block kept to find it again (its anchor).
ANCHOR = 32
#: Digest bytes per block (SHA-1 of its raw bytes: accidental equality is what it guards).
BLOCK_DIGEST = 20
_BOM = b"\xef\xbb\xbf"

#: The columns whose values the state keeps per row (the first is the id).
STATE_COLUMNS: dict[str, tuple[str, ...]] = {
    "customers.csv": ("id", "currency", "terms_days"),
    "invoices.csv": ("id", "customer_id"),
    "payments.csv": ("id", "customer_id", "invoice_id"),
}

Item = tuple[int, list[str]]


def row_digest(fields: list[str]) -> tuple[str, bytes]:
    """``(joined fields, 16-byte digest)`` of one row as :meth:`Table.rows` yields it.

    The joined text lets the caller test for a blank row (``\\x1f`` is whitespace to
    :meth:`str.strip`, so a row of blank values strips to nothing)."""
    text = _SEP.join(fields)
    if text.count(_SEP) != len(fields) - 1:  # a value holds the separator itself
        data = b"\xff" + marshal.dumps(fields)  # never UTF-8 text (no 0xFF byte in UTF-8)
    else:
        data = text.encode("utf-8", "surrogatepass")
    return text, hashlib.blake2b(data, digest_size=_SIZE).digest()


def block_digest(data: bytes | memoryview) -> bytes:
    """The digest of a block's raw bytes."""
    return hashlib.sha1(data).digest()


def split_values(joined: str, rows: int) -> list[str]:
    """One block's values of a column (as the state joins them); ValueError if damaged."""
    if not rows:
        if joined:
            raise ValueError("a damaged row state")
        return []
    values = joined.split(_RS)
    if len(values) != rows:
        raise ValueError("a damaged row state")
    return values


def join_values(values: list[str]) -> str:
    """One block's values of a column joined for the state; ValueError when a value holds the
    joiner (such books keep no state)."""
    joined = _RS.join(values)
    if values and joined.count(_RS) != len(values) - 1:
        raise ValueError("a value holds the state's separator")
    return joined


class FileRows:
    """The state of one file: header, the bytes before the first row (``prefix_*``), the blocks
    (``sizes``, ``lines``, ``counts`` and ``bdigests``/``anchors``, one entry per block) and the
    rows (``digests``, 16 bytes a row; ``cols``: per :data:`STATE_COLUMNS` column, one joined
    string of values per block)."""

    __slots__ = (
        "_cols",
        "_packed",
        "anchors",
        "bdigests",
        "counts",
        "digests",
        "header",
        "lines",
        "prefix_digest",
        "prefix_lines",
        "prefix_size",
        "rows",
        "sizes",
    )

    def __init__(
        self,
        header: list[str],
        prefix: tuple[int, int, bytes],
        blocks: tuple[array[int], array[int], array[int], bytes, bytes],
        digests: bytes | bytearray,
        cols: dict[str, list[str]] | None,
        packed: dict[str, list[bytes]] | None = None,
    ) -> None:
        self.header = header
        self.prefix_size, self.prefix_lines, self.prefix_digest = prefix
        self.sizes, self.lines, self.counts, self.bdigests, self.anchors = blocks
        self.digests = digests
        self._cols = cols
        self._packed = packed
        self.rows = len(digests) // _SIZE
        n = len(self.sizes)
        if (
            len(digests) % _SIZE
            or len(self.lines) != n
            or len(self.counts) != n
            or len(self.bdigests) != n * BLOCK_DIGEST
            or len(self.anchors) != n * ANCHOR
            or sum(self.counts) != self.rows
            or (cols is not None and any(len(v) != n for v in cols.values()))
            or (cols is None and packed is None)
        ):
            raise ValueError("a damaged row state")

    @property
    def cols(self) -> dict[str, list[str]]:
        """Per :data:`STATE_COLUMNS` column, one joined string of values per block (unpacked
        from the state file when first asked for)."""
        if self._cols is None:
            cols: dict[str, list[str]] = {}
            for name, chunks in (self._packed or {}).items():
                values: list[str] = []
                for chunk in chunks:
                    values += marshal.loads(chunk)
                if len(values) != self.blocks or not all(type(v) is str for v in values[:1]):
                    raise ValueError("a damaged row state")
                cols[name] = values
            self._cols = cols
            self._packed = None
        return self._cols

    def columns(self) -> set[str]:
        """The columns the state holds values of."""
        return set(self._cols if self._cols is not None else self._packed or {})

    @property
    def blocks(self) -> int:
        """How many blocks."""
        return len(self.sizes)

    def anchor(self, block: int) -> bytes:
        """The first bytes of ``block`` (at most :data:`ANCHOR`)."""
        n = min(ANCHOR, self.sizes[block])
        return self.anchors[block * ANCHOR : block * ANCHOR + n]

    def values(self, column: str, first: int = 0, last: int | None = None) -> list[str]:
        """The values of ``column`` of the rows of blocks ``first`` to ``last`` (exclusive)."""
        joined = self.cols[column]
        counts = self.counts
        end = len(joined) if last is None else last
        out: list[str] = []
        for b in range(first, end):
            out += split_values(joined[b], counts[b])
        return out

    def release(self) -> None:
        """Forget the rows (memory; a :class:`FileRows` the new state shares values with keeps
        them)."""
        self.digests = b""
        self._cols = {}
        self._packed = None

    def write(self, fh: BinaryIO) -> None:
        """Append this file's state to the state file ``fh`` (piece by piece: no copy of it
        all is made in memory)."""
        meta: dict[str, Any] = {
            "header": self.header,
            "prefix": [self.prefix_size, self.prefix_lines, self.prefix_digest],
            "sizes": self.sizes.tobytes(),
            "lines": self.lines.tobytes(),
            "counts": self.counts.tobytes(),
            "bdigests": self.bdigests,
            "anchors": self.anchors,
            "cols": sorted(self.columns()),
        }
        marshal.dump(meta, fh)
        _put(fh, self.digests)
        for name in meta["cols"]:
            if self._packed is not None:
                chunks: Iterator[bytes] = iter(self._packed[name])
                marshal.dump(len(self._packed[name]), fh)
            else:
                values = self.cols[name]
                starts = range(0, len(values), _PACK)
                chunks = (marshal.dumps(values[i : i + _PACK]) for i in starts)
                marshal.dump(len(starts), fh)
            for chunk in chunks:
                _put(fh, chunk)

    @classmethod
    def read(cls, fh: BinaryIO) -> FileRows:
        """Read what :meth:`write` appended (ValueError/TypeError/KeyError/EOFError when
        damaged)."""
        meta = marshal.load(fh)
        size, lines, digest = meta["prefix"]
        arrays = []
        for key in ("sizes", "lines", "counts"):
            a = array("I")
            a.frombytes(meta[key])
            arrays.append(a)
        digests = _get(fh)
        packed: dict[str, list[bytes]] = {}
        for name in meta["cols"]:
            count = marshal.load(fh)
            if not isinstance(name, str) or not isinstance(count, int):
                raise ValueError("a damaged row state")
            packed[name] = [_get(fh) for _ in range(count)]
        return cls(
            list(meta["header"]),
            (int(size), int(lines), bytes(digest)),
            (arrays[0], arrays[1], arrays[2], bytes(meta["bdigests"]), bytes(meta["anchors"])),
            digests,
            None,
            packed,
        )


def _put(fh: BinaryIO, data: bytes | bytearray) -> None:
    fh.write(len(data).to_bytes(8, "little"))
    fh.write(data)


def _get(fh: BinaryIO) -> bytes:
    size = int.from_bytes(fh.read(8), "little")
    data = fh.read(size)
    if len(data) != size:
        raise EOFError("a truncated row state")
    return data


#: Blocks' values packed (marshal) this many at a time in the state file.
_PACK = 8192


class Recorder:
    """Collects every row's digest and values while a read goes on; :meth:`save` writes the
    state.

    A read that meets a problem row marks the recorder spoiled (the sync then fails anyway).
    The blocks of a file read by the full reader are cut when the state is saved, from the file
    read again; ``check`` (the fingerprint's digest, primed as :func:`fingerprint` primes it)
    proves those bytes are the ones the sync's cursor names, else no state is kept."""

    def __init__(
        self,
        profile_dir: Path,
        cursor: str,
        head: str,
        directory: Path | None = None,
        check: Any = None,  # a hashlib object
    ) -> None:
        self.path = Path(profile_dir) / STATE_FILE
        self.cursor = cursor
        self.head = head
        self.directory = directory
        self.check = check
        self.files: dict[str, FileRows | _FileRecorder] = {}
        self.spoiled = False

    def file(self, name: str, header: list[str]) -> _FileRecorder:
        """Start recording file ``name`` (its header as read)."""
        return _FileRecorder(self, name, list(header))

    def _states(self) -> dict[str, FileRows] | None:
        files: dict[str, FileRows] = {}
        check = self.check.copy() if self.check is not None else None
        for name in STATE_COLUMNS:  # the fingerprint's order
            held = self.files[name]
            rows: FileRows | None
            if isinstance(held, _FileRecorder):
                if self.directory is None or check is None:
                    return None
                rows = held.blocks(self.directory / name, check)
                if rows is None:
                    return None
            else:
                rows = held
            files[name] = rows
        if check is not None and "csv-v1:" + check.hexdigest() != self.cursor:
            return None  # a file changed since the sync read it
        return files

    def save(self) -> None:
        """Write the state for the sync that just committed (atomically; an OSError leaves the
        previous state, which no longer matches the ledger's cursor, so it is not used)."""
        if self.spoiled or set(self.files) != set(STATE_COLUMNS):
            self.discard()
            return
        try:
            files = self._states()
        except (OSError, ValueError):
            files = None
        if files is None:
            self.discard()
            return
        state = {
            "magic": _MAGIC,
            "version": _VERSION,
            "cursor": self.cursor,
            "head": self.head,
            "files": list(files),
        }
        tmp = self.path.with_name(f".{STATE_FILE}.{os.getpid()}")
        try:
            with tmp.open("wb") as fh:
                marshal.dump(state, fh)
                for rows in files.values():
                    rows.write(fh)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the state file (the ledger no longer matches it)."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


#: Values are joined per block and packed this many rows at a time while a file is read
#: (memory).
_CHUNK = _PACK * BLOCK_ROWS


class _FileRecorder:
    """One file's rows as the full reader reads them: digests, start lines and the values of
    :data:`STATE_COLUMNS` (joined per block and packed every :data:`_CHUNK` rows); ``starts``
    holds the first line of every block's first row."""

    __slots__ = ("digests", "header", "joined", "name", "owner", "starts", "values")

    def __init__(self, owner: Recorder, name: str, header: list[str]) -> None:
        self.owner = owner
        self.name = name
        self.header = header
        self.digests = bytearray()
        self.starts = array("I")
        ncols = len(STATE_COLUMNS[name])
        self.values: list[list[str]] = [[] for _ in range(ncols)]
        self.joined: list[list[bytes]] = [[] for _ in range(ncols)]

    def pack(self) -> None:
        """Join the values recorded so far per block (every :data:`_CHUNK` rows, and at the
        end)."""
        n = BLOCK_ROWS
        for values, joined in zip(self.values, self.joined, strict=True):
            try:
                blocks = [join_values(values[i : i + n]) for i in range(0, len(values), n)]
                joined.append(marshal.dumps(blocks))
            except ValueError:
                self.owner.spoiled = True
            values.clear()

    def done(self) -> None:
        """Keep what was recorded (called once the whole file was read)."""
        self.pack()
        self.owner.files[self.name] = self

    def blocks(self, path: Path, check: Any) -> FileRows | None:
        """Cut the file into blocks at the recorded rows (reading it again), feeding its bytes
        to ``check``; ``None`` when it no longer has the lines the read found."""
        starts = self.starts  # per block
        rows = len(self.digests) // _SIZE
        n = BLOCK_ROWS
        if len(starts) != -(-rows // n):
            return None
        sizes, lines, counts = array("I"), array("I"), array("I")
        bdigests, anchors = bytearray(), bytearray()
        check.update(self.name.encode() + b"\0")
        with path.open("rb") as fh:
            bom = fh.read(3)
            if bom != _BOM:
                fh.seek(0)
                bom = b""
            if not rows:
                rest = fh.read()
                check.update(bom + rest)
                prefix = (len(bom) + len(rest), _line_count(rest), block_digest(bom + rest))
            else:
                head = b"".join(islice(fh, starts[0] - 1))
                if head.count(b"\n") != starts[0] - 1:
                    return None
                check.update(bom + head)
                prefix = (len(bom) + len(head), starts[0] - 1, block_digest(bom + head))
            for block, first in enumerate(range(0, rows, n)):
                if first + n < rows:
                    count = starts[block + 1] - starts[block]
                    chunk = b"".join(islice(fh, count))
                    if chunk.count(b"\n") != count:
                        return None
                else:
                    chunk = fh.read()
                    count = _line_count(chunk)
                check.update(chunk)
                sizes.append(len(chunk))
                lines.append(count)
                counts.append(min(n, rows - first))
                bdigests += block_digest(chunk)
                anchors += chunk[:ANCHOR].ljust(ANCHOR, b"\0")
        packed = dict(zip(STATE_COLUMNS[self.name], self.joined, strict=True))
        return FileRows(
            self.header,
            prefix,
            (sizes, lines, counts, bytes(bdigests), bytes(anchors)),
            self.digests,
            None,
            packed,
        )


def _line_count(data: bytes) -> int:
    """Lines in ``data`` as a file iterator splits it (the last one may lack its newline)."""
    return data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)


def recorded(
    items: Iterator[Item | Problem],
    rec: _FileRecorder,
    cols: tuple[int, ...],
) -> Iterator[Item | Problem]:
    """Pass ``items`` (from :meth:`Table.rows`) through, recording each non-blank row (``cols``:
    the field index of each :data:`STATE_COLUMNS` column of the file)."""
    digests = rec.digests
    add_start = rec.starts.append
    v0 = rec.values[0]
    c0 = cols[0]
    v1 = rec.values[1] if len(cols) > 1 else None
    c1 = cols[1] if len(cols) > 1 else 0
    v2 = rec.values[2] if len(cols) > 2 else None
    c2 = cols[2] if len(cols) > 2 else 0
    b2 = hashlib.blake2b
    mask = BLOCK_ROWS - 1  # BLOCK_ROWS divides _CHUNK, so len(v0) counts from a block start
    for item in items:
        if type(item) is Problem:
            rec.owner.spoiled = True
            yield item
            continue
        f = item[1]  # type: ignore[index]
        text = _SEP.join(f)  # row_digest, inlined (a million rows)
        if text.count(_SEP) == len(f) - 1:
            d = b2(text.encode("utf-8", "surrogatepass"), digest_size=_SIZE).digest()
        else:
            text, d = row_digest(f)
        if text.strip():
            digests += d
            if not len(v0) & mask:  # a block's first row
                add_start(item[0])  # type: ignore[index]
            v0.append(f[c0].strip())
            if v1 is not None:
                v1.append(f[c1].strip())
                if v2 is not None:
                    v2.append(f[c2].strip())
            if len(v0) >= _CHUNK:
                rec.pack()
        yield item
    rec.done()


def load(profile_dir: Path, cursor: str | None, head: str) -> dict[str, FileRows] | None:
    """The state of the last sync, if it describes the ledger (its cursor is ``cursor``) and
    was made with the same settings (``head``); else ``None``."""
    if cursor is None:
        return None
    path = Path(profile_dir) / STATE_FILE
    try:
        with path.open("rb") as fh:
            state = marshal.load(fh)
            if (
                not isinstance(state, dict)
                or state.get("magic") != _MAGIC
                or state.get("version") != _VERSION
                or state.get("cursor") != cursor
                or state.get("head") != head
            ):
                return None
            files = {name: FileRows.read(fh) for name in state["files"]}
        if any(rows.columns() != set(STATE_COLUMNS.get(n, ())) for n, rows in files.items()):
            return None
        return files
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


def starts_of(sizes: array[int], first: int) -> list[int]:
    """Running offsets: ``first``, ``first + sizes[0]``, ... (one more than ``sizes``)."""
    return list(accumulate(sizes, initial=first))


class View:
    """Rows of a :class:`~collectctl_csv.table.Table` (all, recorded, or a chosen few), shaped
    like the table for the reader's converters (``name``, ``column``, ``rows``)."""

    def __init__(self, table: Any, items: Iterator[Item | Problem] | list[Item]) -> None:
        self.name = table.name
        self.column = table.column
        self._items = items

    def rows(self) -> Iterator[Item | Problem]:
        """The rows, as :meth:`Table.rows` yields them."""
        return iter(self._items)


class Unusable(Exception):
    """The directory cannot be compared with the state: read everything."""


def deletion(kind: str, ident: str) -> Record:
    """A :class:`Deletion` record."""
    return Deletion(kind=kind, id=ident)  # type: ignore[arg-type]

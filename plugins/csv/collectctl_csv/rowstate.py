"""What the last sync of a CSV directory held, row by row, so a re-sync can yield only what changed.

After a sync of collectctl's own CSV format commits, the profile directory keeps
``csv-rows.state``: per file, its header and, per data row in file order, a 16-byte digest of the
row's fields and the row's id (for customers also the currency and terms the other rows take
defaults from). It is tied to the ledger by the cursor that sync stored (the ledger keeps the
cursor in the same transaction as the rows), and to the settings that shape parsing and defaults.

A re-sync of a changed directory whose state matches (the ledger's cursor is the state's, the
settings and headers are the same) reads the files once, compares each row's digest with the
state, and yields an incremental batch: the rows that changed, the unchanged rows whose meaning
depends on a changed one (see :func:`plan`), and a :class:`~collectctl.records.Deletion` per
removed id. Anything unusual — no state, another cursor, other settings or headers, a row the
reader would report, a duplicate id or row, an id moved between rows — returns ``None``: the
caller reads everything, as it did before this existed. A batch derived here that has problems
in the core is read again in full (``SourceBatch.fallback``), so errors are reported exactly as
a full read reports them.
"""

from __future__ import annotations

import contextlib
import hashlib
import marshal
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from collectctl.records import Deletion, Problem, Record

#: The state file, in the profile directory.
STATE_FILE = "csv-rows.state"
_MAGIC = "collectctl-csv-rows"
_VERSION = 1
_SIZE = 16  # digest bytes per row
#: Joins a row's fields for its digest (a value holding it takes the slower, unambiguous path).
_SEP = "\x1f"

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


class FileRows:
    """The digests and ids of one file's rows (``deps``: customers' currency and terms).

    The ids are unpacked only when asked for (:attr:`keys`), and dropped by :meth:`release`."""

    __slots__ = ("_deps", "_keys", "_packed_deps", "_packed_keys", "digests", "header", "rows")

    def __init__(
        self, header: list[str], digests: bytes, keys: list[bytes], deps: list[bytes] | None
    ) -> None:
        self.header = header
        self.digests = digests
        self.rows = len(digests) // _SIZE
        self._packed_keys = keys
        self._packed_deps = deps
        self._keys: list[str] | None = None
        self._deps: list[str] | None = None

    @property
    def keys(self) -> list[str]:
        """Each row's id, in file order."""
        if self._keys is None:
            self._keys = self._unpack(self._packed_keys)
        return self._keys

    @property
    def deps(self) -> list[str] | None:
        """Customers: each row's currency and terms (joined), in file order."""
        if self._deps is None and self._packed_deps is not None:
            self._deps = self._unpack(self._packed_deps)
        return self._deps

    def _unpack(self, chunks: list[bytes]) -> list[str]:
        values: list[str] = []
        for chunk in chunks:
            values += marshal.loads(chunk)
        if len(values) != self.rows or not all(type(v) is str for v in values[:1]):
            raise ValueError("a damaged row state")
        return values

    def release(self) -> None:
        """Forget the rows (memory)."""
        self._keys = self._deps = None
        self._packed_keys = []
        self._packed_deps = None
        self.digests = b""

    def digest_set(self) -> set[bytes] | None:
        """Every row's digest; ``None`` when two rows are the same (the state cannot tell how
        many of them remain)."""
        blob = self.digests
        found = {blob[i : i + _SIZE] for i in range(0, len(blob), _SIZE)}
        return found if len(found) == self.rows else None

    def indexes_of(self, digests: set[bytes]) -> list[int]:
        """Row numbers (0-based) of the rows with one of ``digests``."""
        if not digests:
            return []
        blob = self.digests
        return [i // _SIZE for i in range(0, len(blob), _SIZE) if blob[i : i + _SIZE] in digests]


class Recorder:
    """Collects every row's digest and id while a read goes on; :meth:`save` writes the state.

    A read that meets a problem row marks the recorder spoiled (the sync then fails anyway)."""

    def __init__(self, profile_dir: Path, cursor: str, head: str) -> None:
        self.path = Path(profile_dir) / STATE_FILE
        self.cursor = cursor
        self.head = head
        self.files: dict[str, dict[str, Any]] = {}
        self.spoiled = False

    def file(self, name: str, header: list[str]) -> _FileRecorder:
        """Start recording file ``name`` (its header as read)."""
        return _FileRecorder(self, name, list(header))

    def save(self) -> None:
        """Write the state for the sync that just committed (atomically; an OSError leaves the
        previous state, which no longer matches the ledger's cursor, so it is not used)."""
        if self.spoiled or len(self.files) != 3:
            self.discard()
            return
        state = {
            "magic": _MAGIC,
            "version": _VERSION,
            "cursor": self.cursor,
            "head": self.head,
            "files": self.files,
        }
        tmp = self.path.with_name(f".{STATE_FILE}.{os.getpid()}")
        try:
            with tmp.open("wb") as fh:
                marshal.dump(state, fh)
            os.replace(tmp, self.path)
        except OSError:
            tmp.unlink(missing_ok=True)

    def discard(self) -> None:
        """Remove the state file (the ledger no longer matches it)."""
        with contextlib.suppress(OSError):
            self.path.unlink(missing_ok=True)


#: Ids are packed this many at a time while a file is read (memory).
_CHUNK = 65_536


class _FileRecorder:
    __slots__ = ("chunks", "dep_chunks", "deps", "digests", "header", "keys", "name", "owner")

    def __init__(self, owner: Recorder, name: str, header: list[str]) -> None:
        self.owner = owner
        self.name = name
        self.header = header
        self.digests = bytearray()
        self.keys: list[str] = []
        self.deps: list[str] | None = None
        self.chunks: list[bytes] = []
        self.dep_chunks: list[bytes] = []

    def pack(self) -> None:
        """Pack the ids recorded so far (call every :data:`_CHUNK` rows or so)."""
        if self.keys:
            self.chunks.append(marshal.dumps(self.keys))
            self.keys.clear()
        if self.deps:
            self.dep_chunks.append(marshal.dumps(self.deps))
            self.deps.clear()

    def done(self) -> None:
        """Keep what was recorded (called once the whole file was read)."""
        has_deps = self.deps is not None
        self.pack()
        self.owner.files[self.name] = {
            "header": self.header,
            "digests": bytes(self.digests),
            "keys": self.chunks,
            "deps": self.dep_chunks if has_deps else None,
        }
        self.chunks, self.dep_chunks = [], []
        self.digests = bytearray()


def recorded(
    items: Iterator[Item | Problem],
    rec: _FileRecorder,
    key_col: int,
    dep_cols: tuple[int, int] | None = None,
) -> Iterator[Item | Problem]:
    """Pass ``items`` (from :meth:`Table.rows`) through, recording each non-blank row."""
    digests = rec.digests
    keys = rec.keys
    deps: list[str] | None = [] if dep_cols is not None else None
    rec.deps = deps
    c1, c2 = dep_cols or (0, 0)
    b2 = hashlib.blake2b
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
            keys.append(f[key_col].strip())
            if deps is not None:
                deps.append(f[c1].strip() + _SEP + f[c2].strip())
            if len(keys) >= _CHUNK:
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
        files: dict[str, FileRows] = {}
        for name, entry in state["files"].items():
            digests, keys, deps = entry["digests"], entry["keys"], entry["deps"]
            if (
                not isinstance(digests, bytes)
                or len(digests) % _SIZE
                or not isinstance(keys, list)
                or not isinstance(deps, list | None)
            ):
                return None
            files[name] = FileRows(list(entry["header"]), digests, keys, deps)
        return files
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None


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

"""One CSV file read as a stream: encoding, header, and each record with the line it starts on.

Files are read as bytes and decoded line by line, so a byte sequence that is not UTF-8 is
reported on its own record (with the column it is in) instead of ending the read. A UTF-8 byte
order mark is skipped. Quoting follows RFC 4180 (the :mod:`csv` module's default dialect, strict:
an unclosed quote is an error, not the rest of the file read as one value); a quoted value may
span lines, and a record's line is the line where it *starts* (``csv.reader``
only knows where it ends).
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import BinaryIO

from collectctl.errors import SourceError
from collectctl.records import Problem

#: How often ``progress`` is called, in rows.
PROGRESS_EVERY = 10_000
_BOM = b"\xef\xbb\xbf"


class Progress:
    """Counts rows across files and calls ``callback(rows so far)`` every ``PROGRESS_EVERY``."""

    __slots__ = ("callback", "rows")

    def __init__(self, callback: Callable[[int], None] | None) -> None:
        self.callback = callback
        self.rows = 0

    def add(self, rows: int) -> None:
        """Count ``rows`` more rows and report."""
        self.rows += rows
        if self.callback is not None:
            self.callback(self.rows)


class Table:
    """A CSV file opened for reading (use it as a context manager).

    On entering, the header is read: :attr:`problems` then holds what is wrong with it (no
    header, a required column missing, a column named twice, not UTF-8), and :meth:`column` gives
    the index of each known column. :meth:`rows` yields the records.

    :param path: the file.
    :param columns: every column name the reader knows (lower case); others are ignored.
    :param required: the columns the header must have.
    :param progress: the shared row counter.
    """

    def __init__(
        self, path: Path, columns: tuple[str, ...], required: tuple[str, ...], progress: Progress
    ) -> None:
        self.name = path.name
        self.path = path
        self.columns = columns
        self.required = required
        self.progress = progress
        self.problems: list[Problem] = []
        self._index: dict[str, int] = {}
        self._header: list[str] = []
        self._width = 0
        self._bad: list[bytes] = []
        self._fh: BinaryIO | None = None

    def origin(self, line: int) -> str:
        """``"invoices.csv:12"``."""
        return f"{self.name}:{line}"

    def column(self, name: str) -> int:
        """Index of column ``name`` in the lists :meth:`rows` yields.

        A column the header does not have maps to an extra, always empty, last field, so the
        caller can index every known column without checking.
        """
        return self._index.get(name, self._width)

    def __enter__(self) -> Table:
        try:
            self._fh = self.path.open("rb")
            if self._fh.read(3) != _BOM:
                self._fh.seek(0)
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        self._reader = csv.reader(map(self._decode, self._fh), strict=True)
        try:
            header = next(self._reader, None)
        except csv.Error as exc:
            self._problem(1, f"the header row is not valid CSV ({exc})")
            return self
        if header is None or not "".join(header).strip():
            self._problem(
                1,
                "the file has no header row; line 1 must name the columns "
                f"(at least {','.join(self.required)})",
            )
        elif self._bad:
            self._problem(
                1,
                "the header row is not UTF-8 text; save the file as CSV UTF-8 "
                "(UTF-16 and ANSI exports cannot be read)",
            )
        else:
            self._read_header(header)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._fh is not None:
            self._fh.close()

    def _problem(self, line: int, message: str, column: str | None = None) -> None:
        self.problems.append(Problem(origin=self.origin(line), column=column, message=message))

    def _decode(self, raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._bad.append(raw)
            return raw.decode("utf-8", "surrogateescape")

    def _read_header(self, header: list[str]) -> None:
        index: dict[str, int] = {}
        for i, raw in enumerate(header):
            key = raw.strip().lower()
            if key not in self.columns:
                continue
            if key in index:
                self._problem(
                    1,
                    f"the header names column {key!r} twice (columns {index[key] + 1} and "
                    f"{i + 1}); keep one",
                    column=key,
                )
            else:
                index[key] = i
        for key in self.required:
            if key not in index:
                self._problem(
                    1,
                    f"required column {key!r} is missing from the header row; add it "
                    f"(required columns: {', '.join(self.required)})",
                    column=key,
                )
        self._index = index
        self._header = header
        self._width = len(header)

    def rows(self) -> Iterator[tuple[int, list[str]] | Problem]:
        """Yield ``(start line, fields)`` per record, or a :class:`Problem` for a record that
        cannot be split into fields (not UTF-8, more values than the header has columns).

        ``fields`` has one more entry than the header (always ``""``, see :meth:`column`);
        short rows are padded with ``""``. Blank lines are skipped. Values are not stripped.
        """
        reader = self._reader
        width = self._width
        bad = self._bad
        progress = self.progress
        end = reader.line_num
        pending = 0
        while True:
            try:
                fields = next(reader, None)
            except csv.Error as exc:
                # The reader starts afresh on the next line, so reading carries on.
                yield self._malformed(end + 1, str(exc))
                end = reader.line_num
                bad.clear()
                continue
            except OSError as exc:
                raise SourceError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
            if fields is None:
                break
            line = end + 1
            end = reader.line_num
            if not fields:
                continue
            pending += 1
            if pending == PROGRESS_EVERY:
                progress.add(pending)
                pending = 0
            if bad:
                bad.clear()
                yield self._not_utf8(line, fields)
                continue
            n = len(fields)
            if n == width:
                fields.append("")
            elif n < width:
                fields.extend([""] * (width + 1 - n))
            elif "".join(fields[width:]).strip():
                yield Problem(
                    origin=self.origin(line),
                    message=f"the row has {n} values but the header has {width} columns; "
                    "quote values that contain commas",
                )
                continue
            else:  # trailing empty values, as some spreadsheets write them
                del fields[width:]
                fields.append("")
            yield line, fields
        if pending:
            progress.add(pending)

    def _malformed(self, line: int, error: str) -> Problem:
        if "end of data" in error:
            message = (
                'a quoted value in this record is never closed (a closing " is missing), so '
                "the rest of the file was read into it"
            )
        else:
            message = (
                f"the row is not valid CSV ({error}); a value holding a quote must be "
                'enclosed in double quotes, with each " inside written as ""'
            )
        return Problem(origin=self.origin(line), message=message)

    def _not_utf8(self, line: int, fields: list[str]) -> Problem:
        names = {i: k for k, i in self._index.items()}
        names.update(
            (i, h.strip()) for i, h in enumerate(self._header) if h.strip() and i not in names
        )
        for i, field in enumerate(fields):
            if field.isascii():
                continue
            try:
                field.encode("utf-8")
            except UnicodeEncodeError:
                shown = field.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                return Problem(
                    origin=self.origin(line),
                    column=names.get(i, f"#{i + 1}"),
                    value=shown,
                    message=f"'{shown}' is not UTF-8 text; save the file as CSV UTF-8",
                )
        return Problem(  # pragma: no cover - a bad byte always lands in some value
            origin=self.origin(line), message="the row is not UTF-8 text; save it as CSV UTF-8"
        )

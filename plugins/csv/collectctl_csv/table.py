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
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO

from collectctl.errors import SourceError
from collectctl.records import Problem

if TYPE_CHECKING:  # pragma: no cover
    from collectctl_csv.dialect import Dialect

#: How often ``progress`` is called, in rows.
PROGRESS_EVERY = 10_000
_BOM = b"\xef\xbb\xbf"
#: Rows searched for the header of a report export (title lines above it).
HEADER_SEARCH_ROWS = 30


def normalize(header: str) -> str:
    """A header as matched: case, spaces, ``_``, ``-`` and a leading ``*`` ignored.

    ``"Issue Date"``, ``"issue_date"`` and ``" *ISSUE-DATE"`` all give ``"issue date"``.
    """
    cleaned = header.strip().lstrip("*").replace("_", " ").replace("-", " ").lower()
    return " ".join(cleaned.split())


def fit_width(fields: list[str], width: int) -> bool:
    """Make a record ``width + 1`` values long, as :meth:`Table.rows` yields it: short rows
    padded with ``""``, trailing empty values (as some spreadsheets write them) dropped, and the
    always-empty last field added (see :meth:`Table.column`). ``False`` (``fields`` untouched)
    when it has more non-blank values than the header has columns."""
    n = len(fields)
    if n == width:
        fields.append("")
    elif n < width:
        fields.extend([""] * (width + 1 - n))
    elif "".join(fields[width:]).strip():
        return False
    else:
        del fields[width:]
        fields.append("")
    return True


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
    :param aliases: header (as :func:`normalize` gives it) -> column, from a preset or mapping.
    :param dialect: how the file is written (default: UTF-8, comma, double quote).
    :param find_header: the header is the first of the first rows that names every required
        column (report exports put a title above it).
    :param mapping_hint: where a user maps a header, for the missing-column message.

    A required column may be ``"id|number"``: either one will do.
    """

    def __init__(
        self,
        path: Path,
        columns: tuple[str, ...],
        required: tuple[str, ...],
        progress: Progress,
        aliases: Mapping[str, str] | None = None,
        dialect: Dialect | None = None,
        find_header: bool = False,
        mapping_hint: str | None = None,
    ) -> None:
        self.name = path.name
        self.path = path
        self.columns = columns
        self.required = required
        self.progress = progress
        self.aliases = aliases or {}
        self._rank = {h: i for i, h in enumerate(self.aliases)}
        self.dialect = dialect
        self.find_header = find_header
        self.mapping_hint = mapping_hint
        self.header_line = 1
        self.mapped: dict[str, str] = {}
        self.problems: list[Problem] = []
        self._index: dict[str, int] = {}
        self._header: list[str] = []
        self._width = 0
        self._bad: list[bytes] = []
        self._nul: list[bytes | str] = []  # lines holding a NUL byte since the last record
        self._utf16 = False  # the file starts with a UTF-16 byte order mark
        self._fh: BinaryIO | None = None

    @property
    def header(self) -> list[str]:
        """The header row as read (empty when it had problems)."""
        return self._header

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
        dialect = self.dialect
        try:
            self._fh = self.path.open("rb")
            if dialect is None or dialect.encoding == "utf-8":
                start = self._fh.read(3)
                self._utf16 = start[:2] in (b"\xff\xfe", b"\xfe\xff")
                if start != _BOM:
                    self._fh.seek(0)
        except OSError as exc:
            raise SourceError(f"cannot read {self.path}: {exc.strerror or exc}") from exc
        if dialect is None or dialect.native:
            self._reader = csv.reader(map(self._decode, self._fh), strict=True)
        else:
            self._reader = self._dialect_reader(dialect)
        try:
            header = self._first_header()
        except csv.Error as exc:
            if "new-line character" in str(exc):  # lines ending in a bare CR
                self._problem(
                    self.header_line,
                    "the file's lines end in a bare carriage return (old Mac OS line endings), "
                    "which CSV readers do not split on; save it with Windows (CRLF) or Unix (LF) "
                    "line endings",
                )
            else:
                self._problem(self.header_line, f"the header row is not valid CSV ({exc})")
            return self
        if header is None or not "".join(header).strip():
            self._problem(
                1,
                "the file has no header row; line 1 must name the columns "
                f"(at least {','.join(self.required)})",
            )
        elif self._bad and self._utf16:
            self._problem(
                1,
                'the file is UTF-16 text (Excel\'s "Unicode Text" export), not UTF-8: save it '
                'as "CSV UTF-8 (Comma delimited)"',
            )
        elif self._bad:
            self._problem(
                1,
                "the header row is not UTF-8 text; save the file as CSV UTF-8, or set "
                'encoding = "windows-1252" under [sources.csv] for an ANSI export',
            )
        elif self._nul:
            self._problem(
                1,
                "the header row holds NUL bytes: the file is UTF-16 text saved without its "
                'byte order mark, or not text at all; save it as "CSV UTF-8 (Comma delimited)"',
            )
        else:
            self._nul.clear()  # a preamble line above the header found by find_header
            self._read_header(header)
        return self

    def _dialect_reader(self, dialect: Dialect) -> Any:  # a csv reader (``_csv.Reader``)
        import io

        assert self._fh is not None
        if dialect.encoding == "utf-8":
            lines: Iterator[str] = map(self._decode, self._fh)
        else:
            text = io.TextIOWrapper(self._fh, encoding=dialect.encoding, newline="")
            lines = self._checked(text)
        lines = self._nul_lines(lines)
        if dialect.skip_sep_line:
            next(lines, None)
        return csv.reader(
            lines, delimiter=dialect.delimiter, quotechar=dialect.quotechar, strict=True
        )

    def _checked(self, text: Iterator[str]) -> Iterator[str]:
        try:
            yield from text
        except UnicodeError as exc:  # a decode error, or UTF-16 without its byte order mark
            enc = self.dialect.encoding if self.dialect else "utf-8"
            where = (
                f"{exc.reason} at byte {exc.start}"
                if isinstance(exc, UnicodeDecodeError)
                else str(exc)
            )
            raise SourceError(
                f"{self.path} is not {enc} text ({where})",
                hint='Set encoding = "utf-8", "utf-16" or "windows-1252" under '
                "[sources.csv] to match how the file was saved.",
            ) from exc

    def _first_header(self) -> list[str] | None:
        """The header row; with ``find_header``, the first row naming the required columns."""
        reader = self._reader
        if self.dialect is not None and self.dialect.skip_sep_line:
            self.header_line = 2
        header = next(reader, None)
        if header is not None and not "".join(header).strip():
            # Blank lines (or lines of only commas) above the header are skipped like blank
            # lines anywhere else; the header's line is then where it really is.
            offset = self.header_line - reader.line_num
            while header is not None and not "".join(header).strip():
                header = next(reader, None)
            if header is not None:
                self.header_line = reader.line_num + offset
        if not self.find_header or header is None:
            return header
        best = header
        best_score = -1
        for _ in range(HEADER_SEARCH_ROWS):
            if header is None:
                break
            score = self._header_score(header)
            if score == len(self.required):
                self.header_line = reader.line_num
                return header
            if score > best_score:
                best, best_score = header, score
            header = next(reader, None)
        return best

    def _header_score(self, header: list[str]) -> int:
        names = {self._canonical(h) for h in header}
        return sum(1 for req in self.required if any(r in names for r in req.split("|")))

    def _canonical(self, raw: str) -> str | None:
        key = normalize(raw)
        found = self.aliases.get(key)
        if found is not None:
            return found
        found = key.replace(" ", "_")
        return found if found in self.columns else None

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

    def _nul_lines(self, lines: Iterator[str]) -> Iterator[str]:
        """``lines``, noting each that holds a NUL character (as :meth:`_decode` does)."""
        for line in lines:
            if "\x00" in line:
                self._nul.append(line)
            yield line

    def _decode(self, raw: bytes) -> str:
        if b"\x00" in raw:
            self._nul.append(raw)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError:
            self._bad.append(raw)
            return raw.decode("utf-8", "surrogateescape")

    def _read_header(self, header: list[str]) -> None:
        index: dict[str, int] = {}
        line = self.header_line
        for i, raw in enumerate(header):
            key = self._canonical(raw)
            if key is None:
                continue
            if key in index:
                if self.aliases:  # a preset lists several names: the most preferred wins
                    rank = self._rank
                    if rank.get(normalize(raw), 1 << 30) < rank.get(
                        normalize(header[index[key]]), 1 << 30
                    ):
                        index[key] = i
                        self.mapped[key] = raw.strip()
                    continue
                self._problem(
                    line,
                    f"the header names column {key!r} twice (columns {index[key] + 1} and "
                    f"{i + 1}); keep one",
                    column=key,
                )
            else:
                index[key] = i
                self.mapped[key] = raw.strip()
        for req in self.required:
            options = req.split("|")
            if not any(key in index for key in options):
                self._problem(line, self._missing(req, header), column=options[0])
        self._index = index
        self._header = header
        self._width = len(header)

    def _missing(self, required: str, header: list[str]) -> str:
        """``required column 'issue_date' is missing ... (did you mean 'Invoice Date'?)``."""
        import difflib

        options = required.split("|")
        wanted = " or ".join(repr(o) for o in options)
        present = {normalize(h): h.strip() for h in header if h.strip()}
        candidates = [normalize(o) for o in options]
        candidates += [a for a, c in self.aliases.items() if c in options]
        guess = None
        for cand in candidates:
            close = difflib.get_close_matches(cand, list(present), n=1, cutoff=0.6)
            if close:
                guess = present[close[0]]
                break
        if guess is None:  # "Invoice Date" for issue_date: share a word
            words = {w for o in options for w in o.split("_") if w not in ("id",)}
            for norm, raw in present.items():
                if words & set(norm.split()):
                    guess = raw
                    break
        mean = f" (did you mean {guess!r}?)" if guess else ""
        delim = self.dialect.delimiter if self.dialect else ","
        for other, name in ((";", '";"'), ("\t", '"tab"')):
            if other != delim and len(header) <= 2 and other in "".join(header):
                mean += (
                    f'; the header looks {name}-separated: set delimiter = {name} (or "auto") '
                    "under [sources.csv]"
                )
                break
        how = self.mapping_hint or "add it"
        if guess and self.mapping_hint:
            how = f"{how}, e.g. {options[0]} = {guess!r}"
        return (
            f"required column {wanted} is missing from the header row{mean}; {how} "
            f"(required columns: {', '.join(r.replace('|', ' or ') for r in self.required)})"
        )

    def rows(self) -> Iterator[tuple[int, list[str]] | Problem]:
        """Yield ``(start line, fields)`` per record, or a :class:`Problem` for a record that
        cannot be split into fields (not UTF-8, more values than the header has columns).

        ``fields`` has one more entry than the header (always ``""``, see :meth:`column`);
        short rows are padded with ``""``. Blank lines are skipped. Values are not stripped.
        """
        reader = self._reader
        width = self._width
        bad = self._bad
        nul = self._nul
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
                nul.clear()
                yield self._not_utf8(line, fields)
                continue
            if nul:
                nul.clear()
                yield self._has_nul(line, fields)
                continue
            n = len(fields)
            if n == width:
                fields.append("")
            elif not fit_width(fields, width):
                yield Problem(
                    origin=self.origin(line),
                    message=f"the row has {n} values but the header has {width} columns; "
                    "quote values that contain commas",
                )
                continue
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

    def _names(self) -> dict[int, str]:
        """Column names by field position (collectctl's name where the header maps to one)."""
        names = {i: k for k, i in self._index.items()}
        names.update(
            (i, h.strip()) for i, h in enumerate(self._header) if h.strip() and i not in names
        )
        return names

    def _value_problem(
        self,
        line: int,
        fields: list[str],
        bad: Callable[[str], bool],
        message: Callable[[str], str],
        whole_row: str,
    ) -> Problem:
        """The problem of the first value that is ``bad``, shown with its bad characters
        escaped and named with its column (``whole_row`` if none is: never, in practice)."""
        names = self._names()
        for i, field in enumerate(fields):
            if bad(field):
                shown = field.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
                shown = shown.replace("\x00", "\\x00")
                return Problem(
                    origin=self.origin(line),
                    column=names.get(i, f"#{i + 1}"),
                    value=shown,
                    message=message(shown),
                )
        return Problem(origin=self.origin(line), message=whole_row)  # pragma: no cover

    def _has_nul(self, line: int, fields: list[str]) -> Problem:
        """A record with a NUL byte: kept out of the books (no text value holds one, and
        PostgreSQL cannot store it), named with its column."""
        return self._value_problem(
            line,
            fields,
            lambda field: "\x00" in field,
            lambda shown: (
                f"'{shown}' holds a NUL byte (\\x00), which no value may hold: "
                "remove it (a file full of them is UTF-16 or not text: save it as CSV UTF-8)"
            ),
            "the row holds a NUL byte (\\x00); remove it",
        )

    def _not_utf8(self, line: int, fields: list[str]) -> Problem:
        return self._value_problem(
            line,
            fields,
            lambda field: not field.isascii() and not _is_utf8(field),
            lambda shown: (
                f"'{shown}' is not UTF-8 text; save the file as CSV UTF-8 "
                '(or set encoding = "windows-1252" under [sources.csv])'
            ),
            "the row is not UTF-8 text; save it as CSV UTF-8",
        )


def _is_utf8(text: str) -> bool:
    """Whether ``text`` (decoded with ``surrogateescape``) was valid UTF-8 bytes."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True

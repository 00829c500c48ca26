"""How a CSV file is written: its encoding, delimiter and quote character, detected or configured.

Detection looks at the first 64 KiB only: a byte order mark (UTF-8, UTF-16 LE/BE as Excel's
"Unicode Text" writes), NUL bytes (UTF-16 without a mark), else UTF-8 — or the ``encoding``
the profile configures (``windows-1252`` for an old Excel "CSV" on Windows, which cannot be told
apart from Latin-1 reliably, so it is never guessed). The delimiter is the one of ``,`` ``;``
TAB that splits the first line into the most fields outside quotes (Excel's ``sep=;`` first line
is honoured and skipped).
"""

from __future__ import annotations

import codecs
from dataclasses import dataclass
from pathlib import Path

from collectctl.errors import ConfigError, SourceError

_SAMPLE = 1 << 16
DELIMITERS = {",": ",", ";": ";", "\t": "\t", "tab": "\t", "TAB": "\t", "|": "|"}
ENCODINGS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "utf-8-sig": "utf-8",
    "utf-16": "utf-16",
    "utf-16le": "utf-16-le",
    "utf-16-le": "utf-16-le",
    "utf-16be": "utf-16-be",
    "utf-16-be": "utf-16-be",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "latin-1": "latin-1",
    "iso-8859-1": "latin-1",
    "iso-8859-15": "iso-8859-15",
}


@dataclass(frozen=True, slots=True)
class Dialect:
    """How one file is written.

    :param encoding: a Python codec name (``utf-8`` means the fast native byte path).
    :param delimiter: the field separator.
    :param quotechar: the quote character.
    :param bom: the byte order mark found (``"UTF-8"``, ``"UTF-16 LE"``...), or ``""``.
    :param skip_sep_line: the file starts with Excel's ``sep=X`` line.
    :param detected: what was detected rather than configured, for ``--explain``.
    """

    encoding: str = "utf-8"
    delimiter: str = ","
    quotechar: str = '"'
    bom: str = ""
    skip_sep_line: bool = False
    detected: tuple[str, ...] = ()

    @property
    def native(self) -> bool:
        """True for collectctl's own format: UTF-8, comma, double quote."""
        return (
            self.encoding == "utf-8"
            and self.delimiter == ","
            and self.quotechar == '"'
            and not self.skip_sep_line
        )

    def describe(self) -> str:
        """``UTF-8 (with BOM), delimiter ';', quote '"'``."""
        enc = {"utf-8": "UTF-8", "cp1252": "Windows-1252", "latin-1": "Latin-1"}.get(
            self.encoding, self.encoding.upper()
        )
        bom = f" (with {self.bom} byte order mark)" if self.bom else ""
        delim = "TAB" if self.delimiter == "\t" else repr(self.delimiter)
        how = f" — detected: {', '.join(self.detected)}" if self.detected else ""
        return f"{enc}{bom}, delimiter {delim}, quote {self.quotechar!r}{how}"


def configured_encoding(value: object) -> str | None:
    """The codec for ``[sources.csv] encoding`` (``None`` or ``"auto"``: detect)."""
    if value is None or value == "auto":
        return None
    if not isinstance(value, str) or value.lower() not in ENCODINGS:
        raise ConfigError(
            f"[sources.csv] encoding {value!r} is not supported",
            hint="Use auto, utf-8, utf-16, windows-1252 or latin-1.",
        )
    return ENCODINGS[value.lower()]


def configured_delimiter(value: object) -> str | None:
    """The delimiter for ``[sources.csv] delimiter`` (``None`` or ``"auto"``: detect)."""
    if value is None or value == "auto":
        return None
    if not isinstance(value, str) or value not in DELIMITERS:
        raise ConfigError(
            f"[sources.csv] delimiter {value!r} is not supported",
            hint='Use auto, ",", ";", "tab" or "|".',
        )
    return DELIMITERS[value]


def detect(
    path: Path, encoding: str | None, delimiter: str | None, quotechar: str = '"'
) -> Dialect:
    """The dialect of ``path``: the configured values, the rest detected from its start."""
    try:
        with path.open("rb") as fh:
            sample = fh.read(_SAMPLE)
    except OSError as exc:
        raise SourceError(f"cannot read {path}: {exc.strerror or exc}") from exc
    detected: list[str] = []
    bom = ""
    if sample.startswith(codecs.BOM_UTF8):
        bom, found = "UTF-8", "utf-8"
    elif sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        bom, found = (
            ("UTF-16 LE" if sample.startswith(codecs.BOM_UTF16_LE) else "UTF-16 BE"),
            "utf-16",
        )
    elif sample[:2000].count(b"\0") > len(sample[:2000]) // 4:
        found = "utf-16-le" if sample[1:2] == b"\0" else "utf-16-be"
    else:
        found = "utf-8"
    if encoding is None or bom:
        enc = found
        if found != "utf-8" or bom:
            detected.append("encoding")
    else:
        enc = encoding
    text = sample.decode(enc if enc != "utf-16" else "utf-16", errors="replace")
    text = text.lstrip("\ufeff")
    first = text.splitlines()[0] if text else ""
    skip_sep = False
    if first.lower().startswith("sep=") and len(first) == 5:
        skip_sep = True
        sniffed = first[4]
        first = text.splitlines()[1] if len(text.splitlines()) > 1 else ""
    else:
        sniffed = _sniff(first, quotechar)
    if delimiter is None:
        delim = sniffed
        if delim != "," or skip_sep:
            detected.append("delimiter")
    else:
        delim = delimiter
    return Dialect(enc, delim, quotechar, bom, skip_sep, tuple(detected))


def _sniff(line: str, quotechar: str) -> str:
    counts = dict.fromkeys((",", ";", "\t"), 0)
    quoted = False
    for ch in line:
        if ch == quotechar:
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] > 0 else ","

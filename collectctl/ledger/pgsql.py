"""Rewriting the ledger's SQLite-flavoured SQL for PostgreSQL.

The ledger modules write one SQL text for both dialects; :func:`translate` turns it into what
PostgreSQL accepts. Only mechanical differences are rewritten here:

- placeholders: ``?`` -> ``%s``, ``:name`` -> ``%(name)s`` (and a literal ``%`` -> ``%%``);
- SQLite's schema prefixes: ``main.`` is the profile's schema (first on the search path),
  ``temp.`` and ``st.`` (the attached staging file) are the session's temporary schema;
- ``INSERT OR IGNORE`` -> ``INSERT ... ON CONFLICT DO NOTHING``; ``a IS NOT b`` / ``a IS b``
  between values -> ``IS [NOT] DISTINCT FROM``; ``INDEXED BY`` / ``NOT INDEXED`` hints and
  ``WITHOUT ROWID`` are dropped; ``WHERE 1`` -> ``WHERE TRUE``; a ``FROM (subquery)`` gets an alias;
- temporary tables get BIGINT integers, byte-wise text (``COLLATE "C"``) and a ``rowid`` column
  (insertion order, as in SQLite).

Scalar ``MIN(a, b)`` / ``MAX(a, b)`` and ``julianday`` need no rewrite: migration 0001 creates
them in each PostgreSQL schema. Nothing here imports the driver.
"""

from __future__ import annotations

import re
from functools import lru_cache

_TOKEN = re.compile(
    r"""
    (?P<str>'(?:[^']|'')*')            # string literal
  | (?P<ident>"(?:[^"]|"")*")          # quoted identifier
  | (?P<comment>--[^\n]*)              # comment
  | (?P<cast>::)                       # PostgreSQL cast (never a placeholder)
  | (?P<named>:[A-Za-z_][A-Za-z0-9_]*) # :name placeholder
  | (?P<qmark>\?)                      # ? placeholder
  | (?P<pct>%)                         # literal percent
    """,
    re.VERBOSE,
)

_IS_NOT = re.compile(r"\bIS\s+NOT\s+(?!NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_IS = re.compile(r"\bIS\s+(?!NOT\b|NULL\b|TRUE\b|FALSE\b|DISTINCT\b)", re.IGNORECASE)
_INDEXED_BY = re.compile(r"\s+(?:INDEXED\s+BY\s+\w+|NOT\s+INDEXED)\b", re.IGNORECASE)
_WITHOUT_ROWID = re.compile(r"\)\s*WITHOUT\s+ROWID", re.IGNORECASE)
_OR_IGNORE = re.compile(r"^\s*INSERT\s+OR\s+IGNORE\s+INTO\b", re.IGNORECASE)
_WHERE_1 = re.compile(r"\bWHERE\s+1\b(?!\s*[=<>!])", re.IGNORECASE)
_INDEX_PREFIX = re.compile(
    r"^(\s*CREATE\s+(?:UNIQUE\s+)?INDEX\s+(?:IF\s+NOT\s+EXISTS\s+)?)(?:st|temp|main)\.",
    re.IGNORECASE,
)
_PREFIX = re.compile(r"(?<![\w.\"])(st|temp|main)\.(?=[A-Za-z_\"])")
_CREATE_TEMP = re.compile(
    r"^\s*CREATE\s+(?:TEMP(?:ORARY)?\s+TABLE\s+|TABLE\s+(?=pg_temp\.))", re.IGNORECASE
)
#: SQLite's join-order hint ``CROSS JOIN t ON ...`` is an inner join.
_CROSS_ON = re.compile(r"\bCROSS\s+JOIN\s+(\w+)((?:\s+AS)?\s+\w+)?(\s+)ON\b", re.IGNORECASE)
#: SQLite's "unary plus disables the index" hint: ``AND +date <= :d``.
_UNARY_PLUS = re.compile(r"(?<=[\s(])\+(?=[A-Za-z_])")
_INTEGER = re.compile(r"\b(?:INTEGER|INT)\b", re.IGNORECASE)


def _placeholders(sql: str) -> tuple[str, bool]:
    """Rewrite placeholders outside literals; returns the text and whether any were found.
    With placeholders, every literal ``%`` (in strings too) is doubled, as psycopg wants."""
    tokens = list(_TOKEN.finditer(sql))
    found = any(m.lastgroup in ("named", "qmark") for m in tokens)
    if not found:
        return sql, False
    out: list[str] = []
    pos = 0
    for m in tokens:
        kind = m.lastgroup
        if kind in ("ident", "cast"):
            continue
        out.append(sql[pos : m.start()])
        if kind == "named":
            out.append(f"%({m.group()[1:]})s")
        elif kind == "qmark":
            out.append("%s")
        elif kind in ("str", "comment"):
            out.append(m.group().replace("%", "%%"))
        else:
            out.append("%%")
        pos = m.end()
    out.append(sql[pos:])
    return "".join(out), True


def _outside_literals(sql: str, func: object) -> str:
    """Apply ``func`` (str -> str) to the parts of ``sql`` outside literals and comments."""
    assert callable(func)
    parts: list[str] = []
    pos = 0
    for m in _TOKEN.finditer(sql):
        if m.lastgroup in ("str", "ident", "comment"):
            parts.append(func(sql[pos : m.start()]))
            parts.append(m.group())
            pos = m.end()
    parts.append(func(sql[pos:]))
    return "".join(parts)


def _rewrite_code(code: str) -> str:
    code = _INDEXED_BY.sub("", code)
    code = _WITHOUT_ROWID.sub(")", code)
    code = _IS_NOT.sub("IS DISTINCT FROM ", code)
    code = _IS.sub("IS NOT DISTINCT FROM ", code)
    code = _WHERE_1.sub("WHERE TRUE", code)
    code = _UNARY_PLUS.sub("", code)
    code = _CROSS_ON.sub(lambda m: f"JOIN {m.group(1)}{m.group(2) or ''}{m.group(3)}ON", code)
    code = _PREFIX.sub(lambda m: "" if m.group(1).lower() == "main" else "pg_temp.", code)
    return code


def _temp_table(sql: str, *, rowid: bool = True) -> str:
    """BIGINT integers and a ``rowid`` column for a temporary table created by the ledger
    (none for one SQLite made ``WITHOUT ROWID``: nothing can read it there)."""
    body = _INTEGER.sub("BIGINT", sql.rstrip().rstrip(";"))
    body = re.sub(r"\bTEXT\b", 'TEXT COLLATE "C"', body, flags=re.IGNORECASE)
    close = body.rfind(")")
    if (
        not rowid
        or close < 0
        or "(" not in body
        or re.search(r"\bAS\s+SELECT\b", body, re.IGNORECASE)
    ):
        return body
    column = (
        ", rowid BIGSERIAL" if "PRIMARY KEY" in body.upper() else ", rowid BIGSERIAL PRIMARY KEY"
    )
    return body[:close] + column + body[close:]


_FROM_PAREN = re.compile(r"\bFROM\s*\(", re.IGNORECASE)
_AFTER_SUBQUERY = re.compile(r"\s*(?:AS\s+)?([A-Za-z_]\w*)", re.IGNORECASE)
_NOT_ALIAS = {
    "group",
    "order",
    "where",
    "union",
    "limit",
    "join",
    "left",
    "right",
    "inner",
    "cross",
    "full",
    "on",
    "except",
    "intersect",
    "having",
    "window",
    "natural",
    "offset",
    "returning",
}


def _alias_subqueries(sql: str) -> str:
    """Name every ``FROM (subquery)`` (PostgreSQL before 16 requires an alias)."""
    out = sql
    n = 0
    start = 0
    while True:
        m = _FROM_PAREN.search(out, start)
        if not m:
            return out
        depth = 0
        end = -1
        for k in range(m.end() - 1, len(out)):
            if out[k] == "(":
                depth += 1
            elif out[k] == ")":
                depth -= 1
                if depth == 0:
                    end = k
                    break
        if end < 0:
            return out
        follow = _AFTER_SUBQUERY.match(out, end + 1)
        if not follow or follow.group(1).lower() in _NOT_ALIAS:
            n += 1
            out = out[: end + 1] + f" AS _sub{n}" + out[end + 1 :]
        start = m.end()


@lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, bool]:
    """The PostgreSQL text of ``sql`` and whether it takes parameters."""
    without_rowid = bool(_WITHOUT_ROWID.search(sql))
    text = _INDEX_PREFIX.sub(r"\1", sql)
    text = _outside_literals(text, _rewrite_code)
    text = _alias_subqueries(text)
    if _OR_IGNORE.match(text):
        text = _OR_IGNORE.sub("INSERT INTO", text).rstrip().rstrip(";") + " ON CONFLICT DO NOTHING"
    if _CREATE_TEMP.match(text):
        text = _temp_table(text, rowid=not without_rowid)
    return _placeholders(text)


_INSERT_VALUES = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\b.*\bVALUES\b", re.IGNORECASE | re.DOTALL)


def insert_table(sql: str) -> str | None:
    """The table of a single-row ``INSERT INTO t ... VALUES`` without RETURNING, else None."""
    m = _INSERT_VALUES.match(sql)
    if not m or re.search(r"\bRETURNING\b", sql, re.IGNORECASE):
        return None
    return m.group(1)


def split_script(script: str) -> list[str]:
    """Split a SQL script into statements at semicolons outside literals and comments."""
    out: list[str] = []
    buf: list[str] = []
    pos = 0
    for m in re.finditer(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|;", script):
        if m.group() == ";":
            buf.append(script[pos : m.start()])
            stmt = "".join(buf).strip()
            if _has_code(stmt):
                out.append(stmt)
            buf = []
            pos = m.end()
    buf.append(script[pos:])
    rest = "".join(buf).strip()
    if _has_code(rest):
        out.append(rest)
    return out


def _has_code(stmt: str) -> bool:
    return any(line.strip() and not line.strip().startswith("--") for line in stmt.splitlines())


_COPYABLE = re.compile(
    r"^\s*INSERT\s+INTO\s+(?:st|temp)\.(\w+)\s+VALUES\s*\(([^()]*)\)\s*$", re.IGNORECASE
)


def copy_plan(sql: str) -> tuple[str, list[str | None]] | None:
    """For ``INSERT INTO st.t VALUES (?, ?, 1, ...)`` (a temporary table, positional values
    that are placeholders or integer constants): ``("pg_temp.t", [None, None, "1", ...])`` —
    ``None`` for a placeholder — so the rows can be loaded with COPY. Else None."""
    m = _COPYABLE.match(sql)
    if not m:
        return None
    items: list[str | None] = []
    for item in (part.strip() for part in m.group(2).split(",")):
        if item == "?":
            items.append(None)
        elif re.fullmatch(r"-?\d+", item):
            items.append(item)
        else:
            return None
    return f"pg_temp.{m.group(1)}", items

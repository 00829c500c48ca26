"""The QBO query-language subset: parser and evaluator.

Grammar (keywords case-insensitive)::

    SELECT * | COUNT(*) FROM <Entity>
      [WHERE <field> <op> <value> [AND ...]]
      [ORDERBY <field> [ASC|DESC] [, ...]]
      [STARTPOSITION n] [MAXRESULTS n]

``op`` is ``=  <  >  <=  >=  IN (v, ...)  LIKE 'pat%'`` (``%`` the only wildcard); values are
single-quoted strings (``\\'`` escapes a quote), numbers or ``true``/``false``. ``OR``,
projections, ``GROUP BY`` and ``JOIN`` are parse errors. Only the fields in :data:`FILTERABLE`
may appear in ``WHERE``. ``MetaData.*`` times compare as instants (offsets honoured;
offset-less values read as Pacific), ``Id`` and ``*Ref`` values numerically when both are
digits, amounts as decimals, other strings exactly (``LIKE`` is case-insensitive).
Without ``ORDERBY`` rows come in ascending numeric ``Id`` order.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from .clock import parse_time

MAX_RESULTS_LIMIT = 1000
DEFAULT_MAX_RESULTS = 100

_META = ("MetaData.CreateTime", "MetaData.LastUpdatedTime")
#: Fields allowed in WHERE, per entity (Invoice exactly as documented).
FILTERABLE: dict[str, frozenset[str]] = {
    "Customer": frozenset(
        {
            "Id",
            "DisplayName",
            "CompanyName",
            "GivenName",
            "FamilyName",
            "PrimaryEmailAddr",
            "Active",
            "Balance",
            "Job",
            *_META,
        }
    ),
    "Invoice": frozenset(
        {"Id", "DocNumber", "TxnDate", "DueDate", "Balance", "CustomerRef", *_META}
    ),
    "Payment": frozenset({"Id", "TxnDate", "CustomerRef", *_META}),
    "CreditMemo": frozenset({"Id", "DocNumber", "TxnDate", "CustomerRef", *_META}),
    "Purchase": frozenset({"Id", "DocNumber", "TxnDate", "PaymentType", *_META}),
    "RefundReceipt": frozenset({"Id", "DocNumber", "TxnDate", "CustomerRef", *_META}),
}
#: Entities that are name lists: active rows only unless ``Active`` is filtered.
NAME_LISTS = frozenset({"Customer"})

Value = str | Decimal | bool


class QueryError(Exception):
    """A query the server rejects with HTTP 400 (``code`` 4000 parse, 4001 validation)."""

    def __init__(self, message: str, detail: str, code: str) -> None:
        super().__init__(detail)
        self.message = message
        self.detail = detail
        self.code = code


def _parse_error(detail: str) -> QueryError:
    return QueryError("Error parsing query", f"QueryParserError: {detail}", "4000")


def _validation_error(detail: str) -> QueryError:
    return QueryError("Invalid query", f"QueryValidationError: {detail}", "4001")


@dataclass
class Condition:
    """``field op value``; ``value`` is a list for ``IN``."""

    field: str
    op: str
    value: Value | list[Value]


@dataclass
class Query:
    """A parsed query."""

    entity: str
    count: bool = False
    where: list[Condition] = field(default_factory=list)
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)
    start: int = 1
    max_results: int = DEFAULT_MAX_RESULTS


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<str>'(?:[^'\\]|\\.)*')
     |(?P<num>-?\d+(?:\.\d+)?)
     |(?P<op><=|>=|!=|=|<|>)
     |(?P<punct>[(),*])
     |(?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    )""",
    re.VERBOSE,
)


@dataclass
class _Tok:
    kind: str
    text: str
    value: Any
    pos: int


def tokenize(text: str) -> list[_Tok]:
    """Split a query into tokens (raises :class:`QueryError` on junk)."""
    toks: list[_Tok] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            bad = text[pos:].strip()[:1] or text[pos : pos + 1]
            raise _parse_error(f'Encountered "{bad}" at line 1, column {pos + 1}.')
        kind = m.lastgroup or ""
        raw = m.group(kind)
        if kind == "str":
            value: Any = re.sub(r"\\(.)", r"\1", raw[1:-1])
        elif kind == "num":
            value = Decimal(raw)
        else:
            value = raw
        toks.append(_Tok(kind, raw, value, m.start(kind) + 1))
        pos = m.end()
    return toks


class _Parser:
    def __init__(self, text: str, entities: tuple[str, ...]) -> None:
        self.toks = tokenize(text)
        self.i = 0
        self.entities = entities

    def peek(self) -> _Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self, what: str) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise _parse_error(f'Encountered "<EOF>" at line 1, expecting {what}.')
        self.i += 1
        return tok

    def word(self, *options: str) -> str:
        tok = self.next(" or ".join(options))
        up = tok.text.upper()
        if tok.kind != "word" or up not in options:
            raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')
        return up

    def at_word(self, *options: str) -> bool:
        tok = self.peek()
        return tok is not None and tok.kind == "word" and tok.text.upper() in options

    def punct(self, char: str) -> None:
        tok = self.next(f'"{char}"')
        if tok.text != char:
            raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')

    def value(self) -> Value:
        tok = self.next("a value")
        if tok.kind in ("str", "num"):
            return tok.value
        if tok.kind == "word" and tok.text.lower() in ("true", "false"):
            return tok.text.lower() == "true"
        raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')

    def integer(self, what: str) -> int:
        tok = self.next(what)
        if tok.kind != "num" or not tok.text.lstrip("-").isdigit():
            raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')
        return int(tok.text)

    def parse(self) -> Query:
        self.word("SELECT")
        count = False
        if self.at_word("COUNT"):
            self.i += 1
            self.punct("(")
            self.punct("*")
            self.punct(")")
            count = True
        else:
            self.punct("*")
        self.word("FROM")
        tok = self.next("an entity")
        names = {e.lower(): e for e in self.entities}
        if tok.kind != "word" or tok.text.lower() not in names:
            raise _validation_error(f"{tok.text} is not a valid entity")
        query = Query(entity=names[tok.text.lower()], count=count)
        if self.at_word("WHERE"):
            self.i += 1
            query.where.append(self.condition(query.entity))
            while self.at_word("AND"):
                self.i += 1
                query.where.append(self.condition(query.entity))
        if self.at_word("ORDERBY", "ORDER"):
            if self.word("ORDERBY", "ORDER") == "ORDER":
                self.word("BY")
            while True:
                name = self.next("a property")
                if name.kind != "word":
                    raise _parse_error(f'Encountered "{name.text}" at line 1, column {name.pos}.')
                desc = False
                if self.at_word("ASC", "DESC"):
                    desc = self.word("ASC", "DESC") == "DESC"
                query.order.append((name.text, desc))
                tok2 = self.peek()
                if tok2 is not None and tok2.text == ",":
                    self.i += 1
                    continue
                break
        seen: set[str] = set()
        while self.at_word("STARTPOSITION", "MAXRESULTS"):
            kw = self.word("STARTPOSITION", "MAXRESULTS")
            if kw in seen:
                raise _parse_error(f'Encountered "{kw}" twice.')
            seen.add(kw)
            n = self.integer("a number")
            if kw == "STARTPOSITION":
                if n < 0:
                    raise _validation_error(f"value {n} is not valid for STARTPOSITION")
                query.start = max(n, 1)
            else:
                if n > MAX_RESULTS_LIMIT:
                    raise _validation_error(
                        f"value {n} is too large. Max allowed value is {MAX_RESULTS_LIMIT}"
                    )
                if n < 1:
                    raise _validation_error(f"value {n} is not valid for MAXRESULTS")
                query.max_results = n
        tok = self.peek()
        if tok is not None:
            raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')
        return query

    def condition(self, entity: str) -> Condition:
        tok = self.next("a property")
        if tok.kind != "word":
            raise _parse_error(f'Encountered "{tok.text}" at line 1, column {tok.pos}.')
        allowed = {f.lower(): f for f in FILTERABLE.get(entity, ())}
        name = allowed.get(tok.text.lower())
        if name is None:
            raise _validation_error(f"property '{tok.text}' is not queryable")
        if self.at_word("IN"):
            self.i += 1
            self.punct("(")
            values = [self.value()]
            while (nxt := self.peek()) is not None and nxt.text == ",":
                self.i += 1
                values.append(self.value())
            self.punct(")")
            return Condition(name, "IN", values)
        if self.at_word("LIKE"):
            self.i += 1
            pattern = self.value()
            if not isinstance(pattern, str):
                raise _validation_error("LIKE needs a quoted string")
            return Condition(name, "LIKE", pattern)
        op = self.next("an operator")
        if op.kind != "op" or op.text == "!=":
            raise _parse_error(f'Encountered "{op.text}" at line 1, column {op.pos}.')
        return Condition(name, op.text, self.value())


def parse_query(text: str, entities: tuple[str, ...]) -> Query:
    """Parse ``text``; raises :class:`QueryError` (400) for anything QBO would reject."""
    return _Parser(text, entities).parse()


# ------------------------------------------------------------------ evaluation


def field_value(obj: dict[str, Any], name: str) -> Any:
    """A (dotted) field of an object; a reference yields its ``value``; ``None`` if absent."""
    cur: Any = obj
    for part in name.split("."):
        if not isinstance(cur, dict) or part not in cur:
            return None
        cur = cur[part]
    if isinstance(cur, dict):
        if "value" in cur:
            return cur["value"]
        if "Address" in cur:
            return cur["Address"]
    return cur


def _typed(name: str, have: Any, lit: Value) -> tuple[Any, Any]:
    """Coerce a stored value and a literal to comparable values (raises QueryError)."""
    if name.startswith("MetaData."):
        if not isinstance(lit, str):
            raise _validation_error(f"{name} needs a quoted date-time")
        try:
            return parse_time(have), parse_time(lit)
        except ValueError:
            raise _validation_error(f"'{lit}' is not a valid date-time") from None
    if isinstance(have, bool):
        if not isinstance(lit, bool):
            raise _validation_error(f"{name} needs true or false")
        return have, lit
    if isinstance(have, Decimal):
        try:
            return have, Decimal(str(lit)) if not isinstance(lit, bool) else None
        except InvalidOperation:
            raise _validation_error(f"'{lit}' is not a number") from None
    text = lit if isinstance(lit, str) else (f"{lit:f}" if isinstance(lit, Decimal) else str(lit))
    if isinstance(have, str) and have.isdigit() and text.isdigit():
        return int(have), int(text)
    return have, text


def _like(pattern: str) -> re.Pattern[str]:
    parts = [re.escape(p) for p in pattern.split("%")]
    return re.compile("^" + ".*".join(parts) + "$", re.IGNORECASE | re.DOTALL)


def matcher(query: Query) -> Callable[[dict[str, Any]], bool]:
    """A predicate for the query's WHERE (plus the implicit ``Active = true`` of name lists)."""
    conds = list(query.where)
    if query.entity in NAME_LISTS and not any(c.field == "Active" for c in conds):
        conds.append(Condition("Active", "=", True))
    likes = {id(c): _like(str(c.value)) for c in conds if c.op == "LIKE"}

    def check(obj: dict[str, Any]) -> bool:
        for c in conds:
            have = field_value(obj, c.field)
            if have is None:
                if c.field == "Active":
                    have = True
                else:
                    return False
            if c.op == "LIKE":
                if not isinstance(have, str) or not likes[id(c)].match(have):
                    return False
                continue
            if c.op == "IN":
                assert isinstance(c.value, list)
                if not any(_eq(c.field, have, v) for v in c.value):
                    return False
                continue
            assert not isinstance(c.value, list)
            a, b = _typed(c.field, have, c.value)
            if b is None:
                return False
            ok = {
                "=": a == b,
                "<": a < b,
                ">": a > b,
                "<=": a <= b,
                ">=": a >= b,
            }[c.op]
            if not ok:
                return False
        return True

    # validate literal types once, even when there are no rows
    for c in conds:
        for v in c.value if isinstance(c.value, list) else [c.value]:
            if c.field.startswith("MetaData.") and c.op != "LIKE":
                _typed(c.field, "2000-01-01T00:00:00-08:00", v)
    return check


def _eq(name: str, have: Any, lit: Value) -> bool:
    a, b = _typed(name, have, lit)
    return a == b


def sort_key(obj: dict[str, Any], name: str) -> tuple[int, Any]:
    """Sort key for ORDERBY: missing first, numeric ids as numbers, times as instants."""
    have = field_value(obj, name)
    if have is None:
        return (0, 0)
    if name.startswith("MetaData.") and isinstance(have, str):
        try:
            return (1, parse_time(have).timestamp())
        except ValueError:
            return (2, have)
    if isinstance(have, bool):
        return (1, int(have))
    if isinstance(have, Decimal | int):
        return (1, have)
    if isinstance(have, str) and have.isdigit():
        return (1, int(have))
    if isinstance(have, datetime):
        return (1, have.timestamp())
    return (2, str(have))

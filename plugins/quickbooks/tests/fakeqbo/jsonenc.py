"""Exact JSON for QBO payloads: ``Decimal`` amounts are written as unquoted JSON numbers.

``json.dumps`` cannot emit a raw number for a ``Decimal``, so the C encoder is given a
placeholder string for each one and the placeholders are replaced by the decimal text
afterwards (``Decimal("250.00")`` becomes ``250.00``, never ``250.0`` or ``"250.00"``).
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape, quoteattr

_MARK = "\x00DEC:"
_PLACEHOLDER = re.compile(r'"\\u0000DEC:(-?[0-9]+(?:\.[0-9]+)?)"')


def _default(value: object) -> str:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"non-finite amount {value!r}")
        return f"{_MARK}{value:f}"
    raise TypeError(f"cannot serialise {type(value).__name__}: {value!r}")


def dumps(payload: Any) -> str:
    """Serialise ``payload`` compactly; ``Decimal`` values become exact JSON numbers."""
    text = json.dumps(payload, default=_default, separators=(",", ":"), allow_nan=False)
    if "\\u0000DEC:" in text:
        text = _PLACEHOLDER.sub(r"\1", text)
    return text


def to_xml(root: str, payload: dict[str, Any], attrs: dict[str, str] | None = None) -> str:
    """Render a QBO JSON payload as a rough ``IntuitResponse``-style XML document.

    Good enough to look like what QBO sends a client that forgot ``Accept: application/json``.
    """
    parts = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>']
    attr_text = "".join(f" {k}={quoteattr(v)}" for k, v in (attrs or {}).items())
    parts.append(f'<{root} xmlns="http://schema.intuit.com/finance/v3"{attr_text}>')
    for key, value in payload.items():
        _xml_value(parts, key, value)
    parts.append(f"</{root}>")
    return "".join(parts)


def _xml_value(parts: list[str], key: str, value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _xml_value(parts, key, item)
    elif isinstance(value, dict):
        parts.append(f"<{key}>")
        for k, v in value.items():
            _xml_value(parts, k, v)
        parts.append(f"</{key}>")
    else:
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, Decimal):
            text = f"{value:f}"
        else:
            text = str(value)
        parts.append(f"<{key}>{escape(text)}</{key}>")

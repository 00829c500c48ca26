"""collectctl.output.Rows and write_json: the same bytes as json.dumps of the dicts."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest

from collectctl.output import Rows, json_value, write_json


def dumps(document):
    return json.dumps(document, default=json_value, ensure_ascii=False) + "\n"


@pytest.mark.parametrize(
    "cells",
    [
        [("C1", "Acme Ltd", 3, "12.50"), ("C2", "Zoë & Søn", -1, "-0.05")],
        # text that JSON must escape: quotes, backslashes, control characters, in any row
        [("C1", 'The "Best" Co', 0, "1.00"), ("C\\2", "tab\there\nnew", 7, "2.00")],
        [("C1", "\x00\x1f\x7f\u2028 😀", 1, "0.00")],
        # a '%' in a cell is data, not a format
        [("%s", "100% paid %d", 2, "%")],
    ],
)
def test_rows_json_matches_json_dumps(cells):
    rows = Rows(["customer_id", "customer", "days", "amount"], cells)
    assert rows.json() == json.dumps(list(rows), ensure_ascii=False)
    assert rows[0] == dict(
        zip(["customer_id", "customer", "days", "amount"], cells[0], strict=True)
    )
    assert len(rows) == len(cells)


def test_rows_with_other_cells_fall_back_to_json_dumps():
    # bool, None, a date, a Decimal, mixed types in one column: json.dumps decides
    cells = [(True, None, date(2026, 1, 2), Decimal("1.50")), (1, "x", "y", 2)]
    rows = Rows(["a", "b", "c", "d"], cells)
    assert rows.json() == json.dumps(list(rows), default=json_value, ensure_ascii=False)
    assert json.loads(rows.json())[0] == {"a": True, "b": None, "c": "2026-01-02", "d": "1.50"}


def test_rows_with_a_percent_in_a_key():
    rows = Rows(["50%", "k"], [("a", 1)])
    assert rows.json() == '[{"50%": "a", "k": 1}]'


def test_rows_need_one_cell_per_key():
    with pytest.raises(ValueError, match="one cell per key"):
        Rows(["a", "b"], [("x",)]).json()


@pytest.mark.parametrize("pretty", [False, True])
def test_write_json_of_a_document_with_rows(pretty):
    rows = Rows(["id", "name"], [("1", 'Q "uoted"'), ("2", "Zoë")])
    document = {"as_of": date(2026, 10, 31), "rows": rows, "totals": [{"t": "1.00"}], "n": 2}
    out = io.StringIO()
    write_json(document, out, pretty=pretty)
    plain = {**document, "rows": list(rows)}
    expected = json.dumps(
        plain, default=json_value, ensure_ascii=False, indent=2 if pretty else None
    )
    assert out.getvalue() == expected + "\n"


def test_write_json_of_an_empty_rows_and_of_plain_values():
    out = io.StringIO()
    write_json({"rows": Rows(["a"], [])}, out)
    assert out.getvalue() == '{"rows": []}\n'
    out = io.StringIO()
    write_json([{"a": Decimal("1.0")}], out)
    assert out.getvalue() == dumps([{"a": Decimal("1.0")}])

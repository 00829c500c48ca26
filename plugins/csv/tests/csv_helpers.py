"""Helpers for the CSV plugin's tests: writing a books directory and reading it back.

(A uniquely named module, not conftest.py, so tests can import it next to other suites.)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from collectctl_csv.plugin import read

from collectctl.records import Cursor, Problem, Rows, SyncRequest

CUSTOMERS = "id,name,email,phone,address,kind,currency,timezone,terms_days\n"
INVOICES = "id,customer_id,number,issue_date,due_date,currency,amount,status,description\n"
PAYMENTS = "id,customer_id,date,amount,invoice_id,kind,currency,method,reference\n"

#: A small, valid set of books: two customers, three invoices, a split payment, a credit.
GOOD = {
    "customers.csv": CUSTOMERS
    + "C1,Acme Ltd,ap@acme.example,,,business,USD,,\n"
    + "C2,Jo Bloggs,,,,consumer,USD,,14\n",
    "invoices.csv": INVOICES
    + "I1,C1,INV-1,2026-01-10,2026-02-09,USD,100.00,,Design\n"
    + "I2,C1,INV-2,2026-03-01,,,250.00,,\n"
    + "I3,C2,,2026-04-01,,,80.00,,\n",
    "payments.csv": PAYMENTS
    + "P1,C1,2026-03-15,60.00,I1,,,ach,\n"
    + "P1,C1,2026-03-15,40.00,I2,,,ach,\n"
    + "P2,C2,2026-05-01,10.00,,credit,,,\n",
}


def write_books(directory: Path, files: Mapping[str, str | bytes]) -> Path:
    """Write ``files`` (name -> text or bytes) into ``directory``; text is written as UTF-8
    with ``\\n`` line ends exactly as given."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        data = content.encode("utf-8") if isinstance(content, str) else content
        (directory / name).write_bytes(data)
    return directory


def books_in(root: Path) -> Callable[..., Path]:
    """``make(invoices=..., ...)``: writes :data:`GOOD` with some files replaced, under ``root``."""

    def make(name: str = "books", **files: str | bytes) -> Path:
        content: dict[str, str | bytes] = dict(GOOD)
        for key, value in files.items():
            content[f"{key}.csv"] = value
        return write_books(root / name, content)

    return make


def read_all(
    directory: Path,
    *,
    options: Mapping[str, Any] | None = None,
    config: Mapping[str, Any] | None = None,
    progress: Callable[[int], None] | None = None,
) -> list[Any]:
    """Every record the csv source yields for ``directory``, less its closing Cursor (a
    :class:`Rows` block as the records it stands for)."""
    request = SyncRequest(
        options={"dir": directory, **(options or {})},
        config=dict(config or {}),
        progress=progress,
    )
    records = [
        r
        for item in read(request).records
        for r in (item.records() if type(item) is Rows else [item])
    ]
    assert isinstance(records[-1], Cursor), "the batch ends with its fingerprint"
    return records[:-1]


def of_type(records: list[Any], cls: type) -> list[Any]:
    """The records of one type, in order."""
    return [r for r in records if type(r) is cls]


def problems(records: list[Any]) -> list[Problem]:
    """The problems among ``records``."""
    return of_type(records, Problem)

"""Bulk rows (:class:`~collectctl.records.Rows`) stage exactly as the records they stand for.

Every case is staged twice into real SQLite files, once as records and once as ``Rows`` blocks,
and the staged tables, the problems and their count must be the same: the text path takes only
the rows it can prove usual and hands every other one to the record's own path.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from collectctl.ledger.connection import Ledger
from collectctl.ledger.staging import Staging
from collectctl.records import Allocation, Customer, Invoice, Problem, Rows, row_record


def _inv(iid: str, cust: str, issue: str, amount: str, **kw: Any) -> Invoice:
    due = kw.pop("due", None)
    return Invoice(
        id=iid,
        customer_id=cust,
        issue_date=date.fromisoformat(issue),
        amount=Decimal(amount),
        due_date=date.fromisoformat(due) if due else None,
        origin=kw.pop("origin", f"invoices.csv:{iid}"),
        **kw,
    )


def _pay(pid: str, cust: str, on: str, amount: str, invoice: str | None = None, **kw: Any):
    return Allocation(
        payment_id=pid,
        customer_id=cust,
        date=date.fromisoformat(on),
        amount=Decimal(amount),
        invoice_id=invoice,
        origin=kw.pop("origin", f"payments.csv:{pid}"),
        **kw,
    )


CUSTOMERS = [
    Customer(id="C1", name="Acme", currency="USD", origin="customers.csv:2"),
    Customer(id="C2", name="Beta", currency="EUR", terms_days=45, origin="customers.csv:3"),
    Customer(id="C3", name="Yen", currency="JPY", terms_days=0, origin="customers.csv:4"),
    Customer(id="C4", name="Mixed", currency="USD", origin="customers.csv:5"),
]
GOOD = [
    _inv("I1", "C1", "2026-05-01", "100.00", due="2026-05-31", number="N-1"),
    _inv("I2", "C1", "2026-06-01", "200", description="no decimals"),
    _inv("I3", "C2", "2026-06-01", "300.5"),  # terms 45: due 2026-07-16
    _inv("I4", "C2", "2026-06-15", ".50", currency="eur"),  # lower case: the record path
    _inv("I5", "C3", "2026-06-20", "1000"),  # JPY, no decimals
    _inv("I6", "C3", "2026-06-21", "1000.0"),  # a trailing zero JPY allows
    _inv("I7", "C1", "2026-06-22", "0", void=True),  # a void invoice may be 0
    _inv("I8", "C4", "2026-06-22", "80.00", currency="EUR"),  # C4 has two currencies
    _inv("I9", "C4", "2026-06-23", "20.00"),
    _inv("I12", "C1", "2026-06-24", "007.10", void=True),
    _pay("P1", "C1", "2026-06-10", "60.00", "I1", method="ach", reference="R1"),
    _pay("P1", "C1", "2026-06-10", "40.00", "I2"),  # split payment
    _pay("P1", "C1", "2026-06-10", "40.00", "I2"),  # repeated row: numbered
    _pay("P2", "C2", "2026-06-20", "30.00", "I3", kind="credit"),
    _pay("P3", "C3", "2026-06-25", "500", "I5"),
    _pay("P4", "C4", "2026-06-25", "10.00", "I8"),  # no currency: the invoice's (EUR)
    _pay("P5", "C4", "2026-06-25", "10.00", "I9", currency="USD"),
    _pay("P6", "C1", "2026-06-26", "5.00", kind="refund"),
    _pay("P7", "C1", "2026-06-26", "5.00"),  # unapplied credit
    _pay("W1", "C1", "2026-06-27", "39.00", "I1", kind="write_off"),
    _pay("P8", "C1", "2026-06-27", "1.00", "I1", currency="usd"),
]
BAD = [
    _inv("I10", "NOBODY", "2026-06-23", "20.00"),  # unknown customer: default terms
    _inv("I11", "C1", "9999-12-20", "1.00"),  # due date past the year 9999
    _inv("X1", "C1", "2026-06-01", "1234.505"),  # more decimals than USD has
    _inv("X2", "C1", "2026-06-01", "1.00", currency="XXX"),
    _inv("X3", "C1", "2026-06-01", "1.00", currency="ABC"),
    _inv("X4", "C1", "2026-06-01", "0"),
    _inv("X5", "C1", "2026-06-01", "-5"),
    _inv("X6", "C1", "2026-06-01", "1" + "0" * 14),  # too large
    _inv("X7", "C3", "2026-06-01", "1.5"),  # JPY has no decimals
    _inv("I1", "C1", "2026-06-01", "1.00"),  # duplicate id
    _inv("", "C1", "2026-06-01", "1.00", origin=""),  # neither id nor origin
    _pay("Q1", "C1", "2026-06-01", "-5", "I1"),
    _pay("Q2", "C1", "2026-06-01", "5", "I1", kind="Payment"),
    _pay("Q3", "C1", "2026-06-01", "5", kind="write_off"),
    _pay("Q4", "C1", "2026-06-01", "5", "I1", kind="refund"),
    _pay("Q5", "C1", "2026-06-11", "40.01", "I1", kind="write_off"),
    _pay("Q6", "C2", "2026-06-01", "1.00", "I1"),  # another customer's invoice
    _pay("Q7", "C1", "2026-06-01", "1.00", "I1", currency="EUR"),
    _pay("Q8", "C1", "2026-06-01", "1.00", "NOPE"),
    _pay("Q9", "NOBODY", "2026-06-01", "1.00"),
    _pay("Q10", "C4", "2026-06-25", "10.005", "I8"),  # deferred, then inexact in EUR
    _pay("Q11", "C1", "2026-06-01", "1" + "0" * 14),
    _pay("Q12", "C1", "2026-06-01", "0.001"),
    _pay("Q13", "C1", "2026-06-01", "9" * 5000),  # more digits than int() reads
    _pay("Q14", "C1", "2026-06-01", "0." + "0" * 5000 + "1"),
    Problem("payments.csv:99", "'2026-02-30' is not a date", "date", "2026-02-30"),
]


def as_rows(records: list[Any], size: int = 3) -> list[Any]:
    """``records`` with each run of invoices or allocations as ``Rows`` blocks of ``size``."""
    out: list[Any] = []
    for rec in records:
        if type(rec) is Invoice:
            kind = "invoice"
            row: tuple[Any, ...] = (
                rec.id,
                rec.customer_id,
                rec.issue_date.isoformat(),
                str(rec.amount),
                rec.number,
                None if rec.due_date is None else rec.due_date.isoformat(),
                rec.currency,
                rec.void,
                rec.description,
                rec.origin,
            )
        elif type(rec) is Allocation:
            kind = "allocation"
            row = (
                rec.payment_id,
                rec.customer_id,
                rec.date.isoformat(),
                str(rec.amount),
                rec.invoice_id,
                rec.kind,
                rec.currency,
                rec.method,
                rec.reference,
                rec.origin,
            )
        else:
            out.append(rec)
            continue
        assert row_record(kind, row) == rec  # the row stands for exactly this record
        last = out[-1] if out else None
        if type(last) is Rows and last.kind == kind and len(last.rows) < size:
            last.rows.append(row)  # type: ignore[attr-defined]
        else:
            out.append(Rows(kind, [row]))  # type: ignore[arg-type]
    return out


def stage(tmp: Path, name: str, records: list[Any], complete: bool = True) -> tuple[Any, ...]:
    """Stage ``records``; the staged tables, the problems and their count."""
    ledger = Ledger.open(tmp / f"{name}.db")
    try:
        staging = Staging(
            ledger.conn,
            tmp / f"{name}-staging.db",
            source="csv",
            config={"currency": "USD", "default_terms_days": 30},
            complete=complete,
        )
        result = staging.load(iter(records))
        tables = {
            t: ledger.conn.execute(f"SELECT * FROM st.{t} ORDER BY rowid").fetchall()
            for t in ("s_customers", "s_invoices", "s_allocations", "s_deletions")
        }
        staging.detach()
    finally:
        ledger.close()
    return tables, result.problems, result.problem_count, result.records


@pytest.mark.parametrize("complete", [True, False])
@pytest.mark.parametrize("size", [1, 4, 5000])
def test_rows_stage_as_their_records(tmp_path, complete, size):
    records = [*CUSTOMERS, *GOOD]
    plain = stage(tmp_path, "records", records, complete)
    bulk = stage(tmp_path, "rows", as_rows(records, size), complete)
    assert bulk == plain
    assert plain[2] == 0, plain[1]
    invoices = {r[0]: r for r in plain[0]["s_invoices"]}
    assert invoices["I3"][4] == "2026-07-16"  # the customer's 45 days of terms
    assert invoices["I5"][6] == 1000
    assert invoices["I6"][6] == 1000
    assert invoices["I2"][6] == 20000
    assert invoices["I4"][5] == "EUR"


@pytest.mark.parametrize("complete", [True, False])
def test_bad_rows_give_the_same_problems_as_their_records(tmp_path, complete):
    records = [*CUSTOMERS, *GOOD[:10], *BAD[:11], *GOOD[10:], *BAD[11:]]
    plain = stage(tmp_path, "records", records, complete)
    bulk = stage(tmp_path, "rows", as_rows(records), complete)
    assert bulk == plain
    problems = "\n".join(plain[1])
    for text in (
        "1234.505 has more decimals than USD allows",
        "too large",
        "is not a payment kind",
        "needs an invoice_id",
        "must not have an invoice_id",
        "larger than the",
        "belongs to customer 'C1'",
        "is in EUR but invoice",
        "unknown invoice 'NOPE'",
        "unknown customer 'NOBODY'",
        "duplicate invoice id 'I1'",
        "10.005 has more decimals than EUR allows",
        "past the year 9999",
    ):
        assert text in problems, text


def test_a_row_that_is_not_as_rows_describe_is_the_sources_fault(tmp_path):
    bad = Rows("invoice", [("I1", "C1", "01/06/2026", "1.00", None, None, "US", False, None, "x")])
    with pytest.raises(TypeError, match="not as Rows describes"):
        stage(tmp_path, "broken", [*CUSTOMERS, bad])


@pytest.mark.usefixtures("ledger_backend")
def test_rows_stage_as_their_records_on_either_backend(open_ledger, tmp_path):
    conn = open_ledger().conn
    records = [*CUSTOMERS, *GOOD[:10], *BAD[:11], *GOOD[10:], *BAD[11:]]

    def staged(items: list[Any]) -> tuple[Any, ...]:
        staging = Staging(conn, tmp_path / "staging.db", source="csv", config={}, complete=True)
        try:
            result = staging.load(iter(items))
            tables = {
                t: sorted((tuple(r) for r in conn.execute(f"SELECT * FROM st.{t}")), key=repr)
                for t in ("s_customers", "s_invoices", "s_allocations")
            }
        finally:
            staging.detach()
            (tmp_path / "staging.db").unlink(missing_ok=True)
        return tables, result.problems, result.problem_count

    plain = staged(records)
    assert plain[2] > 10
    assert staged(as_rows(records)) == plain

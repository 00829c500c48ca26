"""The peer collectctl is measured against: DuckDB on the same CSV books, in the same run.

A benchmark-only dependency (the ``bench`` extra; ``make bench`` installs it): nothing in
collectctl imports it. The runner starts this script as its own child process, exactly like a
``collectctl`` command, so wall time, CPU time and peak RSS are measured the same way.

    python benchmarks/duckdb_peer.py load DIR DB.duckdb
    python benchmarks/duckdb_peer.py aging DIR --as-of 2026-10-31 [--by invoice] > report.json

``load`` reads the three CSVs into tables of a fresh ``.duckdb`` file (typed columns: dates as
DATE, amounts as exact DECIMAL). ``aging`` is the whole report *end to end from the CSVs*: read
them, apply the contract's defaults (due date = issue date + the customer's terms, else 30
days; currency = the customer's, else USD), age every invoice as of the date (contracts §3:
only invoices issued and allocations dated on or before it count; void invoices and invoices
issued later turn their allocations into unapplied credit), bucket, group per customer and
currency, order, and print the same JSON envelope as ``collectctl aging --format json`` (money
as strings with the currency's decimals), built inside DuckDB. Its totals are checked like
collectctl's, so a ratio is never taken against a wrong answer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

#: Minor-unit exponents (the generator's currencies and the examples').
EXPONENTS = {"USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "BHD": 3, "CHF": 2, "CAD": 2}
DEFAULT_CURRENCY = "USD"
DEFAULT_TERMS = 30

_TYPES = {
    "customers.csv": {
        "id": "VARCHAR",
        "name": "VARCHAR",
        "email": "VARCHAR",
        "phone": "VARCHAR",
        "address": "VARCHAR",
        "kind": "VARCHAR",
        "currency": "VARCHAR",
        "timezone": "VARCHAR",
        "terms_days": "INTEGER",
    },
    "invoices.csv": {
        "id": "VARCHAR",
        "customer_id": "VARCHAR",
        "number": "VARCHAR",
        "issue_date": "DATE",
        "due_date": "DATE",
        "currency": "VARCHAR",
        "amount": "DECIMAL(18,3)",
        "status": "VARCHAR",
        "description": "VARCHAR",
    },
    "payments.csv": {
        "id": "VARCHAR",
        "customer_id": "VARCHAR",
        "date": "DATE",
        "amount": "DECIMAL(18,3)",
        "invoice_id": "VARCHAR",
        "kind": "VARCHAR",
        "currency": "VARCHAR",
        "method": "VARCHAR",
        "reference": "VARCHAR",
    },
}


def _read_csv(directory: Path, name: str) -> str:
    """A ``read_csv`` table function call for one of the three files, typed."""
    cols = ", ".join(f"'{c}': '{t}'" for c, t in _TYPES[name].items())
    path = str(directory / name).replace("'", "''")
    return f"read_csv('{path}', header = true, quote = '\"', escape = '\"', columns = {{{cols}}})"


def load(directory: Path, db: Path) -> None:
    """Read the three CSVs into tables ``customers``, ``invoices``, ``payments`` of ``db``."""
    import duckdb

    db.unlink(missing_ok=True)
    con = duckdb.connect(str(db))
    try:
        for table, name in (
            ("customers", "customers.csv"),
            ("invoices", "invoices.csv"),
            ("payments", "payments.csv"),
        ):
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM {_read_csv(directory, name)}")
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _money(expr: str, exp: str) -> str:
    """SQL: the exact DECIMAL ``expr`` as text with ``exp`` decimals."""
    return (
        f"CASE {exp} WHEN 0 THEN CAST(CAST({expr} AS DECIMAL(18,0)) AS VARCHAR) "
        f"WHEN 2 THEN CAST(CAST({expr} AS DECIMAL(18,2)) AS VARCHAR) "
        f"ELSE CAST(CAST({expr} AS DECIMAL(18,3)) AS VARCHAR) END"
    )


def _bucket_names(bounds: Sequence[int]) -> list[str]:
    names = ["current"]
    low = 1
    for hi in bounds:
        names.append(f"{low}-{hi}")
        low = hi + 1
    names.append(f"{low}+")
    return names


def aging_sql(directory: Path, as_of: date, by: str, bounds: Sequence[int] = (30, 60, 90)) -> str:
    """One query producing the whole JSON report (basis due) from the CSVs."""
    d = f"DATE '{as_of.isoformat()}'"
    names = _bucket_names(bounds)
    bucket = ["CASE WHEN days <= 0 THEN 0"]
    for k, hi in enumerate(bounds, start=1):
        bucket.append(f"WHEN days <= {hi} THEN {k}")
    bucket.append(f"ELSE {len(bounds) + 1} END")
    exps = ", ".join(f"('{c}', {e})" for c, e in EXPONENTS.items())
    base = f"""
    WITH ex(cur, e) AS (VALUES {exps}),
    cust AS (
        SELECT id, name, COALESCE(NULLIF(currency, ''), '{DEFAULT_CURRENCY}') AS cur,
               COALESCE(terms_days, {DEFAULT_TERMS}) AS terms
        FROM {_read_csv(directory, "customers.csv")}),
    pay AS (
        SELECT customer_id, NULLIF(invoice_id, '') AS invoice_id,
               COALESCE(NULLIF(kind, ''), 'payment') AS kind, NULLIF(currency, '') AS cur, amount
        FROM {_read_csv(directory, "payments.csv")} WHERE date <= {d}),
    applied AS (
        SELECT invoice_id, SUM(amount) AS amt,
               SUM(amount) FILTER (WHERE kind IN ('payment', 'credit')) AS credit
        FROM pay WHERE invoice_id IS NOT NULL GROUP BY invoice_id),
    inv AS (
        SELECT i.id, i.customer_id, COALESCE(NULLIF(i.number, ''), i.id) AS number,
               c.name AS customer, COALESCE(NULLIF(i.currency, ''), c.cur) AS cur,
               i.issue_date,
               COALESCE(i.due_date, CAST(i.issue_date + c.terms * INTERVAL 1 DAY AS DATE))
                   AS due_date,
               i.amount, COALESCE(i.status, '') = 'void' AS void,
               COALESCE(a.amt, 0) AS applied, COALESCE(a.credit, 0) AS credit
        FROM {_read_csv(directory, "invoices.csv")} i
        JOIN cust c ON c.id = i.customer_id
        LEFT JOIN applied a ON a.invoice_id = i.id),
    aged AS (
        SELECT *, amount - applied AS bal, {d} - due_date AS days,
               NOT void AND issue_date <= {d} AS live
        FROM inv)"""
    envelope_head = (
        f"'as_of', '{as_of.isoformat()}', 'basis', 'due', "
        f"'buckets', [{', '.join(repr(n) for n in names)}]"
    )
    if by == "invoice":
        bucket_of = ", ".join(f"'{n}'" for n in names)
        sums = ", ".join(
            f"'{n}', {_money(f'SUM(balance) FILTER (WHERE k = {k})', 'e')}"
            for k, n in enumerate(names)
        )
        return f"""{base},
        open AS (
            SELECT a.*, x.e, {" ".join(bucket)} AS k, bal AS balance FROM aged a
            JOIN ex x ON x.cur = a.cur WHERE live AND bal > 0),
        rows AS (
            SELECT json_object('invoice_id', id, 'number', number, 'customer_id', customer_id,
                       'customer', customer, 'currency', cur,
                       'issue_date', CAST(issue_date AS VARCHAR),
                       'due_date', CAST(due_date AS VARCHAR), 'days', days,
                       'bucket', [{bucket_of}][k + 1], 'amount', {_money("amount", "e")},
                       'balance', {_money("balance", "e")}) AS j,
                   lower(customer) AS o1, due_date AS o2, number AS o3
            FROM open),
        totals AS (
            SELECT cur, json_object('currency', cur, {sums},
                       'total', {_money("SUM(balance)", "e")}) AS j
            FROM open GROUP BY cur, e)
        SELECT json_object({envelope_head},
            'rows', (SELECT COALESCE(list(j ORDER BY o1, o2, o3), []) FROM rows),
            'totals', (SELECT COALESCE(list(j ORDER BY cur), []) FROM totals))"""
    sums = ", ".join(f"SUM(CASE WHEN k = {k} THEN b ELSE 0 END) AS b{k}" for k in range(len(names)))
    cols = ", ".join(f"'{n}', {_money(f'b{k}', 'e')}" for k, n in enumerate(names))
    tcols = ", ".join(f"'{n}', {_money(f'SUM(b{k})', 'e')}" for k, n in enumerate(names))
    bucket_total = " + ".join(f"b{k}" for k in range(len(names)))
    zero = " AND ".join(f"b{k} = 0" for k in range(len(names)))
    return f"""{base},
    parts AS (
        SELECT customer_id, cur,
               CASE WHEN live AND bal > 0 THEN bal ELSE 0 END AS b,
               CASE WHEN live AND bal > 0 THEN {" ".join(bucket)} ELSE 0 END AS k,
               CASE WHEN live THEN LEAST(bal, 0) ELSE -credit END AS u
        FROM aged WHERE NOT live OR bal != 0
        UNION ALL
        SELECT p.customer_id, COALESCE(p.cur, c.cur), 0, 0,
               CASE WHEN kind = 'refund' THEN amount ELSE -amount END
        FROM pay p JOIN cust c ON c.id = p.customer_id WHERE p.invoice_id IS NULL),
    grouped AS (
        SELECT customer_id, cur, {sums}, SUM(u) AS unap FROM parts GROUP BY customer_id, cur),
    lines AS (
        SELECT g.*, x.e, c.name, {bucket_total} + unap AS total
        FROM grouped g JOIN cust c ON c.id = g.customer_id JOIN ex x ON x.cur = g.cur
        WHERE NOT ({zero} AND unap = 0)),
    rows AS (
        SELECT json_object('customer_id', customer_id, 'customer', name, 'currency', cur,
                   {cols}, 'unapplied', {_money("unap", "e")}, 'total', {_money("total", "e")})
                   AS j, lower(name) AS o1, cur AS o2, customer_id AS o3
        FROM lines),
    totals AS (
        SELECT cur, json_object('currency', cur, {tcols}, 'unapplied', {_money("SUM(unap)", "e")},
                   'total', {_money("SUM(total)", "e")}) AS j
        FROM lines GROUP BY cur, e)
    SELECT json_object({envelope_head},
        'rows', (SELECT COALESCE(list(j ORDER BY o1, o2, o3), []) FROM rows),
        'totals', (SELECT COALESCE(list(j ORDER BY cur), []) FROM totals))"""


def aging(directory: Path, as_of: date, by: str) -> str:
    """The aging report as JSON text, computed by DuckDB straight from the CSVs."""
    import duckdb

    con = duckdb.connect()
    try:
        row: Any = con.execute(aging_sql(directory, as_of, by)).fetchone()
    finally:
        con.close()
    return str(row[0])


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: ``load DIR DB`` or ``aging DIR --as-of DATE [--by customer|invoice]``."""
    parser = argparse.ArgumentParser(description="DuckDB peer for collectctl's benchmarks.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_load = sub.add_parser("load", help="load the three CSVs into a .duckdb file")
    p_load.add_argument("dir", type=Path)
    p_load.add_argument("db", type=Path)
    p_aging = sub.add_parser("aging", help="the aging report end to end from the CSVs")
    p_aging.add_argument("dir", type=Path)
    p_aging.add_argument("--as-of", type=date.fromisoformat, required=True)
    p_aging.add_argument("--by", choices=("customer", "invoice"), default="customer")
    args = parser.parse_args(argv)
    if args.command == "load":
        load(args.dir, args.db)
    else:
        sys.stdout.write(aging(args.dir, args.as_of, args.by))
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

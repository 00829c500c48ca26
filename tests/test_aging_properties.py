"""Aging checked against a deliberately simple, independent computation (hypothesis).

The reference below reads contracts §3 literally, in Decimal, one invoice and one allocation at a
time; it shares no code with collectctl's SQL aggregation.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from core_helpers import run_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectctl.records import Allocation, Customer, Invoice

START = date(2026, 1, 1)
DECIMALS = {"USD": 2, "JPY": 0, "BHD": 3}


def reference(customers, invoices, allocations, as_of, bounds, basis):
    """{(customer, currency): {bucket: Decimal, 'unapplied': Decimal}} for non-empty rows."""
    names = ["current"]
    low = 1
    for b in bounds:
        names.append(f"{low}-{b}")
        low = b + 1
    names.append(f"{low}+")
    currency_of = {c.id: c.currency for c in customers}
    lines = defaultdict(lambda: dict.fromkeys([*names, "unapplied"], Decimal(0)))
    for i in invoices:
        cur = currency_of[i.customer_id]
        applied = sum(
            (a.amount for a in allocations if a.invoice_id == i.id and a.date <= as_of),
            Decimal(0),
        )
        line = lines[(i.customer_id, cur)]
        if i.void or i.issue_date > as_of:
            line["unapplied"] -= applied
            continue
        balance = i.amount - applied
        if balance < 0:
            line["unapplied"] += balance
        elif balance > 0:
            days = (as_of - (i.due_date if basis == "due" else i.issue_date)).days
            if days <= 0:
                line["current"] += balance
            else:
                for k, b in enumerate(bounds):
                    if days <= b:
                        line[names[k + 1]] += balance
                        break
                else:
                    line[names[-1]] += balance
    for a in allocations:
        if a.invoice_id is None and a.date <= as_of:
            line = lines[(a.customer_id, currency_of[a.customer_id])]
            line["unapplied"] += a.amount if a.kind == "refund" else -a.amount
    return {k: v for k, v in lines.items() if any(v.values())}, names


@st.composite
def books(draw):
    n_customers = draw(st.integers(1, 3))
    customers = [
        Customer(id=f"C{k}", name=f"Customer {k}", currency=draw(st.sampled_from(list(DECIMALS))))
        for k in range(n_customers)
    ]
    invoices = []
    for k in range(draw(st.integers(0, 7))):
        c = draw(st.sampled_from(customers))
        exp = DECIMALS[c.currency]
        issue = START + timedelta(days=draw(st.integers(0, 200)))
        invoices.append(
            Invoice(
                id=f"I{k}",
                customer_id=c.id,
                issue_date=issue,
                due_date=issue + timedelta(days=draw(st.integers(0, 60))),
                amount=Decimal(draw(st.integers(1, 10**6))).scaleb(-exp),
                void=draw(st.booleans()) and draw(st.booleans()),
            )
        )
    allocations = []
    for k in range(draw(st.integers(0, 9))):
        c = draw(st.sampled_from(customers))
        exp = DECIMALS[c.currency]
        mine = [i for i in invoices if i.customer_id == c.id]
        target = draw(st.one_of(st.none(), st.sampled_from(mine))) if mine else None
        kind = draw(st.sampled_from(["payment", "credit"] + ([] if target else ["refund"])))
        allocations.append(
            Allocation(
                payment_id=f"P{k}",
                customer_id=c.id,
                date=START + timedelta(days=draw(st.integers(0, 260))),
                amount=Decimal(draw(st.integers(1, 10**6))).scaleb(-exp),
                invoice_id=target.id if target else None,
                kind=kind,
            )
        )
    return customers, invoices, allocations


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=books(),
    as_of=st.integers(-10, 300).map(lambda d: START + timedelta(days=d)),
    bounds=st.sampled_from([(30, 60, 90), (15, 45), (7,), (10, 20, 30, 60, 120)]),
    basis=st.sampled_from(["due", "issue"]),
)
def test_aging_matches_reference(cli, books, data, as_of, bounds, basis):
    customers, invoices, allocations = data
    books.load([*customers, *invoices, *allocations])
    result = cli("sync", "memory", "--allow-deletions", "-q")
    assert result.exit_code == 0, result.stderr
    doc = run_json(
        cli,
        "aging",
        "--as-of",
        as_of.isoformat(),
        "--buckets",
        ",".join(map(str, bounds)),
        "--basis",
        basis,
    )
    expected, names = reference(customers, invoices, allocations, as_of, bounds, basis)
    assert doc["buckets"] == names
    got = {
        (r["customer_id"], r["currency"]): {k: Decimal(r[k]) for k in [*names, "unapplied"]}
        for r in doc["rows"]
    }
    assert got == expected
    # buckets + unapplied == total, for every row and every totals line
    for r in doc["rows"] + doc["totals"]:
        assert sum(Decimal(r[k]) for k in [*names, "unapplied"]) == Decimal(r["total"])
    # the per-customer rows sum to the totals, per currency
    for t in doc["totals"]:
        mine = [r for r in doc["rows"] if r["currency"] == t["currency"]]
        for k in [*names, "unapplied", "total"]:
            assert sum(Decimal(r[k]) for r in mine) == Decimal(t[k])
    # money strings carry exactly the currency's decimals
    for r in doc["rows"]:
        exp = DECIMALS[r["currency"]]
        assert all(-Decimal(r[k]).as_tuple().exponent == exp for k in [*names, "total"])
    # by invoice agrees with by customer on every open balance
    inv_doc = run_json(
        cli,
        "aging",
        "--as-of",
        as_of.isoformat(),
        "--by",
        "invoice",
        "--basis",
        basis,
        "--buckets",
        ",".join(map(str, bounds)),
    )
    per_customer = defaultdict(Decimal)
    for r in inv_doc["rows"]:
        assert Decimal(r["balance"]) > 0
        per_customer[(r["customer_id"], r["currency"])] += Decimal(r["balance"])
    for key, line in expected.items():
        assert per_customer.get(key, Decimal(0)) == sum(line[k] for k in names)

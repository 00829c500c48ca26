"""The sync logic with ``responses``: full vs incremental, CDC fallbacks, cursor, deletions, and
one run through the real CLI into the ledger."""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest
import responses
from collectctl_quickbooks.auth import Token, TokenStore
from collectctl_quickbooks.sync import read

from collectctl.records import Allocation, Cursor, Customer, Deletion, Invoice, SyncRequest

BASE = "https://qbo.test"
REALM = "9130"
URL = f"{BASE}/v3/company/{REALM}"
NOW = "2026-03-02T09:14:05.123-08:00"
SECRET = "client-secret-ABC"

PREFS = {
    "Preferences": {
        "CurrencyPrefs": {"MultiCurrencyEnabled": True, "HomeCurrency": {"value": "USD"}}
    },
    "time": NOW,
}
DATA = {
    "Customer": [
        {"Id": "1", "SyncToken": "0", "DisplayName": "Acme Ltd", "Active": True},
        {
            "Id": "2",
            "SyncToken": "1",
            "DisplayName": "Harbor Tools Ltd",
            "CurrencyRef": {"value": "GBP"},
            "Active": True,
        },
        {"Id": "3", "SyncToken": "2", "DisplayName": "Dormant Co (deleted)", "Active": False},
    ],
    "Invoice": [
        {
            "Id": "10",
            "DocNumber": "1001",
            "TxnDate": "2026-01-05",
            "DueDate": "2026-02-04",
            "CustomerRef": {"value": "1"},
            "TotalAmt": 500,
            "Balance": 200,
        },
        {
            "Id": "11",
            "DocNumber": "1002",
            "TxnDate": "2026-01-05",
            "DueDate": "2026-02-04",
            "CustomerRef": {"value": "1"},
            "TotalAmt": 0,
            "Balance": 0,
            "PrivateNote": "Voided",
        },
        {
            "Id": "12",
            "DocNumber": "1003",
            "TxnDate": "2026-01-15",
            "DueDate": "2026-02-14",
            "CustomerRef": {"value": "2"},
            "CurrencyRef": {"value": "GBP"},
            "TotalAmt": "362.07",
            "Balance": "122.07",
        },
        {
            "Id": "13",
            "DocNumber": "1004",
            "TxnDate": "2025-12-01",
            "DueDate": "2025-12-31",
            "CustomerRef": {"value": "3"},
            "TotalAmt": 100,
            "Balance": 0,
        },
    ],
    "CreditMemo": [
        {
            "Id": "20",
            "DocNumber": "CM-7",
            "TxnDate": "2026-02-25",
            "CustomerRef": {"value": "2"},
            "CurrencyRef": {"value": "GBP"},
            "TotalAmt": 40,
            "RemainingCredit": 0,
            "Balance": 0,
        },
    ],
    "Payment": [
        {
            "Id": "30",
            "TxnDate": "2026-02-10",
            "CustomerRef": {"value": "1"},
            "TotalAmt": 300,
            "UnappliedAmt": 0,
            "Line": [{"Amount": 300, "LinkedTxn": [{"TxnId": "10", "TxnType": "Invoice"}]}],
        },
        {
            "Id": "31",
            "TxnDate": "2026-02-20",
            "CustomerRef": {"value": "2"},
            "CurrencyRef": {"value": "GBP"},
            "TotalAmt": 250,
            "UnappliedAmt": 0,
            "Line": [
                {"Amount": 200, "LinkedTxn": [{"TxnId": "12", "TxnType": "Invoice"}]},
                {"Amount": 50, "LinkedTxn": [{"TxnId": "40", "TxnType": "Check"}]},
            ],
        },
        {
            "Id": "32",
            "TxnDate": "2026-02-25",
            "CustomerRef": {"value": "2"},
            "CurrencyRef": {"value": "GBP"},
            "TotalAmt": 0,
            "UnappliedAmt": 0,
            "Line": [
                {"Amount": 40, "LinkedTxn": [{"TxnId": "12", "TxnType": "Invoice"}]},
                {"Amount": 40, "LinkedTxn": [{"TxnId": "20", "TxnType": "CreditMemo"}]},
            ],
        },
        {
            "Id": "33",
            "TxnDate": "2025-12-20",
            "CustomerRef": {"value": "3"},
            "TotalAmt": 100,
            "UnappliedAmt": 0,
            "Line": [{"Amount": 100, "LinkedTxn": [{"TxnId": "13", "TxnType": "Invoice"}]}],
        },
    ],
    "Purchase": [
        {
            "Id": "40",
            "PaymentType": "Check",
            "TxnDate": "2026-02-26",
            "TotalAmt": 50,
            "EntityRef": {"value": "2", "type": "Customer"},
        },
    ],
}


def _query_callback(data):
    def callback(request):
        sql = parse_qs(urlparse(request.url).query)["query"][0]
        entity = re.search(r"FROM (\w+)", sql).group(1)
        rows = data.get(entity, [])
        ids = re.search(r"Id IN \(([^)]*)\)", sql)
        if ids:
            wanted = {x.strip().strip("'") for x in ids.group(1).split(",")}
            rows = [r for r in rows if r["Id"] in wanted]
        if entity == "Customer" and "Active IN (true, false)" not in sql:
            rows = [r for r in rows if r.get("Active", True)]
        start = int(re.search(r"STARTPOSITION (\d+)", sql).group(1))
        size = int(re.search(r"MAXRESULTS (\d+)", sql).group(1))
        page = rows[start - 1 : start - 1 + size]
        body = {"QueryResponse": {entity: page} if page else {}, "time": NOW}
        return 200, {"intuit_tid": "tid-q"}, json.dumps(body)

    return callback


def serve(data=DATA) -> None:
    responses.get(f"{URL}/preferences", json=PREFS)
    responses.add_callback(
        responses.GET, re.compile(re.escape(f"{URL}/query")), callback=_query_callback(data)
    )


def _token(profile: Path) -> None:
    TokenStore(profile / "quickbooks-token.json").save(
        Token("ACCESS-tok-1", "REFRESH-tok-1", time.time() + 3600, None, REALM, "production")
    )


def env() -> dict[str, str]:
    return {
        "QUICKBOOKS_CLIENT_ID": "cid",
        "QUICKBOOKS_CLIENT_SECRET": SECRET,
        "QUICKBOOKS_BASE_URL": BASE,
        "QUICKBOOKS_TOKEN_URL": "https://oauth.test/token",
        "QUICKBOOKS_RETRY_BASE": "0.01",
    }


def request(tmp_path: Path, cursor: str | None = None, full: bool = False) -> SyncRequest:
    _token(tmp_path)
    return SyncRequest(
        options={}, cursor=cursor, full=full or cursor is None, profile_dir=tmp_path, env=env()
    )


@responses.activate
def test_full_read_yields_every_entity_and_the_server_time_as_cursor(tmp_path):
    serve()
    batch = read(request(tmp_path))
    assert batch.complete is True
    records = list(batch.records)
    assert records[-1] == Cursor(NOW)
    customers = {r.id: r for r in records if isinstance(r, Customer)}
    invoices = {r.id: r for r in records if isinstance(r, Invoice)}
    allocations = [r for r in records if isinstance(r, Allocation)]
    assert customers["3"].active is False
    assert customers["3"].name == "Dormant Co"
    assert customers["2"].currency == "GBP"
    assert customers["1"].currency == "USD"
    assert invoices["11"].void is True
    assert invoices["12"].amount == Decimal("362.07")
    # Open amount per invoice = QuickBooks' Balance.
    for inv in invoices.values():
        applied = sum(a.amount for a in allocations if a.invoice_id == inv.id)
        assert inv.amount - applied == inv.source_balance, inv.id
    refund = next(a for a in allocations if a.kind == "refund")
    assert (refund.payment_id, str(refund.date), refund.amount) == ("31", "2026-02-26", 50)
    queries = [
        parse_qs(urlparse(c.request.url).query).get("query", [""])[0] for c in responses.calls
    ]
    assert (
        "SELECT * FROM Customer WHERE Active IN (true, false) ORDERBY Id "
        "STARTPOSITION 1 MAXRESULTS 1000" in queries
    )
    assert any("FROM Purchase WHERE Id IN ('40')" in q for q in queries)
    assert not any(c.request.url.startswith(f"{URL}/cdc") for c in responses.calls)


CDC_BODY = {
    "CDCResponse": [
        {
            "QueryResponse": [
                {
                    "Invoice": [
                        {
                            "Id": "14",
                            "SyncToken": "0",
                            "DocNumber": "1005",
                            "TxnDate": "2026-03-01",
                            "CustomerRef": {"value": "1"},
                            "TotalAmt": 60,
                            "Balance": 60,
                        },
                        {
                            "Id": "10",
                            "SyncToken": "3",
                            "DocNumber": "1001",
                            "TxnDate": "2026-01-05",
                            "CustomerRef": {"value": "1"},
                            "TotalAmt": 500,
                            "Balance": 500,
                        },
                        {
                            "Id": "10",
                            "SyncToken": "2",
                            "DocNumber": "1001",
                            "TxnDate": "2026-01-05",
                            "CustomerRef": {"value": "1"},
                            "TotalAmt": 500,
                            "Balance": 100,
                        },
                    ]
                },
                {
                    "Payment": [
                        {
                            "status": "Deleted",
                            "domain": "QBO",
                            "Id": "30",
                            "MetaData": {"LastUpdatedTime": "2026-03-01T08:00:00-08:00"},
                        }
                    ]
                },
                {
                    "CreditMemo": [
                        {
                            "Id": "21",
                            "SyncToken": "0",
                            "TxnDate": "2026-03-01",
                            "CustomerRef": {"value": "1"},
                            "TotalAmt": 15,
                            "RemainingCredit": 15,
                        }
                    ]
                },
                {
                    "RefundReceipt": [
                        {
                            "Id": "50",
                            "TxnDate": "2026-03-01",
                            "CustomerRef": {"value": "1"},
                            "TotalAmt": 25,
                        }
                    ]
                },
            ]
        }
    ],
    "time": "2026-03-02T10:00:00.000-08:00",
}


@responses.activate
def test_incremental_read_uses_cdc_since_cursor_minus_overlap(tmp_path):
    serve()
    responses.get(f"{URL}/cdc", json=CDC_BODY)
    batch = read(request(tmp_path, cursor="2026-03-01T12:00:00.000-08:00"))
    assert batch.complete is False
    records = list(batch.records)
    cdc = next(c for c in responses.calls if c.request.url.startswith(f"{URL}/cdc"))
    params = parse_qs(urlparse(cdc.request.url).query)
    assert params["changedSince"] == ["2026-03-01T11:55:00-08:00"]
    assert params["entities"] == ["Customer,Invoice,Payment,CreditMemo,Purchase,RefundReceipt"]
    assert records[-1] == Cursor("2026-03-02T10:00:00.000-08:00")
    assert Deletion("payment", "30") in records
    invoices = {r.id: r for r in records if isinstance(r, Invoice)}
    assert invoices["10"].source_balance == 500  # the highest SyncToken wins
    assert set(invoices) == {"10", "14"}
    credit = next(r for r in records if isinstance(r, Allocation))
    assert (credit.payment_id, credit.amount, credit.invoice_id) == ("CreditMemo-21", 15, None)


@responses.activate
def test_cursor_older_than_29_days_means_full(tmp_path):
    serve()
    batch = read(request(tmp_path, cursor="2026-01-20T12:00:00-08:00"))
    assert batch.complete is True
    list(batch.records)
    assert not any(c.request.url.startswith(f"{URL}/cdc") for c in responses.calls)


@responses.activate
def test_cdc_at_the_1000_object_cap_falls_back_to_full(tmp_path):
    serve()
    many = [{"Id": str(1000 + i), "SyncToken": "0", "DisplayName": f"C{i}"} for i in range(1000)]
    responses.get(
        f"{URL}/cdc", json={"CDCResponse": [{"QueryResponse": [{"Customer": many}]}], "time": NOW}
    )
    batch = read(request(tmp_path, cursor="2026-03-01T12:00:00-08:00"))
    assert batch.complete is True
    assert list(batch.records)[-1] == Cursor(NOW)


@responses.activate
def test_bad_objects_become_problems_not_crashes(tmp_path):
    data = {
        **DATA,
        "Invoice": [
            {"Id": "99", "TxnDate": "not-a-date", "CustomerRef": {"value": "1"}, "TotalAmt": 5}
        ],
    }
    serve(data)
    records = list(read(request(tmp_path)).records)
    problems = [r for r in records if type(r).__name__ == "Problem"]
    assert [str(p) for p in problems] == [
        "Invoice 99: column 'TxnDate': TxnDate is not a date (YYYY-MM-DD)"
    ]


@responses.activate
def test_cli_full_sync_then_aging_matches_quickbooks_balances(cli, collectctl_home):
    serve()
    profile = collectctl_home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    _token(profile)
    result = cli("sync", "quickbooks", "--full", env=env())
    assert result.exit_code == 0, result.output
    aging = cli("aging", "--format", "json", "--as-of", "2026-03-02", env=env())
    assert aging.exit_code == 0, aging.output
    doc = json.loads(aging.stdout)
    rows = {(r["customer"], r["currency"]): r for r in doc["rows"]}
    assert rows[("Acme Ltd", "USD")]["total"] == "200.00"
    assert rows[("Harbor Tools Ltd", "GBP")]["total"] == "122.07"
    assert ("Dormant Co", "USD") not in rows
    # Historical: before the refund check (02-26) Harbor had 50.00 of unapplied cash.
    past = json.loads(cli("aging", "--format", "json", "--as-of", "2026-02-21", env=env()).stdout)
    harbor = next(r for r in past["rows"] if r["customer"] == "Harbor Tools Ltd")
    assert harbor["unapplied"] == "-50.00"
    assert harbor["total"] == "112.07"
    ledger = (profile / "ledger.db").read_bytes()
    for secret in (SECRET, "ACCESS-tok-1", "REFRESH-tok-1"):
        assert secret.encode() not in ledger
        assert secret not in result.output


@responses.activate
def test_cli_sync_failure_exits_1_without_traceback(cli, collectctl_home):
    responses.get(
        f"{URL}/preferences",
        status=403,
        json={
            "Fault": {
                "Error": [{"Message": "Forbidden", "code": "3100"}],
                "type": "AuthorizationFault",
            }
        },
    )
    profile = collectctl_home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    _token(profile)
    result = cli("sync", "quickbooks", env=env())
    assert result.exit_code == 1
    assert "403" in result.output
    assert "quickbooks auth" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("missing", ["QUICKBOOKS_CLIENT_ID", "QUICKBOOKS_CLIENT_SECRET"])
def test_cli_sync_without_credentials_is_a_config_error(cli, collectctl_home, missing):
    profile = collectctl_home / "profiles" / "default"
    profile.mkdir(parents=True, exist_ok=True)
    TokenStore(profile / "quickbooks-token.json").save(
        Token("A", "R", time.time() - 10, None, REALM, "production")
    )
    e = env()
    del e[missing]
    result = cli("sync", "quickbooks", env=e)
    assert result.exit_code == 1
    assert missing in result.output


def test_full_scan_dedupe_is_exact_for_any_id():
    from collectctl_quickbooks.sync import _Seen

    seen = _Seen()
    ids = ["1", "7", "007", "0", "130", "99999", str(_Seen.MAX_BIT + 5), "abc", "١٢", "-3"]
    assert all(seen.add(i) for i in ids)  # all distinct, whatever their form
    assert not any(seen.add(i) for i in ids)  # and each is seen exactly once
    assert seen.add("8")
    assert seen.add("131")
    assert len(seen.bits) < 20_000  # a bitmap, not a set of strings


@pytest.mark.parametrize(
    "body",
    [
        {"CDCResponse": [{"QueryResponse": {"Invoice": [{"Id": "1", "status": "Deleted"}]}}]},
        {"CDCResponse": [{"QueryResponse": [{"Invoice": {"Id": "1", "status": "Deleted"}}]}]},
        {"CDCResponse": [{"QueryResponse": [{"Invoice": [7]}]}]},
        {"CDCResponse": [{"QueryResponse": ["Invoice"]}]},
        {"CDCResponse": ["x"]},
    ],
)
def test_a_cdc_answer_of_another_shape_is_an_error_not_no_changes(body):
    # Read as "nothing changed", the cursor would move past the changes it holds.
    from collectctl_quickbooks.sync import _cdc_changes

    from collectctl.errors import SourceError

    with pytest.raises(SourceError, match="QuickBooks CDC response"):
        _cdc_changes(body)


def test_a_cdc_answer_of_the_right_shape_is_read():
    from collectctl_quickbooks.sync import _cdc_changes

    body = {
        "CDCResponse": [
            {
                "QueryResponse": [
                    {"Invoice": [{"Id": "1"}], "startPosition": 1, "totalCount": 1},
                    {"Payment": []},
                ]
            }
        ]
    }
    assert _cdc_changes(body)["Invoice"] == [{"Id": "1"}]


def test_a_time_without_an_offset_is_pacific_time():
    from datetime import UTC, datetime

    from collectctl_quickbooks.sync import _parse_time

    assert _parse_time("2026-04-01T10:00:00") == datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
    assert _parse_time("2026-01-15T10:00:00") == datetime(2026, 1, 15, 18, 0, tzinfo=UTC)
    assert _parse_time("2026-04-01T10:00:00-07:00") == datetime(2026, 4, 1, 17, 0, tzinfo=UTC)
    assert _parse_time("yesterday") is None

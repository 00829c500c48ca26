"""Tests of the fake QuickBooks Online server itself, through plain ``requests``."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from fakeqbo import Books, FakeQBO, QueryError, dumps, generate_books, parse_query, small_books
from fakeqbo.query import FILTERABLE

TIMEOUT = 5


def api(qbo: FakeQBO) -> requests.Session:
    """A session with a freshly issued bearer token and JSON accepted."""
    s = requests.Session()
    token = qbo.issue_tokens()["access_token"]
    s.headers.update({"Authorization": f"Bearer {token}", "Accept": "application/json"})
    return s


def query(s: requests.Session, qbo: FakeQBO, text: str, **kw: Any) -> requests.Response:
    """GET .../query with minorversion=75."""
    params = {"query": text, "minorversion": "75"}
    return s.get(f"{qbo.api_url}/query", params=params, timeout=kw.get("timeout", TIMEOUT))


def rows(resp: requests.Response, entity: str) -> list[dict[str, Any]]:
    """The entity rows of a query page (parsed with Decimal amounts)."""
    assert resp.status_code == 200, resp.text
    return resp.json(parse_float=Decimal)["QueryResponse"].get(entity, [])


def fault_of(resp: requests.Response) -> dict[str, Any]:
    """The first error of a ``Fault`` body."""
    body = resp.json()
    return {"type": body["Fault"]["type"], **body["Fault"]["Error"][0]}


def token_post(qbo: FakeQBO, data: dict[str, str], **headers: str) -> requests.Response:
    """POST to the token endpoint with the right client credentials."""
    basic = base64.b64encode(f"{qbo.client_id}:{qbo.client_secret}".encode()).decode()
    return requests.post(
        qbo.token_url,
        data=data,
        headers={"Authorization": f"Basic {basic}", "Accept": "application/json", **headers},
        timeout=TIMEOUT,
    )


@pytest.fixture(scope="module")
def many_books() -> Books:
    """2000 generated invoices (an exact multiple of 1000); shared, so do not mutate."""
    return generate_books(2000, seed=7)


@pytest.fixture
def many(fake_qbo_factory: Callable[..., FakeQBO], many_books: Books) -> FakeQBO:
    """A server over :func:`many_books`."""
    return fake_qbo_factory(many_books)


# ------------------------------------------------------------------ basics


def test_server_binds_localhost_and_sends_intuit_tid(fake_qbo: FakeQBO) -> None:
    assert fake_qbo.base_url.startswith("http://127.0.0.1:")
    resp = query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 200
    assert resp.headers["intuit_tid"]
    assert resp.headers["Content-Type"].startswith("application/json")


def test_no_bearer_token_is_a_gateway_401(fake_qbo: FakeQBO) -> None:
    resp = requests.get(
        f"{fake_qbo.api_url}/query",
        params={"query": "SELECT * FROM Invoice"},
        headers={"Accept": "application/json"},
        timeout=TIMEOUT,
    )
    assert resp.status_code == 401
    assert resp.headers["intuit_tid"]
    body = resp.json()
    err = body["fault"]["error"][0]
    assert body["fault"]["type"] == "AUTHENTICATION"
    assert err["message"] == "message=AuthenticationFailed; errorCode=003200; statusCode=401"
    assert isinstance(body["time"], int)
    # a token in the query string is not a token
    token = fake_qbo.issue_tokens()["access_token"]
    resp = requests.get(
        f"{fake_qbo.api_url}/query",
        params={"query": "SELECT * FROM Invoice", "access_token": token},
        timeout=TIMEOUT,
    )
    assert resp.status_code == 401


def test_unknown_token_and_other_realm(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    other = s.get(
        f"{fake_qbo.base_url}/v3/company/999/query", params={"query": "SELECT * FROM Invoice"}
    )
    assert other.status_code == 403
    assert fault_of(other)["type"] == "AuthorizationFault"
    s.headers["Authorization"] = "Bearer not-a-token"
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 401


def test_amounts_are_exact_json_numbers_and_empty_fields_omitted(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    inv_id = fake_qbo.books.ids["inv_harbor"]
    resp = query(s, fake_qbo, f"SELECT * FROM Invoice WHERE Id = '{inv_id}'")
    assert '"TotalAmt":362.07' in resp.text
    assert '"UnitPrice":362.07' in resp.text
    assert "null" not in resp.text
    (inv,) = rows(resp, "Invoice")
    assert inv["Id"] == inv_id
    assert isinstance(inv["SyncToken"], str)
    assert inv["Balance"] == Decimal("122.07")
    assert inv["CurrencyRef"]["value"] == "GBP"
    assert inv["MetaData"]["LastUpdatedTime"].endswith("-08:00")
    assert dumps({"a": Decimal("250.00"), "b": Decimal("-0.50")}) == '{"a":250.00,"b":-0.50}'


def test_xml_unless_json_is_accepted(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    del s.headers["Accept"]
    resp = query(s, fake_qbo, "SELECT * FROM Customer")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/xml")
    assert resp.text.startswith("<?xml")


def test_read_one_preferences_companyinfo(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    ids = fake_qbo.books.ids
    one = s.get(f"{fake_qbo.api_url}/invoice/{ids['inv_harbor']}", params={"minorversion": 75})
    assert (
        one.json()["Invoice"]["DocNumber"]
        == fake_qbo.books.get("Invoice", ids["inv_harbor"])["DocNumber"]
    )
    gone = s.get(f"{fake_qbo.api_url}/payment/{ids['pay_acme_deleted']}")
    assert gone.status_code == 400
    assert fault_of(gone)["code"] == "610"
    prefs = s.get(f"{fake_qbo.api_url}/preferences").json()["Preferences"]
    assert prefs["CurrencyPrefs"]["MultiCurrencyEnabled"] is True
    assert prefs["CurrencyPrefs"]["HomeCurrency"]["value"] == "USD"
    info = s.get(f"{fake_qbo.api_url}/companyinfo/{fake_qbo.realm_id}").json()
    assert info["CompanyInfo"]["CompanyName"] == "Fake Collect Co"


# -------------------------------------------------------------- pagination


def test_pagination_is_one_based_with_extra_empty_page(many: FakeQBO) -> None:
    s = api(many)
    seen: list[str] = []
    start = 1
    pages = []
    while True:
        resp = query(
            s, many, f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 1000"
        )
        body = resp.json()
        pages.append(body)
        page = body["QueryResponse"].get("Invoice", [])
        seen += [inv["Id"] for inv in page]
        if len(page) < 1000:
            break
        start += 1000
    assert len(pages) == 3  # 2000 rows: two full pages and one empty one
    assert pages[0]["QueryResponse"]["startPosition"] == 1
    assert pages[0]["QueryResponse"]["maxResults"] == 1000
    assert pages[1]["QueryResponse"]["startPosition"] == 1001
    assert pages[2]["QueryResponse"] == {}
    assert "time" in pages[2]
    assert "totalCount" not in pages[0]["QueryResponse"]
    assert len(seen) == len(set(seen)) == 2000
    assert seen == sorted(seen, key=int)


def test_default_and_short_pages(many: FakeQBO) -> None:
    s = api(many)
    first = rows(query(s, many, "SELECT * FROM Invoice"), "Invoice")
    assert len(first) == 100
    resp = query(s, many, "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 1950 MAXRESULTS 1000")
    assert resp.json()["QueryResponse"]["maxResults"] == 51


def test_maxresults_over_1000_rejected(many: FakeQBO) -> None:
    resp = query(api(many), many, "SELECT * FROM Invoice MAXRESULTS 1500")
    assert resp.status_code == 400
    err = fault_of(resp)
    assert err["type"] == "ValidationFault"
    assert (
        "QueryValidationError: value 1500 is too large. Max allowed value is 1000" in err["Detail"]
    )


def test_count(many: FakeQBO) -> None:
    resp = query(api(many), many, "SELECT COUNT(*) FROM Invoice")
    assert resp.json()["QueryResponse"] == {"totalCount": 2000}


def test_big_pages_page_through_every_invoice_once_in_order(
    fake_qbo_factory: Callable[..., FakeQBO],
) -> None:
    # The benchmarks page through 1000-entity pages; how fast is for `make bench`, never a test.
    qbo = fake_qbo_factory(generate_books(5000, seed=1))
    s = api(qbo)
    seen: list[int] = []
    for start in (1, 1001, 2001, 3001):
        page = rows(
            query(
                s, qbo, f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 1000"
            ),
            "Invoice",
        )
        assert len(page) == 1000
        seen.extend(int(r["Id"]) for r in page)
    assert seen == sorted(seen)
    assert len(set(seen)) == 4000


# ------------------------------------------------------------------ parser


def test_quotes_escapes_in_like(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    got = rows(
        query(s, fake_qbo, r"SELECT * FROM Customer WHERE DisplayName = 'O\'Brien & Sons'"),
        "Customer",
    )
    assert [c["Id"] for c in got] == [fake_qbo.books.ids["obrien"]]
    got = rows(
        query(s, fake_qbo, "SELECT * FROM Customer WHERE DisplayName LIKE 'acme%'"), "Customer"
    )
    assert {c["DisplayName"] for c in got} == {"Acme Ltd", "Acme Ltd:Site 2"}
    got = rows(
        query(s, fake_qbo, "SELECT * FROM Customer WHERE DisplayName LIKE '%Tools%'"), "Customer"
    )
    assert [c["DisplayName"] for c in got] == ["Harbor Tools Ltd"]
    got = rows(
        query(
            s,
            fake_qbo,
            "select * from invoice where DocNumber in ('1001', '1005') orderby DocNumber desc",
        ),
        "Invoice",
    )
    assert [i["DocNumber"] for i in got] == ["1005", "1001"]


def test_customer_active_filter(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    ids = fake_qbo.books.ids
    active = rows(query(s, fake_qbo, "SELECT * FROM Customer"), "Customer")
    assert ids["dormant"] not in {c["Id"] for c in active}
    everyone = rows(
        query(s, fake_qbo, "SELECT * FROM Customer WHERE Active IN (true, false)"), "Customer"
    )
    assert {c["Id"] for c in everyone} == set(fake_qbo.books.entities["Customer"])
    dormant = next(c for c in everyone if c["Id"] == ids["dormant"])
    assert dormant["Active"] is False
    assert dormant["DisplayName"].endswith(" (deleted)")
    inactive = rows(query(s, fake_qbo, "SELECT * FROM Customer WHERE Active = false"), "Customer")
    assert [c["Id"] for c in inactive] == [ids["dormant"]]
    count = query(s, fake_qbo, "SELECT COUNT(*) FROM Customer").json()
    assert count["QueryResponse"]["totalCount"] == len(active)


def test_comparisons_and_refs(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    ids = fake_qbo.books.ids
    open_acme = rows(
        query(
            s,
            fake_qbo,
            f"SELECT * FROM Invoice WHERE CustomerRef = '{ids['acme']}' AND Balance > '0' "
            "ORDERBY TxnDate",
        ),
        "Invoice",
    )
    assert [i["Id"] for i in open_acme] == [
        ids["inv_acme_reopened"],
        ids["inv_acme_partial"],
        ids["inv_acme_open"],
        ids["inv_recent"],
    ]
    due = rows(
        query(
            s,
            fake_qbo,
            "SELECT * FROM Invoice WHERE DueDate <= '2026-02-04' AND DueDate >= '2026-02-04'",
        ),
        "Invoice",
    )
    assert {i["Id"] for i in due} == {ids["inv_acme_partial"], ids["inv_acme_void"]}
    big = rows(query(s, fake_qbo, "SELECT * FROM Invoice WHERE Balance >= 1200"), "Invoice")
    assert [i["Id"] for i in big] == [ids["inv_acme_open"]]
    after = rows(
        query(s, fake_qbo, f"SELECT * FROM Invoice WHERE Id > '{ids['inv_obrien']}'"), "Invoice"
    )
    assert {i["Id"] for i in after} == {ids["inv_site"], ids["inv_recent"]}


def test_last_updated_time_filter_honours_offsets(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    # 2026-02-28T16:00:00Z == 08:00-08:00: the re-opened invoice was updated exactly then
    text = (
        "SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > '{}' "
        "ORDERBY MetaData.LastUpdatedTime"
    )
    got = rows(query(s, fake_qbo, text.format("2026-02-28T15:59:59+00:00")), "Invoice")
    assert [i["Id"] for i in got] == [
        fake_qbo.books.ids["inv_acme_reopened"],
        fake_qbo.books.ids["inv_recent"],
    ]
    got = rows(query(s, fake_qbo, text.format("2026-02-28T08:00:00-08:00")), "Invoice")
    assert [i["Id"] for i in got] == [fake_qbo.books.ids["inv_recent"]]


@pytest.mark.parametrize(
    ("text", "code", "detail"),
    [
        (
            "SELECT * FROM Invoice WHERE TotalAmt > '5'",
            "4001",
            "property 'TotalAmt' is not queryable",
        ),
        ("SELECT * FROM Invoice WHERE BillEmail = 'x'", "4001", "not queryable"),
        ("SELECT * FROM Invoice WHERE Id = '1' OR Id = '2'", "4000", "QueryParserError"),
        ("SELECT Id, DocNumber FROM Invoice", "4000", "QueryParserError"),
        ("SELECT * FROM Invoice WHERE DocNumber = 'unterminated", "4000", "QueryParserError"),
        ("SELECT * FROM Bogus", "4001", "not a valid entity"),
        ("SELECT * FROM Invoice MAXRESULTS 1001", "4001", "Max allowed value is 1000"),
        ("SELECT * FROM Invoice WHERE MetaData.LastUpdatedTime > 'yesterday'", "4001", "date-time"),
    ],
)
def test_rejected_queries_are_400_faults(
    fake_qbo: FakeQBO, text: str, code: str, detail: str
) -> None:
    resp = query(api(fake_qbo), fake_qbo, text)
    assert resp.status_code == 400
    err = fault_of(resp)
    assert (err["type"], err["code"]) == ("ValidationFault", code)
    assert detail in err["Detail"]


def test_parser_units() -> None:
    q = parse_query(
        r"select count(*) from Customer where DisplayName = 'a\'b' "
        r"and Active in (true,false) startposition 3 maxresults 7",
        ("Customer",),
    )
    assert q.count
    assert q.entity == "Customer"
    assert (q.start, q.max_results) == (3, 7)
    assert q.where[0].value == "a'b"
    assert q.where[1].value == [True, False]
    with pytest.raises(QueryError):
        parse_query("SELECT * FROM Invoice GROUP BY Id", ("Invoice",))
    assert "CustomerRef" in FILTERABLE["Invoice"]
    assert "TotalAmt" not in FILTERABLE["Invoice"]


def test_post_query_body(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    resp = s.post(
        f"{fake_qbo.api_url}/query",
        params={"minorversion": 75},
        data="SELECT * FROM Payment",
        headers={"Content-Type": "application/text"},
        timeout=TIMEOUT,
    )
    assert len(resp.json()["QueryResponse"]["Payment"]) == len(fake_qbo.books.entities["Payment"])


# ------------------------------------------------------------------ tokens


def test_authorization_code_once(fake_qbo: FakeQBO) -> None:
    code = fake_qbo.authorize("http://127.0.0.1:8765/callback")
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:8765/callback",
    }
    first = token_post(fake_qbo, data)
    assert first.status_code == 200
    body = first.json()
    assert body["expires_in"] == 3600
    assert body["x_refresh_token_expires_in"] == 8_640_000
    assert body["token_type"] == "bearer"
    assert first.headers["intuit_tid"]
    again = token_post(fake_qbo, data)
    assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})
    wrong_uri = {**data, "code": fake_qbo.authorize("http://a/cb"), "redirect_uri": "http://b/cb"}
    assert token_post(fake_qbo, wrong_uri).json() == {"error": "invalid_grant"}
    s = requests.Session()
    s.headers.update(
        {"Authorization": f"Bearer {body['access_token']}", "Accept": "application/json"}
    )
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 200


def test_bad_client_credentials(fake_qbo: FakeQBO) -> None:
    resp = requests.post(
        fake_qbo.token_url,
        data={"grant_type": "refresh_token", "refresh_token": "x"},
        auth=("fake-client-id", "wrong"),
        timeout=TIMEOUT,
    )
    assert (resp.status_code, resp.json()) == (401, {"error": "invalid_client"})


def test_refresh_rotation_always(fake_qbo: FakeQBO) -> None:
    old = fake_qbo.issue_tokens()["refresh_token"]
    resp = token_post(fake_qbo, {"grant_type": "refresh_token", "refresh_token": old})
    new = resp.json()
    assert resp.status_code == 200
    assert new["refresh_token"] != old
    dead = token_post(fake_qbo, {"grant_type": "refresh_token", "refresh_token": old})
    assert (dead.status_code, dead.json()) == (400, {"error": "invalid_grant"})
    again = token_post(
        fake_qbo, {"grant_type": "refresh_token", "refresh_token": new["refresh_token"]}
    )
    assert again.status_code == 200
    # the refresh token travelled in the form body only
    assert all("refresh_token" not in r.raw_query for r in fake_qbo.token_requests())


def test_refresh_rotation_window(fake_qbo_factory: Callable[..., FakeQBO]) -> None:
    qbo = fake_qbo_factory(rotation="window", rotation_window=timedelta(hours=24))
    rt = qbo.issue_tokens()["refresh_token"]
    same = token_post(qbo, {"grant_type": "refresh_token", "refresh_token": rt}).json()
    assert same["refresh_token"] == rt
    qbo.clock.advance(hours=25)
    rotated = token_post(qbo, {"grant_type": "refresh_token", "refresh_token": rt}).json()
    assert rotated["refresh_token"] != rt
    dead = token_post(qbo, {"grant_type": "refresh_token", "refresh_token": rt})
    assert dead.json() == {"error": "invalid_grant"}


def test_hard_expiry_header_and_unused_expiry(fake_qbo: FakeQBO) -> None:
    rt = fake_qbo.issue_tokens()["refresh_token"]
    body = token_post(
        fake_qbo,
        {"grant_type": "refresh_token", "refresh_token": rt},
        **{"x-include-refresh-token-hard-expires-in": "true"},
    ).json()
    assert body["x_refresh_token_hard_expires_in"] > 8_640_000
    fake_qbo.clock.advance(days=101)
    late = token_post(
        fake_qbo, {"grant_type": "refresh_token", "refresh_token": body["refresh_token"]}
    )
    assert late.json() == {"error": "invalid_grant"}


def test_access_token_expiry_by_clock_and_on_demand(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 200
    fake_qbo.clock.advance(seconds=3601)
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 401
    s = api(fake_qbo)
    fake_qbo.expire_access_tokens()
    resp = query(s, fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 401
    assert resp.json()["fault"]["error"][0]["code"] == "3200"


def test_seeded_tokens_and_revoke(fake_qbo_factory: Callable[..., FakeQBO]) -> None:
    qbo = fake_qbo_factory(access_token="seed-at", refresh_token="seed-rt")
    s = requests.Session()
    s.headers.update({"Authorization": "Bearer seed-at", "Accept": "application/json"})
    assert query(s, qbo, "SELECT * FROM Invoice").status_code == 200
    qbo.revoke()
    assert query(s, qbo, "SELECT * FROM Invoice").status_code == 401
    resp = token_post(qbo, {"grant_type": "refresh_token", "refresh_token": "seed-rt"})
    assert resp.json() == {"error": "invalid_grant"}


def test_request_log_keeps_everything(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    query(s, fake_qbo, "SELECT * FROM Invoice")
    (rec,) = fake_qbo.api_requests("query")
    assert rec.method == "GET"
    assert rec.entities == ("Invoice",)
    assert rec.query_text == "SELECT * FROM Invoice"
    assert rec.param("minorversion") == "75"
    assert rec.header(
        "authorization",
    ).startswith("Bearer ")
    assert rec.status == 200
    assert rec.tid
    assert "Bearer" not in rec.raw_query


# --------------------------------------------------------------- the books


def test_small_books_are_consistent() -> None:
    books = small_books()
    books.check()
    ids = books.ids
    inv = books.get("Invoice", ids["inv_harbor"])
    assert inv["Balance"] == Decimal("122.07")
    assert {lt["TxnId"] for lt in inv["LinkedTxn"]} == {ids["pay_harbor"], ids["pay_harbor_credit"]}
    pay = books.get("Payment", ids["pay_harbor"])
    assert pay["UnappliedAmt"] == Decimal("0.00")
    assert [ln["LinkedTxn"][0]["TxnType"] for ln in pay["Line"]] == ["Invoice", "Check"]
    credit = books.get("Payment", ids["pay_harbor_credit"])
    assert credit["TotalAmt"] == 0
    check = books.get("Purchase", ids["check_harbor"])
    assert check["PaymentType"] == "Check"
    assert check["EntityRef"]["value"] == ids["harbor"]
    refund_pay = books.get("Payment", ids["pay_obrien_refund"])
    assert {ln["LinkedTxn"][0]["TxnType"] for ln in refund_pay["Line"]} == {"Check", "CreditMemo"}
    assert books.get("CreditMemo", ids["cm_obrien"])["RemainingCredit"] == 0
    void = books.get("Invoice", ids["inv_acme_void"])
    assert (void["TotalAmt"], void["Balance"]) == (0, 0)
    assert books.get("Invoice", ids["inv_acme_reopened"])["Balance"] == Decimal("250.00")
    assert [d.id for d in books.deletions] == [ids["pay_acme_deleted"]]
    assert books.get("Customer", ids["harbor"])["Balance"] == Decimal("122.07")
    assert books.get("Customer", ids["acme_site"])["ParentRef"] == {"value": ids["acme"]}


def test_generator_is_deterministic_and_consistent() -> None:
    a = generate_books(300, seed=3)
    b = generate_books(300, seed=3)
    assert dumps(a.entities) == dumps(b.entities)
    a.check()
    assert any(c["CurrencyRef"]["value"] != "USD" for c in a.entities["Customer"].values())
    assert any(p["UnappliedAmt"] > 0 for p in a.entities["Payment"].values())
    assert any(i.get("PrivateNote") == "Voided" for i in a.entities["Invoice"].values())


def test_mutations_bump_sync_token_and_time(fake_qbo: FakeQBO) -> None:
    books, ids = fake_qbo.books, fake_qbo.books.ids
    inv = books.get("Invoice", ids["inv_acme_open"])
    token = inv["SyncToken"]
    fake_qbo.clock.advance(minutes=10)
    pay = books.add_payment(
        ids["acme"], "1300.00", txn_date="2026-03-02", invoices={inv["Id"]: "1200.00"}
    )
    assert pay["UnappliedAmt"] == Decimal("100.00")
    assert int(inv["SyncToken"]) == int(token) + 1
    assert inv["Balance"] == 0
    assert inv["MetaData"]["LastUpdatedTime"] == "2026-03-02T09:24:05-08:00"
    books.update("Invoice", ids["inv_site"], DueDate="2026-05-01")
    assert books.get("Invoice", ids["inv_site"])["SyncToken"] == "1"
    books.void_invoice(ids["inv_acme_partial"])  # its 300.00 payment becomes unapplied
    assert books.get("Payment", ids["pay_acme_partial"])["UnappliedAmt"] == Decimal("300.00")
    books.delete("Payment", pay["Id"])
    assert inv["Balance"] == Decimal("1200.00")
    books.inactivate_customer(ids["obrien"])  # open balance → balancing credit memo
    assert books.get("Customer", ids["obrien"])["Balance"] == 0
    books.check()
    with pytest.raises(ValueError, match="only"):
        books.add_payment(ids["acme"], "5", txn_date="2026-03-02", invoices={inv["Id"]: "9999"})


# --------------------------------------------------------------------- CDC


def cdc(s: requests.Session, qbo: FakeQBO, entities: str, since: str) -> requests.Response:
    """GET .../cdc."""
    params = {"entities": entities, "changedSince": since, "minorversion": "75"}
    return s.get(f"{qbo.api_url}/cdc", params=params, timeout=TIMEOUT)


def cdc_groups(resp: requests.Response) -> dict[str, list[dict[str, Any]]]:
    """CDC objects per entity."""
    assert resp.status_code == 200, resp.text
    out: dict[str, list[dict[str, Any]]] = {}
    for group in resp.json(parse_float=Decimal)["CDCResponse"][0]["QueryResponse"]:
        for key, value in group.items():
            if isinstance(value, list):
                out[key] = value
    return out


def test_cdc_changes_and_deletions(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    ids = fake_qbo.books.ids
    resp = cdc(s, fake_qbo, "Invoice,Payment,Customer", "2026-02-27T12:00:00-08:00")
    body = resp.json()
    assert body["time"] == "2026-03-02T09:14:05.123-08:00"
    got = cdc_groups(resp)
    assert [i["Id"] for i in got["Invoice"]] == [ids["inv_acme_reopened"], ids["inv_recent"]]
    (stub,) = [p for p in got["Payment"] if p.get("status") == "Deleted"]
    assert stub == {
        "status": "Deleted",
        "domain": "QBO",
        "Id": ids["pay_acme_deleted"],
        "MetaData": {"LastUpdatedTime": "2026-02-28T08:00:00-08:00"},
    }
    dormant = next(c for c in got["Customer"] if c["Id"] == ids["dormant"])
    assert dormant["Active"] is False  # inactive records are reported too
    groups = body["CDCResponse"][0]["QueryResponse"]
    assert groups[0]["startPosition"] == 1
    assert groups[0]["maxResults"] == 2
    quiet = cdc(s, fake_qbo, "RefundReceipt", "2026-03-01")
    assert quiet.json()["CDCResponse"][0]["QueryResponse"] == [{}]


def test_cdc_sees_new_mutations(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    cursor = cdc(s, fake_qbo, "Invoice,CreditMemo,Purchase", "2026-03-01").json()["time"]
    fake_qbo.clock.advance(minutes=5)
    fake_qbo.books.delete("Invoice", fake_qbo.books.ids["inv_site"])
    got = cdc_groups(cdc(s, fake_qbo, "Invoice,CreditMemo,Purchase", cursor))
    assert got == {
        "Invoice": [
            {
                "status": "Deleted",
                "domain": "QBO",
                "Id": fake_qbo.books.ids["inv_site"],
                "MetaData": {"LastUpdatedTime": "2026-03-02T09:19:05-08:00"},
            }
        ]
    }


def test_cdc_caps_at_1000_objects(fake_qbo_factory: Callable[..., FakeQBO]) -> None:
    books = Books()
    now = books.clock.now()
    with books.bulk():
        cust = books.add_customer("Busy Co", at=now - timedelta(days=2))
        for n in range(1100):
            books.add_invoice(
                cust["Id"], "10.00", txn_date="2026-03-01", at=now - timedelta(minutes=1100 - n)
            )
    qbo = fake_qbo_factory(books)
    got = cdc_groups(cdc(api(qbo), qbo, "Customer,Invoice", "2026-02-28"))
    assert len(got["Customer"]) + len(got["Invoice"]) == 1000
    assert len(got["Invoice"]) == 999  # the oldest changes first


def test_cdc_window_and_validation(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    old = cdc(s, fake_qbo, "Invoice", "2026-01-30T09:00:00-08:00")
    assert old.status_code == 400
    assert fault_of(old)["type"] == "ValidationFault"
    assert cdc(s, fake_qbo, "Invoice", "2026-02-01T09:15:00-08:00").status_code == 200
    fake_qbo.clock.advance(days=2)
    s = api(fake_qbo)  # the old access token expired meanwhile
    assert cdc(s, fake_qbo, "Invoice", "2026-02-01T09:15:00-08:00").status_code == 400
    assert cdc(s, fake_qbo, "TaxCode", "2026-03-01").status_code == 400
    assert cdc(s, fake_qbo, "Invoice", "").status_code == 400
    # offset-less times are Pacific
    fake_qbo.clock.advance(days=-2)
    s = api(fake_qbo)
    got = cdc_groups(cdc(s, fake_qbo, "Payment", "2026-02-28T08:00:00"))
    assert [p["Id"] for p in got["Payment"]] == [fake_qbo.books.ids["pay_acme_deleted"]]


# ------------------------------------------------------------------ faults


def test_fault_on_the_nth_query(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    rule = fake_qbo.faults.add("throttle", on="query", nth=3, retry_after=7)
    codes = [query(s, fake_qbo, "SELECT * FROM Invoice").status_code for _ in range(4)]
    assert codes == [200, 200, 429, 200]
    assert rule.fired == 1
    throttled = fake_qbo.api_requests("query")[2]
    assert (throttled.status, throttled.fault) == (429, "throttle")


def test_throttle_json_and_xml(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    fake_qbo.faults.add("throttle", on="query", retry_after=2)
    resp = query(s, fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 429
    assert resp.headers["Retry-After"] == "2"
    assert fault_of(resp)["code"] == "3001"
    fake_qbo.faults.add("throttle", on="query", xml=True, retry_after=None)
    resp = query(s, fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 429
    assert "Retry-After" not in resp.headers
    assert resp.headers["Content-Type"].startswith("application/xml")
    assert '<Fault type="ValidationFault"><Error code="3001"><Message>' in resp.text
    assert "message=ThrottleExceeded" in resp.text


def test_next_n_requests_for_an_entity(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    fake_qbo.faults.add("unavailable", entity="Payment", times=2, status=502)
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 200
    codes = [query(s, fake_qbo, "SELECT * FROM Payment").status_code for _ in range(3)]
    assert codes == [502, 502, 200]


@pytest.mark.parametrize(
    ("kind", "params", "status", "fault_type"),
    [
        ("system_fault", {}, 500, "SystemFault"),
        ("forbidden", {}, 403, "AuthorizationFault"),
        ("validation", {"detail": "Bad date: TxnDate"}, 400, "ValidationFault"),
        ("fault_200", {}, 200, "ValidationFault"),
    ],
)
def test_json_faults(
    fake_qbo: FakeQBO, kind: str, params: dict[str, Any], status: int, fault_type: str
) -> None:
    fake_qbo.faults.add(kind, on="api", **params)
    resp = query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == status
    assert resp.headers["intuit_tid"]
    err = fault_of(resp)
    assert err["type"] == fault_type
    assert isinstance(err["code"], str)
    if params:
        assert err["Detail"] == params["detail"]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_errors(fake_qbo: FakeQBO, status: int) -> None:
    fake_qbo.faults.add("unavailable", status=status)
    assert query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice").status_code == status


def test_xml_fault(fake_qbo: FakeQBO) -> None:
    fake_qbo.faults.add("xml_fault", status=400, code="2500", detail="Invalid Reference Id")
    resp = query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 400
    assert '<Error code="2500">' in resp.text
    assert "Invalid Reference Id" in resp.text


def test_slow_but_ok_and_past_the_timeout(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    fake_qbo.faults.add("slow", delay=0.3)
    began = time.perf_counter()
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 200
    assert time.perf_counter() - began >= 0.3
    fake_qbo.faults.add("slow", delay=3)
    with pytest.raises(requests.exceptions.ReadTimeout):
        query(s, fake_qbo, "SELECT * FROM Invoice", timeout=0.3)
    assert query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice").status_code == 200


def test_malformed_and_incomplete_bodies(fake_qbo: FakeQBO) -> None:
    s = api(fake_qbo)
    fake_qbo.faults.add("malformed")
    resp = query(s, fake_qbo, "SELECT * FROM Invoice")
    assert resp.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(resp.text)
    fake_qbo.faults.add("incomplete")  # Content-Length promises more than is sent
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        query(s, fake_qbo, "SELECT * FROM Invoice")
    assert query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice").status_code == 200


def test_connection_drop(fake_qbo: FakeQBO) -> None:
    fake_qbo.faults.add("drop", on="query")
    with pytest.raises(requests.exceptions.ConnectionError):
        query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice")
    assert fake_qbo.api_requests("query")[0].status is None
    assert query(api(fake_qbo), fake_qbo, "SELECT * FROM Invoice").status_code == 200


def test_token_expires_mid_pagination(many: FakeQBO) -> None:
    s = api(many)
    many.faults.add("expire_token", on="query", nth=2)
    page = "SELECT * FROM Invoice ORDERBY Id STARTPOSITION {} MAXRESULTS 1000"
    assert query(s, many, page.format(1)).status_code == 200
    resp = query(s, many, page.format(1001))
    assert resp.status_code == 401
    assert resp.json()["fault"]["type"] == "AUTHENTICATION"
    assert query(s, many, page.format(1001)).status_code == 401  # it stays expired
    assert query(api(many), many, page.format(1001)).status_code == 200


def test_token_endpoint_faults(fake_qbo: FakeQBO) -> None:
    rt = fake_qbo.issue_tokens()["refresh_token"]
    fake_qbo.faults.add("unavailable", on="token", status=503)
    fake_qbo.faults.add("invalid_grant", on="token", nth=2)
    data = {"grant_type": "refresh_token", "refresh_token": rt}
    assert token_post(fake_qbo, data).status_code == 503
    assert token_post(fake_qbo, data).json() == {"error": "invalid_grant"}
    assert token_post(fake_qbo, data).status_code == 200


def test_revoke_fault(fake_qbo: FakeQBO) -> None:
    rt = fake_qbo.issue_tokens()["refresh_token"]
    fake_qbo.faults.add("revoke", on="cdc")
    s = api(fake_qbo)
    assert cdc(s, fake_qbo, "Invoice", "2026-03-01").status_code == 401
    data = {"grant_type": "refresh_token", "refresh_token": rt}
    assert token_post(fake_qbo, data).json() == {"error": "invalid_grant"}


def test_unknown_fault_kind_rejected(fake_qbo: FakeQBO) -> None:
    with pytest.raises(ValueError, match="unknown fault kind"):
        fake_qbo.faults.add("teapot")
    with pytest.raises(ValueError, match="takes no"):
        fake_qbo.faults.add("drop", status=500)


# ------------------------------------------------------------------ limits


def _burst(qbo: FakeQBO, n: int) -> list[int]:
    token = qbo.issue_tokens()["access_token"]
    codes: list[int] = []
    lock = threading.Lock()

    def one() -> None:
        resp = requests.get(
            f"{qbo.api_url}/query",
            params={"query": "SELECT * FROM Invoice"},
            headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            timeout=TIMEOUT,
        )
        with lock:
            codes.append(resp.status_code)

    threads = [threading.Thread(target=one) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return codes


def test_concurrency_and_rate_are_tracked(fake_qbo: FakeQBO) -> None:
    fake_qbo.faults.add("slow", delay=0.5, times=None)
    codes = _burst(fake_qbo, 12)
    assert codes == [200] * 12
    assert fake_qbo.max_in_flight == 12
    assert fake_qbo.max_requests_within(1) == 12


def test_limits_enforced_behind_a_flag(fake_qbo_factory: Callable[..., FakeQBO]) -> None:
    qbo = fake_qbo_factory(enforce_limits=True)
    qbo.faults.add("slow", delay=0.5, times=None)
    codes = _burst(qbo, 12)
    assert codes.count(429) >= 2
    assert codes.count(200) <= 10
    limited = [r for r in qbo.api_requests() if r.fault == "limit"]
    assert all(r.status == 429 for r in limited)


def test_auto_apply_credit_pays_oldest_invoices_first() -> None:
    books = Books(auto_apply_credit=True)
    cust = books.add_customer("Credit Co")["Id"]
    old = books.add_invoice(cust, "30.00", txn_date="2026-01-01")
    new = books.add_invoice(cust, "50.00", txn_date="2026-02-01")
    cm = books.add_credit_memo(cust, "40.00", txn_date="2026-02-10")
    assert (old["Balance"], new["Balance"]) == (0, Decimal("40.00"))
    assert cm["RemainingCredit"] == 0
    (pay,) = books.entities["Payment"].values()
    assert pay["TotalAmt"] == 0
    assert [(ln["LinkedTxn"][0]["TxnType"], ln["Amount"]) for ln in pay["Line"]] == [
        ("Invoice", Decimal("30.00")),
        ("Invoice", Decimal("10.00")),
        ("CreditMemo", Decimal("40.00")),
    ]
    books.check()


def test_revoke_endpoint_disconnects(fake_qbo: FakeQBO) -> None:
    tokens = fake_qbo.issue_tokens()
    resp = requests.post(
        fake_qbo.revoke_url,
        json={"token": tokens["refresh_token"]},
        auth=(fake_qbo.client_id, fake_qbo.client_secret),
        timeout=TIMEOUT,
    )
    assert resp.status_code == 200
    data = {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    assert token_post(fake_qbo, data).json() == {"error": "invalid_grant"}
    s = requests.Session()
    s.headers.update({"Authorization": f"Bearer {tokens['access_token']}"})
    assert query(s, fake_qbo, "SELECT * FROM Invoice").status_code == 401
    assert [r.endpoint for r in fake_qbo.token_requests()] == ["revoke", "token"]

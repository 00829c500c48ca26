"""Tests of the fake QuickBooks Online server itself, through plain ``requests``."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import requests
from fakeqbo import FakeQBO, QueryError, dumps, generate_books, parse_query
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


@pytest.fixture
def many(fake_qbo_factory: Callable[..., FakeQBO]) -> FakeQBO:
    """A server over 2000 generated invoices (an exact multiple of 1000)."""
    return fake_qbo_factory(generate_books(2000, seed=7))


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


def test_big_pages_are_fast(fake_qbo_factory: Callable[..., FakeQBO]) -> None:
    qbo = fake_qbo_factory(generate_books(5000, seed=1))
    s = api(qbo)
    query(s, qbo, "SELECT * FROM Invoice ORDERBY Id MAXRESULTS 1000")  # warm caches
    began = time.perf_counter()
    for start in (1001, 2001, 3001):
        assert (
            len(
                rows(
                    query(
                        s,
                        qbo,
                        f"SELECT * FROM Invoice ORDERBY Id STARTPOSITION {start} MAXRESULTS 1000",
                    ),
                    "Invoice",
                )
            )
            == 1000
        )
    assert time.perf_counter() - began < 3


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

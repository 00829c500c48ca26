"""The HTTP client with ``responses``: retries, Retry-After, 401 refresh, faults, pagination."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import pytest
import requests
import responses
from collectctl_quickbooks.auth import Token, TokenManager, TokenStore
from collectctl_quickbooks.client import QBOClient, RateLimiter
from collectctl_quickbooks.settings import Settings

from collectctl.errors import SourceError

BASE = "https://qbo.test"
TOKEN_URL = "https://oauth.test/tokens/bearer"
REALM = "9130"
URL = f"{BASE}/v3/company/{REALM}"
SECRET = "s3cret-client-value"


def make_settings(tmp_path: Path, **over) -> Settings:
    values = dict(
        profile_dir=tmp_path,
        client_id="cid",
        client_secret=SECRET,
        realm_id=REALM,
        base_url=BASE,
        token_url=TOKEN_URL,
        retry_base=1.0,
        retry_cap=8.0,
        retry_deadline=100.0,
        throttle_wait=60.0,
    )
    values.update(over)
    return Settings(**values)


def save_token(tmp_path: Path, access: str = "AT-1", expires_in: float = 3600) -> None:
    TokenStore(tmp_path / "quickbooks-token.json").save(
        Token(access, "RT-1", time.time() + expires_in, None, REALM, "production")
    )


class FakeClock:
    """Monotonic clock + sleep that never really sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(tmp_path: Path, clock: FakeClock) -> QBOClient:
    save_token(tmp_path)
    return QBOClient(
        make_settings(tmp_path), sleep=clock.sleep, clock=clock, jitter=lambda lo, hi: hi
    )


OK = {"Preferences": {"CurrencyPrefs": {"HomeCurrency": {"value": "USD"}}}, "time": "t"}


@responses.activate
def test_get_sends_bearer_minorversion_and_parses_decimals(client):
    responses.get(f"{URL}/preferences", body='{"x": 1.10, "time": "t"}')
    body = client.get("preferences", what="preferences")
    assert body["x"] == Decimal("1.10")
    req = responses.calls[0].request
    assert req.headers["Authorization"] == "Bearer AT-1"
    assert req.headers["Accept"] == "application/json"
    assert "minorversion=75" in req.url


@responses.activate
def test_5xx_retried_with_exponential_backoff(client, clock):
    responses.get(f"{URL}/preferences", status=503)
    responses.get(f"{URL}/preferences", status=502)
    responses.get(f"{URL}/preferences", status=504)
    responses.get(f"{URL}/preferences", json=OK)
    assert client.get("preferences", what="preferences") == OK
    assert clock.sleeps == [1.0, 2.0, 4.0]


@responses.activate
def test_backoff_is_capped_and_attempts_bounded(client, clock):
    responses.get(f"{URL}/preferences", status=503)
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert len(responses.calls) == 5
    assert clock.sleeps == [1.0, 2.0, 4.0, 8.0]
    assert "failed after 5 attempts" in str(err.value)
    assert "HTTP 503" in str(err.value)


@responses.activate
def test_total_retry_time_is_bounded(tmp_path, clock):
    save_token(tmp_path)
    client = QBOClient(
        make_settings(tmp_path, retry_attempts=100, retry_deadline=20.0),
        sleep=clock.sleep,
        clock=clock,
        jitter=lambda lo, hi: hi,
    )
    responses.get(f"{URL}/preferences", status=503)
    with pytest.raises(SourceError):
        client.get("preferences", what="preferences")
    assert sum(clock.sleeps) <= 20.0
    assert len(responses.calls) < 10


@responses.activate
def test_jitter_stays_within_the_exponential_ceiling(tmp_path, clock):
    save_token(tmp_path)
    seen = []

    def jitter(lo, hi):
        seen.append((lo, hi))
        return lo

    client = QBOClient(make_settings(tmp_path), sleep=clock.sleep, clock=clock, jitter=jitter)
    responses.get(f"{URL}/preferences", status=503)
    responses.get(f"{URL}/preferences", json=OK)
    client.get("preferences", what="preferences")
    assert seen == [(0.5, 1.0)]


@responses.activate
def test_500_is_resubmitted_only_once(client, clock):
    responses.get(
        f"{URL}/preferences",
        status=500,
        json={
            "Fault": {
                "Error": [{"Message": "An application error has occurred", "code": "10000"}],
                "type": "SystemFault",
            }
        },
    )
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert len(responses.calls) == 2
    assert "SystemFault" in str(err.value)


@responses.activate
def test_429_honours_retry_after(client, clock):
    responses.get(f"{URL}/preferences", status=429, headers={"Retry-After": "7"})
    responses.get(f"{URL}/preferences", json=OK)
    client.get("preferences", what="preferences")
    assert clock.sleeps == [7.0]


@responses.activate
def test_429_without_retry_after_waits_the_throttle_time_and_reads_xml(tmp_path, clock):
    save_token(tmp_path)
    client = QBOClient(make_settings(tmp_path, throttle_wait=3.0), sleep=clock.sleep, clock=clock)
    xml = (
        '<?xml version="1.0"?><IntuitResponse xmlns="http://schema.intuit.com/finance/v3">'
        '<Fault type="ServiceFault"><Error code="3001"><Message>message=ThrottleExceeded'
        "</Message><Detail>Throttle exceeded</Detail></Error></Fault></IntuitResponse>"
    )
    responses.get(f"{URL}/preferences", status=429, body=xml, content_type="application/xml")
    responses.get(f"{URL}/preferences", json=OK)
    client.get("preferences", what="preferences")
    assert clock.sleeps == [3.0]


@responses.activate
def test_retry_after_beyond_the_deadline_fails_at_once(client, clock):
    responses.get(f"{URL}/preferences", status=429, headers={"Retry-After": "3600"})
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert clock.sleeps == []
    assert "HTTP 429" in str(err.value)


@responses.activate
def test_connection_errors_and_timeouts_are_retried(client, clock):
    responses.get(f"{URL}/preferences", body=requests.exceptions.ConnectionError("refused"))
    responses.get(f"{URL}/preferences", body=requests.exceptions.ReadTimeout("slow"))
    responses.get(f"{URL}/preferences", json=OK)
    assert client.get("preferences", what="preferences") == OK
    assert len(clock.sleeps) == 2


@responses.activate
def test_a_hung_server_with_default_timings_ends_well_within_two_minutes(tmp_path, clock):
    # Default read timeout, backoff and deadline (90 s per call); each timeout costs the fake
    # clock the full read timeout, as a server that stops answering would.
    save_token(tmp_path)
    defaults = Settings(
        profile_dir=tmp_path,
        client_id="cid",
        client_secret=SECRET,
        realm_id=REALM,
        base_url=BASE,
        token_url=TOKEN_URL,
    )
    client = QBOClient(defaults, sleep=clock.sleep, clock=clock, jitter=lambda lo, hi: hi)

    def hang(request):
        clock.now += defaults.read_timeout
        raise requests.exceptions.ReadTimeout("no answer")

    responses.add_callback(responses.GET, f"{URL}/preferences", callback=hang)
    started = clock.now
    with pytest.raises(SourceError, match="timed out"):
        client.get("preferences", what="preferences")
    spent = clock.now - started  # timeouts and back-off sleeps both advance the fake clock
    assert defaults.read_timeout <= 30
    assert spent <= defaults.retry_deadline < 120
    assert len(responses.calls) == 2  # one retry, then the next timeout would pass the deadline


@responses.activate
def test_timeouts_are_passed_on_every_call(tmp_path, clock, monkeypatch):
    save_token(tmp_path)
    client = QBOClient(make_settings(tmp_path, connect_timeout=3.0, read_timeout=7.0))
    seen = []
    real = client.session.get

    def spy(*args, **kwargs):
        seen.append(kwargs.get("timeout"))
        return real(*args, **kwargs)

    monkeypatch.setattr(client.session, "get", spy)
    responses.get(f"{URL}/preferences", json=OK)
    client.get("preferences", what="preferences")
    assert seen == [(3.0, 7.0)]


@responses.activate
def test_401_refreshes_once_and_retries(client, tmp_path):
    responses.get(
        f"{URL}/preferences",
        status=401,
        json={
            "fault": {
                "error": [
                    {"message": "message=AuthenticationFailed; errorCode=003200; statusCode=401"}
                ],
                "type": "AUTHENTICATION",
            },
            "time": 1,
        },
    )
    responses.get(f"{URL}/preferences", json=OK)
    responses.post(
        TOKEN_URL,
        json={
            "access_token": "AT-2",
            "refresh_token": "RT-2",
            "expires_in": 3600,
            "x_refresh_token_expires_in": 8640000,
        },
    )
    assert client.get("preferences", what="preferences") == OK
    assert responses.calls[2].request.headers["Authorization"] == "Bearer AT-2"
    stored = json.loads((tmp_path / "quickbooks-token.json").read_text())
    assert stored["refresh_token"] == "RT-2"


@responses.activate
def test_second_401_after_refresh_is_an_error_not_a_loop(client):
    responses.get(f"{URL}/preferences", status=401)
    responses.post(
        TOKEN_URL, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
    )
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert len([c for c in responses.calls if c.request.method == "POST"]) == 1
    assert len([c for c in responses.calls if c.request.method == "GET"]) == 2
    assert "quickbooks auth" in (err.value.hint or "")


@responses.activate
def test_403_asks_to_reconnect(client):
    responses.get(
        f"{URL}/preferences",
        status=403,
        headers={"intuit_tid": "tid-403"},
        json={
            "Fault": {
                "Error": [{"Message": "Forbidden", "code": "3100"}],
                "type": "AuthorizationFault",
            }
        },
    )
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert "403" in str(err.value)
    assert "tid-403" in str(err.value)
    assert "reconnect" in err.value.hint
    assert len(responses.calls) == 1


@responses.activate
def test_fault_inside_http_200_names_the_query_and_tid(client):
    responses.get(
        f"{URL}/query",
        headers={"intuit_tid": "1-abc"},
        json={
            "Fault": {
                "Error": [
                    {
                        "Message": "Object Not Found",
                        "Detail": "Object Not Found : gone",
                        "code": "610",
                    }
                ],
                "type": "ValidationFault",
            },
            "time": "t",
        },
    )
    with pytest.raises(SourceError) as err:
        list(client.query("Invoice"))
    msg = str(err.value)
    assert "\n" not in msg
    assert "SELECT * FROM Invoice" in msg
    assert "intuit_tid 1-abc" in msg
    assert "ValidationFault" in msg
    assert "code 610" in msg
    assert len(responses.calls) == 1  # never retried


@responses.activate
def test_400_query_fault_is_not_retried(client, clock):
    responses.get(
        f"{URL}/query",
        status=400,
        json={
            "Fault": {
                "Error": [
                    {
                        "Message": "QueryValidationError",
                        "Detail": "value 1500 is too large",
                        "code": "4001",
                    }
                ],
                "type": "ValidationFault",
            }
        },
    )
    with pytest.raises(SourceError, match="value 1500 is too large"):
        list(client.query("Invoice"))
    assert clock.sleeps == []


@responses.activate
def test_xml_fault_on_400(client):
    responses.get(
        f"{URL}/preferences",
        status=400,
        content_type="application/xml",
        body='<IntuitResponse><Fault type="ValidationFault"><Error code="2010">'
        "<Message>Request has invalid or unsupported property</Message>"
        "</Error></Fault></IntuitResponse>",
    )
    with pytest.raises(SourceError, match="invalid or unsupported property") as err:
        client.get("preferences", what="preferences")
    assert "code 2010" in str(err.value)


@responses.activate
def test_malformed_json_is_a_clear_error_after_retries(client):
    responses.get(f"{URL}/preferences", body='{"Preferences": {"Curr')
    with pytest.raises(SourceError) as err:
        client.get("preferences", what="preferences")
    assert "malformed JSON" in str(err.value)


@responses.activate
def test_truncated_then_good_response_recovers(client):
    responses.get(f"{URL}/preferences", body='{"Preferences": ')
    responses.get(f"{URL}/preferences", json=OK)
    assert client.get("preferences", what="preferences") == OK


@responses.activate
def test_query_paginates_until_a_short_page(tmp_path, clock):
    save_token(tmp_path)
    client = QBOClient(make_settings(tmp_path, page_size=2), sleep=clock.sleep, clock=clock)
    pages = [
        {"QueryResponse": {"Invoice": [{"Id": "1"}, {"Id": "2"}], "startPosition": 1}},
        {"QueryResponse": {"Invoice": [{"Id": "3"}, {"Id": "4"}], "startPosition": 3}},
        {"QueryResponse": {}},
    ]
    for page in pages:
        responses.get(f"{URL}/query", json={**page, "time": "t"})
    rows = list(client.query("Invoice"))
    assert [r["Id"] for r in rows] == ["1", "2", "3", "4"]
    queries = [c.request.params["query"] for c in responses.calls]
    assert queries == [
        "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 1 MAXRESULTS 2",
        "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 3 MAXRESULTS 2",
        "SELECT * FROM Invoice ORDERBY Id STARTPOSITION 5 MAXRESULTS 2",
    ]


@responses.activate
def test_debug_log_has_requests_but_no_secrets(client, caplog):
    caplog.set_level("DEBUG", logger="collectctl.quickbooks")
    responses.get(f"{URL}/preferences", status=401)
    responses.get(f"{URL}/preferences", json=OK, headers={"intuit_tid": "tid-9"})
    responses.post(
        TOKEN_URL, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
    )
    client.get("preferences", what="preferences")
    text = caplog.text
    assert "/v3/company/9130/preferences" in text
    assert "200" in text
    assert "tid-9" in text
    for secret in ("AT-1", "AT-2", "RT-1", "RT-2", SECRET, "Bearer"):
        assert secret not in text


def test_rate_limiter_allows_n_per_minute(clock):
    limiter = RateLimiter(3, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        limiter.acquire()
    assert clock.sleeps == []
    limiter.acquire()
    assert len(clock.sleeps) == 1
    assert 59.9 < clock.sleeps[0] <= 60.01


@responses.activate
def test_refresh_when_nearly_expired_before_the_call(tmp_path, clock):
    save_token(tmp_path, expires_in=120)  # < 5 minutes left
    client = QBOClient(make_settings(tmp_path), sleep=clock.sleep, clock=clock)
    responses.post(
        TOKEN_URL, json={"access_token": "AT-2", "refresh_token": "RT-2", "expires_in": 3600}
    )
    responses.get(f"{URL}/preferences", json=OK)
    client.get("preferences", what="preferences")
    assert [c.request.method for c in responses.calls] == ["POST", "GET"]
    assert responses.calls[1].request.headers["Authorization"] == "Bearer AT-2"


def test_token_manager_uses_clock_for_freshness(tmp_path):
    save_token(tmp_path, expires_in=3600)
    manager = TokenManager(make_settings(tmp_path))
    assert manager.access_token() == "AT-1"

"""fakeqbo — a fake QuickBooks Online server for collectctl-quickbooks tests.

A real HTTP server (``ThreadingHTTPServer`` in a daemon thread on ``127.0.0.1``, free port)
serving an in-memory company, so the plugin is tested through ``requests`` exactly as it
talks to Intuit. Only stdlib; tests import it as ``fakeqbo`` (the tests directory is on
``sys.path`` under pytest's default import mode).

Quick start::

    from fakeqbo import FakeQBO, small_books

    with FakeQBO(small_books(), realm_id="9130350") as qbo:
        monkeypatch.setenv("QUICKBOOKS_BASE_URL", qbo.base_url)    # http://127.0.0.1:PORT
        monkeypatch.setenv("QUICKBOOKS_TOKEN_URL", qbo.token_url)  # .../oauth2/v1/tokens/bearer
        # or: for k, v in qbo.env(refresh_token=...).items(): monkeypatch.setenv(k, v)
        tokens = qbo.issue_tokens()   # {"access_token", "refresh_token", "expires_in": 3600, ...}
        ...
        assert all("access_token" not in r.raw_query for r in qbo.requests)

The pytest fixture ``fake_qbo`` (``conftest.py``) yields a started ``FakeQBO(small_books())``
and stops it afterwards; ``fake_qbo_factory(books=None, **options)`` starts customised ones.

Server (``FakeQBO(books=None, *, realm_id="9130350", client_id="fake-client-id",
client_secret="fake-client-secret", rotation="always", rotation_window=timedelta(hours=24),
enforce_limits=False, limits=Limits(500, 10, 10), require_minorversion=False,
access_token=None, refresh_token=None)``):

``qbo.base_url`` / ``qbo.api_url`` (``{base}/v3/company/{realm}``) / ``qbo.token_url`` /
``qbo.revoke_url``,
``qbo.realm_id``, ``qbo.client_id``, ``qbo.client_secret``, ``qbo.env()``.
``qbo.books`` the data (:class:`Books`), ``qbo.clock`` its clock (``set``, ``advance``).
``qbo.faults.add(kind, ...)`` scripted failures (see :mod:`fakeqbo.faults`).
``qbo.requests`` every request (:class:`RecordedRequest`: ``method, path, raw_query, query,
headers, body, endpoint, entities, at, monotonic, status, fault, tid``; ``.param(name)``,
``.header(name)``, ``.query_text``); ``qbo.api_requests("query")``, ``qbo.token_requests()``,
``qbo.clear_log()``; ``qbo.max_in_flight``, ``qbo.max_requests_within(60)``.

HTTP API (all responses carry an ``intuit_tid`` header):

``GET /v3/company/{realm}/query?query=<SELECT>&minorversion=75`` (``POST`` with the query as the
    body works too). Subset in :mod:`fakeqbo.query`. Page:
    ``{"QueryResponse": {"Invoice": [...], "startPosition": 1, "maxResults": <rows in page>},
    "time": "2026-03-02T09:14:05.123-08:00"}``; an empty page (start past the end, or no
    match) is ``{"QueryResponse": {}, "time": ...}``; ``COUNT(*)`` gives ``{"totalCount": n}``.
    ``MAXRESULTS`` default 100, max 1000 (more → 400 QueryValidationError), ``STARTPOSITION``
    1-based. Customer: active only unless ``Active`` is filtered (``Active IN (true, false)``).
    Non-filterable field → 400 ``Fault`` (code 4001), syntax error → 400 (code 4000).
``GET /v3/company/{realm}/cdc?entities=Invoice,Payment&changedSince=<ts>`` — objects with
    ``LastUpdatedTime >= changedSince`` (full objects; deletions as ``status: "Deleted"`` stubs),
    one ``QueryResponse`` element per requested entity in request order (``{}`` when nothing
    changed), oldest changes first, at most 1000 objects in all (then the window is
    incomplete); ``changedSince`` older than 30 days before ``qbo.clock`` → 400 Fault
    (code 10001, wording unverified). ``time`` is the server clock.
``GET /v3/company/{realm}/{entity}/{id}`` read one (deleted → 400 Fault 610 Object Not Found).
``GET /v3/company/{realm}/preferences`` → ``{"Preferences": {CurrencyPrefs, SalesFormsPrefs}}``;
``GET /v3/company/{realm}/companyinfo/{realm}`` → ``{"CompanyInfo": {"CompanyName": ...}}``.
``POST /oauth2/v1/tokens/bearer`` — Basic ``client_id:client_secret`` (else 401
    ``invalid_client``), form ``grant_type=authorization_code&code=&redirect_uri=`` (codes from
    ``qbo.authorize(redirect_uri)``, single use) or ``grant_type=refresh_token&refresh_token=``.
    ``rotation="always"``: each refresh returns a new refresh token and the old one dies;
    ``"window"``: same token while younger than ``rotation_window``. Dead/unknown/revoked →
    400 ``{"error": "invalid_grant"}``. Header ``x-include-refresh-token-hard-expires-in: true``
    adds ``x_refresh_token_hard_expires_in``.
``POST /v2/oauth2/tokens/revoke`` (``qbo.revoke_url``) — Basic auth, JSON ``{"token": ...}``
    with a known access or refresh token → 200 and every token dies (disconnect).

Rules the API enforces: ``Authorization: Bearer <issued or seeded token>`` (else 401 with the
gateway body: lower-case ``fault.error[]``, ``type: "AUTHENTICATION"``, numeric ``time``,
``message=AuthenticationFailed; errorCode=003200; statusCode=401``); tokens expire after
3600 s of ``qbo.clock`` or on ``qbo.expire_access_tokens()``; ``qbo.revoke()`` disconnects.
Without ``Accept: application/json`` answers are XML. Another realm → 403 AuthorizationFault.
With ``enforce_limits=True``: > 10 in flight, > 500/min or > 10/s → 429 ThrottleExceeded.

Data (:mod:`fakeqbo.dataset`): ``Books`` with builders ``add_customer``, ``add_invoice``,
``add_payment``, ``add_credit_memo``, ``apply_credit`` (zero-total payment), ``refund_credit``
(Purchase check linked from a payment line ``TxnType: "Check"``), ``add_refund_receipt``, and
mutations ``update``, ``void_invoice``, ``delete`` (hard, recorded for CDC),
``inactivate_customer``. Every change bumps ``SyncToken`` / ``MetaData.LastUpdatedTime``
(clock time) of every object it touches, and keeps Balance / UnappliedAmt / RemainingCredit
consistent. ``Books(auto_apply_credit=True)`` makes ``add_credit_memo`` apply the credit to
the oldest open invoices through a zero-total Payment (QuickBooks' AutoApplyCredit).
``small_books()`` is the hand-made e2e set (``books.ids["inv_harbor"]`` etc., see its
docstring); ``generate_books(n, seed=0)`` the deterministic generator. For a 100k-invoice
benchmark build it once per session (≈5–15 s depending on the machine) and call
``books.preserialize()`` in setup: pages are then copied from cached JSON text (a 1000-row
page costs the server a few ms; the client's JSON parsing dominates).

What each fault looks like to ``requests``: ``drop`` → ``ConnectionError``; ``incomplete`` →
``ChunkedEncodingError`` (Content-Length promised more); ``malformed`` → 200 whose ``.json()``
fails; ``slow`` with ``delay`` beyond the client's read timeout → ``ReadTimeout`` (the server
thread finishes its sleep and its write fails quietly; ``stop()`` wakes sleepers).
"""

from __future__ import annotations

from .clock import PACIFIC, Clock, format_time, parse_time
from .dataset import ENTITIES, Books, Deletion, generate_books, money, small_books
from .faults import KINDS as FAULT_KINDS
from .faults import FaultRule, Faults
from .jsonenc import dumps
from .query import FILTERABLE, QueryError, parse_query
from .server import FakeQBO, Limits, RecordedRequest

__all__ = [
    "ENTITIES",
    "FAULT_KINDS",
    "FILTERABLE",
    "PACIFIC",
    "Books",
    "Clock",
    "Deletion",
    "FakeQBO",
    "FaultRule",
    "Faults",
    "Limits",
    "QueryError",
    "RecordedRequest",
    "dumps",
    "format_time",
    "generate_books",
    "money",
    "parse_query",
    "parse_time",
    "small_books",
]

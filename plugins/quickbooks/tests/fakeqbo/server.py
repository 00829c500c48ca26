"""The fake QuickBooks Online HTTP server (a real server on 127.0.0.1, not a mock)."""

from __future__ import annotations

import collections
import contextlib
import json
import re
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .clock import Clock, epoch_millis, format_time, parse_time
from .dataset import ENTITIES, Books, small_books
from .faults import FaultRule, Faults
from .jsonenc import dumps, to_xml
from .oauth import Rotation, TokenStore
from .query import DEFAULT_MAX_RESULTS, QueryError, matcher, parse_query, sort_key

TOKEN_PATH = "/oauth2/v1/tokens/bearer"
REVOKE_PATH = "/v2/oauth2/tokens/revoke"
_OAUTH = frozenset({"token", "revoke"})
CDC_MAX_OBJECTS = 1000
CDC_MAX_AGE = timedelta(days=30)
_API = re.compile(r"^/v3/company/([^/]+)/(.+)$")
_ENTITY_BY_LOWER = {e.lower(): e for e in ENTITIES}
_FROM = re.compile(r"\bfrom\s+([A-Za-z]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Limits:
    """QBO's documented limits per realm and app (checked only with ``enforce_limits``)."""

    per_minute: int = 500
    per_second: int = 10
    in_flight: int = 10


@dataclass
class RecordedRequest:
    """One request as the server saw it (``headers`` complete, Authorization included)."""

    method: str
    path: str
    raw_query: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    endpoint: str
    entities: tuple[str, ...]
    at: datetime
    monotonic: float
    status: int | None = None
    fault: str | None = None
    tid: str = ""

    def param(self, name: str) -> str | None:
        """The first value of a query-string parameter."""
        values = self.query.get(name)
        return values[0] if values else None

    @property
    def query_text(self) -> str | None:
        """The QBO query of a query request (GET parameter or POST body)."""
        if self.endpoint != "query":
            return None
        return self.param("query") or self.body.decode("utf-8", "replace") or None

    def header(self, name: str) -> str | None:
        """A request header, case-insensitively."""
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)


@dataclass
class _Resp:
    status: int
    body: bytes = b""
    content_type: str = "application/json;charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    mode: str = "normal"  # normal | drop | incomplete


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # the default 5 makes bursts of connects wait ~1 s for a retry
    app: FakeQBO


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def setup(self) -> None:
        super().setup()
        self.server.app._connections.add(self.connection)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.app._connections.discard(self.connection)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr logging."""

    def do_GET(self) -> None:
        self.server.app._handle(self)

    def do_POST(self) -> None:
        self.server.app._handle(self)

    def do_PUT(self) -> None:
        self.server.app._handle(self)

    def do_DELETE(self) -> None:
        self.server.app._handle(self)


class FakeQBO:
    """A fake QuickBooks Online API + OAuth token endpoint on ``127.0.0.1:<free port>``.

    See the package docstring for the full tour.
    """

    def __init__(
        self,
        books: Books | None = None,
        *,
        realm_id: str = "9130350",
        client_id: str = "fake-client-id",
        client_secret: str = "fake-client-secret",
        rotation: Rotation = "always",
        rotation_window: timedelta = timedelta(hours=24),
        enforce_limits: bool = False,
        limits: Limits = Limits(),
        require_minorversion: bool = False,
        access_token: str | None = None,
        refresh_token: str | None = None,
    ) -> None:
        self.books = books if books is not None else small_books()
        self.clock: Clock = self.books.clock
        self.realm_id = str(realm_id)
        self.client_id = client_id
        self.client_secret = client_secret
        self.tokens = TokenStore(
            self.clock, client_id, client_secret, rotation=rotation, rotation_window=rotation_window
        )
        self.tokens.seed(access_token=access_token, refresh_token=refresh_token)
        self.faults = Faults()
        self.enforce_limits = enforce_limits
        self.limits = limits
        self.require_minorversion = require_minorversion
        #: Every request received, in arrival order.
        self.requests: list[RecordedRequest] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._lock = threading.Lock()
        self._recent: collections.deque[float] = collections.deque()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- lifecycle

    def start(self) -> FakeQBO:
        """Bind to 127.0.0.1 on a free port and serve in a daemon thread."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", 0), _Handler)
        server.app = self
        self._server = server
        self._stopping.clear()
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, wake sleeping handlers, close open connections."""
        if self._server is None:
            return
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        for conn in list(self._connections):
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = None

    def __enter__(self) -> FakeQBO:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ------------------------------------------------------------ addresses

    @property
    def port(self) -> int:
        """The bound port (server must be started)."""
        assert self._server is not None, "start the server first"
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` — QUICKBOOKS_BASE_URL (client adds ``/v3/company/...``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        """``{base_url}/v3/company/{realm_id}``."""
        return f"{self.base_url}/v3/company/{self.realm_id}"

    @property
    def revoke_url(self) -> str:
        """The revoke endpoint (``POST {"token": ...}``, Basic auth)."""
        return f"{self.base_url}{REVOKE_PATH}"

    @property
    def token_url(self) -> str:
        """The token endpoint — QUICKBOOKS_TOKEN_URL."""
        return f"{self.base_url}{TOKEN_PATH}"

    def env(self, *, refresh_token: str | None = None) -> dict[str, str]:
        """The QUICKBOOKS_* environment pointing a client at this server."""
        env = {
            "QUICKBOOKS_CLIENT_ID": self.client_id,
            "QUICKBOOKS_CLIENT_SECRET": self.client_secret,
            "QUICKBOOKS_REALM_ID": self.realm_id,
            "QUICKBOOKS_ENVIRONMENT": "sandbox",
            "QUICKBOOKS_BASE_URL": self.base_url,
            "QUICKBOOKS_TOKEN_URL": self.token_url,
        }
        if refresh_token:
            env["QUICKBOOKS_REFRESH_TOKEN"] = refresh_token
        return env

    # ----------------------------------------------------------- token API

    def issue_tokens(self, *, include_hard_expiry: bool = False) -> dict[str, Any]:
        """A fresh token response body (``access_token``, ``refresh_token``, ``expires_in``...)."""
        return self.tokens.issue(include_hard_expiry=include_hard_expiry)

    def authorize(self, redirect_uri: str) -> str:
        """Simulate the consent screen: an authorization code valid once for ``redirect_uri``."""
        return self.tokens.authorize(redirect_uri)

    def expire_access_tokens(self, token: str | None = None) -> None:
        """Expire one (or every) access token: the API answers 401 until a refresh."""
        self.tokens.expire_access(token)

    def revoke(self) -> None:
        """Disconnect: every token dies; refreshes get ``invalid_grant``."""
        self.tokens.revoke_all()

    # ------------------------------------------------------------ request log

    def api_requests(self, endpoint: str | None = None) -> list[RecordedRequest]:
        """Logged ``/v3`` requests (optionally one endpoint: query, cdc, read, ...)."""
        with self._lock:
            log = list(self.requests)
        return [
            r
            for r in log
            if r.endpoint not in _OAUTH and (endpoint is None or r.endpoint == endpoint)
        ]

    def token_requests(self) -> list[RecordedRequest]:
        """Logged token-endpoint requests."""
        with self._lock:
            return [r for r in self.requests if r.endpoint in _OAUTH]

    def clear_log(self) -> None:
        """Forget logged requests and reset the concurrency high-water mark."""
        with self._lock:
            self.requests.clear()
            self.max_in_flight = self.in_flight
            self._recent.clear()

    def max_requests_within(self, seconds: float) -> int:
        """Most API requests that arrived within any window of ``seconds`` (real time)."""
        times = sorted(r.monotonic for r in self.api_requests())
        best = 0
        lo = 0
        for hi, t in enumerate(times):
            while t - times[lo] >= seconds:
                lo += 1
            best = max(best, hi - lo + 1)
        return best

    # --------------------------------------------------------------- serving

    def _handle(self, h: _Handler) -> None:
        started = time.monotonic()
        parts = urlsplit(h.path)
        path = parts.path
        query = parse_qs(parts.query, keep_blank_values=True)
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        endpoint, entities, realm, rest = self._classify(h.command, path, query, body)
        rec = RecordedRequest(
            method=h.command,
            path=path,
            raw_query=parts.query,
            query=query,
            headers=dict(h.headers.items()),
            body=body,
            endpoint=endpoint,
            entities=entities,
            at=self.clock.now(),
            monotonic=started,
            tid=f"1-{secrets.token_hex(4)}-{secrets.token_hex(12)}",
        )
        with self._lock:
            self.requests.append(rec)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            concurrent = self.in_flight
            if endpoint not in _OAUTH:
                self._recent.append(started)
                while self._recent and started - self._recent[0] > 60:
                    self._recent.popleft()
                last_minute = len(self._recent)
                last_second = sum(1 for t in self._recent if started - t < 1)
        try:
            resp = None
            if self.enforce_limits and endpoint not in _OAUTH:
                lim = self.limits
                if (
                    concurrent > lim.in_flight
                    or last_minute > lim.per_minute
                    or last_second > lim.per_second
                ):
                    rec.fault = "limit"
                    resp = self._throttle(retry_after=60, xml=False)
            rule = None if resp else self.faults.pick(endpoint, entities, path)
            if rule is not None:
                rec.fault = rule.kind
                if rule.delay and self._stopping.wait(rule.delay):
                    return
                resp = self._fault_response(rule, h, rec)
            if resp is None:
                resp = self._dispatch(h, rec, realm, rest, query, body)
            if rule is not None and rule.kind in ("malformed", "incomplete"):
                resp = self._spoil(rule, resp)
            rec.status = None if resp.mode == "drop" else resp.status
            self._send(h, resp, rec.tid)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _classify(
        self, method: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[str, tuple[str, ...], str | None, str]:
        if path == TOKEN_PATH:
            return "token", (), None, ""
        if path == REVOKE_PATH:
            return "revoke", (), None, ""
        m = _API.match(path)
        if not m:
            return "unknown", (), None, ""
        realm, rest = m.group(1), m.group(2)
        if rest == "query":
            text = (query.get("query") or [""])[0] or body.decode("utf-8", "replace")
            fm = _FROM.search(text)
            ent = _ENTITY_BY_LOWER.get(fm.group(1).lower(), fm.group(1)) if fm else ""
            return "query", (ent,) if ent else (), realm, rest
        if rest == "cdc":
            raw = (query.get("entities") or [""])[0]
            ents = tuple(
                _ENTITY_BY_LOWER.get(e.strip().lower(), e.strip()) for e in raw.split(",") if e
            )
            return "cdc", ents, realm, rest
        if rest == "preferences":
            return "preferences", ("Preferences",), realm, rest
        if rest.startswith("companyinfo/"):
            return "companyinfo", ("CompanyInfo",), realm, rest
        first = rest.split("/", 1)[0]
        if first in _ENTITY_BY_LOWER:
            return "read", (_ENTITY_BY_LOWER[first],), realm, rest
        return "api", (), realm, rest

    # ---------------------------------------------------------- responses

    def _now_text(self) -> str:
        return format_time(self.clock.now(), millis=True)

    def _json(self, status: int, payload: dict[str, Any], **headers: str) -> _Resp:
        return _Resp(status, dumps(payload).encode(), headers=dict(headers))

    def _fault(
        self,
        status: int,
        fault_type: str,
        code: str,
        message: str,
        detail: str,
        **headers: str,
    ) -> _Resp:
        payload = {
            "Fault": {
                "Error": [{"Message": message, "Detail": detail, "code": code, "element": ""}],
                "type": fault_type,
            },
            "time": self._now_text(),
        }
        return self._json(status, payload, **headers)

    def _xml_fault(
        self, status: int, fault_type: str, code: str, message: str, detail: str, **headers: str
    ) -> _Resp:
        from xml.sax.saxutils import escape, quoteattr

        text = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            f'<IntuitResponse xmlns="http://schema.intuit.com/finance/v3" '
            f"time={quoteattr(self._now_text())}>"
            f"<Fault type={quoteattr(fault_type)}><Error code={quoteattr(code)}>"
            f"<Message>{escape(message)}</Message><Detail>{escape(detail)}</Detail>"
            "</Error></Fault></IntuitResponse>"
        )
        return _Resp(status, text.encode(), "application/xml;charset=UTF-8", dict(headers))

    def _gateway_401(self, detail: str) -> _Resp:
        payload = {
            "fault": {
                "error": [
                    {
                        "message": "message=AuthenticationFailed; errorCode=003200; statusCode=401",
                        "detail": detail,
                        "code": "3200",
                    }
                ],
                "type": "AUTHENTICATION",
            },
            "time": epoch_millis(self.clock.now()),
        }
        return self._json(
            401, payload, **{"WWW-Authenticate": 'Bearer realm="Intuit", error="invalid_token"'}
        )

    def _throttle(self, retry_after: int | None, xml: bool) -> _Resp:
        headers = {} if retry_after is None else {"Retry-After": str(retry_after)}
        message = "message=ThrottleExceeded; errorCode=003001; statusCode=429"
        detail = "The request limit was reached. Wait before retrying."
        if xml:
            return self._xml_fault(429, "ValidationFault", "3001", message, detail, **headers)
        return self._fault(429, "ValidationFault", "3001", message, detail, **headers)

    def _fault_response(self, rule: FaultRule, h: _Handler, rec: RecordedRequest) -> _Resp | None:
        p = rule.params
        kind = rule.kind
        if kind == "throttle":
            return self._throttle(p.get("retry_after", 60), bool(p.get("xml", False)))
        if kind == "system_fault":
            return self._fault(
                500,
                "SystemFault",
                "10000",
                "An application error has occurred while processing your request",
                "System Failure Error: An unexpected error occurred while accessing or saving "
                "your data. Please wait a few minutes and try again.",
            )
        if kind == "unavailable":
            status = int(p.get("status", 503))
            page = f"<html><body><h1>{status} Service Unavailable</h1></body></html>"
            return _Resp(status, page.encode(), "text/html")
        if kind == "fault_200":
            return self._fault(
                200,
                p.get("fault_type", "ValidationFault"),
                str(p.get("code", "610")),
                p.get("message", "Object Not Found"),
                p.get(
                    "detail",
                    "Object Not Found : Something you're trying to use has been made inactive.",
                ),
            )
        if kind == "xml_fault":
            return self._xml_fault(
                int(p.get("status", 400)),
                p.get("fault_type", "ValidationFault"),
                str(p.get("code", "2020")),
                p.get("message", "Required param missing, need to supply the required value"),
                p.get("detail", "Required parameter is missing in the request"),
            )
        if kind == "expire_token":
            token = _bearer(rec.header("Authorization"))
            if token:
                self.tokens.expire_access(token)
            return self._gateway_401("Token expired: access token has expired")
        if kind == "revoke":
            self.tokens.revoke_all()
            return self._gateway_401("Token revoked")
        if kind == "drop":
            return _Resp(0, mode="drop")
        if kind == "forbidden":
            return self._fault(
                403,
                "AuthorizationFault",
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                "The application is not authorized to access this company.",
            )
        if kind == "validation":
            return self._fault(
                400,
                "ValidationFault",
                str(p.get("code", "2020")),
                p.get("message", "Required param missing, need to supply the required value"),
                p.get("detail", "Required parameter is missing in the request"),
            )
        if kind == "invalid_grant":
            return self._json(400, {"error": "invalid_grant"})
        if kind == "status":
            return self._json(int(p.get("status", 500)), p.get("body") or {})
        return None  # slow / malformed / incomplete: answer normally (then spoil)

    def _spoil(self, rule: FaultRule, resp: _Resp) -> _Resp:
        if rule.kind == "malformed":
            text = rule.params.get("body")
            body = text.encode() if text is not None else resp.body[: max(1, len(resp.body) // 2)]
            return _Resp(200, body, resp.content_type, resp.headers)
        return _Resp(200, resp.body, resp.content_type, resp.headers, mode="incomplete")

    def _send(self, h: _Handler, resp: _Resp, tid: str) -> None:
        try:
            if resp.mode == "drop":
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            h.send_response(resp.status)
            h.send_header("Content-Type", resp.content_type)
            h.send_header("Content-Length", str(len(resp.body)))
            h.send_header("intuit_tid", tid)
            h.send_header("Server", "fakeqbo")
            for key, value in resp.headers.items():
                h.send_header(key, value)
            h.end_headers()
            if resp.mode == "incomplete":
                h.wfile.write(resp.body[: len(resp.body) // 2])
                h.wfile.flush()
                h.close_connection = True
                h.connection.shutdown(socket.SHUT_RDWR)
                return
            h.wfile.write(resp.body)
            h.wfile.flush()
        except OSError:
            h.close_connection = True  # the client gave up (e.g. its read timeout)

    # ------------------------------------------------------------ dispatch

    def _dispatch(
        self,
        h: _Handler,
        rec: RecordedRequest,
        realm: str | None,
        rest: str,
        query: dict[str, list[str]],
        body: bytes,
    ) -> _Resp:
        if rec.endpoint == "token":
            return self._token(h, rec, body)
        if rec.endpoint == "revoke":
            return self._revoke(rec, body)
        if rec.endpoint == "unknown":
            return self._json(404, {"error": "not_found", "path": rec.path})
        token = _bearer(rec.header("Authorization"))
        if token is None:
            return self._gateway_401("Authorization header missing or not a Bearer token")
        if not self.tokens.access_ok(token):
            return self._gateway_401("Token expired or invalid")
        if realm != self.realm_id:
            return self._fault(
                403,
                "AuthorizationFault",
                "3100",
                "message=ApplicationAuthorizationFailed; errorCode=003100; statusCode=403",
                f"The token does not grant access to company {realm}.",
            )
        if self.require_minorversion and not rec.param("minorversion"):
            return self._fault(
                400, "ValidationFault", "2020", "minorversion missing", "Send minorversion=75."
            )
        if rec.endpoint == "query":
            resp, payload = self._query(rec)
        elif rec.endpoint == "cdc":
            resp, payload = self._cdc(rec)
        elif rec.endpoint == "preferences":
            with self.books.lock:
                payload = {"Preferences": self.books.preferences, "time": self._now_text()}
            resp = self._json(200, payload)
        elif rec.endpoint == "companyinfo":
            with self.books.lock:
                payload = {"CompanyInfo": self.books.company_info, "time": self._now_text()}
            resp = self._json(200, payload)
        elif rec.endpoint == "read" and rec.method == "GET":
            resp, payload = self._read(rest)
        else:
            resp, payload = (
                self._fault(
                    400,
                    "ValidationFault",
                    "500",
                    "Unsupported Operation",
                    f"Operation {rec.method} {rest} is not supported by the fake server.",
                ),
                None,
            )
        if payload is not None and not _wants_json(rec.header("Accept")):
            return self._as_xml(resp, payload)
        return resp

    def _as_xml(self, resp: _Resp, payload: dict[str, Any]) -> _Resp:
        if resp.content_type.startswith("application/json") and payload:
            data = {k: v for k, v in payload.items() if k != "time"}
            when = payload.get("time")
            attrs = {"time": when} if isinstance(when, str) else {}
            text = to_xml("IntuitResponse", data, attrs)
            return _Resp(resp.status, text.encode(), "application/xml;charset=UTF-8", resp.headers)
        return resp

    def _query(self, rec: RecordedRequest) -> tuple[_Resp, dict[str, Any] | None]:
        text = rec.query_text
        if not text:
            return self._fault(
                400, "ValidationFault", "4000", "Error parsing query", "QueryParserError: empty"
            ), None
        try:
            q = parse_query(text, ENTITIES)
            pred = matcher(q)
        except QueryError as exc:
            return self._fault(400, "ValidationFault", exc.code, exc.message, exc.detail), None
        order = tuple(q.order) or (("Id", False),)
        with self.books.lock:
            rows = self.books.sorted_rows(q.entity, order, sort_key)
            now = self._now_text()
            has_filter = bool(q.where) or q.entity == "Customer"
            if q.count:
                n = sum(1 for r in rows if pred(r)) if has_filter else len(rows)
                payload = {"QueryResponse": {"totalCount": n}, "time": now}
                return self._json(200, payload), payload
            skip = q.start - 1
            if not has_filter:
                page = rows[skip : skip + q.max_results]
            else:
                page = []
                for row in rows:
                    if not pred(row):
                        continue
                    if skip:
                        skip -= 1
                        continue
                    page.append(row)
                    if len(page) >= q.max_results:
                        break
            if not page:
                payload = {"QueryResponse": {}, "time": now}
                return self._json(200, payload), payload
            if _wants_json(rec.header("Accept")):
                texts = ",".join(self.books.json_of(q.entity, r) for r in page)
                raw = (
                    f'{{"QueryResponse":{{"{q.entity}":[{texts}],'
                    f'"startPosition":{q.start},"maxResults":{len(page)}}},'
                    f'"time":{json.dumps(now)}}}'
                )
                return _Resp(200, raw.encode()), None
            payload = {
                "QueryResponse": {
                    q.entity: page,
                    "startPosition": q.start,
                    "maxResults": len(page),
                },
                "time": now,
            }
            return self._json(200, payload), payload

    def _cdc(self, rec: RecordedRequest) -> tuple[_Resp, dict[str, Any] | None]:
        raw_entities = rec.param("entities") or ""
        since_text = rec.param("changedSince") or ""
        if not raw_entities.strip():
            return self._fault(
                400, "ValidationFault", "2020", "Required param missing", "entities is required"
            ), None
        names: list[str] = []
        for part in raw_entities.split(","):
            ent = _ENTITY_BY_LOWER.get(part.strip().lower())
            if ent is None:
                return self._fault(
                    400,
                    "ValidationFault",
                    "2030",
                    "Invalid ID",
                    f"CDC does not support the entity {part.strip()!r}",
                ), None
            if ent not in names:
                names.append(ent)
        try:
            since = parse_time(since_text)
        except ValueError:
            return self._fault(
                400,
                "ValidationFault",
                "2020",
                "Required param missing",
                "changedSince is required: a date or date-time with offset",
            ), None
        now = self.clock.now()
        if now - since > CDC_MAX_AGE:
            return self._fault(
                400,
                "ValidationFault",
                "10001",
                "Invalid changedSince",
                "changedSince cannot be more than 30 days in the past",
            ), None
        with self.books.lock:
            changes: list[tuple[float, int, str, str]] = []
            for rank, ent in enumerate(names):
                for obj in self.books.entities[ent].values():
                    when = parse_time(obj["MetaData"]["LastUpdatedTime"])
                    if when >= since:
                        changes.append(
                            (when.timestamp(), rank, obj["Id"], self.books.json_of(ent, obj))
                        )
                for gone in self.books.deletions:
                    if gone.entity == ent and gone.time >= since:
                        changes.append((gone.time.timestamp(), rank, gone.id, dumps(gone.stub())))
        changes.sort(key=lambda c: (c[0], c[1], int(c[2]) if c[2].isdigit() else 0))
        changes = changes[:CDC_MAX_OBJECTS]
        groups = []
        for rank, ent in enumerate(names):
            texts = [c[3] for c in changes if c[1] == rank]
            if texts:
                groups.append(
                    f'{{"{ent}":[{",".join(texts)}],"startPosition":1,"maxResults":{len(texts)}}}'
                )
            else:
                groups.append("{}")
        raw = (
            f'{{"CDCResponse":[{{"QueryResponse":[{",".join(groups)}]}}],'
            f'"time":{json.dumps(format_time(now, millis=True))}}}'
        )
        if not _wants_json(rec.header("Accept")):
            return _Resp(200, raw.encode()), json.loads(raw)
        return _Resp(200, raw.encode()), None

    def _read(self, rest: str) -> tuple[_Resp, dict[str, Any] | None]:
        first, _, obj_id = rest.partition("/")
        entity = _ENTITY_BY_LOWER[first]
        with self.books.lock:
            obj = self.books.entities[entity].get(obj_id)
            if obj is None:
                return self._fault(
                    400,
                    "ValidationFault",
                    "610",
                    "Object Not Found",
                    "Object Not Found : Something you're trying to use has been made inactive. "
                    "Check the fields with accounts, customers, items, vendors or employees.",
                ), None
            raw = f'{{"{entity}":{self.books.json_of(entity, obj)},"time":"{self._now_text()}"}}'
            return _Resp(200, raw.encode()), {entity: obj, "time": self._now_text()}

    def _revoke(self, rec: RecordedRequest, body: bytes) -> _Resp:
        """``POST /v2/oauth2/tokens/revoke {"token": ...}``: disconnects the app."""
        if rec.method != "POST":
            return self._json(405, {"error": "invalid_request"})
        if not self.tokens._client_ok(rec.header("Authorization")):
            return self._json(401, {"error": "invalid_client"})
        try:
            token = json.loads(body or b"{}").get("token")
        except (ValueError, AttributeError):
            token = None
        if not token:
            return self._json(400, {"error": "invalid_request"})
        if token in self.tokens.refresh or token in self.tokens.access:
            self.tokens.revoke_all()
        return _Resp(200, b"", "text/plain")

    def _token(self, h: _Handler, rec: RecordedRequest, body: bytes) -> _Resp:
        if rec.method != "POST":
            return self._json(405, {"error": "invalid_request"})
        ctype = (rec.header("Content-Type") or "").split(";")[0].strip().lower()
        if ctype != "application/x-www-form-urlencoded":
            return self._json(400, {"error": "invalid_request"})
        form = {k: v[0] for k, v in parse_qs(body.decode(), keep_blank_values=True).items()}
        lowered = {k.lower(): v for k, v in rec.headers.items()}
        status, payload = self.tokens.handle(rec.header("Authorization"), form, lowered)
        return self._json(status, payload, **{"Cache-Control": "no-store", "Pragma": "no-cache"})


def _bearer(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def _wants_json(accept: str | None) -> bool:
    return bool(accept) and "json" in accept.lower()  # type: ignore[union-attr]


__all__ = ["DEFAULT_MAX_RESULTS", "FakeQBO", "Limits", "RecordedRequest"]

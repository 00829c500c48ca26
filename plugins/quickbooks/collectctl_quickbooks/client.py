"""The QuickBooks Online HTTP client: timeouts, retries, rate limit, faults, pagination, CDC.

Every call goes through :meth:`QBOClient.get`, which

* waits for the rate limiter (at most ``rate_per_minute`` requests in any 60 s, one at a time);
* sends ``Authorization: Bearer`` with a token from
  :class:`~collectctl_quickbooks.auth.TokenManager`
  (refreshed when nearly expired, and once more on a 401 before the call is retried once);
* uses a connect and a read timeout on every request;
* retries 429 (honouring ``Retry-After``), 502/503/504, connection errors, timeouts and truncated
  bodies with exponential backoff and full jitter, a 500 only once, all bounded in attempts *and*
  in total time (``retry_deadline``);
* turns ``Fault`` bodies — JSON (also inside HTTP 200) or XML — into one-line
  :class:`~collectctl.errors.SourceError` messages naming the call and the ``intuit_tid``.

Each request is logged at DEBUG (method, path, status, time, intuit_tid); never a token.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import urlparse

from collectctl.errors import SourceError
from collectctl_quickbooks.auth import REAUTH_HINT, TokenManager
from collectctl_quickbooks.settings import MINOR_VERSION, Settings

log = logging.getLogger("collectctl.quickbooks")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class RateLimiter:
    """At most ``per_minute`` acquisitions in any sliding 60-second window, one at a time."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = per_minute
        self.clock = clock
        self.sleep = sleep
        self.sent: deque[float] = deque()
        self.lock = threading.Lock()

    def acquire(self) -> None:
        """Block until one more request may be sent, and count it."""
        while True:
            now = self.clock()
            while self.sent and now - self.sent[0] >= 60.0:
                self.sent.popleft()
            if len(self.sent) < self.per_minute:
                self.sent.append(now)
                return
            self.sleep(60.0 - (now - self.sent[0]) + 0.001)


class _RetryableError(Exception):
    """Internal: this attempt failed in a way worth retrying."""

    def __init__(
        self,
        reason: str,
        wait: float | None = None,
        status: int | None = None,
        timed_out: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait
        self.status = status
        self.timed_out = timed_out


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def fault_message(body: Any) -> str | None:
    """One line from a JSON ``Fault`` (or the gateway's lower-case ``fault``), else ``None``."""
    if not isinstance(body, dict):
        return None
    fault = body.get("Fault") or body.get("fault")
    if not isinstance(fault, dict):
        return None
    errors = fault.get("Error") or fault.get("error") or []
    if isinstance(errors, dict):
        errors = [errors]
    parts = []
    for err in errors if isinstance(errors, list) else []:
        if not isinstance(err, dict):
            continue
        code = err.get("code") or err.get("Code")
        msg = err.get("Message") or err.get("message") or ""
        detail = err.get("Detail") or err.get("detail") or ""
        text = f"{msg}: {detail}" if detail and detail != msg else (msg or detail)
        parts.append(f"{text} (code {code})" if code else text)
    kind = fault.get("type") or "Fault"
    return f"{kind}: " + "; ".join(parts or ["no details"])


def xml_fault_message(text: str) -> str | None:
    """One line from an XML ``<Fault>`` body (ThrottleExceeded and friends), else ``None``."""
    import xml.etree.ElementTree as ET

    try:
        root = ET.fromstring(text)
    except ET.ParseError:
        return None
    fault = None
    for el in root.iter():
        if el.tag.rsplit("}", 1)[-1] == "Fault":
            fault = el
            break
    if fault is None:
        return None
    parts = []
    for err in fault:
        if err.tag.rsplit("}", 1)[-1] != "Error":
            continue
        fields = {child.tag.rsplit("}", 1)[-1]: (child.text or "").strip() for child in err}
        msg, detail = fields.get("Message", ""), fields.get("Detail", "")
        text_ = f"{msg}: {detail}" if detail and detail != msg else (msg or detail)
        code = err.get("code")
        parts.append(f"{text_} (code {code})" if code else text_)
    return f"{fault.get('type') or 'Fault'}: " + "; ".join(parts or ["no details"])


def _one_line(text: str) -> str:
    return " ".join(text.split())


class QBOClient:
    """A QuickBooks Online API client bound to one company (realm)."""

    def __init__(
        self,
        settings: Settings,
        tokens: TokenManager | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[float, float], float] = random.uniform,
    ) -> None:
        import requests

        self.settings = settings
        self.tokens = tokens or TokenManager(settings)
        self.sleep = sleep
        self.clock = clock
        self.jitter = jitter
        self.limiter = RateLimiter(settings.rate_per_minute, clock=clock, sleep=sleep)
        self.session = requests.Session()
        self.requests_sent = 0
        self._realm: str | None = None

    @property
    def realm_id(self) -> str:
        """The company's realm id (from settings or the token file)."""
        if self._realm is None:
            self._realm = self.tokens.realm_id
        return self._realm

    def close(self) -> None:
        """Close the HTTP session."""
        self.session.close()

    # -- one call -------------------------------------------------------------------------------

    def get(self, path: str, params: dict[str, str] | None = None, *, what: str) -> dict[str, Any]:
        """GET ``/v3/company/{realm}/{path}`` and return the decoded JSON (Decimals for numbers).

        ``what`` names the call in error messages (``"query 'SELECT * FROM Invoice …'"``).
        """
        url = f"{self.settings.base_url}/v3/company/{self.realm_id}/{path}"
        query = {**(params or {}), "minorversion": MINOR_VERSION}
        started = self.clock()
        attempt = 0
        refreshed = False
        server_errors = 0
        while True:
            attempt += 1
            try:
                return self._once(url, query, what, refreshed)
            except _UnauthorizedError as exc:
                if refreshed:
                    raise SourceError(
                        f"QuickBooks rejected the access token again after a refresh ({what}"
                        f"{exc.tid_note})",
                        hint=REAUTH_HINT,
                    ) from None
                log.debug("401 on %s: refreshing the access token once", what)
                self.tokens.access_token(stale=exc.token)
                refreshed = True
                attempt -= 1  # a refresh is not a failed attempt
                continue
            except _RetryableError as exc:
                if exc.status == 500:
                    server_errors += 1
                wait = self._backoff(attempt, exc.wait)
                elapsed = self.clock() - started
                # A server that stopped answering may well time out again: count that in, so a
                # hung server ends the sync within the deadline rather than one timeout past it.
                next_try = self.settings.read_timeout if exc.timed_out else 0.0
                give_up = (
                    attempt >= self.settings.retry_attempts
                    or server_errors > 1
                    or elapsed + wait + next_try > self.settings.retry_deadline
                )
                if give_up:
                    raise SourceError(
                        f"QuickBooks {what} failed after {attempt} attempt"
                        f"{'s' if attempt != 1 else ''} in {elapsed:.0f} s: {exc.reason}",
                        hint="QuickBooks may be down or throttling this company; "
                        "try again later (the ledger is unchanged).",
                    ) from None
                log.debug("retrying %s in %.2fs: %s", what, wait, exc.reason)
                self.sleep(wait)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return retry_after
        ceiling = min(self.settings.retry_cap, self.settings.retry_base * 2 ** (attempt - 1))
        return self.jitter(ceiling / 2, ceiling)

    def _once(self, url: str, query: dict[str, str], what: str, refreshed: bool) -> dict[str, Any]:
        import requests

        token = self.tokens.access_token()
        self.limiter.acquire()
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        t0 = time.monotonic()
        path = urlparse(url).path
        try:
            self.requests_sent += 1
            resp = self.session.get(
                url,
                params=query,
                headers=headers,
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
            content = resp.content  # may raise on a truncated chunked body
        except requests.exceptions.Timeout as exc:
            log.debug("GET %s -> timeout after %.2fs", path, time.monotonic() - t0)
            raise _RetryableError(f"timed out ({type(exc).__name__})", timed_out=True) from None
        except requests.exceptions.RequestException as exc:
            log.debug("GET %s -> %s after %.2fs", path, type(exc).__name__, time.monotonic() - t0)
            raise _RetryableError(f"connection failed ({type(exc).__name__})") from None
        status = resp.status_code
        tid = resp.headers.get("intuit_tid")
        log.debug(
            "GET %s %s -> %s in %.2fs (intuit_tid %s)",
            path,
            what,
            status,
            time.monotonic() - t0,
            tid or "-",
        )
        tid_note = f", intuit_tid {tid}" if tid else ""
        text = content.decode("utf-8", errors="replace")
        is_xml = text.lstrip().startswith("<")
        if status == 401:
            raise _UnauthorizedError(token, tid_note)
        if status == 403:
            detail = self._fault_text(text, is_xml)
            raise SourceError(
                f"QuickBooks refused access to company {self.realm_id} (HTTP 403) for {what}"
                + (f": {detail}" if detail else "")
                + tid_note,
                hint="The app is not authorised for this company any more: reconnect it with "
                "`collectctl quickbooks auth`.",
            )
        if status in RETRY_STATUSES:
            detail = self._fault_text(text, is_xml)
            wait = _retry_after(resp.headers.get("Retry-After"))
            if status == 429 and wait is None:
                wait = self.settings.throttle_wait
            reason = f"HTTP {status}" + (f" {detail}" if detail else "") + tid_note
            raise _RetryableError(reason, wait=wait, status=status)
        if is_xml:
            detail = xml_fault_message(text)
            raise SourceError(
                f"QuickBooks {what} failed (HTTP {status}): "
                + (detail or "unexpected XML response")
                + tid_note
            )
        try:
            body = json.loads(text, parse_float=Decimal) if text.strip() else None
        except ValueError:
            if status == 200:
                raise _RetryableError(
                    f"malformed JSON in the response (HTTP 200, {len(content)} bytes{tid_note})"
                ) from None
            body = None
        message = fault_message(body)
        if message:
            raise SourceError(f"QuickBooks {what} failed (HTTP {status}): {message}{tid_note}")
        if status != 200:
            raise SourceError(
                f"QuickBooks {what} failed (HTTP {status}): {_one_line(text)[:200]}{tid_note}"
            )
        if not isinstance(body, dict):
            raise SourceError(f"QuickBooks {what} returned an empty or non-object body{tid_note}")
        return body

    @staticmethod
    def _fault_text(text: str, is_xml: bool) -> str | None:
        if is_xml:
            return xml_fault_message(text)
        try:
            return fault_message(json.loads(text, parse_float=Decimal))
        except ValueError:
            return None

    # -- API helpers ----------------------------------------------------------------------------

    def query(self, entity: str, where: str = "") -> Iterator[dict[str, Any]]:
        """Every ``entity`` row matching ``where``, page by page (``ORDERBY Id``, 1-based)."""
        size = self.settings.page_size
        start = 1
        while True:
            sql = f"SELECT * FROM {entity}{' WHERE ' + where if where else ''} ORDERBY Id"
            sql += f" STARTPOSITION {start} MAXRESULTS {size}"
            body = self.get("query", {"query": sql}, what=f"query '{sql}'")
            response = body.get("QueryResponse")
            if not isinstance(response, dict):
                raise SourceError(f"QuickBooks query '{sql}' returned no QueryResponse")
            rows = response.get(entity) or []
            if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                raise SourceError(f"QuickBooks query '{sql}' returned a malformed {entity} list")
            yield from rows
            if len(rows) < size:
                return
            start += size

    def cdc(self, entities: Sequence[str], changed_since: str) -> dict[str, Any]:
        """One Change Data Capture call; returns the raw body (``CDCResponse``, ``time``)."""
        names = ",".join(entities)
        return self.get(
            "cdc",
            {"entities": names, "changedSince": changed_since},
            what=f"CDC of {names} since {changed_since}",
        )

    def preferences(self) -> dict[str, Any]:
        """The company's preferences (home currency, multicurrency) with the server ``time``."""
        return self.get("preferences", what="preferences")

    def company_info(self) -> dict[str, Any]:
        """The CompanyInfo object (company name)."""
        body = self.get(f"companyinfo/{self.realm_id}", what="company info")
        info = body.get("CompanyInfo")
        return info if isinstance(info, dict) else {}


class _UnauthorizedError(Exception):
    def __init__(self, token: str, tid_note: str) -> None:
        super().__init__("401")
        self.token = token
        self.tid_note = tid_note

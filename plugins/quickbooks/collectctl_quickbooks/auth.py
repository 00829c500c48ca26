"""OAuth 2.0 for QuickBooks Online: the token file, the refresh lock and the authorization flow.

Rules (docs/quickbooks.md, reference §7-8):

* the token pair lives in ``<profile>/quickbooks-token.json`` (JSON, mode 0600), written atomically
  (temp file, fsync, rename, fsync of the directory) *before* a new access token is used, so a
  crash never leaves only a dead refresh token behind;
* one refresh at a time per profile: :class:`TokenManager` takes an ``fcntl`` lock, re-reads the
  file and refreshes only if it still holds the token that was found stale — the other process
  waits and reuses the result;
* ``QUICKBOOKS_REFRESH_TOKEN`` bootstraps a headless set-up only while no token file exists;
* ``invalid_grant`` is terminal: the user must run ``collectctl quickbooks auth`` again.

Tokens are never logged or printed.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from collectctl.errors import ConfigError, SourceError
from collectctl_quickbooks.settings import Settings

log = logging.getLogger("collectctl.quickbooks")

SCOPE = "com.intuit.quickbooks.accounting"
#: Refresh when less than this many seconds of the access token remain.
REFRESH_MARGIN = 300.0
REAUTH_HINT = "Re-run `collectctl quickbooks auth` to reconnect the company."


@dataclass(frozen=True)
class Token:
    """One token pair as stored in the token file (times are Unix epoch seconds)."""

    access_token: str
    refresh_token: str
    expires_at: float
    refresh_expires_at: float | None = None
    realm_id: str | None = None
    environment: str | None = None
    updated_at: float | None = None

    def fresh(self, now: float, margin: float = REFRESH_MARGIN) -> bool:
        """Whether the access token is valid for at least ``margin`` more seconds."""
        return bool(self.access_token) and self.expires_at - now > margin

    @classmethod
    def from_response(
        cls, body: dict[str, Any], *, now: float, realm_id: str | None, environment: str | None
    ) -> Token:
        """Build a token from the token endpoint's JSON response."""
        try:
            access = str(body["access_token"])
            refresh = str(body["refresh_token"])
            expires_in = float(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError):
            raise SourceError(
                "QuickBooks token endpoint returned an unexpected response "
                "(no access_token/refresh_token)",
                hint=REAUTH_HINT,
            ) from None
        refresh_in = body.get("x_refresh_token_expires_in")
        return cls(
            access_token=access,
            refresh_token=refresh,
            expires_at=now + expires_in,
            refresh_expires_at=now + float(refresh_in) if refresh_in is not None else None,
            realm_id=realm_id,
            environment=environment,
            updated_at=now,
        )


class TokenStore:
    """Reads and atomically writes the token file."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Token | None:
        """The stored token, or ``None`` when there is no token file."""
        try:
            raw = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        try:
            data = json.loads(raw)
            return Token(
                access_token=str(data.get("access_token") or ""),
                refresh_token=str(data["refresh_token"]),
                expires_at=float(data.get("expires_at") or 0),
                refresh_expires_at=data.get("refresh_expires_at"),
                realm_id=data.get("realm_id"),
                environment=data.get("environment"),
                updated_at=data.get("updated_at"),
            )
        except (ValueError, KeyError, TypeError):
            raise ConfigError(
                f"the QuickBooks token file {self.path} is damaged", hint=REAUTH_HINT
            ) from None

    def save(self, token: Token) -> None:
        """Write ``token`` atomically: temp file (0600), fsync, rename, fsync of the directory."""
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".quickbooks-token.", suffix=".tmp", dir=directory)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(asdict(token), fh, indent=2, sort_keys=True)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


@contextlib.contextmanager
def file_lock(path: Path, timeout: float) -> Iterator[None]:
    """Hold an exclusive ``fcntl`` lock on ``path`` (created 0600), waiting up to ``timeout`` s."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise SourceError(
                        f"another collectctl process has held {path.name} for {timeout:.0f} s",
                        hint="Wait for the other QuickBooks sync to finish and try again.",
                    ) from None
                time.sleep(0.05)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _basic_auth(settings: Settings) -> tuple[str, str]:
    return settings.require_client()


def post_token(settings: Settings, form: dict[str, str], *, what: str) -> dict[str, Any]:
    """POST ``form`` to the token endpoint and return its JSON; errors become SourceErrors.

    Retried only when the request certainly never reached the server (connection refused) or the
    server said so (429, 502-504): a refresh that may have been processed is not resent blindly.
    """
    import requests

    client = _basic_auth(settings)
    timeout = (settings.connect_timeout, settings.read_timeout)
    delay = settings.retry_base
    started = time.monotonic()
    for attempt in range(1, settings.retry_attempts + 1):
        t0 = time.monotonic()
        try:
            resp = requests.post(
                settings.token_url,
                data=form,
                auth=client,
                headers={"Accept": "application/json"},
                timeout=timeout,
            )
        except requests.exceptions.ConnectionError as exc:
            if isinstance(exc, requests.exceptions.ReadTimeout) or not _retry_ok(
                attempt, settings, started, delay
            ):
                raise SourceError(
                    f"could not reach the QuickBooks token endpoint ({what}): {type(exc).__name__}",
                    hint="Check the network (or QUICKBOOKS_TOKEN_URL) and try again.",
                ) from None
            time.sleep(delay)
            delay = min(delay * 2, settings.retry_cap)
            continue
        except requests.exceptions.Timeout:
            raise SourceError(
                f"the QuickBooks token endpoint timed out ({what})",
                hint="Try again later; if it persists, re-run `collectctl quickbooks auth`.",
            ) from None
        log.debug(
            "POST %s (%s) -> %s in %.2fs",
            urlparse(settings.token_url).path,
            form.get("grant_type"),
            resp.status_code,
            time.monotonic() - t0,
        )
        if resp.status_code in (429, 502, 503, 504) and _retry_ok(
            attempt, settings, started, delay
        ):
            time.sleep(delay)
            delay = min(delay * 2, settings.retry_cap)
            continue
        return _token_response(resp, what)
    raise AssertionError("unreachable")  # pragma: no cover


def _retry_ok(attempt: int, settings: Settings, started: float, delay: float) -> bool:
    return (
        attempt < settings.retry_attempts
        and time.monotonic() - started + delay < settings.retry_deadline
    )


def _token_response(resp: Any, what: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if error == "invalid_grant":
        raise SourceError(
            f"QuickBooks refused the refresh token (invalid_grant) during {what}: the connection "
            "expired, was revoked, or the token was already used",
            hint=REAUTH_HINT,
        )
    if error == "invalid_client" or resp.status_code == 401:
        raise ConfigError(
            f"QuickBooks rejected the app credentials (HTTP {resp.status_code}, invalid_client)",
            hint="Check QUICKBOOKS_CLIENT_ID / QUICKBOOKS_CLIENT_SECRET "
            "(sandbox and production keys differ).",
        )
    if resp.status_code != 200 or not isinstance(body, dict):
        detail = f", error {error}" if error else ""
        tid = resp.headers.get("intuit_tid")
        raise SourceError(
            f"QuickBooks token endpoint failed during {what} (HTTP {resp.status_code}{detail}"
            + (f", intuit_tid {tid})" if tid else ")"),
            hint="Try again later; if it persists, re-run `collectctl quickbooks auth`.",
        )
    return body


class TokenManager:
    """Hands out a valid access token, refreshing it safely across processes."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.time) -> None:
        self.settings = settings
        self.store = TokenStore(settings.token_path)
        self.clock = clock
        self._token: Token | None = None

    @property
    def realm_id(self) -> str:
        """The company (realm) id: the setting, else the one saved by ``quickbooks auth``."""
        stored = self._token or self.store.load()
        configured = self.settings.realm_id
        if configured and stored and stored.realm_id and stored.realm_id != configured:
            raise ConfigError(
                f"the QuickBooks token file is for company {stored.realm_id} but "
                f"QUICKBOOKS_REALM_ID is {configured}",
                hint=REAUTH_HINT,
            )
        realm = configured or (stored.realm_id if stored else None)
        if not realm:
            raise ConfigError(
                "no QuickBooks company selected (QUICKBOOKS_REALM_ID is not set and there is no "
                "token file)",
                hint="Run `collectctl quickbooks auth`, or set QUICKBOOKS_REALM_ID and "
                "QUICKBOOKS_REFRESH_TOKEN for a headless set-up.",
            )
        return realm

    def access_token(self, *, stale: str | None = None) -> str:
        """A valid access token; ``stale`` names one the API just rejected (401)."""
        token = self._token or self.store.load()
        if token and stale is None and token.fresh(self.clock()):
            self._token = token
            return token.access_token
        with file_lock(self.settings.lock_path, self.settings.lock_timeout):
            token = self.store.load()
            if token is not None:
                rejected = stale is not None and token.access_token == stale
                if not rejected and token.fresh(self.clock()):
                    self._token = token  # another process refreshed while we waited
                    return token.access_token
                refresh_token = token.refresh_token
            elif self.settings.bootstrap_refresh_token:
                log.debug("no token file; bootstrapping from QUICKBOOKS_REFRESH_TOKEN")
                refresh_token = self.settings.bootstrap_refresh_token
            else:
                raise ConfigError(
                    "QuickBooks is not connected (no token file in the profile)",
                    hint="Run `collectctl quickbooks auth` (or set QUICKBOOKS_REFRESH_TOKEN "
                    "for a headless set-up).",
                )
            realm = (token.realm_id if token else None) or self.settings.realm_id
            environment = (token.environment if token else None) or self.settings.environment
            now = self.clock()
            body = post_token(
                self.settings,
                {"grant_type": "refresh_token", "refresh_token": refresh_token},
                what="token refresh",
            )
            new = Token.from_response(body, now=now, realm_id=realm, environment=environment)
            self.store.save(new)  # persist before use: the old refresh token may be dead now
            self._token = new
            return new.access_token


# --- authorization-code flow -------------------------------------------------------------------


def new_state() -> str:
    """A fresh, unguessable ``state`` value for one authorization attempt."""
    return secrets.token_urlsafe(24)


def authorize_url(settings: Settings, state: str) -> str:
    """The Intuit consent URL the user opens in a browser."""
    client_id, _ = settings.require_client()
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "scope": SCOPE,
            "redirect_uri": settings.redirect_uri,
            "state": state,
        }
    )
    return f"{settings.authorize_url}?{query}"


@dataclass(frozen=True)
class Grant:
    """What the redirect carried back: the one-time code and the company's realm id."""

    code: str
    realm_id: str


def parse_redirect(url: str, state: str) -> Grant:
    """Check and decode the redirect URL (``?code=…&state=…&realmId=…``)."""
    params = {k: v[0] for k, v in parse_qs(urlparse(url.strip()).query).items() if v}
    if "error" in params:
        raise SourceError(
            f"QuickBooks authorization failed: {params['error']}",
            hint="Run `collectctl quickbooks auth` again and approve the connection.",
        )
    got = params.get("state", "")
    if not got or not secrets.compare_digest(got, state):
        raise SourceError(
            "QuickBooks authorization failed: the redirect's state does not match "
            "(a stale or forged redirect)",
            hint="Run `collectctl quickbooks auth` again and use the newest link.",
        )
    code, realm = params.get("code"), params.get("realmId")
    if not code or not realm:
        raise SourceError(
            "QuickBooks authorization failed: the redirect has no code or realmId",
            hint="Paste the whole address your browser was sent to, including everything "
            "after '?'.",
        )
    return Grant(code=code, realm_id=realm)


def exchange_code(
    settings: Settings, grant: Grant, clock: Callable[[], float] = time.time
) -> Token:
    """Trade the authorization code for a token pair and save it (mode 0600, atomic)."""
    now = clock()
    body = post_token(
        settings,
        {
            "grant_type": "authorization_code",
            "code": grant.code,
            "redirect_uri": settings.redirect_uri,
        },
        what="authorization",
    )
    token = Token.from_response(
        body, now=now, realm_id=grant.realm_id, environment=settings.environment
    )
    with file_lock(settings.lock_path, settings.lock_timeout):
        TokenStore(settings.token_path).save(token)
    return token


def wait_for_redirect(settings: Settings, state: str, timeout: float = 300.0) -> Grant:
    """Listen on 127.0.0.1 at the redirect URI's port for one redirect and decode it."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    target = urlparse(settings.redirect_uri)
    if target.hostname not in ("localhost", "127.0.0.1"):
        raise ConfigError(
            f"the redirect URI {settings.redirect_uri} is not local, so no listener can catch it",
            hint="Use `collectctl quickbooks auth --paste`.",
        )
    port = target.port or 80
    path = target.path or "/"
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if urlparse(self.path).path != path:
                self.send_error(404)
                return
            received.append(self.path)
            body = b"collectctl: QuickBooks authorization received. You can close this tab.\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return  # the query string holds the code: never log it

    try:
        server = HTTPServer(("127.0.0.1", port), Handler)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on 127.0.0.1:{port} for the OAuth redirect ({exc.strerror})",
            hint="Free the port, set QUICKBOOKS_REDIRECT_URI, or use `--paste`.",
        ) from None
    deadline = time.monotonic() + timeout
    with server:
        server.timeout = 0.5
        while not received:
            if time.monotonic() > deadline:
                raise SourceError(
                    f"no OAuth redirect arrived within {timeout:.0f} s",
                    hint="Run `collectctl quickbooks auth` again (or use `--paste`).",
                )
            server.handle_request()
    return parse_redirect(received[0], state)

"""OAuth 2.0 token endpoint state for the fake server (Intuit's behaviour, incl. rotation)."""

from __future__ import annotations

import base64
import itertools
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from .clock import Clock

ACCESS_TTL = 3600
REFRESH_TTL = 8_640_000  # 100 days, rolling
HARD_TTL = 5 * 365 * 86400

Rotation = Literal["always", "window"]


@dataclass
class AccessToken:
    """An access token the API accepts until ``expires_at`` (or until expired on demand)."""

    token: str
    expires_at: datetime
    revoked: bool = False


@dataclass
class RefreshToken:
    """A refresh token; ``alive`` is False once rotated away or revoked."""

    token: str
    issued_at: datetime
    last_used: datetime
    hard_expires_at: datetime
    alive: bool = True


@dataclass
class AuthCode:
    """An authorization code from the (simulated) consent redirect."""

    code: str
    redirect_uri: str
    used: bool = False


class TokenStore:
    """Issued tokens and codes; thread-safe.

    ``rotation="always"``: every refresh returns a new refresh token and the old one dies.
    ``rotation="window"``: a refresh within ``rotation_window`` of the refresh token's issue
    returns the same token (Intuit: ~24 h); later a new one, and the old one dies.
    """

    def __init__(
        self,
        clock: Clock,
        client_id: str,
        client_secret: str,
        *,
        rotation: Rotation = "always",
        rotation_window: timedelta = timedelta(hours=24),
    ) -> None:
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.rotation: Rotation = rotation
        self.rotation_window = rotation_window
        self.lock = threading.Lock()
        self.access: dict[str, AccessToken] = {}
        self.refresh: dict[str, RefreshToken] = {}
        self.codes: dict[str, AuthCode] = {}
        self._seq = itertools.count(1)
        #: Every token response body returned, in order (for assertions).
        self.issued: list[dict[str, Any]] = []

    # ------------------------------------------------------------- test API

    def authorize(self, redirect_uri: str) -> str:
        """Simulate the user's consent: a fresh authorization code for ``redirect_uri``."""
        with self.lock:
            code = f"AB11{next(self._seq):04d}{secrets.token_hex(8)}"
            self.codes[code] = AuthCode(code, redirect_uri)
            return code

    def issue(self, *, include_hard_expiry: bool = False) -> dict[str, Any]:
        """Issue a fresh access + refresh token pair (as the authorization-code grant would)."""
        with self.lock:
            return self._response(self._new_refresh(), include_hard_expiry)

    def seed(self, *, access_token: str | None = None, refresh_token: str | None = None) -> None:
        """Make the API/endpoint accept a token of your choosing."""
        with self.lock:
            now = self.clock.now()
            if access_token:
                self.access[access_token] = AccessToken(
                    access_token, now + timedelta(seconds=ACCESS_TTL)
                )
            if refresh_token:
                self.refresh[refresh_token] = RefreshToken(
                    refresh_token, now, now, now + timedelta(seconds=HARD_TTL)
                )

    def expire_access(self, token: str | None = None) -> None:
        """Expire one access token, or all of them (the API then answers 401)."""
        with self.lock:
            for tok in self.access.values():
                if token is None or tok.token == token:
                    tok.revoked = True

    def revoke_all(self) -> None:
        """Disconnect the app: every access and refresh token dies (refresh → invalid_grant)."""
        with self.lock:
            for tok in self.access.values():
                tok.revoked = True
            for rt in self.refresh.values():
                rt.alive = False

    def access_ok(self, token: str) -> bool:
        """Whether the API accepts this access token now."""
        with self.lock:
            tok = self.access.get(token)
            return tok is not None and not tok.revoked and self.clock.now() < tok.expires_at

    def live_refresh_tokens(self) -> list[str]:
        """Refresh tokens that still work."""
        with self.lock:
            return [t.token for t in self.refresh.values() if self._refresh_ok(t)]

    # ------------------------------------------------------------ endpoint

    def handle(
        self, authorization: str | None, form: dict[str, str], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any]]:
        """Answer a POST to the token endpoint: ``(status, json body)``."""
        if not self._client_ok(authorization):
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        hard = headers.get("x-include-refresh-token-hard-expires-in", "").lower() == "true"
        with self.lock:
            if grant == "authorization_code":
                code = self.codes.get(form.get("code", ""))
                if code is None or code.used or code.redirect_uri != form.get("redirect_uri"):
                    if code is not None:
                        code.used = True
                    return 400, {"error": "invalid_grant"}
                code.used = True
                return 200, self._response(self._new_refresh(), hard)
            if grant == "refresh_token":
                if not form.get("refresh_token"):
                    return 400, {"error": "invalid_request"}
                rt = self.refresh.get(form["refresh_token"])
                if rt is None or not self._refresh_ok(rt):
                    return 400, {"error": "invalid_grant"}
                now = self.clock.now()
                if self.rotation == "window" and now - rt.issued_at < self.rotation_window:
                    rt.last_used = now
                    return 200, self._response(rt, hard)
                rt.alive = False
                new = self._new_refresh(hard_expires_at=rt.hard_expires_at)
                return 200, self._response(new, hard)
            if not grant:
                return 400, {"error": "invalid_request"}
            return 400, {"error": "unsupported_grant_type"}

    # ------------------------------------------------------------ internals

    def _client_ok(self, authorization: str | None) -> bool:
        if not authorization or not authorization.startswith("Basic "):
            return False
        try:
            raw = base64.b64decode(authorization[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        return raw == f"{self.client_id}:{self.client_secret}"

    def _refresh_ok(self, rt: RefreshToken) -> bool:
        now = self.clock.now()
        return (
            rt.alive
            and now - rt.last_used < timedelta(seconds=REFRESH_TTL)
            and now < rt.hard_expires_at
        )

    def _new_refresh(self, hard_expires_at: datetime | None = None) -> RefreshToken:
        now = self.clock.now()
        token = f"RT1-{next(self._seq):04d}-{secrets.token_urlsafe(18)}"
        rt = RefreshToken(token, now, now, hard_expires_at or now + timedelta(seconds=HARD_TTL))
        self.refresh[token] = rt
        return rt

    def _response(self, rt: RefreshToken, hard: bool) -> dict[str, Any]:
        now = self.clock.now()
        access = f"eyJ.fake-at-{next(self._seq):04d}.{secrets.token_urlsafe(24)}"
        self.access[access] = AccessToken(access, now + timedelta(seconds=ACCESS_TTL))
        rolling = REFRESH_TTL - int((now - rt.issued_at).total_seconds())
        body: dict[str, Any] = {
            "token_type": "bearer",
            "access_token": access,
            "expires_in": ACCESS_TTL,
            "refresh_token": rt.token,
            "x_refresh_token_expires_in": rolling,
        }
        if hard:
            body["x_refresh_token_hard_expires_in"] = int(
                (rt.hard_expires_at - now).total_seconds()
            )
        self.issued.append(dict(body))
        return body

"""QuickBooks settings: the environment (with ``.env`` merged) over ``[sources.quickbooks]``.

Every setting may come from the environment (``QUICKBOOKS_*``) or from the profile's
``[sources.quickbooks]`` table (lower-case key without the prefix); the environment wins. The
client secret and the bootstrap refresh token are secrets and are read from the environment only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collectctl.errors import ConfigError

HOSTS = {
    "production": "https://quickbooks.api.intuit.com",
    "sandbox": "https://sandbox-quickbooks.api.intuit.com",
}
TOKEN_URL = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
AUTHORIZE_URL = "https://appcenter.intuit.com/connect/oauth2"
DEFAULT_REDIRECT_URI = "http://localhost:8765/callback"
TOKEN_FILE = "quickbooks-token.json"
LOCK_FILE = "quickbooks-token.lock"
MINOR_VERSION = "75"


@dataclass(frozen=True)
class Settings:
    """Everything the client and the OAuth code need, resolved once per command."""

    profile_dir: Path
    client_id: str | None = None
    client_secret: str | None = None
    realm_id: str | None = None
    environment: str = "production"
    base_url: str = HOSTS["production"]
    token_url: str = TOKEN_URL
    authorize_url: str = AUTHORIZE_URL
    redirect_uri: str = DEFAULT_REDIRECT_URI
    bootstrap_refresh_token: str | None = None
    connect_timeout: float = 10.0
    read_timeout: float = 30.0
    retry_attempts: int = 5
    retry_base: float = 1.0
    retry_cap: float = 60.0
    retry_deadline: float = 90.0
    throttle_wait: float = 60.0
    rate_per_minute: int = 500
    page_size: int = 1000
    cdc_overlap_minutes: int = 5
    cdc_max_age_days: int = 29
    lock_timeout: float = 120.0

    @property
    def token_path(self) -> Path:
        """The token file (``quickbooks-token.json``) in the profile directory."""
        return self.profile_dir / TOKEN_FILE

    @property
    def lock_path(self) -> Path:
        """The lock file serialising token refreshes for this profile."""
        return self.profile_dir / LOCK_FILE

    def require_client(self) -> tuple[str, str]:
        """The OAuth client id and secret, or a :class:`ConfigError` naming what is missing."""
        missing = [
            name
            for name, value in (
                ("QUICKBOOKS_CLIENT_ID", self.client_id),
                ("QUICKBOOKS_CLIENT_SECRET", self.client_secret),
            )
            if not value
        ]
        if missing:
            raise ConfigError(
                f"QuickBooks is not configured: {' and '.join(missing)} not set",
                hint="Set them in the environment or in a .env file (see docs/quickbooks.md).",
            )
        return str(self.client_id), str(self.client_secret)


def _number(name: str, raw: Any, kind: type, minimum: float = 0) -> Any:
    try:
        value = kind(str(raw).strip())
    except ValueError:
        raise ConfigError(f"QuickBooks setting {name} must be a number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"QuickBooks setting {name} must be at least {minimum}, not {raw!r}")
    return value


#: The keys ``[sources.quickbooks]`` may hold (secrets never: they come from the environment).
CONFIG_KEYS = {
    "client_id": "the app's OAuth client id",
    "realm_id": "the company id",
    "environment": "'production' (default) or 'sandbox'",
    "base_url": "API host (default: the environment's)",
    "token_url": "OAuth token endpoint",
    "authorize_url": "OAuth authorization endpoint",
    "redirect_uri": "OAuth redirect URI",
    "timeout": "READ or CONNECT,READ seconds",
    "retry_attempts": "attempts per request",
    "retry_base": "first back-off, seconds",
    "retry_cap": "longest back-off, seconds",
    "retry_deadline": "give up on a request after this many seconds",
    "throttle_wait": "wait after a 429 without Retry-After, seconds",
    "rate_per_minute": "requests per minute at most",
    "page_size": "records per query page (at most 1000)",
}


def load_settings(
    env: Mapping[str, str], config: Mapping[str, Any] | None, profile_dir: Path
) -> Settings:
    """Resolve settings from ``env`` (wins) and the ``[sources.quickbooks]`` table ``config``."""
    section: Mapping[str, Any] = {}
    if config:
        sources = config.get("sources") or {}
        section = sources.get("quickbooks") or {}

    def get(key: str, *, secret: bool = False) -> str | None:
        value = env.get("QUICKBOOKS_" + key.upper())
        if value is None or value == "":
            value = None if secret else section.get(key)
        return None if value is None or value == "" else str(value)

    environment = (get("environment") or "production").strip().lower()
    if environment not in HOSTS:
        raise ConfigError(
            f"QUICKBOOKS_ENVIRONMENT must be 'sandbox' or 'production', not {environment!r}"
        )
    values: dict[str, Any] = {
        "profile_dir": profile_dir,
        "client_id": get("client_id"),
        "client_secret": get("client_secret", secret=True),
        "realm_id": get("realm_id"),
        "environment": environment,
        "base_url": (get("base_url") or HOSTS[environment]).rstrip("/"),
        "token_url": get("token_url") or TOKEN_URL,
        "authorize_url": get("authorize_url") or AUTHORIZE_URL,
        "redirect_uri": get("redirect_uri") or DEFAULT_REDIRECT_URI,
        "bootstrap_refresh_token": get("refresh_token", secret=True),
    }
    timeout = get("timeout")
    if timeout:
        parts = [p for p in timeout.replace(" ", "").split(",") if p]
        if len(parts) == 1:
            values["read_timeout"] = _number("QUICKBOOKS_TIMEOUT", parts[0], float, 0.001)
            values["connect_timeout"] = min(10.0, values["read_timeout"])
        elif len(parts) == 2:
            values["connect_timeout"] = _number("QUICKBOOKS_TIMEOUT", parts[0], float, 0.001)
            values["read_timeout"] = _number("QUICKBOOKS_TIMEOUT", parts[1], float, 0.001)
        else:
            raise ConfigError(
                f"QUICKBOOKS_TIMEOUT must be 'READ' or 'CONNECT,READ' seconds, not {timeout!r}"
            )
    numeric = {
        "retry_attempts": int,
        "retry_base": float,
        "retry_cap": float,
        "retry_deadline": float,
        "throttle_wait": float,
        "rate_per_minute": int,
        "page_size": int,
    }
    for key, kind in numeric.items():
        raw = get(key)
        if raw is not None:
            values[key] = _number("QUICKBOOKS_" + key.upper(), raw, kind, 1 if kind is int else 0)
    if values.get("page_size", 1000) > 1000:
        raise ConfigError("QUICKBOOKS_PAGE_SIZE must be at most 1000 (QuickBooks' maximum)")
    return Settings(**values)

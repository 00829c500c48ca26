"""Scriptable faults: make chosen requests fail the ways QuickBooks Online fails.

``qbo.faults.add(kind, on=..., entity=..., path=..., nth=1, times=1, delay=0, **params)``

Matching: ``on`` is the endpoint (``"query"``, ``"cdc"``, ``"read"``, ``"preferences"``,
``"companyinfo"``, ``"token"``, ``"revoke"``, ``"api"`` = any ``/v3`` call, ``None`` = any request);
``entity`` the queried/read entity (CDC: any of its entities); ``path`` a substring of the
path. Among the matching requests counted since the rule was added, the ``nth`` (1-based)
and the ``times - 1`` after it get the fault (``times=None``: every one from the ``nth`` on).
Every rule counts every matching request (even one another rule faulted); when several
rules fire on the same request, the first added wins.

Kinds (extra ``params``):

``throttle``      429 ThrottleExceeded (code 3001); ``retry_after`` (seconds, default 60,
                  ``None`` = no header), ``xml`` (XML ``IntuitResponse`` body even though
                  JSON was asked, default False).
``system_fault``  500 SystemFault (code 10000).
``unavailable``   ``status`` 502/503/504 (default 503), an HTML gateway page.
``slow``          sleep ``delay`` seconds, then answer normally (``delay`` works with any kind).
``malformed``     200 with the real body cut in half (valid HTTP, invalid JSON);
                  ``body`` overrides the text.
``incomplete``    200 announcing the full Content-Length but sending half, then closing.
``fault_200``     HTTP 200 whose body is a ``Fault`` (``code``, ``message``, ``detail``,
                  ``fault_type``; defaults: a ValidationFault 610 Object Not Found).
``xml_fault``     an XML ``Fault`` body with ``status`` (default 400), ``code``, ``message``,
                  ``detail``, ``fault_type``.
``expire_token``  expire the access token of this request, answer the gateway 401
                  (``message=AuthenticationFailed; errorCode=003200; statusCode=401``).
``revoke``        revoke every token (disconnect): 401 now, ``invalid_grant`` on refresh.
``drop``          close the connection without answering.
``forbidden``     403 AuthorizationFault (code 3100).
``validation``    400 ValidationFault; ``code`` (default "2020"), ``message``, ``detail``.
``invalid_grant`` 400 ``{"error": "invalid_grant"}`` (token endpoint).
``status``        any ``status`` with a JSON ``body`` (dict) — the escape hatch.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

KINDS: dict[str, frozenset[str]] = {
    "throttle": frozenset({"retry_after", "xml"}),
    "system_fault": frozenset(),
    "unavailable": frozenset({"status"}),
    "slow": frozenset(),
    "malformed": frozenset({"body"}),
    "incomplete": frozenset(),
    "fault_200": frozenset({"code", "message", "detail", "fault_type"}),
    "xml_fault": frozenset({"status", "code", "message", "detail", "fault_type"}),
    "expire_token": frozenset(),
    "revoke": frozenset(),
    "drop": frozenset(),
    "forbidden": frozenset(),
    "validation": frozenset({"code", "message", "detail"}),
    "invalid_grant": frozenset(),
    "status": frozenset({"status", "body"}),
}
ENDPOINTS = frozenset(
    {"query", "cdc", "read", "preferences", "companyinfo", "token", "revoke", "api"}
)


@dataclass
class FaultRule:
    """One scripted fault; ``seen`` counts matching requests, ``fired`` the faulted ones."""

    kind: str
    on: str | None = None
    entity: str | None = None
    path: str | None = None
    nth: int = 1
    times: int | None = 1
    delay: float = 0.0
    params: dict[str, Any] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    def matches(self, endpoint: str, entities: tuple[str, ...], path: str) -> bool:
        """Whether a request is one this rule counts."""
        if self.on is not None:
            if self.on == "api":
                if endpoint in ("token", "revoke"):
                    return False
            elif self.on != endpoint:
                return False
        if self.entity is not None and self.entity.lower() not in {e.lower() for e in entities}:
            return False
        return self.path is None or self.path in path

    @property
    def exhausted(self) -> bool:
        """True once the rule has fired ``times`` times."""
        return self.times is not None and self.fired >= self.times


class Faults:
    """The fault script of one server."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rules: list[FaultRule] = []

    def add(
        self,
        kind: str,
        *,
        on: str | None = None,
        entity: str | None = None,
        path: str | None = None,
        nth: int = 1,
        times: int | None = 1,
        delay: float = 0.0,
        **params: Any,
    ) -> FaultRule:
        """Script a fault (see the module docstring); returns the rule (``.fired``)."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {sorted(KINDS)}")
        unknown = set(params) - KINDS[kind]
        if unknown:
            raise ValueError(f"{kind} takes no {sorted(unknown)}")
        if on is not None and on not in ENDPOINTS:
            raise ValueError(f"unknown endpoint {on!r}; one of {sorted(ENDPOINTS)}")
        if nth < 1:
            raise ValueError("nth is 1-based")
        if kind == "slow" and delay <= 0:
            raise ValueError("slow needs delay=<seconds>")
        rule = FaultRule(kind, on, entity, path, nth, times, delay, dict(params))
        with self._lock:
            self.rules.append(rule)
        return rule

    def clear(self) -> None:
        """Forget every rule."""
        with self._lock:
            self.rules.clear()

    def pick(self, endpoint: str, entities: tuple[str, ...], path: str) -> FaultRule | None:
        """Count the request against every rule; return the rule that fires, if any."""
        chosen: FaultRule | None = None
        with self._lock:
            for rule in self.rules:
                if rule.exhausted or not rule.matches(endpoint, entities, path):
                    continue
                rule.seen += 1
                if chosen is None and rule.seen >= rule.nth:
                    rule.fired += 1
                    chosen = rule
        return chosen

"""Fault injection: make a tenant's next calls fail, slow down, or break, on purpose.

A rule names which calls it matches (API, operationId, method, path pattern), what it does
(an HTTP status in that API's own error shape, added latency, a dropped connection, an empty
response) and how often (a probability, and optionally only the next N matching calls).
Rules belong to one tenant and only ever touch that tenant's requests.

`Prefer: code=503` / `Prefer: latency=300` (Prism's header) does the same for a single call.
"""

from __future__ import annotations

import fnmatch
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

MAX_LATENCY_MS = 30_000


@dataclass
class FaultRule:
    id: str
    api: str | None = None
    operation_id: str | None = None
    method: str | None = None
    path: str | None = None  # glob on the path below the API's base path, e.g. "/invoices/*"
    status: int | None = None
    latency_ms: int | None = None
    drop: bool = False
    empty: bool = False
    probability: float = 1.0
    times: int | None = None  # remaining matching calls; None: until deleted
    hits: int = 0
    created: str = field(default_factory=lambda: datetime.now(UTC).isoformat())

    def __post_init__(self) -> None:
        # JSON bodies are parsed as Decimal (money is exact); a probability is compared with
        # random() and stored as JSON by every store, so it is a float here.
        self.probability = float(self.probability)

    def matches(self, api: str, operation_id: str | None, method: str, path: str) -> bool:
        if self.api is not None and self.api != api:
            return False
        if self.operation_id is not None and self.operation_id != operation_id:
            return False
        if self.method is not None and self.method.upper() != method.upper():
            return False
        return self.path is None or fnmatch.fnmatchcase(path, self.path)

    def fires(self, rng: Any, api: str, operation_id: str | None, method: str, path: str) -> bool:
        """Whether this rule fires on the request; if so it counts the hit and its remaining
        `times` (both stores apply rules through this)."""
        if not self.matches(api, operation_id, method, path):
            return False
        if self.probability < 1 and rng.random() >= self.probability:
            return False
        self.hits += 1
        if self.times is not None:
            self.times -= 1
        return True

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "api": self.api,
            "operation_id": self.operation_id,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "drop": self.drop,
            "empty": self.empty,
            "probability": self.probability,
            "times": self.times,
            "hits": self.hits,
            "created": self.created,
        }


@dataclass(frozen=True)
class Fault:
    """What to do to one request."""

    status: int | None = None
    latency_ms: int = 0
    drop: bool = False
    empty: bool = False
    rule_id: str | None = None

    @property
    def description(self) -> str:
        parts = []
        if self.latency_ms:
            parts.append(f"latency {self.latency_ms} ms")
        if self.status:
            parts.append(f"status {self.status}")
        if self.drop:
            parts.append("dropped connection")
        if self.empty:
            parts.append("empty response")
        origin = f"rule {self.rule_id}" if self.rule_id else "Prefer header"
        return f"fault injected by the sandbox ({origin}): {', '.join(parts)}"


class Faults:
    """Every tenant's rules."""

    def __init__(self, rng: random.Random | None = None) -> None:
        self._rules: dict[str, list[FaultRule]] = {}
        self._lock = threading.Lock()
        self._rng = rng or random.Random()

    def add(self, tenant_id: str, **fields: Any) -> FaultRule:
        rule = FaultRule(id="flt_" + secrets.token_hex(8), **fields)
        with self._lock:
            self._rules.setdefault(tenant_id, []).append(rule)
        return rule

    def list(self, tenant_id: str) -> list[FaultRule]:
        with self._lock:
            return list(self._rules.get(tenant_id, []))

    def remove(self, tenant_id: str, rule_id: str) -> bool:
        with self._lock:
            rules = self._rules.get(tenant_id, [])
            kept = [r for r in rules if r.id != rule_id]
            self._rules[tenant_id] = kept
            return len(kept) != len(rules)

    def clear(self, tenant_id: str) -> None:
        with self._lock:
            self._rules.pop(tenant_id, None)

    def has_rules(self, tenant_id: str) -> bool:
        """Whether the tenant has any rule; without the lock (a dict lookup is atomic), so a
        request of a tenant without rules, nearly all of them, costs no lock and no matching."""
        return bool(self._rules.get(tenant_id))

    def pick(self, tenant_id: str, api: str, operation_id: str | None, method: str, path: str) -> Fault | None:
        """The first matching rule that fires for this request, counted against its `times`."""
        with self._lock:
            rules = self._rules.get(tenant_id)
            if not rules:
                return None
            for rule in rules:
                if not rule.fires(self._rng, api, operation_id, method, path):
                    continue
                if rule.times is not None and rule.times <= 0:
                    rules.remove(rule)
                return Fault(rule.status, rule.latency_ms or 0, rule.drop, rule.empty, rule.id)
        return None


class InvalidPrefer(ValueError):
    pass


def parse_prefer(value: str) -> Fault | None:
    """`Prefer: code=503, latency=300` (Prism's preferences; others are ignored)."""
    status: int | None = None
    latency = 0
    for part in value.replace(";", ",").split(","):
        name, _, raw = part.strip().partition("=")
        name = name.strip().lower()
        raw = raw.strip().strip('"')
        if name == "code":
            if not raw.isdigit() or not 400 <= int(raw) <= 599:
                raise InvalidPrefer(f"Prefer code must be an error status 400-599, not {raw!r}")
            status = int(raw)
        elif name == "latency":
            if not raw.isdigit() or int(raw) > MAX_LATENCY_MS:
                raise InvalidPrefer(f"Prefer latency must be 0-{MAX_LATENCY_MS} milliseconds, not {raw!r}")
            latency = int(raw)
    if status is None and not latency:
        return None
    return Fault(status=status, latency_ms=latency)

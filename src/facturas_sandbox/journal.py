"""The request journal: what each tenant's credentials sent to the vendor APIs, and what came back.

One ring buffer per tenant (JOURNAL_SIZE entries, oldest dropped first). A request is
journaled under the tenant its credentials belong to, so a request whose credentials match no
tenant (a 401) is in no tenant's journal: it cannot be attributed without leaking it.

Secrets never leave the journal: credential headers and secret-looking fields of query strings
and bodies are masked before an entry is shown (the first time it is read: masking parses every
body, and most entries are never read). Bodies are shown up to BODY_PREVIEW bytes.
Whether an exchange conforms to the contract is computed with openapi-core the first time the
entry is read (most entries are never read, and validation is the expensive part).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from .exchange import RecordedRequest, RecordedResponse

JOURNAL_SIZE = 500
BODY_PREVIEW = 4096  # bytes of each body shown in the journal
BODY_KEEP = 256 * 1024  # bodies up to this size are kept until validated
MASK = "***"
SECRET_HEADERS = frozenset({"authorization", "x-auth-token", "token", "cookie", "set-cookie", "proxy-authorization"})
_SECRET_KEY = re.compile(
    r"(?i)^(api[_-]?key|apikey|token|admin[_-]?token|password|passwd|secret|read_write|read_only|restricted_token)$"
)
_XML_SECRET = re.compile(r"(?i)<(api[_-]key|apikey|token|password)([^>]*)>[^<]*</\1>")

Validate = Callable[[RecordedRequest, RecordedResponse], list[str]]


_SURROGATE = re.compile("[\ud800-\udfff]")


def mask_headers(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(k, MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers]


def _mask_json(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: (MASK if _SECRET_KEY.match(str(k)) and v is not None else _mask_json(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_json(v) for v in value]
    return value


def mask_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    return urlencode([(k, MASK if _SECRET_KEY.match(k) else v) for k, v in pairs])


def mask_body(body: bytes, content_type: str) -> str:
    """A printable preview of a body with its secrets masked."""
    if not body:
        return ""
    kind = content_type.split(";")[0].strip().lower()
    if kind == "application/pdf" or kind.startswith(("image/", "application/octet-stream")):
        return f"<{len(body)} bytes of {kind}>"
    text = body.decode("utf-8", errors="replace")
    if kind.endswith("json"):
        # Not JSON after all, or nested too deep to walk (a body refused when it came must not
        # make the journal unreadable): shown as text.
        with contextlib.suppress(ValueError, RecursionError):
            masked = _mask_json(json.loads(text))
            text = json.dumps(masked, ensure_ascii=False)
            if _SURROGATE.search(text):  # a refused body's `\ud800` escapes: shown as sent
                text = json.dumps(masked)
    elif kind == "application/x-www-form-urlencoded":
        text = mask_query(text)
    elif kind.endswith("xml"):
        text = _XML_SECRET.sub(lambda m: f"<{m.group(1)}{m.group(2)}>{MASK}</{m.group(1)}>", text)
    elif kind.startswith("multipart/"):
        return f"<{len(body)} bytes of {kind}>"
    if len(text) > BODY_PREVIEW:
        text = text[:BODY_PREVIEW] + f"… ({len(body)} bytes in all)"
    return text


@dataclass
class RawBodies:
    """What an entry shows of the exchange, kept as received until someone reads the entry:
    masking means parsing and re-encoding each body, and most entries are never read."""

    request_headers: list[tuple[str, str]]
    request_body: bytes
    request_type: str
    response_headers: list[tuple[str, str]]
    response_body: bytes
    response_type: str


@dataclass
class JournalEntry:
    id: int
    time: datetime
    api: str
    method: str
    path: str
    query: str
    operation_id: str | None
    status: int
    duration_ms: float
    raw: RawBodies | None = field(default=None, repr=False)
    warnings: list[str] = field(default_factory=list)
    _exchange: tuple[RecordedRequest, RecordedResponse] | None = field(default=None, repr=False)
    _validate: Validate | None = field(default=None, repr=False)
    _violations: list[str] | None = field(default=None, repr=False)
    _masked: tuple[list[tuple[str, str]], str, list[tuple[str, str]], str] | None = field(default=None, repr=False)

    def _shown(self) -> tuple[list[tuple[str, str]], str, list[tuple[str, str]], str]:
        """Headers and bodies with their secrets masked, computed once (then the raw copy goes)."""
        if self._masked is None:
            raw = self.raw
            if raw is None:
                self._masked = ([], "", [], "")
            else:
                self._masked = (
                    mask_headers(raw.request_headers),
                    mask_body(raw.request_body, raw.request_type),
                    mask_headers(raw.response_headers),
                    mask_body(raw.response_body, raw.response_type),
                )
            self.raw = None
        return self._masked

    @property
    def request_headers(self) -> list[tuple[str, str]]:
        return self._shown()[0]

    @property
    def request_body(self) -> str:
        return self._shown()[1]

    @property
    def response_headers(self) -> list[tuple[str, str]]:
        return self._shown()[2]

    @property
    def response_body(self) -> str:
        return self._shown()[3]

    @property
    def violations(self) -> list[str]:
        if self._violations is None:
            if self._exchange is None or self._validate is None:
                self._violations = ["not validated: a body was larger than the journal keeps"]
            else:
                try:
                    self._violations = self._validate(*self._exchange)
                except Exception as exc:  # a validator crash must not hide the entry
                    self._violations = [f"not validated: {type(exc).__name__}: {exc}"]
            self._exchange = None  # validated once; the raw bodies are no longer needed
        return self._violations

    @property
    def conforms(self) -> bool:
        return not self.violations

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "time": self.time.isoformat(),
            "api": self.api,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "operation_id": self.operation_id,
            "status": self.status,
            "duration_ms": round(self.duration_ms, 3),
            "request": {"headers": dict(self.request_headers), "body": self.request_body},
            "response": {"headers": dict(self.response_headers), "body": self.response_body},
            "conforms": self.conforms,
            "violations": self.violations,
            "warnings": self.warnings,
        }


class Journal:
    """One tenant's ring buffer; safe to use from several threads."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, entry: JournalEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def entries(
        self,
        *,
        api: str | None = None,
        status: int | None = None,
        conforms: bool | None = None,
        limit: int = 100,
    ) -> list[JournalEntry]:
        """Newest first."""
        with self._lock:
            snapshot = list(reversed(self._entries))
        return first_matching(snapshot, limit, api=api, status=status, conforms=conforms)


def first_matching(
    entries: Iterable[JournalEntry],
    limit: int,
    *,
    api: str | None = None,
    status: int | None = None,
    conforms: bool | None = None,
) -> list[JournalEntry]:
    """Up to `limit` of the entries that pass every filter given (None: any), in their order.
    `conforms` is tested last and only as far as needed: it validates the exchange."""
    out = []
    for entry in entries:
        if api is not None and entry.api != api:
            continue
        if status is not None and entry.status != status:
            continue
        if conforms is not None and entry.conforms != conforms:
            continue
        out.append(entry)
        if len(out) >= limit:
            break
    return out


class Journals:
    """Every tenant's journal, created on first use."""

    def __init__(self, size: int = JOURNAL_SIZE) -> None:
        self._size = size
        self._journals: dict[str, Journal] = {}
        # Deleted tenants (ids are never reused): a request still in flight when its tenant
        # was deleted must not bring a journal back.
        self._dropped: set[str] = set()
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def of(self, tenant_id: str) -> Journal:
        """The tenant's journal (an empty one that keeps nothing, for a deleted tenant)."""
        with self._lock:
            if tenant_id in self._dropped:
                return Journal(0)
            journal = self._journals.get(tenant_id)
            if journal is None:
                journal = self._journals[tenant_id] = Journal(self._size)
            return journal

    def drop(self, tenant_id: str) -> None:
        with self._lock:
            self._journals.pop(tenant_id, None)
            self._dropped.add(tenant_id)

    def next_id(self) -> int:
        return next(self._ids)

    def close(self) -> None:
        """Nothing to write out: the entries live in this process's memory."""

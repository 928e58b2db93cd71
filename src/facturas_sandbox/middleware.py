"""The sandbox's middleware: what happens to every request of every API alike.

`SandboxMiddleware` sits outside Connexion's exception middleware, so it sees every response,
the errors the vendors render included. It

* tells the inner layers which sandbox and which mounted API the request belongs to;
* refuses bodies over the size limit before anything reads them (413 in the API's shape);
* answers CORS preflights and adds CORS headers, for browser front ends;
* applies a `Prefer: code=…, latency=…` header (Prism-style, one call);
* sends the request's fidelity warnings as `X-Sandbox-Warning` headers;
* records the exchange in the tenant's request journal.

`FaultMiddleware` sits after Connexion's security layer, where the tenant is known, and
applies that tenant's fault rules.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .error_answers import render_error
from .errors import ApiError
from .exchange import RecordedRequest, RecordedResponse
from .faults import Fault, InvalidPrefer, parse_prefer
from .journal import BODY_KEEP, JournalEntry, RawBodies, mask_query
from .sandbox import Mount, Sandbox

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"The request body exceeds {limit} bytes", origin="limit")


class BodyTimeout(ApiError):
    def __init__(self, seconds: float) -> None:
        message = f"The request body did not arrive within {seconds:g} s"
        super().__init__(408, "request_timeout", message, origin="limit")


class DroppedConnection(Exception):
    """Raised after part of a response was sent: the server closes the connection mid-answer."""


class _KeptBody:
    """A body as the chunks that passed, kept while it stays within BODY_KEEP bytes (most
    bodies are one chunk, which `b"".join` returns without a copy)."""

    __slots__ = ("chunks", "complete", "size")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        self.size = 0
        self.complete = True

    def add(self, chunk: bytes) -> None:
        if self.size + len(chunk) <= BODY_KEEP:
            self.chunks.append(chunk)
            self.size += len(chunk)
        else:
            self.complete = False


class _Exchange:
    """What the journal needs of one request, gathered while it passes through."""

    def __init__(self, scope: Scope) -> None:
        self.started = time.perf_counter()
        self.request = _KeptBody()
        self.status = 0
        self.response_headers: list[tuple[str, str]] = []
        self.response = _KeptBody()
        self.scope = scope


def _tenant_of(scope: Scope) -> str | None:
    info = scope["extensions"]["connexion_context"].get("token_info") or {}
    return info.get("tenant")


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["sandbox"] = self.sandbox
        # Inner layers see shallow copies of the scope: containers created here are shared by
        # every copy, so what Connexion and the handlers put in them is visible out here.
        scope["sandbox.warnings"] = []
        extensions = scope.setdefault("extensions", {})
        extensions.setdefault("connexion_context", {})
        extensions.setdefault("connexion_routing", {})
        mount = self.sandbox.mount_for(scope["path"])
        scope["sandbox.mount"] = mount
        # Every header this layer and FaultMiddleware need, in one pass over the raw list
        # (Headers.get scans it on each call).
        wanted = _wanted_headers(scope["headers"])
        scope["sandbox.prefer"] = wanted.get(b"prefer")

        every_options = mount is not None and mount.api.preflight_every_options
        if scope["method"] == "OPTIONS" and (every_options or b"access-control-request-method" in wanted):
            await _send_preflight(mount, Headers(scope=scope), send)
            return

        content_type = wanted.get(b"content-type", "")
        if content_type.startswith("multipart/form-data") and "boundary=" not in content_type:
            # Starlette's parser fails on it with a KeyError (a 500) when the body is read.
            error = ApiError(400, "invalid_header", "multipart/form-data needs a boundary", origin="body")
            await _send_error(mount, error, send, scope.get("path"))
            return

        limit = _body_limit(self.sandbox, content_type)
        length = wanted.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            error = (
                BodyTooLarge(limit)
                if length.isdigit()
                else ApiError(400, "invalid_header", "Content-Length is not a number", origin="body")
            )
            await _send_error(mount, error, send, scope.get("path"))
            return

        vendor = mount is not None and mount.name in self.sandbox.vendors
        exchange = _Exchange(scope) if vendor else None
        receive = _limited(receive, limit, self.sandbox.settings.body_timeout, exchange)
        try:
            with self.sandbox.tenants.request():
                await self.app(scope, receive, _decorate(scope, mount, send, exchange))
        finally:
            if exchange is not None and mount is not None:
                self._journal(mount, exchange)

    def _journal(self, mount: Mount, exchange: _Exchange) -> None:
        scope = exchange.scope
        tenant_id = _tenant_of(scope)
        if tenant_id is None or exchange.status == 0:
            return
        raw_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        query = scope.get("query_string", b"").decode("latin-1")
        request_type = next((v for k, v in raw_headers if k == "content-type"), "")
        response_type = next((v for k, v in exchange.response_headers if k.lower() == "content-type"), "")
        request_body, response_body = b"".join(exchange.request.chunks), b"".join(exchange.response.chunks)
        recorded = None
        if exchange.request.complete and exchange.response.complete:
            recorded = (
                RecordedRequest(scope["method"], scope["path"], query, tuple(raw_headers), request_body),
                RecordedResponse(exchange.status, tuple(exchange.response_headers), response_body),
            )
        journals = self.sandbox.journals
        journals.of(tenant_id).add(
            JournalEntry(
                id=journals.next_id(),
                time=datetime.now(UTC),
                api=mount.name,
                method=scope["method"],
                path=scope["path"],
                query=mask_query(query),
                operation_id=scope["extensions"]["connexion_routing"].get("operation_id"),
                status=exchange.status,
                duration_ms=(time.perf_counter() - exchange.started) * 1000,
                raw=RawBodies(
                    raw_headers, request_body, request_type, exchange.response_headers, response_body, response_type
                ),
                warnings=list(scope["sandbox.warnings"]),
                _exchange=recorded,
                _validate=functools.partial(self.sandbox.violations, mount),
            )
        )


class FaultMiddleware:
    """Faults for one request: its `Prefer` header, then its tenant's fault rules.

    It runs after Connexion's security layer, like a real API would: credentials are checked
    first, and the tenant (whose rules apply) is known.
    """

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        mount: Mount | None = scope.get("sandbox.mount") if scope["type"] == "http" else None
        if mount is not None and mount.name in self.sandbox.vendors:
            fault = self._fault_for(scope, mount)
            if fault is not None:
                scope["sandbox.warnings"].append(fault.description)
                if await apply_fault(fault, send):
                    return
        await self.app(scope, receive, send)

    def _fault_for(self, scope: Scope, mount: Mount) -> Fault | None:
        # SandboxMiddleware read the header already.
        prefer = scope["sandbox.prefer"] if "sandbox.prefer" in scope else Headers(scope=scope).get("prefer")
        if prefer:
            try:
                fault = parse_prefer(prefer)
            except InvalidPrefer as exc:
                raise ApiError(400, "invalid_prefer", str(exc), origin="validation") from None
            if fault is not None:
                return fault
        tenant_id = _tenant_of(scope)
        if tenant_id is None or not self.sandbox.faults.has_rules(tenant_id):
            return None
        relative = scope["path"][len(mount.prefix) :] or "/"
        operation_id = scope["extensions"]["connexion_routing"].get("operation_id")
        return self.sandbox.faults.pick(tenant_id, mount.name, operation_id, scope["method"], relative)


async def apply_fault(fault: Fault, send: Send) -> bool:
    """Do what the fault says; True when it answered the request itself."""
    if fault.latency_ms:
        await asyncio.sleep(fault.latency_ms / 1000)
    if fault.drop:
        # Headers and part of a body, then the connection closes: what clients see when a
        # server dies mid-answer.
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1024")]})
        await send({"type": "http.response.body", "body": b"{", "more_body": True})
        raise DroppedConnection("connection dropped by a sandbox fault rule")
    if fault.empty:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
        await send({"type": "http.response.body", "body": b""})
        return True
    if fault.status:
        # Raised inside Connexion's exception layer, so the API renders it in its own shape.
        raise ApiError(fault.status, "injected_fault", fault.description, origin="fault")
    return False


# The headers SandboxMiddleware and FaultMiddleware read. Starlette's Headers.get returns the
# first of repeated headers; so does this.
_WANTED = frozenset({b"content-type", b"content-length", b"prefer", b"access-control-request-method"})


def _wanted_headers(raw: list[tuple[bytes, bytes]]) -> dict[bytes, str]:
    found: dict[bytes, str] = {}
    for key, value in raw:
        if key in _WANTED and key not in found:
            found[key] = value.decode("latin-1")
    return found


def _body_limit(sandbox: Sandbox, content_type: str) -> int:
    if content_type.startswith("multipart/form-data"):
        return sandbox.settings.max_upload_bytes
    return sandbox.settings.max_body_bytes


def _limited(receive: Receive, limit: int, timeout: float, exchange: _Exchange | None) -> Receive:
    # Bodies without Content-Length (chunked) are counted as they arrive, and a body that
    # stalls gets 408 instead of holding the connection. Once the body is complete, receive()
    # only waits for the client to disconnect, which has no deadline.
    seen = 0
    complete = False

    async def wrapped() -> Message:
        nonlocal seen, complete
        if complete:
            return await receive()
        try:
            # asyncio.timeout, not wait_for: wait_for runs receive() in a task of its own,
            # created and scheduled for every chunk of every body.
            async with asyncio.timeout(timeout):
                message = await receive()
        except TimeoutError:
            raise BodyTimeout(timeout) from None
        if message["type"] == "http.request":
            complete = not message.get("more_body", False)
            chunk = message.get("body", b"")
            seen += len(chunk)
            if seen > limit:
                raise BodyTooLarge(limit)
            if exchange is not None:
                exchange.request.add(chunk)
        return message

    return wrapped


def _decorate(
    scope: Scope, mount: Mount | None, send: Send, exchange: _Exchange | None
) -> Callable[[Message], Awaitable[None]]:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for warning in scope.get("sandbox.warnings", []):
                headers.append("X-Sandbox-Warning", _header_safe(warning))
            if mount is not None and mount.api.cors and "access-control-allow-origin" not in headers:
                headers["Access-Control-Allow-Origin"] = "*"
                expose = mount.api.cors_expose_headers
                if expose:
                    headers["Access-Control-Expose-Headers"] = expose
            if exchange is not None:
                exchange.status = message["status"]
                exchange.response_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message["headers"]]
        elif message["type"] == "http.response.body" and exchange is not None:
            exchange.response.add(message.get("body", b""))
        await send(message)

    return wrapped


def _header_safe(text: str) -> str:
    # Header values are latin-1 without control characters; warnings are for people, so
    # anything else is replaced rather than dropped.
    cleaned = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return cleaned[:500]


async def _send_preflight(mount: Mount | None, headers: Headers, send: Send) -> None:
    answer = mount.api.preflight(headers) if mount else None
    response_headers = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "*"),
        "Access-Control-Max-Age": "600",
    }
    status = 204
    if answer is not None:
        status, response_headers = answer
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers.items()]
    raw.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b""})


async def _send_error(mount: Mount | None, error: ApiError, send: Send, path: str | None = None) -> None:
    response = render_error(mount, error, path)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})

"""The sandbox's outer middleware: it sees every request and every response, errors included.

It sits outside Connexion's exception middleware (so it also sees the error responses the
vendors render) and does what must happen for every API alike:

* tells the inner layers which sandbox and which mounted API the request belongs to;
* refuses bodies over the size limit before anything reads them (413 in the API's shape);
* answers CORS preflights and adds CORS headers, for browser front ends;
* sends the request's fidelity warnings as `X-Sandbox-Warning` headers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ApiError
from .sandbox import Mount, Sandbox

CORS_METHODS = "GET, POST, PUT, PATCH, DELETE, OPTIONS"


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "payload_too_large", f"The request body exceeds {limit} bytes", origin="limit")


class SandboxMiddleware:
    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                scope["sandbox"] = self.sandbox
            await self.app(scope, receive, send)
            return
        scope["sandbox"] = self.sandbox
        # Inner layers may copy the scope; a list created here is shared by every copy.
        scope["sandbox.warnings"] = []
        mount = self.sandbox.mount_for(scope["path"])
        scope["sandbox.mount"] = mount
        headers = Headers(scope=scope)

        every_options = mount is not None and getattr(mount.api, "preflight_every_options", False)
        if scope["method"] == "OPTIONS" and (every_options or headers.get("access-control-request-method")):
            await _send_preflight(mount, headers, send)
            return

        content_type = headers.get("content-type", "")
        if content_type.startswith("multipart/form-data") and "boundary=" not in content_type:
            # Starlette's parser fails on it with a KeyError (a 500) when the body is read.
            error = ApiError(400, "invalid_header", "multipart/form-data needs a boundary", origin="body")
            await _send_error(mount, error, send)
            return

        limit = _body_limit(self.sandbox, mount, headers)
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            error = (
                BodyTooLarge(limit)
                if length.isdigit()
                else ApiError(400, "invalid_header", "Content-Length is not a number", origin="body")
            )
            await _send_error(mount, error, send)
            return

        await self.app(scope, _limited(receive, limit), _decorate(scope, mount, send))


def _body_limit(sandbox: Sandbox, mount: Mount | None, headers: Headers) -> int:
    if headers.get("content-type", "").startswith("multipart/form-data"):
        return sandbox.settings.max_upload_bytes
    return sandbox.settings.max_body_bytes


def _limited(receive: Receive, limit: int) -> Receive:
    # Bodies without Content-Length (chunked) are counted as they arrive.
    seen = 0

    async def wrapped() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise BodyTooLarge(limit)
        return message

    return wrapped


def _decorate(scope: Scope, mount: Mount | None, send: Send) -> Callable[[Message], Awaitable[None]]:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            for warning in scope.get("sandbox.warnings", []):
                headers.append("X-Sandbox-Warning", _header_safe(warning))
            if mount is not None and getattr(mount.api, "cors", True) and "access-control-allow-origin" not in headers:
                headers["Access-Control-Allow-Origin"] = "*"
                expose = getattr(mount.api, "cors_expose_headers", "X-Sandbox-Warning")
                if expose:
                    headers["Access-Control-Expose-Headers"] = expose
        await send(message)

    return wrapped


def _header_safe(text: str) -> str:
    # Header values are latin-1 without control characters; warnings are for people, so
    # anything else is replaced rather than dropped.
    cleaned = "".join(ch if 32 <= ord(ch) < 127 else "?" for ch in text)
    return cleaned[:500]


async def _send_preflight(mount: Mount | None, headers: Headers, send: Send) -> None:
    answer: Any = getattr(mount.api, "preflight", None) if mount else None
    response_headers = {
        "Access-Control-Allow-Origin": "*",
        "Access-Control-Allow-Methods": CORS_METHODS,
        "Access-Control-Allow-Headers": headers.get("access-control-request-headers", "*"),
        "Access-Control-Max-Age": "600",
    }
    status = 204
    if callable(answer):
        status, response_headers = answer(headers)
    raw = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in response_headers.items()]
    raw.append((b"content-length", b"0"))
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": b""})


async def _send_error(mount: Mount | None, error: ApiError, send: Send) -> None:
    from .app import render_error

    response = render_error(mount, error)
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})

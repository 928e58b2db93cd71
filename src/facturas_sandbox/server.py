"""How `serve` runs uvicorn: the protocol with a deadline for request headers.

uvicorn closes idle keep-alive connections, but a client that sends part of its request
headers and then stalls holds the connection (and a file descriptor) forever: the classic
slow-client attack on a shared server. `GuardedHttpToolsProtocol` gives every request
HEADER_TIMEOUT seconds from the first byte of a connection (or of the next request on it) to
finish its headers, then closes the connection. Bodies have their own deadline, enforced by
the sandbox middleware (408 in the API's shape).

It also writes each response to the socket once: uvicorn writes the status line and headers,
then the body, each with its own `send()` system call; under load those two calls were a third
of the server's samples (py-spy, bench/RESULTS.md). `CoalescingTransport` gathers what one
event-loop turn writes and sends it together at the end of the turn.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0  # seconds to send a request's headers
# Read by each connection, so `serve --request-timeout` reaches the reloader's child process too.
TIMEOUT_ENV = "FACTURAS_SANDBOX_HEADER_TIMEOUT"


class CoalescingTransport:
    """A transport whose writes in one event-loop turn reach the socket as one write.

    Everything else is the wrapped transport's. Pending bytes go out before a close, in the
    order written; an abort drops them, as it drops the transport's own buffer.
    """

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def _flush(self) -> None:
        if not self._pending:
            return
        data = self._pending[0] if len(self._pending) == 1 else b"".join(self._pending)
        self._pending = []
        if not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(chunk) for chunk in self._pending)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        self.header_timeout = float(os.environ.get(TIMEOUT_ENV) or HEADER_TIMEOUT)
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._arm()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._header_deadline is None:
            self._arm()

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.header_timeout, self._expire)

    def _disarm(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _expire(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """Options every way of running the sandbox passes to uvicorn."""
    # uvicorn would rewrite the client address from X-Forwarded-For of any loopback peer; the
    # sandbox decides whom to trust itself (--trusted-proxy, client_address.py).
    return {"http": "facturas_sandbox.server:GuardedHttpToolsProtocol", "timeout_keep_alive": 5, "proxy_headers": False}

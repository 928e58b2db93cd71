"""How `serve` runs uvicorn: the protocol with a deadline for request headers.

uvicorn closes idle keep-alive connections, but a client that sends part of its request
headers and then stalls holds the connection (and a file descriptor) forever: the classic
slow-client attack on a shared server. `GuardedHttpToolsProtocol` gives every request
HEADER_TIMEOUT seconds from the first byte of a connection (or of the next request on it) to
finish its headers, then closes the connection. Bodies have their own deadline, enforced by
the sandbox middleware (408 in the API's shape).
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HEADER_TIMEOUT = 10.0  # seconds to send a request's headers
# Read by each connection, so `serve --request-timeout` reaches the reloader's child process too.
TIMEOUT_ENV = "FACTURAS_SANDBOX_HEADER_TIMEOUT"


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_deadline: asyncio.TimerHandle | None = None
        self.header_timeout = float(os.environ.get(TIMEOUT_ENV) or HEADER_TIMEOUT)
        super().connection_made(transport)
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

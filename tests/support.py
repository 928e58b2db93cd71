"""Helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from facturas_sandbox.server import uvicorn_options

OPERATOR = "tests-operator-token"
PROXY = ("127.0.0.1", 50000)  # the test client's socket address
PROXY_CIDR = "127.0.0.1/32"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# Facturala's documented customer and line (the vendor's own example), shared by the API tests
# and the load test. Copy before changing: several tests post them.
FACTURALA_CUSTOMER: dict[str, Any] = {
    "idType": "CC",
    "country": "Colombia",
    "name": "Carlos Rodriguez",
    "idNumber": "304204672683",
    "address": "Cl 34 # 45 - 10",
    "city": "Medellín",
    "state": "Antioquia",
    "email": "crodriguez@gmail.com",
}
FACTURALA_ITEMS: list[dict[str, Any]] = [
    {"name": "Computador", "description": "Asus K45V", "unitValue": 1600000, "quantity": 1}
]


@contextmanager
def serving(app: Any, *, startup_timeout: float = 30.0) -> Iterator[str]:
    """Serve an ASGI app on a free loopback port in a thread (real sockets, real concurrency);
    yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **uvicorn_options()))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the sandbox did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()

"""A slow client cannot hold a connection: stalled headers are closed, stalled bodies get 408."""

from __future__ import annotations

import math
import socket
import time

import pytest
from server_process import SandboxProcess

pytestmark = pytest.mark.slow
KEY = b"Authorization: Bearer fv_live_demo_rw_0000000000000000000000\r\n"


def _read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    sock.settimeout(limit)
    started = time.monotonic()
    received = b""
    while True:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            return received, float("inf")
        except ConnectionResetError:
            return received, time.monotonic() - started
        if not chunk:
            return received, time.monotonic() - started
        received += chunk


def test_stalled_headers_and_bodies_are_cut_off_within_the_deadline() -> None:
    with SandboxProcess(None, "--api", "facturovia", "--request-timeout", "2") as server:
        host, port = "127.0.0.1", server.port

        silent = socket.create_connection((host, port))
        half_headers = socket.create_connection((host, port))
        half_headers.sendall(b"GET /api/invoices HTTP/1.1\r\nHost: x\r\n")
        half_body = socket.create_connection((host, port))
        half_body.sendall(
            b"POST /api/invoices HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + KEY
            + b"Content-Length: 100\r\n\r\n{"
        )

        # The server closes them (a finite time); 30 s is a safety net, not the deadline's measure.
        data, elapsed = _read_until_closed(silent, 30)
        assert data == b"" and math.isfinite(elapsed)
        data, elapsed = _read_until_closed(half_headers, 30)
        assert data == b"" and math.isfinite(elapsed)
        data, elapsed = _read_until_closed(half_body, 30)
        assert data.startswith(b"HTTP/1.1 408"), data[:80]
        assert b'"code":"request_timeout"' in data

        # Meanwhile the server kept answering everybody else.
        ok = socket.create_connection((host, port))
        ok.sendall(b"GET /_sandbox/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data, _ = _read_until_closed(ok, 10)
        assert data.startswith(b"HTTP/1.1 200")

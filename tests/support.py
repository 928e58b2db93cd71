"""Helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

OPERATOR = "tests-operator-token"
PROXY = ("127.0.0.1", 50000)  # the test client's socket address
PROXY_CIDR = "127.0.0.1/32"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

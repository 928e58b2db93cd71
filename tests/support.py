"""Helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

OPERATOR = "tests-operator-token"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}

"""Helpers the tests share (conftest.py holds the fixtures)."""

from __future__ import annotations

from typing import Any

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

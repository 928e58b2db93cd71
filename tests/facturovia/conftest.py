from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

FROZEN = "2026-06-15T09:30:00Z"


@pytest.fixture
def fv(client: TestClient, new_tenant: dict[str, Any]) -> dict[str, Any]:
    """A tenant whose clock is frozen at FROZEN and whose fixtures were seeded under it."""
    admin = bearer(new_tenant["admin_token"])
    tid = new_tenant["id"]
    assert client.put(f"/_sandbox/tenants/{tid}/clock", json={"now": FROZEN}, headers=admin).status_code == 200
    assert client.post(f"/_sandbox/tenants/{tid}/reset", headers=admin).status_code == 200
    creds = new_tenant["credentials"]["facturovia"]
    return {
        "tenant": new_tenant,
        "rw": bearer(creds["read_write"]),
        "ro": bearer(creds["read_only"]),
        "admin": admin,
        "base": "/facturovia/api",
    }

"""The incident ban in a multi-tenant sandbox (issue 13, finding 2).

Incidents count per (client IP, scope): the tenant whose key was presented, or "unattributed"
for a key that matches no tenant. One client's bad keys never lock another tenant out, an
integrator still sees 401 ×5 then 429 with bad keys, and forwarded-address headers count
only from a proxy the operator trusts.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

from .conftest import BASE, FakeClock

BAN = "Por motivos de seguridad se ha bloqueado durante 10 minutos el acceso desde su IP."
ADMIN: dict[str, str] = {}  # tenant id -> admin token


@pytest.fixture(scope="module")
def ban_app() -> Any:
    # 127.0.0.1 plays the operator's proxy; every other peer is a client speaking directly.
    return create_app(Settings(data_dir=None, validate_responses=True, trusted_proxies=("127.0.0.1/32",)))


@pytest.fixture
def clock(ban_app: Any, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(ban_app.sandbox.incidents, "clock", fake)
    return fake


@pytest.fixture
def tenants(ban_app: Any, clock: FakeClock) -> Iterator[tuple[Any, Any]]:
    registry = ban_app.sandbox.tenants
    a, admin_a = registry.create(name="a")
    b, admin_b = registry.create(name="b")
    ADMIN[a.id], ADMIN[b.id] = admin_a, admin_b
    yield a, b
    for tenant in (a, b):
        registry.delete(tenant.id)
    ban_app.sandbox.incidents.clear()


def peer(app: Any, ip: str) -> TestClient:
    """A client whose socket address is `ip`."""
    return TestClient(app, raise_server_exceptions=False, client=(ip, 50000))


def key(tenant: Any, which: str = "token") -> dict[str, str]:
    return {"X-Auth-Token": tenant.credentials["facturascripts"][which]}


def test_bad_keys_ban_their_own_scope_and_lock_no_tenant_out(ban_app: Any, tenants: tuple[Any, Any]) -> None:
    a, b = tenants
    with peer(ban_app, "203.0.113.10") as ci:
        for _ in range(5):
            assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
        # The integrator sees the real ban with bad keys...
        r = ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "still-nope"})
        assert (r.status_code, r.json()) == (429, {"status": "error", "message": BAN})
        r = ci.get(f"{BASE}/clientes")  # no key at all: unattributed too
        assert r.status_code == 429
        # ...and no tenant's valid key from the same machine is locked out by them.
        assert ci.get(f"{BASE}/clientes", headers=key(a)).status_code == 200
        assert ci.get(f"{BASE}/clientes", headers=key(b)).status_code == 200


def test_a_tenants_own_refused_keys_ban_that_tenant_only(ban_app: Any, tenants: tuple[Any, Any]) -> None:
    a, b = tenants
    with peer(ban_app, "203.0.113.11") as ci:
        for _ in range(5):  # A's restricted key on a resource its apiaccess rows do not allow
            assert ci.get(f"{BASE}/proveedores", headers=key(a, "restricted_token")).status_code == 403
        assert ci.get(f"{BASE}/clientes", headers=key(a)).status_code == 429
        assert ci.get(f"{BASE}/clientes", headers=key(a, "restricted_token")).status_code == 429
        assert ci.get(f"{BASE}/clientes", headers=key(b)).status_code == 200
        assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
    with peer(ban_app, "203.0.113.12") as elsewhere:
        assert elsewhere.get(f"{BASE}/clientes", headers=key(a)).status_code == 200


@pytest.mark.usefixtures("tenants")
def test_forwarded_headers_from_a_client_choose_nothing(ban_app: Any) -> None:
    with peer(ban_app, "198.51.100.50") as attacker, peer(ban_app, "198.51.100.51") as victim:
        # Naming another client's address charges the incidents to the sender...
        for n in range(6):
            spoof = {"X-Forwarded-For": "198.51.100.51", "CF-Connecting-IP": f"198.51.100.{n}"}
            attacker.get(f"{BASE}/clientes", headers={**spoof, "X-Auth-Token": "nope"})
        assert victim.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
        # ...and a fresh forwarded address every time does not lift the sender's ban.
        r = attacker.get(f"{BASE}/clientes", headers={"X-Forwarded-For": "192.0.2.99", "X-Auth-Token": "nope"})
        assert r.status_code == 429


def test_a_trusted_proxy_forwards_the_right_most_untrusted_address(ban_app: Any, tenants: tuple[Any, Any]) -> None:
    with peer(ban_app, "127.0.0.1") as proxy:
        # The client put "192.0.2.1" in the header itself; the proxy appended the real address.
        for n in range(5):
            forwarded = {"X-Forwarded-For": f"192.0.2.{n}, 203.0.113.20", "X-Auth-Token": "nope"}
            assert proxy.get(f"{BASE}/clientes", headers=forwarded).status_code == 401
        banned = {"X-Forwarded-For": "203.0.113.20", "X-Auth-Token": "nope"}
        assert proxy.get(f"{BASE}/clientes", headers=banned).status_code == 429
        other = {"X-Forwarded-For": "203.0.113.21", "X-Auth-Token": "nope"}
        assert proxy.get(f"{BASE}/clientes", headers=other).status_code == 401
        # Without X-Forwarded-For, the proxy's CF-Connecting-IP names the client.
        assert proxy.get(f"{BASE}/clientes", headers={"CF-Connecting-IP": "203.0.113.20"}).status_code == 429


def test_the_control_plane_lists_and_lifts_a_tenants_bans(ban_app: Any, tenants: tuple[Any, Any]) -> None:
    a, b = tenants
    token_a, token_b = ADMIN[a.id], ADMIN[b.id]
    with peer(ban_app, "203.0.113.30") as ci, peer(ban_app, "203.0.113.31") as other:
        assert ci.get(f"{BASE}/clientes", headers=key(a)).status_code == 200  # A used this address
        for _ in range(5):
            ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"})
            ci.get(f"{BASE}/proveedores", headers=key(a, "restricted_token"))
            other.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"})  # an address A never used
        listed = ci.get(f"/_sandbox/tenants/{a.id}/bans", headers=bearer(token_a))
        assert listed.status_code == 200, listed.text
        bans = {(x["client_ip"], x["scope"]): x for x in listed.json()["data"]}
        assert set(bans) == {("203.0.113.30", a.id), ("203.0.113.30", "unattributed")}
        assert bans[("203.0.113.30", a.id)]["incidents"] == 5 and bans[("203.0.113.30", a.id)]["until"]
        assert ci.get(f"/_sandbox/tenants/{b.id}/bans", headers=bearer(token_b)).json() == {"data": []}
        assert ci.get(f"/_sandbox/tenants/{b.id}/bans", headers=bearer(token_a)).status_code == 404

        assert ci.delete(f"/_sandbox/tenants/{a.id}/bans", headers=bearer(token_a)).status_code == 204
        assert ci.get(f"/_sandbox/tenants/{a.id}/bans", headers=bearer(token_a)).json() == {"data": []}
        assert ci.get(f"{BASE}/clientes", headers=key(a, "restricted_token")).status_code == 200
        assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
        # Only what A may lift was lifted: the address A never used is still banned.
        assert other.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 429

        for _ in range(5):
            ci.get(f"{BASE}/proveedores", headers=key(a, "restricted_token"))
        assert ci.get(f"{BASE}/clientes", headers=key(a)).status_code == 429
        assert ci.post(f"/_sandbox/tenants/{a.id}/reset", headers=bearer(token_a)).status_code == 200
        assert ci.get(f"{BASE}/clientes", headers=key(a)).status_code == 200


def test_a_tenant_with_incident_ban_off_is_never_banned(ban_app: Any, tenants: tuple[Any, Any]) -> None:
    a, b = tenants
    token_a = ADMIN[a.id]
    with peer(ban_app, "203.0.113.40") as runner:
        changed = runner.patch(f"/_sandbox/tenants/{a.id}", json={"incident_ban": False}, headers=bearer(token_a))
        assert changed.status_code == 200 and changed.json()["incident_ban"] is False
        assert runner.get(f"{BASE}/clientes", headers=key(a)).status_code == 200
        for _ in range(8):  # what a conformance run does on purpose
            assert runner.get(f"{BASE}/proveedores", headers=key(a, "restricted_token")).status_code == 403
            assert runner.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
            assert runner.get(f"{BASE}/clientes").status_code == 401
        assert runner.get(f"{BASE}/clientes", headers=key(a)).status_code == 200
        assert runner.get(f"/_sandbox/tenants/{a.id}/bans", headers=bearer(token_a)).json() == {"data": []}
        # B keeps the real behaviour for its own keys, even from the runner's address.
        for _ in range(5):
            runner.get(f"{BASE}/proveedores", headers=key(b, "restricted_token"))
        assert runner.get(f"{BASE}/clientes", headers=key(b)).status_code == 429
        back = runner.patch(f"/_sandbox/tenants/{a.id}", json={"incident_ban": True}, headers=bearer(token_a))
        assert back.json()["incident_ban"] is True


def test_incidents_expire_with_a_sliding_window(ban_app: Any, tenants: tuple[Any, Any], clock: FakeClock) -> None:
    with peer(ban_app, "203.0.113.50") as ci:
        for _ in range(5):
            assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
            clock.now += 100
        assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 429
        clock.now = 1600  # the first incident (t=1000) has left the window
        assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 401
        assert ci.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope"}).status_code == 429

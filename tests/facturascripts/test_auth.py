"""Keys, per-resource permissions, the incident ban and tenant isolation."""

from .conftest import BASE, FULL, RESTRICTED

BAN = "Por motivos de seguridad se ha bloqueado durante 10 minutos el acceso desde su IP."


def test_missing_and_wrong_keys_answer_401_in_the_servers_shape(client):
    for headers in ({}, {"X-Auth-Token": "nope"}, {"Token": "nope"}):
        r = client.get(f"{BASE}/clientes", headers={**headers, "CF-Connecting-IP": "10.0.0.9"})
        assert r.status_code == 401
        assert r.json() == {"status": "error", "message": "Clave de API no válida"}
        assert "access-control-allow-origin" not in r.headers


def test_token_header_is_a_fallback(client):
    assert client.get(f"{BASE}/series", headers={"Token": FULL["X-Auth-Token"]}).status_code == 200


def test_restricted_key_follows_apiaccess_per_method(client):
    assert client.get(f"{BASE}/clientes", headers=RESTRICTED).status_code == 200
    r = client.post(f"{BASE}/clientes", headers=RESTRICTED, data={"nombre": "x", "cifnif": "1"})
    assert (r.status_code, r.json()) == (403, {"status": "error", "message": "Prohibido"})
    assert client.get(f"{BASE}/proveedores", headers=RESTRICTED).status_code == 403
    assert client.post(f"{BASE}/productos", headers=RESTRICTED, data={"referencia": "R-1"}).status_code == 200
    assert client.put(f"{BASE}/productos/1", headers=RESTRICTED, data={"precio": "1"}).status_code == 200
    assert client.delete(f"{BASE}/productos/1", headers=RESTRICTED).status_code == 403
    assert client.get(f"{BASE}/", headers=RESTRICTED).status_code == 200


def test_disabled_key_is_invalid(client):
    assert client.put(f"{BASE}/apikeyes/2", headers=FULL, data={"enabled": "0"}).status_code == 200
    assert client.get(f"{BASE}/clientes", headers=RESTRICTED).status_code == 401


def test_five_incidents_ban_with_a_sliding_window(client, clock):
    ip = {"CF-Connecting-IP": "203.0.113.7"}
    for _ in range(5):
        assert client.get(f"{BASE}/clientes", headers={**ip, "Token": "bad"}).status_code == 401
        clock.now += 100
    # The sixth bad key is refused with 429; a 429 adds no incident. (A valid key from the same
    # address still works: bans are per scope in the sandbox, see test_bans.py.)
    r = client.get(f"{BASE}/clientes", headers={**ip, "Token": "bad"})
    assert (r.status_code, r.json()) == (429, {"status": "error", "message": BAN})
    assert client.get(f"{BASE}/clientes", headers={**ip, **FULL}).status_code == 200
    # Another client is not affected.
    assert (
        client.get(f"{BASE}/clientes", headers={"CF-Connecting-IP": "203.0.113.8", "Token": "bad"}).status_code == 401
    )
    # The first incident was at t=1000; at t=1600 it has expired: four remain, not banned.
    clock.now = 1600
    assert client.get(f"{BASE}/clientes", headers={**ip, "Token": "bad"}).status_code == 401
    # That failure makes five within the window again.
    assert client.get(f"{BASE}/clientes", headers={**ip, "Token": "bad"}).status_code == 429


def test_forbidden_counts_as_an_incident_and_ip_sources(client, clock):
    for _ in range(5):
        r = client.get(f"{BASE}/proveedores", headers={"X-Forwarded-For": "198.51.100.4", **RESTRICTED})
        assert r.status_code == 403
    assert client.get(f"{BASE}/clientes", headers={"X-Forwarded-For": "198.51.100.4", **RESTRICTED}).status_code == 429
    # From a trusted proxy, X-Forwarded-For wins over CF-Connecting-IP (a plain proxy passes a
    # client's CF-Connecting-IP through, but appends to X-Forwarded-For).
    headers = {"CF-Connecting-IP": "198.51.100.4", "X-Forwarded-For": "192.0.2.1", **RESTRICTED}
    assert client.get(f"{BASE}/clientes", headers=headers).status_code == 200
    headers = {"CF-Connecting-IP": "192.0.2.1", "X-Forwarded-For": "198.51.100.4", **RESTRICTED}
    assert client.get(f"{BASE}/clientes", headers=headers).status_code == 429


def test_preflight_needs_no_key(client):
    r = client.options(
        f"{BASE}/clientes",
        headers={
            "Origin": "https://app.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "X-Auth-Token",
        },
    )
    assert r.status_code == 200
    assert r.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, PATCH, OPTIONS"
    assert r.headers["access-control-allow-headers"] == "X-Auth-Token"


def test_tenants_are_isolated(client):
    tenants = client.app.sandbox.tenants
    other, _ = tenants.create(name="other")
    try:
        token = other.credentials["facturascripts"]["token"]
        assert token != FULL["X-Auth-Token"]
        client.post(f"{BASE}/clientes", headers={"X-Auth-Token": token}, data={"nombre": "Solo otro", "cifnif": "1"})
        mine = client.get(f"{BASE}/clientes", headers=FULL, params={"filter[nombre]": "Solo otro"})
        theirs = client.get(f"{BASE}/clientes", headers={"X-Auth-Token": token}, params={"filter[nombre]": "Solo otro"})
        assert (mine.headers["x-total-count"], theirs.headers["x-total-count"]) == ("0", "1")
    finally:
        tenants.delete(other.id)

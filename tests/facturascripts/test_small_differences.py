"""CORS headers on the errors a resource answers, and `_like` under the collation of a new
installation (accent- and case-insensitive)."""

from __future__ import annotations

import pytest

from .conftest import BASE, FULL, RESTRICTED

CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, POST, PUT, DELETE, PATCH, OPTIONS",
}


def _cors(response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control-")}


@pytest.mark.parametrize(
    ("method", "path", "data", "status"),
    [
        ("get", "exportarFacturaCliente/999999", None, 404),  # record-not-found
        ("get", "exportarAlbaranProveedor/999999?type=XLS", None, 404),
        ("get", "clientes/NOPE", None, 404),  # Registro no encontrado
        ("post", "clientes", {"nombre": "Sin NIF"}, 400),  # a refused save
        ("post", "clientes", {"codcliente": "1", "nombre": "x", "cifnif": "1"}, 400),  # duplicate
        ("get", "clientes?filter[nope]=1", None, 400),  # fields not allowed
        ("post", "crearFacturaCliente", {"lineas": "[]"}, 400),  # codcliente field is required
        ("post", "crearFacturaCliente", {"codcliente": "NOPE", "lineas": "[]"}, 404),
        ("post", "pagarFacturaCliente/1", {"fechapago": "01-12-2026"}, 400),  # missing-pagada-parameter
        ("post", "pagarFacturaCliente/999999", {"pagada": "1"}, 404),
        ("put", "clientes/1", {"fechaalta": "31-04-2026"}, 400),  # a value the contract refuses
        ("delete", "facturaclientes/1", None, 400),  # an issued invoice cannot be deleted
        ("put", "series/schema", {"x": "1"}, 405),
    ],
)
def test_errors_of_a_resource_carry_the_cors_headers(client, method, path, data, status):
    r = getattr(client, method)(f"{BASE}/{path}", headers=FULL, **({"data": data} if data is not None else {}))
    assert r.status_code == status, r.text
    assert _cors(r) == CORS
    assert r.headers["content-type"].startswith("application/json")


def test_errors_before_the_resource_carry_none(client):
    cases = [
        client.get(f"{BASE}/clientes", headers={"X-Auth-Token": "nope", "CF-Connecting-IP": "10.9.9.1"}),  # 401
        client.post(f"{BASE}/clientes", headers=RESTRICTED, data={"nombre": "x", "cifnif": "1"}),  # 403
        client.get("/facturascripts/api/2/clientes", headers=FULL),  # invalid version
        client.get(f"{BASE}/nosuchresource", headers=FULL),  # Recurso de API no válido
    ]
    assert [r.status_code for r in cases] == [401, 403, 400, 404]
    assert [_cors(r) for r in cases] == [{}, {}, {}, {}]


def test_like_is_accent_and_case_insensitive(client):
    found = client.get(f"{BASE}/productos", headers=FULL, params={"filter[descripcion_like]": "cafe"}).json()
    assert [p["referencia"] for p in found] == ["CAFE-1KG"]  # "Café en grano 1 kg"
    found = client.get(f"{BASE}/clientes", headers=FULL, params={"filter[nombre_like]": "LOPEZ GARCIA"}).json()
    assert [c["nombre"] for c in found] == ["María López García"]
    found = client.get(f"{BASE}/ciudades", headers=FULL, params={"filter[ciudad_like]": "abadin", "limit": 0}).json()
    assert "Abadín" in {c["ciudad"] for c in found}
    # the other direction: an accented pattern finds unaccented text
    found = client.get(f"{BASE}/pais", headers=FULL, params={"filter[nombre_like]": "espáña"}).json()
    assert [p["codpais"] for p in found] == ["ESP"]
    # wildcards still count characters of the folded text
    found = client.get(f"{BASE}/pais", headers=FULL, params={"filter[nombre_like]": "esp_na"}).json()
    assert [p["codpais"] for p in found] == ["ESP"]

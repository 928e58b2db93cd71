"""The dispatcher's answers: version check, unknown resources, OPTIONS, route misses."""

from __future__ import annotations

from .conftest import BASE, FULL

API = BASE.rsplit("/", 1)[0]  # /facturascripts/api


def test_other_version_is_400_after_the_key_check(client):
    r = client.get(f"{API}/2/clientes", headers=FULL)
    assert r.status_code == 400
    assert r.json() == {"status": "error", "message": "Versión de API no válida"}
    r = client.get(f"{API}/2/clientes")
    assert r.status_code == 401
    assert r.json() == {"status": "error", "message": "Clave de API no válida"}


def test_no_version_is_400(client):
    r = client.get(API, headers=FULL)
    assert r.status_code == 400
    assert r.json() == {"status": "error", "message": "Versión de API no encontrada"}


def test_unknown_resource_and_bad_key_of_a_model(client):
    r = client.get(f"{BASE}/nosuchthing", headers=FULL)
    assert r.status_code == 404
    assert r.json() == {"status": "error", "message": "Recurso de API no válido"}
    # An integer key that is not a number: the model's own 404.
    r = client.get(f"{BASE}/productos/abc", headers=FULL)
    assert r.status_code == 404
    assert r.json() == {"error": "Registro no encontrado"}


def test_options_without_request_method_is_a_preflight(client):
    r = client.options(f"{BASE}/clientes", headers={"Access-Control-Request-Headers": "token"})
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, PATCH, OPTIONS"
    assert r.headers["access-control-allow-headers"] == "token"


def test_write_methods_on_schema_are_405(client):
    r = client.put(f"{BASE}/series/schema", headers=FULL, data={"descripcion": "x"})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


def test_missing_not_null_column_is_the_servers_save_error(client):
    r = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "Sin NIF"})
    assert r.status_code == 400
    saving = "Ha ocurrido un error mientras se guardaban los datos"
    assert r.json() == {"error": f"{saving} - El campo cifnif de la tabla clientes no puede ser nulo"}


def test_impossible_dates_are_refused_by_the_contract(client):
    for value in ("31-04-2026", "29-02-2027", "00-00-0000"):
        r = client.patch(f"{BASE}/clientes/1", headers=FULL, data={"fechaalta": value})
        assert r.status_code == 400, value
    r = client.patch(f"{BASE}/clientes/1", headers=FULL, data={"fechaalta": "29-02-2028"})
    assert r.status_code == 200
    assert r.json()["data"]["fechaalta"] == "29-02-2028"


def test_root_lists_exactly_what_is_served(client, app):
    names = client.get(BASE, headers=FULL).json()["resources"]
    assert names == sorted(set(names))
    spec_paths = set(client.get(f"{API}/openapi.json").json()["paths"])
    served = {path.split("/")[2] for path in spec_paths if path.count("/") >= 2}
    assert set(names) == served
    for name in ("clientes", "crearFacturaCliente", "exportarAlbaranProveedor", "pagarFacturaProveedor"):
        assert name in names
    assert "pagarAlbaranCliente" not in names

"""The requests the vendor's documentation pages describe, replayed against the sandbox.

Seed 001 (introduction: base URL, versioning, headers, methods, status codes, rate limiting,
CORS, the resource list, standard model operations) and seed 000 (custom endpoints: document
creation, export, payment, files, plugins, product images, errors). Each test names the
section it replays. Where the page and the real server differ, the sandbox accepts what the
page promises and warns (JSON bodies, exporting by code); where the page is generic and the
real server precise (201 for creates), the sandbox does what the real server does.
"""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from facturas_sandbox.vendors.facturascripts import plugins

from .conftest import BASE, FULL

API = BASE.removesuffix("/3")
CUSTOMER_DOCS = ("FacturaCliente", "AlbaranCliente", "PedidoCliente", "PresupuestoCliente")
SUPPLIER_DOCS = ("FacturaProveedor", "AlbaranProveedor", "PedidoProveedor", "PresupuestoProveedor")
LINES = [
    {"referencia": "", "descripcion": "Mantenimiento anual", "cantidad": 1, "pvpunitario": 120, "codimpuesto": "IVA21"}
]


def crear(client, kind: str, **extra):
    party = {"codcliente": "1"} if kind.endswith("Cliente") else {"codproveedor": "1"}
    return client.post(f"{BASE}/crear{kind}", headers=FULL, data={**party, "lineas": json.dumps(LINES), **extra})


# -- seed 001: introduction -------------------------------------------------------------------------
def test_base_url_and_versioning(client):
    """ "All API requests must include the version number in the URL ... 400 Bad Request"."""
    assert client.get(f"{BASE}/clientes", headers=FULL).status_code == 200
    for path in (API, f"{API}/2/clientes"):
        r = client.get(path, headers=FULL)
        assert (r.status_code, r.json()["status"]) == (400, "error")


def test_every_request_needs_the_x_auth_token_header(client):
    r = client.get(f"{BASE}/clientes", headers={"X-Forwarded-For": "198.51.100.1"})
    assert (r.status_code, r.json()) == (401, {"status": "error", "message": "Clave de API no válida"})


def test_json_request_bodies_as_the_page_says(client):
    """ "Send request bodies as JSON for POST/PUT requests": accepted, and warned, because a real
    installation reads form bodies only."""
    r = client.post(f"{BASE}/clientes", headers=FULL, json={"nombre": "Cliente JSON", "cifnif": "12345678Z"})
    assert r.status_code == 200 and r.json()["data"]["nombre"] == "Cliente JSON"
    assert "form bodies" in r.headers["x-sandbox-warning"]
    code = r.json()["data"]["codcliente"]
    r = client.put(f"{BASE}/clientes/{code}", headers=FULL, json={"telefono1": "600000000"})
    assert r.status_code == 200 and r.json()["data"]["telefono1"] == "600000000"


def test_standard_operations_on_a_model(client):
    """GET list, GET one, GET schema, POST, PUT/PATCH, DELETE on `/api/3/{model}`."""
    listed = client.get(f"{BASE}/productos", headers=FULL)
    assert listed.status_code == 200 and isinstance(listed.json(), list)
    assert int(listed.headers["x-total-count"]) >= len(listed.json())
    schema = client.get(f"{BASE}/productos/schema", headers=FULL).json()
    assert schema["referencia"]["type"].startswith("character varying")
    created = client.post(f"{BASE}/productos", headers=FULL, data={"referencia": "DOC-1", "descripcion": "Doc"})
    # the page lists 201 Created among the codes; a real server answers a create with 200
    assert (created.status_code, created.json()["ok"]) == (200, "Registro actualizado correctamente.")
    pk = created.json()["data"]["idproducto"]
    assert client.get(f"{BASE}/productos/{pk}", headers=FULL).json()["referencia"] == "DOC-1"
    assert client.put(f"{BASE}/productos/{pk}", headers=FULL, data={"precio": "9.95"}).json()["data"]["precio"] == 9.95
    assert client.patch(f"{BASE}/productos/{pk}", headers=FULL, data={"nostock": "1"}).status_code == 200
    deleted = client.delete(f"{BASE}/productos/{pk}", headers=FULL)
    assert (deleted.status_code, deleted.json()["ok"]) == (200, "¡Registro eliminado correctamente!")
    assert client.get(f"{BASE}/productos/{pk}", headers=FULL).status_code == 404


def test_rate_limiting_after_five_failures(client):
    """ "Maximum of 5 failed authentication attempts within 10 minutes" then the IP is banned."""
    ip = {"X-Forwarded-For": "198.51.100.77"}
    assert [client.get(f"{BASE}/clientes", headers={**ip, "X-Auth-Token": "x"}).status_code for _ in range(5)] == [
        401
    ] * 5
    banned = client.get(f"{BASE}/clientes", headers={**ip, "X-Auth-Token": "y"})
    assert banned.status_code == 429
    # The sandbox bans per tenant (one client's bad keys must not lock other tenants out): a
    # valid key from the banned address is answered, with a warning that a real server would not.
    valid = client.get(f"{BASE}/clientes", headers={**ip, **FULL})
    assert valid.status_code == 200
    assert "429" in valid.headers["x-sandbox-warning"]


def test_cors_and_preflight(client):
    """Allow-Origin `*`, Allow-Methods `GET, POST, PUT, DELETE, PATCH, OPTIONS`, requested headers."""
    r = client.options(f"{BASE}/clientes", headers={"Access-Control-Request-Headers": "X-Auth-Token, Content-Type"})
    assert r.status_code == 200
    assert r.headers["access-control-allow-origin"] == "*"
    assert r.headers["access-control-allow-methods"] == "GET, POST, PUT, DELETE, PATCH, OPTIONS"
    assert r.headers["access-control-allow-headers"] == "X-Auth-Token, Content-Type"
    assert client.get(f"{BASE}/clientes", headers=FULL).headers["access-control-allow-origin"] == "*"


def test_available_resources_at_the_api_root(client):
    names = client.get(BASE, headers=FULL).json()["resources"]
    documented = {"clientes", "facturaclientes", "uploadFiles", "attachedfiles", "plugins", "productoimagenes"}
    documented |= {f"{verb}{kind}" for verb in ("crear", "exportar") for kind in CUSTOMER_DOCS + SUPPLIER_DOCS}
    documented |= {"pagarFacturaCliente", "pagarFacturaProveedor", "crearFacturaRectificativaCliente"}
    assert documented <= set(names)


# -- seed 000: custom endpoints ---------------------------------------------------------------------
def test_create_customer_invoice_with_every_documented_parameter(client):
    r = crear(
        client,
        "FacturaCliente",
        codalmacen="ALG",
        fecha="2026-11-21",  # "Invoice date (YYYY-MM-DD format)"
        hora="10:30:00",
        coddivisa="EUR",
        pagada="1",
    )
    assert r.status_code == 200, r.text
    doc, lines = r.json()["doc"], r.json()["lines"]
    assert (doc["fecha"], doc["hora"], doc["codalmacen"], doc["coddivisa"]) == ("21-11-2026", "10:30:00", "ALG", "EUR")
    assert (doc["total"], doc["pagada"], len(lines)) == (145.2, True, 1)


@pytest.mark.parametrize("kind", CUSTOMER_DOCS[1:] + SUPPLIER_DOCS)
def test_other_document_creation_endpoints(client, kind):
    """ "All following endpoints use the same request/response format as invoice creation"."""
    r = crear(client, kind)
    assert r.status_code == 200, r.text
    assert set(r.json()) == {"doc", "lines"} and r.json()["doc"]["neto"] == 120


def test_create_rectificative_invoice(client):
    original = crear(client, "FacturaCliente").json()["doc"]
    r = client.post(
        f"{BASE}/crearFacturaRectificativaCliente",
        headers=FULL,
        data={"idfactura": str(original["idfactura"]), "fecha": "21-11-2026"},
    )
    assert r.status_code == 200, r.text
    assert (r.json()["doc"]["codigorect"], r.json()["doc"]["total"]) == (original["codigo"], -original["total"])


@pytest.mark.parametrize("kind", CUSTOMER_DOCS + SUPPLIER_DOCS)
def test_export_endpoints(client, kind):
    """`GET /api/3/exportar{kind}/{code}` with `type`, `format`, `lang`: the PDF as binary data."""
    doc = crear(client, kind).json()["doc"]
    pk = next(k for k in ("idfactura", "idalbaran", "idpedido", "idpresupuesto") if k in doc)
    r = client.get(
        f"{BASE}/exportar{kind}/{doc[pk]}", headers=FULL, params={"type": "PDF", "format": 1, "lang": "es_ES"}
    )
    assert (r.status_code, r.headers["content-type"]) == (200, "application/pdf")
    assert r.content.startswith(b"%PDF-")
    # "Invoice code or ID": the code works too, with a warning that a real server needs the id
    by_code = client.get(f"{BASE}/exportar{kind}/{doc['codigo']}", headers=FULL)
    assert by_code.status_code == 200 and by_code.content.startswith(b"%PDF-")
    assert "loads documents by" in by_code.headers["x-sandbox-warning"]


@pytest.mark.parametrize("kind", ("FacturaCliente", "FacturaProveedor"))
def test_mark_invoice_paid_and_unpaid(client, kind):
    invoice = crear(client, kind).json()["doc"]
    url = f"{BASE}/pagar{kind}/{invoice['idfactura']}"
    paid = client.post(url, headers=FULL, data={"pagada": "1", "fechapago": "21-11-2026", "codpago": "TRANS"})
    assert (paid.status_code, paid.json()["ok"], paid.json()["data"]["pagada"]) == (
        200,
        "Registro actualizado correctamente.",
        True,
    )
    unpaid = client.post(url, headers=FULL, data={"pagada": "0"})
    assert unpaid.json()["data"]["pagada"] is False


def test_upload_files(client):
    """ "Use multipart/form-data encoding with file fields named files[]": an array of file objects."""
    parts = [
        ("files[]", ("presupuesto.pdf", b"%PDF-1.4 x", "application/pdf")),
        ("files[]", ("nota.txt", b"n", "text/plain")),
    ]
    r = client.post(f"{BASE}/uploadFiles", headers=FULL, files=parts)
    assert r.status_code == 200
    assert [f["filename"] for f in r.json()["files"]] == ["presupuesto.pdf", "nota.txt"]


def test_attached_files_crud_with_every_filter_operator(client):
    upload = client.post(f"{BASE}/attachedfiles", headers=FULL, files={"file": ("a.txt", b"abc", "text/plain")})
    assert upload.status_code == 200  # "multipart/form-data to upload a new file"
    idfile = upload.json()["data"]["idfile"]
    client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("b.csv", b"1;2;3;4", "text/csv"))])

    def listed(**params):
        r = client.get(f"{BASE}/attachedfiles", headers=FULL, params=params)
        assert r.status_code == 200 and "x-total-count" in r.headers
        return sorted(f["filename"] for f in r.json())

    assert listed(**{"filter[filename]": "a.txt"}) == ["a.txt"]
    assert listed(**{"filter[size_gt]": "3"}) == ["b.csv"]
    assert listed(**{"filter[size_lt]": "4"}) == ["a.txt"]
    assert listed(**{"filter[size_gte]": "3"}) == ["a.txt", "b.csv"]
    assert listed(**{"filter[size_lte]": "3"}) == ["a.txt"]
    assert listed(**{"filter[filename_neq]": "a.txt"}) == ["b.csv"]
    assert listed(**{"filter[filename_like]": "B.C"}) == ["b.csv"]  # contains, case-insensitive
    assert listed(**{"filter[mimetype_null]": ""}) == []
    assert listed(**{"filter[mimetype_notnull]": ""}) == ["a.txt", "b.csv"]
    assert listed(**{"sort[filename]": "DESC", "limit": 1}) == ["b.csv"]
    assert listed(**{"sort[filename]": "ASC", "limit": 1, "offset": 1}) == ["b.csv"]
    single = client.get(f"{BASE}/attachedfiles/{idfile}", headers=FULL).json()
    assert single["download"] and single["download-permanent"]
    assert client.get(f"{BASE}/attachedfiles/schema", headers=FULL).json()["path"]["is_nullable"] == "NO"
    assert (
        client.put(f"{BASE}/attachedfiles/{idfile}", headers=FULL, data={"filename": "renombrado.txt"}).status_code
        == 200
    )
    assert client.delete(f"{BASE}/attachedfiles/{idfile}", headers=FULL).status_code == 200


def test_plugin_management(client):
    listed = client.get(f"{BASE}/plugins", headers=FULL, params={"filter[enabled]": "1", "sort[name]": "ASC"})
    assert listed.status_code == 200 and listed.headers["x-core-version"] == plugins.CORE_VERSION
    assert [p["name"] for p in listed.json()] == ["Backup", "Modelo303", "StockAvanzado"]
    assert client.get(f"{BASE}/plugins/Modelo347", headers=FULL).json()["enabled"] is False
    enabled = client.post(f"{BASE}/plugins/Modelo347/enable", headers=FULL)
    assert (enabled.status_code, enabled.json()["data"]["enabled"]) == (200, True)
    disabled = client.post(f"{BASE}/plugins/Modelo347/disable", headers=FULL)
    assert (disabled.status_code, disabled.json()["data"]["enabled"]) == (200, False)


def test_product_images(client):
    image = io.BytesIO()
    Image.new("RGB", (10, 10), "blue").save(image, "JPEG")
    r = client.post(
        f"{BASE}/productoimagenes",
        headers=FULL,
        data={"idproducto": "1"},
        files={"imagen": ("p.jpg", image.getvalue(), "image/jpeg")},
    )
    assert r.status_code == 200, r.text
    got = client.get(f"{BASE}/productoimagenes/{r.json()['data']['id']}", headers=FULL).json()
    assert client.get(got["download"], headers=FULL).content == image.getvalue()


def test_error_responses(client):
    """Bad Request (400), Not Found (404), Method Not Allowed (405), Unprocessable Entity (422)."""
    bad = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, data={"lineas": "[]"})
    assert (bad.status_code, bad.json()) == (400, {"status": "error", "message": "codcliente field is required"})
    missing = client.get(f"{BASE}/clientes/NO-EXISTE", headers=FULL)
    assert (missing.status_code, missing.json()["error"]) == (404, "Registro no encontrado")
    assert client.get(f"{BASE}/exportarFacturaCliente/999999", headers=FULL).json()["message"] == "record-not-found"
    assert client.delete(f"{BASE}/crearFacturaCliente", headers=FULL).status_code == 405
    unsaved = crear(client, "FacturaCliente", codserie="ZZ")
    assert (unsaved.status_code, unsaved.json()["status"]) == (422, "error")

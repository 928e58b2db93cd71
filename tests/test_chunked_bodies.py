"""Request bodies sent chunked (Transfer-Encoding: chunked, no Content-Length) are bodies.

Connexion's body validators read only Content-Length and took a chunked body for an absent
one (422/400 "RequestBody is required"). Every API's body operations are tried through a
real served process, with each body split over several chunks.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from server_process import SandboxProcess

pytestmark = pytest.mark.slow
BOUNDARY = "chunked-7d1e"


def _chunked(body: bytes, size: int = 7) -> Iterator[bytes]:
    # An iterator has no length: httpx sends it with Transfer-Encoding: chunked.
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _post(http: httpx.Client, url: str, body: bytes, content_type: str, **kw: Any) -> httpx.Response:
    request = http.build_request(
        "POST", url, content=_chunked(body), headers={"Content-Type": content_type, **kw.pop("headers", {})}, **kw
    )
    assert "content-length" not in request.headers and request.headers["transfer-encoding"] == "chunked"
    return http.send(request)


def _json(value: Any) -> bytes:
    return json.dumps(value).encode()


def _multipart(name: str, filename: str, content: bytes) -> bytes:
    return (
        (
            f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{BOUNDARY}--\r\n".encode()
    )


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[httpx.Client, dict[str, Any]]]:
    with SandboxProcess(None) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        created = _post(http, "/_sandbox/tenants", _json({"name": "chunked"}), "application/json")
        assert created.status_code == 201, created.text  # the control plane takes a chunked body
        yield http, created.json()


def test_json_bodies_on_facturovia_and_facturala(served: tuple[httpx.Client, dict[str, Any]]) -> None:
    http, tenant = served
    fv = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
    client_id = http.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    item = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}
    body = {"client_id": client_id, "invoice_date": "2026-06-01", "items": [item]}
    invoice = _post(http, "/facturovia/api/invoices", _json(body), "application/json", headers=fv)
    assert invoice.status_code == 201, invoice.text
    assert http.get(f"/facturovia/api/invoices/{invoice.json()['id']}", headers=fv).status_code == 200

    fl = tenant["credentials"]["facturala"]
    base = f"/facturala/facturala/api/companies/{fl['company_id']}/invoices"
    body = {
        "customer": {"name": "Ana Gómez", "idType": "CC", "idNumber": "1020304050"},
        "items": [{"name": "Servicio", "unitValue": 116000, "quantity": 1}],
    }
    created = _post(http, base, _json(body), "application/json", headers={"Authorization": fl["token"]})
    assert created.status_code in (200, 201), created.text


def test_form_json_and_xml_bodies_on_facturagem(served: tuple[httpx.Client, dict[str, Any]]) -> None:
    http, tenant = served
    login = urlencode(tenant["credentials"]["facturagem"]).encode()
    session = _post(http, "/facturagem/api/v1/session.json", login, "application/x-www-form-urlencoded")
    assert session.status_code == 200, session.text
    params = {"api_key": session.json()["api_key"]}
    base = f"/facturagem/api/v1/accounts/{session.json()['account_id']}"
    created = _post(http, f"{base}/clients.json", _json({"name": "Troceado JSON"}), "application/json", params=params)
    assert created.status_code == 200, created.text
    xml = b"<client><name>Troceado XML</name></client>"
    created = _post(http, f"{base}/clients.xml", xml, "application/xml", params=params)
    assert created.status_code == 200, created.text
    names = {c["name"] for c in http.get(f"{base}/clients.json", params=params).json()["clients"]}
    assert {"Troceado JSON", "Troceado XML"} <= names


def test_form_and_multipart_bodies_on_facturascripts(served: tuple[httpx.Client, dict[str, Any]]) -> None:
    http, tenant = served
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"]}
    base = "/facturascripts/api/3"
    form = urlencode({"nombre": "Troceado S.L.", "cifnif": "B12345674"}).encode()
    created = _post(http, f"{base}/clientes", form, "application/x-www-form-urlencoded", headers=headers)
    assert created.status_code == 200, created.text
    codcliente = created.json()["data"]["codcliente"]
    assert http.get(f"{base}/clientes/{codcliente}", headers=headers).json()["nombre"] == "Troceado S.L."
    upload = _multipart("files[]", "troceado.txt", b"chunked upload " * 50)
    uploaded = _post(http, f"{base}/uploadFiles", upload, f"multipart/form-data; boundary={BOUNDARY}", headers=headers)
    assert uploaded.status_code == 200, uploaded.text
    assert uploaded.json()["files"][0]["path"] == "MyFiles/troceado.txt"


def test_an_empty_chunked_body_is_still_no_body(served: tuple[httpx.Client, dict[str, Any]]) -> None:
    http, tenant = served
    fv = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
    response = _post(http, "/facturovia/api/clients", b"", "application/json", headers=fv)
    assert response.status_code in (400, 422), response.text
    assert set(response.json()["error"]) == {"code", "message", "fields"}

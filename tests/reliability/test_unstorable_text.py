"""Text that cannot be stored, through every channel of every API (issue 13, finding 4).

A lone surrogate (`"\\ud800"` in JSON) answered 500 yet stayed in memory: the next list
failed, numbers were skipped, the journal could not be read and shutdown left a `.json.tmp`.
It is sent through every channel that can carry one (JSON values and keys, FacturaScripts'
`lineas` JSON inside a form and a multipart body, a charset the client names, XML character
references) and must be a 400 in that API's own error shape that stores nothing. Channels
that cannot carry one (query strings, paths: invalid UTF-8 becomes U+FFFD) are sent its
encoded bytes and must not fail. Afterwards the next invoice gets the next number, lists
answer 200, the journal reads, and a restart on the same data directory finds exactly what
was acknowledged and no temporary file. U+0000, which is storable text, is stored exactly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

OPERATOR = "unstorable-operator"
# As JSON escapes (`json.dumps` writes them so): both halves of a pair alone, a pair reversed,
# and a high surrogate right before a real character.
JSON_TEXTS = ["\ud800", "x\udfffy", "\udc00\ud800", "\ud83dA"]
SURROGATE_BYTES = "a%ED%A0%80b"
FORM = {
    "Content-Type": "application/x-www-form-urlencoded"
}  # U+D800 as UTF-8 would encode it, if it could: invalid UTF-8
BOUNDARY = "unstorable-3c1a"

Request = tuple[str, str, str, dict[str, Any]]  # label, method, URL, keyword arguments of client.request


def _json(body: Any) -> dict[str, Any]:
    # ensure_ascii: the lone surrogates travel as `\ud800` escapes, in valid UTF-8.
    return {"content": json.dumps(body).encode(), "headers": {"Content-Type": "application/json"}}


def _multipart(fields: dict[str, str], file: tuple[str, str, bytes] | None = None) -> dict[str, Any]:
    body = b""
    for name, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    if file is not None:
        name, filename, content = file
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'.encode()
        body += b"Content-Type: text/plain\r\n\r\n" + content + b"\r\n"
    body += f"--{BOUNDARY}--\r\n".encode()
    return {"content": body, "headers": {"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"}}


@dataclass
class Api:
    name: str
    headers: dict[str, str]
    params: dict[str, str]
    shape: Callable[[Any], bool]  # is this body the API's own error shape?
    snapshot: Callable[[TestClient], Any]  # its data, read through its lists (each must answer 200)
    numbered: Callable[[TestClient], int]  # a valid write that draws the next number
    hostile: list[Request] = field(default_factory=list)  # each must be a 400
    harmless: list[Request] = field(default_factory=list)  # each must be no 5xx and change nothing


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text[:300]
    return response.json()


def _facturovia(client: TestClient, tenant: dict[str, Any]) -> Api:
    base = "/facturovia/api"
    headers = bearer(tenant["credentials"]["facturovia"]["read_write"])
    client_id = client.get(f"{base}/clients", headers=headers).json()["data"][0]["id"]
    item = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}

    def numbered(c: TestClient) -> int:
        draft = c.post(f"{base}/invoices", json={"client_id": client_id, "items": [item]}, headers=headers)
        issued = c.post(f"{base}/invoices/{draft.json()['id']}/issue", headers=headers)
        assert issued.status_code == 200, issued.text
        return int(issued.json()["number"].rsplit("-", 1)[1])

    api = Api(
        "facturovia",
        headers,
        {},
        lambda body: set(body.get("error", {})) == {"code", "message", "fields"},
        lambda c: (_ok(c.get(f"{base}/invoices", headers=headers)), _ok(c.get(f"{base}/clients", headers=headers))),
        numbered,
    )
    for text in JSON_TEXTS:
        invoice = {"client_id": client_id, "notes": "ok", "items": [{**item, "description": text}]}
        api.hostile += [
            ("JSON invoice line", "POST", f"{base}/invoices", _json(invoice)),
            ("JSON client name", "POST", f"{base}/clients", _json({"name": text, "tax_id": "B87654323"})),
            ("JSON key", "POST", f"{base}/clients", _json({"name": "ok", "tax_id": "B87654323", text: 1})),
            ("JSON find-or-create", "POST", f"{base}/clients/find-or-create", _json({"name": "x", "tax_id": text})),
        ]
    escaped = {"content": b'{"name": "\\ud800", "tax_id": "B87654323"}'}
    escaped["headers"] = {"Content-Type": "application/json; charset=unicode_escape"}  # decodes to a surrogate
    api.hostile.append(("a charset that decodes to a surrogate", "POST", f"{base}/clients", escaped))
    api.harmless += [
        ("query", "GET", f"{base}/invoices?external_reference={SURROGATE_BYTES}", {}),
        ("path", "GET", f"{base}/invoices/{SURROGATE_BYTES}", {}),
        ("path of a write", "POST", f"{base}/invoices/{SURROGATE_BYTES}/issue", {}),
    ]
    return api


def _facturala(client: TestClient, tenant: dict[str, Any]) -> Api:
    creds = tenant["credentials"]["facturala"]
    headers = {"Authorization": creds["token"]}
    base = f"/facturala/facturala/api/companies/{creds['company_id']}"
    customer = {"name": "Ana Gómez", "idType": "CC", "idNumber": "1020304050"}
    item = {"name": "Servicio", "unitValue": 116000, "quantity": 1}

    def numbered(c: TestClient) -> int:
        created = c.post(f"{base}/invoices", json={"customer": customer, "items": [item]}, headers=headers)
        assert created.status_code == 201, created.text
        return int(created.json()["number"])

    api = Api(
        "facturala",
        headers,
        {},
        lambda body: {"status", "code", "message"} <= set(body),
        lambda c: _ok(c.get(f"{base}/invoices", headers=headers)),
        numbered,
    )
    for text in JSON_TEXTS:
        api.hostile += [
            ("JSON item", "POST", f"{base}/invoices", _json({"customer": customer, "items": [{**item, "name": text}]})),
            (
                "JSON customer",
                "POST",
                f"{base}/invoices",
                _json({"customer": {**customer, "name": text}, "items": [item]}),
            ),
            ("JSON note", "POST", f"{base}/invoices", _json({"customer": customer, "items": [item], "note": text})),
        ]
    api.harmless += [
        ("query", "GET", f"{base}/invoices?state={SURROGATE_BYTES}", {}),
        ("path", "GET", f"{base}/invoices/{SURROGATE_BYTES}", {}),
    ]
    return api


def _facturagem(client: TestClient, tenant: dict[str, Any]) -> Api:
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    params = {"api_key": session["api_key"]}
    line = {"description": "Logo", "amount": 1, "price": 100}

    def numbered(c: TestClient) -> int:
        created = c.post(f"{base}/invoices.json", params=params, json={"client_id": 3, "lines": [line]})
        assert created.status_code == 200, created.text
        return int(created.json()["number"].rsplit("_", 1)[1])

    api = Api(
        "facturagem",
        {},
        params,
        lambda body: "errors" in body,
        lambda c: (
            _ok(c.get(f"{base}/clients.json", params=params)),
            _ok(c.get(f"{base}/invoices.json", params=params)),
        ),
        numbered,
    )
    for text in JSON_TEXTS:
        invoice = {"client_id": 3, "lines": [{**line, "description": text}]}
        api.hostile += [
            ("JSON client", "POST", f"{base}/clients.json", _json({"name": text})),
            ("JSON invoice line", "POST", f"{base}/invoices.json", _json(invoice)),
            ("JSON account", "PUT", f"{base}.json", _json({"name": text})),
        ]
    for label, name in (("reference to a surrogate", b"&#xD800;"), ("a surrogate's bytes", b"a\xed\xa0\x80b")):
        xml = {
            "content": b"<client><name>" + name + b"</name></client>",
            "headers": {"Content-Type": "application/xml"},
        }
        api.hostile.append((f"XML {label}", "POST", f"{base}/clients.xml", xml))
    login = {"content": f"login={SURROGATE_BYTES}&password=x".encode(), "headers": FORM}
    api.harmless += [
        ("form login", "POST", "/facturagem/api/v1/session.json", login),
        ("query", "GET", f"{base}/clients.json?page={SURROGATE_BYTES}", {}),
        ("path", "GET", f"{base}/clients/{SURROGATE_BYTES}.json", {}),
        ("path of a write", "PUT", f"/facturagem/api/v1/accounts/{SURROGATE_BYTES}.json", _json({"name": "ok"})),
    ]
    return api


def _facturascripts(client: TestClient, tenant: dict[str, Any]) -> Api:
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.31"}
    base = "/facturascripts/api/3"
    line = {"descripcion": "Servicio", "pvpunitario": 100, "codimpuesto": "IVA21"}

    def numbered(c: TestClient) -> int:
        created = c.post(
            f"{base}/crearFacturaCliente", headers=headers, data={"codcliente": "1", "lineas": json.dumps([line])}
        )
        assert created.status_code == 200, created.text
        return int(created.json()["doc"]["numero"])

    api = Api(
        "facturascripts",
        headers,
        {},
        lambda body: body.get("status") == "error" or "error" in body,
        lambda c: (
            _ok(c.get(f"{base}/clientes", params={"limit": 0}, headers=headers)),
            _ok(c.get(f"{base}/facturaclientes", params={"limit": 0}, headers=headers)),
            _ok(c.get(f"{base}/attachedfiles", params={"limit": 0}, headers=headers)),
        ),
        numbered,
    )
    create = f"{base}/crearFacturaCliente"
    for text in JSON_TEXTS:
        lines = [{**line, "descripcion": text}]
        lineas = json.dumps(lines)  # the JSON string FacturaScripts parses itself
        api.hostile += [
            ("JSON model", "POST", f"{base}/clientes", _json({"nombre": text, "cifnif": "B12345674"})),
            ("JSON document", "POST", create, _json({"codcliente": "1", "lineas": lines})),
            ("lineas JSON in a form", "POST", create, {"data": {"codcliente": "1", "lineas": lineas}}),
            ("lineas JSON in multipart", "POST", create, _multipart({"codcliente": "1", "lineas": lineas})),
        ]
    model = {"content": f"nombre={SURROGATE_BYTES}&cifnif=B12345674".encode(), "headers": FORM}
    api.harmless += [
        ("form model", "POST", f"{base}/clientes", model),
        ("query", "GET", f"{base}/clientes?filter[nombre]={SURROGATE_BYTES}", {}),
        ("path", "GET", f"{base}/clientes/{SURROGATE_BYTES}", {}),
        ("path of a write", "PUT", f"{base}/clientes/{SURROGATE_BYTES}", {"data": {"nombre": "ok"}}),
    ]
    return api


def _timeless(tenant: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in tenant.items() if k != "clock"}  # its `now` moves


def _control(client: TestClient, tenant: dict[str, Any]) -> Api:
    headers = bearer(OPERATOR)
    admin = bearer(tenant["admin_token"])
    api = Api(
        "control plane",
        headers,
        {},
        lambda body: set(body.get("error", {})) == {"type", "code", "param", "message"},
        lambda c: (
            [_timeless(t) for t in _ok(c.get("/_sandbox/tenants", headers=headers))["data"]],
            _timeless(_ok(c.get(f"/_sandbox/tenants/{tenant['id']}", headers=admin))),
            _ok(c.get(f"/_sandbox/tenants/{tenant['id']}/faults", headers=admin)),
        ),
        lambda c: 0,  # the control plane numbers nothing
    )
    for text in JSON_TEXTS:
        api.hostile += [
            ("JSON tenant name", "POST", "/_sandbox/tenants", _json({"name": text})),
            (
                "JSON fault rule",
                "POST",
                f"/_sandbox/tenants/{tenant['id']}/faults",
                _json({"api": "facturovia", "path": text}),
            ),
        ]
    api.harmless += [
        ("query", "GET", f"/_sandbox/tenants/{tenant['id']}/journal?api={SURROGATE_BYTES}", {}),
        ("path", "GET", f"/_sandbox/tenants/{SURROGATE_BYTES}", {}),
        ("path of a write", "DELETE", f"/_sandbox/tenants/{SURROGATE_BYTES}", {}),
    ]
    return api


BUILDERS = [_facturovia, _facturala, _facturagem, _facturascripts, _control]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("unstorable")


def _app(data_dir: Path) -> Any:
    return create_app(
        Settings(data_dir=data_dir, operator_token=OPERATOR, validate_responses=True, trusted_proxies=("127.0.0.1/32",))
    )


@pytest.fixture(scope="module")
def served(data_dir: Path) -> Iterator[tuple[TestClient, dict[str, Any]]]:
    with TestClient(_app(data_dir), raise_server_exceptions=False, client=("127.0.0.1", 50000)) as client:
        tenant = client.post("/_sandbox/tenants", json={"name": "unstorable"}).json()
        yield client, tenant


def test_unstorable_text_is_a_400_in_every_apis_shape_through_every_channel_and_changes_nothing(
    served: tuple[TestClient, dict[str, Any]], data_dir: Path
) -> None:
    client, tenant = served
    apis = [build(client, tenant) for build in BUILDERS]
    tried = 0
    for api in apis:
        first = api.numbered(client)
        before = api.snapshot(client)
        for label, method, url, kwargs in api.hostile:
            kwargs = {**kwargs, "headers": {**api.headers, **kwargs.get("headers", {})}}
            kwargs["params"] = {**api.params, **kwargs.get("params", {})}
            response = client.request(method, url, **kwargs)
            tried += 1
            assert response.status_code == 400, (api.name, label, response.status_code, response.text[:300])
            content_type = response.headers["content-type"]
            if content_type.startswith("application/xml"):
                assert b"<errors" in response.content, (api.name, label, response.text[:300])
            else:
                assert api.shape(response.json()), (api.name, label, response.text[:300])
            assert "\\ud8" not in response.text
        # Nothing was stored, every list still answers, no number was skipped.
        assert api.snapshot(client) == before, api.name
        if api.name != "control plane":
            assert api.numbered(client) == first + 1, api.name
        # A surrogate's bytes in a URL or a form decode to U+FFFD: ordinary text (a write may
        # store it), never a failure.
        for label, method, url, kwargs in api.harmless:
            kwargs = {**kwargs, "headers": {**api.headers, **kwargs.get("headers", {})}}
            kwargs["params"] = {**api.params, **kwargs.get("params", {})}
            response = client.request(method, url, **kwargs)
            tried += 1
            assert response.status_code < 500, (api.name, label, response.status_code, response.text[:300])
        api.snapshot(client)
    assert tried >= 80, tried
    journal = client.get(f"/_sandbox/tenants/{tenant['id']}/journal", headers=bearer(tenant["admin_token"]))
    assert journal.status_code == 200 and journal.json()["data"], journal.text[:300]
    assert {"facturovia", "facturala", "facturagem", "facturascripts"} <= {e["api"] for e in journal.json()["data"]}


def test_after_a_restart_the_data_is_what_was_acknowledged(
    served: tuple[TestClient, dict[str, Any]], data_dir: Path
) -> None:
    client, tenant = served
    apis = [build(client, tenant) for build in BUILDERS]
    acknowledged = [api.snapshot(client) for api in apis]
    client.__exit__(None, None, None)  # shutdown: every tenant compacted, no temporary file left
    assert list(data_dir.rglob("*.tmp")) == []
    with TestClient(_app(data_dir), raise_server_exceptions=False, client=("127.0.0.1", 50000)) as again:
        assert [build(again, tenant).snapshot(again) for build in BUILDERS] == acknowledged


def test_u0000_is_storable_text_and_is_stored_exactly(client: TestClient, new_tenant: dict[str, Any]) -> None:
    headers = bearer(new_tenant["credentials"]["facturovia"]["read_write"])
    created = client.post("/facturovia/api/clients", json={"name": "a\x00b", "tax_id": "B12345674"}, headers=headers)
    assert created.status_code == 201, created.text
    listed = client.get("/facturovia/api/clients", params={"tax_id": "B12345674"}, headers=headers).json()["data"]
    assert created.json()["name"] == listed[0]["name"] == "a\x00b"

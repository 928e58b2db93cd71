"""Out-of-range, over-precise and deeply nested values on every API (issue 13, finding 6).

Every number a client can send into a calculation (a line's quantity, price, discount and
withholding; a payment; a refund; a fault's probability) is tried at the extremes: beyond the
double range, at 1e30 and 1e300, negative, with forty decimals, as tiny as 1e-300. Every JSON
text parsed a second time (FacturaScripts' `lineas` form field and its settings' properties,
the journal's view of a body) is tried 5,000 levels deep. The answer is a 2xx or the API's
own 4xx, never a 5xx; a refusal changes nothing; afterwards the tenant still works and its
journal still reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

DEEP = 5000
HUGE = ["1e30", "1e300", "-1e300", "1e400", "9999999999.999999", "-9999999999"]
PRECISE = ["0.0000000000000000000000000000000000000001", "1.0049999999999999999", "1e-300", "123.4567890123456789"]


@dataclass
class Api:
    name: str
    send: Callable[[str], Any]  # a raw number (JSON text) into the API's calculation
    snapshot: Callable[[], Any]
    shape: Callable[[Any], bool]


@pytest.fixture(scope="module")
def tenant(client: TestClient) -> dict[str, Any]:
    response = client.post("/_sandbox/tenants", json={"name": "hostile numbers"})
    assert response.status_code == 201, response.text
    return response.json()


FS = "/facturascripts/api/3"


def _fs_headers(tenant: dict[str, Any]) -> dict[str, str]:
    # A client address of its own: other tests' failed logins do not ban it.
    return {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.61"}


def _assert_answer(response: Any, api: str, shape: Callable[[Any], bool]) -> None:
    assert response.status_code < 500, (api, response.status_code, response.text[:300])
    if response.status_code >= 400 and response.headers.get("content-type", "").startswith("application/json"):
        assert shape(response.json()), (api, response.text[:300])


def _fs_shape(body: Any) -> bool:
    return body.get("status") == "error" or "error" in body


# -- FacturaScripts: the numbers inside `lineas`, refunds and header discounts ------------------
FS_LINE_FIELDS = ("cantidad", "pvpunitario", "dtopor", "dtopor2", "irpf")


def test_facturascripts_line_numbers_at_the_extremes_are_4xx(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = _fs_headers(tenant)

    def count() -> int:
        return int(client.get(f"{FS}/facturaclientes", params={"limit": 1}, headers=headers).headers["x-total-count"])

    before = count()
    created = 0
    tried = 0
    for field in FS_LINE_FIELDS:
        for value in HUGE + PRECISE:
            for lineas in (
                json.dumps([{"descripcion": "x", "pvpunitario": 1, field: value}]),  # as a string
                '[{"descripcion": "x", "pvpunitario": 1, "' + field + '": ' + value + "}]",  # as a JSON number
            ):
                tried += 1
                form = {"codcliente": "1", "lineas": lineas}
                response = client.post(f"{FS}/crearFacturaCliente", data=form, headers=headers)
                _assert_answer(response, "facturascripts", _fs_shape)
                if value in HUGE and "9999999999" not in value:
                    # Beyond a double, or a price beyond 2^53 cents: the number is refused; a
                    # quantity or percentage a double holds makes an amount beyond 2^53 cents.
                    assert response.status_code in (400, 422), (field, value, response.text[:200])
                    assert response.json()["message"].startswith(("Invalid lines", "Invalid number: ", "Ha ocurrido"))
                created += response.status_code == 200
    assert tried == len(FS_LINE_FIELDS) * len(HUGE + PRECISE) * 2
    assert count() == before + created


def test_facturascripts_amounts_beyond_a_double_to_the_cent_are_422(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = _fs_headers(tenant)
    for line in (
        {"descripcion": "x", "cantidad": "9999999999", "pvpunitario": "9999999999"},
        {"descripcion": "x", "cantidad": "99999", "pvpunitario": "9999999999", "dtopor": "-9999999999"},
        {"descripcion": "x", "cantidad": "1", "pvpunitario": "9999999999", "dtopor": "-9999999999", "irpf": "1"},
    ):
        response = client.post(
            f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": json.dumps([line])}, headers=headers
        )
        assert response.status_code == 422, (line, response.text[:200])
        assert "importe fuera de rango" in response.json()["message"]
    # At the bound itself: accepted, and the totals are exact.
    line = {"descripcion": "x", "cantidad": "9", "pvpunitario": "9999999999.99", "codimpuesto": "IVA0"}
    response = client.post(
        f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": json.dumps([line])}, headers=headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["doc"]["total"] == 89999999999.91


def test_facturascripts_stores_what_a_double_holds_and_exports_it(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = _fs_headers(tenant)
    lines = [
        {"descripcion": "sin precio", "cantidad": "1e300", "pvpunitario": 0},
        {"descripcion": "descuento", "cantidad": 1, "pvpunitario": 0, "dtopor": "-1e300", "irpf": "1e300"},
        {"descripcion": "diminuto", "cantidad": "1e-300", "pvpunitario": "90071992547409.92"},
    ]
    form = {"codcliente": "1", "lineas": json.dumps(lines)}
    response = client.post(f"{FS}/crearFacturaCliente", data=form, headers=headers)
    assert response.status_code == 200, response.text
    doc = response.json()["doc"]
    assert doc["total"] == 0
    for kind in ("PDF", "XLS", "CSV"):
        exported = client.get(f"{FS}/exportarFacturaCliente/{doc['idfactura']}", params={"type": kind}, headers=headers)
        assert exported.status_code == 200, (kind, exported.text[:200])
    edited = client.put(
        f"{FS}/editarFacturaCliente/{doc['idfactura']}", data={"lineas": json.dumps(lines)}, headers=headers
    )
    assert edited.status_code == 200, edited.text
    refund = client.post(
        f"{FS}/crearFacturaRectificativaCliente",
        data={"idfactura": doc["idfactura"], "fecha": doc["fecha"]},
        headers=headers,
    )
    _assert_answer(refund, "facturascripts", _fs_shape)


def test_facturascripts_deeply_nested_lineas_and_settings_are_4xx(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = _fs_headers(tenant)
    for lineas in (
        "[" * DEEP + "]" * DEEP,
        '[{"descripcion": ' + "[" * DEEP + "]" * DEEP + "}]",
        '[{"descripcion": "x", "cantidad": ' + '{"a":' * DEEP + "1" + "}" * DEEP + "}]",
    ):
        for url, method in ((f"{FS}/crearFacturaCliente", "POST"), (f"{FS}/crearFacturaClientePut", "PUT")):
            response = client.request(
                method, url.replace("Put", ""), data={"codcliente": "1", "lineas": lineas}, headers=headers
            )
            assert response.status_code == 400, response.text[:200]
            assert response.json() == {"status": "error", "message": "Invalid lines"}
    drafts = client.get(f"{FS}/facturaclientes", params={"filter[editable]": "1"}, headers=headers).json()
    edited = client.put(
        f"{FS}/editarFacturaCliente/{drafts[0]['idfactura']}", data={"lineas": "[" * DEEP}, headers=headers
    )
    assert edited.status_code == 400
    # The settings' properties are JSON text a client writes and every later document reads.
    deep = "[" * DEEP + "]" * DEEP
    assert client.put(f"{FS}/settings/default", data={"properties": deep}, headers=headers).status_code == 200
    line = json.dumps([{"descripcion": "x", "pvpunitario": 1}])
    form = {"codcliente": "1", "codalmacen": "ALG", "codpago": "CONT", "codserie": "A", "lineas": line}
    response = client.post(f"{FS}/crearFacturaCliente", data=form, headers=headers)
    assert response.status_code < 500, response.text[:300]
    client.post(f"/_sandbox/tenants/{tenant['id']}/reset", headers=bearer(tenant["admin_token"]))


def test_facturascripts_refund_quantities_at_the_extremes_are_4xx(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = _fs_headers(tenant)
    line = json.dumps([{"descripcion": "x", "cantidad": 2, "pvpunitario": 1}])
    created = client.post(f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": line}, headers=headers)
    doc, (first,) = created.json()["doc"], created.json()["lines"]
    refund = f"refund_{first['idlinea']}"
    for value in HUGE:
        body = f'{{"idfactura": {doc["idfactura"]}, "fecha": "{doc["fecha"]}", "{refund}": {value}}}'
        response = client.post(
            f"{FS}/crearFacturaRectificativaCliente",
            content=body,
            headers={**headers, "Content-Type": "application/json"},
        )
        _assert_answer(response, "facturascripts", _fs_shape)
        assert response.status_code in (400, 422), (value, response.text[:200])
        form = {"idfactura": doc["idfactura"], "fecha": doc["fecha"], refund: value}
        response = client.post(f"{FS}/crearFacturaRectificativaCliente", data=form, headers=headers)
        assert response.status_code == 400, (value, response.text[:200])
    for value in HUGE + PRECISE:
        response = client.put(f"{FS}/productos/{'1'}", data={"precio": value}, headers=headers)
        _assert_answer(response, "facturascripts", _fs_shape)
        body = f'{{"referencia": "N{len(value)}", "precio": {value}}}'
        response = client.post(f"{FS}/productos", content=body, headers={**headers, "Content-Type": "application/json"})
        _assert_answer(response, "facturascripts", _fs_shape)


# -- the other APIs -------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def apis(client: TestClient, tenant: dict[str, Any]) -> Iterator[list[Api]]:
    fv = bearer(tenant["credentials"]["facturovia"]["read_write"])
    fv_client = client.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    fl = tenant["credentials"]["facturala"]
    fl_headers = {"Authorization": fl["token"]}
    fl_base = f"/facturala/facturala/api/companies/{fl['company_id']}/invoices"
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    fg_base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    fg = {"api_key": session["api_key"]}
    fg_client = client.get(f"{fg_base}/clients.json", params=fg).json()["clients"][0]["id"]
    fg_invoice = client.post(
        f"{fg_base}/invoices.json", params=fg, json={"client_id": fg_client, "lines": [{"description": "x"}]}
    ).json()["id"]
    admin = bearer(tenant["admin_token"])
    customer = {"idType": "CC", "idNumber": "1020304050", "name": "Cliente", "country": "Colombia"}

    def raw(value: str, template: str) -> bytes:
        return template.replace("NUMBER", value).encode()

    def fv_send(value: str) -> list[Any]:
        out = []
        for field in ("quantity", "unit_price", "vat_rate", "discount_percent"):
            item = '{"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": 21, "' + field + '": NUMBER}'
            body = raw(value, '{"client_id": "' + fv_client + '", "items": [' + item + "]}")
            out.append(
                client.post(
                    "/facturovia/api/invoices", content=body, headers={**fv, "Content-Type": "application/json"}
                )
            )
        return out

    def fl_send(value: str) -> list[Any]:
        out = []
        for field in ("quantity", "unitValue", "discount"):
            item = '{"name": "x", "quantity": 1, "unitValue": 1000, "' + field + '": NUMBER}'
            body = raw(value, '{"customer": ' + json.dumps(customer) + ', "items": [' + item + "]}")
            out.append(client.post(fl_base, content=body, headers={**fl_headers, "Content-Type": "application/json"}))
        return out

    def fg_send(value: str) -> list[Any]:
        out = []
        for field in ("amount", "price"):
            line = '{"description": "x", "amount": 1, "price": 1, "' + field + '": NUMBER}'
            body = raw(value, '{"client_id": ' + str(fg_client) + ', "lines": [' + line + "]}")
            out.append(
                client.post(
                    f"{fg_base}/invoices.json", params=fg, content=body, headers={"Content-Type": "application/json"}
                )
            )
            xml = f"<invoice><client-id>{fg_client}</client-id><lines type='array'><line><description>x</description>"
            xml += f"<{field}>{value}</{field}></line></lines></invoice>"
            out.append(
                client.post(
                    f"{fg_base}/invoices.xml", params=fg, content=xml, headers={"Content-Type": "application/xml"}
                )
            )
        for field in ("discount_percent", "iva_percent", "irpf_percent"):
            body = raw(value, '{"client_id": ' + str(fg_client) + ', "' + field + '": NUMBER}')
            out.append(
                client.post(
                    f"{fg_base}/invoices.json", params=fg, content=body, headers={"Content-Type": "application/json"}
                )
            )
        body = raw(value, '{"amount": NUMBER}')
        out.append(
            client.post(
                f"{fg_base}/invoices/{fg_invoice}/payments.json",
                params=fg,
                content=body,
                headers={"Content-Type": "application/json"},
            )
        )
        return out

    def control_send(value: str) -> list[Any]:
        url = f"/_sandbox/tenants/{tenant['id']}/faults"
        out = []
        for field in ("probability", "latency_ms", "times", "status"):
            body = raw(value, '{"api": "facturala", "status": 503, "' + field + '": NUMBER}')
            response = client.post(url, content=body, headers={**admin, "Content-Type": "application/json"})
            if response.status_code == 201:
                client.delete(f"{url}/{response.json()['id']}", headers=admin)
            out.append(response)
        return out

    yield [
        Api(
            "facturovia",
            fv_send,
            lambda: client.get("/facturovia/api/invoices", headers=fv).json(),
            lambda b: set(b.get("error", {})) >= {"code", "message"},
        ),
        Api(
            "facturala",
            fl_send,
            lambda: client.get(fl_base, headers=fl_headers).json(),
            lambda b: {"status", "code", "message"} <= set(b),
        ),
        Api(
            "facturagem",
            fg_send,
            lambda: client.get(f"{fg_base}/invoices.json", params=fg).json(),
            lambda b: "errors" in b,
        ),
        Api(
            "control",
            control_send,
            lambda: client.get(f"/_sandbox/tenants/{tenant['id']}/faults", headers=admin).json(),
            lambda b: set(b.get("error", {})) >= {"code", "message"},
        ),
    ]


@pytest.mark.parametrize("value", HUGE + PRECISE)
def test_every_api_answers_extreme_numbers_without_a_5xx(apis: list[Api], value: str) -> None:
    for api in apis:
        for response in api.send(value):
            _assert_answer(response, api.name, api.shape)


def test_the_journal_reads_after_deeply_nested_bodies_on_every_api(client: TestClient, tenant: dict[str, Any]) -> None:
    nested = b'{"a":' * DEEP + b"1" + b"}" * DEEP
    fl = tenant["credentials"]["facturala"]
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    targets = [
        ("/facturovia/api/invoices", bearer(tenant["credentials"]["facturovia"]["read_write"]), {}),
        (f"/facturala/facturala/api/companies/{fl['company_id']}/invoices", {"Authorization": fl["token"]}, {}),
        (f"/facturagem/api/v1/accounts/{session['account_id']}/invoices.json", {}, {"api_key": session["api_key"]}),
        (f"{FS}/clientes", _fs_headers(tenant), {}),
        (f"/_sandbox/tenants/{tenant['id']}/faults", bearer(tenant["admin_token"]), {}),
    ]
    for url, headers, params in targets:
        response = client.post(
            url, content=nested, params=params, headers={**headers, "Content-Type": "application/json"}
        )
        assert 400 <= response.status_code < 500, (url, response.status_code)
    journal = client.get(f"/_sandbox/tenants/{tenant['id']}/journal", headers=bearer(tenant["admin_token"]))
    assert journal.status_code == 200, journal.text[:300]

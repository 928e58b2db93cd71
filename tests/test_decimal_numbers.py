"""JSON numbers are Decimal end to end on every API (issue 13, finding 10).

`1.0049999999999999999` through a binary float is 1.005, which rounds half-up to 1.01; as
written it is just under the half, and rounds to 1.00. Each API that takes numbers is sent
that quantity with a unit price of 1 and no tax, in JSON (and FacturaScripts in its form
`lineas` too), and must bill 1.00.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox.validators import dumps_exact, loads

QUANTITY = "1.0049999999999999999"


def _raw(body: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
    # The number must reach the server as written: json.dumps would go through a float.
    return {"content": dumps_exact(body).encode(), "headers": {**(headers or {}), "Content-Type": "application/json"}}


def test_the_parser_keeps_every_digit_and_the_strict_checks() -> None:
    assert loads('{"q": 1.0049999999999999999, "n": 3, "e": 1.5e1}') == {
        "q": Decimal(QUANTITY),
        "n": 3,
        "e": Decimal("15"),
    }
    assert type(loads("3")) is int
    for bad in ('{"a": 1, "a": 2}', '{"a": NaN}', '{"a": -Infinity}', '{"a": 1e400}', '{"a": -2e308}'):
        with pytest.raises(ValueError):
            loads(bad)
    assert dumps_exact(loads('{"q": [1.0049999999999999999, 1E+2, "x"]}')) == '{"q":[1.0049999999999999999,1E+2,"x"]}'


def test_facturovia(client: TestClient, new_tenant: dict[str, Any]) -> None:
    headers = bearer(new_tenant["credentials"]["facturovia"]["read_write"])
    client_id = client.get("/facturovia/api/clients", headers=headers).json()["data"][0]["id"]
    item = {"description": "Pieza", "quantity": Decimal(QUANTITY), "unit_price": 1, "vat_rate": 0}
    body = {"client_id": client_id, "invoice_date": "2026-06-01", "items": [item]}
    created = client.post("/facturovia/api/invoices", **_raw(body, headers))
    assert created.status_code == 201, created.text
    assert (created.json()["items"][0]["net"], created.json()["total"]) == (1, 1)


def test_facturala(client: TestClient, new_tenant: dict[str, Any]) -> None:
    creds = new_tenant["credentials"]["facturala"]
    body = {
        "customer": {"name": "Ana Gómez", "idType": "CC", "idNumber": "1020304050"},
        "items": [{"name": "Servicio", "unitValue": 1, "quantity": Decimal(QUANTITY)}],
    }
    url = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    created = client.post(url, **_raw(body, {"Authorization": creds["token"]}))
    assert created.status_code == 201, created.text
    assert created.json()["items"][0]["total"] == 1


def test_facturagem(client: TestClient, new_tenant: dict[str, Any]) -> None:
    session = client.post("/facturagem/api/v1/session.json", data=new_tenant["credentials"]["facturagem"]).json()
    url = f"/facturagem/api/v1/accounts/{session['account_id']}/invoices.json"
    body = {
        "client_id": 3,
        "iva_percent": 0,
        "irpf_percent": 0,
        "lines": [{"description": "Logo", "amount": Decimal(QUANTITY), "price": 1}],
    }
    created = client.post(url, params={"api_key": session["api_key"]}, **_raw(body))
    assert created.status_code == 200, created.text
    assert created.json()["lines"][0]["total"] == 1


def test_facturascripts_json_and_form(client: TestClient, new_tenant: dict[str, Any]) -> None:
    headers = {"Token": new_tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.41"}
    url = "/facturascripts/api/3/crearFacturaCliente"
    line = {"descripcion": "Horas", "cantidad": Decimal(QUANTITY), "pvpunitario": 1, "codimpuesto": "IVA0"}
    as_json = client.post(url, **_raw({"codcliente": "1", "lineas": [line]}, headers))
    as_form = client.post(url, data={"codcliente": "1", "lineas": dumps_exact([line])}, headers=headers)
    for created in (as_json, as_form):
        assert created.status_code == 200, created.text
        # (the line's pvptotal is not rounded, as on the real server: a double, shown as 1.005)
        assert (created.json()["doc"]["neto"], created.json()["doc"]["total"]) == (1, 1)

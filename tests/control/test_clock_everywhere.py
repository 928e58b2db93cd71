"""A tenant's test clock sets every date the sandbox assigns, in every API."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from support import bearer

FROZEN = "2031-03-15T08:45:00Z"


def test_dates_follow_the_tenants_frozen_clock(client: TestClient, new_tenant: dict[str, Any]) -> None:
    admin, creds = bearer(new_tenant["admin_token"]), new_tenant["credentials"]
    assert (
        client.put(f"/_sandbox/tenants/{new_tenant['id']}/clock", json={"now": FROZEN}, headers=admin).status_code
        == 200
    )

    fv = bearer(creds["facturovia"]["read_write"])
    client_id = client.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    item = {"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": 21}
    invoice = client.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [item]}, headers=fv).json()
    assert invoice["invoice_date"] == "2031-03-15" and invoice["created_at"].startswith("2031-03-15T08:45")
    issued = client.post(f"/facturovia/api/invoices/{invoice['id']}/issue", headers=fv).json()
    assert issued["issued_at"].startswith("2031-03-15T08:45") and issued["number"] == "2031-0001"

    fl = creds["facturala"]
    created = client.post(
        f"/facturala/facturala/api/companies/{fl['company_id']}/invoices",
        json={
            "customer": {"name": "Ana", "idType": "CC", "idNumber": "1020304050"},
            "items": [{"name": "x", "unitValue": 1000, "quantity": 1}],
        },
        headers={"Authorization": fl["token"]},
    ).json()
    assert created["creationDate"].startswith("2031-03-15T08:45")

    session = client.post("/facturagem/api/v1/session.json", data=creds["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    key = {"api_key": session["api_key"]}
    fg_client = client.get(f"{base}/clients.json", params=key).json()["clients"][0]["id"]
    fg_invoice = client.post(
        f"{base}/invoices.json",
        params=key,
        json={"client_id": fg_client, "lines": [{"description": "x", "amount": 1, "price": 10}]},
    ).json()
    assert fg_invoice["date"] == "2031-03-15" and fg_invoice["number"].startswith("2031_")

    fs = {"Token": creds["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.31"}  # own IP: see the ban
    cliente = client.post(
        "/facturascripts/api/3/clientes", data={"nombre": "Reloj S.L.", "cifnif": "B87654323"}, headers=fs
    ).json()["data"]
    assert cliente["fechaalta"] == "15-03-2031"

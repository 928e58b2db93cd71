"""The control plane: tenants, admin tokens, reset, clock."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient
from support import OPERATOR, bearer


def test_health_and_apis(client: TestClient) -> None:
    assert client.get("/_sandbox/health").json()["status"] == "ok"
    names = [api["name"] for api in client.get("/_sandbox/apis").json()["data"]]
    assert "facturovia" in names


def test_a_new_tenant_gets_an_admin_token_and_every_apis_credentials(
    client: TestClient, new_tenant: dict[str, Any]
) -> None:
    assert new_tenant["admin_token"].startswith("sbx_admin_")
    creds = new_tenant["credentials"]["facturovia"]
    assert creds["read_write"].startswith("fv_live_") and creds["read_only"] != creds["read_write"]
    shown = client.get(f"/_sandbox/tenants/{new_tenant['id']}", headers=bearer(new_tenant["admin_token"])).json()
    assert "admin_token" not in shown and shown["credentials"] == new_tenant["credentials"]


def test_admin_tokens_only_reach_their_own_tenant(client: TestClient, new_tenant: dict[str, Any]) -> None:
    other = client.post("/_sandbox/tenants", json={"name": "other"}).json()
    mine = bearer(new_tenant["admin_token"])
    assert client.get(f"/_sandbox/tenants/{other['id']}", headers=mine).status_code == 404
    assert client.delete(f"/_sandbox/tenants/{other['id']}", headers=mine).status_code == 404
    assert client.get(f"/_sandbox/tenants/{other['id']}", headers=bearer("sbx_admin_wrong")).status_code == 401
    assert client.get(f"/_sandbox/tenants/{other['id']}", headers=bearer(OPERATOR)).status_code == 200
    listed = client.get("/_sandbox/tenants", headers=mine).json()["data"]
    assert [t["id"] for t in listed] == [new_tenant["id"]]
    error = client.get("/_sandbox/tenants/x", headers=bearer("nope")).json()["error"]
    assert error["type"] == "authentication_error" and "nope" not in str(error)


def test_reset_restores_the_fixtures_and_keeps_credentials(client: TestClient, new_tenant: dict[str, Any]) -> None:
    key = bearer(new_tenant["credentials"]["facturovia"]["read_write"])
    invoices = client.get("/facturovia/api/invoices", headers=key).json()["data"]
    draft = next(i for i in invoices if i["status"] == "draft")
    assert client.delete(f"/facturovia/api/invoices/{draft['id']}", headers=key).status_code == 204
    assert (
        client.post(
            f"/_sandbox/tenants/{new_tenant['id']}/reset", headers=bearer(new_tenant["admin_token"])
        ).status_code
        == 200
    )
    after = client.get("/facturovia/api/invoices", headers=key).json()["data"]
    assert len(after) == len(invoices)
    assert [i["number"] for i in after] == [i["number"] for i in invoices]


def test_deleting_a_tenant_revokes_its_credentials(client: TestClient, new_tenant: dict[str, Any]) -> None:
    admin = bearer(new_tenant["admin_token"])
    key = bearer(new_tenant["credentials"]["facturovia"]["read_write"])
    assert client.delete(f"/_sandbox/tenants/{new_tenant['id']}", headers=admin).status_code == 204
    assert client.get("/facturovia/api/invoices", headers=key).status_code == 401
    assert client.get(f"/_sandbox/tenants/{new_tenant['id']}", headers=admin).status_code == 401


def test_the_demo_tenant_is_there_and_cannot_be_deleted(client: TestClient, demo_admin: dict[str, str]) -> None:
    assert client.get("/_sandbox/tenants/demo", headers=demo_admin).json()["demo"] is True
    assert client.delete("/_sandbox/tenants/demo", headers=demo_admin).status_code == 409
    demo_key = bearer("fv_live_demo_rw_0000000000000000000000")
    assert client.get("/facturovia/api/invoices", headers=demo_key).status_code == 200


def test_the_clock_freezes_advances_and_goes_back_to_real_time(client: TestClient, new_tenant: dict[str, Any]) -> None:
    admin, tid = bearer(new_tenant["admin_token"]), new_tenant["id"]
    key = bearer(new_tenant["credentials"]["facturovia"]["read_write"])
    frozen = client.put(f"/_sandbox/tenants/{tid}/clock", json={"now": "2027-01-31T23:00:00Z"}, headers=admin).json()
    assert frozen["now"].startswith("2027-01-31T23:00:00")
    advanced = client.put(f"/_sandbox/tenants/{tid}/clock", json={"advance": "P30D"}, headers=admin).json()
    assert advanced["now"].startswith("2027-03-02T23:00:00")
    client_id = client.get("/facturovia/api/clients", headers=key).json()["data"][0]["id"]
    invoice = client.post(
        "/facturovia/api/invoices",
        json={"client_id": client_id, "items": [{"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": 21}]},
        headers=key,
    ).json()
    assert invoice["invoice_date"] == "2027-03-02"
    issued = client.post(f"/facturovia/api/invoices/{invoice['id']}/issue", headers=key).json()
    assert issued["number"] == "2027-0001"  # a new year starts a new sequence
    for bad in ({"advance": "P1M"}, {"now": "yesterday"}, {"advance": "P1D", "now": "2027-01-01"}):
        assert client.put(f"/_sandbox/tenants/{tid}/clock", json=bad, headers=admin).status_code in (400, 422)
    end = client.put(f"/_sandbox/tenants/{tid}/clock", json={"now": "9999-12-30T00:00:00Z"}, headers=admin)
    assert end.status_code == 200
    assert client.put(f"/_sandbox/tenants/{tid}/clock", json={"advance": "P7D"}, headers=admin).status_code == 409
    assert client.delete(f"/_sandbox/tenants/{tid}/clock", headers=admin).status_code == 204
    assert client.get(f"/_sandbox/tenants/{tid}/clock", headers=admin).status_code == 404
    shown = client.get(f"/_sandbox/tenants/{tid}", headers=admin).json()["clock"]
    assert shown["frozen_at"] is None and shown["offset_seconds"] == 0

"""One tenant's credentials never reach another tenant's data, and secrets never leak.

Two tenants start from the same fixtures, so ids coincide (invoice 1, account
1-kovacek-nienow, …): tenant B writes a record with a unique marker, and every route tenant A
can reach — lists, filters, ids guessed or enumerated, PDFs, the journal — must never show it.
"""

from __future__ import annotations

import logging
import secrets
from typing import Any

import pytest
from starlette.testclient import TestClient

MARKER = "ISOLATION-" + secrets.token_hex(6).upper()


@pytest.fixture(scope="module")
def pair(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    a = client.post("/_sandbox/tenants", json={"name": "tenant-a"}).json()
    b = client.post("/_sandbox/tenants", json={"name": "tenant-b"}).json()
    return a, b


def test_facturovia_ids_filters_and_pdfs_stay_inside_their_tenant(client: TestClient, pair: Any) -> None:
    a, b = pair
    key_a = {"Authorization": f"Bearer {a['credentials']['facturovia']['read_write']}"}
    key_b = {"Authorization": f"Bearer {b['credentials']['facturovia']['read_write']}"}
    base = "/facturovia/api"
    client_b = client.get(f"{base}/clients", headers=key_b).json()["data"][0]["id"]
    secret_invoice = client.post(
        f"{base}/invoices",
        json={
            "client_id": client_b,
            "external_reference": MARKER,
            "items": [{"description": MARKER, "quantity": 1, "unit_price": 1, "vat_rate": 21}],
        },
        headers=key_b,
    ).json()
    client.post(f"{base}/invoices/{secret_invoice['id']}/issue", headers=key_b)
    assert client.get(f"{base}/invoices/{secret_invoice['id']}", headers=key_a).status_code == 404
    assert client.get(f"{base}/invoices/{secret_invoice['id']}/pdf", headers=key_a).status_code == 404
    assert client.post(f"{base}/invoices/{secret_invoice['id']}/correct", headers=key_a).status_code == 404
    assert client.get(f"{base}/invoices", params={"external_reference": MARKER}, headers=key_a).json()["data"] == []
    assert MARKER not in client.get(f"{base}/invoices", headers=key_a).text
    # A's invoices may not name B's client either.
    response = client.post(
        f"{base}/invoices",
        json={"client_id": client_b, "items": [{"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": 21}]},
        headers=key_a,
    )
    assert response.status_code == 422


def test_facturala_companies_and_numbers_stay_inside_their_tenant(client: TestClient, pair: Any) -> None:
    a, b = pair
    creds_a, creds_b = a["credentials"]["facturala"], b["credentials"]["facturala"]
    base_b = f"/facturala/facturala/api/companies/{creds_b['company_id']}/invoices"
    base_a = f"/facturala/facturala/api/companies/{creds_a['company_id']}/invoices"
    body = {
        "customer": {"idType": "CC", "idNumber": "1020304050", "name": MARKER, "country": "Colombia"},
        "items": [{"name": MARKER, "description": "x", "quantity": 1, "unitValue": 1000}],
    }
    created = client.post(base_b, json=body, headers={"Authorization": creds_b["token"]})
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    # A's token on B's company: forbidden, whatever the route.
    for url in (base_b, f"{base_b}/{number}"):
        assert client.get(url, headers={"Authorization": creds_a["token"]}).status_code == 403
    assert (
        client.put(
            f"{base_b}/{number}/state", json={"state": "PAID"}, headers={"Authorization": creds_a["token"]}
        ).status_code
        == 403
    )
    # The same number under A's own company is A's invoice (or none), never B's.
    own = client.get(f"{base_a}/{number}", headers={"Authorization": creds_a["token"]})
    assert own.status_code in (200, 404) and MARKER not in own.text
    assert MARKER not in client.get(base_a, headers={"Authorization": creds_a["token"]}).text


def test_facturagem_accounts_and_clients_stay_inside_their_tenant(client: TestClient, pair: Any) -> None:
    a, b = pair
    session_a = client.post("/facturagem/api/v1/session.json", data=a["credentials"]["facturagem"]).json()
    session_b = client.post("/facturagem/api/v1/session.json", data=b["credentials"]["facturagem"]).json()
    assert session_a["api_key"] != session_b["api_key"]
    base_b = f"/facturagem/api/v1/accounts/{session_b['account_id']}"
    created = client.post(
        f"{base_b}/clients.json", params={"api_key": session_b["api_key"]}, json={"name": MARKER, "cif": "B87654323"}
    )
    assert created.status_code in (200, 201), created.text
    client_id = created.json()["id"]
    base_a = f"/facturagem/api/v1/accounts/{session_a['account_id']}"
    key_a = {"api_key": session_a["api_key"]}
    own = client.get(f"{base_a}/clients/{client_id}.json", params=key_a)
    assert own.status_code in (200, 404) and MARKER not in own.text
    assert MARKER not in client.get(f"{base_a}/clients.json", params=key_a).text
    # B's session key means nothing to... B only: A's logout leaves it working.
    assert client.delete("/facturagem/api/v1/session.json", params=key_a).status_code in (200, 204)
    assert client.get(f"{base_b}/clients.json", params={"api_key": session_b["api_key"]}).status_code == 200
    assert client.get(f"{base_a}/clients.json", params=key_a).status_code == 401


def test_facturascripts_records_and_filters_stay_inside_their_tenant(client: TestClient, pair: Any) -> None:
    a, b = pair
    # Own client addresses: FacturaScripts bans an IP after failed logins from other tests.
    token_a = {"Token": a["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.21"}
    token_b = {"Token": b["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.22"}
    base = "/facturascripts/api/3"
    created = client.post(f"{base}/clientes", data={"nombre": MARKER, "cifnif": "B87654323"}, headers=token_b)
    assert created.status_code == 200, created.text
    code = created.json()["data"]["codcliente"]
    own = client.get(f"{base}/clientes/{code}", headers=token_a)
    assert own.status_code in (200, 404) and MARKER not in own.text
    filtered = client.get(f"{base}/clientes", params={"filter[nombre_like]": MARKER}, headers=token_a)
    assert filtered.status_code == 200 and filtered.json() == []
    assert filtered.headers["x-total-count"] == "0"


def test_secrets_never_reach_logs_journals_or_error_bodies(
    client: TestClient, pair: Any, caplog: pytest.LogCaptureFixture
) -> None:
    a, _ = pair
    admin = {"Authorization": f"Bearer {a['admin_token']}"}
    secrets_of_a = [
        a["admin_token"],
        a["credentials"]["facturovia"]["read_write"],
        a["credentials"]["facturala"]["token"],
        a["credentials"]["facturascripts"]["token"],
        a["credentials"]["facturagem"]["password"],
    ]
    bogus = "fv_live_" + secrets.token_hex(16)
    caplog.set_level(logging.DEBUG)
    bodies = [
        client.get("/facturovia/api/invoices", headers={"Authorization": f"Bearer {bogus}"}).text,
        client.get("/facturovia/api/invoices", headers={"Authorization": f"Bearer {secrets_of_a[1]}"}).text,
        client.get("/facturascripts/api/3/clientes", headers={"Token": bogus, "X-Forwarded-For": "198.51.100.23"}).text,
        client.get("/_sandbox/tenants/" + a["id"], headers={"Authorization": f"Bearer {bogus}"}).text,
        client.post("/facturagem/api/v1/session.json", data=a["credentials"]["facturagem"]).text,
        client.get(
            f"/facturala/facturala/api/companies/{a['credentials']['facturala']['company_id']}/invoices",
            headers={"Authorization": a["credentials"]["facturala"]["token"]},
        ).text,
    ]
    journal = client.get(f"/_sandbox/tenants/{a['id']}/journal", params={"limit": 500}, headers=admin).text
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in [*secrets_of_a, bogus]:
        assert secret not in journal, "a credential reached the journal"
        assert secret not in logged, "a credential reached the logs"
    for body in bodies[:4]:
        assert bogus not in body and secrets_of_a[1] not in body, "an error body echoed a credential"

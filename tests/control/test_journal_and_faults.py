"""The request journal, fault rules and the Prefer header, per tenant."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from server_process import SandboxProcess
from starlette.testclient import TestClient
from support import bearer

ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


@pytest.fixture
def two(client: TestClient) -> tuple[dict[str, Any], dict[str, Any]]:
    def make() -> dict[str, Any]:
        tenant = client.post("/_sandbox/tenants", json={}).json()
        return {
            "id": tenant["id"],
            "admin": bearer(tenant["admin_token"]),
            "key": bearer(tenant["credentials"]["facturovia"]["read_write"]),
            "secret": tenant["credentials"]["facturovia"]["read_write"],
        }

    return make(), make()


def _journal(client: TestClient, t: dict[str, Any], **params: Any) -> list[dict[str, Any]]:
    response = client.get(f"/_sandbox/tenants/{t['id']}/journal", params=params, headers=t["admin"])
    assert response.status_code == 200, response.text
    return response.json()["data"]


def test_the_journal_records_each_exchange_newest_first_with_secrets_masked(client: TestClient, two: Any) -> None:
    a, _ = two
    client_id = client.get("/facturovia/api/clients", headers=a["key"]).json()["data"][0]["id"]
    created = client.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=a["key"])
    assert created.status_code == 201
    entries = _journal(client, a)
    newest, older = entries[0], entries[1]
    assert (newest["method"], newest["path"], newest["status"]) == ("POST", "/facturovia/api/invoices", 201)
    assert newest["operation_id"] == "createInvoice" and newest["api"] == "facturovia"
    assert older["operation_id"] == "listClients"
    assert newest["conforms"] is True and newest["violations"] == []
    assert newest["request"]["headers"]["authorization"] == "***"
    assert '"Pieza"' in newest["request"]["body"]
    assert created.json()["id"] in newest["response"]["body"]
    assert newest["duration_ms"] > 0
    assert a["secret"] not in str(entries)


def test_the_journal_flags_exchanges_that_break_the_contract_and_filters(client: TestClient, two: Any) -> None:
    a, _ = two
    bad = client.post("/facturovia/api/invoices", json={"client_id": "not-a-uuid", "items": []}, headers=a["key"])
    assert bad.status_code == 422
    (entry,) = _journal(client, a, status=422)
    assert entry["conforms"] is False
    assert any("request" in v for v in entry["violations"])
    assert _journal(client, a, conforms="false")[0]["id"] == entry["id"]
    assert _journal(client, a, api="facturala") == []
    assert client.delete(f"/_sandbox/tenants/{a['id']}/journal", headers=a["admin"]).status_code == 204
    assert _journal(client, a) == []


def test_journals_are_private_to_their_tenant(client: TestClient, two: Any) -> None:
    a, b = two
    client.get("/facturovia/api/invoices", headers=a["key"])
    assert _journal(client, b) == []
    assert client.get(f"/_sandbox/tenants/{a['id']}/journal", headers=b["admin"]).status_code == 404
    client.get("/facturovia/api/invoices", headers=bearer("fv_live_unknown"))  # a 401: nobody's
    assert len(_journal(client, a)) == 1


def test_a_fault_rule_answers_in_the_apis_shape_for_the_next_n_calls_only(client: TestClient, two: Any) -> None:
    a, b = two
    rule = client.post(
        f"/_sandbox/tenants/{a['id']}/faults",
        json={"api": "facturovia", "operation_id": "listInvoices", "status": 503, "times": 2},
        headers=a["admin"],
    )
    assert rule.status_code == 201
    statuses = [client.get("/facturovia/api/invoices", headers=a["key"]).status_code for _ in range(3)]
    assert statuses == [503, 503, 200]
    failed = client.get("/facturovia/api/invoices", headers=a["key"])
    assert failed.status_code == 200
    # Another tenant's calls are never touched.
    client.post(f"/_sandbox/tenants/{a['id']}/faults", json={"status": 500}, headers=a["admin"])
    assert client.get("/facturovia/api/invoices", headers=b["key"]).status_code == 200
    hit = client.get("/facturovia/api/clients", headers=a["key"])
    assert hit.status_code == 500
    assert hit.json()["error"]["code"] == "injected_fault"
    assert "fault injected" in hit.headers["x-sandbox-warning"]
    assert _journal(client, a)[0]["warnings"][0].startswith("fault injected")
    listed = client.get(f"/_sandbox/tenants/{a['id']}/faults", headers=a["admin"]).json()["data"]
    assert [r["status"] for r in listed] == [500]
    assert client.delete(f"/_sandbox/tenants/{a['id']}/faults/{listed[0]['id']}", headers=a["admin"]).status_code == 204
    assert client.get("/facturovia/api/clients", headers=a["key"]).status_code == 200


def test_path_globs_methods_and_probability(client: TestClient, two: Any) -> None:
    a, _ = two
    client.post(
        f"/_sandbox/tenants/{a['id']}/faults",
        json={"path": "/invoices/*", "method": "GET", "status": 429},
        headers=a["admin"],
    )
    client.post(
        f"/_sandbox/tenants/{a['id']}/faults",
        json={"path": "/quotes", "status": 502, "probability": 0},
        headers=a["admin"],
    )
    invoice_id = client.get("/facturovia/api/invoices", headers=a["key"]).json()["data"][0]["id"]
    assert client.get(f"/facturovia/api/invoices/{invoice_id}", headers=a["key"]).status_code == 429
    assert client.get("/facturovia/api/quotes", headers=a["key"]).status_code == 200  # probability 0


def test_latency_and_empty_responses(client: TestClient, two: Any) -> None:
    a, _ = two
    client.post(
        f"/_sandbox/tenants/{a['id']}/faults", json={"latency_ms": 150, "empty": True, "times": 1}, headers=a["admin"]
    )
    response = client.get("/facturovia/api/invoices", headers=a["key"])
    assert response.status_code == 200 and response.content == b""
    assert response.elapsed.total_seconds() >= 0.15


@pytest.mark.slow
def test_a_dropped_connection_breaks_the_response_on_a_real_server() -> None:
    with SandboxProcess(None) as server, httpx.Client(base_url=server.base, timeout=10) as http:
        tenant = http.post("/_sandbox/tenants", json={}).json()
        admin = bearer(tenant["admin_token"])
        key = bearer(tenant["credentials"]["facturovia"]["read_write"])
        http.post(f"/_sandbox/tenants/{tenant['id']}/faults", json={"drop": True, "times": 1}, headers=admin)
        with pytest.raises(httpx.RemoteProtocolError):
            http.get("/facturovia/api/invoices", headers=key)
        assert http.get("/facturovia/api/invoices", headers=key).status_code == 200


def test_prefer_header_forces_a_status_or_latency_for_one_call(client: TestClient, two: Any) -> None:
    a, _ = two
    forced = client.get("/facturovia/api/invoices", headers={**a["key"], "Prefer": "code=503"})
    assert forced.status_code == 503 and set(forced.json()["error"]) == {"code", "message", "fields"}
    slow = client.get("/facturovia/api/invoices", headers={**a["key"], "Prefer": "latency=120"})
    assert slow.status_code == 200 and slow.elapsed.total_seconds() >= 0.12
    # An impossible preference is invalid input: Facturovia answers those 422.
    assert client.get("/facturovia/api/invoices", headers={**a["key"], "Prefer": "code=200"}).status_code == 422
    # Credentials are checked first, as on a real API.
    assert client.get("/facturovia/api/invoices", headers={"Prefer": "code=503"}).status_code == 401


def test_invalid_fault_rules_are_refused(client: TestClient, two: Any) -> None:
    a, _ = two
    for body in ({}, {"status": 200}, {"latency_ms": 999999}, {"drop": False}, {"status": 500, "colour": "red"}):
        response = client.post(f"/_sandbox/tenants/{a['id']}/faults", json=body, headers=a["admin"])
        assert response.status_code in (400, 422), body
    assert client.get(f"/_sandbox/tenants/{a['id']}/faults", headers=a["admin"]).json()["data"] == []


def test_faults_end_with_their_tenant(client: TestClient, two: Any) -> None:
    a, _ = two
    client.post(f"/_sandbox/tenants/{a['id']}/faults", json={"status": 500}, headers=a["admin"])
    sandbox = client.app.sandbox  # type: ignore[attr-defined]
    assert sandbox.faults.list(a["id"])
    assert client.delete(f"/_sandbox/tenants/{a['id']}", headers=a["admin"]).status_code == 204
    assert sandbox.faults.list(a["id"]) == []

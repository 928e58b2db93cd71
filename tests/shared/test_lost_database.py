"""The database goes away mid-run: every API answers 503 in its own shape, never 500, and
nothing is half-written; once it is back, the same replica serves on without a restart.

The server is the module's own, stopped abruptly (`pg_ctl -m immediate`: a crash) and
started again. Responses are validated against the contracts (a 503 must be documented).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import OPERATOR, PROXY, PROXY_CIDR, bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

FS = "/facturascripts/api/3"
FS_LINES = json.dumps([{"descripcion": "Instalación", "cantidad": 1, "pvpunitario": 10, "codimpuesto": "IVA21"}])
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


@pytest.fixture(scope="module")
def served(own_postgres_server: Any) -> Iterator[tuple[TestClient, Any]]:
    url = own_postgres_server.create_database("lost")
    settings = Settings(
        data_dir=None, store_url=url, validate_responses=True, operator_token=OPERATOR, trusted_proxies=(PROXY_CIDR,)
    )
    with TestClient(create_app(settings), raise_server_exceptions=False, client=PROXY) as client:
        yield client, own_postgres_server


def _calls(t: dict[str, Any], session_key: str, fv_client: str) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """One read and one write of every API: (method, path, request options)."""
    creds = t["credentials"]
    fv = bearer(creds["facturovia"]["read_write"])
    fs = {"X-Auth-Token": creds["facturascripts"]["token"], "X-Forwarded-For": "203.0.113.9"}
    fl = {"Authorization": creds["facturala"]["token"]}
    fl_base = f"/facturala/facturala/api/companies/{creds['facturala']['company_id']}/invoices"
    fg = f"/facturagem/api/v1/accounts.json?api_key={session_key}"
    admin = bearer(t["admin_token"])
    return {
        "facturovia read": ("GET", "/facturovia/api/invoices", {"headers": fv}),
        "facturovia write": (
            "POST", "/facturovia/api/invoices", {"headers": fv, "json": {"client_id": fv_client, "items": [ITEM]}},
        ),
        "facturascripts read": ("GET", f"{FS}/facturaclientes", {"headers": fs}),
        "facturascripts write": (
            "POST", f"{FS}/crearFacturaCliente", {"headers": fs, "data": {"codcliente": "1", "lineas": FS_LINES}},
        ),
        "facturala read": ("GET", fl_base, {"headers": fl}),
        "facturagem read": ("GET", fg, {}),
        "control plane read": ("GET", f"/_sandbox/tenants/{t['id']}", {"headers": admin}),
        "control plane write": ("POST", "/_sandbox/tenants", {"headers": bearer(OPERATOR), "json": {}}),
    }  # fmt: skip


def _shape_ok(name: str, response: Any) -> bool:
    body = response.json()
    if name.startswith("facturovia"):
        return body["error"]["code"] == "storage_unavailable"
    if name.startswith("facturascripts"):
        return body["status"] == "error" and body["message"]
    if name.startswith("facturala"):
        return body["status"] == 503 and body["code"] == "storage_unavailable"
    if name.startswith("facturagem"):
        return "cannot store data" in body["errors"]["base"][0]
    return body["error"]["code"] == "storage_unavailable"


def test_a_lost_database_is_503_in_each_apis_shape_then_service_resumes(served):
    client, server = served
    tenant = client.post("/_sandbox/tenants", json={}, headers=bearer(OPERATOR)).json()
    fv = bearer(tenant["credentials"]["facturovia"]["read_write"])
    fv_client = client.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    calls = _calls(tenant, session["api_key"], fv_client)
    before = {name: client.request(m, p, **kw) for name, (m, p, kw) in calls.items() if "read" in name}
    assert all(r.status_code == 200 for r in before.values()), {n: r.text for n, r in before.items()}
    fs_before = before["facturascripts read"].json()

    server.stop()
    try:
        for name, (method, path, options) in calls.items():
            response = client.request(method, path, **options)
            assert response.status_code == 503, (name, response.status_code, response.text)
            assert _shape_ok(name, response), (name, response.text)
    finally:
        server.start()

    deadline = time.monotonic() + 30
    while client.get("/facturovia/api/invoices", headers=fv).status_code != 200:
        assert time.monotonic() < deadline, "the replica did not reconnect"
        time.sleep(0.2)
    # Nothing the outage refused was written, and numbering goes on without a gap.
    after = client.request(*calls["facturascripts read"][:2], **calls["facturascripts read"][2])
    assert after.json() == fs_before
    method, path, options = calls["facturascripts write"]
    created = client.request(method, path, **options)
    assert created.status_code == 200, created.text
    numbers = sorted(int(i["numero"]) for i in [*fs_before, created.json()["doc"]] if i["codserie"] == "A")
    assert numbers == list(range(numbers[0], numbers[0] + len(numbers)))
    assert len(client.get("/facturovia/api/invoices", headers=fv).json()["data"]) == len(
        before["facturovia read"].json()["data"]
    )

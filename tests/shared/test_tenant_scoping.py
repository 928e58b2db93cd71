"""No query path of the PostgreSQL store can return another tenant's rows.

Every statement the sandbox sends is recorded while one tenant's clients exercise every API
(lists, filters, gets, writes, files, the journal, fault rules, bans) beside a second tenant
holding the same keys; then: each statement that reads or writes a tenant-scoped table names
the tenant (`tenant_id = …`, or the tenant's column in an INSERT), and nothing the first
tenant read carries the second tenant's marker.
"""

from __future__ import annotations

import json
import re
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient
from support import OPERATOR, PROXY, PROXY_CIDR, bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

TENANT_TABLES = ("documents", "sequences", "files", "journal", "fault_rules", "address_use")
FS = "/facturascripts/api/3"
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


@pytest.fixture
def recorded(postgres_server: Any, monkeypatch: pytest.MonkeyPatch) -> tuple[TestClient, list[str]]:
    statements: list[str] = []
    for cls in (psycopg.Connection, psycopg.Cursor):
        original = cls.execute

        def execute(self: Any, query: Any, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            statements.append(query.decode() if isinstance(query, bytes) else str(query))
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(cls, "execute", execute)
    original_many = psycopg.Cursor.executemany

    def executemany(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        statements.append(str(query))
        return original_many(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "executemany", executemany)
    url = postgres_server.create_database("scoping")
    settings = Settings(data_dir=None, store_url=url, operator_token=OPERATOR, trusted_proxies=(PROXY_CIDR,))
    return TestClient(create_app(settings), raise_server_exceptions=False, client=PROXY), statements


def _exercise(client: TestClient, t: dict[str, Any], marker: str) -> list[str]:
    """Every kind of read and write of every API; the bodies read."""
    creds = t["credentials"]
    fv = bearer(creds["facturovia"]["read_write"])
    fs = {"X-Auth-Token": creds["facturascripts"]["token"], "X-Forwarded-For": "203.0.113.40"}
    fl = {"Authorization": creds["facturala"]["token"]}
    admin = bearer(t["admin_token"])
    bodies = []
    client_id = client.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    body = {"client_id": client_id, "items": [ITEM], "external_reference": marker}
    invoice = client.post("/facturovia/api/invoices", json=body, headers=fv).json()
    bodies.append(client.get(f"/facturovia/api/invoices/{invoice['id']}", headers=fv).text)
    bodies.append(client.get("/facturovia/api/invoices", params={"external_reference": marker}, headers=fv).text)
    bodies.append(client.get("/facturovia/api/invoices", headers=fv).text)
    client.post(f"{FS}/clientes", data={"nombre": marker, "cifnif": "B12345678"}, headers=fs)
    for params in ({"filter[nombre_like]": marker[:4]}, {"sort[nombre]": "DESC", "limit": 5}, {}):
        bodies.append(client.get(f"{FS}/clientes", params=params, headers=fs).text)
    client.post(f"{FS}/uploadFiles", headers=fs, files=[("files[]", (f"{marker}.txt", marker.encode(), "text/plain"))])
    bodies.append(client.get(f"{FS}/attachedfiles", headers=fs).text)
    base = f"/facturala/facturala/api/companies/{creds['facturala']['company_id']}/invoices"
    bodies.append(client.get(base, headers=fl).text)
    session = client.post("/facturagem/api/v1/session.json", data=creds["facturagem"]).json()
    account = f"/facturagem/api/v1/accounts/{session['account_id']}"
    bodies.append(client.get(f"{account}/invoices.json", params={"api_key": session["api_key"]}).text)
    bodies.append(client.get(f"{account}/clients.json", params={"api_key": session["api_key"], "page": 1}).text)
    client.post(
        f"/_sandbox/tenants/{t['id']}/faults", json={"api": "facturala", "status": 500, "times": 1}, headers=admin
    )
    bodies.append(client.get(f"/_sandbox/tenants/{t['id']}/faults", headers=admin).text)
    bodies.append(client.get(f"/_sandbox/tenants/{t['id']}/journal", headers=admin).text)
    bodies.append(client.get(f"/_sandbox/tenants/{t['id']}/bans", headers=admin).text)
    return bodies


def _unscoped(statement: str) -> bool:
    text = " ".join(statement.split())
    if not re.search(rf"\.({'|'.join(TENANT_TABLES)})\b", text) or text.startswith(
        ("CREATE", "DROP", "ALTER", "COMMENT")
    ):
        return False
    if "tenant_id = " in text or "tenant_id <> " in text:
        return False
    # An INSERT names the tenant in its column list (the statement's first parameter).
    return not re.match(r"^(WITH .*)?INSERT INTO \S+ \(tenant_id,", text)


def test_every_statement_on_a_tenant_table_names_its_tenant(recorded):
    client, statements = recorded
    with client:
        theirs = client.post("/_sandbox/tenants", json={}, headers=bearer(OPERATOR)).json()
        _exercise(client, theirs, "THEIRSmarker")
        mine = client.post("/_sandbox/tenants", json={}, headers=bearer(OPERATOR)).json()
        statements.clear()
        bodies = _exercise(client, mine, "MINEmarker")
    assert sum(bool(re.search(r"\.(documents|files)\b", s)) for s in statements) > 20, "nothing was recorded"
    unscoped = sorted({s for s in statements if _unscoped(s)})
    assert unscoped == [], json.dumps(unscoped, indent=1)
    assert all("THEIRSmarker" not in body for body in bodies)
    assert any("MINEmarker" in body for body in bodies)


def test_the_check_sees_a_statement_that_does_not_name_its_tenant():
    assert _unscoped("SELECT raw FROM s.documents WHERE collection = 'fv_invoices' AND key = %s::jsonb")
    assert _unscoped("DELETE FROM s.files WHERE name = %s")
    assert not _unscoped("SELECT raw FROM s.documents WHERE tenant_id = %s AND collection = 'fv_invoices'")
    assert not _unscoped("INSERT INTO s.files (tenant_id, name, content, size) VALUES (%s, %s, %s, %s)")

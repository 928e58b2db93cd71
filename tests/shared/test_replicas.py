"""Two sandboxes on one PostgreSQL database: what one acknowledges, the other sees at once.

Each replica is a whole app in this process with its own connections (as two `serve`
processes have); nothing passes between them but the database. Every check reads through
the replica that did not write.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import OPERATOR, PROXY, PROXY_CIDR, bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

FS = "/facturascripts/api/3"
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


def _replica(store_url: str) -> TestClient:
    settings = Settings(
        data_dir=None, store_url=store_url, validate_responses=True, operator_token=OPERATOR,
        trusted_proxies=(PROXY_CIDR,),
    )  # fmt: skip
    return TestClient(create_app(settings), raise_server_exceptions=False, client=PROXY)


@pytest.fixture(scope="module")
def replicas(postgres_server: Any) -> Iterator[tuple[TestClient, TestClient]]:
    url = postgres_server.create_database("replicas")
    with _replica(url) as a, _replica(url) as b:
        yield a, b


@pytest.fixture
def tenant(replicas: tuple[TestClient, TestClient]) -> dict[str, Any]:
    a, _ = replicas
    created = a.post("/_sandbox/tenants", json={"name": "replicated"}, headers=bearer(OPERATOR))
    assert created.status_code == 201, created.text
    return created.json()


def _facturovia(t: dict[str, Any]) -> dict[str, str]:
    return bearer(t["credentials"]["facturovia"]["read_write"])


def _fs(t: dict[str, Any], ip: str = "203.0.113.7") -> dict[str, str]:
    return {"X-Auth-Token": t["credentials"]["facturascripts"]["token"], "X-Forwarded-For": ip}


def test_a_tenant_created_on_one_replica_is_served_by_the_other_on_every_api(replicas, tenant):
    _, b = replicas
    creds = tenant["credentials"]
    assert b.get("/facturovia/api/clients", headers=_facturovia(tenant)).status_code == 200
    assert b.get(f"{FS}/clientes", headers=_fs(tenant)).status_code == 200
    company = creds["facturala"]["company_id"]
    facturala = b.get(
        f"/facturala/facturala/api/companies/{company}/invoices", headers={"Authorization": creds["facturala"]["token"]}
    )
    assert facturala.status_code == 200, facturala.text
    session = b.post("/facturagem/api/v1/session.json", data=creds["facturagem"])
    assert session.status_code in (200, 201), session.text
    assert b.get(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"])).status_code == 200


def test_a_facturagem_session_opened_on_one_replica_works_and_ends_on_the_other(replicas, tenant):
    a, b = replicas
    session = a.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    key = {"api_key": session["api_key"]}
    assert b.get("/facturagem/api/v1/accounts.json", params=key).status_code == 200
    assert a.delete("/facturagem/api/v1/session.json", params=key).status_code in (200, 204)
    assert b.get("/facturagem/api/v1/accounts.json", params=key).status_code == 401


def test_a_key_created_then_disabled_on_one_replica_is_so_on_the_other(replicas, tenant):
    a, b = replicas
    new_key = "replicaKey" + secrets.token_hex(8)
    form = {"description": "ci", "nick": "admin", "fullaccess": "1", "enabled": "1", "apikey": new_key}
    extra = a.post(f"{FS}/apikeyes", headers=_fs(tenant), data=form)
    assert extra.status_code == 200, extra.text
    assert b.get(f"{FS}/clientes", headers={**_fs(tenant), "X-Auth-Token": new_key}).status_code == 200
    disabled = a.put(f"{FS}/apikeyes/{extra.json()['data']['id']}", headers=_fs(tenant), data={"enabled": "0"})
    assert disabled.status_code == 200, disabled.text
    assert b.get(f"{FS}/clientes", headers={**_fs(tenant), "X-Auth-Token": new_key}).status_code == 401
    assert a.delete(f"{FS}/apikeyes/{extra.json()['data']['id']}", headers=_fs(tenant)).status_code == 200
    # Deleted on A: the value is free again for anyone, on B as well.
    other = b.post("/_sandbox/tenants", json={}, headers=bearer(OPERATOR)).json()
    taken = b.post(f"{FS}/apikeyes", headers=_fs(other), data=form)
    assert taken.status_code == 200, taken.text


def test_a_clock_moved_on_one_replica_dates_the_others_invoices(replicas, tenant):
    a, b = replicas
    admin = bearer(tenant["admin_token"])
    moved = a.put(f"/_sandbox/tenants/{tenant['id']}/clock", json={"now": "2031-03-04T10:00:00Z"}, headers=admin)
    assert moved.status_code == 200, moved.text
    client_id = b.get("/facturovia/api/clients", headers=_facturovia(tenant)).json()["data"][0]["id"]
    created = b.post(
        "/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=_facturovia(tenant)
    )
    assert created.status_code == 201, created.text
    assert created.json()["invoice_date"] == "2031-03-04"


def test_clock_advances_on_both_replicas_at_once_all_count(replicas, tenant):
    a, b = replicas
    admin = bearer(tenant["admin_token"])
    url = f"/_sandbox/tenants/{tenant['id']}/clock"
    assert a.put(url, json={"now": "2031-01-01T00:00:00Z"}, headers=admin).status_code == 200
    advances = 24

    def advance(n: int) -> int:
        return (a if n % 2 else b).put(url, json={"advance": "P1D"}, headers=admin).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(advance, range(advances)))
    assert statuses == [200] * advances
    now = b.get(url, headers=admin).json()["now"]
    assert now.startswith("2031-01-25T00:00"), now  # 24 days later: no advance was lost


def test_a_plan_changed_on_one_replica_holds_on_the_other(replicas, tenant):
    a, b = replicas
    changed = a.patch(f"/_sandbox/tenants/{tenant['id']}", json={"plan": "free"}, headers=bearer(tenant["admin_token"]))
    assert changed.status_code == 200, changed.text
    seen = b.get(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(tenant["admin_token"])).json()
    assert seen["plan"] == "free"


def test_a_fault_rule_added_on_one_replica_fires_on_the_other_exactly_its_times(replicas, tenant):
    a, b = replicas
    rule = a.post(
        f"/_sandbox/tenants/{tenant['id']}/faults",
        json={"api": "facturovia", "operation_id": "listClients", "status": 503, "times": 3},
        headers=bearer(tenant["admin_token"]),
    )
    assert rule.status_code == 201, rule.text
    statuses = [
        (a if n % 2 else b).get("/facturovia/api/clients", headers=_facturovia(tenant)).status_code for n in range(6)
    ]
    assert statuses == [503, 503, 503, 200, 200, 200]
    assert b.get(f"/_sandbox/tenants/{tenant['id']}/faults", headers=bearer(tenant["admin_token"])).json()["data"] == []


def test_incidents_on_both_replicas_add_up_to_one_ban(replicas, tenant):
    a, b = replicas
    ip = "198.51.100.23"
    bad = {"X-Auth-Token": "not-a-key", "X-Forwarded-For": ip}
    assert [(a, b)[n % 2].get(f"{FS}/clientes", headers=bad).status_code for n in range(5)] == [401] * 5
    assert a.get(f"{FS}/clientes", headers=bad).status_code == 429
    assert b.get(f"{FS}/clientes", headers=bad).status_code == 429


def test_a_tenant_reset_or_deleted_on_one_replica_is_so_on_the_other(replicas, tenant):
    a, b = replicas
    admin = bearer(tenant["admin_token"])
    client_id = a.get("/facturovia/api/clients", headers=_facturovia(tenant)).json()["data"][0]["id"]
    a.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=_facturovia(tenant))
    assert len(b.get("/facturovia/api/invoices", headers=_facturovia(tenant)).json()["data"]) >= 1
    assert a.post(f"/_sandbox/tenants/{tenant['id']}/reset", headers=admin).status_code == 200
    before = b.get("/facturovia/api/invoices", headers=_facturovia(tenant)).json()["data"]
    assert all(i["id"] != client_id for i in before)
    assert not [i for i in before if i["items"] and i["items"][0]["description"] == "Pieza"]
    assert a.delete(f"/_sandbox/tenants/{tenant['id']}", headers=admin).status_code == 204
    assert b.get("/facturovia/api/invoices", headers=_facturovia(tenant)).status_code == 401
    assert b.get(f"{FS}/clientes", headers=_fs(tenant)).status_code == 401
    assert b.get(f"/_sandbox/tenants/{tenant['id']}", headers=admin).status_code == 401


def test_the_journal_read_through_one_replica_shows_what_the_other_served(replicas, tenant):
    a, b = replicas
    served = b.get("/facturovia/api/clients", headers=_facturovia(tenant))
    assert served.status_code == 200
    deadline = time.monotonic() + 5
    while True:  # the other replica writes its journal in the background, within milliseconds
        entries = a.get(f"/_sandbox/tenants/{tenant['id']}/journal", headers=bearer(tenant["admin_token"])).json()[
            "data"
        ]
        if entries or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    (entry,) = [e for e in entries if e["operation_id"] == "listClients"]
    assert entry["status"] == 200 and entry["conforms"] is True, entry
    assert entry["request"]["headers"]["authorization"] == "***"
    assert tenant["credentials"]["facturovia"]["read_write"] not in json.dumps(entries)


def test_logins_racing_on_both_replicas_open_one_facturagem_session(replicas, tenant):
    a, b = replicas
    credentials = tenant["credentials"]["facturagem"]
    with ThreadPoolExecutor(8) as pool:
        sessions = list(
            pool.map(lambda n: (a, b)[n % 2].post("/facturagem/api/v1/session.json", data=credentials), range(8))
        )
    assert all(s.status_code in (200, 201) for s in sessions), [s.text for s in sessions]
    keys = {s.json()["api_key"] for s in sessions}
    assert len(keys) == 1, keys  # every client was given the one session, and it stays valid
    assert b.get("/facturagem/api/v1/accounts.json", params={"api_key": keys.pop()}).status_code == 200

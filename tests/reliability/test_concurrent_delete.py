"""A tenant deleted while its requests are in flight (issue 13, finding 3).

A served sandbox on a file store; a write of every API is held between authentication and its
handler (a fault rule's latency, which applies after the credentials are checked), or inside
the handler before its store write (a pause injected into FacturaScripts' upload reading);
meanwhile the control plane deletes the tenant. The held request must answer the API's own
401, never a 500, and leave nothing behind: no data or log file, no uploaded file, no journal
and no credential of the deleted tenant.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from support import bearer, serving

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

OPERATOR = "concurrent-delete-operator"
HOLD_MS = 1500  # how long the request is held; the delete comes while it waits
DEADLINE = 20.0  # seconds any request may take on a loaded machine


@dataclass
class Served:
    app: Any
    base: str
    data_dir: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data_dir = tmp_path_factory.mktemp("concurrent-delete")
    app = create_app(Settings(data_dir=data_dir, operator_token=OPERATOR, seed_demo=False, validate_responses=True))
    with serving(app, startup_timeout=DEADLINE) as base_url:
        yield Served(app, base_url, data_dir)


def _create_tenant(http: httpx.Client) -> dict[str, Any]:
    response = http.post("/_sandbox/tenants", json={"name": "doomed"})
    assert response.status_code == 201, response.text
    return response.json()


def _hold(http: httpx.Client, tenant: dict[str, Any], api: str) -> None:
    rule = {"api": api, "latency_ms": HOLD_MS}
    response = http.post(f"/_sandbox/tenants/{tenant['id']}/faults", json=rule, headers=bearer(OPERATOR))
    assert response.status_code == 201, response.text


def _delete_while(served: Served, tenant: dict[str, Any], send: Callable[[httpx.Client], httpx.Response]) -> Any:
    """Send a request, delete its tenant while it is held, and return the request's answer."""
    with (
        httpx.Client(base_url=served.base, timeout=DEADLINE) as http,
        httpx.Client(base_url=served.base, timeout=DEADLINE) as control,
        ThreadPoolExecutor(1) as pool,
    ):
        pending: Future[httpx.Response] = pool.submit(send, http)
        time.sleep(HOLD_MS / 3000)  # the request is past authentication, held
        deleted = control.delete(f"/_sandbox/tenants/{tenant['id']}", headers=bearer(OPERATOR))
        assert deleted.status_code == 204, deleted.text
        assert not pending.done(), "the request was not held while the tenant was deleted"
        return pending.result(timeout=DEADLINE)


def _assert_nothing_left(served: Served, tenant: dict[str, Any]) -> None:
    tenant_id = tenant["id"]
    # Whatever the sandbox does after answering (journal, log compaction) has happened by now.
    time.sleep(0.2)
    leftovers = sorted(str(p.relative_to(served.data_dir)) for p in served.data_dir.rglob(f"*{tenant_id}*"))
    assert leftovers == [], f"files of the deleted tenant: {leftovers}"
    sandbox = served.app.sandbox
    assert tenant_id not in {t.id for t in sandbox.tenants.all()}
    assert sandbox.tenants.credentials.held_by(tenant_id) == [], "a credential of the deleted tenant"
    assert tenant_id not in sandbox.journals._journals, "a journal resurrected the deleted tenant"
    with httpx.Client(base_url=served.base, timeout=DEADLINE) as http:
        gone = http.get(f"/_sandbox/tenants/{tenant_id}", headers=bearer(OPERATOR))
        assert gone.status_code == 404


Send = Callable[[httpx.Client], httpx.Response]


def _facturovia(http: httpx.Client, tenant: dict[str, Any]) -> Send:
    key = bearer(tenant["credentials"]["facturovia"]["read_write"])
    client_id = http.get("/facturovia/api/clients", headers=key).json()["data"][0]["id"]
    item = {"description": "x", "quantity": 1, "unit_price": 1, "vat_rate": 21}
    return lambda h: h.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [item]}, headers=key)


def _facturala(http: httpx.Client, tenant: dict[str, Any]) -> Send:
    creds = tenant["credentials"]["facturala"]
    body = {
        "customer": {"idType": "CC", "idNumber": "1020304050", "name": "x", "country": "Colombia"},
        "items": [{"name": "x", "description": "x", "quantity": 1, "unitValue": 1000}],
    }
    url = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    return lambda h: h.post(url, json=body, headers={"Authorization": creds["token"]})


def _facturagem(http: httpx.Client, tenant: dict[str, Any]) -> Send:
    session = http.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    url = f"/facturagem/api/v1/accounts/{session['account_id']}/clients.json"
    return lambda h: h.post(url, params={"api_key": session["api_key"]}, json={"name": "x", "cif": "B87654323"})


def _facturascripts(http: httpx.Client, tenant: dict[str, Any]) -> Send:
    key = {"Token": tenant["credentials"]["facturascripts"]["token"]}
    return lambda h: h.post("/facturascripts/api/3/clientes", data={"nombre": "x", "cifnif": "1"}, headers=key)


SHAPES: dict[str, Callable[[Any], bool]] = {
    "facturovia": lambda body: set(body["error"]) == {"code", "message", "fields"},
    "facturala": lambda body: {"status", "code", "message"} <= set(body),
    "facturagem": lambda body: "errors" in body,
    "facturascripts": lambda body: body == {"status": "error", "message": "Clave de API no válida"},
}
REQUESTS = {"facturovia": _facturovia, "facturala": _facturala, "facturagem": _facturagem,
            "facturascripts": _facturascripts}  # fmt: skip


@pytest.mark.parametrize("api", sorted(REQUESTS))
def test_a_write_held_after_authentication_answers_401_and_leaves_nothing(served: Served, api: str) -> None:
    with httpx.Client(base_url=served.base, timeout=DEADLINE) as http:
        tenant = _create_tenant(http)
        send = REQUESTS[api](http, tenant)
        _hold(http, tenant, api)
    answer = _delete_while(served, tenant, send)
    assert answer.status_code == 401, answer.text
    assert SHAPES[api](answer.json()), answer.text
    _assert_nothing_left(served, tenant)


def test_an_upload_held_inside_its_handler_writes_no_file(served: Served, monkeypatch: pytest.MonkeyPatch) -> None:
    from facturas_sandbox.vendors.facturascripts import files

    read = files.read_uploads

    async def slow_read(arguments: Any, limit: int) -> Any:
        await asyncio.sleep(HOLD_MS / 1000)  # the handler already holds its tenant
        return await read(arguments, limit)

    monkeypatch.setattr(files, "read_uploads", slow_read)
    with httpx.Client(base_url=served.base, timeout=DEADLINE) as http:
        tenant = _create_tenant(http)
    key = {"Token": tenant["credentials"]["facturascripts"]["token"]}

    def upload(http: httpx.Client) -> httpx.Response:
        parts = {"files[]": ("albaran.pdf", b"%PDF-1.4 in flight", "application/pdf")}
        return http.post("/facturascripts/api/3/uploadFiles", files=parts, headers=key)

    answer = _delete_while(served, tenant, upload)
    assert answer.status_code == 401, answer.text
    assert SHAPES["facturascripts"](answer.json())
    _assert_nothing_left(served, tenant)


def test_deleting_waits_for_a_write_in_progress_and_then_removes_it(served: Served) -> None:
    """A store write already inside its transaction finishes first (it was acknowledged);
    the delete then removes it with everything else."""
    with httpx.Client(base_url=served.base, timeout=DEADLINE) as http:
        tenant = _create_tenant(http)
    doomed = served.app.sandbox.tenants.get(tenant["id"])
    inside, release = threading.Event(), threading.Event()

    def slow_write() -> None:
        with doomed.store.transaction():
            doomed.store.collection("probe").insert({"id": 1})
            inside.set()
            release.wait(timeout=DEADLINE)

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert inside.wait(timeout=DEADLINE)
    deleter = threading.Thread(target=served.app.sandbox.tenants.delete, args=(tenant["id"],))
    deleter.start()
    deleter.join(timeout=0.3)
    assert deleter.is_alive(), "the delete did not wait for the write in progress"
    release.set()
    writer.join(timeout=DEADLINE)
    deleter.join(timeout=DEADLINE)
    assert not deleter.is_alive()
    served.app.sandbox.journals.drop(tenant["id"])
    _assert_nothing_left(served, tenant)
    with pytest.raises(Exception) as refused, doomed.store.transaction():
        doomed.store.collection("probe").insert({"id": 2})
    assert type(refused.value).__name__ == "TenantDropped"


def test_a_control_plane_change_whose_tenant_is_deleted_meanwhile_answers_404(served: Served) -> None:
    """The admin token is checked, then the body trickles in; the tenant is deleted before it
    has arrived. The change is refused as for an unknown tenant and brings nothing back."""
    with httpx.Client(base_url=served.base, timeout=DEADLINE) as http:
        tenant = _create_tenant(http)

    head, tail = b'{"now": ', b'"2026-12-31T10:00:00Z"}'

    def slow_body() -> Iterator[bytes]:
        yield head
        time.sleep(HOLD_MS / 1000)
        yield tail

    def set_clock(http: httpx.Client) -> httpx.Response:
        url = f"/_sandbox/tenants/{tenant['id']}/clock"
        length = str(len(head) + len(tail))  # not chunked: the length is known, the body slow
        headers = {**bearer(tenant["admin_token"]), "Content-Type": "application/json", "Content-Length": length}
        return http.put(url, content=slow_body(), headers=headers)

    answer = _delete_while(served, tenant, set_clock)
    assert answer.status_code == 404, answer.text
    assert answer.json()["error"]["code"] == "tenant_not_found", answer.text
    _assert_nothing_left(served, tenant)

"""`store copy`: a data directory into PostgreSQL and back, every tenant served as before."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from support import OPERATOR, PROXY, PROXY_CIDR, bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.cli import main
from facturas_sandbox.settings import Settings

FS = "/facturascripts/api/3"
LINES = json.dumps([{"descripcion": "Instalación", "cantidad": 2, "pvpunitario": 37.45, "codimpuesto": "IVA21"}])
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


def _client(**store: Any) -> TestClient:
    settings = Settings(validate_responses=True, operator_token=OPERATOR, trusted_proxies=(PROXY_CIDR,), **store)
    return TestClient(create_app(settings), raise_server_exceptions=False, client=PROXY)


def _auth(t: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    creds = t["credentials"]
    return bearer(creds["facturovia"]["read_write"]), {"X-Auth-Token": creds["facturascripts"]["token"]}


def _snapshot(client: TestClient, t: dict[str, Any]) -> dict[str, Any]:
    """What the tenant's clients can read: invoices of two APIs, its attached file, itself."""
    fv, fs = _auth(t)
    files = client.get(f"{FS}/attachedfiles", headers=fs).json()
    mine = next(f for f in files if f["filename"] == "albaran.pdf")
    record = client.get(f"/_sandbox/tenants/{t['id']}", headers=bearer(t["admin_token"])).json()
    record["clock"].pop("now")  # real time: it moves
    return {
        "facturovia": client.get("/facturovia/api/invoices", headers=fv).json()["data"],
        "facturascripts": client.get(f"{FS}/facturaclientes", params={"limit": 0}, headers=fs).json(),
        "file": client.get(mine["download"], headers=fs).content,
        "tenant": record,
    }


def _next_numbers(client: TestClient, t: dict[str, Any]) -> tuple[str, int]:
    fv, fs = _auth(t)
    client_id = client.get("/facturovia/api/clients", headers=fv).json()["data"][0]["id"]
    draft = client.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=fv).json()
    issued = client.post(f"/facturovia/api/invoices/{draft['id']}/issue", headers=fv).json()
    created = client.post(f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": LINES}, headers=fs).json()
    return issued["number"], int(created["doc"]["numero"])


def test_a_data_directory_moves_to_postgresql_and_back(tmp_path: Path, postgres_server: Any, capsys) -> None:
    source = tmp_path / "data"
    with _client(data_dir=source) as client:
        tenant = client.post("/_sandbox/tenants", json={"name": "moving"}).json()
        _, fs = _auth(tenant)
        first = _next_numbers(client, tenant)
        upload = client.post(f"{FS}/uploadFiles", headers=fs, files=[("files[]", ("albaran.pdf", b"%PDF-1 x", "x"))])
        assert upload.status_code == 200, upload.text
        before = _snapshot(client, tenant)
        after_numbers = _next_numbers(client, tenant)
    url = postgres_server.create_database("copied")
    assert main(["store", "copy", "--from", str(source), "--to", url]) == 0
    assert "copied 2 tenants" in capsys.readouterr().out  # demo and this one

    with _client(data_dir=None, store_url=url) as client:
        moved = _snapshot(client, tenant)
        assert moved["facturovia"] == _snapshot_after(before, after_numbers, client, tenant)["facturovia"]
        assert moved["file"] == b"%PDF-1 x" and moved["tenant"] == before["tenant"]
        assert len(moved["facturascripts"]) == len(before["facturascripts"]) + 1
        number, numero = _next_numbers(client, tenant)
        # The sequences came along: the next numbers follow the last ones issued in the directory.
        assert int(number.split("-")[-1]) == int(after_numbers[0].split("-")[-1]) + 1
        assert numero == after_numbers[1] + 1 and int(first[0].split("-")[-1]) + 1 == int(
            after_numbers[0].split("-")[-1]
        )
        on_postgres = _snapshot(client, tenant)

    # Onto a store that holds tenants: refused unless forced.
    assert main(["store", "copy", "--from", str(source), "--to", url]) == 1
    assert "already holds tenants" in capsys.readouterr().err

    back = tmp_path / "back"
    assert main(["store", "copy", "--from", url, "--to", str(back)]) == 0
    with _client(data_dir=back) as client:
        assert _snapshot(client, tenant) == on_postgres

    assert main(["store", "copy", "--from", str(source), "--to", url, "--force"]) == 0
    with _client(data_dir=None, store_url=url) as client:
        assert len(_snapshot(client, tenant)["facturascripts"]) == len(before["facturascripts"]) + 1


def _snapshot_after(before: dict[str, Any], numbers: tuple[str, int], client: TestClient, t: dict[str, Any]) -> Any:
    """The facturovia list as the directory left it: read again through the copy."""
    fv, _ = _auth(t)
    listed = client.get("/facturovia/api/invoices", headers=fv).json()["data"]
    assert {i["id"] for i in before["facturovia"]} < {i["id"] for i in listed}
    assert numbers[0] in {i["number"] for i in listed}
    return {"facturovia": listed}

"""A full disk is a clear 503 in the API's shape; the store stays consistent and recovers."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.store import wal

RW = {"Authorization": "Bearer fv_live_demo_rw_0000000000000000000000"}
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}


def test_writes_on_a_full_disk_fail_cleanly_and_recover(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        client_id = client.get("/facturovia/api/clients", headers=RW).json()["data"][0]["id"]
        before = client.get("/facturovia/api/invoices", headers=RW).json()["data"]
        real_write = wal.os.write

        def no_space(fd: int, data: bytes) -> int:
            raise OSError(errno.ENOSPC, "No space left on device")

        monkeypatch.setattr(wal.os, "write", no_space)
        refused = client.post("/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=RW)
        assert refused.status_code == 503
        assert refused.json()["error"]["code"] == "storage_unavailable"
        assert "No space left" in refused.json()["error"]["message"]
        draft = next(i for i in before if i["status"] == "draft")
        assert client.post(f"/facturovia/api/invoices/{draft['id']}/issue", headers=RW).status_code == 503
        # Reads go on; nothing half-written is visible.
        assert client.get("/facturovia/api/invoices", headers=RW).json()["data"] == before

        monkeypatch.setattr(wal.os, "write", real_write)
        issued = client.post(f"/facturovia/api/invoices/{draft['id']}/issue", headers=RW)
        assert issued.status_code == 200
        # The failed issue gave its number back: the next number follows the last one issued.
        last = max(i["number"] for i in before if i["number"] and not i["is_corrective"])
        assert int(issued.json()["number"].split("-")[1]) == int(last.split("-")[1]) + 1

    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        invoices = client.get("/facturovia/api/invoices", headers=RW).json()["data"]
        assert len(invoices) == len(before)
        assert next(i for i in invoices if i["id"] == draft["id"])["status"] == "issued"

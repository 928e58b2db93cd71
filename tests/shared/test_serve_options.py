"""`serve --store` and `serve --workers`: which stores they take, and the refusals."""

from __future__ import annotations

import httpx
import pytest
from server_process import SandboxProcess

from facturas_sandbox.cli import main

OPERATOR = "serve-options-operator"


def test_workers_are_refused_on_the_data_directory(capsys, tmp_path):
    assert main(["serve", "--workers", "2", "--data-dir", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "--workers 2 needs the PostgreSQL store" in err and "--store postgresql://" in err
    assert not (tmp_path / "tenants").exists()  # refused before anything was opened


def test_a_store_that_is_not_postgresql_is_refused(capsys):
    assert main(["serve", "--store", "/var/lib/sandbox"]) == 2
    assert "is not a postgresql:// URL" in capsys.readouterr().err


def test_an_unreachable_store_is_a_clear_message(capsys):
    assert main(["serve", "--store", "postgresql://nobody@127.0.0.1:1/none"]) == 2
    assert "cannot open the PostgreSQL store at postgresql://nobody@127.0.0.1:1/none" in capsys.readouterr().err


@pytest.mark.slow
def test_serve_keeps_tenants_in_postgresql_across_restarts_and_workers(store_url, monkeypatch):
    admin = {"Authorization": f"Bearer {OPERATOR}"}
    with SandboxProcess(None, "--store", store_url, "--operator-token", OPERATOR) as first:
        created = httpx.post(f"{first.base}/_sandbox/tenants", json={"name": "kept"}, headers=admin, timeout=30)
        assert created.status_code == 201, created.text
        tenant = created.json()
        auth = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
        client_id = httpx.get(f"{first.base}/facturovia/api/clients", headers=auth).json()["data"][0]["id"]
        items = [{"description": "Filtro", "quantity": 1, "unit_price": 10, "vat_rate": 21}]
        invoice = httpx.post(
            f"{first.base}/facturovia/api/invoices", json={"client_id": client_id, "items": items}, headers=auth
        )
        assert invoice.status_code in (200, 201), invoice.text
    # The environment variable names the store as well as --store does; two workers serve it.
    monkeypatch.setenv("SANDBOX_STORE", store_url)
    with SandboxProcess(None, "--workers", "2", "--operator-token", OPERATOR) as second:
        for _ in range(6):  # new connections: the kernel spreads them over both workers
            listed = httpx.get(f"{second.base}/facturovia/api/invoices", headers=auth)
            assert listed.status_code == 200, listed.text
            assert invoice.json()["id"] in [i["id"] for i in listed.json()["data"]]

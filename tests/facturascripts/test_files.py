"""Attached files: sanitised names, no overwrite, size limit, download URLs, delete."""

from __future__ import annotations

import pytest

from facturas_sandbox.vendors.facturascripts import files
from facturas_sandbox.vendors.facturascripts.files import sanitize

from .conftest import BASE, FULL


def test_sanitize():
    assert sanitize("../../etc/passwd") == "passwd"
    assert sanitize("..\\..\\boot.ini") == "boot.ini"
    assert sanitize("Factura año 2026 (copia).pdf") == "Factura_ano_2026_copia_.pdf"
    assert sanitize("...") == "file"
    assert len(sanitize("a" * 300 + ".pdf")) == 100 and sanitize("a" * 300 + ".pdf").endswith(".pdf")


def test_store_download_no_overwrite_and_delete(client, app):
    tenant = app.sandbox.tenants.get("demo")
    with tenant.store.transaction():
        first = files.store(tenant, "../secret.txt", b"hola", "text/plain", limit=100)
        again = files.store(tenant, "secret.txt", b"otra", "text/plain", limit=100)
        with pytest.raises(files.RejectedFile):
            files.store(tenant, "grande.bin", b"x" * 11, None, limit=10)
        with pytest.raises(files.RejectedFile):
            files.store(tenant, "vacio.txt", b"", None, limit=10)
    assert (first["filename"], first["path"], first["size"]) == ("secret.txt", "MyFiles/secret.txt", 4)
    assert again["filename"] != "secret.txt" and again["filename"].endswith("_secret.txt")
    record = client.get(f"{BASE}/attachedfiles/{first['idfile']}", headers=FULL).json()
    assert record["download"].endswith(f"/facturascripts/api/3/attachedfiles/{first['idfile']}/download")
    content = client.get(record["download"], headers=FULL)
    assert (content.status_code, content.content) == (200, b"hola")
    stored = tenant.files_dir / "MyFiles" / "secret.txt"
    assert stored.read_bytes() == b"hola"
    assert client.delete(f"{BASE}/attachedfiles/{first['idfile']}", headers=FULL).status_code == 200
    assert not stored.exists()
    assert client.get(record["download"], headers=FULL).status_code == 404

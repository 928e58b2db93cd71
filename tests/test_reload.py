"""`serve --reload` picks up edited contracts and fixtures without a manual restart."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
import pytest
from server_process import SandboxProcess

from facturas_sandbox.contracts import fixtures_dir, openapi_dir

pytestmark = pytest.mark.slow


def test_an_edited_contract_is_served_after_a_reload(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contracts = tmp_path / "openapi"
    shutil.copytree(openapi_dir(), contracts)
    shutil.copytree(fixtures_dir(), tmp_path / "fixtures")
    monkeypatch.setenv("FACTURAS_SANDBOX_OPENAPI_DIR", str(contracts))
    monkeypatch.setenv("FACTURAS_SANDBOX_FIXTURES_DIR", str(tmp_path / "fixtures"))

    with SandboxProcess(tmp_path / "data", "--reload", "--api", "facturovia") as server:
        url = f"{server.base}/api/openapi.json"
        assert httpx.get(url).json()["info"]["title"] == "Facturovia API (sandbox)"
        path = contracts / "facturovia.yaml"
        path.write_text(path.read_text().replace("title: Facturovia API (sandbox)", "title: Facturovia (edited)"))
        deadline = time.monotonic() + 40
        title = None
        while time.monotonic() < deadline:
            try:
                title = httpx.get(url, timeout=2).json()["info"]["title"]
            except httpx.HTTPError:
                title = None  # restarting
            if title == "Facturovia (edited)":
                break
            time.sleep(0.3)
        assert title == "Facturovia (edited)"

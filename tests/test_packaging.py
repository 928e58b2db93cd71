"""A non-editable install (a wheel) carries the contracts and fixtures and serves them."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow


def test_the_wheel_carries_contracts_and_fixtures_and_finds_them(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("facturas_sandbox-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    contracts = sorted(p.name for p in (ROOT / "openapi").glob("*.yaml"))
    for name in contracts:
        assert f"facturas_sandbox/_data/openapi/{name}" in names
    assert "facturas_sandbox/_data/fixtures/facturovia.json" in names

    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import facturas_sandbox.contracts as c; "
        "print(c.contract_path('facturovia')); print(c.fixtures_dir()); "
        "from facturas_sandbox.app import create_app; from facturas_sandbox.settings import Settings; "
        "create_app(Settings(data_dir=None))"
    )
    # Run from outside the checkout, with the wheel's copy first on the path.
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(site)},
        check=True,
        capture_output=True,
        text=True,
    )
    contract, fixtures = result.stdout.split()
    assert contract.startswith(str(site)) and fixtures.startswith(str(site))

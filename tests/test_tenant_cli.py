"""`facturas-sandbox tenant new|delete` against a served sandbox, and `make serve`'s arguments."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from server_process import SandboxProcess

from facturas_sandbox.cli import main


@pytest.fixture(scope="module")
def base() -> Iterator[str]:
    with SandboxProcess(None) as sandbox:
        yield sandbox.base


def _exports(text: str) -> dict[str, str]:
    out = {}
    for line in text.splitlines():
        words = shlex.split(line)
        assert words[0] == "export" and len(words) == 2, line
        name, _, value = words[1].partition("=")
        out[name] = value
    return out


def test_tenant_new_prints_working_credentials_and_delete_removes_them(base: str, capsys: Any) -> None:
    assert main(["tenant", "new", "--url", base, "--name", "ci-4711"]) == 0
    env = _exports(capsys.readouterr().out)
    assert {
        "SANDBOX_URL",
        "SANDBOX_TENANT_ID",
        "SANDBOX_ADMIN_TOKEN",
        "FACTUROVIA_TOKEN",
        "FACTURASCRIPTS_TOKEN",
        "FACTURALA_TOKEN",
        "FACTURALA_COMPANY_ID",
        "FACTURAGEM_API_KEY",
    } <= env.keys()
    fv = httpx.get(f"{base}/facturovia/api/invoices", headers={"Authorization": f"Bearer {env['FACTUROVIA_TOKEN']}"})
    assert fv.status_code == 200
    fg = httpx.get(f"{base}/facturagem/api/v1/accounts.json", params={"api_key": env["FACTURAGEM_API_KEY"]})
    assert fg.status_code == 200
    fs = httpx.get(f"{base}/facturascripts/api/3/clientes", headers={"Token": env["FACTURASCRIPTS_TOKEN"]})
    assert fs.status_code == 200
    argv = ["tenant", "delete", "--url", base, "--id", env["SANDBOX_TENANT_ID"]]
    assert main([*argv, "--admin-token", env["SANDBOX_ADMIN_TOKEN"]]) == 0
    fv = httpx.get(f"{base}/facturovia/api/invoices", headers={"Authorization": f"Bearer {env['FACTUROVIA_TOKEN']}"})
    assert fv.status_code == 401


def test_tenant_new_for_one_api_prints_only_its_lines(base: str, capsys: Any) -> None:
    assert main(["tenant", "new", "--url", base, "--api", "facturala"]) == 0
    env = _exports(capsys.readouterr().out)
    assert set(env) == {
        "SANDBOX_URL",
        "SANDBOX_TENANT_ID",
        "SANDBOX_ADMIN_TOKEN",
        "FACTURALA_TOKEN",
        "FACTURALA_COMPANY_ID",
    }


def test_tenant_against_nothing_is_one_line_and_exit_2(capsys: Any) -> None:
    assert main(["tenant", "new", "--url", "http://127.0.0.1:9"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("facturas-sandbox tenant: cannot reach")


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        (["PORT=9002"], "--port 9002"),
        (["ARGS=--port 9001 --api facturovia"], "--port 9001 --api facturovia"),
    ],
)
def test_make_serve_passes_the_port_once(variables: list[str], expected: str) -> None:
    root = Path(__file__).parent.parent
    out = subprocess.run(
        ["make", "-s", "-n", "-o", ".venv/.installed", "serve", *variables], cwd=root, capture_output=True, text=True
    )
    line = out.stdout.strip().splitlines()[-1]
    assert line.count("--port") == 1 and expected in " ".join(line.split()), line


def test_tenant_new_can_turn_the_incident_ban_off(base: str, capsys: Any) -> None:
    assert main(["tenant", "new", "--url", base, "--api", "facturascripts", "--no-incident-ban"]) == 0
    env = _exports(capsys.readouterr().out)
    control = httpx.get(
        f"{base}/_sandbox/tenants/{env['SANDBOX_TENANT_ID']}",
        headers={"Authorization": f"Bearer {env['SANDBOX_ADMIN_TOKEN']}"},
    )
    assert control.json()["incident_ban"] is False
    for n in range(7):  # unknown keys from this address: never banned while the tenant is exempt here
        assert httpx.get(f"{base}/facturascripts/api/3/clientes", headers={"Token": f"wrong-{n}"}).status_code == 401

"""`conform` never rests a verdict on 429s: against the sandbox's incident ban, against a server
that rate-limits, and with filters that select nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient
from test_conform_cli_and_proxy import Served

from facturas_sandbox.app import create_app
from facturas_sandbox.cli import main
from facturas_sandbox.conformance.runner import Verdict
from facturas_sandbox.settings import Settings

FS = "/facturascripts/api"
FV = "/facturovia/api"


@pytest.fixture(autouse=True)
def _no_admin_token_from_the_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    # `conform` reads SANDBOX_ADMIN_TOKEN; a developer's shell after `tenant new` must not decide these runs.
    monkeypatch.delenv("SANDBOX_ADMIN_TOKEN", raising=False)


@pytest.fixture
def sandbox() -> Iterator[tuple[str, Any, str, Any]]:
    """(base URL, tenant, its admin token, app): a fresh app per test, so bans start empty."""
    app = create_app(Settings(data_dir=None, validate_responses=True))
    with TestClient(app):
        tenant, admin_token = app.sandbox.tenants.create(name="conform-429")
        with Served(app) as base:
            yield base, tenant, admin_token, app


def _ban_this_address(base: str) -> None:
    """Five unknown keys: from now on every unknown key from 127.0.0.1 is answered 429."""
    for n in range(5):
        assert httpx.get(base + FS + "/3/clientes", headers={"Token": f"wrong-{n}"}).status_code == 401
    assert httpx.get(base + FS + "/3/clientes", headers={"Token": "wrong"}).status_code == 429


# The API each run judges -> (its prefix, the tenant's credential it sends, the one operation).
CONFORM_RUNS = {
    "facturascripts": (FS, "token", "list_clientes"),
    "facturovia": (FV, "read_write", "listInvoices"),
}


def _conform(api: str, base: str, tenant: Any, *extra: str) -> int:
    prefix, credential, operation_id = CONFORM_RUNS[api]
    token = tenant.credentials[api][credential]
    argv = ["conform", api, "--url", base + prefix, "--token", token, "--operation-id", operation_id]
    return main([*argv, "--max-examples", "3", "--seed", "3", "--no-stateful", "--quiet", *extra])


def test_a_banned_run_is_inconclusive_never_conforming(sandbox: Any, capsys: Any) -> None:
    base, tenant, _, _ = sandbox
    _ban_this_address(base)
    assert _conform("facturascripts", base, tenant) == 3
    captured = capsys.readouterr()
    assert "facturascripts: INCONCLUSIVE (" in captured.out and "CONFORMS" not in captured.out
    assert "responses were HTTP 429" in captured.out
    assert "--sandbox-admin-token" in captured.err  # the warning says how to avoid it
    assert captured.err.strip().splitlines()[-1].startswith("facturas-sandbox conform: inconclusive: ")


def test_the_admin_token_exempts_the_run_and_restores_the_setting(sandbox: Any, capsys: Any) -> None:
    base, tenant, admin_token, _ = sandbox
    _ban_this_address(base)
    assert _conform("facturascripts", base, tenant, "--sandbox-admin-token", admin_token) == 0
    assert "facturascripts: CONFORMS" in capsys.readouterr().out
    control = httpx.Client(base_url=base + "/_sandbox", headers={"Authorization": f"Bearer {admin_token}"})
    assert control.get(f"/tenants/{tenant.id}").json()["incident_ban"] is True
    assert control.get(f"/tenants/{tenant.id}/bans").json() == {"data": []}  # nothing left banned


def test_the_operator_token_finds_the_tenant_by_its_credential(capsys: Any) -> None:
    app = create_app(Settings(data_dir=None, operator_token="operator-429"))
    with TestClient(app):
        app.sandbox.tenants.create(name="another")
        tenant, _ = app.sandbox.tenants.create(name="conform-429")
        with Served(app) as base:
            _ban_this_address(base)
            assert _conform("facturascripts", base, tenant, "--sandbox-admin-token", "operator-429") == 0
            assert app.sandbox.tenants.get(tenant.id).incident_ban is True


def test_a_refused_admin_token_is_a_usage_error(sandbox: Any, capsys: Any) -> None:
    base, tenant, _, _ = sandbox
    assert _conform("facturascripts", base, tenant, "--sandbox-admin-token", "sbx_admin_wrong") == 2
    assert capsys.readouterr().err.strip().endswith("refused by the control plane (HTTP 401)")


class RateLimited:
    """A server that is not the sandbox and rate-limits: after `budget` requests every answer
    is 429, as an API gateway in front of a real installation would answer."""

    def __init__(self, app: Any, budget: int) -> None:
        self.app = app
        self.budget = budget
        self.seen = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/_sandbox"):
            return await self._answer(send, 404, {"error": "not found"})
        self.seen += 1
        if self.seen > self.budget:
            return await self._answer(send, 429, {"error": "rate limit exceeded"}, [(b"retry-after", b"60")])
        await self.app(scope, receive, send)

    async def _answer(self, send: Any, status: int, body: Any, extra: list[tuple[bytes, bytes]] = []) -> None:  # noqa: B006
        payload = json.dumps(body).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode()), *extra]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})


def test_a_rate_limiting_server_makes_the_run_inconclusive(sandbox: Any, capsys: Any) -> None:
    _, tenant, _, app = sandbox
    with Served(RateLimited(app, budget=10)) as limited:
        assert _conform("facturovia", limited, tenant) == 3
    captured = capsys.readouterr()
    assert "facturovia: INCONCLUSIVE (" in captured.out and "CONFORMS" not in captured.out
    assert "--rate-limit" in captured.err  # not the sandbox: the warning names pacing


def test_the_same_server_within_its_budget_conforms(sandbox: Any, capsys: Any) -> None:
    _, tenant, _, app = sandbox
    with Served(RateLimited(app, budget=100_000)) as limited:
        assert _conform("facturovia", limited, tenant, "--rate-limit", "1000/s") == 0
    assert "facturovia: CONFORMS" in capsys.readouterr().out


def test_real_failures_stand_beside_displaced_answers() -> None:
    verdict = Verdict(api="x", displaced_checks=4, displaced_responses=2, responses=9)
    assert verdict.inconclusive and not verdict.conforms and verdict.status == "INCONCLUSIVE"
    verdict.errors.append("boom")
    assert not verdict.inconclusive and not verdict.conforms and verdict.status == "DOES NOT CONFORM"


@pytest.mark.parametrize(
    ("extra", "reason"),
    [
        (
            ["--path-regex", "^/(clientes|facturaclientes)"],
            "matches no operation of facturascripts (its paths look like",
        ),
        (["--operation-id", "noSuchOperation"], "--operation-id noSuchOperation: no such operation in facturascripts"),
        (["--rate-limit", "fast"], "--rate-limit 'fast': write it as N/s"),
    ],
)
def test_a_filter_or_pace_that_cannot_work_exits_2_in_one_line(
    sandbox: Any, capsys: Any, extra: list[str], reason: str
) -> None:
    base, tenant, _, _ = sandbox
    token = tenant.credentials["facturascripts"]["token"]
    assert main(["conform", "facturascripts", "--url", base + FS, "--token", token, *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and reason in err[0], err


def test_help_documents_the_exit_statuses(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["conform", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "3 inconclusive" in out and "--sandbox-admin-token" in out and "--rate-limit" in out

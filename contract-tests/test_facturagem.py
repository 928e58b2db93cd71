"""FACTURAgem's contract against the sandbox: every check and phase, stateful included."""

from __future__ import annotations

from typing import Any

import schemathesis
from contract_support import run_contract, schemathesis_config
from starlette.testclient import TestClient

from facturas_sandbox.conformance.profiles import operation_overrides

# What the contract cannot state (strict parameters, rules across resources) is declared once,
# in conformance/profiles.py, for this suite and for `facturas-sandbox conform` alike.
SESSION = "/facturagem/api/v1/session.json"


def _login(client: TestClient, credentials: dict[str, str]) -> str:
    response = client.post(SESSION, json={"login": credentials["login"], "password": credentials["password"]})
    assert response.status_code == 200, response.text
    return response.json()["api_key"]


def test_facturagem_conforms(sandbox_app: Any, contract_tenant: Any) -> None:
    client = TestClient(sandbox_app)
    api_key = _login(client, contract_tenant.credentials["facturagem"])
    # DELETE /session ends the session everywhere, so a fuzzed logout with the key every other
    # operation uses would turn the rest of the run into 401s. Logouts end sessions of a
    # second tenant instead, logged in afresh each time: every one of them ends a live session
    # and the contract tenant's key stays valid.
    logout_tenant, _ = sandbox_app.sandbox.tenants.create(name="contract-tests-logout")
    logout_credentials = logout_tenant.credentials["facturagem"]

    def register_keys(schema: Any) -> None:
        # A provider registered on the schema takes precedence over the config's OpenAPI auth
        # (schemathesis.auths.set_on_case), in every phase of the engine.
        @schema.auth(refresh_interval=None)
        class Keys:
            def get(self, case: schemathesis.Case, ctx: Any) -> str | None:
                operation = case.operation.definition.raw
                if operation.get("security") == []:  # POST /session, GET /countries
                    return None
                if operation.get("operationId") == "deleteSession":
                    return _login(client, logout_credentials)
                return api_key

            def set(self, case: schemathesis.Case, data: str | None, ctx: Any) -> None:
                if data is not None:
                    case.query = {**(case.query or {}), "api_key": data}

    config = schemathesis_config(
        {"ApiKey": {"api_key": api_key}},
        operations=operation_overrides("facturagem"),
    )
    run_contract(sandbox_app, "/facturagem/api/v1/openapi.json", "facturagem", config, prepare=register_keys)

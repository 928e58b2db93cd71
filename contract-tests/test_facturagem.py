"""FACTURAgem's contract against the sandbox: every check and phase, stateful included."""

from __future__ import annotations

from typing import Any

import schemathesis
from contract_support import run_contract, schemathesis_config
from starlette.testclient import TestClient

# Operations that take a body may answer 422 to schema-valid input, for two reasons JSON
# Schema cannot express:
# - strict parameters: the input schemas allow extra properties (the server does accept them
#   with `strict=false` or `strict=0`), but by default it answers 422 listing the allowed
#   parameters. Whether an extra body field is accepted depends on the `strict` query
#   parameter, and OpenAPI 3.0 cannot relate a query parameter to a body schema;
# - rules across resources, answered 422 with the resource's `errors` as the documented API
#   does: an invoice number already used in the account that year, a payment larger than
#   what the invoice still owes (or an invoice whose new total falls below what has been paid).
# Every operation without a body keeps positive_data_acceptance's defaults.
BODY_OPERATIONS = [
    "createSession",
    "updateAccount",
    "createClient",
    "updateClient",
    "createInvoice",
    "updateInvoice",
    "createPayment",
]
ACCEPTS_WITH_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
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
        operations=[
            {
                "include-operation-id": operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTS_WITH_422}},
            }
            for operation_id in BODY_OPERATIONS
        ],
    )
    run_contract(sandbox_app, "/facturagem/api/v1/openapi.json", "facturagem", config, prepare=register_keys)

"""FACTURAgem's contract against the sandbox: every check, stateful phase included."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from contract_support import schemathesis_config, stateful_settings
from starlette.testclient import TestClient

# Rules across resources that JSON Schema cannot state, answered 422 with the resource's
# `errors` as the documented API does: an invoice number already used in the account that
# year, and a payment larger than what the invoice still owes (or an invoice whose new total
# falls below what has been paid). Only these operations may answer 422 to schema-valid data;
# every other operation keeps positive_data_acceptance's defaults.
CROSS_RESOURCE_OPERATIONS = ["createInvoice", "updateInvoice", "createPayment"]
ACCEPTS_WITH_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
SESSION = "/facturagem/api/v1/session.json"


def _login(client: TestClient, credentials: dict[str, str]) -> str:
    response = client.post(SESSION, json={"login": credentials["login"], "password": credentials["password"]})
    assert response.status_code == 200, response.text
    return response.json()["api_key"]


@pytest.fixture(scope="session")
def facturagem_schema(sandbox_app: Any, contract_tenant: Any) -> Any:
    client = TestClient(sandbox_app)
    api_key = _login(client, contract_tenant.credentials["facturagem"])
    # DELETE /session ends the session everywhere, so a fuzzed logout with the key every other
    # operation uses would turn the rest of the run into 401s. Logouts end sessions of a
    # second tenant instead, logged in afresh each time: every one of them ends a live session
    # and the contract tenant's key stays valid.
    logout_tenant, _ = sandbox_app.sandbox.tenants.create(name="contract-tests-logout")
    logout_credentials = logout_tenant.credentials["facturagem"]

    config = schemathesis_config(
        {"ApiKey": {"api_key": api_key}},
        operations=[
            {
                "include-operation-id": operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTS_WITH_422}},
            }
            for operation_id in CROSS_RESOURCE_OPERATIONS
        ],
    )
    loaded = schemathesis.openapi.from_asgi("/facturagem/api/v1/openapi.json", sandbox_app, config=config)

    # A provider registered on the schema takes precedence over the config's auth for every
    # operation (schemathesis.auths.set_on_case), so it answers for all of them: the config's
    # key, or a fresh second-tenant key for DELETE /session. No caching: logins are cheap.
    @loaded.auth(refresh_interval=None)
    class Keys:
        def get(self, case: schemathesis.Case, ctx: Any) -> str | None:
            operation = case.operation.definition.raw
            if operation.get("security") == []:  # POST /session, GET /countries
                return None
            if operation.get("operationId") == "deleteSession":
                return _login(client, logout_credentials)
            return api_key

        def set(self, case: schemathesis.Case, data: str, ctx: Any) -> None:
            case.query = {**(case.query or {}), "api_key": data}

    return loaded


schema = schemathesis.pytest.from_fixture("facturagem_schema")


@schema.parametrize()
def test_facturagem_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_facturagem_stateful(facturagem_schema: Any) -> None:
    """Sequences that follow the contract's links (client → invoices → payments, invoice → new copy…)."""
    facturagem_schema.as_state_machine().run(settings=stateful_settings())

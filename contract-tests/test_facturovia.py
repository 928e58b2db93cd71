"""Facturovia's contract against the sandbox: every check, stateful phase included."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from contract_support import schemathesis_config, stateful_settings

# Rules across resources that JSON Schema cannot state, answered 422 ("invalid data, the
# response lists offending fields") as the vendor documents: a body's client_id must name a
# client of the account, and a rectify item must match a line of the invoice it refunds.
# Only these operations may answer 422 to schema-valid data; every other operation keeps
# positive_data_acceptance's defaults.
CROSS_RESOURCE_OPERATIONS = ["createInvoice", "updateInvoice", "createQuote", "rectifyInvoice"]
ACCEPTS_WITH_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


@pytest.fixture(scope="session")
def facturovia_schema(sandbox_app: Any, contract_tenant: Any) -> Any:
    config = schemathesis_config(
        {"BearerKey": {"bearer": contract_tenant.credentials["facturovia"]["read_write"]}},
        operations=[
            {
                "include-operation-id": operation_id,
                "checks": {"positive_data_acceptance": {"expected-statuses": ACCEPTS_WITH_422}},
            }
            for operation_id in CROSS_RESOURCE_OPERATIONS
        ],
    )
    return schemathesis.openapi.from_asgi("/facturovia/api/openapi.json", sandbox_app, config=config)


schema = schemathesis.pytest.from_fixture("facturovia_schema")


@schema.parametrize()
def test_facturovia_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_facturovia_stateful(facturovia_schema: Any) -> None:
    """Sequences that follow the contract's links (create → get → issue → rectify → …)."""
    facturovia_schema.as_state_machine().run(settings=stateful_settings())

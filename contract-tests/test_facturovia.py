"""Facturovia's contract against the sandbox: every check and phase, stateful included."""

from __future__ import annotations

from typing import Any

from contract_support import run_contract, schemathesis_config

# Rules across resources that JSON Schema cannot state, answered 422 ("invalid data, the
# response lists offending fields") as the vendor documents: a body's client_id must name a
# client of the account, and a rectify item must match a line of the invoice it refunds.
# Only these operations may answer 422 to schema-valid data; every other operation keeps
# positive_data_acceptance's defaults.
CROSS_RESOURCE_OPERATIONS = ["createInvoice", "updateInvoice", "createQuote", "rectifyInvoice"]
ACCEPTS_WITH_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]


def test_facturovia_conforms(sandbox_app: Any, contract_tenant: Any) -> None:
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
    verdict = run_contract(sandbox_app, "/facturovia/api/openapi.json", "facturovia", config)
    assert len(verdict.operations) >= 12

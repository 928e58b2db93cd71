"""Facturala's contract against the sandbox: every check, stateful phase included.

`companyId` is pinned to the contract tenant's own company: any other well-formed id is
answered 403 by design, which would leave the stateful phase nothing to link from.
"""

from __future__ import annotations

from typing import Any

from contract_support import run_contract, schemathesis_config

# A NIT's check digit (mod 11, python-stdnum) is a rule JSON Schema cannot state: the contract
# marks it `format: nit`, which the generator honours but the coverage phase does not, so a
# schema-valid NIT can still be refused with 400 as the vendor documents. Every other operation
# keeps positive_data_acceptance's defaults; tests/facturala checks valid invoices are accepted.
CREATE_ACCEPTS = ["2xx", "400", "401", "403", "404", "409"]


def test_facturala_conforms(sandbox_app: Any, contract_tenant: Any) -> None:
    credentials = contract_tenant.credentials["facturala"]
    config = schemathesis_config(
        {"Token": {"api_key": credentials["token"]}},
        parameters={"companyId": credentials["company_id"]},
        operations=[
            {
                "include-operation-id": "createInvoice",
                "checks": {"positive_data_acceptance": {"expected-statuses": CREATE_ACCEPTS}},
            }
        ],
    )
    run_contract(sandbox_app, "/facturala/facturala/api/openapi.json", "facturala", config)

"""Facturala's contract against the sandbox: every check, stateful phase included.

`companyId` is pinned to the contract tenant's own company: any other well-formed id is
answered 403 by design, which would leave the stateful phase nothing to link from.
"""

from __future__ import annotations

from typing import Any

from contract_support import run_contract, schemathesis_config

from facturas_sandbox.conformance.profiles import operation_overrides


def test_facturala_conforms(sandbox_app: Any, contract_tenant: Any) -> None:
    credentials = contract_tenant.credentials["facturala"]
    config = schemathesis_config(
        {"Token": {"api_key": credentials["token"]}},
        parameters={"companyId": credentials["company_id"]},
        # createInvoice may refuse a schema-valid NIT (check digit): see conformance/profiles.py.
        operations=operation_overrides("facturala"),
    )
    run_contract(sandbox_app, "/facturala/facturala/api/openapi.json", "facturala", config)

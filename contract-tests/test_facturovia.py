"""Facturovia's contract against the sandbox on each store: every check and phase, stateful included."""

from __future__ import annotations

from typing import Any

from contract_support import run_contract, schemathesis_config

from facturas_sandbox.conformance.profiles import operation_overrides


def test_facturovia_conforms(store_app: tuple[Any, Any]) -> None:
    sandbox_app, contract_tenant = store_app
    # operation_overrides: the operations that may answer 422 to schema-valid data (rules
    # across resources); see conformance/profiles.py.
    config = schemathesis_config(
        {"BearerKey": {"bearer": contract_tenant.credentials["facturovia"]["read_write"]}},
        operations=operation_overrides("facturovia"),
    )
    verdict = run_contract(sandbox_app, "/facturovia/api/openapi.json", "facturovia", config)
    assert len(verdict.operations) >= 12

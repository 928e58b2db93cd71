"""FacturaScripts' contract against the sandbox: every check and phase, stateful included."""

from __future__ import annotations

import itertools
import os
from typing import Any

from contract_support import run_contract, schemathesis_config

from facturas_sandbox.conformance.runner import only_operations
from facturas_sandbox.vendors.facturascripts.documents import DOC_TYPES
from facturas_sandbox.vendors.facturascripts.models import registry
from facturas_sandbox.vendors.facturascripts.rules import DOCUMENT_HEADERS as DOCUMENTS

# The contract has about 830 operations (every core model): a few examples each keep the run
# near 90 s on two cores. The generic engine serves every model with the same code, and
# tests/facturascripts goes deep on it.
EXAMPLES = int(os.environ.get("SANDBOX_CONTRACT_FS_EXAMPLES", "3"))

# Rules JSON Schema cannot state, each answered 400 as the real server does:
# * lists: a filter or sort key must name a visible column of the model, optionally with an
#   operator suffix (`_gt`, `_like`, …) or a sort prefix (`lower:`, …); anything else is
#   `api: fields not allowed`. OpenAPI 3.0 has no patternProperties, so the contract cannot list
#   the allowed keys of a deepObject parameter.
# * creates: a body whose primary key names an existing record is `Registro duplicado`.
# * creates and updates of models with UNIQUE columns: a value another record already has;
#   updates of business documents: a non-editable (issued) document refuses new data.
# * crear*, editar*: `lineas` is a JSON string whose content (line objects, existing taxes) the schema
#   cannot describe, and the customer or supplier, warehouse and series must exist (404, 422).
ACCEPTS_400 = ["2xx", "400", "401", "403", "404", "409", "429"]
ACCEPTS_422 = [*ACCEPTS_400, "422"]


# The coverage phase generates every case a schema defines, whatever max-examples says: over
# all ~610 operations that is about 900,000 checks and several minutes of CPU. It runs on the
# custom endpoints and on the models of one invoicing flow; examples, fuzzing and stateful run
# on every operation. The other models' operations come from the same templates and engine.
COVERAGE_RESOURCES = {"clientes", "productos", "facturaclientes", "lineafacturaclientes", "reciboclientes"}
ACTIONS = ("list", "get", "schema", "create", "update", "patch", "delete")
# `make test` runs every phase on every custom endpoint, the root and the models an invoicing
# client touches; `make stress` (SANDBOX_STRESS=1) runs all ~83 models. Every model's
# operations come from one template and one engine, and tests/facturascripts checks the
# contract against the model data field by field for all of them.
FLOW_MODELS = {
    *COVERAGE_RESOURCES,
    "proveedores",
    "contactos",
    "variantes",
    "facturaproveedores",
    "lineafacturaproveedores",
    "impuestos",
    "series",
    "ejercicios",
    "formapagos",
    "almacenes",
    "divisas",
    "apikeyes",
    "apiaccess",
    "attachedfiles",
    "estadodocumentos",
}
ALL_MODELS = bool(os.environ.get("SANDBOX_STRESS"))
CUSTOM_PATHS = r"^/3$|^/3/(crear|editar|exportar|pagar)|^/3/attachedfiles/\{[^}]+\}/download$"


def _scope() -> list[dict[str, Any]]:
    """Under `make test`: the flow's models, every custom endpoint and the root."""
    if ALL_MODELS:
        return []
    flow = [f"{action}_{resource}" for resource in sorted(FLOW_MODELS) for action in ACTIONS]
    return [only_operations(operation_ids=flow, path_regex=CUSTOM_PATHS)]


def _operations() -> list[dict[str, Any]]:
    out = []
    # editar*: the same `lineas`, plus a document that is no longer editable (422);
    # crearFacturaRectificativaCliente: the invoice must exist and not be a refund itself.
    variants = ("crear{}", "crear{}Put", "editar{}", "editar{}Patch")
    document_ops = [variant.format(doc) for doc in DOC_TYPES for variant in variants]
    for op in [*document_ops, "crearFacturaRectificativaCliente", "crearFacturaRectificativaClientePut"]:
        checks = {"positive_data_acceptance": {"expected-statuses": ACCEPTS_422}}
        out.append({"include-operation-id": op, "checks": checks})
    out.extend(_scope())
    for resource, model in registry().items():
        accepts_400 = {"list", "create"} | ({"update", "patch"} if model.unique or resource in DOCUMENTS else set())
        for action in ACTIONS:
            entry: dict[str, Any] = {"include-operation-id": f"{action}_{resource}"}
            if action in accepts_400:
                entry["checks"] = {"positive_data_acceptance": {"expected-statuses": ACCEPTS_400}}
            if resource not in COVERAGE_RESOURCES:
                entry["phases"] = {"coverage": {"enabled": False}}
            if len(entry) > 1:
                out.append(entry)
    return out


class OwnClientPerRequest:
    """Each request from its own socket address, as if from separate clients.

    The real server bans an IP after five failed authentications within 600 s; Schemathesis
    deliberately sends requests without or with wrong keys (ignored_auth), and from one address
    those would turn every later answer into 429. The ban itself is tested in tests/facturascripts.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counter = itertools.count(1)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            n = next(self.counter)
            scope = {**scope, "client": (f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", 50000)}
        await self.app(scope, receive, send)


def test_facturascripts_conforms(sandbox_app: Any, contract_tenant: Any) -> None:
    credentials = contract_tenant.credentials["facturascripts"]
    config = schemathesis_config(
        {"XAuthToken": {"api_key": credentials["token"]}},
        generation={"max-examples": EXAMPLES, "database": "none"},
        operations=_operations(),
    )
    verdict = run_contract(
        OwnClientPerRequest(sandbox_app), "/facturascripts/api/openapi.json", "facturascripts", config
    )
    assert len(verdict.operations) >= (500 if ALL_MODELS else 150)
    print(verdict.summary().splitlines()[0], f"in {verdict.duration:.0f} s", verdict.checks_by_phase)

"""FacturaScripts' contract against the sandbox: every check and phase, stateful included."""

from __future__ import annotations

import itertools
import os
from typing import Any

from contract_support import MODE, run_contract, schemathesis_config

from facturas_sandbox.conformance.profiles import operation_overrides
from facturas_sandbox.conformance.runner import only_operations
from facturas_sandbox.contracts import load_contract
from facturas_sandbox.vendors.facturascripts.models import registry

# The contract has about 830 operations (every core model): a few examples each keep the run
# near 90 s on two cores. The generic engine serves every model with the same code, and
# tests/facturascripts goes deep on it.
EXAMPLES = int(os.environ.get("SANDBOX_CONTRACT_FS_EXAMPLES", "3"))

# What the contract cannot state is declared once, in conformance/profiles.py, for this suite
# and for `facturas-sandbox conform` alike.
# The coverage phase generates every case a schema defines, whatever max-examples says: over
# all ~610 operations that is about 900,000 checks and several minutes of CPU. It runs on the
# custom endpoints and on the models of one invoicing flow; examples, fuzzing and stateful run
# on every operation. The other models' operations come from the same templates and engine.
COVERAGE_RESOURCES = {"clientes", "productos", "facturaclientes", "lineafacturaclientes", "reciboclientes"}
# Under `make test` coverage also skips what another operation's coverage already covers
# (95 % of this suite's checks were coverage's; skipping these took the data-directory run
# from 253 s to 148 s of `make test`):
# - the second method of one route: PATCH beside PUT on a model (`PUT|PATCH /{res}/{pk}`), PUT
#   beside POST on `crear*` and `pagar*`, PATCH beside PUT on `editar*`: the real server and
#   the sandbox answer both with one handler;
# - the custom endpoints of the delivery notes, orders and estimates: FacturaScripts' eight
#   document types come from one template of the contract (`x-fs-document`) and one engine;
#   coverage runs on the invoices' (customer, supplier, rectificative).
# Examples, fuzzing and stateful still run on all of these, and `make stress` runs coverage too.
NO_COVERAGE_DOCUMENTS = ("AlbaranCliente", "AlbaranProveedor", "PedidoCliente", "PedidoProveedor")
NO_COVERAGE_DOCUMENTS += ("PresupuestoCliente", "PresupuestoProveedor")
DOCUMENT_ENDPOINTS = ("crear{}", "crear{}Put", "editar{}", "editar{}Patch", "exportar{}")
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
    "productoimagenes",
    "estadodocumentos",
}
# `make stress` reruns this suite in Schemathesis' negative mode (SANDBOX_CONTRACT_MODE=negative)
# to hunt 5xx with invalid input. Then every model runs, and the examples go where the code
# differs: each custom endpoint gets NEGATIVE_CUSTOM_EXAMPLES, each operation of the flow's
# models NEGATIVE_FLOW_EXAMPLES, the other models' operations (one template, one engine)
# NEGATIVE_EXAMPLES (SANDBOX_CONTRACT_FS_EXAMPLES overrides it). About four minutes on two
# cores; operations without parameters (`/schema`, the root) have no invalid input to send.
NEGATIVE = MODE == "negative"
NEGATIVE_EXAMPLES = int(os.environ.get("SANDBOX_CONTRACT_FS_EXAMPLES", "5"))
NEGATIVE_FLOW_EXAMPLES = 15
NEGATIVE_CUSTOM_EXAMPLES = 60
ALL_MODELS = bool(os.environ.get("SANDBOX_STRESS")) or NEGATIVE
CUSTOM_PATHS = r"^/3$|^/3/(crear|editar|exportar|pagar|uploadFiles|plugins)|^/3/attachedfiles/\{[^}]+\}/download$"


# On the PostgreSQL store the same engine runs on another backend: `make test` runs there the
# invoicing flow itself (customers, products, customer invoices, their lines and receipts, and
# the endpoints that create, edit, pay, export and rectify them); `make stress` every model.
# Coverage runs there on those endpoints only: its cases for the models' operations test input
# validation, which is the same code on either store and runs on the data directory above
# (it took three quarters of the 216 s this suite took on PostgreSQL).
PG_FLOW_PATHS = r"^/3/(crear|editar|exportar|pagar)FacturaCliente|^/3/crearFacturaRectificativaCliente"


def _scope(postgresql: bool) -> list[dict[str, Any]]:
    """Under `make test`: the flow's models, every custom endpoint and the root."""
    if ALL_MODELS:
        return []
    if postgresql:
        flow = [f"{action}_{resource}" for resource in sorted(COVERAGE_RESOURCES) for action in ACTIONS]
        return [only_operations(operation_ids=flow, path_regex=PG_FLOW_PATHS)]
    flow = [f"{action}_{resource}" for resource in sorted(FLOW_MODELS) for action in ACTIONS]
    return [only_operations(operation_ids=flow, path_regex=CUSTOM_PATHS)]


def _second_methods() -> list[str]:
    """Operations whose id is another's plus `Put` or `Patch`: the second method of one route."""
    spec = load_contract("facturascripts")
    ids = {op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op}
    return sorted(i for i in ids if {i.removesuffix("Put"), i.removesuffix("Patch")} & (ids - {i}))


def _operations(postgresql: bool) -> list[dict[str, Any]]:
    """One entry per operation (the engine applies the first entry that matches)."""
    entries: dict[str, dict[str, Any]] = {}
    for override in operation_overrides("facturascripts"):
        entries[override["include-operation-id"]] = dict(override)
    no_coverage = [f"{action}_{resource}" for resource in registry() for action in ACTIONS]
    if ALL_MODELS or not postgresql:
        no_coverage = [op for op in no_coverage if op.split("_", 1)[1] not in COVERAGE_RESOURCES]
    if not ALL_MODELS:
        no_coverage += [f"patch_{resource}" for resource in sorted(COVERAGE_RESOURCES)]
        no_coverage += _second_methods()
        no_coverage += [endpoint.format(doc) for doc in NO_COVERAGE_DOCUMENTS for endpoint in DOCUMENT_ENDPOINTS]
    for operation_id in no_coverage:
        entry = entries.setdefault(operation_id, {"include-operation-id": operation_id})
        entry["phases"] = {"coverage": {"enabled": False}}
    for resource in registry():
        for action in ACTIONS:
            if NEGATIVE and resource in FLOW_MODELS:
                entry = entries.setdefault(f"{action}_{resource}", {"include-operation-id": f"{action}_{resource}"})
                entry["generation"] = {"max-examples": NEGATIVE_FLOW_EXAMPLES}
    custom = [{"include-path-regex": CUSTOM_PATHS, "generation": {"max-examples": NEGATIVE_CUSTOM_EXAMPLES}}]
    # The scope first: out-of-scope operations stay off.
    return [*_scope(postgresql), *entries.values(), *(custom if NEGATIVE else [])]


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


def test_facturascripts_conforms(store_app: tuple[Any, Any]) -> None:
    sandbox_app, contract_tenant = store_app
    postgresql = sandbox_app.sandbox.settings.store_url is not None
    credentials = contract_tenant.credentials["facturascripts"]
    config = schemathesis_config(
        {"XAuthToken": {"api_key": credentials["token"]}},
        generation={"max-examples": NEGATIVE_EXAMPLES if NEGATIVE else EXAMPLES, "database": "none", "mode": MODE},
        operations=_operations(postgresql),
    )
    verdict = run_contract(
        OwnClientPerRequest(sandbox_app), "/facturascripts/api/openapi.json", "facturascripts", config
    )
    assert len(verdict.operations) >= (500 if ALL_MODELS else 40 if postgresql else 150)
    print(verdict.summary().splitlines()[0], f"in {verdict.duration:.0f} s", verdict.checks_by_phase)

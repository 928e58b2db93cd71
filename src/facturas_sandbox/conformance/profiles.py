"""What each API's contract cannot say, so Schemathesis must be told (one place for
`facturas-sandbox conform` and the project's own contract tests).

Only `positive_data_acceptance`'s expected statuses are adapted, on exactly the operations
whose schema-valid input can still break a documented rule that JSON Schema cannot express.
No check is ever turned off, and 429 is never an accepted answer: a rate limit or a ban
is not the operation speaking (the runner sets such answers aside and calls the run
inconclusive).
"""

from __future__ import annotations

from typing import Any

from ..contracts import load_contract

# Facturovia: a body's client_id must name a client of the account, a rectify item must
# match a line of the invoice it refunds, and a tax id's control character must be right (the
# schema states its shape, not the checksum); the vendor answers 422 ("invalid data, the
# response lists offending fields").
_FACTUROVIA_422 = ["2xx", "3xx", "401", "403", "404", "409", "422"]
# Facturala: a NIT's check digit (mod 11) is marked `format: nit`, which the generator honours
# but the coverage phase does not, so a schema-valid NIT can still be refused with 400.
_FACTURALA_CREATE = ["2xx", "400", "401", "403", "404", "409"]

# FACTURAgem: strict parameters (an extra body field is refused with 422 unless the `strict`
# query parameter says otherwise, and OpenAPI 3.0 cannot relate a query parameter to a body
# schema), and rules across resources answered 422 with the resource's `errors`: an invoice
# number already used in the account that year, a payment above what the invoice still owes.
_FACTURAGEM_422 = _FACTUROVIA_422
_FACTURAGEM_BODY_OPERATIONS = (
    "createSession",
    "updateAccount",
    "createClient",
    "updateClient",
    "createInvoice",
    "updateInvoice",
    "createPayment",
)

_ACCEPTANCE: dict[str, dict[str, list[str]]] = {
    "facturovia": {
        operation_id: _FACTUROVIA_422
        for operation_id in (
            "createClient",
            "findOrCreateClient",
            "createInvoice",
            "updateInvoice",
            "createQuote",
            "rectifyInvoice",
        )
    },
    "facturala": {"createInvoice": _FACTURALA_CREATE},
    "facturagem": {operation_id: _FACTURAGEM_422 for operation_id in _FACTURAGEM_BODY_OPERATIONS},
}


# FacturaScripts: rules JSON Schema cannot state, each answered as the real server does:
# * lists: a filter or sort key must name a visible column (optionally with an operator suffix
#   or a sort prefix), else 400 `api: fields not allowed`; OpenAPI 3.0 has no
#   patternProperties to list the allowed keys of a deepObject parameter;
# * creates: a body whose primary key names an existing record is 400 `Registro duplicado`;
#   creates and updates of models with UNIQUE columns: a value another record has (400);
#   updates of business documents: an issued document refuses new data (400);
# * crear*, editar*, crearFacturaRectificativaCliente: `lineas` is a JSON string whose content
#   the schema cannot describe, and the party, warehouse and series must exist (404, 422);
# * attachedfiles: a record names a file that must exist in MyFiles (422, the controller's own
#   status); productoimagenes: the linked attached file must be an image (400);
# * plugins: enabling needs the plugins a plugin requires, disabling refuses while an enabled
#   plugin requires it (409);
# * invoice lines: a refund line (`idlinearect`) must name a line of the invoice its own
#   invoice rectifies and refund no more than is left of it (400), on create and on update.
_FS_400 = ["2xx", "400", "401", "403", "404", "409"]
_FS_422 = [*_FS_400, "422"]
_FS_ACTIONS = ("list", "get", "schema", "create", "update", "patch", "delete")


def _facturascripts() -> dict[str, list[str]]:
    """From the contract alone (its `x-fs-*` extensions), never from the sandbox's code."""
    spec = load_contract("facturascripts")
    models = [schema for schema in spec["components"]["schemas"].values() if schema.get("x-fs-resource")]
    documents = {m["x-fs-document"]["type"] for m in models if m.get("x-fs-document", {}).get("part") == "header"}
    operations = [op["operationId"] for item in spec["paths"].values() for op in item.values() if "operationId" in op]
    out: dict[str, list[str]] = {}
    for doc in (o.removeprefix("crear") for o in operations if o.removeprefix("crear") in documents):
        for variant in ("crear{}", "crear{}Put", "editar{}", "editar{}Patch"):
            out[variant.format(doc)] = _FS_422
    out["crearFacturaRectificativaCliente"] = out["crearFacturaRectificativaClientePut"] = _FS_422
    for model in models:
        part = model.get("x-fs-document", {}).get("part")
        refund_lines = part == "lines" and "idlinearect" in model["properties"]
        checked_on_update = model.get("x-unique") or model.get("x-fs-uploads") or part == "header" or refund_lines
        refused = {"list", "create"} | ({"update", "patch"} if checked_on_update else set())
        save_status = int(model.get("x-fs-statuses", {}).get("save", 400))
        for action in (a for a in _FS_ACTIONS if a in refused):  # a fixed order: schemathesis.toml is generated
            out[f"{action}_{model['x-fs-resource']}"] = _FS_422 if save_status == 422 else _FS_400
    out["enable_plugin"] = out["disable_plugin"] = _FS_400
    return out


def _acceptance(api: str) -> dict[str, list[str]]:
    return _facturascripts() if api == "facturascripts" else _ACCEPTANCE.get(api, {})


# Control plane collections that a DELETE empties rather than removes (a tenant's bans, fault
# rules and journal): a GET afterwards answers 200 with an empty list, which Schemathesis'
# `use_after_free` takes for a deleted resource still served. Upstream fixed that false
# positive only for collection paths without path parameters (schemathesis/schemathesis#3957);
# these hang under /tenants/{tenant_id}. The DELETEs' own answers are still checked.
_EMPTIED_COLLECTIONS = {"sandbox": ("listBans", "listFaults", "listJournal")}


def operation_overrides(api: str) -> list[dict[str, Any]]:
    """Schemathesis `operations` config entries for `api`."""
    checks: dict[str, dict[str, Any]] = {}
    for operation_id, statuses in _acceptance(api).items():
        checks.setdefault(operation_id, {})["positive_data_acceptance"] = {"expected-statuses": statuses}
    for operation_id in _EMPTIED_COLLECTIONS.get(api, ()):
        checks.setdefault(operation_id, {})["use_after_free"] = {"enabled": False}
    return [{"include-operation-id": operation_id, "checks": c} for operation_id, c in checks.items()]

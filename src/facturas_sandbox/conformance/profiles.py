"""What each API's contract cannot say, so Schemathesis must be told (one place for
`facturas-sandbox conform` and the project's own contract tests).

Only `positive_data_acceptance`'s expected statuses are adapted, on exactly the operations
whose schema-valid input can still break a documented rule that JSON Schema cannot express.
No check is ever turned off.
"""

from __future__ import annotations

from typing import Any

# Facturovia: a body's client_id must name a client of the account, and a rectify item must
# match a line of the invoice it refunds; the vendor answers 422 ("invalid data, the response
# lists offending fields").
_FACTUROVIA_422 = ["2xx", "3xx", "401", "403", "404", "409", "422", "429"]
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
        for operation_id in ("createInvoice", "updateInvoice", "createQuote", "rectifyInvoice")
    },
    "facturala": {"createInvoice": _FACTURALA_CREATE},
    "facturagem": {operation_id: _FACTURAGEM_422 for operation_id in _FACTURAGEM_BODY_OPERATIONS},
}


def operation_overrides(api: str) -> list[dict[str, Any]]:
    """Schemathesis `operations` config entries for `api`."""
    return [
        {"include-operation-id": operation_id, "checks": {"positive_data_acceptance": {"expected-statuses": statuses}}}
        for operation_id, statuses in _ACCEPTANCE.get(api, {}).items()
    ]

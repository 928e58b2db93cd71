"""Deliberately broken variants of the sandbox, for the conformance suite's self-check.

Test-only: each variant wraps the session's sandbox app in an ASGI layer that breaks one
thing (a response rewritten, credentials ignored) or monkeypatches one vendor function; the
production code has no switch for any of it. `run_variant` runs the conformance runner on the
few operations a variant touches and returns its verdict.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import schemathesis

from facturas_sandbox.conformance.profiles import operation_overrides
from facturas_sandbox.conformance.runner import Verdict, only_operations, run

OPENAPI = {
    "facturovia": "/facturovia/api/openapi.json",
    "facturala": "/facturala/facturala/api/openapi.json",
    "facturascripts": "/facturascripts/api/openapi.json",
    "facturagem": "/facturagem/api/v1/openapi.json",
}
AUTH_HEADERS = {"facturovia": b"authorization", "facturala": b"authorization", "facturascripts": b"x-auth-token"}
ALL_PHASES = ("examples", "coverage", "fuzzing", "stateful")

Json = Any
Mutation = Callable[[str, str, int, Json], tuple[int, Json] | None]


@dataclass
class Variant:
    name: str
    api: str
    operations: list[str]
    expect: set[str]  # check names; the variant is detected when any of them fails
    mutate: Mutation | None = None  # (method, path, status, body) -> (status, body) or None
    ignore_auth: bool = False
    patch: Callable[[Any], None] | None = None  # receives pytest's monkeypatch
    phases: tuple[str, ...] = ("examples", "coverage", "fuzzing")
    max_examples: int = 5
    extra: dict[str, Any] = field(default_factory=dict)


def credentials(tenant: Any, api: str, app: Any = None) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    """(auth config, parameters, the raw header value a client would send)."""
    creds = tenant.credentials[api]
    if api == "facturagem":
        from starlette.testclient import TestClient

        # A session's api_key (no `with`: the session app's lifespan is already running).
        key = TestClient(app).post("/facturagem/api/v1/session.json", data=creds).json()["api_key"]
        return {"ApiKey": {"api_key": key}}, {}, key.encode()
    if api == "facturovia":
        token = creds["read_write"]
        return {"BearerKey": {"bearer": token}}, {}, f"Bearer {token}".encode()
    if api == "facturala":
        return {"Token": {"api_key": creds["token"]}}, {"companyId": creds["company_id"]}, creds["token"].encode()
    return {"XAuthToken": {"api_key": creds["token"]}}, {}, creds["token"].encode()


class BrokenApp:
    """The sandbox with one thing broken on the wire."""

    def __init__(self, app: Any, variant: Variant, auth_value: bytes) -> None:
        self.app = app
        self.variant = variant
        self.auth_value = auth_value

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.variant.ignore_auth:
            name = AUTH_HEADERS[self.variant.api]
            headers = [(k, v) for k, v in scope["headers"] if k.lower() not in (name, b"token")]
            scope = {**scope, "headers": [*headers, (name, self.auth_value)]}
        if self.variant.mutate is None:
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        status, body = start["status"], b"".join(chunks)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        is_json = any(k.lower() == b"content-type" and b"json" in v for k, v in headers)
        if is_json and body:
            changed = self.variant.mutate(scope["method"], scope["path"], status, json.loads(body, parse_float=Decimal))
            if changed is not None:
                status, new_body = changed
                body = json.dumps(new_body, default=_number).encode()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})


class OwnClientPerRequest:
    """Each request from its own client address. FacturaScripts bans an address after five
    refused keys, and these runs send missing and wrong keys on purpose (ignored_auth): from one
    address, every later unauthenticated answer would be 429 instead of the 401 under test."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.counter = itertools.count(1)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            n = next(self.counter)
            scope = {**scope, "client": (f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}", 50000)}
        await self.app(scope, receive, send)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(type(value))


def run_variant(
    app: Any, tenant: Any, variant: Variant | None, *, api: str, operations: list[str], phases: tuple[str, ...] = ()
) -> Verdict:
    auth, parameters, raw = credentials(tenant, api, app)
    target = OwnClientPerRequest(app if variant is None else BrokenApp(app, variant, raw))
    max_examples = variant.max_examples if variant else 5
    phases = variant.phases if variant else phases
    data: dict[str, Any] = {
        "seed": 20261121,
        "workers": 1,
        "generation": {"max-examples": max_examples, "database": "none"},
        "auth": {"openapi": auth},
        "phases": {
            **{p: {"enabled": p in phases} for p in ALL_PHASES},
            "stateful": {"enabled": "stateful" in phases, "max-steps": 10},
        },
        "checks": {"enabled": True},
    }
    if parameters:
        data["parameters"] = parameters
    data["operations"] = [*operation_overrides(api), only_operations(operations)]
    schema = schemathesis.openapi.from_asgi(OPENAPI[api], target, config=schemathesis.Config.from_dict(data))
    return run(schema, api)


# -- the mutations ---------------------------------------------------------------------------
def on(method: str, path_pattern: str, change: Callable[[int, Json], tuple[int, Json] | None]) -> Mutation:
    pattern = re.compile(path_pattern)

    def mutate(m: str, path: str, status: int, body: Json) -> tuple[int, Json] | None:
        if m == method and pattern.search(path):
            return change(status, body)
        return None

    return mutate


def each(body: Json, key: str | None = None) -> list[dict[str, Any]]:
    """The documents in a body: a list, {"data": [...]}, {"invoice": {...}}, {"ok", "data"},
    FACTURAgem's {"countries"|"clients"|"invoices": [...]}, or one."""
    if isinstance(body, list):
        return [d for d in body if isinstance(d, dict)]
    if isinstance(body, dict):
        for wrapper in ("data", "invoice", "countries", "clients", "invoices"):
            if isinstance(body.get(wrapper), list):
                return [d for d in body[wrapper] if isinstance(d, dict)]
            if isinstance(body.get(wrapper), dict):
                return [body[wrapper]]
        return [body]
    return []


def edit_2xx(edit: Callable[[dict[str, Any]], None]) -> Callable[[int, Json], tuple[int, Json] | None]:
    def change(status: int, body: Json) -> tuple[int, Json] | None:
        if not 200 <= status < 300:
            return None
        for doc in each(body):
            edit(doc)
        return status, body

    return change


def status_to(new_status: int) -> Callable[[int, Json], tuple[int, Json] | None]:
    def change(status: int, body: Json) -> tuple[int, Json] | None:
        return (new_status, body) if 200 <= status < 300 else None

    return change


def _set(key: str, value: Callable[[Any], Any]) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        if key in doc:
            doc[key] = value(doc[key])

    return edit


def _drop(key: str) -> Callable[[dict[str, Any]], None]:
    return lambda doc: doc.pop(key, None)


def _plus_cent(doc: dict[str, Any], *path: str) -> None:
    target = doc
    for key in path[:-1]:
        target = target.get(key) if isinstance(target, dict) else None
    if isinstance(target, dict) and path[-1] in target and target[path[-1]] is not None:
        target[path[-1]] = Decimal(str(target[path[-1]])) + Decimal("0.01")


def _wrong_split(doc: dict[str, Any]) -> None:
    totals = doc.get("totals")
    if isinstance(totals, dict):  # taxes on the VAT-included total instead of on the base
        totals["taxes"] = (Decimal(str(totals["total"])) * Decimal("0.16")).quantize(Decimal("0.01"))


def _positive_lines(doc: dict[str, Any]) -> None:
    for item in doc.get("items", []):
        item["quantity"] = abs(Decimal(str(item["quantity"])))


def _double_refund(doc: dict[str, Any]) -> None:
    for item in doc.get("items", []):
        item["quantity"] = Decimal(str(item["quantity"])) * 2


def _renumber(doc: dict[str, Any]) -> None:
    if doc.get("numero") is not None:
        doc["numero"] = "1"


def _reused_number(status: int, body: Json) -> tuple[int, Json] | None:
    if status == 201 and isinstance(body, dict):
        body["number"] = "1"
        return status, body
    return None


# -- monkeypatches -----------------------------------------------------------------------------
def _patch_facturovia_numbering(monkeypatch: Any) -> None:
    from facturas_sandbox.vendors.facturovia import documents

    monkeypatch.setattr(documents, "next_correlative", lambda *args: 1)


def _patch_facturovia_issued_editable(monkeypatch: Any) -> None:
    from facturas_sandbox.vendors.facturovia import handlers

    original = handlers._invoice_or_404

    def as_draft_on_patch(tenant: Any, id: str) -> dict[str, Any]:
        invoice = original(tenant, id)
        return {**invoice, "status": "draft"} if handlers.request.method == "PATCH" else invoice

    monkeypatch.setattr(handlers, "_invoice_or_404", as_draft_on_patch)


def _patch_facturovia_refund_unbounded(monkeypatch: Any) -> None:
    from facturas_sandbox.vendors.facturovia import documents

    original = documents._original_lines

    def forgetting_refunds(store: Any, invoice: dict[str, Any]) -> Any:
        return [type(line)(line.description, line.reference, line.quantity) for line in original(store, invoice)]

    monkeypatch.setattr(documents, "_original_lines", forgetting_refunds)


FV_INVOICE = r"/invoices(/[^/]+)?$"
SCHEMA = {"response_schema_conformance"}
# No coverage phase where invoices are created or edited: the sandbox's Facturovia accepts
# impossible dates such as "0000-00-00" (Connexion validates bodies as JSON Schema draft 4,
# which has no `date` format), which the coverage phase finds and fails, intact or not.
STATEFUL = ("examples", "fuzzing", "stateful")


def _fv_rectificative_edited(name: str, edit: Callable[[dict[str, Any]], None]) -> Variant:
    """Facturovia with each rectificative that `/correct` answers edited: the refund check must see it."""
    return Variant(
        name,
        "facturovia",
        ["createInvoice", "issueInvoice", "correctInvoice", "listInvoices"],
        {"rectificative_refund"},
        on("POST", r"/invoices/[^/]+/correct$", edit_2xx(edit)),
        phases=STATEFUL,
    )


VARIANTS = [
    # Facturovia
    Variant(
        "fv-total-wrong-type",
        "facturovia",
        ["listInvoices"],
        SCHEMA,
        on("GET", r"/invoices$", edit_2xx(_set("total", str))),
    ),
    Variant(
        "fv-client-missing-name",
        "facturovia",
        ["listClients"],
        SCHEMA,
        on("GET", r"/clients$", edit_2xx(_drop("name"))),
    ),
    Variant(
        "fv-undocumented-status",
        "facturovia",
        ["createClient"],
        {"status_code_conformance", *SCHEMA},
        on("POST", r"/clients$", status_to(202)),
    ),
    Variant(
        "fv-total-off-by-a-cent",
        "facturovia",
        ["listInvoices"],
        {"totals_reconcile"},
        on("GET", r"/invoices$", edit_2xx(lambda d: _plus_cent(d, "total"))),
    ),
    Variant(
        "fv-vat-breakdown-off",
        "facturovia",
        ["listInvoices"],
        {"totals_reconcile"},
        on("GET", r"/invoices$", edit_2xx(lambda d: [_plus_cent(g, "vat") for g in d.get("vat_breakdown", [])])),
    ),
    Variant("fv-auth-ignored", "facturovia", ["listInvoices", "listClients"], {"ignored_auth"}, ignore_auth=True),
    Variant(
        "fv-number-reused",
        "facturovia",
        ["listInvoices", "createInvoice", "issueInvoice"],
        {"numbering_unique_correlative"},
        patch=_patch_facturovia_numbering,
        phases=STATEFUL,
    ),
    Variant(
        "fv-issued-invoice-editable",
        "facturovia",
        ["createInvoice", "issueInvoice", "updateInvoice", "listInvoices"],
        {"issued_invoice_frozen"},
        patch=_patch_facturovia_issued_editable,
        max_examples=8,
        phases=STATEFUL,
    ),
    _fv_rectificative_edited("fv-rectificative-not-negated", _positive_lines),
    _fv_rectificative_edited("fv-refund-exceeds-original", _double_refund),
    Variant(
        "fv-refunds-unbounded",
        "facturovia",
        ["listInvoices", "correctInvoice"],
        {"rectificative_refund"},
        patch=_patch_facturovia_refund_unbounded,
        max_examples=8,
        phases=STATEFUL,
    ),
    # Facturala
    Variant(
        "fl-number-wrong-type",
        "facturala",
        ["listInvoices"],
        SCHEMA,
        on("GET", r"/invoices$", edit_2xx(_set("number", int))),
    ),
    Variant(
        "fl-total-off-by-a-cent",
        "facturala",
        ["listInvoices"],
        {"totals_reconcile"},
        on("GET", r"/invoices$", edit_2xx(lambda d: _plus_cent(d, "totals", "total"))),
    ),
    Variant(
        "fl-vat-split-wrong",
        "facturala",
        ["createInvoice"],
        {"totals_reconcile"},
        on("POST", r"/invoices$", edit_2xx(_wrong_split)),
    ),
    Variant(
        "fl-number-reused",
        "facturala",
        ["createInvoice"],
        {"numbering_unique_correlative"},
        on("POST", r"/invoices$", _reused_number),
    ),
    Variant("fl-auth-ignored", "facturala", ["listInvoices"], {"ignored_auth"}, ignore_auth=True),
    Variant(
        "fl-undocumented-status",
        "facturala",
        ["listInvoices"],
        {"status_code_conformance", *SCHEMA},
        on("GET", r"/invoices$", status_to(203)),
    ),
    Variant(
        "fl-settings-missing-rate",
        "facturala",
        ["getCompanySettings"],
        SCHEMA,
        on("GET", r"/settings$", edit_2xx(_drop("taxRate"))),
    ),
    # FacturaScripts: its generic model endpoints (a new tenant has no invoices in main yet, so
    # its business rules have no variant here).
    Variant(
        "fs-code-wrong-type",
        "facturascripts",
        ["list_clientes"],
        SCHEMA,
        on("GET", r"/clientes$", edit_2xx(_set("codcliente", lambda v: 1))),
    ),
    Variant(
        "fs-client-missing-code",
        "facturascripts",
        ["list_clientes"],
        SCHEMA,
        on("GET", r"/clientes$", edit_2xx(_drop("codcliente"))),
    ),
    # FACTURAgem: the public country list (JSON representation).
    Variant(
        "fg-country-id-wrong-type",
        "facturagem",
        ["listCountries"],
        SCHEMA,
        on("GET", r"/countries\.json$", edit_2xx(_set("id", lambda v: 1))),
    ),
    Variant(
        "fg-undocumented-status",
        "facturagem",
        ["listCountries"],
        {"status_code_conformance", *SCHEMA},
        on("GET", r"/countries\.json$", status_to(203)),
    ),
]

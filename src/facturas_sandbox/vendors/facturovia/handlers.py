"""Handlers of openapi/facturovia.yaml: parse Facturovia's shapes, call the domain, answer."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import datetime
from typing import Any

from connexion.context import request
from starlette.responses import Response

from ...domain.rectify import RectifyError
from ...domain.taxid import InvalidTaxId, validate_spanish_or_eu_vat
from ...errors import ApiError, FieldError
from ...responses import add_warning, current_role, current_tenant, empty_response, json_response
from ...store import Collection
from ...tenants import Tenant
from . import documents as docs
from .pdf import invoice_pdf

FREE_PLAN_MONTHLY_INVOICES = 10


# -- helpers ---------------------------------------------------------------------------------
def _prefix() -> str:
    mount = request.scope.get("sandbox.mount")
    return mount.prefix if mount is not None else "/api"


def _require_write() -> None:
    if current_role() != "read_write":
        raise ApiError(403, "read_only_key", "This key is read-only: use a read-write key to change data")


def _not_found(kind: str, id: str) -> ApiError:
    return ApiError(404, f"{kind}_not_found", f"No {kind} {id}")


def _now(tenant: Tenant) -> datetime:
    return tenant.clock.now()


def _check_plan(tenant: Tenant) -> None:
    if tenant.plan != "free":
        return
    month = _now(tenant).strftime("%Y-%m")
    created = sum(1 for inv in docs.invoices(tenant.store) if inv["created_at"].startswith(month))
    if created >= FREE_PLAN_MONTHLY_INVOICES:
        raise ApiError(
            402,
            "plan_limit_reached",
            f"The free plan allows {FREE_PLAN_MONTHLY_INVOICES} invoices a month. Consider upgrading to Professional.",
        )


def _referenced_client(tenant: Tenant, client_id: str) -> dict[str, Any]:
    """The client a body refers to; an unknown one is invalid data (422), not a missing URL."""
    client = docs.clients(tenant.store).get(client_id)
    if client is None:
        message = f"No client {client_id} in this account"
        raise ApiError(422, "invalid_data", message, fields=[FieldError("client_id", "no client with this id")])
    return client


def _invoice_or_404(tenant: Tenant, id: str) -> dict[str, Any]:
    invoice = docs.invoices(tenant.store).get(id)
    if invoice is None:
        raise _not_found("invoice", id)
    return invoice


def _draft_or_409(tenant: Tenant, id: str, cannot: str) -> dict[str, Any]:
    """The invoice while it is a draft; an issued one is a 409 that says what it `cannot` do."""
    invoice = _invoice_or_404(tenant, id)
    if invoice["status"] != "draft":
        raise ApiError(409, "invoice_not_editable", f"Invoice {invoice['number']} is issued and {cannot}")
    return invoice


def _invoice_json(invoice: dict[str, Any]) -> dict[str, Any]:
    issued = invoice["status"] == "issued"
    return {
        "id": invoice["id"],
        "number": invoice.get("number"),
        "status": invoice["status"],
        "client_id": invoice["client_id"],
        "client": invoice["client"],
        "invoice_date": invoice["invoice_date"],
        "issued_at": invoice.get("issued_at"),
        "currency": invoice["currency"],
        "exchange_rate": docs.to_decimal(invoice["exchange_rate"]),
        "external_reference": invoice.get("external_reference"),
        "notes": invoice.get("notes"),
        "items": docs.public_items(invoice["items"]),
        **docs.public_totals(invoice["items"]),
        "is_corrective": invoice.get("is_corrective", False),
        "original_invoice_id": invoice.get("original_invoice_id"),
        "causa_rectificacion": invoice.get("causa_rectificacion"),
        "pdf_url": f"{_prefix()}/invoices/{invoice['id']}/pdf" if issued else None,
        "created_at": invoice["created_at"],
    }


def _quote_json(quote: dict[str, Any]) -> dict[str, Any]:
    return {
        **{k: quote.get(k) for k in ("id", "number", "client_id", "client", "quote_date", "valid_until", "currency")},
        "exchange_rate": docs.to_decimal(quote["exchange_rate"]),
        "external_reference": quote.get("external_reference"),
        "notes": quote.get("notes"),
        "items": docs.public_items(quote["items"]),
        **docs.public_totals(quote["items"]),
        "created_at": quote["created_at"],
    }


def _header_fields(body: dict[str, Any]) -> dict[str, Any]:
    """The fields invoices and quotes take alike, those the body gives (the rest take the
    documents' defaults)."""
    return {k: body[k] for k in docs.HEADER_FIELDS if k in body}


def _location(invoice_id: str) -> dict[str, str]:
    return {"Location": f"{_prefix()}/invoices/{invoice_id}"}


def _listing(
    collection: Collection, to_json: Callable[[dict[str, Any]], dict[str, Any]], **filters: str | None
) -> Response:
    """`{"data": [...]}`: the documents whose fields equal every filter given (None: any)."""
    given = {k: v for k, v in filters.items() if v is not None}
    found = collection.find(**given) if given else collection.all()
    return json_response({"data": [to_json(d) for d in found]})


def _client_and_time(body: dict[str, Any]) -> tuple[Tenant, dict[str, Any], datetime]:
    """What a new invoice or quote starts from, once the key may write: the tenant, the client
    the body names and the time."""
    _require_write()
    tenant = current_tenant()
    return tenant, _referenced_client(tenant, body["client_id"]), _now(tenant)


# -- invoices --------------------------------------------------------------------------------
async def list_invoices(external_reference: str | None = None, status: str | None = None) -> Response:
    invoices = docs.invoices(current_tenant().store)
    return _listing(invoices, _invoice_json, external_reference=external_reference, status=status)


async def create_invoice(body: dict[str, Any]) -> Response:
    tenant, client, now = _client_and_time(body)
    invoice = docs.new_invoice(
        client,
        body["items"],
        invoice_date=body.get("invoice_date") or now.date().isoformat(),
        created_at=now.isoformat(),
        **_header_fields(body),
    )
    with tenant.store.transaction():
        _check_plan(tenant)
        docs.invoices(tenant.store).insert(invoice)
    return json_response(_invoice_json(invoice), 201, _location(invoice["id"]))


async def get_invoice(id: str) -> Response:
    return json_response(_invoice_json(_invoice_or_404(current_tenant(), id)))


async def update_invoice(id: str, body: dict[str, Any]) -> Response:
    _require_write()
    tenant = current_tenant()
    with tenant.store.transaction():
        invoice = _draft_or_409(tenant, id, "cannot change")
        changes: dict[str, Any] = {}
        if "client_id" in body:
            client = _referenced_client(tenant, body["client_id"])
            changes.update(client_id=client["id"], client=docs.client_snapshot(client))
        for key in ("invoice_date", "currency", "external_reference", "notes"):
            if key in body:
                changes[key] = body[key]
        if "exchange_rate" in body:
            changes["exchange_rate"] = str(docs.to_decimal(body["exchange_rate"]))
        if "items" in body:
            if invoice.get("is_corrective"):
                raise ApiError(409, "invoice_is_corrective", "The lines of a rectificative follow its original")
            changes["items"] = [docs.stored_item(i) for i in body["items"]]
        invoice = docs.invoices(tenant.store).update(id, changes)
    return json_response(_invoice_json(invoice))


async def delete_invoice(id: str) -> Response:
    _require_write()
    tenant = current_tenant()
    with tenant.store.transaction():
        _draft_or_409(tenant, id, "cannot be deleted")
        docs.invoices(tenant.store).delete(id)
    return empty_response(204)


async def issue_invoice(id: str) -> Response:
    _require_write()
    tenant = current_tenant()
    with tenant.store.transaction():
        invoice = _invoice_or_404(tenant, id)
        if invoice["status"] == "issued":
            raise ApiError(409, "invoice_already_issued", f"Invoice {id} was already issued as {invoice['number']}")
        invoice = docs.issue(tenant.store, invoice, _now(tenant).isoformat())
    return json_response(_invoice_json(invoice))


def _rectificative(
    tenant: Tenant, original: dict[str, Any], plan: docs.RefundPlan, body: dict[str, Any]
) -> dict[str, Any]:
    now = _now(tenant)
    return docs.new_rectificative(
        original,
        plan,
        invoice_date=body.get("invoice_date") or now.date().isoformat(),
        created_at=now.isoformat(),
        notes=body.get("notes"),
        causa_rectificacion=body.get("causa_rectificacion", "R1"),
    )


def _rectifiable(tenant: Tenant, id: str) -> dict[str, Any]:
    original = _invoice_or_404(tenant, id)
    if original["status"] != "issued":
        raise ApiError(409, "invoice_not_issued", "Only an issued invoice can be rectified; this one is a draft")
    if original.get("is_corrective"):
        raise ApiError(409, "invoice_is_corrective", "A rectificative invoice cannot itself be rectified")
    return original


async def correct_invoice(id: str, body: dict[str, Any] | None = None) -> Response:
    _require_write()
    body = body or {}
    tenant = current_tenant()
    with tenant.store.transaction():
        original = _rectifiable(tenant, id)
        try:
            plan = docs.plan_full(tenant.store, original)
        except RectifyError as exc:
            raise ApiError(409, "nothing_to_refund", str(exc)) from None
        _check_plan(tenant)
        corrective = _rectificative(tenant, original, plan, body)
        docs.invoices(tenant.store).insert(corrective)
    return json_response({"invoice": _invoice_json(corrective)}, 201, _location(corrective["id"]))


async def rectify_invoice(id: str, body: dict[str, Any]) -> Response:
    _require_write()
    tenant = current_tenant()
    with tenant.store.transaction():
        original = _rectifiable(tenant, id)
        try:
            plan = docs.plan_partial(tenant.store, original, body["items"])
        except RectifyError as exc:
            status, code = (
                (409, "nothing_to_refund") if "already been fully refunded" in str(exc) else (422, "invalid_data")
            )
            fields = [FieldError(exc.field, str(exc))] if exc.field else None
            raise ApiError(status, code, str(exc), fields=fields) from None
        _check_plan(tenant)
        corrective = _rectificative(tenant, original, plan, body)
        docs.invoices(tenant.store).insert(corrective)
    for note in plan.capped:
        add_warning(note)
    return json_response({"invoice": _invoice_json(corrective)}, 201, _location(corrective["id"]))


async def get_invoice_pdf(id: str) -> Response:
    tenant = current_tenant()
    invoice = _invoice_or_404(tenant, id)
    if invoice["status"] != "issued":
        raise ApiError(409, "invoice_not_issued", "A draft has no PDF yet: issue the invoice first")
    original = docs.invoices(tenant.store).get(invoice["original_invoice_id"]) if invoice.get("is_corrective") else None
    pdf = invoice_pdf(tenant, invoice, original)
    filename = f"factura-{invoice['number']}.pdf"
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


# -- clients ---------------------------------------------------------------------------------
def _validated_client(body: dict[str, Any]) -> dict[str, Any]:
    country = body.get("country") or "ES"
    try:
        tax_id = validate_spanish_or_eu_vat(body["tax_id"])
    except InvalidTaxId as exc:
        raise ApiError(422, "invalid_data", str(exc), fields=[FieldError("tax_id", str(exc))]) from None
    return {
        "tax_id": tax_id,
        "name": body["name"].strip(" \t\n\r\f\v"),
        "email": body.get("email"),
        "address": body.get("address"),
        "city": body.get("city"),
        "postal_code": body.get("postal_code"),
        "country": country,
    }


def client_json(client: dict[str, Any]) -> dict[str, Any]:
    keys = ("id", "tax_id", "name", "email", "address", "city", "postal_code", "country", "created_at")
    return {k: client.get(k) for k in keys}


async def list_clients(tax_id: str | None = None) -> Response:
    if tax_id is not None:
        # No client can have an invalid tax id: the exact match below then finds nothing.
        with contextlib.suppress(InvalidTaxId):
            tax_id = validate_spanish_or_eu_vat(tax_id)
    return _listing(docs.clients(current_tenant().store), client_json, tax_id=tax_id)


def _find_or_insert_client(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The client with the body's tax id, and whether it is new: one is inserted when none has it."""
    _require_write()
    tenant = current_tenant()
    fields = _validated_client(body)
    with tenant.store.transaction():
        existing = docs.clients(tenant.store).find(tax_id=fields["tax_id"])
        if existing:
            return existing[0], False
        client = docs.clients(tenant.store).insert(
            {"id": docs.new_id(), **fields, "created_at": _now(tenant).isoformat()}
        )
    return client, True


async def create_client(body: dict[str, Any]) -> Response:
    client, created = _find_or_insert_client(body)
    if not created:
        raise ApiError(
            409,
            "client_exists",
            f"A client with tax id {client['tax_id']} exists: {client['id']}",
            fields=[FieldError("tax_id", "already used by another client")],
        )
    return json_response(client_json(client), 201)


async def find_or_create_client(body: dict[str, Any]) -> Response:
    client, created = _find_or_insert_client(body)
    return json_response({"client": client_json(client), "created": created}, 201 if created else 200)


# -- quotes ----------------------------------------------------------------------------------
async def list_quotes(external_reference: str | None = None) -> Response:
    return _listing(docs.quotes(current_tenant().store), _quote_json, external_reference=external_reference)


async def create_quote(body: dict[str, Any]) -> Response:
    tenant, client, now = _client_and_time(body)
    quote_date = body.get("quote_date") or now.date().isoformat()
    with tenant.store.transaction():
        quote = docs.new_quote(
            tenant.store,
            client,
            body["items"],
            quote_date=quote_date,
            created_at=now.isoformat(),
            valid_until=body.get("valid_until"),
            **_header_fields(body),
        )
        docs.quotes(tenant.store).insert(quote)
    return json_response(_quote_json(quote), 201)

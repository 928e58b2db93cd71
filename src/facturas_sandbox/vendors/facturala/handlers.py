"""Handlers of openapi/facturala.yaml: company invoices with VAT-included totals."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connexion.context import context, request
from starlette.responses import Response

from ...domain.money import to_decimal
from ...errors import ApiError, FieldError
from ...responses import current_sandbox, current_tenant, json_response
from ...tenants import Tenant
from . import documents as docs
from . import totals as tot
from .pdf import invoice_pdf


# -- helpers ---------------------------------------------------------------------------------
def _prefix() -> str:
    mount = request.scope.get("sandbox.mount")
    return mount.prefix if mount is not None else "/facturala/api"


def _pdf_url(company_id: str, number: str) -> str:
    public = current_sandbox().settings.public_url
    base = public.rstrip("/") if public else f"{request.url.scheme}://{request.url.netloc}"
    return f"{base}{_prefix()}/companies/{company_id}/invoices/{number}/pdf"


def _company_id(companyId: str) -> str:
    """The token's company; the security function already refused other well-formed ids."""
    own = (context.get("token_info") or {}).get("company_id", "")
    if companyId.lower() != own:
        raise ApiError(403, "forbidden", f"This token has no access to company {companyId}")
    return own


def _company(tenant: Tenant, company_id: str) -> dict[str, Any]:
    return docs.company_or_default(tenant.store, company_id, tenant.name)


def _bad_request(message: str, fields: list[FieldError]) -> ApiError:
    summary = "; ".join(f"{f.field}: {f.message}" for f in fields[:3])
    return ApiError(400, "invalid_invoice", f"{message}: {summary}" if summary else message, fields=fields)


def _invoice_or_404(tenant: Tenant, company_id: str, number: str) -> dict[str, Any]:
    invoice = docs.invoices(tenant.store).get(docs.invoice_key(company_id, number))
    if invoice is None:
        raise ApiError(404, "invoice_not_found", f"No invoice number {number} in company {company_id}")
    return invoice


def _json(invoice: dict[str, Any]) -> dict[str, Any]:
    return docs.invoice_json(invoice, _pdf_url(invoice["company_id"], invoice["number"]))


# -- invoices --------------------------------------------------------------------------------
async def create_invoice(companyId: str, body: dict[str, Any]) -> Response:
    company_id = _company_id(companyId)
    tenant = current_tenant()
    errors = docs.customer_errors(body["customer"])
    try:
        items = docs.stored_items(body["items"])
    except tot.InvalidItem as exc:
        errors.append(FieldError(exc.field, str(exc)))
        items = []
    if errors:
        raise _bad_request("Invalid invoice", errors)
    texts = {k: body.get(k) for k in ("thanks", "note", "footer")}
    with tenant.store.transaction():
        invoice = docs.insert_invoice(
            tenant.store,
            _company(tenant, company_id),
            customer=body["customer"],
            items=items,
            creation=body.get("creationDate") or docs.format_datetime(tenant.clock.now()),
            due=body.get("dueDate"),
            state=body.get("state") or "PENDING",
            texts=texts,
        )
    return json_response(_json(invoice), 201)


async def list_invoices(companyId: str) -> Response:
    company_id = _company_id(companyId)
    found = docs.invoices(current_tenant().store).find(company_id=company_id)
    return json_response([_json(i) for i in sorted(found, key=docs.sort_key)])


async def get_invoice(companyId: str, invoiceNumber: str) -> Response:
    company_id = _company_id(companyId)
    return json_response(_json(_invoice_or_404(current_tenant(), company_id, invoiceNumber)))


async def update_invoice_state(companyId: str, invoiceNumber: str, body: dict[str, Any]) -> Response:
    company_id = _company_id(companyId)
    tenant = current_tenant()
    wanted = body["state"]
    with tenant.store.transaction():
        invoice = _invoice_or_404(tenant, company_id, invoiceNumber)
        current = invoice["state"]
        if wanted != current:
            if wanted not in docs.TRANSITIONS[current]:
                raise ApiError(
                    409,
                    "invalid_state_transition",
                    f"Invoice {invoiceNumber} is {current} and cannot become {wanted}",
                    fields=[FieldError("state", f"{current} → {wanted} is not allowed")],
                )
            docs.invoices(tenant.store).update(invoice["key"], {"state": wanted})
    # The vendor answers 200 with Content-Type application/json and no body.
    return Response(b"", status_code=200, media_type="application/json")


async def get_invoice_pdf(companyId: str, invoiceNumber: str) -> Response:
    company_id = _company_id(companyId)
    tenant = current_tenant()
    invoice = _invoice_or_404(tenant, company_id, invoiceNumber)
    pdf = invoice_pdf(invoice)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="factura-{invoiceNumber}.pdf"'},
    )


# -- company settings (sandbox extension) ----------------------------------------------------
async def get_company_settings(companyId: str) -> Response:
    company_id = _company_id(companyId)
    tenant = current_tenant()
    return json_response(docs.settings_json(_company(tenant, company_id)))


async def update_company_settings(companyId: str, body: dict[str, Any]) -> Response:
    company_id = _company_id(companyId)
    tenant = current_tenant()
    with tenant.store.transaction():
        company = dict(_company(tenant, company_id))
        if "taxRate" in body:
            rate = to_decimal(body["taxRate"])
            if rate not in tot.RATES:
                raise _bad_request("Invalid settings", [FieldError("taxRate", "must be 16 or 19")])
            company["tax_rate"] = str(rate.quantize(Decimal(1)))
        for key in ("thanks", "note", "footer"):
            if key in body:
                company[key] = body[key]
        if "companyData" in body:
            company["companyData"] = {**company["companyData"], **body["companyData"]}
        company = docs.companies(tenant.store).replace(company)
    return json_response(docs.settings_json(company))

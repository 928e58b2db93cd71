"""A Facturovia invoice as a printable Spanish invoice."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...domain.money import to_decimal
from ...domain.pdf import InvoicePdf, Party, PdfLine, render_invoice
from ...tenants import Tenant
from . import documents as docs

COMPANY = "fv_company"


def company(tenant: Tenant) -> dict[str, Any]:
    found = tenant.store.collection(COMPANY).get("company")
    return found or {"name": tenant.name, "tax_id": "", "address": "", "city": "", "postal_code": "", "email": ""}


def _spanish_date(iso: str) -> str:
    return date.fromisoformat(iso).strftime("%d/%m/%Y")


def _address(party: dict[str, Any]) -> tuple[str, ...]:
    place = " ".join(p for p in (party.get("postal_code"), party.get("city")) if p)
    lines = [party.get("address"), place, party.get("country") if party.get("country") not in (None, "ES") else None]
    lines.append(party.get("email"))
    return tuple(line for line in lines if line)


def invoice_pdf(tenant: Tenant, invoice: dict[str, Any], original: dict[str, Any] | None) -> bytes:
    issuer = company(tenant)
    t = docs.totals(invoice["items"])
    corrective = bool(invoice.get("is_corrective"))
    extra = []
    if corrective and original is not None:
        extra.append(f"Rectifica a: {original.get('number')} ({_spanish_date(original['invoice_date'])})")
        extra.append(f"Causa: {invoice.get('causa_rectificacion') or 'R4'}")
    notes = []
    if invoice.get("notes"):
        notes.append(invoice["notes"])
    if invoice.get("external_reference"):
        notes.append(f"Su referencia: {invoice['external_reference']}")
    if invoice["currency"] != "EUR":
        notes.append(f"Importes en {invoice['currency']} (tipo de cambio {invoice['exchange_rate']}).")
    doc = InvoicePdf(
        title="FACTURA RECTIFICATIVA" if corrective else "FACTURA",
        number=invoice["number"],
        date=_spanish_date(invoice["invoice_date"]),
        issuer=Party(issuer["name"], "NIF", issuer.get("tax_id", ""), _address(issuer)),
        customer=Party(invoice["client"]["name"], "NIF", invoice["client"]["tax_id"], _address(invoice["client"])),
        lines=tuple(
            PdfLine(
                description=i["description"] + (f" ({i['reference']})" if i.get("reference") else ""),
                quantity=to_decimal(i["quantity"]),
                unit_price=to_decimal(i["unit_price"]),
                discount=to_decimal(i["discount_percent"]),
                tax_rate=to_decimal(i["vat_rate"]),
                amount=to_decimal(i["net"]),
            )
            for i in invoice["items"]
        ),
        tax_rows=tuple((f"IVA {g.vat_rate.normalize():f}%", g.base, g.vat) for g in t.groups),
        totals=(("Base imponible", t.base), ("IVA", t.vat), ("TOTAL", t.total)),
        currency="€" if invoice["currency"] == "EUR" else invoice["currency"],
        notes=tuple(notes),
        extra_header=tuple(extra),
    )
    return render_invoice(doc)

"""A Facturala invoice as a printable Colombian invoice (factura de venta, COP)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from ...domain.pdf import InvoicePdf, Party, PdfLine, render_invoice
from . import documents as docs

_LABELS = {
    "customer": "Cliente",
    "date": "Fecha",
    "number": "Factura No.",
    "description": "Producto",
    "quantity": "Cant.",
    "price": "Valor unit.",
    "discount": "Dcto. %",
    "tax": "IVA %",
    "amount": "Total",
    "base": "Base gravable",
    "tax_amount": "IVA",
}
_STATE_WATERMARK = {"CANCELED": "ANULADA", "PENDING": None, "PAID": None}


def _date(iso: str) -> str:
    return f"{iso[8:10]}/{iso[5:7]}/{iso[0:4]}"


def invoice_pdf(invoice: dict[str, Any]) -> bytes:
    template = invoice["invoiceTemplate"]
    company = template["companyData"]
    customer = invoice["customer"]
    t = docs.invoice_totals(invoice)
    rate = Decimal(invoice["tax_rate"])
    place = ", ".join(p for p in (customer.get("city"), customer.get("state"), customer.get("country")) if p)
    extra = [f"Estado: {invoice['state']}"]
    if invoice.get("dueDate"):
        extra.append(f"Vence: {_date(invoice['dueDate'])}")
    notes = tuple(
        text
        for text in (
            template.get("header"),
            template.get("thanks"),
            template.get("note"),
            template.get("footer"),
            "Precios con IVA incluido. Valores en pesos colombianos (COP).",
        )
        if text
    )
    doc = InvoicePdf(
        title="FACTURA DE VENTA",
        number=invoice["number"],
        date=_date(invoice["creationDate"]),
        issuer=Party(
            company.get("name") or "",
            "Compañía",
            template["companyId"],
            tuple(x for x in (company.get("address"), company.get("phone"), company.get("email")) if x),
        ),
        customer=Party(
            customer["name"],
            customer["idType"],
            customer["idNumber"],
            tuple(x for x in (customer.get("address"), place, customer.get("email")) if x),
        ),
        lines=tuple(
            PdfLine(
                description=i["name"] + (f" - {i['description']}" if i.get("description") else ""),
                quantity=Decimal(i["quantity"]),
                unit_price=Decimal(i["unitValue"]),
                discount=Decimal(i["discount"] or 0),
                tax_rate=rate,
                amount=Decimal(i["total"]),
            )
            for i in invoice["items"]
        ),
        tax_rows=((f"IVA {rate.normalize():f}%", t.sub_total_no_discounts, t.taxes),),
        totals=(
            ("Subtotal", t.sub_total_no_discounts),
            ("Descuentos", t.discounts),
            (f"IVA {rate.normalize():f}%", t.taxes),
            ("TOTAL", t.total),
        ),
        currency="COP",
        labels=_LABELS,
        notes=notes,
        watermark=_STATE_WATERMARK.get(invoice["state"]),
        extra_header=tuple(extra),
    )
    return render_invoice(doc)

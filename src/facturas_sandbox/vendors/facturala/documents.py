"""Facturala's stored shapes: company settings, customers, invoices; and their JSON form."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ...domain.money import as_json_number, to_decimal
from ...domain.taxid import InvalidTaxId, validate_nit
from ...errors import FieldError
from ...store import Collection, TenantStore
from . import totals as tot

COMPANIES = "fl_companies"
INVOICES = "fl_invoices"
STATES = ("PAID", "PENDING", "CANCELED")
# Allowed state changes (sandbox assumption; the vendor publishes none). Same state → no-op.
TRANSITIONS: dict[str, frozenset[str]] = {
    "PENDING": frozenset({"PAID", "CANCELED"}),
    "PAID": frozenset({"PENDING"}),
    "CANCELED": frozenset(),
}
TEMPLATE_NAME = "template.ftl"
CUSTOMER_FIELDS = ("name", "idType", "idNumber", "address", "city", "state", "country", "email")
COMPANY_DATA_FIELDS = ("name", "address", "phone", "email", "logoUrl")
ID_TYPES = ("RC", "TI", "CC", "TE", "CE", "NIT", "PP", "CIE")
_DIGITS = re.compile(r"^[0-9]{3,15}$")
_ALNUM = re.compile(r"^[0-9A-Za-z]{3,20}$")


def companies(store: TenantStore) -> Collection:
    return store.collection(COMPANIES, key="company_id")


def invoices(store: TenantStore) -> Collection:
    return store.collection(INVOICES, key="key", indexes=("company_id",))


def invoice_key(company_id: str, number: str) -> str:
    return f"{company_id}:{number}"


def sequence(company_id: str) -> str:
    return f"fl_invoice:{company_id}"


# -- company ---------------------------------------------------------------------------------
def new_company(company_id: str, data: dict[str, Any]) -> dict[str, Any]:
    template = data.get("template", {})
    return {
        "company_id": company_id,
        "tax_rate": str(to_decimal(data.get("taxRate", tot.DEFAULT_RATE))),
        "companyData": {k: data["companyData"].get(k) for k in COMPANY_DATA_FIELDS},
        "header": template.get("header"),
        "thanks": template.get("thanks"),
        "note": template.get("note"),
        "footer": template.get("footer"),
        "templateName": template.get("templateName", TEMPLATE_NAME),
    }


def company_or_default(store: TenantStore, company_id: str, fallback_name: str) -> dict[str, Any]:
    found = companies(store).get(company_id)
    if found is not None:
        return found
    return new_company(company_id, {"companyData": {"name": fallback_name}})


def template_json(company: dict[str, Any], overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """The invoiceTemplate of an invoice created now: the company's, with the body's texts."""
    overrides = overrides or {}
    return {
        "companyId": company["company_id"],
        "header": company.get("header"),
        "companyData": {k: company["companyData"].get(k) for k in COMPANY_DATA_FIELDS},
        **{k: overrides[k] if overrides.get(k) is not None else company.get(k) for k in ("thanks", "note", "footer")},
        "templateName": company.get("templateName") or TEMPLATE_NAME,
    }


def settings_json(company: dict[str, Any]) -> dict[str, Any]:
    return {
        "companyId": company["company_id"],
        "taxRate": as_json_number(Decimal(company["tax_rate"])),
        "invoiceTemplate": template_json(company),
    }


# -- customers -------------------------------------------------------------------------------
def customer_errors(customer: dict[str, Any], prefix: str = "customer") -> list[FieldError]:
    """What is wrong with a customer's identification (the schema checked the types)."""
    id_type = customer.get("idType")
    number = str(customer.get("idNumber", "")).strip()
    field = f"{prefix}.idNumber"
    if id_type not in ID_TYPES:
        return [FieldError(f"{prefix}.idType", f"must be one of {', '.join(ID_TYPES)}")]
    if id_type == "NIT":
        try:
            validate_nit(number)
        except InvalidTaxId:
            return [FieldError(field, f"{number!r} is not a valid NIT (check digit included)")]
        return []
    if id_type in ("RC", "TI", "CC"):
        if not _DIGITS.match(number):
            return [FieldError(field, f"a {id_type} number is 3 to 15 digits")]
        return []
    if not _ALNUM.match(number):
        return [FieldError(field, f"a {id_type} number is 3 to 20 letters or digits")]
    return []


def stored_customer(customer: dict[str, Any]) -> dict[str, Any]:
    out = {k: customer.get(k) for k in CUSTOMER_FIELDS}
    out["name"] = str(out["name"]).strip(" \t\n\r\f\v")  # required by the contract
    out["idNumber"] = str(out["idNumber"]).strip()
    return out


# -- dates -----------------------------------------------------------------------------------
def format_datetime(moment: datetime) -> str:
    """UTC with milliseconds, as the vendor answers: 2015-11-16T00:03:53.846Z."""
    m = moment.astimezone(UTC)
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
        f".{m.microsecond // 1000:03d}Z"
    )


# -- invoices --------------------------------------------------------------------------------
def stored_items(raw_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Items with their totals, amounts as decimal strings; raises totals.InvalidItem."""
    out = []
    for n, raw in enumerate(raw_items):
        amounts = tot.item_amounts(raw["quantity"], raw["unitValue"], raw.get("discount"), index=n)
        out.append(
            {
                "name": raw["name"].strip(" \t\n\r\f\v"),
                "description": raw.get("description"),
                "quantity": str(amounts.quantity),
                "unitValue": str(amounts.unit_value),
                "discount": None if amounts.discount is None else str(amounts.discount),
                "total": str(amounts.total),
                "discount_amount": str(amounts.discount_amount),
            }
        )
    return out


def item_amounts(item: dict[str, Any]) -> tot.ItemAmounts:
    discount = item.get("discount")
    return tot.ItemAmounts(
        Decimal(item["quantity"]),
        Decimal(item["unitValue"]),
        None if discount is None else Decimal(discount),
        Decimal(item["total"]),
        Decimal(item.get("discount_amount", "0")),
    )


def invoice_totals(invoice: dict[str, Any]) -> tot.InvoiceTotals:
    return tot.invoice_totals((item_amounts(i) for i in invoice["items"]), Decimal(invoice["tax_rate"]))


def sort_key(invoice: dict[str, Any]) -> int:
    return int(invoice["number"])


def invoice_json(invoice: dict[str, Any], pdf_url: str) -> dict[str, Any]:
    t = invoice_totals(invoice)
    return {
        "creationDate": invoice["creationDate"],
        "dueDate": invoice.get("dueDate"),
        "state": invoice["state"],
        "invoicePDFUrl": pdf_url,
        "invoiceTemplate": invoice["invoiceTemplate"],
        "number": invoice["number"],
        "customer": {k: invoice["customer"].get(k) for k in CUSTOMER_FIELDS},
        "items": [
            {
                "name": i["name"],
                "description": i.get("description"),
                "quantity": as_json_number(Decimal(i["quantity"])),
                "unitValue": as_json_number(Decimal(i["unitValue"])),
                "discount": None if i.get("discount") is None else as_json_number(Decimal(i["discount"])),
                "total": as_json_number(Decimal(i["total"])),
            }
            for i in invoice["items"]
        ],
        "totals": {
            "subTotalNoDiscounts": as_json_number(t.sub_total_no_discounts),
            "discounts": as_json_number(t.discounts),
            "total": as_json_number(t.total),
            "taxes": as_json_number(t.taxes),
        },
    }


def insert_invoice(
    store: TenantStore,
    company: dict[str, Any],
    *,
    customer: dict[str, Any],
    items: list[dict[str, Any]],
    creation: str,
    due: str | None,
    state: str,
    texts: dict[str, Any],
) -> dict[str, Any]:
    """Number and save an invoice. Call inside the store's transaction: the number is drawn
    there, so a failed save gives it back and concurrent creations never share one."""
    number = str(store.next_number(sequence(company["company_id"])))
    invoice = {
        "key": invoice_key(company["company_id"], number),
        "company_id": company["company_id"],
        "number": number,
        # Dates are kept as sent (the contract checked them): the vendor echoes them verbatim.
        "creationDate": creation,
        "dueDate": due,
        "state": state,
        "tax_rate": company["tax_rate"],
        "invoiceTemplate": template_json(company, texts),
        "customer": stored_customer(customer),
        "items": items,
    }
    return invoices(store).insert(invoice)

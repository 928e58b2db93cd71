"""Customers' identification rules, the company's VAT rate setting, and the invoice PDF."""

from __future__ import annotations

import re
import zlib

import pytest

from .conftest import Company, invoice_body


@pytest.mark.parametrize(
    ("id_type", "number"),
    [
        ("CC", "1020304050"),
        ("TI", "1001234567"),
        ("RC", "123456789"),
        ("NIT", "900373115-3"),
        ("NIT", "900.373.115-3"),
        ("NIT", "9003731153"),
        ("CE", "E123456"),
        ("PP", "AB1234567"),
        ("TE", "T12345"),
        ("CIE", "X99887766"),
    ],
)
def test_valid_identifications(company: Company, id_type: str, number: str) -> None:
    created = company.create(invoice_body(customer={"name": "Cliente", "idType": id_type, "idNumber": number}))
    assert created["customer"]["idType"] == id_type
    assert created["customer"]["idNumber"] == number
    assert created["customer"]["address"] is None


@pytest.mark.parametrize(
    ("id_type", "number", "field"),
    [
        ("NIT", "900373115-4", "customer.idNumber"),  # wrong check digit
        ("NIT", "9003731154", "customer.idNumber"),
        ("CC", "12AB34", "customer"),
        ("CC", "12", "customer"),
        ("PP", "AB-123", "customer"),
        ("XX", "123456", "customer"),
        ("cc", "123456", "customer"),
    ],
)
def test_invalid_identifications_are_400(company: Company, id_type: str, number: str, field: str) -> None:
    response = company.post("/invoices", invoice_body(customer={"name": "C", "idType": id_type, "idNumber": number}))
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"status", "code", "message", "fields"}
    assert body["status"] == 400 and body["message"]
    assert body["fields"] and body["fields"][0]["field"] == field


def test_missing_customer_fields_are_listed(company: Company) -> None:
    response = company.post("/invoices", {"customer": {"idType": "CC"}, "items": []})
    assert response.status_code == 400
    fields = {f["field"] for f in response.json()["fields"]}
    assert "items" in fields


def test_rate_is_16_by_default_and_19_selectable(company: Company) -> None:
    settings = company.get("/settings").json()
    assert settings["taxRate"] == 16
    old = company.create(invoice_body(items=[{"name": "PC", "unitValue": 1600000, "quantity": 1}]))
    changed = company.put("/settings", {"taxRate": 19})
    assert changed.status_code == 200 and changed.json()["taxRate"] == 19
    new = company.create(invoice_body(items=[{"name": "PC", "unitValue": 1600000, "quantity": 1}]))
    assert new["totals"] == {"subTotalNoDiscounts": 1344537.82, "discounts": 0, "total": 1600000, "taxes": 255462.19}
    # Existing invoices keep the rate they were created with.
    assert company.get(f"/invoices/{old['number']}").json()["totals"]["taxes"] == 220689.65
    assert company.put("/settings", {"taxRate": 17}).status_code == 400


def test_template_texts_from_settings_and_body(company: Company) -> None:
    company.put("/settings", {"thanks": "Mil gracias", "companyData": {"name": "Acme SAS"}})
    template = company.create()["invoiceTemplate"]
    assert template["thanks"] == "Mil gracias"
    assert template["companyData"]["name"] == "Acme SAS"
    assert template["companyId"] == company.id and template["templateName"] == "template.ftl"
    assert company.create(invoice_body(thanks="Gracias"))["invoiceTemplate"]["thanks"] == "Gracias"


def _pdf_text(pdf: bytes) -> str:
    chunks = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        try:
            chunks.append(zlib.decompress(match.group(1)).decode("latin-1"))
        except zlib.error:
            chunks.append(match.group(1).decode("latin-1"))
    return "\n".join(chunks)


def test_pdf_is_served_at_invoice_pdf_url(company: Company) -> None:
    created = company.create(
        invoice_body(
            customer={"name": "Distribuidora Andina", "idType": "NIT", "idNumber": "901.234.567-7"},
            items=[{"name": "Monitor", "unitValue": 450000, "quantity": 3}],
        )
    )
    url = created["invoicePDFUrl"]
    response = company.client.get(url, headers=company.headers)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = _pdf_text(response.content)
    for expected in ("FACTURA DE VENTA", "NIT 901.234.567-7", "Distribuidora Andina", "Monitor", "COP"):
        assert expected in text, expected
    assert "1.350.000,00 COP" in text and "1.163.793,10 COP" in text and "186.206,90 COP" in text
    assert company.client.get(url).status_code == 401

"""The vendor's documented requests get the documented responses."""

from __future__ import annotations

import copy
import re

from facturas_sandbox.vendors.facturala import DEMO_COMPANY_ID, DEMO_TOKEN, VENDOR
from facturas_sandbox.vendors.facturala import documents as docs

from .conftest import DOCUMENTED_REQUEST, Company

TEMPLATE = {
    "companyId": "56491cd4e4b0c19ae3b74ed3",
    "header": None,
    "companyData": {
        "name": "Facturala",
        "address": "Cll 123 # 12 - 23",
        "phone": "1234567",
        "email": "info@facturala.co",
        "logoUrl": "1da7993d-931a-414b-b494-82c658965d8c.png",
    },
    "thanks": "Gracias",
    "note": "Se aplicará una multa equivalente al 1.5% despues de 30 días de mora.",
    "footer": "Factura creada en computador y es válida sin firma y sello.",
    "templateName": "template.ftl",
}
INVOICE_1 = {
    "creationDate": "2015-11-16T00:03:53.846Z",
    "dueDate": "2015-12-31T05:00:00.000Z",
    "state": "PAID",
    "invoiceTemplate": TEMPLATE,
    "number": "1",
    "customer": {
        "name": "Carlos Rodriguez",
        "idType": "CC",
        "idNumber": "304204672683",
        "address": "Cl 34 # 45 - 10",
        "city": "Medellín",
        "state": "Antioquia",
        "country": "Colombia",
        "email": "crodriguez@gmail.com",
    },
    "items": [
        {
            "name": "Computador",
            "description": "Asus K45V",
            "quantity": 1,
            "unitValue": 1600000,
            "discount": None,
            "total": 1600000,
        }
    ],
    "totals": {"subTotalNoDiscounts": 1379310.34, "discounts": 0, "total": 1600000, "taxes": 220689.65},
}
INVOICE_2 = {
    "creationDate": "2015-11-16T00:57:19.275Z",
    "dueDate": "2015-11-21T05:00:00.000Z",
    "state": "PAID",
    "invoiceTemplate": TEMPLATE,
    "number": "2",
    "customer": {
        "name": "Felipe Restrepo",
        "idType": "CC",
        "idNumber": "40750374503",
        "address": "Cl 145 # 13 - 25",
        "city": "Bogota",
        "state": "Cundinamarca",
        "country": "Colombia",
        "email": "frestrepo@gmail.com",
    },
    "items": [
        {
            "name": "Mouse",
            "description": "Wireless mobile mouse 1000",
            "quantity": 1,
            "unitValue": 50000,
            "discount": None,
            "total": 50000,
        }
    ],
    "totals": {"subTotalNoDiscounts": 43103.45, "discounts": 0, "total": 50000, "taxes": 6896.55},
}


def _without_pdf(invoice: dict) -> dict:
    out = dict(invoice)
    url = out.pop("invoicePDFUrl")
    assert re.fullmatch(r"http://testserver/facturala/facturala/api/companies/[0-9a-f]{24}/invoices/\d+/pdf", url)
    return out


def test_demo_credentials_are_the_documented_ones() -> None:
    assert VENDOR.new_credentials(demo=True) == {"token": DEMO_TOKEN, "company_id": DEMO_COMPANY_ID}
    assert DEMO_TOKEN == "66e58291f7cbcd5157f3"
    assert DEMO_COMPANY_ID == "56491cd4e4b0c19ae3b74ed3"


def test_new_credentials_have_the_vendor_shapes() -> None:
    a, b = VENDOR.new_credentials(demo=False), VENDOR.new_credentials(demo=False)
    assert re.fullmatch(r"[0-9a-f]{20}", a["token"]) and re.fullmatch(r"[0-9a-f]{24}", a["company_id"])
    assert a != b


def test_get_invoice_1_as_documented(demo: Company) -> None:
    response = demo.get("/invoices/1")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert _without_pdf(response.json()) == INVOICE_1


def test_list_starts_with_the_documented_invoices(demo: Company) -> None:
    response = demo.get("/invoices")
    assert response.status_code == 200
    listed = response.json()
    assert [_without_pdf(i) for i in listed[:2]] == [INVOICE_1, INVOICE_2]
    assert [i["number"] for i in listed] == [str(n) for n in range(1, len(listed) + 1)]
    assert {i["state"] for i in listed} == {"PAID", "PENDING", "CANCELED"}


def test_third_documented_total(demo: Company) -> None:
    totals = demo.get("/invoices/3").json()["totals"]
    assert totals == {"subTotalNoDiscounts": 1163793.1, "discounts": 0, "total": 1350000, "taxes": 186206.9}


def test_documented_create_on_an_empty_company(demo: Company) -> None:
    store = demo.tenant.store
    with store.transaction():
        for invoice in docs.invoices(store).all():
            docs.invoices(store).delete(invoice["key"])
        store.collection("_sequences", key="name").delete(docs.sequence(demo.id))
    response = demo.post("/invoices", copy.deepcopy(DOCUMENTED_REQUEST))
    assert response.status_code == 201
    assert response.headers["content-type"] == "application/json"
    assert _without_pdf(response.json()) == {**INVOICE_1, "state": "PENDING"}


def test_documented_state_update(demo: Company) -> None:
    response = demo.put("/invoices/3/state", {"state": "PAID"})
    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["content-type"] == "application/json"
    assert demo.get("/invoices/3").json()["state"] == "PAID"

"""The two JavaScript workflows of Facturovia's documentation, replayed with exact totals."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader
from starlette.testclient import TestClient


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_find_or_create_then_invoice_issue_and_pdf(client: TestClient, fv: dict[str, Any]) -> None:
    base, rw = fv["base"], fv["rw"]
    talleres = {
        "tax_id": "B12345674",
        "name": "Talleres García S.L.",
        "email": "info@talleresgarcia.es",
        "address": "Calle Mayor 1",
        "city": "Madrid",
        "postal_code": "28001",
        "country": "ES",
    }
    first = client.post(f"{base}/clients/find-or-create", json=talleres, headers=rw)
    assert first.status_code == 201 and first.json()["created"] is True
    client_id = first.json()["client"]["id"]
    again = client.post(f"{base}/clients/find-or-create", json={**talleres, "name": "Otro nombre"}, headers=rw)
    assert again.status_code == 200
    assert again.json() == {"client": first.json()["client"], "created": False}

    invoice = client.post(
        f"{base}/invoices",
        json={
            "client_id": client_id,
            "invoice_date": "2026-06-15",
            "currency": "EUR",
            "exchange_rate": 1,
            "items": [
                {
                    "description": "Filtro de aceite Toyota Corolla",
                    "quantity": 2,
                    "unit_price": 15.99,
                    "vat_rate": 21,
                    "discount_percent": 0,
                }
            ],
        },
        headers=rw,
    )
    assert invoice.status_code == 201, invoice.text
    body = invoice.json()
    assert (body["status"], body["number"], body["pdf_url"]) == ("draft", None, None)
    assert body["items"][0]["net"] == 31.98
    assert body["vat_breakdown"] == [{"vat_rate": 21, "base": 31.98, "vat": 6.72}]
    assert (body["subtotal"], body["total_vat"], body["total"]) == (31.98, 6.72, 38.7)
    assert invoice.headers["location"] == f"{base}/invoices/{body['id']}"
    assert client.get(f"{base}/invoices/{body['id']}/pdf", headers=rw).status_code == 409  # a draft

    issued = client.post(f"{base}/invoices/{body['id']}/issue", headers=rw)
    assert issued.status_code == 200
    # The fixtures issued 2026-0001 … 2026-0006 under the frozen clock; this is the next one.
    assert issued.json()["number"] == "2026-0007"
    assert issued.json()["status"] == "issued"
    assert issued.json()["issued_at"].startswith("2026-06-15T09:30:00")

    pdf = client.get(f"{base}/invoices/{body['id']}/pdf", headers=rw)
    assert pdf.status_code == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"] == 'inline; filename="factura-2026-0007.pdf"'
    text = _pdf_text(pdf.content)
    for expected in (
        "FACTURA",
        "2026-0007",
        "15/06/2026",
        "Talleres García S.L.",
        "B12345674",
        "Recambios Levante S.L.",
        "B46123451",
        "Filtro de aceite Toyota Corolla",
        "31,98",
        "6,72",
        "38,70",
    ):
        assert expected in text, expected


def test_external_reference_lookup_and_partial_rectification(client: TestClient, fv: dict[str, Any]) -> None:
    base, rw = fv["base"], fv["rw"]
    client_id = client.get(f"{base}/clients", headers=rw).json()["data"][0]["id"]
    items = [
        {
            "description": "Filtro aceite REF-001",
            "quantity": 1,
            "unit_price": 15.99,
            "vat_rate": 21,
            "discount_percent": 0,
        },
        {
            "description": "Correa distribución REF-045",
            "quantity": 2,
            "unit_price": 89.50,
            "vat_rate": 21,
            "discount_percent": 0,
        },
    ]
    created = client.post(
        f"{base}/invoices",
        json={
            "external_reference": "ORDER-9001",
            "client_id": client_id,
            "invoice_date": "2026-06-15",
            "currency": "EUR",
            "exchange_rate": 1,
            "items": items,
        },
        headers=rw,
    ).json()
    assert (created["subtotal"], created["total_vat"], created["total"]) == (194.99, 40.95, 235.94)
    assert client.post(f"{base}/invoices/{created['id']}/issue", headers=rw).status_code == 200

    found = client.get(f"{base}/invoices", params={"external_reference": "ORDER-9001"}, headers=rw).json()
    (original,) = found["data"]
    assert original["id"] == created["id"]

    refund = {
        "items": [
            {
                "description": "Filtro aceite REF-001",
                "reference": "REF-001",
                "quantity": 1,
                "unit_price": 15.99,
                "vat_rate": 21,
                "discount_percent": 0,
            },
            {
                "description": "Correa distribución REF-045",
                "reference": "REF-045",
                "quantity": 2,
                "unit_price": 89.50,
                "vat_rate": 21,
                "discount_percent": 0,
            },
        ],
        "notes": "Devolución parcial — piezas defectuosas",
        "causa_rectificacion": "R1",
    }
    # The original lines carry no reference, so matching falls to… nothing: a reference that
    # matches no line is not silently matched by description.
    no_match = client.post(f"{base}/invoices/{original['id']}/rectify", json=refund, headers=rw)
    assert no_match.status_code == 422
    assert no_match.json()["error"]["fields"][0]["field"] == "items[0]"

    for item in refund["items"]:
        del item["reference"]
    rectified = client.post(f"{base}/invoices/{original['id']}/rectify", json=refund, headers=rw)
    assert rectified.status_code == 201, rectified.text
    inv = rectified.json()["invoice"]
    assert (inv["status"], inv["is_corrective"], inv["original_invoice_id"]) == ("draft", True, original["id"])
    assert [i["quantity"] for i in inv["items"]] == [-1, -2]
    assert (inv["subtotal"], inv["total_vat"], inv["total"]) == (-194.99, -40.95, -235.94)
    assert inv["causa_rectificacion"] == "R1" and inv["notes"] == refund["notes"]

    again = client.post(f"{base}/invoices/{original['id']}/rectify", json=refund, headers=rw)
    assert again.status_code == 409 and again.json()["error"]["code"] == "nothing_to_refund"
    assert client.post(f"{base}/invoices/{original['id']}/correct", headers=rw).status_code == 409

    issued = client.post(f"{base}/invoices/{inv['id']}/issue", headers=rw).json()
    assert issued["number"] == "R2026-0002"  # the fixtures issued R2026-0001


def test_fixture_order_can_be_found_and_partly_refunded_with_capping(client: TestClient, fv: dict[str, Any]) -> None:
    base, rw = fv["base"], fv["rw"]
    (original,) = client.get(f"{base}/invoices?external_reference=ORDER-2852", headers=rw).json()["data"]
    first = client.post(
        f"{base}/invoices/{original['id']}/rectify",
        json={"items": [{"reference": "REF-045", "quantity": 1}]},
        headers=rw,
    )
    assert first.status_code == 201
    assert "X-Sandbox-Warning" not in first.headers
    capped = client.post(
        f"{base}/invoices/{original['id']}/rectify",
        json={"items": [{"reference": "REF-045", "quantity": 5}]},
        headers=rw,
    )
    assert capped.status_code == 201
    assert capped.json()["invoice"]["items"][0]["quantity"] == -1
    assert "capped at 1" in capped.headers["x-sandbox-warning"]
    corrected = client.post(f"{base}/invoices/{original['id']}/correct", headers=rw)
    assert corrected.status_code == 201
    assert [(i["reference"], i["quantity"]) for i in corrected.json()["invoice"]["items"]] == [("REF-001", -1)]

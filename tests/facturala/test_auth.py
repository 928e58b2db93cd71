"""The raw token in Authorization; 401, 403 and 400 as documented; companies isolated."""

from __future__ import annotations

import pytest

from .conftest import PREFIX, Company, invoice_body


def test_raw_token_works(company: Company) -> None:
    assert company.get("/invoices").status_code == 200


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "0123456789abcdef0123"}, {"Authorization": ""}, {"Authorization": "Bearer x"}],
)
def test_missing_or_invalid_token_is_401(company: Company, headers: dict) -> None:
    for response in (
        company.get("/invoices", headers=headers),
        company.get("/invoices/1", headers=headers),
        company.post("/invoices", invoice_body(), headers=headers),
        company.put("/invoices/1/state", {"state": "PAID"}, headers=headers),
    ):
        assert response.status_code == 401
        assert response.json()["status"] == 401


def test_bearer_prefix_is_not_the_documented_form(company: Company) -> None:
    assert company.get("/invoices", headers={"Authorization": f"Bearer {company.token}"}).status_code == 401


def test_other_company_is_403(company: Company, other: Company) -> None:
    foreign = f"{PREFIX}/companies/{other.id}"
    for response in (
        company.client.get(f"{foreign}/invoices", headers=company.headers),
        company.client.get(f"{foreign}/invoices/1", headers=company.headers),
        company.client.post(f"{foreign}/invoices", json=invoice_body(), headers=company.headers),
        company.client.put(f"{foreign}/invoices/1/state", json={"state": "CANCELED"}, headers=company.headers),
        company.client.get(f"{foreign}/invoices/1/pdf", headers=company.headers),
    ):
        assert response.status_code == 403
        assert response.json()["code"] == "forbidden"
    # Nothing changed in the other company.
    assert other.get("/invoices/1").json()["state"] == "PAID"


def test_unknown_company_is_403(company: Company) -> None:
    response = company.client.get(f"{PREFIX}/companies/{'a' * 24}/invoices", headers=company.headers)
    assert response.status_code == 403


def test_company_id_is_case_insensitive(company: Company) -> None:
    response = company.client.get(f"{PREFIX}/companies/{company.id.upper()}/invoices", headers=company.headers)
    assert response.status_code == 200


@pytest.mark.parametrize("company_id", ["xyz", "56491cd4e4b0c19ae3b74ed", "56491cd4e4b0c19ae3b74ed3a", "g" * 24])
def test_malformed_company_id_is_400(company: Company, company_id: str) -> None:
    response = company.client.get(f"{PREFIX}/companies/{company_id}/invoices", headers=company.headers)
    assert response.status_code == 400
    assert response.json()["status"] == 400


def test_malformed_company_id_without_token_is_401(company: Company) -> None:
    assert company.client.get(f"{PREFIX}/companies/xyz/invoices").status_code == 401


def test_companies_are_isolated(company: Company, other: Company) -> None:
    created = company.create(invoice_body(customer={"name": "Solo Acme", "idType": "CC", "idNumber": "123456"}))
    assert all(i["customer"]["name"] != "Solo Acme" for i in other.get("/invoices").json())
    assert other.get(f"/invoices/{created['number']}").status_code == 404
    assert company.put("/settings", {"taxRate": 19}).status_code == 200
    assert other.get("/settings").json()["taxRate"] == 16


def test_tenant_credentials_include_facturala(client, app) -> None:
    response = client.post("/_sandbox/tenants", json={"name": "ci"})
    assert response.status_code == 201, response.text
    creds = response.json()["credentials"]["facturala"]
    assert set(creds) == {"token", "company_id"}
    listed = client.get(f"{PREFIX}/companies/{creds['company_id']}/invoices", headers={"Authorization": creds["token"]})
    assert listed.status_code == 200 and len(listed.json()) == 4

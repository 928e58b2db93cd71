"""Invoice states: the documented three, default PENDING, and the transitions the sandbox allows."""

from __future__ import annotations

import pytest

from .conftest import Company, invoice_body

ALLOWED = {("PENDING", "PAID"), ("PENDING", "CANCELED"), ("PAID", "PENDING")}
STATES = ("PENDING", "PAID", "CANCELED")


def test_default_state_is_pending(company: Company) -> None:
    assert company.create()["state"] == "PENDING"


@pytest.mark.parametrize("state", STATES)
def test_create_in_each_state(company: Company, state: str) -> None:
    assert company.create(invoice_body(state=state))["state"] == state


@pytest.mark.parametrize("state", ["DRAFT", "paid", "", "ISSUED"])
def test_unknown_states_are_400(company: Company, state: str) -> None:
    number = company.create()["number"]
    response = company.put(f"/invoices/{number}/state", {"state": state})
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400 and body["fields"][0]["field"] == "state"
    assert company.post("/invoices", invoice_body(state=state)).status_code == 400


@pytest.mark.parametrize("start", STATES)
@pytest.mark.parametrize("target", STATES)
def test_transitions(company: Company, start: str, target: str) -> None:
    number = company.create(invoice_body(state=start))["number"]
    response = company.put(f"/invoices/{number}/state", {"state": target})
    if start == target or (start, target) in ALLOWED:
        assert response.status_code == 200
        assert response.content == b""
        assert company.get(f"/invoices/{number}").json()["state"] == target
    else:
        assert response.status_code == 409
        assert response.json()["code"] == "invalid_state_transition"
        assert company.get(f"/invoices/{number}").json()["state"] == start


def test_canceled_never_becomes_paid(company: Company) -> None:
    number = company.create()["number"]
    assert company.put(f"/invoices/{number}/state", {"state": "CANCELED"}).status_code == 200
    assert company.put(f"/invoices/{number}/state", {"state": "PAID"}).status_code == 409
    assert company.put(f"/invoices/{number}/state", {"state": "PENDING"}).status_code == 409


def test_unknown_number_is_404(company: Company) -> None:
    for response in (
        company.get("/invoices/999"),
        company.put("/invoices/999/state", {"state": "PAID"}),
        company.get("/invoices/999/pdf"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "invoice_not_found"


@pytest.mark.parametrize("number", ["abc", "0", "01", "-1", "1.5"])
def test_malformed_number_is_400(company: Company, number: str) -> None:
    assert company.get(f"/invoices/{number}").status_code == 400
    assert company.put(f"/invoices/{number}/state", {"state": "PAID"}).status_code == 400

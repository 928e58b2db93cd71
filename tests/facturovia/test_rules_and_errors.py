"""Facturovia's rules: keys, plan limits, immutability of issued invoices, bad input."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

ITEM = {"description": "Servicio", "quantity": 1, "unit_price": 100, "vat_rate": 21}


def _client_id(client: TestClient, fv: dict[str, Any]) -> str:
    return client.get(f"{fv['base']}/clients", headers=fv["rw"]).json()["data"][0]["id"]


def _invoice_count(client: TestClient, fv: dict[str, Any]) -> int:
    return len(client.get(f"{fv['base']}/invoices", headers=fv["rw"]).json()["data"])


def test_missing_or_unknown_key_is_401_in_facturovia_shape(client: TestClient, fv: dict[str, Any]) -> None:
    for headers in ({}, bearer("fv_live_nope"), {"Authorization": "Basic abc"}):
        response = client.get(f"{fv['base']}/invoices", headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")


def test_read_only_key_reads_but_cannot_write(client: TestClient, fv: dict[str, Any]) -> None:
    assert client.get(f"{fv['base']}/invoices", headers=fv["ro"]).status_code == 200
    before = _invoice_count(client, fv)
    response = client.post(
        f"{fv['base']}/invoices", json={"client_id": _client_id(client, fv), "items": [ITEM]}, headers=fv["ro"]
    )
    assert response.status_code == 403 and response.json()["error"]["code"] == "read_only_key"
    assert _invoice_count(client, fv) == before


def test_issued_invoices_are_frozen(client: TestClient, fv: dict[str, Any]) -> None:
    base, rw = fv["base"], fv["rw"]
    draft = client.post(
        f"{base}/invoices", json={"client_id": _client_id(client, fv), "items": [ITEM]}, headers=rw
    ).json()
    changed = client.patch(
        f"{base}/invoices/{draft['id']}", json={"notes": "urgente", "items": [ITEM, ITEM]}, headers=rw
    )
    assert changed.status_code == 200 and changed.json()["total"] == 242
    client.post(f"{base}/invoices/{draft['id']}/issue", headers=rw)
    for response in (
        client.patch(f"{base}/invoices/{draft['id']}", json={"notes": "tarde"}, headers=rw),
        client.delete(f"{base}/invoices/{draft['id']}", headers=rw),
        client.post(f"{base}/invoices/{draft['id']}/issue", headers=rw),
    ):
        assert response.status_code == 409
    assert client.get(f"{base}/invoices/{draft['id']}", headers=rw).json()["notes"] == "urgente"


def test_a_deleted_draft_is_gone(client: TestClient, fv: dict[str, Any]) -> None:
    base, rw = fv["base"], fv["rw"]
    draft = client.post(
        f"{base}/invoices", json={"client_id": _client_id(client, fv), "items": [ITEM]}, headers=rw
    ).json()
    assert client.delete(f"{base}/invoices/{draft['id']}", headers=rw).status_code == 204
    assert client.get(f"{base}/invoices/{draft['id']}", headers=rw).status_code == 404


def test_invalid_tax_id_is_422_naming_the_field(client: TestClient, fv: dict[str, Any]) -> None:
    before = len(client.get(f"{fv['base']}/clients", headers=fv["rw"]).json()["data"])
    response = client.post(f"{fv['base']}/clients", json={"tax_id": "B12345675", "name": "X"}, headers=fv["rw"])
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "tax_id"
    assert len(client.get(f"{fv['base']}/clients", headers=fv["rw"]).json()["data"]) == before


def test_every_offending_field_is_listed(client: TestClient, fv: dict[str, Any]) -> None:
    response = client.post(
        f"{fv['base']}/invoices",
        json={"items": [{"description": "", "quantity": "2", "unit_price": 1, "vat_rate": 17, "colour": "red"}]},
        headers=fv["rw"],
    )
    assert response.status_code == 422
    fields = {f["field"] for f in response.json()["error"]["fields"]}
    assert {"client_id", "items[0].description", "items[0].quantity", "items[0].vat_rate", "items[0].colour"} <= fields


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b'{"client_id": ', "application/json", 400),
        (b'{"notes": "\xff\xfe"}', "application/json", 400),
        (b'{"client_id": NaN, "items": []}', "application/json", 400),
        (b'{"client_id": "a", "client_id": "b", "items": []}', "application/json", 400),
        (b"[" * 5000 + b"]" * 5000, "application/json", 400),
        (b"client_id=x", "application/x-www-form-urlencoded", 415),
        (b'{"client_id": "x"}', "text/plain", 415),
        (b"x" * (1024 * 1024 + 1), "application/json", 413),
    ],
)
def test_bad_bodies_get_a_clear_4xx_and_change_nothing(
    client: TestClient, fv: dict[str, Any], content: bytes, content_type: str, status: int
) -> None:
    before = _invoice_count(client, fv)
    response = client.post(
        f"{fv['base']}/invoices", content=content, headers={**fv["rw"], "Content-Type": content_type}
    )
    assert response.status_code == status, response.text
    assert set(response.json()["error"]) == {"code", "message", "fields"}
    assert _invoice_count(client, fv) == before


def test_free_plan_caps_invoices_a_month_with_402(client: TestClient, fv: dict[str, Any]) -> None:
    tenant = fv["tenant"]
    assert (
        client.patch(f"/_sandbox/tenants/{tenant['id']}", json={"plan": "free"}, headers=fv["admin"]).status_code == 200
    )
    client_id = _client_id(client, fv)
    statuses = [
        client.post(
            f"{fv['base']}/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=fv["rw"]
        ).status_code
        for _ in range(11)
    ]
    # The fixtures created none this month under the frozen clock's month? They did: count them.
    assert statuses.count(402) >= 1 and statuses[0] in (201, 402)
    assert statuses[statuses.index(402) :] == [402] * (11 - statuses.index(402))
    response = client.post(f"{fv['base']}/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=fv["rw"])
    assert "Professional" in response.json()["error"]["message"]


def test_one_tenant_never_sees_another_tenants_invoices(client: TestClient, fv: dict[str, Any]) -> None:
    other = client.post("/_sandbox/tenants", json={}).json()
    other_key = bearer(other["credentials"]["facturovia"]["read_write"])
    mine = client.get(f"{fv['base']}/invoices", headers=fv["rw"]).json()["data"]
    theirs = client.get(f"{fv['base']}/invoices", headers=other_key).json()["data"]
    assert not {i["id"] for i in mine} & {i["id"] for i in theirs}
    for invoice in mine[:3]:
        assert client.get(f"{fv['base']}/invoices/{invoice['id']}", headers=other_key).status_code == 404
        assert client.get(f"{fv['base']}/invoices/{invoice['id']}/pdf", headers=other_key).status_code == 404
    ref = mine[0]["external_reference"]
    assert client.get(f"{fv['base']}/invoices", params={"external_reference": ref}, headers=other_key).json()[
        "data"
    ] == [i for i in theirs if i["external_reference"] == ref]


@pytest.mark.parametrize("bad_date", ["0000-00-00", "", "2026-02-30", "21-08-2026"])
def test_impossible_dates_are_invalid_data(client: TestClient, fv: dict[str, Any], bad_date: str) -> None:
    # OpenAPI 3.0 is JSON Schema draft 4, which has no `date` format: the sandbox checks it.
    before = _invoice_count(client, fv)
    response = client.post(
        f"{fv['base']}/invoices",
        json={"client_id": _client_id(client, fv), "invoice_date": bad_date, "items": [ITEM]},
        headers=fv["rw"],
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"][0]["field"] == "invoice_date"
    assert _invoice_count(client, fv) == before


def test_a_whitespace_body_is_not_an_absent_body(client: TestClient, fv: dict[str, Any]) -> None:
    response = client.post("/_sandbox/tenants", content=b"\t \n", headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_body"


def _issued(client: TestClient, fv: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    base, rw = fv["base"], fv["rw"]
    (a_client, *_) = client.get(f"{base}/clients", headers=rw).json()["data"]
    draft = client.post(f"{base}/invoices", json={"client_id": a_client["id"], "items": items}, headers=rw)
    assert draft.status_code == 201, draft.text
    issued = client.post(f"{base}/invoices/{draft.json()['id']}/issue", headers=rw)
    assert issued.status_code == 200, issued.text
    return issued.json()


def _line(description: str, quantity: float, unit_price: float) -> dict[str, Any]:
    return {"description": description, "quantity": quantity, "unit_price": unit_price, "vat_rate": 21}


def test_partial_refunds_of_a_line_add_up_to_the_line_to_the_cent(client: TestClient, fv: dict[str, Any]) -> None:
    original = _issued(client, fv, [_line("Tornillo", 3, 0.335)])
    assert (original["subtotal"], original["total"]) == (1.01, 1.22)
    refunds = []
    for _ in range(3):
        r = client.post(
            f"{fv['base']}/invoices/{original['id']}/rectify",
            json={"items": [{"description": "Tornillo", "quantity": 1}]},
            headers=fv["rw"],
        )
        assert r.status_code == 201, r.text
        refunds.append(r.json()["invoice"])
    assert [i["items"][0]["net"] for i in refunds] == [-0.34, -0.34, -0.33]
    assert sum(Decimal(str(i["subtotal"])) for i in refunds) == Decimal("-1.01")
    assert sum(Decimal(str(i["total"])) for i in refunds) == Decimal("-1.22")
    fourth = client.post(
        f"{fv['base']}/invoices/{original['id']}/rectify",
        json={"items": [{"description": "Tornillo", "quantity": 1}]},
        headers=fv["rw"],
    )
    assert fourth.status_code == 409 and fourth.json()["error"]["code"] == "nothing_to_refund"


def test_rectify_by_description_reaches_the_second_line_of_that_name(client: TestClient, fv: dict[str, Any]) -> None:
    original = _issued(client, fv, [_line("Servicio", 1, 100), _line("Servicio", 1, 50)])
    url = f"{fv['base']}/invoices/{original['id']}/rectify"
    body = {"items": [{"description": "Servicio", "quantity": 1}]}
    first = client.post(url, json=body, headers=fv["rw"])
    second = client.post(url, json=body, headers=fv["rw"])
    assert (first.status_code, second.status_code) == (201, 201), second.text
    assert [first.json()["invoice"]["subtotal"], second.json()["invoice"]["subtotal"]] == [-100, -50]
    assert client.post(url, json=body, headers=fv["rw"]).status_code == 409


def test_a_full_correction_negates_every_line_discounts_included(client: TestClient, fv: dict[str, Any]) -> None:
    original = _issued(client, fv, [_line("Servicio", 30, 10), _line("Descuento", -30, 1)])
    corrected = client.post(f"{fv['base']}/invoices/{original['id']}/correct", headers=fv["rw"])
    assert corrected.status_code == 201, corrected.text
    inv = corrected.json()["invoice"]
    assert [i["quantity"] for i in inv["items"]] == [-30, 30]
    assert inv["total"] == -original["total"]
    assert client.post(f"{fv['base']}/invoices/{original['id']}/correct", headers=fv["rw"]).status_code == 409

"""A request the contract refuses is logged once, with its API, method and path, in plain
words, on every API and the control plane (not Connexion's bare `Validation error: …`)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox.tenants import DEMO_ADMIN_TOKEN

FV = bearer("fv_live_demo_rw_0000000000000000000000")
CASES = [
    ("facturovia", "POST", "/facturovia/api/invoices", {"json": {"items": []}, "headers": FV}, "client_id"),
    (
        "facturascripts",
        "POST",
        "/facturascripts/api/3/clientes",
        {"data": {"codcliente": "x" * 20}, "headers": {"Token": "fsDemoFullAccess0001"}},
        "codcliente",
    ),
    (
        "facturala",
        "POST",
        "/facturala/facturala/api/companies/56491cd4e4b0c19ae3b74ed3/invoices",
        {"json": {"items": "none"}, "headers": {"Authorization": "66e58291f7cbcd5157f3"}},
        "items",
    ),
    ("facturagem", "POST", "/facturagem/api/v1/session.json", {"json": {"password": "x"}}, "login"),
    ("_sandbox", "PATCH", "/_sandbox/tenants/demo", {"json": {"plan": 7}, "headers": bearer(DEMO_ADMIN_TOKEN)}, "plan"),
]


@pytest.mark.parametrize(("api", "method", "path", "kwargs", "field"), CASES, ids=[c[0] for c in CASES])
def test_a_refused_request_is_logged_with_api_method_and_path(
    client: TestClient, caplog: Any, api: str, method: str, path: str, kwargs: dict[str, Any], field: str
) -> None:
    with caplog.at_level(logging.INFO):
        response = client.request(method, path, **kwargs)
    assert 400 <= response.status_code < 500, response.text
    lines = [r.getMessage() for r in caplog.records if r.name == "facturas_sandbox.requests"]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"{api} {method} {path} refused with {response.status_code}: ") and field in lines[0]
    assert not [r for r in caplog.records if r.getMessage().startswith("Validation error:")]

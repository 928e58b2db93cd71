"""connexion_compat: Connexion's per-operation work done once, and only on the Connexion it
was written for."""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from connexion import AsyncApp
from connexion.middleware.request_validation import RequestValidationMiddleware
from connexion.validators.parameter import ParameterValidator
from starlette.testclient import TestClient
from support import OPERATOR

from facturas_sandbox import connexion_compat
from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.vendors.facturovia import DEMO_READ_WRITE

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DEMO = {"Authorization": f"Bearer {DEMO_READ_WRITE}"}


def test_the_pinned_connexion_internals_are_the_ones_the_module_was_written_for() -> None:
    # Fails after a Connexion upgrade that touches any internal the fast paths replace or
    # lean on: re-read connexion_compat against the new source, then update INTERNALS
    # (`python -m facturas_sandbox.connexion_compat` prints them).
    assert connexion_compat.internals_changed() == []
    assert connexion_compat.enabled()


def test_the_app_is_built_with_the_fast_paths(app: Any) -> None:
    assert type(app) is connexion_compat.OnceAsyncApp
    assert connexion_compat.OnceRequestValidationMiddleware in app.middleware.middlewares
    assert connexion_compat.security_map() is not None


@pytest.fixture
def stock_connexion(monkeypatch: pytest.MonkeyPatch) -> Any:
    """connexion_compat as it behaves after an upgrade changed one internal."""
    monkeypatch.setitem(connexion_compat.INTERNALS, "AsyncOperation.fn", "0" * 16)
    connexion_compat.enabled.cache_clear()
    yield
    connexion_compat.enabled.cache_clear()


def test_changed_internals_fall_back_to_stock_connexion_with_a_warning(stock_connexion: None) -> None:
    with pytest.warns(RuntimeWarning, match="AsyncOperation.fn"):
        assert not connexion_compat.enabled()
    assert connexion_compat.app_class() is AsyncApp
    assert connexion_compat.request_validation_middleware() is RequestValidationMiddleware
    assert connexion_compat.security_map() is None
    assert connexion_compat.validator_map({"parameter": ParameterValidator})["parameter"] is ParameterValidator


def _answers(client: TestClient) -> list[tuple[int, Any]]:
    """The same requests through both stacks: valid, bad query, bad body, no credentials."""
    found = client.get("/facturovia/api/invoices?external_reference=ORDER-2852", headers=DEMO).json()["data"][0]
    requests = [
        client.get(f"/facturovia/api/invoices/{found['id']}", headers=DEMO),
        client.get("/facturovia/api/invoices?status=nonsense", headers=DEMO),
        client.get("/facturovia/api/invoices?external_reference=", headers=DEMO),
        client.get("/facturovia/api/invoices/not-a-uuid", headers=DEMO),
        client.get("/facturovia/api/invoices", headers={"Authorization": "Bearer fv_live_nobody"}),
        client.get("/facturovia/api/invoices"),
        client.post("/facturovia/api/invoices", headers=DEMO, json={"client_id": found["client_id"], "items": [{}]}),
        client.post("/facturovia/api/invoices", headers={**DEMO, "Content-Type": "text/csv"}, content=b"a,b"),
        client.get("/facturagem/clients.json?page=-1", headers=DEMO),
        client.get("/facturascripts/api/3/clientes?limit=x", headers={"Token": "fsDemoFullAccess0001"}),
        client.post("/facturascripts/api/3/clientes", headers={"Token": "fsDemoFullAccess0001"}, data={"nombre": ""}),
    ]
    fs = {"Token": "fsDemoFullAccess0001"}
    answers = [
        # query arguments, deepObject filters and defaults reach the handler the same way
        client.get("/facturascripts/api/3/clientes?filter[codcliente]=1&sort[nombre]=ASC&limit=2", headers=fs),
        client.get("/facturascripts/api/3/clientes?offset=1", headers=fs),
    ]
    requests += answers
    # Each app seeds its own demo tenant: ids are random, the rest is the same.
    return [(r.status_code, UUID.sub("<id>", r.text)) for r in requests]


def test_fast_and_stock_stacks_answer_alike(stock_connexion: None) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        stock = create_app(Settings(data_dir=None, validate_responses=True, operator_token=OPERATOR))
    assert type(stock) is AsyncApp
    connexion_compat.enabled.cache_clear()
    connexion_compat.INTERNALS["AsyncOperation.fn"] = connexion_compat.fingerprints()["AsyncOperation.fn"]
    fast = create_app(Settings(data_dir=None, validate_responses=True, operator_token=OPERATOR))
    assert type(fast) is connexion_compat.OnceAsyncApp
    with TestClient(stock, raise_server_exceptions=False) as a, TestClient(fast, raise_server_exceptions=False) as b:
        expected, got = _answers(a), _answers(b)
    statuses = [status for status, _ in expected]
    assert statuses[0] == 200 and statuses[-2:] == [200, 200], statuses
    assert all(400 <= status < 500 for status in statuses[1:-2]), statuses
    assert got == expected


def test_compiled_parameter_validator_gives_connexion_s_error_texts() -> None:
    params = [
        {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1}},
        {"name": "status", "in": "query", "schema": {"type": "string", "enum": ["draft", "issued"]}},
        {"name": "day", "in": "query", "schema": {"type": "string", "format": "date"}, "required": True},
        {"name": "maybe", "in": "query", "schema": {"type": "string", "nullable": True, "minLength": 3}},
    ]
    compiled = connexion_compat.CompiledParameterValidator(params, uri_parser=None)
    values = [0, 5, "x", "draft", "nope", "2026-02-30", "2026-02-03", None, "null", "ab"]
    for param in params:
        for value in values:
            assert compiled.validate_parameter("query", value, param) == ParameterValidator.validate_parameter(
                "query", value, param
            ), (param["name"], value)


def test_body_validators_cached_per_operation_are_bounded(client: TestClient) -> None:
    # Media type and charset come from the client: a new pair per request must not grow a
    # cache without end.
    for i in range(connexion_compat.BODY_VALIDATORS_PER_OPERATION * 3):
        response = client.post(
            "/facturovia/api/clients",
            headers={**DEMO, "Content-Type": f"application/json; charset=x-nonsense-{i}"},
            content=b"{}",
        )
        assert response.status_code in (400, 422), response.text
    operations = [
        op
        for app in client.app.middleware.middleware_stack  # type: ignore[attr-defined]
        if isinstance(app, connexion_compat.OnceRequestValidationMiddleware)
        for apis in app.apis.values()
        for api in apis
        for op in api.operations.values()
    ]
    assert operations
    assert max(len(op._body_validators) for op in operations) <= connexion_compat.BODY_VALIDATORS_PER_OPERATION

"""Shared fixtures: an in-memory sandbox with response validation on, and HTTP clients."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import OPERATOR, PROXY, PROXY_CIDR, bearer

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.tenants import DEMO_ADMIN_TOKEN


@pytest.fixture(scope="session")
def app(request: pytest.FixtureRequest) -> Iterator[Any]:
    # One app for the session (mounting every contract takes seconds); tests isolate
    # themselves with tenants of their own.
    # The test client speaks through a trusted proxy (PROXY), so tests give FacturaScripts
    # requests their own client addresses with X-Forwarded-For, as a proxy would.
    # SANDBOX_TEST_STORE=postgresql runs the same tests on the PostgreSQL store.
    store_url = None
    if os.environ.get("SANDBOX_TEST_STORE") == "postgresql":
        store_url = request.getfixturevalue("postgres_server").create_database("app_tests")
    settings = Settings(
        data_dir=None,
        store_url=store_url,
        validate_responses=True,
        operator_token=OPERATOR,
        trusted_proxies=(PROXY_CIDR,),
    )
    application = create_app(settings)
    yield application


@pytest.fixture(scope="session")
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, raise_server_exceptions=False, client=PROXY) as test_client:
        yield test_client


@pytest.fixture
def new_tenant(client: TestClient) -> dict[str, Any]:
    """A fresh tenant (with its admin token and credentials) created through the control plane."""
    response = client.post("/_sandbox/tenants", json={"name": "test"})
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
def demo_admin() -> dict[str, str]:
    return bearer(DEMO_ADMIN_TOKEN)

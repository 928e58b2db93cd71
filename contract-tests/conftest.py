"""Schemathesis suites run in-process against a fresh sandbox and a fresh tenant."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from contract_support import OPERATOR_TOKEN
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.conformance.strategies import register_formats
from facturas_sandbox.settings import Settings

register_formats()


@pytest.fixture(scope="session")
def sandbox_app() -> Iterator[Any]:
    app = create_app(Settings(data_dir=None, validate_responses=True, operator_token=OPERATOR_TOKEN))
    with TestClient(app):  # runs the lifespan
        yield app


@pytest.fixture(scope="session")
def contract_tenant(sandbox_app: Any) -> Any:
    tenant, _ = sandbox_app.sandbox.tenants.create(name="contract-tests")
    return tenant


@pytest.fixture(scope="session")
def pg_sandbox_app(postgres_server: Any) -> Iterator[Any]:
    """The same sandbox on the PostgreSQL store (its own database on the session's server)."""
    url = postgres_server.create_database("contract_tests")
    app = create_app(Settings(data_dir=None, store_url=url, validate_responses=True, operator_token=OPERATOR_TOKEN))
    with TestClient(app):
        yield app


@pytest.fixture(scope="session")
def pg_contract_tenant(pg_sandbox_app: Any) -> Any:
    tenant, _ = pg_sandbox_app.sandbox.tenants.create(name="contract-tests")
    return tenant


@pytest.fixture(params=["tinydb", "postgresql"])
def store_app(request: pytest.FixtureRequest) -> tuple[Any, Any]:
    """(app, its contract tenant) on each store: the suites that run on both."""
    if request.param == "tinydb":
        return request.getfixturevalue("sandbox_app"), request.getfixturevalue("contract_tenant")
    return request.getfixturevalue("pg_sandbox_app"), request.getfixturevalue("pg_contract_tenant")

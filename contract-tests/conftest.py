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

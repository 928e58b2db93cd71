"""A fresh in-memory sandbox per test, with response validation on."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient
from support import FACTURALA_CUSTOMER, FACTURALA_ITEMS

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

PREFIX = "/facturala/facturala/api"

DOCUMENTED_REQUEST: dict[str, Any] = {
    "creationDate": "2015-11-16T00:03:53.846Z",
    "dueDate": "2015-12-31T05:00:00.000Z",
    "state": "PENDING",
    "customer": FACTURALA_CUSTOMER,
    "items": FACTURALA_ITEMS,
    "thanks": "Gracias",
    "note": "Se aplicará una multa equivalente al 1.5% despues de 30 días de mora.",
    "footer": "Factura creada en computador y es válida sin firma y sello.",
}


class Company:
    """One tenant's Facturala company, seen through the HTTP API."""

    def __init__(self, client: TestClient, tenant: Any) -> None:
        self.client = client
        self.tenant = tenant
        self.token = tenant.credentials["facturala"]["token"]
        self.id = tenant.credentials["facturala"]["company_id"]
        self.base = f"{PREFIX}/companies/{self.id}"
        self.headers = {"Authorization": self.token}

    def get(self, path: str = "", **kw: Any) -> Any:
        return self.client.get(self.base + path, headers=kw.pop("headers", self.headers), **kw)

    def post(self, path: str, body: Any, **kw: Any) -> Any:
        return self.client.post(self.base + path, json=body, headers=kw.pop("headers", self.headers), **kw)

    def put(self, path: str, body: Any, **kw: Any) -> Any:
        return self.client.put(self.base + path, json=body, headers=kw.pop("headers", self.headers), **kw)

    def create(self, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post("/invoices", body or invoice_body())
        assert response.status_code == 201, response.text
        return response.json()


def invoice_body(**changes: Any) -> dict[str, Any]:
    body = {
        "customer": {"name": "Ana Gómez", "idType": "CC", "idNumber": "1020304050"},
        "items": [{"name": "Servicio", "unitValue": 116000, "quantity": 1}],
    }
    body.update(changes)
    return body


@pytest.fixture
def app() -> Any:
    return create_app(Settings(data_dir=None, validate_responses=True))


@pytest.fixture
def client(app: Any) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


@pytest.fixture
def demo(client: TestClient, app: Any) -> Company:
    return Company(client, app.sandbox.tenants.get("demo"))


@pytest.fixture
def company(client: TestClient, app: Any) -> Company:
    tenant, _ = app.sandbox.tenants.create(name="acme")
    return Company(client, tenant)


@pytest.fixture
def other(client: TestClient, app: Any) -> Company:
    tenant, _ = app.sandbox.tenants.create(name="other")
    return Company(client, tenant)

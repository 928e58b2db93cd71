from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.vendors.facturascripts import DEMO_RESTRICTED_TOKEN, DEMO_TOKEN

BASE = "/facturascripts/api/3"
FULL = {"X-Auth-Token": DEMO_TOKEN}
RESTRICTED = {"Token": DEMO_RESTRICTED_TOKEN}

logging.getLogger("connexion.operations.openapi").setLevel(logging.ERROR)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


# The test client speaks through a trusted proxy at 127.0.0.1, so a test chooses the client
# address of its requests with X-Forwarded-For or CF-Connecting-IP, as a proxy would.
PROXY = ("127.0.0.1", 50000)


@pytest.fixture(scope="session")
def app():
    return create_app(Settings(data_dir=None, validate_responses=True, trusted_proxies=("127.0.0.1/32",)))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    sandbox = app.sandbox
    sandbox.tenants.reset("demo")
    sandbox.incidents.clear()
    with TestClient(app, raise_server_exceptions=False, client=PROXY) as c:
        yield c
    sandbox.incidents.clear()


@pytest.fixture
def clock(app, monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(app.sandbox.incidents, "clock", fake)
    return fake

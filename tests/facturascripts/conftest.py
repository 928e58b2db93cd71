from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.clock import Clock
from facturas_sandbox.settings import Settings
from facturas_sandbox.vendors.facturascripts import DEMO_RESTRICTED_TOKEN, DEMO_TOKEN
from facturas_sandbox.vendors.facturascripts.auth import INCIDENTS

BASE = "/facturascripts/api/3"
FULL = {"X-Auth-Token": DEMO_TOKEN}
RESTRICTED = {"Token": DEMO_RESTRICTED_TOKEN}

logging.getLogger("connexion.operations.openapi").setLevel(logging.ERROR)
# The demo tenant lives on a fixed day: its seeded documents are dated from it, so the dates
# of the vendor's documentation (21-11-2026) come after them in every series, on any day the
# suite runs (a customer invoice may not be dated before the last one of its series).
TODAY = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY_DMY = "22-11-2026"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="session")
def app():
    return create_app(Settings(data_dir=None, validate_responses=True))


@pytest.fixture
def client(app) -> Iterator[TestClient]:
    sandbox = app.sandbox
    sandbox.tenants.update("demo", {"clock": Clock(frozen_at=TODAY).to_record()})
    sandbox.tenants.reset("demo")
    INCIDENTS.clear()
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c
    INCIDENTS.clear()


@pytest.fixture
def clock(monkeypatch) -> FakeClock:
    fake = FakeClock()
    monkeypatch.setattr(INCIDENTS, "clock", fake)
    return fake

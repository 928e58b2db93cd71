"""Schemathesis against openapi/facturagem.yaml: every check, stateful phase included.

The api_key comes from a real login (an auth provider), so a fuzzed DELETE /session that
invalidates it is followed by a fresh login instead of a run of 401s.
"""

from __future__ import annotations

import warnings

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

warnings.filterwarnings("ignore", category=DeprecationWarning)

from facturas_sandbox.app import create_app  # noqa: E402
from facturas_sandbox.settings import Settings  # noqa: E402
from facturas_sandbox.vendors.facturagem import DEMO_LOGIN, DEMO_PASSWORD  # noqa: E402

app = create_app(Settings(data_dir=None, validate_responses=True))
schema = schemathesis.openapi.from_asgi("/facturagem/api/v1/openapi.json", app)


@schema.auth()
class Session:
    def get(self, case, ctx):
        from starlette.testclient import TestClient

        with TestClient(app) as c:
            r = c.post("/facturagem/api/v1/session.json", json={"login": DEMO_LOGIN, "password": DEMO_PASSWORD})
        return r.json()["api_key"]

    def set(self, case, data, ctx):
        case.query = {**(case.query or {}), "api_key": data}


Session.refresh_interval = 0 if hasattr(Session, "refresh_interval") else None


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_facturagem(case):
    case.call_and_validate()


Stateful = schema.as_state_machine()
TestStateful = Stateful.TestCase
TestStateful.settings = settings(max_examples=20, stateful_step_count=6, deadline=None,
                                 suppress_health_check=list(HealthCheck))  # fmt: skip


@pytest.fixture(autouse=True)
def _quiet():
    yield

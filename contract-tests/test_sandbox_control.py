"""The control plane's own contract: every check, stateful phase included."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from contract_support import OPERATOR_TOKEN, schemathesis_config, stateful_settings


@pytest.fixture(scope="session")
def control_schema(sandbox_app: Any) -> Any:
    config = schemathesis_config({"AdminToken": {"bearer": OPERATOR_TOKEN}})
    return schemathesis.openapi.from_asgi("/_sandbox/openapi.json", sandbox_app, config=config)


schema = schemathesis.pytest.from_fixture("control_schema")


@schema.parametrize()
def test_control_plane_conforms(case: schemathesis.Case) -> None:
    case.call_and_validate()


def test_control_plane_stateful(control_schema: Any) -> None:
    """Sequences that follow the contract's links (create → get → issue → rectify → …)."""
    control_schema.as_state_machine().run(settings=stateful_settings())

"""pytest fixtures for integrators: a private sandbox per test session, a fresh tenant per test.

Installed with the package (entry point `pytest11`), so a test only asks for them:

    def test_issue(sandbox_tenant):
        base = sandbox_tenant.api("facturovia")
        ...
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .testing import RunningSandbox, SandboxTenant


@pytest.fixture(scope="session")
def facturas_sandbox() -> Iterator[RunningSandbox]:
    """Every API served in-process on a free loopback port, data in memory."""
    from .testing import running_sandbox  # loaded by pytest in every project: import lazily

    with running_sandbox() as sandbox:
        yield sandbox


@pytest.fixture
def sandbox_tenant(facturas_sandbox: RunningSandbox, request: pytest.FixtureRequest) -> Iterator[SandboxTenant]:
    """A fresh tenant (every API's credentials and fixture data), deleted after the test."""
    from .testing import sandbox_tenant as fresh_tenant

    with fresh_tenant(facturas_sandbox, name=request.node.name[:100]) as tenant:
        yield tenant

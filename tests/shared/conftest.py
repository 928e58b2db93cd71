"""A database per test on the session's private PostgreSQL server, for sandboxes sharing it."""

from __future__ import annotations

import itertools

import pytest

from facturas_sandbox.testing_pg import TestPostgres

_databases = itertools.count(1)


@pytest.fixture
def store_url(postgres_server: TestPostgres) -> str:
    """An empty database of its own: every replica a test starts on it shares its tenants."""
    return postgres_server.create_database(f"shared_{next(_databases)}")

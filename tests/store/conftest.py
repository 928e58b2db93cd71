"""Both backends for the store tests: TinyDB in memory, and PostgreSQL on a private server.

The PostgreSQL server is the session's (`postgres_server`, in the top-level conftest); each
test gets a schema of its own in one database, so tests never see each other's rows.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import pytest

from facturas_sandbox.store import Backend, open_backend
from facturas_sandbox.testing_pg import TestPostgres

_schemas = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_url(postgres_server: TestPostgres) -> str:
    return postgres_server.create_database("store_tests")


@pytest.fixture
def fresh_schema() -> str:
    return f"test_{next(_schemas)}"


@pytest.fixture
def pg_backend(postgres_url: str, fresh_schema: str) -> Iterator[Backend]:
    from facturas_sandbox.store.postgres import PostgresBackend

    backend = PostgresBackend(postgres_url, schema=fresh_schema, max_connections=12)
    yield backend
    backend.close()


@pytest.fixture(params=["tinydb", "postgresql"])
def backend_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def make_backend(backend_name: str, request: pytest.FixtureRequest) -> Iterator[Callable[[], Backend]]:
    """Opens the test's backend; every call opens it again on the same data (a restart)."""
    opened: list[Backend] = []
    if backend_name == "tinydb":
        data_dir = request.getfixturevalue("tmp_path")

        def make() -> Backend:
            opened.append(open_backend(data_dir))
            return opened[-1]

    else:
        from facturas_sandbox.store.postgres import PostgresBackend

        url = request.getfixturevalue("postgres_url")
        schema = request.getfixturevalue("fresh_schema")

        def make() -> Backend:
            opened.append(PostgresBackend(url, schema=schema, max_connections=12))
            return opened[-1]

    yield make
    for backend in opened:
        backend.close()


@pytest.fixture
def backend(make_backend: Callable[[], Backend]) -> Backend:
    return make_backend()

"""Fixtures every suite shares (tests/ and contract-tests/): one private PostgreSQL server.

The server starts once per session, from the machine's own binaries
(`facturas_sandbox.testing_pg`), the first time a test asks for it; each suite makes its own
database on it. Without the server binaries the PostgreSQL cases skip, saying how to install
them; in CI (`CI=true` or SANDBOX_REQUIRE_POSTGRESQL=1, which .ci/run exports) they fail instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from facturas_sandbox.testing_pg import INSTALL_HINT, PostgresUnavailable, TestPostgres, find_bindir, running_postgres


def _require_postgres() -> bool:
    return bool(os.environ.get("SANDBOX_REQUIRE_POSTGRESQL")) or os.environ.get("CI", "").lower() == "true"


@contextmanager
def _private_postgres() -> Iterator[TestPostgres]:
    if find_bindir() is None:
        if _require_postgres():
            pytest.fail(INSTALL_HINT, pytrace=False)
        pytest.skip(INSTALL_HINT)
    try:
        with running_postgres() as server:
            yield server
    except PostgresUnavailable as exc:
        if _require_postgres():
            pytest.fail(str(exc), pytrace=False)
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[TestPostgres]:
    with _private_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def own_postgres_server() -> Iterator[TestPostgres]:
    """A server of the module's own, which its tests may stop and start again."""
    with _private_postgres() as server:
        yield server


# `make test` runs on two workers (pytest-xdist, one test file at a time per worker): the
# longest files go first, so that no worker is left running one of them alone at the end.
# Measured: each of these takes from half a minute to four minutes; everything else seconds.
LONGEST_FIRST = (
    "contract-tests/test_facturascripts.py",
    "tests/test_docs_examples.py",
    "contract-tests/test_sandbox_control.py",
    "contract-tests/test_facturagem.py",
    "contract-tests/test_facturovia.py",
    "contract-tests/test_facturala.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order inside a file and among the rest is kept

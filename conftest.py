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


# `make test` runs on two workers (pytest-xdist, `--dist loadfile --no-loadscope-reorder`: a
# test file at a time per worker, in the order below). Each worker is first given two files,
# then one more each time it finishes one. The longest files go first, so that no worker is
# left running one of them alone at the end; the two longest are given one per worker, and a
# short file follows each of them, so that nothing long waits behind the longest. Measured:
# each of these takes from half a minute to four minutes, every other file seconds.
LONGEST = ("contract-tests/test_facturascripts.py", "tests/test_docs_examples.py")
LONG = (
    "contract-tests/test_sandbox_control.py",
    "contract-tests/test_facturagem.py",
    "contract-tests/test_facturovia.py",
    "contract-tests/test_facturala.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    files: dict[str, list[pytest.Item]] = {}
    for item in items:
        files.setdefault(item.nodeid.split("::", 1)[0], []).append(item)
    rest = [f for f in files if f not in LONGEST and f not in LONG]
    order = [f for f in LONGEST if f in files] + rest[:2] + [f for f in LONG if f in files] + rest[2:]
    items[:] = [item for f in order for item in files[f]]

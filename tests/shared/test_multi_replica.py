"""Two `serve` processes on one PostgreSQL database under 64 concurrent clients.

The clients create, issue, pay and rectify on four APIs in two tenants, spread over both
replicas; half-way, one replica is killed with SIGKILL and its clients carry on against the
other. Then, read through the survivor: every acknowledged write is there, numbers are
gapless and unique, totals reconcile; and the journal read through one replica shows what
the other served. Bounded: a fixed duration, loopback only.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from load_support import WORKERS, Ledger, check_everything, run_load
from server_process import SandboxProcess

pytestmark = pytest.mark.slow
OPERATOR = "multi-replica-operator"
SECONDS = 8.0
TENANTS = 2
WORKERS_PER_API = 8  # 2 tenants x 4 APIs x 8 = 64 concurrent clients


def _journal(base: str, tenant: dict[str, Any]) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {tenant['admin_token']}"}
    return httpx.get(f"{base}/_sandbox/tenants/{tenant['id']}/journal", headers=headers, timeout=30).json()["data"]


def test_two_replicas_share_everything_and_one_dies_without_losing_an_acknowledged_write(store_url):
    options = ("--store", store_url, "--operator-token", OPERATOR)
    with SandboxProcess(None, *options) as a, SandboxProcess(None, *options) as b:
        admin = {"Authorization": f"Bearer {OPERATOR}"}
        tenants = [
            httpx.post(f"{(a, b)[n % 2].base}/_sandbox/tenants", json={"name": f"replicas-{n}"}, headers=admin).json()
            for n in range(TENANTS)
        ]
        # A request served by A is in the journal read through B (written within milliseconds).
        key = {"Authorization": f"Bearer {tenants[0]['credentials']['facturovia']['read_write']}"}
        assert httpx.get(f"{a.base}/facturovia/api/quotes", headers=key).status_code == 200
        deadline = time.monotonic() + 5
        while not any(e["operation_id"] == "listQuotes" for e in _journal(b.base, tenants[0])):
            assert time.monotonic() < deadline, "B's journal never showed A's request"
            time.sleep(0.05)

        ledger = Ledger()

        def kill_a() -> None:
            assert a.proc is not None
            a.proc.kill()  # SIGKILL: no shutdown, no flush
            a.proc.wait(timeout=10)

        started = time.monotonic()
        run_load([a.base, b.base], tenants, ledger, seconds=SECONDS, workers_per_api=WORKERS_PER_API, kill=(0, kill_a))
        elapsed = time.monotonic() - started
        assert ledger.server_errors == []
        for api in WORKERS:
            assert sum(len(v) for (_, name), v in ledger.acknowledged.items() if name == api) > 0, api
        with httpx.Client(base_url=b.base, timeout=60) as http:
            for tenant in tenants:
                check_everything(http, tenant, ledger)
        writes = sum(len(v) for v in ledger.acknowledged.values())
        print(
            f"replicas: {ledger.requests} requests ({ledger.requests / elapsed:.0f}/s), {writes} acknowledged "
            f"documents, 64 clients on 2 replicas, one killed half-way; nothing lost, no 5xx"
        )

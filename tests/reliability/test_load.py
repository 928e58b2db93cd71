"""Many clients in several tenants write at once for a fixed time; afterwards nothing is lost.

Bounded: a fixed duration and worker count (small in `make test`; `make stress` sets
SANDBOX_STRESS=1 for a minute with many more workers), loopback only, and every loop stops
by itself. The server is a real `serve` process on a file store, restarted before checking.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from load_support import WORKERS, Ledger, check_everything, run_load
from server_process import SandboxProcess

pytestmark = pytest.mark.slow
STRESS = bool(os.environ.get("SANDBOX_STRESS"))
SECONDS = 60.0 if STRESS else 4.0
TENANTS = 4 if STRESS else 2
WORKERS_PER_API = 8 if STRESS else 2


def test_concurrent_writers_lose_nothing_and_keep_numbers_correlative(tmp_path: Path) -> None:
    ledger = Ledger()
    with SandboxProcess(tmp_path) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        tenants = [http.post("/_sandbox/tenants", json={"name": f"load-{n}"}).json() for n in range(TENANTS)]
        run_load(server.base, tenants, ledger, seconds=SECONDS, workers_per_api=WORKERS_PER_API)
    assert ledger.server_errors == []
    assert ledger.requests > 50
    for api in WORKERS:
        assert sum(len(v) for (_, a), v in ledger.acknowledged.items() if a == api) > 0, api

    # Everything acknowledged is there after a restart, numbers are gapless, totals reconcile.
    with SandboxProcess(tmp_path) as server, httpx.Client(base_url=server.base, timeout=60) as http:
        for tenant in tenants:
            check_everything(http, tenant, ledger)
    print(f"load: {ledger.requests} requests in {SECONDS:.0f} s across {TENANTS} tenants, no 5xx, nothing lost")

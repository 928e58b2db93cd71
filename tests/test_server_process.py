"""The sandbox as a real server process: concurrency, restarts and kill -9, on a file store and on
PostgreSQL."""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from server_process import SandboxProcess
from support import bearer

RW = bearer("fv_live_demo_rw_0000000000000000000000")
ITEM = {"description": "Pieza", "quantity": 1, "unit_price": 10, "vat_rate": 21}

pytestmark = pytest.mark.slow
_databases = itertools.count(1)


@pytest.fixture(params=["tinydb", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path | None, tuple[str, ...]]:
    """(data_dir, extra serve arguments) of a store that outlives each server process."""
    if request.param == "tinydb":
        return tmp_path, ()
    server = request.getfixturevalue("postgres_server")
    return None, ("--store", server.create_database(f"server_process_{next(_databases)}"))


def _client_id(http: httpx.Client) -> str:
    return http.get("/facturovia/api/clients", headers=RW).json()["data"][0]["id"]


def _issued_numbers(http: httpx.Client) -> list[str]:
    data = http.get("/facturovia/api/invoices", params={"status": "issued"}, headers=RW).json()["data"]
    return [i["number"] for i in data if not i["is_corrective"]]


def test_parallel_issues_get_distinct_consecutive_numbers_and_survive_a_restart(store) -> None:
    with SandboxProcess(store[0], *store[1]) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        client_id = _client_id(http)
        drafts = [
            http.post(
                "/facturovia/api/invoices",
                json={"client_id": client_id, "invoice_date": "2026-06-01", "items": [ITEM]},
                headers=RW,
            ).json()["id"]
            for _ in range(40)
        ]
        before = {n for n in _issued_numbers(http) if n.startswith("2026-")}

        def issue(invoice_id: str) -> str:
            with httpx.Client(base_url=server.base, timeout=30) as own:
                response = own.post(f"/facturovia/api/invoices/{invoice_id}/issue", headers=RW)
                assert response.status_code == 200, response.text
                return response.json()["number"]

        with ThreadPoolExecutor(max_workers=16) as pool:
            numbers = list(pool.map(issue, drafts))
        assert len(set(numbers)) == 40
        sequence = sorted(int(n.split("-")[1]) for n in numbers)
        start = max((int(n.split("-")[1]) for n in before), default=0) + 1
        assert sequence == list(range(start, start + 40))
        all_numbers = _issued_numbers(http)

    with SandboxProcess(store[0], *store[1]) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        assert _issued_numbers(http) == all_numbers
        for invoice_id in drafts:
            assert http.get(f"/facturovia/api/invoices/{invoice_id}", headers=RW).json()["status"] == "issued"


KILL_ROUNDS = 10 if os.environ.get("SANDBOX_STRESS") else 3


def test_kill_9_loses_no_acknowledged_write_and_leaves_no_gap(store) -> None:
    rng = random.Random(20261121)
    acknowledged: list[str] = []
    issued: list[str] = []
    for _round in range(KILL_ROUNDS):
        server = SandboxProcess(store[0], *store[1]).start()
        stop = threading.Event()

        def writer(base: str = server.base, stop: threading.Event = stop) -> None:
            with httpx.Client(base_url=base, timeout=10) as http:
                client_id = _client_id(http)
                while not stop.is_set():
                    try:
                        response = http.post(
                            "/facturovia/api/invoices", json={"client_id": client_id, "items": [ITEM]}, headers=RW
                        )
                        if response.status_code != 201:
                            continue
                        acknowledged.append(response.json()["id"])
                        numbered = http.post(f"/facturovia/api/invoices/{response.json()['id']}/issue", headers=RW)
                        if numbered.status_code == 200:
                            issued.append(numbered.json()["number"])
                    except httpx.HTTPError:
                        return  # the server died mid-request: that one was not acknowledged

        threads = [threading.Thread(target=writer) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.5, 1.5))
        server.kill()  # SIGKILL at a random moment, writes in flight
        stop.set()
        for t in threads:
            t.join(timeout=15)

    assert len(acknowledged) > 20 and len(issued) > 10
    with SandboxProcess(store[0], *store[1]) as server, httpx.Client(base_url=server.base, timeout=30) as http:
        invoices = http.get("/facturovia/api/invoices", headers=RW).json()["data"]
    stored = {i["id"] for i in invoices}
    assert [i for i in acknowledged if i not in stored] == []
    numbers = [i["number"] for i in invoices if i["number"] and not i["is_corrective"]]
    assert set(issued) <= set(numbers)
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        year, _, n = number.partition("-")
        by_year.setdefault(year, []).append(int(n))
    for year, sequence in by_year.items():
        assert sorted(sequence) == list(range(1, len(sequence) + 1)), f"{year}: gaps or duplicates after crashes"


def test_an_unwritable_data_dir_is_a_clear_error_at_start(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    server = SandboxProcess(blocker / "data")
    with pytest.raises(RuntimeError, match="not writable"):
        server.start(timeout=20)


def test_a_second_serve_on_the_same_data_dir_refuses_to_start_until_the_owner_dies(tmp_path: Path) -> None:
    first = SandboxProcess(tmp_path).start()
    try:
        with httpx.Client(base_url=first.base, timeout=30) as http:
            draft = http.post(
                "/facturovia/api/invoices",
                json={"client_id": _client_id(http), "invoice_date": "2026-06-01", "items": [ITEM]},
                headers=RW,
            )
            assert draft.status_code == 201, draft.text
        second = SandboxProcess(tmp_path)
        with pytest.raises(RuntimeError) as refused:
            second.start(timeout=20)
        assert second.proc is not None and second.proc.returncode == 2
        message = str(refused.value)
        assert str(tmp_path.resolve()) in message and f"process {first.proc.pid}" in message, message
        first.kill()  # kill -9: the kernel releases the lock with the process
        with SandboxProcess(tmp_path) as third, httpx.Client(base_url=third.base, timeout=30) as http:
            assert http.get(f"/facturovia/api/invoices/{draft.json()['id']}", headers=RW).status_code == 200
    finally:
        first.kill()

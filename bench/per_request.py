"""CPU cost of one request on one process, repeatable on a loaded machine.

    python bench/per_request.py                 # GET by id, GET list with a filter, POST /invoices
    python bench/per_request.py --op post --requests 500 --repeats 7
    python bench/per_request.py --profile get   # cProfile of 500 GET by id, top functions

The app is built in-process exactly as `serve --api facturovia` builds it (a fresh data dir,
the demo tenant) and driven through its ASGI interface by a minimal client: no sockets, no
uvicorn, so what is measured is the sandbox and Connexion alone.

Two figures per operation:

* **CPU µs/request**: `time.process_time()` over a batch, median of the repeats. Other
  processes on the machine do not add to it (they only slow the caches a little), so it moves
  by a few per cent between runs where wall-clock req/s swings by half.
* **Python calls/request**: every Python and C function call the interpreter makes, counted
  with `sys.setprofile` over one batch. It is exactly repeatable: the same code makes the same
  calls whatever the load. Work moved into a compiled library shows up as fewer calls.

This machine has no hardware instruction counter (`perf stat -e instructions` is "not
supported"), so these two stand in for instruction counts.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import DEMO_KEY
from compare import LIST_REF, post_body

OPS = ("get", "list", "post")
Request = tuple[str, str, bytes, bytes | None]  # method, path, query string, body


class Client:
    """Just enough of an ASGI server: one request in, status and body out."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.headers = [
            (b"host", b"127.0.0.1:8080"),
            (b"authorization", f"Bearer {DEMO_KEY}".encode()),
            (b"accept", b"application/json"),
        ]

    async def call(self, method: str, path: str, query: bytes = b"", body: bytes | None = None) -> tuple[int, bytes]:
        headers = list(self.headers)
        if body is not None:
            headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.3"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8080),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "method": method,
            "root_path": "",
            "path": path,
            "raw_path": path.encode(),
            "query_string": query,
            "headers": headers,
            "state": {},
        }
        sent = False
        disconnected = asyncio.get_running_loop().create_future()

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body or b"", "more_body": False}
            await disconnected  # like a server: nothing more until the client goes away
            return {"type": "http.disconnect"}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        disconnected.cancel()
        return status, b"".join(chunks)


class Bench:
    def __init__(self) -> None:
        from facturas_sandbox.app import create_app
        from facturas_sandbox.settings import Settings

        self.tmp = Path(tempfile.mkdtemp(prefix="sandbox-per-request-"))
        settings = Settings(data_dir=self.tmp / "data", root_api="facturovia", operator_token="bench-operator-token")
        self.app = create_app(settings)
        self.client = Client(self.app)
        self.loop = asyncio.new_event_loop()
        self.counter = 0
        status, raw = self.run("GET", "/api/invoices", f"external_reference={LIST_REF}".encode())
        assert status == 200, (status, raw)
        invoice = json.loads(raw)["data"][0]
        self.invoice_id = invoice["id"]
        self.body = json.dumps(post_body(invoice["client_id"]))

    def close(self) -> None:
        self.loop.close()
        self.app.sandbox.close()  # type: ignore[attr-defined]
        shutil.rmtree(self.tmp, ignore_errors=True)

    def run(self, method: str, path: str, query: bytes = b"", body: bytes | None = None) -> tuple[int, bytes]:
        return self.loop.run_until_complete(self.client.call(method, path, query, body))

    def request(self, op: str) -> Callable[[], tuple[int, bytes]]:
        if op == "get":
            return lambda: self.run("GET", f"/api/invoices/{self.invoice_id}")
        if op == "list":
            query = f"external_reference={LIST_REF}".encode()
            return lambda: self.run("GET", "/api/invoices", query)

        def post() -> tuple[int, bytes]:
            self.counter += 1
            body = self.body.replace("__REF__", f"BENCH-{self.counter}").encode()
            return self.run("POST", "/api/invoices", b"", body)

        return post

    def batch(self, op: str, n: int) -> None:
        call = self.request(op)
        expected = 201 if op == "post" else 200
        for _ in range(n):
            status, raw = call()
            if status != expected:
                raise RuntimeError(f"{op}: {status} {raw[:300]!r}")

    def cpu_us(self, op: str, n: int, repeats: int) -> list[float]:
        out = []
        for _ in range(repeats):
            began = time.process_time()
            self.batch(op, n)
            out.append((time.process_time() - began) / n * 1e6)
        return out

    def calls(self, op: str, n: int) -> float:
        count = 0

        def counter(frame: Any, event: str, arg: Any) -> None:
            nonlocal count
            if event == "call" or event == "c_call":
                count += 1

        sys.setprofile(counter)
        try:
            self.batch(op, n)
        finally:
            sys.setprofile(None)
        return count / n


def measure(ops: list[str], requests: int, repeats: int, warm: int, count: int) -> dict[str, Any]:
    bench = Bench()
    try:
        result: dict[str, Any] = {}
        for op in ops:
            bench.batch(op, warm)
            samples = bench.cpu_us(op, requests, repeats)
            result[op] = {
                "cpu_us": statistics.median(samples),
                "cpu_us_min": min(samples),
                "cpu_us_max": max(samples),
                "calls": bench.calls(op, count),
            }
        return result
    finally:
        bench.close()


def profile(op: str, requests: int, top: int) -> None:
    bench = Bench()
    try:
        bench.batch(op, 100)
        profiler = cProfile.Profile()
        profiler.enable()
        bench.batch(op, requests)
        profiler.disable()
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(top * 2)
        stats.sort_stats("tottime").print_stats(top)
    finally:
        bench.close()


LABELS = {"get": "GET /invoices/{id}", "list": "GET /invoices?external_reference=", "post": "POST /invoices"}


def table(result: dict[str, Any]) -> str:
    lines = [
        "| operation | CPU µs/request (median, min–max) | Python calls/request |",
        "|---|---:|---:|",
    ]
    for op, row in result.items():
        lines.append(
            f"| {LABELS[op]} | {row['cpu_us']:.0f} ({row['cpu_us_min']:.0f}–{row['cpu_us_max']:.0f}) | "
            f"{row['calls']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--op", choices=OPS, action="append", help="operations (default: all three)")
    parser.add_argument("--requests", type=int, default=300, help="requests per timed batch")
    parser.add_argument("--repeats", type=int, default=5, help="timed batches; the median is reported")
    parser.add_argument("--warm", type=int, default=200, help="untimed requests first")
    parser.add_argument("--count", type=int, default=50, help="requests whose calls are counted")
    parser.add_argument("--profile", choices=OPS, help="print a cProfile of this operation instead")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    from facturas_sandbox.cli import _quiet_third_party_warnings

    _quiet_third_party_warnings()
    if args.profile:
        profile(args.profile, args.requests, 40)
        return
    result = measure(args.op or list(OPS), args.requests, args.repeats, args.warm, args.count)
    print(table(result))
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()

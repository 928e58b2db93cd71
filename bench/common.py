"""What the benchmarks share: starting the sandbox and Prism, and driving them with wrk.

Nothing here is part of `make test`. Servers listen on loopback ports picked at random; each
process is started and stopped by the bench itself.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = Path(sys.executable).parent
SANDBOX_CMD = [str(VENV_BIN / "facturas-sandbox")]
PRISM_DIR = BENCH / ".prism"
PRISM_BIN = PRISM_DIR / "node_modules" / ".bin" / "prism"
PRISM_VERSION = "5"  # @stoplight/prism-cli major version
LUA = BENCH / "wrk.lua"
OPERATOR = "bench-operator-token"

# Facturovia's demo key (README): the bench drives the demo tenant of a fresh data directory.
DEMO_KEY = "fv_live_demo_rw_0000000000000000000000"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str, timeout: float = 60.0, proc: subprocess.Popen | None = None) -> float:
    """Seconds until GET path answers 200 (polled every 5 ms)."""
    start = time.perf_counter()
    while time.perf_counter() - start < timeout:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status == 200:
                conn.close()
                return time.perf_counter() - start
            conn.close()
        except OSError:
            pass
        time.sleep(0.005)
    raise TimeoutError(f"nothing answered GET {path} on port {port} within {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen
    prefix: str = ""  # path prefix of the API

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"


STORES = ("tinydb", "postgresql", "postgresql-workers2")


@contextlib.contextmanager
def store_server(store: str, in_memory: bool = False) -> Iterator[tuple[Path | str | None, list[str]]]:
    """(data_dir, extra serve arguments) for a store of the bench: the data directory (or
    memory), or a fresh database on a private PostgreSQL server for the block, served by one
    process or by `--workers 2`."""
    if store == "tinydb":
        yield (None if in_memory else "temp"), []
        return
    from facturas_sandbox.testing_pg import running_postgres

    with running_postgres() as server:
        url = server.create_database("bench")
        yield url, (["--workers", "2"] if store.endswith("workers2") else [])


@contextlib.contextmanager
def sandbox(
    *,
    api: str | None = "facturovia",
    data_dir: Path | str | None = "temp",
    extra: list[str] | None = None,
    log: Path | None = None,
) -> Iterator[Server]:
    """`facturas-sandbox serve` on a free port; data_dir "temp" is a fresh temporary directory,
    None is --in-memory, a postgresql:// URL is `--store URL` (add `--workers N` in `extra`)."""
    port = free_port()
    tmp = None
    args = [*SANDBOX_CMD, "serve", "--port", str(port), "--log-level", "warning", "--operator-token", OPERATOR]
    if api:
        args += ["--api", api]
    if data_dir is None:
        args.append("--in-memory")
    elif isinstance(data_dir, str) and data_dir.startswith("postgresql://"):
        args += ["--store", data_dir]
    else:
        if data_dir == "temp":
            tmp = tempfile.mkdtemp(prefix="sandbox-bench-")
            data_dir = Path(tmp) / "data"
        args += ["--data-dir", str(data_dir)]
    args += extra or []
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL)
    try:
        wait_http(port, "/_sandbox/health", proc=proc)
        yield Server("sandbox", port, proc, "/api" if api == "facturovia" else "")
    finally:
        stop(proc)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def ensure_prism() -> Path:
    if PRISM_BIN.exists():
        return PRISM_BIN
    if shutil.which("npm") is None:
        raise SystemExit("bench: npm is needed to install Prism (@stoplight/prism-cli)")
    PRISM_DIR.mkdir(parents=True, exist_ok=True)
    print(f"bench: installing @stoplight/prism-cli@{PRISM_VERSION} into {PRISM_DIR.relative_to(ROOT)} ...", flush=True)
    subprocess.run(
        [
            "npm",
            "install",
            "--no-audit",
            "--no-fund",
            "--silent",
            "--prefix",
            str(PRISM_DIR),
            f"@stoplight/prism-cli@{PRISM_VERSION}",
        ],
        check=True,
    )
    return PRISM_BIN


@contextlib.contextmanager
def prism(contract: Path) -> Iterator[Server]:
    binary = ensure_prism()
    port = free_port()
    proc = subprocess.Popen(
        [str(binary), "mock", str(contract), "-h", "127.0.0.1", "-p", str(port), "-v", "error"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Prism answers a GET on the contract's paths once it listens; 401 without a key is fine.
        start = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError("prism exited")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if time.perf_counter() - start > 60:
                    raise TimeoutError("prism did not start") from None
                time.sleep(0.05)
        yield Server("prism", port, proc, "")
    finally:
        stop(proc)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("bench: installing wrk with apt-get ...", flush=True)
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL)
        found = shutil.which("wrk")
        if found:
            return found
    raise SystemExit("bench: wrk is needed (Debian: apt-get install wrk)")


@dataclass
class WrkResult:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx/3xx responses + socket errors (connect, read, write, timeout)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "rps": self.rps,
            "p50_ms": self.p50_ms,
            "p99_ms": self.p99_ms,
            "errors": self.errors,
            "requests": self.requests,
        }


def wrk(
    url: str,
    *,
    method: str = "GET",
    body: dict[str, Any] | str | None = None,
    key: str = DEMO_KEY,
    auth_header: str = "Authorization",
    content_type: str = "application/json",
    seconds: float = 10,
    connections: int = 32,
    threads: int = 1,
    max_requests: int = 0,
    ref_prefix: str = "BENCH",
) -> WrkResult:
    """One wrk run. POST bodies get a unique `external_reference` per request (ref_prefix-N);
    a text body is sent as it is (a form), a dict as JSON."""
    env = {
        **os.environ,
        "BENCH_METHOD": method,
        "BENCH_KEY": key,
        "BENCH_AUTH_HEADER": auth_header,
        "BENCH_CONTENT_TYPE": content_type,
        "BENCH_BODY": body if isinstance(body, str) else json.dumps(body) if body is not None else "",
        "BENCH_MAX": str(max_requests),
        "BENCH_REF": ref_prefix,
    }
    args = [
        ensure_wrk(),
        "-t",
        str(threads),
        "-c",
        str(connections),
        "-d",
        f"{max(1, round(seconds))}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    if max_requests:
        proc = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        assert proc.stderr is not None
        for err_line in proc.stderr:
            if err_line.startswith("BENCHDONE"):
                proc.send_signal(signal.SIGINT)
                break
        out, _ = proc.communicate()
    else:
        out = subprocess.run(args, env=env, capture_output=True, text=True, check=True).stdout
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCHJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no summary:\n{out}")
    data = json.loads(line[len("BENCHJSON ") :])
    errors = sum(data[k] for k in ("connect", "read", "write", "status", "timeout"))
    return WrkResult(data["requests"], data["duration_us"] / 1e6, data["p50_us"] / 1000, data["p99_us"] / 1000, errors)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def api_call(
    port: int, method: str, path: str, body: Any = None, key: str | None = DEMO_KEY, auth_header: str = "Authorization"
) -> tuple[int, Any]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if key:
        headers[auth_header] = f"Bearer {key}" if auth_header == "Authorization" else key
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    raw = response.read()
    conn.close()
    return response.status, (json.loads(raw) if raw else None)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def machine() -> str:
    cpus = os.cpu_count()
    load = os.getloadavg()
    return f"{cpus} cores, load average at start {load[0]:.2f}"

"""Start-up time of `facturas-sandbox serve` (every API) until /_sandbox/health answers, and its
RSS with every API mounted and 100 tenants created through the control plane."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from common import OPERATOR, SANDBOX_CMD, api_call, free_port, median, rss_mb, stop, wait_http


def start(data_dir: Path | None) -> tuple[subprocess.Popen, int, float]:
    port = free_port()
    args = [*SANDBOX_CMD, "serve", "--port", str(port), "--log-level", "warning", "--operator-token", OPERATOR]
    args += ["--in-memory"] if data_dir is None else ["--data-dir", str(data_dir)]
    began = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_http(port, "/_sandbox/health", proc=proc)
    return proc, port, time.perf_counter() - began


def run(repeats: int, tenants: int) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="sandbox-bench-"))
    try:
        data = tmp / "data"
        fresh, again, memory = [], [], []
        for i in range(repeats):
            shutil.rmtree(data, ignore_errors=True)
            proc, _, seconds = start(data)  # a new data dir: the demo tenant is created and seeded
            fresh.append(seconds)
            stop(proc)
            proc, _, seconds = start(data)  # the same data dir again: loaded from disk
            again.append(seconds)
            stop(proc)
            proc, _, seconds = start(None)
            memory.append(seconds)
            if i < repeats - 1:
                stop(proc)
        # RSS: the last in-memory process, then the same with a data dir.
        rss: dict[str, Any] = {}
        for label in ("in-memory", "data dir"):
            if label == "data dir":
                stop(proc)
                shutil.rmtree(data, ignore_errors=True)
                proc, _, _ = start(data)
            port = int(proc.args[proc.args.index("--port") + 1])
            idle = rss_mb(proc.pid)
            began = time.perf_counter()
            for n in range(tenants):
                status, _ = api_call(port, "POST", "/_sandbox/tenants", {"name": f"rss-{n}"}, key=None)
                assert status == 201, status
            per_tenant_ms = (time.perf_counter() - began) * 1000 / tenants
            rss[label] = {"idle_mb": idle, "loaded_mb": rss_mb(proc.pid), "create_tenant_ms": per_tenant_ms}
        stop(proc)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return {
        "repeats": repeats,
        "tenants": tenants,
        "ready_s": {"new data dir": median(fresh), "existing data dir": median(again), "in-memory": median(memory)},
        "rss": rss,
    }


def table(result: dict[str, Any]) -> str:
    lines = [
        f"Start-up (every API mounted; median of {result['repeats']}) and memory ({result['tenants']} tenants "
        "created through POST /_sandbox/tenants, plus the demo tenant)",
        "",
        "| measure | value |",
        "|---|---:|",
    ]
    for label, seconds in result["ready_s"].items():
        lines.append(f"| serve ready ({label}) | {seconds:.2f} s |")
    for label, rss in result["rss"].items():
        lines.append(f"| RSS idle ({label}) | {rss['idle_mb']:.0f} MB |")
        lines.append(f"| RSS with {result['tenants']} tenants ({label}) | {rss['loaded_mb']:.0f} MB |")
        lines.append(f"| POST /_sandbox/tenants ({label}) | {rss['create_tenant_ms']:.0f} ms each |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--tenants", type=int, default=100)
    args = parser.parse_args()
    print(table(run(args.repeats, args.tenants)))


if __name__ == "__main__":
    main()

"""Does a request cost more when the tenant holds more invoices?

One sandbox process; one fresh tenant per size (100, 1,000, 10,000 invoices), filled through
the API (POST /invoices, driven by wrk). At each size: GET by id, GET by external_reference and
POST, each measured with wrk (32 connections); cost per request = 1 / throughput. A POST run
is capped (`--post-requests`) and its invoices are deleted through the API afterwards, so the
tenant stays near its size while POST is measured.
"""

from __future__ import annotations

import argparse
from typing import Any

from common import WrkResult, api_call, median, sandbox, store_server, wrk
from compare import post_body

SIZES = (100, 1_000, 10_000)


def fill(port: int, key: str, client_id: str, count: int) -> None:
    """POST invoices until the tenant holds `count` (its fixtures count too)."""
    have = len(api_call(port, "GET", "/api/invoices", key=key)[1]["data"])
    missing = count - have
    if missing > 0:
        # wrk may overshoot by the requests in flight when it stops: delete the surplus.
        wrk(
            f"http://127.0.0.1:{port}/api/invoices",
            method="POST",
            body=post_body(client_id),
            key=key,
            seconds=600,
            max_requests=missing,
            ref_prefix="FILL",
        )
    rows = api_call(port, "GET", "/api/invoices?status=draft", key=key)[1]["data"]
    total = len(api_call(port, "GET", "/api/invoices", key=key)[1]["data"])
    surplus = [r for r in rows if (r["external_reference"] or "").startswith("FILL")][: max(0, total - count)]
    for row in surplus:
        api_call(port, "DELETE", f"/api/invoices/{row['id']}", key=key)


def delete_ref_prefix(port: int, key: str, prefix: str) -> int:
    rows = api_call(port, "GET", "/api/invoices?status=draft", key=key)[1]["data"]
    doomed = [r for r in rows if (r["external_reference"] or "").startswith(prefix)]
    for row in doomed:
        status, _ = api_call(port, "DELETE", f"/api/invoices/{row['id']}", key=key)
        assert status == 204, status
    return len(doomed)


def run(
    rounds: int,
    seconds: float,
    post_requests: int,
    in_memory: bool,
    sizes: tuple[int, ...] = SIZES,
    store: str = "tinydb",
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "storage": "PostgreSQL" if store.startswith("postgresql") else "in-memory" if in_memory else "data dir",
        "post_requests": post_requests,
        "sizes": {},
    }
    with store_server(store, in_memory) as (data_dir, extra), sandbox(data_dir=data_dir, extra=extra) as sbx:
        port = sbx.port
        for size in sizes:
            status, tenant = api_call(port, "POST", "/_sandbox/tenants", {"name": f"growth-{size}"}, key=None)
            assert status == 201, (status, tenant)
            key = tenant["credentials"]["facturovia"]["read_write"]
            invoices = api_call(port, "GET", "/api/invoices", key=key)[1]["data"]
            probe = next(i for i in invoices if i["external_reference"])
            fill(port, key, probe["client_id"], size)
            held = len(api_call(port, "GET", "/api/invoices", key=key)[1]["data"])
            base = f"http://127.0.0.1:{port}/api"
            results: dict[str, list[WrkResult]] = {"get": [], "list": [], "post": []}
            wrk(f"{base}/invoices/{probe['id']}", key=key, seconds=1)  # warm
            for _ in range(rounds):
                results["get"].append(wrk(f"{base}/invoices/{probe['id']}", key=key, seconds=seconds))
                results["list"].append(
                    wrk(f"{base}/invoices?external_reference={probe['external_reference']}", key=key, seconds=seconds)
                )
                results["post"].append(
                    wrk(
                        f"{base}/invoices",
                        method="POST",
                        body=post_body(probe["client_id"]),
                        key=key,
                        seconds=600,
                        max_requests=post_requests,
                        ref_prefix="GROW",
                    )
                )
                delete_ref_prefix(port, key, "GROW")
            row = {}
            for op, runs in results.items():
                row[op] = {
                    "cost_ms": median([1000 / r.rps for r in runs]),
                    "p50_ms": median([r.p50_ms for r in runs]),
                    "p99_ms": median([r.p99_ms for r in runs]),
                    "errors": sum(r.errors for r in runs),
                }
            row["held"] = held
            out["sizes"][str(size)] = row
            print(
                f"  {size:>6} invoices (held {held}): "
                + "  ".join(
                    f"{op} {v['cost_ms']:.3f} ms/req (errors {v['errors']})" for op, v in row.items() if op != "held"
                ),
                flush=True,
            )
            api_call(port, "DELETE", f"/_sandbox/tenants/{tenant['id']}", key=tenant["admin_token"])
    return out


def table(result: dict[str, Any]) -> str:
    sizes = list(result["sizes"])
    first, last = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
    lines = [
        f"Growth ({result['storage']}): cost per request = 1 / throughput (wrk -t1 -c32, median over rounds); "
        f"POST capped at {result['post_requests']} requests a round, deleted after",
        "",
        "| operation | "
        + " | ".join(f"{int(s):,} invoices" for s in sizes)
        + f" | {int(sizes[-1]):,}/{int(sizes[0]):,} |",
        "|---|" + "---:|" * (len(sizes) + 1),
    ]
    for op, label in (
        ("get", "GET /invoices/{id}"),
        ("list", "GET /invoices?external_reference="),
        ("post", "POST /invoices"),
    ):
        cells = [f"{result['sizes'][s][op]['cost_ms']:.3f} ms" for s in sizes]
        ratio = last[op]["cost_ms"] / first[op]["cost_ms"]
        errors = sum(result["sizes"][s][op]["errors"] for s in sizes)
        lines.append(
            f"| {label} | " + " | ".join(cells) + f" | {ratio:.2f}x |" + (f" errors {errors}" if errors else "")
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--post-requests", type=int, default=500)
    parser.add_argument("--in-memory", action="store_true")
    args = parser.parse_args()
    print(table(run(args.rounds, args.seconds, args.post_requests, args.in_memory)))


if __name__ == "__main__":
    main()

"""Does a request cost more when the tenant holds more documents?

One sandbox process; one fresh tenant per size (100, 1,000, 10,000 invoices), filled through
the API (POST /invoices, driven by wrk). Once every tenant is filled, each round measures every
size in turn: GET by id, GET by external_reference and POST, each with wrk (32 connections);
cost per request = 1 / throughput. (Measured one size after the other, the last size ran on a
process and a machine that had changed meanwhile, and the ratio measured that too.) A POST run
is capped (`--post-requests`) and its invoices are deleted through the API afterwards, so the
tenant stays near its size while POST is measured.

Then FacturaScripts' list, a store query with X-Total-Count: a second sandbox serving
FacturaScripts, one tenant per size filled with customers (POST /clientes, which also writes
a contact each), and `GET /clientes?filter[cifnif]=…` (one match, the page and its count).
`--store postgresql` runs both on a private PostgreSQL server instead of the data directory.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from common import STORES, WrkResult, api_call, median, sandbox, store_server, wrk
from compare import post_body

SIZES = (100, 1_000, 10_000)
FS_SIZES = (100, 10_000)
FS_BASE = "/api/3"


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
    fs_sizes: tuple[int, ...] = FS_SIZES,
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "storage": "PostgreSQL" if store.startswith("postgresql") else "in-memory" if in_memory else "data dir",
        "post_requests": post_requests,
        "sizes": {},
    }
    with store_server(store, in_memory) as (data_dir, extra):
        if sizes:
            _facturovia(out, data_dir, extra, rounds, seconds, post_requests, sizes)
        if fs_sizes:
            out["facturascripts"] = fs_run(data_dir, extra, rounds, seconds, fs_sizes)
    return out


def _facturovia(
    out: dict[str, Any],
    data_dir: Any,
    extra: list[str],
    rounds: int,
    seconds: float,
    post_requests: int,
    sizes: tuple[int, ...],
) -> None:
    """Every tenant filled first, then each round measures every size in turn (see `fs_run`)."""
    with sandbox(data_dir=data_dir, extra=extra) as sbx:
        port = sbx.port
        base = f"http://127.0.0.1:{port}/api"
        tenants: dict[int, tuple[dict[str, Any], str, dict[str, Any]]] = {}  # size: tenant, key, probe
        for size in sizes:
            status, tenant = api_call(port, "POST", "/_sandbox/tenants", {"name": f"growth-{size}"}, key=None)
            assert status == 201, (status, tenant)
            key = tenant["credentials"]["facturovia"]["read_write"]
            invoices = api_call(port, "GET", "/api/invoices", key=key)[1]["data"]
            probe = next(i for i in invoices if i["external_reference"])
            fill(port, key, probe["client_id"], size)
            wrk(f"{base}/invoices/{probe['id']}", key=key, seconds=1)  # warm
            tenants[size] = (tenant, key, probe)
            out["sizes"][str(size)] = {"held": len(api_call(port, "GET", "/api/invoices", key=key)[1]["data"])}
        results: dict[int, dict[str, list[WrkResult]]] = {size: {"get": [], "list": [], "post": []} for size in sizes}
        for _ in range(rounds):
            for size in sizes:
                _, key, probe = tenants[size]
                runs = results[size]
                runs["get"].append(wrk(f"{base}/invoices/{probe['id']}", key=key, seconds=seconds))
                list_url = f"{base}/invoices?external_reference={probe['external_reference']}"
                runs["list"].append(wrk(list_url, key=key, seconds=seconds))
                runs["post"].append(
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
        for size in sizes:
            row: dict[str, Any] = out["sizes"][str(size)]
            row.update({op: _summary(runs) for op, runs in results[size].items()})
            print(
                f"  {size:>6} invoices (held {row['held']}): "
                + "  ".join(
                    f"{op} {row[op]['cost_ms']:.3f} ms/req (errors {row[op]['errors']})" for op in results[size]
                ),
                flush=True,
            )
            tenant = tenants[size][0]
            api_call(port, "DELETE", f"/_sandbox/tenants/{tenant['id']}", key=tenant["admin_token"])


def _summary(runs: list[WrkResult]) -> dict[str, Any]:
    return {
        "cost_ms": median([1000 / r.rps for r in runs]),
        "p50_ms": median([r.p50_ms for r in runs]),
        "p99_ms": median([r.p99_ms for r in runs]),
        "errors": sum(r.errors for r in runs),
    }


def fs_run(
    data_dir: Any, extra: list[str], rounds: int, seconds: float, sizes: tuple[int, ...]
) -> dict[str, dict[str, Any]]:
    """FacturaScripts' filtered list at each size, on the same store (a fresh data directory).

    Every tenant is filled first, then the sizes are measured in turn within each round, so
    that each size sees the same process (its heap, its caches) and the same machine load:
    measured one size after the other, the largest ran last, on a process that had just taken
    10,000 POSTs, and the ratio measured that as much as the tenant's size."""
    out: dict[str, dict[str, Any]] = {}
    with sandbox(api="facturascripts", data_dir=data_dir, extra=extra) as sbx:
        port = sbx.port
        targets: dict[int, tuple[str, str, str, str]] = {}  # size: tenant id, admin token, token, url
        for size in sizes:
            status, tenant = api_call(port, "POST", "/_sandbox/tenants", {"name": f"fs-growth-{size}"}, key=None)
            assert status == 201, (status, tenant)
            token = tenant["credentials"]["facturascripts"]["token"]
            missing = size - _total(port, token)
            if missing > 0:
                started = time.monotonic()
                wrk(
                    f"http://127.0.0.1:{port}{FS_BASE}/clientes",
                    method="POST",
                    body="nombre=Cliente%20__REF__&cifnif=__REF__",
                    content_type="application/x-www-form-urlencoded",
                    key=token,
                    auth_header="Token",
                    seconds=900,
                    max_requests=missing,
                    ref_prefix="FILL",
                )
                print(f"  filled {missing} customers in {time.monotonic() - started:.0f} s", flush=True)
            held = _total(port, token)
            probe = _get(port, token, f"/clientes?limit=1&offset={held // 2}")[1][0]
            status, found = _get(port, token, f"/clientes?filter[cifnif]={probe['cifnif']}")
            assert status == 200 and [c["codcliente"] for c in found] == [probe["codcliente"]], found
            url = f"http://127.0.0.1:{port}{FS_BASE}/clientes?filter[cifnif]={probe['cifnif']}"
            wrk(url, key=token, auth_header="Token", seconds=1)  # warm
            targets[size] = (tenant["id"], tenant["admin_token"], token, url)
            out[str(size)] = {"held": held}
        runs: dict[int, list[WrkResult]] = {size: [] for size in sizes}
        for _ in range(rounds):
            for size in sizes:
                _, _, token, url = targets[size]
                runs[size].append(wrk(url, key=token, auth_header="Token", seconds=seconds))
        for size in sizes:
            out[str(size)]["list"] = _summary(runs[size])
            cost = out[str(size)]["list"]["cost_ms"]
            print(f"  {size:>6} customers (held {out[str(size)]['held']}): list {cost:.3f} ms/req", flush=True)
            tenant_id, admin_token, _, _ = targets[size]
            api_call(port, "DELETE", f"/_sandbox/tenants/{tenant_id}", key=admin_token)
    return out


def _get(port: int, token: str, path: str) -> tuple[int, Any]:
    return api_call(port, "GET", f"{FS_BASE}{path}", key=token, auth_header="Token")


def _total(port: int, token: str) -> int:
    """X-Total-Count of the tenant's customers."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", f"{FS_BASE}/clientes?limit=1", headers={"Token": token})
    response = conn.getresponse()
    response.read()
    conn.close()
    return int(response.headers["X-Total-Count"])


def table(result: dict[str, Any]) -> str:
    sizes = list(result["sizes"])
    lines = [
        f"Growth ({result['storage']}): cost per request = 1 / throughput (wrk -t1 -c32, median over rounds); "
        f"POST capped at {result['post_requests']} requests a round, deleted after",
    ]
    if sizes:
        lines += _facturovia_table(result, sizes)
    fs = result.get("facturascripts")
    if fs:
        lines += _facturascripts_table(fs)
    return "\n".join(lines)


def _facturovia_table(result: dict[str, Any], sizes: list[str]) -> list[str]:
    first, last = result["sizes"][sizes[0]], result["sizes"][sizes[-1]]
    lines = [
        "",
        "| operation (sizes measured in turn each round) | "
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
    return lines


def _facturascripts_table(fs: dict[str, Any]) -> list[str]:
    sizes = list(fs)
    ratio = fs[sizes[-1]]["list"]["cost_ms"] / fs[sizes[0]]["list"]["cost_ms"]
    errors = sum(fs[s]["list"]["errors"] for s in sizes)
    return [
        "",
        "| FacturaScripts (sizes measured in turn each round) | "
        + " | ".join(f"{int(s):,} customers" for s in sizes)
        + f" | {int(sizes[-1]):,}/{int(sizes[0]):,} |",
        "|---|" + "---:|" * (len(sizes) + 1),
        "| GET /clientes?filter[cifnif]= | "
        + " | ".join(f"{fs[s]['list']['cost_ms']:.3f} ms" for s in sizes)
        + f" | {ratio:.2f}x |"
        + (f" errors {errors}" if errors else ""),
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--post-requests", type=int, default=500)
    parser.add_argument("--in-memory", action="store_true")
    parser.add_argument("--store", choices=STORES[:2], default="tinydb")
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES), help="none: FacturaScripts only")
    parser.add_argument("--fs-sizes", type=int, nargs="*", default=list(FS_SIZES))
    args = parser.parse_args()
    result = run(
        args.rounds,
        args.seconds,
        args.post_requests,
        args.in_memory,
        tuple(args.sizes),
        args.store,
        tuple(args.fs_sizes),
    )
    print(table(result))


if __name__ == "__main__":
    main()

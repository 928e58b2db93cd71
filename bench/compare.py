"""Sandbox against Prism on openapi/facturovia.yaml: same requests, same wrk settings, alternately."""

from __future__ import annotations

import argparse
from typing import Any

from common import ROOT, WrkResult, api_call, median, prism, sandbox, store_server, wrk

from facturas_sandbox.contracts import load_contract

OPS = ("get", "list", "post")
LABELS = {
    "get": "GET /invoices/{id}",
    "list": "GET /invoices?external_reference=",
    "post": "POST /invoices",
}
LIST_REF = "ORDER-2852"  # a fixture invoice of the demo tenant


def post_body(client_id: str) -> dict[str, Any]:
    """The contract's example of createInvoice, with a unique external_reference per request (wrk.lua)."""
    operation = load_contract("facturovia")["paths"]["/invoices"]["post"]
    example = operation["requestBody"]["content"]["application/json"]["example"]
    return {**example, "external_reference": "__REF__", "client_id": client_id}


def targets(port: int, prefix: str) -> dict[str, tuple[str, str, dict[str, Any] | None]]:
    status, found = api_call(port, "GET", f"{prefix}/invoices?external_reference={LIST_REF}")
    assert status == 200 and found["data"], (status, found)
    invoice = found["data"][0]
    base = "http://127.0.0.1:{port}{prefix}"
    return {
        "get": ("GET", f"{base}/invoices/{invoice['id']}", None),
        "list": ("GET", f"{base}/invoices?external_reference={LIST_REF}", None),
        "post": ("POST", f"{base}/invoices", post_body(invoice["client_id"])),
    }


def run(
    rounds: int, seconds: float, warm: float, in_memory: bool, connections: int = 32, store: str = "tinydb"
) -> dict[str, Any]:
    results: dict[str, dict[str, list[WrkResult]]] = {op: {"sandbox": [], "prism": []} for op in OPS}
    with (
        store_server(store, in_memory) as (data_dir, extra),
        sandbox(data_dir=data_dir, extra=extra) as sbx,
        prism(ROOT / "openapi" / "facturovia.yaml") as prm,
    ):
        ops = targets(sbx.port, sbx.prefix)
        servers = {"sandbox": sbx, "prism": prm}

        def drive(op: str, name: str, duration: float) -> WrkResult:
            method, url, body = ops[op]
            server = servers[name]
            return wrk(
                url.format(port=server.port, prefix=server.prefix),
                method=method,
                body=body,
                seconds=duration,
                connections=connections,
                ref_prefix=f"{name}-{op}",
            )

        for op in OPS:  # warm both (Python's caches, Node's JIT)
            for name in servers:
                drive(op, name, warm)
        for r in range(rounds):
            order = ("sandbox", "prism") if r % 2 == 0 else ("prism", "sandbox")
            for op in OPS:
                for name in order:
                    result = drive(op, name, seconds)
                    results[op][name].append(result)
                    print(
                        f"  round {r + 1} {LABELS[op]:<36} {name:<8} {result.rps:8.0f} req/s  "
                        f"p50 {result.p50_ms:6.2f} ms  p99 {result.p99_ms:7.2f} ms  errors {result.errors}",
                        flush=True,
                    )
    summary: dict[str, Any] = {}
    for op in OPS:
        row: dict[str, Any] = {}
        for name in ("sandbox", "prism"):
            runs = results[op][name]
            row[name] = {
                "rps": median([x.rps for x in runs]),
                "p50_ms": median([x.p50_ms for x in runs]),
                "p99_ms": median([x.p99_ms for x in runs]),
                "errors": sum(x.errors for x in runs),
                "requests": sum(x.requests for x in runs),
            }
        row["ratio"] = median(
            [s.rps / p.rps for s, p in zip(results[op]["sandbox"], results[op]["prism"], strict=True)]
        )
        summary[op] = row
    return {
        "storage": _storage(store, in_memory),
        "rounds": rounds,
        "seconds": seconds,
        "connections": connections,
        "ops": summary,
    }


def _storage(store: str, in_memory: bool) -> str:
    if store == "postgresql":
        return "PostgreSQL, 1 process"
    if store == "postgresql-workers2":
        return "PostgreSQL, --workers 2"
    return "in-memory" if in_memory else "data dir"


def table(result: dict[str, Any]) -> str:
    lines = [
        f"Sandbox ({result['storage']}) vs Prism, wrk -t1 -c{result['connections']}, "
        f"{result['rounds']} rounds x {result['seconds']:g} s, medians over rounds; errors summed",
        "",
        "| operation | server | req/s | p50 ms | p99 ms | errors | sandbox/Prism |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for op, row in result["ops"].items():
        for name in ("sandbox", "prism"):
            x = row[name]
            ratio = f"{row['ratio']:.2f}" if name == "sandbox" else ""
            lines.append(
                f"| {LABELS[op]} | {name} | {x['rps']:.0f} | {x['p50_ms']:.2f} | {x['p99_ms']:.2f} | "
                f"{x['errors']} | {ratio} |"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warm", type=float, default=3)
    parser.add_argument("--in-memory", action="store_true")
    args = parser.parse_args()
    print(table(run(args.rounds, args.seconds, args.warm, args.in_memory)))


if __name__ == "__main__":
    main()

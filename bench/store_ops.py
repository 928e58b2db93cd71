"""Store operations alone, without HTTP: PostgreSQL against TinyDB in memory.

    python bench/store_ops.py                 # a private PostgreSQL server is started
    python bench/store_ops.py --url postgresql://user@host/db   # or an existing database

Latency of a single-row get, an insert inside a transaction and next_number; then the cost
of three list queries at 100 and at 10,000 documents per tenant: an indexed equality filter
(Facturovia's external_reference), a `_like` filter (FacturaScripts' `filter[nombre_like]`)
and a sorted first page with its total (`sort[fecha]=DESC&limit=50`, X-Total-Count). Medians
of repeated runs, printed as Markdown. PostgreSQL's statistics are refreshed after each fill
(ANALYZE), as autovacuum would. Run on demand, never under `make test`.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from facturas_sandbox.store import Backend, open_backend
from facturas_sandbox.store.query import Compare, Field, Kind, Like, Order, Query

SIZES = (100, 10_000)
INDEXES = ("external_reference", Field("fecha", Kind.DATE))


def timed(operation: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of one call."""
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        operation()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def document(n: int) -> dict[str, object]:
    return {
        "id": f"inv-{n:06d}",
        "external_reference": f"ORDER-{n}",
        "nombre": ("Ferretería Ruiz", "Bar Casa Pepe", "Café Central", "Talleres García")[n % 4] + f" {n}",
        "fecha": f"{n % 28 + 1:02d}-{n % 12 + 1:02d}-2026",
        "total": round(n * 1.21, 2),
        "items": [{"description": "Filtro aceite REF-001", "quantity": 2, "unit_price": 15.99}] * 3,
    }


def fill(backend: Backend, tenant: str, size: int) -> None:
    store = backend.tenant(tenant)
    coll = store.collection("invoices", indexes=INDEXES)
    for start in range(0, size, 500):
        with store.transaction():
            for n in range(start, min(size, start + 500)):
                coll.insert(document(n))
    analyze = getattr(backend, "run", None)
    if analyze is not None:
        # What autovacuum does within a minute of a bulk load: without statistics the planner
        # takes the freshly filled table for empty and scans it instead of using the indexes.
        analyze(lambda conn: conn.execute(f"ANALYZE {backend.schema}.documents"))  # type: ignore[attr-defined]


def single_ops(backend: Backend, repeat: int) -> dict[str, float]:
    store = backend.tenant("ops")
    coll = store.collection("invoices", indexes=INDEXES)
    fill(backend, "ops", 100)
    counter = iter(range(10**9))

    def insert() -> None:
        with store.transaction():
            coll.insert(document(1000 + next(counter)))

    return {
        "get by key": timed(lambda: coll.get("inv-000042"), repeat),
        "insert in a transaction": timed(insert, repeat),
        "next_number (its own transaction)": timed(lambda: store.next_number("F:2026"), repeat),
    }


QUERIES: dict[str, Callable[[int], Query]] = {
    "indexed filter (external_reference=)": lambda size: Query(
        where=Compare(Field("external_reference"), "=", f"ORDER-{size // 2}"), count=True
    ),
    "_like filter (%casa pepe 1%), first 50": lambda size: Query(
        where=Like(Field("nombre"), "%casa pepe 1%"), limit=50, count=True
    ),
    "sorted page (fecha DESC, 50, total)": lambda size: Query(
        order=(Order(Field("fecha", Kind.DATE), descending=True),), limit=50, count=True
    ),
}


def query_costs(backend: Backend, repeat: int) -> dict[str, dict[int, float]]:
    out: dict[str, dict[int, float]] = {name: {} for name in QUERIES}
    for size in SIZES:
        tenant = f"size-{size}"
        fill(backend, tenant, size)
        coll = backend.tenant(tenant).collection("invoices", indexes=INDEXES)
        for name, make in QUERIES.items():
            query = make(size)
            coll.query(query)  # warm
            out[name][size] = timed(lambda q=query, c=coll: c.query(q), repeat)
    return out


@contextlib.contextmanager
def postgres_url(url: str | None) -> Iterator[str]:
    if url:
        yield url
        return
    from facturas_sandbox.testing_pg import running_postgres

    with running_postgres() as server:
        yield server.create_database("store_bench")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an existing PostgreSQL database (default: start a private server)")
    parser.add_argument("--repeat", type=int, default=300, help="calls per single-row operation")
    parser.add_argument("--query-repeat", type=int, default=30, help="calls per query and size")
    args = parser.parse_args()
    with postgres_url(args.url) as url:
        results = {}
        for label, opener in (
            ("TinyDB (in memory)", lambda: open_backend(None)),
            ("PostgreSQL", lambda: open_backend(url)),
        ):
            backend = opener()
            try:
                results[label] = (single_ops(backend, args.repeat), query_costs(backend, args.query_repeat))
            finally:
                backend.close()
    labels = list(results)
    print("Single-row operations, median ms\n")
    print("| operation | " + " | ".join(labels) + " |\n|---|" + "---:|" * len(labels))
    for op in results[labels[0]][0]:
        print(f"| {op} | " + " | ".join(f"{results[lb][0][op]:.3f}" for lb in labels) + " |")
    print("\nList queries, median ms at 100 and 10,000 documents in the tenant\n")
    header = " | ".join(f"{lb} {s:,}" for lb in labels for s in SIZES)
    print(f"| query | {header} | 10,000/100 ({' / '.join(labels)}) |")
    print("|---|" + "---:|" * (len(labels) * len(SIZES) + 1))
    for name in QUERIES:
        cells = [f"{results[lb][1][name][s]:.3f}" for lb in labels for s in SIZES]
        ratios = " / ".join(f"{results[lb][1][name][SIZES[-1]] / results[lb][1][name][SIZES[0]]:.1f}x" for lb in labels)
        print(f"| {name} | " + " | ".join(cells) + f" | {ratios} |")


if __name__ == "__main__":
    main()

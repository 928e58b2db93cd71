"""`make bench`: the sandbox against Prism, growth with data, start-up time and memory.

    python bench/run.py                      # everything, with the issue's settings
    python bench/run.py --only compare --rounds 3 --seconds 5
    python bench/run.py --in-memory          # the comparison and growth with --in-memory

Tables are printed as Markdown (for bench/RESULTS.md); the raw figures of each run are kept
in bench/results/<timestamp>.json.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare
import growth
import startup
from common import BENCH, STORES, ensure_prism, ensure_wrk, machine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", choices=["compare", "growth", "startup"], action="append")
    parser.add_argument("--rounds", type=int, default=5, help="comparison rounds")
    parser.add_argument("--seconds", type=float, default=10, help="seconds of each wrk run in the comparison")
    parser.add_argument("--warm", type=float, default=3)
    parser.add_argument("--in-memory", action="store_true", help="serve --in-memory instead of a data dir")
    parser.add_argument("--growth-rounds", type=int, default=5)
    parser.add_argument("--growth-seconds", type=float, default=4)
    parser.add_argument("--post-requests", type=int, default=500)
    parser.add_argument(
        "--store",
        choices=STORES,
        action="append",
        help="stores to compare with Prism (default: all: the data directory, PostgreSQL with 1 process and "
        "with --workers 2); the growth bench runs on the data directory and on PostgreSQL",
    )
    args = parser.parse_args()
    parts = args.only or ["compare", "growth", "startup"]

    ensure_wrk()
    if "compare" in parts:
        ensure_prism()
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    print(f"# bench {started} — {machine()}", flush=True)
    record: dict[str, object] = {"started": started, "machine": machine()}
    tables = []
    stores = args.store or list(STORES)
    if "compare" in parts:
        for store in stores:
            result = compare.run(args.rounds, args.seconds, args.warm, args.in_memory, store=store)
            record[f"compare-{store}"] = result
            tables.append(compare.table(result))
            print(tables[-1], "\n", flush=True)
    if "growth" in parts:
        for store in dict.fromkeys("postgresql" if s.startswith("postgresql") else s for s in stores):
            result = growth.run(
                args.growth_rounds, args.growth_seconds, args.post_requests, args.in_memory, store=store
            )
            record[f"growth-{store}"] = result
            tables.append(growth.table(result))
            print(tables[-1], "\n", flush=True)
    if "startup" in parts:
        result = startup.run(3, 100)
        record["startup"] = result
        tables.append(startup.table(result))
        print(tables[-1], "\n", flush=True)
    out = BENCH / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(record, indent=2))
    print("\n\n".join(tables))
    print(f"\n(raw figures: {path.relative_to(BENCH.parent)})")


if __name__ == "__main__":
    main()

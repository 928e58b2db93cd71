"""Compaction waits until the log is as large as the snapshot, so write cost stays flat."""

from __future__ import annotations

import json
from pathlib import Path

from facturas_sandbox.store import open_backend


def test_a_large_snapshot_is_not_rewritten_every_compact_every_lines(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    store.storage._compact_every = 10
    things = store.collection("things")
    with store.transaction():
        for n in range(200):
            things.insert({"id": f"big-{n}", "text": "x" * 200})
    store.storage.snapshot()
    snapshot = tmp_path / "tenants" / "t1.json"
    size = snapshot.stat().st_size
    for n in range(20):  # ~20 small log lines: far fewer bytes than the snapshot
        things.insert({"id": n})
    assert snapshot.stat().st_size == size, "the snapshot was rewritten before the log caught up"
    wal = tmp_path / "tenants" / "t1.wal"
    before = wal.stat().st_size
    n = 0
    while wal.stat().st_size >= before:  # until a write compacts (the log is truncated)
        before = wal.stat().st_size
        things.insert({"id": f"more-{n}", "pad": "y" * 100})
        n += 1
    # The write that compacted was the one that brought the log up to the snapshot's size.
    assert size - 300 < before < size, (before, size)
    assert len(json.loads(snapshot.read_text())["things"]) == things.count()
    assert open_backend(tmp_path).tenant("t1").collection("things").count() == things.count()

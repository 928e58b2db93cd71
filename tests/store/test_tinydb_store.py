"""The TinyDB backend alone: its log, snapshots and failure handling (what every backend
shares is in test_backends.py)."""

from __future__ import annotations

import errno
import json
from pathlib import Path

import pytest
from tinydb import TinyDB

from facturas_sandbox.store import StoreError, open_backend
from facturas_sandbox.store import wal as wal_module


def test_data_survives_reopening_and_the_snapshot_is_a_tinydb_file(tmp_path: Path) -> None:
    backend = open_backend(tmp_path)
    store = backend.tenant("t1")
    store.collection("things").insert({"id": "a", "v": 1})
    store.collection("things").update("a", {"v": 2})
    store.next_number("seq")
    backend.close()  # writes a snapshot

    reopened = open_backend(tmp_path).tenant("t1")
    assert reopened.collection("things").get("a") == {"id": "a", "v": 2}
    assert reopened.next_number("seq") == 2
    plain = TinyDB(tmp_path / "tenants" / "t1.json")
    assert plain.table("things").all() == [{"id": "a", "v": 2}]


def test_writes_are_durable_without_a_clean_shutdown(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    for n in range(50):
        store.collection("things").insert({"id": n})
    # No close(): like a kill -9, only the log holds these writes.
    assert not (tmp_path / "tenants" / "t1.json").exists()
    reopened = open_backend(tmp_path).tenant("t1")
    assert reopened.collection("things").count() == 50


def test_a_torn_last_log_line_is_dropped(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    store.collection("things").insert({"id": "kept"})
    log = tmp_path / "tenants" / "t1.wal"
    with open(log, "ab") as fh:
        fh.write(b'[["p","things","2",{"id":"to')  # the process died mid-write
    reopened = open_backend(tmp_path).tenant("t1")
    assert [d["id"] for d in reopened.collection("things").all()] == ["kept"]
    reopened.collection("things").insert({"id": "after"})
    again = open_backend(tmp_path).tenant("t1")
    assert [d["id"] for d in again.collection("things").all()] == ["kept", "after"]


def test_compaction_folds_the_log_into_the_snapshot(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    store.storage._compact_every = 10
    for n in range(25):
        store.collection("things").insert({"id": n})
    snapshot = json.loads((tmp_path / "tenants" / "t1.json").read_text())
    assert len(snapshot["things"]) == 20
    assert len((tmp_path / "tenants" / "t1.wal").read_text().splitlines()) == 5
    assert open_backend(tmp_path).tenant("t1").collection("things").count() == 25


def test_a_full_disk_refuses_the_write_and_keeps_the_store_consistent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_backend(tmp_path).tenant("t1")
    things = store.collection("things")
    things.insert({"id": "a"})
    real_write = wal_module.os.write

    def full_disk(fd: int, data: bytes) -> int:
        real_write(fd, data[:7])  # a short write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(wal_module.os, "write", full_disk)
    with pytest.raises(StoreError, match="No space left"):
        things.insert({"id": "b"})
    monkeypatch.setattr(wal_module.os, "write", real_write)
    assert things.get("b") is None
    things.insert({"id": "c"})
    assert [d["id"] for d in open_backend(tmp_path).tenant("t1").collection("things").all()] == ["a", "c"]


def test_an_unusable_data_directory_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="not writable"):
        open_backend(blocker / "data")


def test_tenant_ids_lists_each_tenant_once_before_and_after_its_first_snapshot(tmp_path: Path) -> None:
    backend = open_backend(tmp_path)
    backend.tenant("t1").collection("things").insert({"id": "a"})  # only t1.wal so far
    backend.tenant("t2").collection("things").insert({"id": "a"})
    backend.tenant("t2").storage.snapshot()  # t2.json and t2.wal
    assert backend.tenant_ids() == ["t1", "t2"]

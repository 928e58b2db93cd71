"""The TinyDB backend: CRUD, indexes, transactions, durability and failure handling."""

from __future__ import annotations

import errno
import json
import threading
from pathlib import Path

import pytest
from tinydb import Query, TinyDB

from facturas_sandbox.store import Conflict, StoreError, open_backend
from facturas_sandbox.store import wal as wal_module


def test_crud_and_indexed_find() -> None:
    store = open_backend(None).tenant("t1")
    things = store.collection("things", indexes=("colour",))
    things.insert({"id": "a", "colour": "red", "n": 1})
    things.insert({"id": "b", "colour": "blue", "n": 2})
    things.insert({"id": "c", "colour": "red", "n": 3})
    assert [d["id"] for d in things.find(colour="red")] == ["a", "c"]
    assert things.find(colour="red", n=3) == [{"id": "c", "colour": "red", "n": 3}]
    things.update("a", {"colour": "blue"})
    assert [d["id"] for d in things.find(colour="blue")] == ["a", "b"]
    assert things.delete("b")["id"] == "b"
    assert things.get("b") is None and things.count() == 2
    with pytest.raises(Conflict):
        things.insert({"id": "a"})
    assert [d["id"] for d in things.search(Query().n >= 3)] == ["c"]


def test_documents_handed_out_are_copies() -> None:
    things = open_backend(None).tenant("t1").collection("things")
    doc = things.insert({"id": "a", "items": [{"q": 1}]})
    doc["items"][0]["q"] = 99
    things.get("a")["items"].append("x")
    assert things.get("a") == {"id": "a", "items": [{"q": 1}]}


def test_a_failed_transaction_changes_nothing() -> None:
    store = open_backend(None).tenant("t1")
    things = store.collection("things", indexes=("colour",))
    things.insert({"id": "a", "colour": "red"})
    with pytest.raises(RuntimeError), store.transaction():
        things.insert({"id": "b", "colour": "red"})
        things.update("a", {"colour": "green"})
        store.next_number("F:2026")
        raise RuntimeError("boom")
    assert things.all() == [{"id": "a", "colour": "red"}]
    assert [d["id"] for d in things.find(colour="red")] == ["a"]
    assert things.find(colour="green") == []
    assert store.next_number("F:2026") == 1  # the number was given back


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


def test_tenant_ids_cannot_escape_the_data_directory(tmp_path: Path) -> None:
    backend = open_backend(tmp_path)
    for bad in ("../evil", "a/b", "", "UPPER", "x" * 65):
        with pytest.raises(ValueError):
            backend.tenant(bad)


def test_concurrent_threads_never_share_or_skip_a_number() -> None:
    store = open_backend(None).tenant("t1")
    seen: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(200):
            with store.transaction():
                number = store.next_number("F:2026")
                store.collection("invoices").insert({"id": f"F{number}"})
            with lock:
                seen.append(number)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(seen) == list(range(1, 1601))
    assert store.collection("invoices").count() == 1600



def test_tenant_ids_lists_each_tenant_once_before_and_after_its_first_snapshot(tmp_path: Path) -> None:
    backend = open_backend(tmp_path)
    backend.tenant("t1").collection("things").insert({"id": "a"})  # only t1.wal so far
    backend.tenant("t2").collection("things").insert({"id": "a"})
    backend.tenant("t2").storage.snapshot()  # t2.json and t2.wal
    assert backend.tenant_ids() == ["t1", "t2"]

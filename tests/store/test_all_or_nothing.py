"""A transaction is all or nothing for any exception, also one raised while encoding its writes.

Memory (what the running process reads) and disk (what a restart reads) must both equal the
state before the failed transaction, and the next write must work and last.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from facturas_sandbox.store import Backend, UnstorableText, open_backend, pg_sql, wal


class EncoderBroke(Exception):
    """Not a StoreError: any exception must undo the transaction."""


def _state(backend: Backend) -> tuple[list[dict[str, Any]], int]:
    store = backend.tenant("t1")
    return store.collection("things").all(), store.peek_number("F:2026")


def _break_the_encoder(backend_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if backend_name == "tinydb":
        monkeypatch.setattr(wal, "encode_ops", _raise)
    else:
        monkeypatch.setattr(pg_sql, "encode", _raise)


def _raise(*args: Any, **kwargs: Any) -> Any:
    raise EncoderBroke("the encoder broke")


def _seed(backend: Backend) -> None:
    store = backend.tenant("t1")
    things = store.collection("things", indexes=("colour",))
    things.insert({"id": "a", "colour": "red"})
    assert store.next_number("F:2026") == 1


def test_an_encoder_failure_inside_a_transaction_leaves_memory_and_disk_as_before(
    make_backend: Callable[[], Backend], backend_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = make_backend()
    _seed(backend)
    store = backend.tenant("t1")
    things = store.collection("things", indexes=("colour",))
    before = _state(backend)
    with monkeypatch.context() as patch:
        _break_the_encoder(backend_name, patch)
        with pytest.raises(EncoderBroke), store.transaction():
            store.next_number("F:2026")
            things.update("a", {"colour": "green"})
            things.insert({"id": "b", "colour": "red"})
    assert _state(backend) == before, "memory diverged"
    assert [d["id"] for d in things.find(colour="red")] == ["a"]
    assert things.find(colour="green") == []
    assert _state(make_backend()) == before, "disk diverged"
    # The store still takes writes, and the number was given back.
    assert store.next_number("F:2026") == 2
    things.insert({"id": "c", "colour": "blue"})
    assert _state(make_backend()) == ([{"id": "a", "colour": "red"}, {"id": "c", "colour": "blue"}], 3)


def test_a_lone_surrogate_is_refused_whole_on_every_backend(make_backend: Callable[[], Backend]) -> None:
    backend = make_backend()
    _seed(backend)
    store = backend.tenant("t1")
    things = store.collection("things", indexes=("colour",))
    before = _state(backend)
    for bad in ({"id": "b", "name": "x\ud800y"}, {"id": "b", "nested": [{"k": "\udfff"}]}, {"id": "b", "\ud83d": 1}):
        with pytest.raises(UnstorableText), store.transaction():
            store.next_number("F:2026")
            things.insert({"id": "ok", "colour": "red"})
            things.insert(bad)
        with pytest.raises(UnstorableText):
            things.update("a", {"colour": "\ud800"})
        assert _state(backend) == before
    assert _state(make_backend()) == before
    # A valid pair of surrogates is one character: stored.
    things.insert({"id": "emoji", "name": "\U0001f600"})
    assert make_backend().tenant("t1").collection("things").get("emoji") == {"id": "emoji", "name": "\U0001f600"}


def test_in_memory_the_same_writes_are_refused() -> None:
    backend = open_backend(None)
    _seed(backend)
    before = _state(backend)
    with pytest.raises(UnstorableText):
        backend.tenant("t1").collection("things").insert({"id": "b", "name": "\ud800"})
    assert _state(backend) == before


def _broken_snapshots(monkeypatch: pytest.MonkeyPatch) -> None:
    def dump(*args: Any, **kwargs: Any) -> None:
        fh = args[1]
        fh.write('{"partial":')  # some bytes reach the temp file before the failure
        raise EncoderBroke("the snapshot encoder broke")

    monkeypatch.setattr(wal.json, "dump", dump)


def test_a_failed_compaction_never_fails_later_writes_nor_leaves_a_temp_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_backend(tmp_path).tenant("t1")
    store.storage._compact_every = 3
    things = store.collection("things")
    tenants = tmp_path / "tenants"
    with monkeypatch.context() as patch:
        _broken_snapshots(patch)
        for n in range(10):  # compaction is due from the third write on, and fails each time
            things.insert({"id": n})
            assert not (tenants / "t1.json.tmp").exists()
        assert things.count() == 10
    assert open_backend(tmp_path).tenant("t1").collection("things").count() == 10
    things.insert({"id": 10})  # the encoder works again: the next compaction succeeds
    assert json.loads((tenants / "t1.json").read_text())["things"]
    assert open_backend(tmp_path).tenant("t1").collection("things").count() == 11


def test_a_failed_snapshot_at_shutdown_closes_everything_and_loses_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = open_backend(tmp_path)
    for tenant in ("t1", "t2"):
        backend.tenant(tenant).collection("things").insert({"id": tenant})
    with monkeypatch.context() as patch:
        _broken_snapshots(patch)
        backend.close()  # neither raises nor stops at the first tenant
    assert sorted(p.name for p in (tmp_path / "tenants").iterdir()) == ["t1.wal", "t2.wal"]
    reopened = open_backend(tmp_path)
    assert [reopened.tenant(t).collection("things").all() for t in ("t1", "t2")] == [[{"id": "t1"}], [{"id": "t2"}]]

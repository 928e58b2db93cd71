"""What every backend must do alike: CRUD, keys, find, transactions, sequences, tenants.

Each test runs on TinyDB (a data directory) and on PostgreSQL (a schema of its own).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from tinydb import Query as TinyQuery

from facturas_sandbox.store import Backend, Conflict, TenantDropped


def test_crud_and_indexed_find(backend: Backend) -> None:
    store = backend.tenant("t1")
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
    assert things.delete("b") is None
    with pytest.raises(Conflict):
        things.insert({"id": "a"})
    assert [d["id"] for d in things.search(TinyQuery().n >= 3)] == ["c"]
    assert [d["id"] for d in things] == ["a", "c"]


def test_int_and_str_keys_are_different_keys(backend: Backend) -> None:
    rows = backend.tenant("t1").collection("rows", key="idfactura")
    rows.insert({"idfactura": 1, "codigo": "FAC1"})
    rows.insert({"idfactura": "1", "codigo": "text key"})
    assert rows.get(1)["codigo"] == "FAC1"
    assert rows.get("1")["codigo"] == "text key"
    assert rows.get(2) is None and rows.get("x") is None
    assert rows.find(idfactura=1) == [{"idfactura": 1, "codigo": "FAC1"}]
    with pytest.raises(ValueError):
        rows.insert({"codigo": "no key"})


def test_replace_overwrites_in_place_and_insertion_order_holds(backend: Backend) -> None:
    things = backend.tenant("t1").collection("things")
    for key in ("c", "a", "b"):
        things.insert({"id": key, "v": 0})
    things.replace({"id": "a", "v": 1})  # keeps its place
    things.replace({"id": "d", "v": 2})  # a new one goes last
    things.delete("c")
    things.insert({"id": "c", "v": 3})  # deleted and inserted again: last
    assert [(d["id"], d["v"]) for d in things.all()] == [("a", 1), ("b", 0), ("d", 2), ("c", 3)]


def test_largest_numeral_key_reads_digits_alone(backend: Backend) -> None:
    codes = backend.tenant("t1").collection("codes", key="code")
    assert codes.largest_numeral_key() is None
    for code in ("ABC", "٩٩٩", "99x", "-5", " 8", "1.5", "9" * 21, "", "0"):
        codes.insert({"code": code})
    assert codes.largest_numeral_key() == 0  # only "0" is digits alone, and at most 20 of them
    codes.insert({"code": "0042"})
    codes.insert({"code": "7"})
    assert codes.largest_numeral_key() == 42
    codes.delete("0042")
    assert codes.largest_numeral_key() == 7
    numbers = backend.tenant("t1").collection("numbers", key="n")
    for n in (3, -50, 2.5, 10.0):
        numbers.insert({"n": n})
    assert numbers.largest_numeral_key() == 3  # a float's JSON has a point, a negative its sign
    assert backend.tenant("t2").collection("codes", key="code").largest_numeral_key() is None


def test_update_refuses_a_missing_document_or_a_key_change(backend: Backend) -> None:
    things = backend.tenant("t1").collection("things")
    things.insert({"id": "a", "v": 1})
    with pytest.raises(KeyError):
        things.update("nope", {"v": 2})
    with pytest.raises(ValueError, match="cannot change"):
        things.update("a", {"id": "b"})
    assert things.update("a", {"w": [1, {"x": None}]}) == {"id": "a", "v": 1, "w": [1, {"x": None}]}
    assert things.all() == [{"id": "a", "v": 1, "w": [1, {"x": None}]}]


def test_find_is_pythons_equality_on_json_values(backend: Backend) -> None:
    rows = backend.tenant("t1").collection("rows", indexes=("v",))
    values = ["1", 1, 1.0, 1.5, True, False, 0, None, [1, "a"], {"k": 1}]
    for n, value in enumerate(values):
        rows.insert({"id": n, "v": value})
    rows.insert({"id": "missing"})
    for probe in ["1", 1, 1.5, True, False, 0, None, [1, "a"], {"k": 1}, "absent"]:
        expected = [n for n, value in enumerate(values) if value == probe]
        if probe is None:
            expected.append("missing")
        assert [d["id"] for d in rows.find(v=probe)] == expected, probe


def test_documents_handed_out_are_copies(backend: Backend) -> None:
    things = backend.tenant("t1").collection("things")
    doc = things.insert({"id": "a", "items": [{"q": 1}]})
    doc["items"][0]["q"] = 99
    things.get("a")["items"].append("x")
    things.all()[0]["items"].clear()
    assert things.get("a") == {"id": "a", "items": [{"q": 1}]}


def test_documents_keep_key_order_and_every_character(backend: Backend) -> None:
    things = backend.tenant("t1").collection("things")
    doc = {"id": "a", "zeta": 1, "alpha": "ñandú € 日本 \U0001f600", "nul": "a\x00b", "big": 10**30, "f": 0.1}
    things.insert(doc)
    stored = things.get("a")
    assert stored == doc and list(stored) == list(doc)
    assert type(stored["big"]) is int and type(stored["f"]) is float


def test_a_failed_transaction_changes_nothing(backend: Backend) -> None:
    store = backend.tenant("t1")
    things = store.collection("things", indexes=("colour",))
    things.insert({"id": "a", "colour": "red"})
    with pytest.raises(RuntimeError), store.transaction():
        things.insert({"id": "b", "colour": "red"})
        things.update("a", {"colour": "green"})
        things.delete("a")
        store.next_number("F:2026")
        raise RuntimeError("boom")
    assert things.all() == [{"id": "a", "colour": "red"}]
    assert [d["id"] for d in things.find(colour="red")] == ["a"]
    assert things.find(colour="green") == []
    assert store.next_number("F:2026") == 1  # the number was given back


def test_nested_transactions_commit_with_the_outermost(backend: Backend) -> None:
    store = backend.tenant("t1")
    things = store.collection("things")
    with store.transaction():
        things.insert({"id": "a"})
        with store.transaction():
            things.insert({"id": "b"})
            assert store.next_number("s") == 1
        # A conflict caught inside the transaction leaves it usable, as in one process.
        with pytest.raises(Conflict):
            things.insert({"id": "a"})
        things.insert({"id": "c"})
        assert [d["id"] for d in things.all()] == ["a", "b", "c"]  # this thread sees its writes
    assert [d["id"] for d in things.all()] == ["a", "b", "c"]
    with pytest.raises(KeyError), store.transaction():
        things.insert({"id": "d"})
        with store.transaction():
            things.update("missing", {})
    assert things.get("d") is None


def test_sequences_count_peek_and_roll_back(backend: Backend) -> None:
    store = backend.tenant("t1")
    assert store.peek_number("F:2026") == 1
    assert [store.next_number("F:2026") for _ in range(3)] == [1, 2, 3]
    assert store.next_number("R:2026") == 1
    assert store.peek_number("F:2026") == 4
    with pytest.raises(RuntimeError), store.transaction():
        assert store.next_number("F:2026") == 4
        raise RuntimeError
    assert store.peek_number("F:2026") == 4


def test_clear_empties_one_tenant(backend: Backend) -> None:
    one, two = backend.tenant("one"), backend.tenant("two")
    for store in (one, two):
        store.collection("things").insert({"id": "a"})
        store.collection("others", key="name").insert({"name": "x"})
        store.next_number("s")
    one.clear()
    assert one.collection("things").all() == [] and one.collection("others", key="name").all() == []
    assert one.next_number("s") == 1
    assert two.collection("things").count() == 1 and two.next_number("s") == 2


def test_drop_deletes_a_tenant_and_its_files(backend: Backend) -> None:
    backend.tenant("keep").collection("things").insert({"id": "a"})
    doomed = backend.tenant("doomed")
    doomed.collection("things").insert({"id": "a"})
    doomed.next_number("s")
    backend.files("doomed").put("MyFiles/a.txt", b"x")
    assert set(backend.tenant_ids()) >= {"keep", "doomed"}
    backend.drop("doomed")
    assert "doomed" not in backend.tenant_ids() and "keep" in backend.tenant_ids()
    again = backend.tenant("doomed")
    assert again.collection("things").count() == 0
    if backend.shared:
        # Other replicas may still hold requests of the dropped tenant: its id stays dropped
        # (a tombstone), so that none of them can bring it back.
        with pytest.raises(TenantDropped):
            again.next_number("s")
        assert "doomed" not in backend.tenant_ids()
    else:
        assert again.next_number("s") == 1  # one process: the id is free again
    assert backend.files("doomed").list() == []
    assert backend.tenant("keep").collection("things").count() == 1


def test_a_dropped_tenants_store_refuses_later_writes_and_drop_waits_for_one_in_progress(backend: Backend) -> None:
    """A request that got its tenant's store before the tenant was deleted cannot write into it
    (nor bring the tenant back); a write already in its transaction finishes, then goes too."""
    doomed = backend.tenant("doomed")
    inside, release = threading.Event(), threading.Event()

    def slow_write() -> None:
        with doomed.transaction():
            doomed.collection("things").insert({"id": "in-progress"})
            inside.set()
            release.wait(timeout=30)

    writer = threading.Thread(target=slow_write)
    writer.start()
    assert inside.wait(timeout=30)
    dropper = threading.Thread(target=backend.drop, args=("doomed",))
    dropper.start()
    dropper.join(timeout=0.3)
    assert dropper.is_alive(), "drop did not wait for the write in progress"
    release.set()
    writer.join(timeout=30)
    dropper.join(timeout=30)
    with pytest.raises(TenantDropped):
        doomed.collection("things").insert({"id": "late"})
    with pytest.raises(TenantDropped):
        doomed.next_number("s")
    assert "doomed" not in backend.tenant_ids()
    assert backend.tenant("doomed").collection("things").count() == 0


def test_data_survives_reopening(make_backend: Callable[[], Backend]) -> None:
    backend = make_backend()
    store = backend.tenant("t1")
    store.collection("things").insert({"id": "a", "v": 1})
    store.collection("things").update("a", {"v": 2})
    store.next_number("seq")
    backend.close()
    reopened = make_backend().tenant("t1")
    assert reopened.collection("things").get("a") == {"id": "a", "v": 2}
    assert reopened.next_number("seq") == 2


def test_tenant_ids_cannot_escape(backend: Backend) -> None:
    for bad in ("../evil", "a/b", "", "UPPER", "x" * 65, "a'; DROP TABLE x; --"):
        with pytest.raises(ValueError):
            backend.tenant(bad)
        with pytest.raises(ValueError):
            backend.files(bad)


def test_concurrent_threads_never_share_or_skip_a_number(backend: Backend) -> None:
    store = backend.tenant("t1")
    seen: list[int] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(100):
                with store.transaction():
                    number = store.next_number("F:2026")
                    store.collection("invoices").insert({"id": f"F{number}"})
                with lock:
                    seen.append(number)
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(seen) == list(range(1, 801))
    assert store.collection("invoices").count() == 800

"""What only the PostgreSQL backend has to prove: several processes, lost connections,
tenant isolation in SQL, schema versions and indexes."""

from __future__ import annotations

import multiprocessing
import time
from typing import Any

import psycopg
import pytest

from facturas_sandbox.store import Conflict, StoreError, TenantDropped, open_backend, pg_schema
from facturas_sandbox.store.postgres import PostgresBackend
from facturas_sandbox.store.query import And, Compare, Field, IsNull, Kind, Like, NotNull, Or, Order, Query
from facturas_sandbox.testing_pg import TestPostgres

PROCESSES, DRAWS = 4, 200


def _draw(url: str, schema: str, worker: int, queue: Any) -> None:
    backend = PostgresBackend(url, schema=schema, max_connections=2)
    store = backend.tenant("race")
    numbers = []
    for n in range(DRAWS):
        with store.transaction():
            # Read, then write what was read (first, before the sequence's row is locked):
            # without the tenant lock two processes would read the same count, and one
            # increment would be lost.
            counter = store.collection("counters").get("drawn") or {"id": "drawn", "value": 0}
            store.collection("counters").replace({**counter, "value": counter["value"] + 1})
            number = store.next_number("F:2026")
            store.collection("invoices").insert({"id": f"F{number}", "worker": worker, "n": n})
        numbers.append(number)
    backend.close()
    queue.put(numbers)


def test_processes_racing_for_numbers_never_duplicate_skip_or_lose_an_update(postgres_url: str, fresh_schema: str):
    PostgresBackend(postgres_url, schema=fresh_schema).close()  # the schema exists before the race
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    workers = [context.Process(target=_draw, args=(postgres_url, fresh_schema, w, queue)) for w in range(PROCESSES)]
    for process in workers:
        process.start()
    results = [queue.get(timeout=180) for _ in workers]
    for process in workers:
        process.join(timeout=60)
        assert process.exitcode == 0
    drawn = sorted(n for numbers in results for n in numbers)
    assert drawn == list(range(1, PROCESSES * DRAWS + 1))
    for numbers in results:
        assert numbers == sorted(numbers)  # each process saw its own numbers rise
    store = PostgresBackend(postgres_url, schema=fresh_schema).tenant("race")
    assert store.collection("invoices").count() == PROCESSES * DRAWS
    assert store.collection("counters").get("drawn")["value"] == PROCESSES * DRAWS
    assert store.peek_number("F:2026") == PROCESSES * DRAWS + 1


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(%s)", (pid,))


def test_a_transaction_that_loses_its_connection_raises_store_error_and_leaves_nothing(
    pg_backend: PostgresBackend, postgres_url: str
) -> None:
    store = pg_backend.tenant("t1")
    things = store.collection("things")
    things.insert({"id": "kept"})
    for lose_before_commit in (True, False):
        with pytest.raises(StoreError), store.transaction():
            things.insert({"id": "a"})
            things.update("kept", {"changed": True})
            store.next_number("F:2026")
            _terminate(postgres_url, store._conn().info.backend_pid)
            if lose_before_commit:
                things.insert({"id": "b"})  # the next statement finds the connection gone
        # No half-write: the server discarded the whole transaction.
        assert things.all() == [{"id": "kept"}]
        assert store.peek_number("F:2026") == 1
    things.insert({"id": "after"})  # and the store carries on with a fresh connection
    assert [d["id"] for d in things.all()] == ["kept", "after"]


def test_pooled_connections_that_died_idle_cost_no_request(pg_backend: PostgresBackend, postgres_url: str) -> None:
    things = pg_backend.tenant("t1").collection("things")
    things.insert({"id": "a"})
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE application_name = 'facturas-sandbox' AND pid <> pg_backend_pid()"
        )
    assert things.get("a") == {"id": "a"}
    things.insert({"id": "b"})
    assert things.count() == 2


def test_a_stopped_server_is_a_store_error_until_it_is_back(
    postgres_server: TestPostgres, postgres_url: str, fresh_schema: str
) -> None:
    backend = PostgresBackend(postgres_url, schema=fresh_schema, timeout=2)
    things = backend.tenant("t1").collection("things")
    things.insert({"id": "a"})
    postgres_server.stop()
    try:
        started = time.monotonic()
        with pytest.raises(StoreError):
            things.get("a")
        with pytest.raises(StoreError):
            things.insert({"id": "b"})
        with pytest.raises(StoreError):
            things.query(Query(count=True))
        assert time.monotonic() - started < 60  # bounded by the pool timeout, not hanging
    finally:
        postgres_server.start()
    deadline = time.monotonic() + 60
    while True:
        try:
            assert things.get("a") == {"id": "a"}
            break
        except StoreError:
            assert time.monotonic() < deadline, "the store did not come back with the server"
            time.sleep(0.2)
    things.insert({"id": "b"})
    assert [d["id"] for d in things.all()] == ["a", "b"]
    backend.close()


def test_an_unreachable_server_is_a_clear_error_without_the_password(postgres_server: TestPostgres) -> None:
    url = f"postgresql://postgres:s3cret@127.0.0.1:{postgres_server.port}/no_such_database"
    with pytest.raises(StoreError) as info:
        open_backend(url)
    message = str(info.value)
    assert "no_such_database" in message and "s3cret" not in message


def test_no_method_of_one_tenant_reaches_anothers_rows(pg_backend: PostgresBackend) -> None:
    a = pg_backend.tenant("tenant-a")
    for name, key in (("things", "id"), ("fs_clientes", "codcliente")):
        coll = a.collection(name, key=key, indexes=("colour", Field("n", Kind.NUMBER)))
        for n in range(5):
            coll.insert({key: n, "colour": "red", "n": n, "text": "shared words"})
    a.next_number("F:2026")
    pg_backend.files("tenant-a").put("MyFiles/secret.pdf", b"A's")

    b = pg_backend.tenant("tenant-b")
    for name, key in (("things", "id"), ("fs_clientes", "codcliente")):
        coll = b.collection(name, key=key, indexes=("colour", Field("n", Kind.NUMBER)))
        assert coll.get(0) is None and coll.all() == [] and list(coll) == [] and coll.count() == 0
        assert coll.find() == [] and coll.find(colour="red") == [] and coll.find(**{key: 0}) == []
        assert coll.search(lambda doc: True) == []
        for where in (
            None,
            Compare(Field(key, Kind.NUMBER), "=", 0),
            Compare(Field("n", Kind.NUMBER), ">=", 0),
            Like(Field("text"), "%shared%"),
            NotNull("colour"),
            IsNull("missing"),
            Or(And(), Compare(Field("colour"), "=", "red")),
        ):
            page = coll.query(Query(where=where, order=(Order(Field("n", Kind.NUMBER)),), count=True))
            assert page.documents == [] and page.total == 0
        assert coll.delete(0) is None
        with pytest.raises(KeyError):
            coll.update(0, {"colour": "blue"})
        coll.insert({key: 0, "colour": "mine"})  # the same key is free in another tenant
        coll.replace({key: 1, "colour": "mine"})
        with pytest.raises(Conflict):
            coll.insert({key: 0})
    assert b.peek_number("F:2026") == 1 and b.next_number("F:2026") == 1
    files = pg_backend.files("tenant-b")
    assert files.get("MyFiles/secret.pdf") is None and files.list() == [] and not files.exists("MyFiles/secret.pdf")
    assert files.size("MyFiles/secret.pdf") is None and not files.delete("MyFiles/secret.pdf")
    assert files.put("MyFiles/secret.pdf", b"B's")
    files.clear()
    b.clear()
    pg_backend.drop("tenant-b")

    # Tenant A is exactly as it was.
    for name, key in (("things", "id"), ("fs_clientes", "codcliente")):
        coll = a.collection(name, key=key)
        assert [d[key] for d in coll.all()] == [0, 1, 2, 3, 4]
        assert all(d["colour"] == "red" for d in coll.all())
    assert a.peek_number("F:2026") == 2
    assert pg_backend.files("tenant-a").get("MyFiles/secret.pdf") == b"A's"


def test_declared_indexes_exist_and_serve_queries(pg_backend: PostgresBackend, postgres_url: str) -> None:
    store = pg_backend.tenant("t1")
    with store.transaction():
        # Declared inside a transaction: built after it commits (it would wait for it).
        coll = store.collection("invoices", indexes=("status", Field("fecha", Kind.DATE)))
        for n in range(2000):
            coll.insert({"id": n, "status": "paid" if n % 100 else "draft", "fecha": f"{n % 28 + 1:02d}-01-2026"})
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        names = {r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE schemaname = %s",
                                             (pg_backend.schema,))}  # fmt: skip
        assert len([n for n in names if n.startswith("documents_") and n != "documents_pkey"]) >= 3
    for explained in (_plan(pg_backend, postgres_url, "find"), _plan(pg_backend, postgres_url, "sorted")):
        assert "documents_" in explained and "Seq Scan" not in explained, explained
    assert len(coll.find(status="draft")) == 20
    page = coll.query(Query(order=(Order(Field("fecha", Kind.DATE), descending=True),), limit=3, count=True))
    assert [d["fecha"] for d in page.documents] == ["28-01-2026"] * 3 and page.total == 2000


def _plan(backend: PostgresBackend, url: str, which: str) -> str:
    from facturas_sandbox.store import pg_sql

    s = backend.schema
    base = f"SELECT raw FROM {s}.documents WHERE tenant_id = 't1' AND collection = 'invoices'"
    if which == "find":
        sql = f"{base} AND {pg_sql.json_of('status')} = '\"draft\"'::jsonb"
    else:
        order = pg_sql.order_by((Order(Field("fecha", Kind.DATE), descending=True),), s)
        sql = f"{base} ORDER BY {order} LIMIT 3"
    with psycopg.connect(url, autocommit=True) as conn:
        return "\n".join(r[0] for r in conn.execute(f"EXPLAIN {sql}"))


def test_schemas_are_independent_stores(postgres_url: str, fresh_schema: str) -> None:
    one = PostgresBackend(postgres_url, schema=fresh_schema + "_one")
    two = PostgresBackend(postgres_url, schema=fresh_schema + "_two")
    one.tenant("t1").collection("things").insert({"id": "a"})
    assert two.tenant("t1").collection("things").count() == 0
    one.close()
    two.close()
    with pytest.raises(ValueError):
        PostgresBackend(postgres_url, schema="Robert'); DROP")


# -- schema versions --------------------------------------------------------------------------------
def _version(url: str, schema: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT version FROM {schema}.schema_version").fetchone()[0]


def test_a_new_store_is_created_at_the_current_version(postgres_url: str, fresh_schema: str) -> None:
    PostgresBackend(postgres_url, schema=fresh_schema).close()
    assert _version(postgres_url, fresh_schema) == pg_schema.SCHEMA_VERSION
    PostgresBackend(postgres_url, schema=fresh_schema).close()  # opening again changes nothing
    assert _version(postgres_url, fresh_schema) == pg_schema.SCHEMA_VERSION


def test_an_older_store_is_migrated_in_one_transaction(
    postgres_url: str, fresh_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    backend = PostgresBackend(postgres_url, schema=fresh_schema)
    backend.tenant("t1").collection("things").insert({"id": "a", "v": 1})
    backend.close()
    current = pg_schema.SCHEMA_VERSION

    def broken_step(conn: psycopg.Connection, schema: str) -> None:
        conn.execute(f"ALTER TABLE {schema}.documents ADD COLUMN half_done integer")
        raise RuntimeError("the migration failed half-way")

    monkeypatch.setattr(pg_schema, "SCHEMA_VERSION", current + 1)
    monkeypatch.setitem(pg_schema.MIGRATIONS, current + 1, broken_step)
    with pytest.raises(RuntimeError):
        PostgresBackend(postgres_url, schema=fresh_schema)
    assert _version(postgres_url, fresh_schema) == current
    with psycopg.connect(postgres_url) as conn:
        columns = {r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = %s", (fresh_schema,))}  # fmt: skip
    assert "half_done" not in columns  # the DDL rolled back with the failure

    def next_step(conn: psycopg.Connection, schema: str) -> None:
        conn.execute(f"ALTER TABLE {schema}.tenants ADD COLUMN plan text NOT NULL DEFAULT 'professional'")

    monkeypatch.setitem(pg_schema.MIGRATIONS, current + 1, next_step)
    migrated = PostgresBackend(postgres_url, schema=fresh_schema)
    assert _version(postgres_url, fresh_schema) == current + 1
    assert migrated.tenant("t1").collection("things").get("a") == {"id": "a", "v": 1}
    with psycopg.connect(postgres_url) as conn:
        assert conn.execute(f"SELECT plan FROM {fresh_schema}.tenants WHERE tenant_id = 't1'").fetchone() == (
            "professional",
        )
    migrated.close()


def test_a_newer_store_is_refused_naming_both_versions(postgres_url: str, fresh_schema: str) -> None:
    PostgresBackend(postgres_url, schema=fresh_schema).close()
    with psycopg.connect(postgres_url) as conn:
        conn.execute(f"UPDATE {fresh_schema}.schema_version SET version = 99")
    with pytest.raises(StoreError) as info:
        PostgresBackend(postgres_url, schema=fresh_schema)
    message = str(info.value)
    assert "version 99" in message and f"version {pg_schema.SCHEMA_VERSION}" in message and "upgrade" in message


def _written_by_version(url: str, schema: str, version: int, collection: str, key: str, docs: list[dict]) -> None:
    """A store at an older schema version, holding `docs` of tenant t1 as that version wrote them."""
    from facturas_sandbox.store import pg_sql

    with psycopg.connect(url, autocommit=True) as conn:
        pg_schema.migrate(conn, schema, target=version)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {schema}.documents (tenant_id, collection, key, raw, body, folded) "
                "VALUES ('t1', %s, %s::jsonb, %s, %s::jsonb, %s::jsonb)",
                [(collection, pg_sql.json_param(doc[key]), *pg_sql.encode(doc, collection)[:3]) for doc in docs],
            )


def test_version_3_fills_lowered_texts_of_stored_rows_and_orders_pages_by_key_on_an_index(
    postgres_url: str, fresh_schema: str
) -> None:
    from facturas_sandbox.store import pg_sql
    from facturas_sandbox.store.query import run

    names = ["Zoe", "Ángel", "ábaco", "ΟΔΟΣ", "abc", 1e-05, True, None, "ABD"]
    docs = [{"id": n, "s": names[n % len(names)]} for n in range(2000)]
    _written_by_version(postgres_url, fresh_schema, 2, "things", "id", docs)
    backend = PostgresBackend(postgres_url, schema=fresh_schema)
    assert _version(postgres_url, fresh_schema) == pg_schema.SCHEMA_VERSION
    coll = backend.tenant("t1").collection("things")
    lower = Query(order=(Order(Field("s", Kind.LOWER)),), limit=20, offset=1990)
    assert coll.query(lower) == run(coll.all(), lower)
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        filled = conn.execute(f"SELECT lowered FROM {fresh_schema}.documents ORDER BY seq LIMIT 9").fetchall()
        conn.execute("ANALYZE")
        order = pg_sql.order_by((Order(Field("id", Kind.NUMBER), descending=True),), fresh_schema, "id")
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN SELECT raw FROM {fresh_schema}.documents WHERE tenant_id = 't1' AND collection = 'things' "
            f"ORDER BY {order} LIMIT 5"))  # fmt: skip
    # Only what SQL cannot derive: "Zoe" and "abc" lower in SQL, True is "true" there too.
    assert [row[0] for row in filled] == [{}, {"s": "ángel"}, {}, {"s": "οδος"}, {}, {"s": "1e-05"}, {}, {}, {}]
    assert "documents_by_number_key" in plan and "Seq Scan" not in plan, plan
    page = coll.query(Query(order=(Order(Field("id", Kind.NUMBER), descending=True),), limit=3))
    assert [d["id"] for d in page.documents] == [1999, 1998, 1997]
    coll.insert({"id": "x", "s": "Éire"})  # a row written now carries its texts too
    assert coll.query(Query(where=Compare(Field("s", Kind.LOWER), "=", "éire"))).documents == [{"id": "x", "s": "Éire"}]
    backend.close()


def test_version_4_answers_the_largest_numeral_key_from_an_index(postgres_url: str, fresh_schema: str) -> None:
    keys = [f"{n:04d}" for n in range(1, 3001)] + ["ABC", "99999x", "-7", "1e9"]
    _written_by_version(postgres_url, fresh_schema, 3, "codes", "code", [{"code": key} for key in keys])
    backend = PostgresBackend(postgres_url, schema=fresh_schema)
    assert _version(postgres_url, fresh_schema) == pg_schema.SCHEMA_VERSION
    assert backend.tenant("t1").collection("codes", key="code").largest_numeral_key() == 3000
    assert backend.tenant("t2").collection("codes", key="code").largest_numeral_key() is None
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
        plan = "\n".join(r[0] for r in conn.execute(
            f"EXPLAIN SELECT max({pg_schema.NUMERAL_KEY}) FROM {fresh_schema}.documents "
            "WHERE tenant_id = 't1' AND collection = 'codes'"))  # fmt: skip
    assert "documents_by_numeral_key" in plan and "Seq Scan" not in plan, plan
    backend.close()


def _rows_of(backend: PostgresBackend, tenant_id: str) -> dict[str, int]:
    counts = {}
    for table in ("tenants", "documents", "sequences", "files"):
        sql = f"SELECT count(*) FROM {backend.schema}.{table} WHERE tenant_id = %s"
        counts[table] = backend.run(lambda c, sql=sql: c.execute(sql, (tenant_id,)).fetchone()[0])
    return counts


def test_a_tenant_dropped_by_one_replica_is_not_recreated_by_anothers_writer(
    postgres_url: str, fresh_schema: str
) -> None:
    """Replica B resolved the tenant before replica A dropped it: B's write must fail as a
    dropped tenant's, and leave no row, whether B already had the tenant's store or not."""
    a = PostgresBackend(postgres_url, schema=fresh_schema)
    b = PostgresBackend(postgres_url, schema=fresh_schema)
    try:
        on_b = b.tenant("t1")
        with on_b.transaction():
            on_b.collection("invoices").insert({"id": "F1"})
            on_b.next_number("F:2026")
        a.drop("t1")
        with pytest.raises(TenantDropped), on_b.transaction():
            on_b.collection("invoices").insert({"id": "F2"})
        with pytest.raises(TenantDropped):
            on_b.collection("invoices").insert({"id": "F3"})
        with pytest.raises(TenantDropped):
            on_b.next_number("F:2026")
        late = PostgresBackend(postgres_url, schema=fresh_schema)  # a replica started after the drop
        try:
            with pytest.raises(TenantDropped):
                late.tenant("t1").collection("invoices").insert({"id": "F4"})
        finally:
            late.close()
        assert _rows_of(a, "t1") == {"tenants": 0, "documents": 0, "sequences": 0, "files": 0}
        # Another tenant is untouched by the tombstone.
        a.tenant("t2").collection("invoices").insert({"id": "F1"})
        assert b.tenant("t2").collection("invoices").count() == 1
    finally:
        a.close()
        b.close()

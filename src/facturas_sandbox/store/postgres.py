"""PostgreSQL backend: the TinyDB backend's semantics, shared by any number of processes.

Why it is built the way it is:

* **One lock per tenant, across processes.** A transaction begins by locking its tenant's row
  in `tenants` (`SELECT … FOR UPDATE`), so the writers of one tenant take turns whatever
  process they run in, exactly as the TinyDB backend's per-tenant lock makes them take turns
  inside one process; business rules that read then write (the next invoice number, refunds
  capped by what is left, find-or-create) hold across replicas. Tenants never wait for each
  other. Reads do not lock: outside a transaction each one sees the latest commit.
* **A transaction belongs to a thread.** Handlers call the store from Starlette's thread pool
  and from the event loop; the TinyDB backend's lock is re-entrant per thread, so here the
  transaction's connection is bound to the thread that opened it, nested `transaction()`
  blocks join it, the outermost commits, and reads in that thread see its uncommitted writes.
* **All or nothing, and never a half-write.** Any exception rolls the whole transaction back.
  A lost connection (server restarted, backend terminated, network cut) raises StoreError,
  which the app answers with 503 in each API's shape; PostgreSQL itself discards the open
  transaction. Should the connection die during COMMIT the write may or may not have landed
  (no database can say), but never partly. Nothing here can raise an SQL error on data — the
  SQL readers never fail a cast and duplicates are found with ON CONFLICT — so a transaction
  the caller keeps using after catching Conflict or KeyError is still good.
* **Reads outside a transaction** use a pooled connection in autocommit; a pooled connection
  that died while idle is retried once on a fresh one, so a server restart costs no request
  that did not need the server at that very moment.
* **Indexes follow the collections' declarations.** `collection(..., indexes=...)` creates
  partial expression indexes (`CREATE INDEX CONCURRENTLY`, never blocking writers) the first
  time a process sees the declaration, outside any transaction of its thread; until then
  queries are merely slower.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, TypeVar

import psycopg
import psycopg_pool
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from . import pg_sql as q
from .base import Conflict, Document, StoreError, TenantDropped
from .files import check_name, parents, valid_name
from .pg_schema import NUMERAL_KEY, check_schema_name, lock_key, migrate
from .query import Field, Page, Query

log = logging.getLogger(__name__)


def scalar(cursor: psycopg.Cursor[Any]) -> Any:
    """The first column of the one row a statement such as `SELECT count(*)` returns."""
    row = cursor.fetchone()
    if row is None:
        raise StoreError("the database answered no row where one was due")
    return row[0]


_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SYSTEM = "_system"
# The system tenant's collection of dropped tenant ids: a tenant id is never used again.
DROPPED = "dropped_tenants"


def _tombstone(tenant_id: str) -> tuple[str, str, str, str]:
    """key, raw, body and folded of a dropped tenant's tombstone document."""
    raw, body, folded, _ = q.encode({"id": tenant_id}, DROPPED)  # an ASCII id: nothing lowered
    return q.json_param(tenant_id), raw, body, folded


PROBE_EVERY = 0.5  # seconds between two direct connection attempts while the server seems down
T = TypeVar("T")


def redacted(url: str) -> str:
    """The connection string without its password, for messages."""
    try:
        params = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparsable connection string)"
    params.pop("password", None)
    host, port, db = params.get("host", "localhost"), params.get("port", "5432"), params.get("dbname", "")
    return f"postgresql://{params.get('user', '')}@{host}:{port}/{db}"


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _dead(conn: psycopg.Connection) -> bool:
    """The connection is gone (terminated, server restarted), so nothing ran on it."""
    return conn.closed or conn.broken


class _Transaction:
    __slots__ = ("broken", "conn", "depth", "docs")

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn
        self.depth = 1
        self.broken = False
        # Documents read or written in this transaction, by (collection, key): raw JSON, or
        # None for a key known to be absent. The transaction holds the tenant's lock, and every
        # write of a tenant's documents, in any process, takes it: nothing else can change
        # them until it ends, so a second read of one document need not ask the database.
        # Seeding a FacturaScripts tenant reads some 1,500 documents, many of them twice.
        self.docs: dict[tuple[str, Any], str | None] = {}


def _cache_key(collection: str, key: Any) -> tuple[str, Any] | None:
    """The key under which `_Transaction.docs` holds a document, equal where PostgreSQL's
    jsonb equality is (1, 1.0 and Decimal("1.00") are one key); None: not cached."""
    if isinstance(key, str):
        return (collection, key)
    if isinstance(key, (int, float, Decimal)) and not isinstance(key, bool):
        try:
            number = Decimal(q.json_param(key))
        except (ArithmeticError, TypeError, ValueError):
            return None
        return (collection, ("number", number.normalize()))
    return None


class PostgresBackend:
    """Tenants as rows of one PostgreSQL schema; `url` is a libpq connection string or URL."""

    shared = True  # other processes write the same tenants: nothing read may be kept as current

    def __init__(
        self,
        url: str,
        *,
        schema: str = "facturas_sandbox",
        min_connections: int = 1,
        max_connections: int = 16,
        timeout: float = 5.0,
    ) -> None:
        self.schema = check_schema_name(schema)
        self.where = f"{redacted(url)} (schema {schema})"
        self.timeout = timeout
        self._conninfo = make_conninfo(url, connect_timeout=max(1, int(timeout)), application_name="facturas-sandbox")
        self._stores: dict[str, PgTenantStore] = {}
        self._lock = threading.Lock()
        self._local = threading.local()  # open transactions of this thread, any tenant
        self._indexes_ready: set[str] = set()
        self._indexes_wanted: dict[str, str] = {}  # index name -> DDL
        self._index_failures: dict[str, int] = {}
        self._suspect = False  # a connection died: probe the server before waiting on the pool
        self._probe_lock = threading.Lock()
        self._probed_at = float("-inf")
        self._down_reason: str | None = None
        try:
            with psycopg.connect(self._conninfo, autocommit=True) as conn:
                migrate(conn, self.schema)
        except psycopg.Error as exc:
            raise StoreError(f"cannot open the PostgreSQL store at {self.where}: {_reason(exc)}") from exc
        self.pool = psycopg_pool.ConnectionPool(
            self._conninfo,
            min_size=min_connections,
            max_size=max_connections,
            kwargs={"autocommit": True},
            timeout=timeout,
            open=True,
            name="facturas-sandbox",
        )

    # -- Backend ----------------------------------------------------------------------------
    def tenant(self, tenant_id: str) -> PgTenantStore:
        if not _TENANT_ID.match(tenant_id) and tenant_id != _SYSTEM:
            raise ValueError(f"invalid tenant id {tenant_id!r}")
        with self._lock:
            store = self._stores.get(tenant_id)
        if store is None:
            # A tenant another replica dropped keeps no row: its tombstone says so.
            key, *_ = _tombstone(tenant_id)
            self.run(
                lambda c: c.execute(
                    f"INSERT INTO {self.schema}.tenants (tenant_id) SELECT %s WHERE NOT EXISTS (SELECT 1 FROM "
                    f"{self.schema}.documents WHERE tenant_id = %s AND collection = %s AND key = %s::jsonb) "
                    "ON CONFLICT DO NOTHING",
                    (tenant_id, _SYSTEM, DROPPED, key),
                )
            )
            with self._lock:
                store = self._stores.setdefault(tenant_id, PgTenantStore(self, tenant_id))
        return store

    def drop(self, tenant_id: str) -> None:
        """Delete a tenant's data. A write in progress finishes first (the tenant's row lock);
        every later write through this store raises TenantDropped instead of recreating it."""
        store = self.tenant(tenant_id)
        try:
            with store.transaction():
                conn = store._conn()
                for table in ("documents", "sequences", "files", "tenants"):
                    store._execute(conn, f"DELETE FROM {self.schema}.{table} WHERE tenant_id = %s", (tenant_id,))
                # The tombstone every replica's writers check when they take the tenant's lock.
                store._execute(
                    conn,
                    f"INSERT INTO {self.schema}.documents (tenant_id, collection, key, raw, body, folded) "
                    "VALUES (%s, %s, %s::jsonb, %s, %s::jsonb, %s::jsonb) ON CONFLICT DO NOTHING",
                    (_SYSTEM, DROPPED, *_tombstone(tenant_id)),
                )
                # Set under the row lock: a writer waiting for it finds the flag when it gets it.
                store.dropped = True
        except BaseException:
            store.dropped = False
            raise
        with self._lock:
            self._stores.pop(tenant_id, None)

    def tenant_ids(self) -> list[str]:
        rows = self.run(
            lambda c: c.execute(
                f'SELECT tenant_id FROM {self.schema}.tenants WHERE tenant_id <> %s ORDER BY tenant_id COLLATE "C"',
                (_SYSTEM,),
            ).fetchall()
        )
        return [r[0] for r in rows]

    def files(self, tenant_id: str) -> PgFileStore:
        if not _TENANT_ID.match(tenant_id):
            raise ValueError(f"invalid tenant id {tenant_id!r}")
        return PgFileStore(self.tenant(tenant_id))

    def close(self) -> None:
        self.pool.close()

    # -- connections ------------------------------------------------------------------------
    def run(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work` on a pooled autocommit connection; once more on a fresh one if the pooled
        connection turns out dead before answering (it died idle); StoreError otherwise."""
        for attempt in (1, 2):
            conn = self._getconn()
            try:
                return work(conn)
            except psycopg.OperationalError as exc:
                if attempt == 2 or not _dead(conn):
                    raise StoreError(f"the PostgreSQL store at {self.where} failed: {_reason(exc)}") from exc
                self._discard_dead_connections()
            except psycopg.Error as exc:
                raise StoreError(f"the PostgreSQL store at {self.where} failed: {_reason(exc)}") from exc
            finally:
                self.pool.putconn(conn)
        raise AssertionError("unreachable")

    def _getconn(self) -> psycopg.Connection:
        if self._suspect:
            self._probe()
        try:
            return self.pool.getconn()
        except psycopg_pool.PoolTimeout as exc:
            raise StoreError(
                f"no connection to the PostgreSQL store at {self.where} within {self.timeout:g} s"
            ) from exc
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to the PostgreSQL store at {self.where}: {_reason(exc)}") from exc

    def _discard_dead_connections(self) -> None:
        """One pooled connection died: its idle siblings most likely did too (a server restart)."""
        self._suspect = True
        with contextlib.suppress(psycopg.Error, psycopg_pool.PoolTimeout):
            self.pool.check()

    def _probe(self) -> None:
        """After a connection died, ask the server directly before waiting on the pool: while
        it is down, each request fails at once (503) instead of waiting `timeout` seconds for
        a connection the pool cannot make. One probe per PROBE_EVERY seconds at most; between
        probes the last verdict stands."""
        now = time.monotonic()
        with self._probe_lock:
            if now - self._probed_at >= PROBE_EVERY:
                self._probed_at = now
                try:
                    psycopg.connect(self._conninfo, connect_timeout=max(1, int(min(self.timeout, 2)))).close()
                except psycopg.Error as exc:
                    self._down_reason = _reason(exc)
                else:
                    self._down_reason = None
                    self._suspect = False
            reason = self._down_reason
        if reason is not None:
            raise StoreError(f"cannot connect to the PostgreSQL store at {self.where}: {reason}")

    def _open_transactions(self) -> int:
        return getattr(self._local, "open", 0)

    def _count_transaction(self, delta: int) -> None:
        self._local.open = self._open_transactions() + delta

    # -- indexes ----------------------------------------------------------------------------
    def want_indexes(self, collection: str, specs: tuple[str | Field, ...]) -> None:
        for spec in specs:
            for name, expression in q.index_definitions(collection, spec, self.schema):
                if name not in self._indexes_ready and name not in self._indexes_wanted:
                    self._indexes_wanted[name] = (
                        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {self.schema}.documents "
                        f"(tenant_id, {expression}) WHERE collection = {q.literal(collection)}"
                    )
        self.create_wanted_indexes()

    def create_wanted_indexes(self) -> None:
        """Create the indexes declared so far, unless this thread has a transaction open (the
        index would wait for that transaction, which waits for this thread)."""
        if not self._indexes_wanted or self._open_transactions():
            return
        for name, ddl in list(self._indexes_wanted.items()):
            try:
                ready = self.run(functools.partial(self._create_index, name=name, ddl=ddl))
            except StoreError as exc:
                failures = self._index_failures[name] = self._index_failures.get(name, 0) + 1
                if failures >= 3:
                    log.warning("giving up on index %s: %s", name, exc)
                    self._indexes_wanted.pop(name, None)
                continue
            if ready:
                self._indexes_wanted.pop(name, None)
                self._indexes_ready.add(name)

    def _create_index(self, conn: psycopg.Connection, name: str, ddl: str) -> bool:
        """True once the index is valid; False if another process is building it right now."""
        if not scalar(conn.execute("SELECT pg_try_advisory_lock(%s)", (lock_key("index", self.schema, name),))):
            return False
        try:
            row = conn.execute(
                "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relname = %s",
                (self.schema, name),
            ).fetchone()
            if row is not None and row[0]:
                return True
            if row is not None:  # a build that died half-way leaves an invalid index behind
                conn.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {self.schema}.{name}")
            conn.execute(ddl)
            return True
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (lock_key("index", self.schema, name),))


class PgTenantStore:
    def __init__(self, backend: PostgresBackend, tenant_id: str) -> None:
        self.tenant_id = tenant_id
        self.backend = backend
        self.schema = backend.schema
        self._local = threading.local()
        self._collections: dict[str, PgCollection] = {}
        self.dropped = False  # set by PostgresBackend.drop (in this process)

    def collection(self, name: str, *, key: str = "id", indexes: tuple[str | Field, ...] = ()) -> PgCollection:
        coll = self._collections.get(name)
        if coll is None or coll.key != key:
            coll = self._collections[name] = PgCollection(self, name, key)
        if indexes:
            self.backend.want_indexes(name, indexes)
        return coll

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold this tenant's lock in every process; commit the enclosed writes together or none."""
        tx: _Transaction | None = getattr(self._local, "tx", None)
        if tx is not None:
            tx.depth += 1
            try:
                yield
            finally:
                tx.depth -= 1
            return
        if self.dropped:
            raise TenantDropped(self.tenant_id)
        tx = self._begin()
        self._local.tx = tx
        self.backend._count_transaction(+1)
        try:
            try:
                yield
            except BaseException:
                self._local.tx = None
                self._finish(tx, commit=False)
                raise
            self._local.tx = None
            if tx.broken:
                self._finish(tx, commit=False)
                raise StoreError(f"the transaction of tenant {self.tenant_id} failed and was rolled back")
            self._finish(tx, commit=True)
        finally:
            self._local.tx = None
            self.backend._count_transaction(-1)
            self.backend.pool.putconn(tx.conn)
            self.backend.create_wanted_indexes()

    def _begin(self) -> _Transaction:
        # The row lock, and whether the tenant was dropped (by any replica): its tombstone. A
        # writer that resolved the tenant before another replica dropped it must not recreate
        # its row, and each statement reads what was committed before it started, so the
        # tombstone is read by the statement that takes the lock.
        tombstone = "false"
        if self.tenant_id != _SYSTEM:
            tombstone = (
                f"EXISTS (SELECT 1 FROM {self.schema}.documents WHERE tenant_id = {q.literal(_SYSTEM)} "
                f"AND collection = {q.literal(DROPPED)} AND key = {q.literal(q.json_param(self.tenant_id))}::jsonb)"
            )
        lock = f"SELECT {tombstone} FROM {self.schema}.tenants WHERE tenant_id = {q.literal(self.tenant_id)} FOR UPDATE"
        create = (
            f"INSERT INTO {self.schema}.tenants (tenant_id) VALUES ({q.literal(self.tenant_id)}) ON CONFLICT DO NOTHING"
        )
        for attempt in (1, 2):
            conn = self.backend._getconn()
            try:
                cur = conn.execute(f"BEGIN; {lock}")
                cur.nextset()
                for _ in range(3):
                    row = cur.fetchone()
                    found = row is not None
                    if self.dropped or (row is not None and row[0]):
                        # Dropped while this writer waited for the lock: not a new tenant
                        # (the handler below rolls back and returns the connection).
                        raise TenantDropped(self.tenant_id)
                    if found:
                        return _Transaction(conn)
                    # No row: a new tenant, or one dropped meanwhile by another process.
                    conn.execute(create)
                    cur = conn.execute(lock)
                raise StoreError(f"cannot lock tenant {self.tenant_id}: its row keeps disappearing")
            except psycopg.Error as exc:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                self.backend.pool.putconn(conn)
                if attempt == 2 or not _dead(conn) or not isinstance(exc, psycopg.OperationalError):
                    raise StoreError(f"the PostgreSQL store at {self.backend.where} failed: {_reason(exc)}") from exc
                self.backend._discard_dead_connections()
            except BaseException:
                with contextlib.suppress(psycopg.Error):
                    conn.execute("ROLLBACK")
                self.backend.pool.putconn(conn)
                raise
        raise AssertionError("unreachable")

    def _finish(self, tx: _Transaction, *, commit: bool) -> None:
        if not commit:
            with contextlib.suppress(psycopg.Error):
                tx.conn.execute("ROLLBACK")
            return
        try:
            tx.conn.execute("COMMIT")
        except psycopg.Error as exc:
            with contextlib.suppress(psycopg.Error):
                tx.conn.execute("ROLLBACK")
            raise StoreError(f"the PostgreSQL store at {self.backend.where} failed to commit: {_reason(exc)}") from exc

    def _conn(self) -> psycopg.Connection:
        """The connection of this thread's open transaction (call inside `transaction()`)."""
        tx: _Transaction = self._local.tx
        if tx.broken:
            raise StoreError(f"the transaction of tenant {self.tenant_id} already failed")
        return tx.conn

    def _execute(self, conn: psycopg.Connection, sql: str, params: Any = ()) -> psycopg.Cursor:
        """A statement inside the transaction; any database error breaks the transaction."""
        try:
            return conn.execute(sql, params)
        except psycopg.Error as exc:
            self._local.tx.broken = True
            raise StoreError(f"the PostgreSQL store at {self.backend.where} failed: {_reason(exc)}") from exc

    def read(self, sql: str, params: Any, fetch: Callable[[psycopg.Cursor], T]) -> T:
        """A read: inside this thread's transaction when one is open, else on a pooled connection."""
        if getattr(self._local, "tx", None) is not None:
            return fetch(self._execute(self._conn(), sql, params))
        return self.backend.run(lambda c: fetch(c.execute(sql, params)))

    def write(self, sql: str, params: Any, fetch: Callable[[psycopg.Cursor], T]) -> T:
        with self.transaction():
            return fetch(self._execute(self._conn(), sql, params))

    def tx_documents(self) -> dict[tuple[str, Any], str | None] | None:
        """The open transaction's documents (`_Transaction.docs`), or None outside one."""
        tx: _Transaction | None = getattr(self._local, "tx", None)
        return tx.docs if tx is not None and not tx.broken else None

    # -- sequences --------------------------------------------------------------------------
    def next_number(self, sequence: str) -> int:
        """The next correlative number of a sequence; rolled back with the enclosing transaction."""
        s = self.schema
        return self.write(
            f"INSERT INTO {s}.sequences (tenant_id, name, value) VALUES (%s, %s, 1) "
            f"ON CONFLICT (tenant_id, name) DO UPDATE SET value = {s}.sequences.value + 1 RETURNING value",
            (self.tenant_id, q.clean_text(sequence)),
            scalar,
        )

    def peek_number(self, sequence: str) -> int:
        row = self.read(
            f"SELECT value FROM {self.schema}.sequences WHERE tenant_id = %s AND name = %s",
            (self.tenant_id, q.clean_text(sequence)),
            lambda cur: cur.fetchone(),
        )
        return (row[0] if row else 0) + 1

    def clear(self) -> None:
        """Every document and sequence of the tenant (its files stay: `FileStore.clear`)."""
        with self.transaction():
            conn = self._conn()
            for table in ("documents", "sequences"):
                self._execute(conn, f"DELETE FROM {self.schema}.{table} WHERE tenant_id = %s", (self.tenant_id,))
            self._local.tx.docs.clear()


def _docs(cur: psycopg.Cursor) -> list[Document]:
    return [q.decode(row[0]) for row in cur.fetchall()]


def _raw(cur: psycopg.Cursor) -> str | None:
    row = cur.fetchone()
    return None if row is None else str(row[0])


def _doc(cur: psycopg.Cursor) -> Document | None:
    row = cur.fetchone()
    return None if row is None else q.decode(row[0])


_COLUMNS = "(tenant_id, collection, key, raw, body, folded, lowered)"
_VALUES = "(%s, %s, %s::jsonb, %s, %s::jsonb, %s::jsonb, %s::jsonb)"


class PgCollection:
    def __init__(self, store: PgTenantStore, name: str, key: str) -> None:
        self.name = name
        self.key = key
        self._store = store
        self._from = (
            f"FROM {store.schema}.documents WHERE tenant_id = %s AND collection = {q.literal(q.clean_text(name))}"
        )

    def _key_param(self, key: Any) -> str:
        return q.json_param(key)

    def _remember(self, key: Any, raw: str | None) -> None:
        """What this transaction now knows of the document with `key` (see `_Transaction.docs`)."""
        docs = self._store.tx_documents()
        if docs is not None:
            cache_key = _cache_key(self.name, key)
            if cache_key is not None:
                docs[cache_key] = raw

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> Document | None:
        if key is None:
            return None
        try:
            param = self._key_param(key)
        except (TypeError, ValueError):
            return None  # no stored key is a non-JSON value
        docs = self._store.tx_documents()
        cache_key = _cache_key(self.name, key) if docs is not None else None
        if docs is not None and cache_key in docs:
            raw = docs[cache_key]
        else:
            raw = self._store.read(f"SELECT raw {self._from} AND key = %s::jsonb", (self._store.tenant_id, param), _raw)
            if docs is not None and cache_key is not None:
                docs[cache_key] = raw
        return None if raw is None else q.decode(raw)

    def all(self) -> list[Document]:
        return self._store.read(f"SELECT raw {self._from} ORDER BY seq", (self._store.tenant_id,), _docs)

    def largest_numeral_key(self) -> int | None:
        # The reading of version 4's index (`#>>` is a string's own text, a number's JSON, so
        # 1.0 and -1 do not match), so MAX reads that index's last entry.
        sql = f"SELECT max({NUMERAL_KEY}) {self._from}"
        found = self._store.read(sql, (self._store.tenant_id,), scalar)
        return None if found is None else int(found)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.all())

    def count(self) -> int:
        return self._store.read(f"SELECT count(*) {self._from}", (self._store.tenant_id,), scalar)

    def find(self, **equals: Any) -> list[Document]:
        """Documents whose fields equal the given values, in insertion order."""
        params: list[Any] = [self._store.tenant_id]
        condition = q.equals(equals, self.key, params)
        return self._store.read(f"SELECT raw {self._from} AND {condition} ORDER BY seq", params, _docs)

    def search(self, predicate: Callable[[Mapping[str, Any]], bool]) -> list[Document]:
        """Documents matching a Python predicate (a `tinydb.Query` works): a full scan."""
        return [doc for doc in self.all() if predicate(doc)]

    def query(self, query: Query) -> Page:
        schema, tenant = self._store.schema, self._store.tenant_id
        params: list[Any] = [tenant]
        condition = q.where(query.where, schema, self.key, params)
        total = None
        if query.count:
            total = self._store.read(f"SELECT count(*) {self._from} AND {condition}", params, scalar)
            if total <= query.offset or query.limit == 0:
                return Page([], total)
        order = q.order_by(query.order, schema, self.key)
        sql = f"SELECT raw {self._from} AND {condition} ORDER BY {order} LIMIT %s OFFSET %s"
        documents = self._store.read(sql, [*params, query.limit, query.offset], _docs)
        return Page(documents, total)

    # -- writes -----------------------------------------------------------------------------
    def insert(self, doc: Mapping[str, Any]) -> Document:
        key = doc.get(self.key)
        if key is None:
            raise ValueError(f"{self.name}: document has no {self.key!r}")
        encoded = q.encode(doc, self.name)
        inserted = self._store.write(
            f"INSERT INTO {self._store.schema}.documents {_COLUMNS} VALUES {_VALUES} "
            "ON CONFLICT DO NOTHING RETURNING 1",
            (self._store.tenant_id, q.clean_text(self.name), self._key_param(key), *encoded),
            lambda cur: cur.fetchone() is not None,
        )
        if not inserted:
            raise Conflict(f"{self.name}: duplicate {self.key} {key!r}")
        self._remember(key, encoded[0])
        return q.decode(encoded[0])

    def replace(self, doc: Mapping[str, Any]) -> Document:
        """Insert or overwrite the document with this key (an overwrite keeps its place)."""
        key = doc.get(self.key)
        if key is None:
            raise ValueError(f"{self.name}: document has no {self.key!r}")
        encoded = q.encode(doc, self.name)
        self._store.write(
            f"INSERT INTO {self._store.schema}.documents {_COLUMNS} VALUES {_VALUES} "
            f"ON CONFLICT (tenant_id, collection, key) DO UPDATE SET raw = EXCLUDED.raw, body = EXCLUDED.body, "
            f"folded = EXCLUDED.folded, lowered = EXCLUDED.lowered",
            (self._store.tenant_id, q.clean_text(self.name), self._key_param(key), *encoded),
            lambda cur: None,
        )
        self._remember(key, encoded[0])
        return q.decode(encoded[0])

    def update(self, key: Any, changes: Mapping[str, Any]) -> Document:
        with self._store.transaction():
            current = self.get(key)
            if current is None:
                raise KeyError(key)
            new = {**current, **q.decode(q.encode(changes, self.name)[0])}
            if new.get(self.key) != key:
                raise ValueError(f"{self.name}: the key {self.key!r} cannot change")
            encoded = q.encode(new, self.name)
            self._store.write(
                f"UPDATE {self._store.schema}.documents SET raw = %s, body = %s::jsonb, folded = %s::jsonb, "
                f"lowered = %s::jsonb WHERE tenant_id = %s AND collection = %s AND key = %s::jsonb",
                (*encoded, self._store.tenant_id, q.clean_text(self.name), self._key_param(key)),
                lambda cur: None,
            )
            self._remember(key, encoded[0])
            return q.decode(encoded[0])

    def delete(self, key: Any) -> Document | None:
        if key is None:
            return None
        deleted = self._store.write(
            f"DELETE {self._from} AND key = %s::jsonb RETURNING raw",
            (self._store.tenant_id, self._key_param(key)),
            _doc,
        )
        self._remember(key, None)
        return deleted


class PgFileStore:
    """A tenant's files as rows of `files` (bytea), written inside the tenant's transaction."""

    def __init__(self, store: PgTenantStore) -> None:
        self._store = store
        self._table = f"{store.schema}.files"
        self._tenant = store.tenant_id

    def put(self, name: str, content: bytes, *, replace: bool = False) -> bool:
        check_name(name)
        content = bytes(content)
        with self._store.transaction():
            # A name is a file or a folder, never both, as in a directory.
            clash = self._store.read(
                f"SELECT 1 FROM {self._table} WHERE tenant_id = %s AND "
                f"(name = ANY(%s) OR (name > %s AND name < %s)) LIMIT 1",
                (self._tenant, parents(name), name + "/", name + "0"),
                lambda cur: cur.fetchone() is not None,
            )
            if clash:
                return False
            on_conflict = "DO UPDATE SET content = EXCLUDED.content, size = EXCLUDED.size, updated_at = now()"
            return self._store.write(
                f"INSERT INTO {self._table} (tenant_id, name, content, size) VALUES (%s, %s, %s, %s) "
                f"ON CONFLICT (tenant_id, name) {on_conflict if replace else 'DO NOTHING'} RETURNING 1",
                (self._tenant, name, content, len(content)),
                lambda cur: cur.fetchone() is not None,
            )

    def _column_of(self, name: str, column: str) -> Any:
        """One column of a file's row; None if there is no such file."""
        if not valid_name(name):
            return None
        row = self._store.read(
            f"SELECT {column} FROM {self._table} WHERE tenant_id = %s AND name = %s",
            (self._tenant, name),
            lambda cur: cur.fetchone(),
        )
        return None if row is None else row[0]

    def get(self, name: str) -> bytes | None:
        content = self._column_of(name, "content")
        return None if content is None else bytes(content)

    def size(self, name: str) -> int | None:
        size = self._column_of(name, "size")
        return None if size is None else int(size)

    def exists(self, name: str) -> bool:
        return self.size(name) is not None

    def delete(self, name: str) -> bool:
        if not valid_name(name):
            return False
        return self._store.write(
            f"DELETE FROM {self._table} WHERE tenant_id = %s AND name = %s RETURNING 1",
            (self._tenant, name),
            lambda cur: cur.fetchone() is not None,
        )

    def list(self, prefix: str = "") -> list[str]:
        rows = self._store.read(
            f"SELECT name FROM {self._table} WHERE tenant_id = %s AND starts_with(name, %s) ORDER BY name",
            (self._tenant, q.clean_text(prefix)),
            lambda cur: cur.fetchall(),
        )
        return [r[0] for r in rows if r[0].startswith(prefix)]

    def clear(self) -> None:
        self._store.write(f"DELETE FROM {self._table} WHERE tenant_id = %s", (self._tenant,), lambda cur: None)

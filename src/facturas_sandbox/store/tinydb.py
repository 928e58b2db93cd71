"""TinyDB backend: one TinyDB database per tenant, in memory, made durable by `WalStorage`.

TinyDB is neither thread-safe nor multi-process safe, and its `Table.insert` rebuilds the
whole table dict on every write. So the collections here read and write TinyDB's raw layout
in place (O(1) per write), keep hash indexes for the fields vendors look up, and serialise
every tenant's writers behind one re-entrant lock. The data directory is owned by one process.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tinydb import TinyDB

from .base import Conflict, Document, StoreError, TenantDropped
from .query import largest_numeral
from .tinydb_query import TinyFilesMixin, TinyQueryMixin
from .wal import Op, WalStorage

_TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_SEQUENCES = "_sequences"


def clone(value: Any) -> Any:
    """Copy a JSON-like value, so callers never hold references into the store."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


class TinyCollection(TinyQueryMixin):
    def __init__(self, store: TinyTenantStore, name: str, key: str) -> None:
        self.name = name
        self.key = key
        self._store = store
        self._raw: dict[str, Document] = store.storage.data.setdefault(name, {})
        self._by_key: dict[Any, str] = {}
        self._indexes: dict[str, dict[Any, set[str]]] = {}
        self._next_id = 1
        for doc_id, doc in self._raw.items():
            self._by_key[doc.get(key)] = doc_id
            self._next_id = max(self._next_id, int(doc_id) + 1)

    def add_index(self, field: str) -> None:
        if field in self._indexes or field == self.key:
            return
        index: dict[Any, set[str]] = {}
        for doc_id, doc in self._raw.items():
            _index_add(index, doc.get(field), doc_id)
        self._indexes[field] = index

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> Document | None:
        doc_id = self._by_key.get(key)
        return None if doc_id is None else clone(self._raw[doc_id])

    def all(self) -> list[Document]:
        return [clone(doc) for doc in self._raw.values()]

    def largest_numeral_key(self) -> int | None:
        return largest_numeral(self._by_key)

    def __iter__(self) -> Iterator[Document]:
        return iter(self.all())

    def count(self) -> int:
        return len(self._raw)

    def find(self, **equals: Any) -> list[Document]:
        """Documents whose fields equal the given values, in insertion order."""
        candidates: Iterator[str] | list[str]
        if self.key in equals:
            doc_id = self._by_key.get(equals[self.key])
            candidates = [doc_id] if doc_id is not None else []
        else:
            indexed = [f for f in equals if f in self._indexes]
            if indexed:
                ids = self._indexes[indexed[0]].get(_hashable(equals[indexed[0]]), set())
                candidates = sorted(ids, key=int)
            else:
                candidates = list(self._raw)
        out = []
        for doc_id in candidates:
            doc = self._raw[doc_id]
            if all(doc.get(f) == v for f, v in equals.items()):
                out.append(clone(doc))
        return out

    def search(self, predicate: Callable[[Mapping[str, Any]], bool]) -> list[Document]:
        """Documents matching a predicate; a `tinydb.Query` works as one."""
        return [clone(doc) for doc in self._raw.values() if predicate(doc)]

    # -- writes -----------------------------------------------------------------------------
    def insert(self, doc: Mapping[str, Any]) -> Document:
        key = doc.get(self.key)
        if key is None:
            raise ValueError(f"{self.name}: document has no {self.key!r}")
        with self._store.transaction():
            if key in self._by_key:
                raise Conflict(f"{self.name}: duplicate {self.key} {key!r}")
            doc_id = str(self._next_id)
            self._next_id += 1
            self._write(doc_id, clone(dict(doc)))
        return clone(dict(doc))

    def replace(self, doc: Mapping[str, Any]) -> Document:
        """Insert or overwrite the document with this key."""
        key = doc.get(self.key)
        with self._store.transaction():
            doc_id = self._by_key.get(key)
            if doc_id is None:
                return self.insert(doc)
            self._write(doc_id, clone(dict(doc)))
        return clone(dict(doc))

    def update(self, key: Any, changes: Mapping[str, Any]) -> Document:
        with self._store.transaction():
            doc_id = self._by_key.get(key)
            if doc_id is None:
                raise KeyError(key)
            new = {**self._raw[doc_id], **clone(dict(changes))}
            if new.get(self.key) != key:
                raise ValueError(f"{self.name}: the key {self.key!r} cannot change")
            self._write(doc_id, new)
            return clone(new)

    def delete(self, key: Any) -> Document | None:
        with self._store.transaction():
            doc_id = self._by_key.get(key)
            if doc_id is None:
                return None
            old = self._raw[doc_id]
            self._write(doc_id, None)
            return clone(old)

    # -- internals --------------------------------------------------------------------------
    def _write(self, doc_id: str, doc: Document | None) -> None:
        previous = self._raw.get(doc_id)
        self._store._record(self, doc_id, previous, doc)
        self._set(doc_id, doc)

    def _set(self, doc_id: str, doc: Document | None) -> None:
        """Put (or remove, for None) a document, keeping the key map and indexes in step."""
        old = self._raw.get(doc_id)
        if old is not None:
            self._by_key.pop(old.get(self.key), None)
            for field, index in self._indexes.items():
                _index_remove(index, old.get(field), doc_id)
        if doc is None:
            self._raw.pop(doc_id, None)
            return
        self._raw[doc_id] = doc
        self._by_key[doc.get(self.key)] = doc_id
        for field, index in self._indexes.items():
            _index_add(index, doc.get(field), doc_id)


class TinyTenantStore:
    def __init__(self, tenant_id: str, path: Path | None, *, fsync: bool) -> None:
        self.tenant_id = tenant_id
        self.db = TinyDB(str(path) if path else None, storage=WalStorage, fsync=fsync)
        self.storage: WalStorage = self.db.storage  # type: ignore[assignment]
        self.lock = threading.RLock()
        self._collections: dict[str, TinyCollection] = {}
        self._depth = 0
        self._ops: list[Op] = []
        self._undo: list[tuple[TinyCollection, str, Document | None]] = []
        self.dropped = False  # set by TinyDBBackend.drop: a write that comes later is refused

    def collection(self, name: str, *, key: str = "id", indexes: tuple[str, ...] = ()) -> TinyCollection:
        with self.lock:
            coll = self._collections.get(name)
            if coll is None:
                coll = self._collections[name] = TinyCollection(self, name, key)
            for field in indexes:
                coll.add_index(field)
            return coll

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Serialise this tenant's writers; make the enclosed writes durable together or undo them."""
        with self.lock:
            if self.dropped:
                # A request that got its tenant before the tenant was deleted: its write must
                # not land in a store nobody will read again (nor recreate its files).
                raise TenantDropped(self.tenant_id)
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._rollback()
                raise
            self._depth -= 1
            if self._depth == 0 and self._ops:
                ops, self._ops = self._ops, []
                try:
                    # Encodes the operations before writing them (in memory mode too): a write
                    # the log cannot take is undone here, whatever the exception.
                    self.storage.append(ops)
                except BaseException:
                    self._rollback()
                    raise
                self._undo.clear()

    def next_number(self, sequence: str) -> int:
        """The next correlative number of a sequence; rolled back with the enclosing transaction."""
        seqs = self.collection(_SEQUENCES, key="name")
        with self.transaction():
            current = seqs.get(sequence)
            value = (current["value"] if current else 0) + 1
            seqs.replace({"name": sequence, "value": value})
            return value

    def peek_number(self, sequence: str) -> int:
        current = self.collection(_SEQUENCES, key="name").get(sequence)
        return (current["value"] if current else 0) + 1

    def clear(self) -> None:
        with self.transaction():
            for coll in list(self._collections.values()):
                for doc_id in list(coll._raw):
                    coll._write(doc_id, None)
            self._ops = [["c"]]  # one compact log line instead of a delete per document
            for name in list(self.storage.data):
                if name not in self._collections:
                    self.storage.data.pop(name)
        with self.lock:
            self._collections.clear()

    def close(self) -> None:
        with self.lock:
            self.db.close()

    # -- transaction bookkeeping ------------------------------------------------------------
    def _record(self, coll: TinyCollection, doc_id: str, previous: Document | None, doc: Document | None) -> None:
        self._undo.append((coll, doc_id, previous))
        self._ops.append(["p", coll.name, doc_id, doc] if doc is not None else ["d", coll.name, doc_id])

    def _rollback(self) -> None:
        for coll, doc_id, previous in reversed(self._undo):
            coll._set(doc_id, previous)
        self._undo.clear()
        self._ops.clear()


class TinyDBBackend(TinyFilesMixin):
    """Tenants as TinyDB databases under `<data_dir>/tenants/`, or all in memory."""

    shared = False  # this process owns the data: what it read stays current until it writes

    def __init__(self, data_dir: Path | None, *, fsync: bool = False) -> None:
        self.data_dir = data_dir
        self._fsync = fsync
        self._stores: dict[str, TinyTenantStore] = {}
        self._lock = threading.Lock()
        if data_dir is not None:
            _check_writable(data_dir / "tenants")

    def tenant(self, tenant_id: str) -> TinyTenantStore:
        if not _TENANT_ID.match(tenant_id) and tenant_id != "_system":
            raise ValueError(f"invalid tenant id {tenant_id!r}")
        with self._lock:
            store = self._stores.get(tenant_id)
            if store is None:
                store = self._stores[tenant_id] = TinyTenantStore(tenant_id, self._path(tenant_id), fsync=self._fsync)
            return store

    def drop(self, tenant_id: str) -> None:
        """Delete a tenant's data. A write in progress finishes first (it holds the tenant's
        lock); every later write of that store raises TenantDropped."""
        with self._lock:
            store = self._stores.pop(tenant_id, None)
        if store is not None:
            with store.lock:
                store.dropped = True
            store.close()
        path = self._path(tenant_id)
        if path is not None:
            for suffix in (".json", ".wal", ".json.tmp"):
                path.with_suffix(suffix).unlink(missing_ok=True)
            shutil.rmtree(self.files_dir(tenant_id), ignore_errors=True)

    def tenant_ids(self) -> list[str]:
        if self.data_dir is None:
            return [t for t in self._stores if t != "_system"]
        # A tenant is its log until the first snapshot, and both afterwards: count it once.
        return sorted({p.stem for p in (self.data_dir / "tenants").iterdir() if p.suffix in (".json", ".wal")})

    def files_dir(self, tenant_id: str) -> Path:
        """Where a tenant's uploaded and generated files live (in memory mode: a temp dir)."""
        if not _TENANT_ID.match(tenant_id):
            raise ValueError(f"invalid tenant id {tenant_id!r}")
        base = self.data_dir if self.data_dir is not None else _memory_files_root()
        return base / "files" / tenant_id

    def close(self) -> None:
        with self._lock:
            stores, self._stores = list(self._stores.values()), {}
        for store in stores:
            store.close()

    def _path(self, tenant_id: str) -> Path | None:
        if self.data_dir is None:
            return None
        if tenant_id == "_system":
            return self.data_dir / "system.json"
        return self.data_dir / "tenants" / f"{tenant_id}.json"


_memory_root: Path | None = None


def _memory_files_root() -> Path:
    global _memory_root
    if _memory_root is None:
        import atexit
        import tempfile

        _memory_root = Path(tempfile.mkdtemp(prefix="facturas-sandbox-"))
        atexit.register(shutil.rmtree, _memory_root, True)
    return _memory_root


def _check_writable(directory: Path) -> None:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".write-probe"
        probe.write_bytes(b"ok")
        probe.unlink()
    except OSError as exc:
        raise StoreError(f"data directory {directory.parent} is not writable: {exc.strerror or exc}") from exc


def _hashable(value: Any) -> Any:
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


def _index_add(index: dict[Any, set[str]], value: Any, doc_id: str) -> None:
    index.setdefault(_hashable(value), set()).add(doc_id)


def _index_remove(index: dict[Any, set[str]], value: Any, doc_id: str) -> None:
    ids = index.get(_hashable(value))
    if ids is not None:
        ids.discard(doc_id)
        if not ids:
            del index[_hashable(value)]

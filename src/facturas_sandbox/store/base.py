"""The storage interface vendor code talks to.

Vendor handlers and the domain only see `TenantStore`, `Collection` and `FileStore`; the
backend behind them (TinyDB files in one process, or PostgreSQL shared by several) is chosen
by `open_backend`. Every write happens inside `TenantStore.transaction()`, which serialises
writers of one tenant and makes the group of writes durable all at once, or not at all: any
exception inside it, or in encoding its writes, undoes all of them, in memory and on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

from .query import Page, Query

Document = dict[str, Any]


class StoreError(Exception):
    """The store cannot accept writes (unwritable directory, full disk, ...)."""


class UnstorableText(ValueError):
    """A document holds text no encoding can represent: a lone surrogate (U+D800-U+DFFF),
    which is not a character, only half of a UTF-16 pair. The write is refused whole, on every
    backend; the APIs refuse such text earlier, field by field (`text_check`)."""


class TenantDropped(Exception):
    """The tenant's store was dropped (its tenant deleted): nothing more can be written to it."""


class Conflict(Exception):
    """A write would break a uniqueness rule (duplicate key)."""


class Collection(Protocol):
    """One table of one tenant. Documents are plain JSON-able dicts with a unique key field."""

    name: str
    key: str

    def get(self, key: Any) -> Document | None: ...
    def insert(self, doc: Mapping[str, Any]) -> Document: ...
    def replace(self, doc: Mapping[str, Any]) -> Document: ...
    def update(self, key: Any, changes: Mapping[str, Any]) -> Document: ...
    def delete(self, key: Any) -> Document | None: ...
    def find(self, **equals: Any) -> list[Document]: ...
    def search(self, predicate: Callable[[Mapping[str, Any]], bool]) -> list[Document]: ...
    def all(self) -> list[Document]: ...
    def largest_numeral_key(self) -> int | None:
        """The largest key written with ASCII digits alone (a string such as "0042" or a
        non-negative integer), as an int; None if no key is. FacturaScripts' next code
        (MAX(CAST(code))) without reading every document."""
        ...

    def count(self) -> int: ...
    def __iter__(self) -> Iterator[Document]: ...

    def query(self, query: Query) -> Page:
        """The documents matching `query.where`, in `query.order`, sliced by offset and limit,
        with the count of every match when `query.count`; semantics in `store.query`."""
        ...


class TenantStore(Protocol):
    tenant_id: str

    def collection(self, name: str, *, key: str = "id", indexes: tuple[str, ...] = ()) -> Collection: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def next_number(self, sequence: str) -> int: ...
    def peek_number(self, sequence: str) -> int: ...
    def clear(self) -> None: ...


class FileStore(Protocol):
    """One tenant's files (uploads), by relative name: `MyFiles/factura.pdf`.

    A name is 1-8 `/`-separated segments of `[A-Za-z0-9._-]`, none starting with a dot, at
    most 255 characters (`store.files.valid_name`), so no name can climb out of the tenant's
    files or be a hidden or temporary file; callers sanitise client names first. A name is
    either a file or a folder of other names, never both. Each call is atomic (a reader sees
    the old content or the new, never part); size limits are the caller's. On PostgreSQL the
    files live in the database and a write inside `TenantStore.transaction()` commits or
    rolls back with it; the directory store writes at once.
    """

    def put(self, name: str, content: bytes, *, replace: bool = False) -> bool:
        """Store `content` under `name`: False, writing nothing, when the name is taken (by a
        file, unless `replace`, or by a folder). ValueError for an invalid name."""
        ...

    def get(self, name: str) -> bytes | None:
        """The content, or None (no such file, or a name that cannot exist)."""
        ...

    def size(self, name: str) -> int | None: ...
    def exists(self, name: str) -> bool: ...
    def delete(self, name: str) -> bool:
        """Remove the file; False when there was none."""
        ...

    def list(self, prefix: str = "") -> list[str]:
        """Every file name starting with `prefix`, in code point order."""
        ...

    def clear(self) -> None:
        """Remove every file of the tenant."""
        ...


class Backend(Protocol):
    # True when other processes write the same tenants (PostgreSQL): a process may not keep
    # anything it read as current. False when this process owns the data (TinyDB).
    shared: bool

    def tenant(self, tenant_id: str) -> TenantStore: ...
    def drop(self, tenant_id: str) -> None:
        """Delete the tenant: documents, sequences and files."""
        ...

    def tenant_ids(self) -> list[str]: ...
    def files(self, tenant_id: str) -> FileStore:
        """The tenant's file store."""
        ...

    def close(self) -> None: ...

"""The storage interface vendor code talks to.

Vendor handlers and the domain only see `TenantStore` and `Collection`; the backend behind
them (TinyDB files today, a shared server for several processes later) is chosen by
`open_backend`. Every write happens inside `TenantStore.transaction()`, which serialises
writers of one tenant and makes the group of writes durable all at once, or not at all.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager
from typing import Any, Protocol

Document = dict[str, Any]


class StoreError(Exception):
    """The store cannot accept writes (unwritable directory, full disk, ...)."""


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
    def all(self) -> list[Document]: ...
    def count(self) -> int: ...
    def __iter__(self) -> Iterator[Document]: ...


class TenantStore(Protocol):
    tenant_id: str

    def collection(self, name: str, *, key: str = "id", indexes: tuple[str, ...] = ()) -> Collection: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def next_number(self, sequence: str) -> int: ...
    def peek_number(self, sequence: str) -> int: ...
    def clear(self) -> None: ...


class Backend(Protocol):
    def tenant(self, tenant_id: str) -> TenantStore: ...
    def drop(self, tenant_id: str) -> None: ...
    def tenant_ids(self) -> list[str]: ...
    def close(self) -> None: ...

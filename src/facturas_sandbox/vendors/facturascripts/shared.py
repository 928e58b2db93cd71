"""The rows a real installation starts with, held once per process and read by every tenant.

The setup wizard of a Spanish installation loads about 9,700 reference rows (8,122 cities,
909 provinces, 250 countries, taxes, states, pages ...; fixtures/facturascripts/<table>.json,
derived from the real core by `core_data`). Copying them into each tenant would multiply
tenant creation time and memory by the number of tenants, so a tenant reads each of these
tables through an `Overlay`: copy-on-write over rows that are never written. A tenant's
creates and updates go to its own collection (the table's usual one) and its deletes to a
collection of removed keys, both in its store: durable, rolled back with the transaction,
emptied by a reset. Reads return copies, so no tenant can change what another one reads.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ...contracts import fixtures_dir
from ...store import Collection, Conflict, TenantStore
from ...store import query as store_query
from ...store.query import Page, Query
from .models import Model, registry

FOLDER = "facturascripts"


@functools.cache
def tables() -> frozenset[str]:
    """The tables with shared rows: one data file each."""
    return frozenset(path.stem for path in (fixtures_dir() / FOLDER).glob("*.json"))


@dataclass(frozen=True)
class SharedRows:
    rows: Mapping[Any, dict[str, Any]]  # by primary key, in file order
    max_key: int  # the largest integer key, where a serial key continues

    def copy(self, key: Any) -> dict[str, Any] | None:
        row = self.rows.get(key)
        return dict(row) if row is not None else None  # values are scalars: a shallow copy suffices


@functools.cache
def shared_rows(table: str) -> SharedRows:
    """A table's rows as the database holds them after the CSV import: column defaults first."""
    model = next(m for m in registry().values() if m.table == table)
    defaults = {name: column.default_value() for name, column in model.columns.items()}
    with open(fixtures_dir() / FOLDER / f"{table}.json", encoding="utf-8") as fh:
        raw = json.load(fh)
    rows = {row[model.primary_key]: {**defaults, **row} for row in raw}
    numbers = [k for k in rows if isinstance(k, int)]
    return SharedRows(rows, max(numbers, default=0))


def removed_name(model: Model) -> str:
    return f"{model.collection_name}__removed"


class Overlay:
    """A tenant's view of a shared table; the Collection interface the engine uses."""

    def __init__(self, store: TenantStore, model: Model, local: Collection) -> None:
        self.name = local.name
        self.key = model.primary_key
        self._base = shared_rows(model.table)
        self._local = local
        self._removed = store.collection(removed_name(model), key="key")
        self._store = store

    @property
    def serial_offset(self) -> int:
        # A serial key continues after the imported rows, as the database's sequence does.
        return self._base.max_key

    def _removed_keys(self) -> set[Any]:
        return {doc["key"] for doc in self._removed.all()}

    # -- reads ------------------------------------------------------------------------------
    def get(self, key: Any) -> dict[str, Any] | None:
        local = self._local.get(key)
        if local is not None:
            return local
        if key in self._base.rows and self._removed.get(key) is None:
            return self._base.copy(key)
        return None

    def all(self) -> list[dict[str, Any]]:
        local = {doc[self.key]: doc for doc in self._local.all()}
        removed = self._removed_keys()
        out = []
        for key, row in self._base.rows.items():
            if key in local:
                out.append(local.pop(key))
            elif key not in removed:
                out.append(dict(row))
        out.extend(local.values())
        return out

    def largest_numeral_key(self) -> int | None:
        removed = self._removed_keys()
        shared = store_query.largest_numeral(key for key in self._base.rows if key not in removed)
        local = self._local.largest_numeral_key()
        return max((n for n in (shared, local) if n is not None), default=None)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return iter(self.all())

    def count(self) -> int:
        return len(self.all())

    def find(self, **equals: Any) -> list[dict[str, Any]]:
        if self.key in equals:
            doc = self.get(equals[self.key])
            candidates = [doc] if doc is not None else []
        else:
            candidates = self.all()
        return [doc for doc in candidates if all(doc.get(f) == v for f, v in equals.items())]

    def query(self, query: Query) -> Page:
        """`Collection.query` with the store's reference semantics, over the merged rows."""
        found = store_query.sort([doc for doc in self.all() if store_query.matches(query.where, doc)], query.order)
        end = None if query.limit is None else query.offset + query.limit
        return Page(found[query.offset : end], len(found) if query.count else None)

    def search(self, predicate: Callable[[Mapping[str, Any]], bool]) -> list[dict[str, Any]]:
        return [doc for doc in self.all() if predicate(doc)]

    # -- writes -----------------------------------------------------------------------------
    def insert(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        key = doc.get(self.key)
        with self._store.transaction():
            if self.get(key) is not None:
                raise Conflict(f"{self.name}: duplicate {self.key} {key!r}")
            self._restore(key)
            return self._local.insert(doc)

    def replace(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        with self._store.transaction():
            self._restore(doc.get(self.key))
            return self._local.replace(doc)

    def _restore(self, key: Any) -> None:
        """A shared row written again is no longer deleted; only a shared key can have been
        (a tenant's own keys skip the statement, a seed writes hundreds of them)."""
        if key in self._base.rows:
            self._removed.delete(key)

    def update(self, key: Any, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self._store.transaction():
            current = self.get(key)
            if current is None:
                raise KeyError(key)
            return self._local.replace({**current, **changes})

    def delete(self, key: Any) -> dict[str, Any] | None:
        with self._store.transaction():
            current = self.get(key)
            if current is None:
                return None
            self._local.delete(key)
            if key in self._base.rows:
                self._removed.replace({"key": key})
            return current


def overlay(store: TenantStore, model: Model, local: Collection) -> Overlay:
    return Overlay(store, model, local)

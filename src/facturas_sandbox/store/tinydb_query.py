"""The TinyDB side of `Collection.query` and `Backend.files` (kept apart from `tinydb.py`).

TinyDB holds every document in memory, so a query is the reference semantics of
`store.query` run over the collection; the hash indexes (`indexes=` and the key) narrow the
candidates first when the filter requires an equality on an indexed field.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from .files import DirectoryFileStore
from .query import JSON_EQUALITY_KINDS, Compare, Document, Kind, Page, Query, equality_terms, matches, sort


class TinyQueryMixin:
    key: str
    _raw: dict[str, Document]
    _by_key: dict[Any, str]
    _indexes: dict[str, dict[Any, set[str]]]

    def query(self, query: Query) -> Page:
        from .tinydb import clone  # tinydb.py imports this module

        candidates = self._candidates(query)
        found = [doc for doc in candidates if matches(query.where, doc)]
        found = sort(found, query.order)
        total = len(found) if query.count else None
        end = None if query.limit is None else query.offset + query.limit
        return Page([clone(doc) for doc in found[query.offset : end]], total)

    def _candidates(self, query: Query) -> list[Document]:
        """Documents that may match, in insertion order: one index's bucket, or all."""
        for term in equality_terms(query.where):
            name = term.field.name
            if term.field.kind not in JSON_EQUALITY_KINDS or (name != self.key and name not in self._indexes):
                continue
            ids: set[str] = set()
            for raw in _stored_forms(term):
                if name == self.key:
                    doc_id = self._by_key.get(raw)
                    if doc_id is not None:
                        ids.add(doc_id)
                else:
                    ids |= self._indexes[name].get(raw, set())
            raw_docs = self._raw
            return [raw_docs[i] for i in sorted(ids, key=int) if i in raw_docs]
        return list(self._raw.values())


def _stored_forms(term: Compare) -> list[Any]:
    """The JSON values an equality can find: a decimal 0.1 is stored as the float 0.1."""
    value = term.value
    if term.field.kind is Kind.NUMBER and not isinstance(value, int):
        forms: list[Any] = [value]
        as_float = float(value)
        if as_float == as_float and abs(as_float) != float("inf"):
            forms.append(as_float)
        if value == int(value):
            forms.append(int(value))
        return forms
    return [value]


class TinyFilesMixin:
    """`Backend.files` for the TinyDB backend: a directory per tenant under the data dir."""

    _fsync: bool
    files_dir: Callable[[str], Path]

    def files(self, tenant_id: str) -> DirectoryFileStore:
        return DirectoryFileStore(self.files_dir(tenant_id), fsync=self._fsync)

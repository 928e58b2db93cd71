"""`facturas-sandbox store copy`: a whole store onto another, data directory ⇄ PostgreSQL.

Everything a tenant is gets copied — every collection's documents in their order, the
correlative sequences (so the next number follows the last one), the uploaded files — and the
tenant registry itself (`_system`), so the target serves the same tenants with the same
credentials. Fault rules, bans and the journal are the running sandbox's, not data: they stay.

The PostgreSQL store keys each document by its key field, which a data directory does not
record (TinyDB numbers documents), so the key of each collection is what the vendor code
declares: learned by seeding a tenant in memory (every collection a new tenant has), from
FacturaScripts' model registry, or, for a collection neither names, the first field unique in
every document (`id`, `key` and `name` first).

A target that already holds tenants is refused unless `force`, which empties it first.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .commands import command
from .store import POSTGRES_SCHEMES, Backend, Document, open_backend
from .store.postgres import PgTenantStore, PostgresBackend
from .store.tinydb import TinyDBBackend, TinyTenantStore

SYSTEM = "_system"
SEQUENCES = "_sequences"  # the TinyDB store's table of sequences
_KEY_PREFERENCE = ("id", "key", "name")


class TargetNotEmpty(Exception):
    pass


@dataclass
class CopyReport:
    tenants: int = 0
    documents: int = 0
    sequences: int = 0
    files: int = 0
    guessed_keys: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        text = (
            f"copied {self.tenants} tenants: {self.documents} documents, {self.sequences} sequences, {self.files} files"
        )
        if self.guessed_keys:
            text += "; keys taken from the data for " + ", ".join(f"{c} ({k})" for c, k in self.guessed_keys.items())
        return text


@functools.cache
def declared_keys() -> dict[str, str]:
    """Collection name → key field, as the vendor code opens them."""
    from .sandbox import Sandbox
    from .settings import Settings
    from .vendors.facturascripts.models import registry
    from .vendors.facturascripts.shared import removed_name

    keys: dict[str, str] = {}
    for model in registry().values():
        keys[model.collection_name] = model.primary_key
        keys[removed_name(model)] = "key"
    sandbox = Sandbox.open(Settings(data_dir=None, seed_demo=True))
    try:
        for tenant_id in (SYSTEM, *sandbox.backend.tenant_ids()):
            store = sandbox.backend.tenant(tenant_id)
            keys.update({name: coll.key for name, coll in store._collections.items()})  # type: ignore[attr-defined]
    finally:
        sandbox.close()
    keys.pop(SEQUENCES, None)
    return keys


def key_from_data(docs: list[Document]) -> str | None:
    """The first field present and unique in every document (`id`, `key`, `name` first)."""
    if not docs:
        return "id"
    names = [n for n in _KEY_PREFERENCE if n in docs[0]] + [n for n in docs[0] if n not in _KEY_PREFERENCE]
    for name in names:
        values = [doc.get(name) for doc in docs]
        if None in values:
            continue
        try:
            if len({_hashable(v) for v in values}) == len(values):
                return name
        except TypeError:
            continue
    return None


def _hashable(value: Any) -> Any:
    if isinstance(value, (dict, list)):
        raise TypeError("not a key")
    return (type(value) is bool, value)


# -- reading ----------------------------------------------------------------------------------
def _documents(backend: Backend, tenant_id: str) -> Iterator[tuple[str, str | None, list[Document]]]:
    """(collection, key field when the store knows it, documents in insertion order)."""
    store = backend.tenant(tenant_id)
    if isinstance(store, TinyTenantStore):
        for name, raw in store.storage.data.items():
            if name != SEQUENCES:
                yield name, None, [raw[i] for i in sorted(raw, key=int)]
        return
    assert isinstance(store, PgTenantStore)
    rows = store.read(
        f"SELECT collection, key, raw FROM {store.schema}.documents WHERE tenant_id = %s ORDER BY collection, seq",
        (tenant_id,),
        lambda cur: cur.fetchall(),
    )
    grouped: dict[str, list[tuple[Any, str]]] = {}
    for collection, key, raw in rows:
        grouped.setdefault(collection, []).append((key, raw))
    from .store import pg_sql

    for collection, items in grouped.items():
        docs = [pg_sql.decode(raw) for _, raw in items]
        known = next((f for f in docs[0] if all(d.get(f) == k for d, (k, _) in zip(docs, items, strict=True))), None)
        yield collection, known, docs


def _sequences(backend: Backend, tenant_id: str) -> dict[str, int]:
    store = backend.tenant(tenant_id)
    if isinstance(store, TinyTenantStore):
        return {doc["name"]: int(doc["value"]) for doc in store.storage.data.get(SEQUENCES, {}).values()}
    assert isinstance(store, PgTenantStore)
    rows = store.read(
        f"SELECT name, value FROM {store.schema}.sequences WHERE tenant_id = %s", (tenant_id,), lambda c: c.fetchall()
    )
    return {name: int(value) for name, value in rows}


# -- writing ----------------------------------------------------------------------------------
def _set_sequences(backend: Backend, tenant_id: str, values: dict[str, int]) -> None:
    store = backend.tenant(tenant_id)
    if isinstance(store, PgTenantStore):
        with store.transaction():
            for name, value in values.items():
                store.write(
                    f"INSERT INTO {store.schema}.sequences (tenant_id, name, value) VALUES (%s, %s, %s) "
                    "ON CONFLICT (tenant_id, name) DO UPDATE SET value = EXCLUDED.value",
                    (tenant_id, name, value),
                    lambda cur: None,
                )
        return
    seqs = store.collection(SEQUENCES, key="name")
    with store.transaction():
        for name, value in values.items():
            seqs.replace({"name": name, "value": value})


def _system_empty(backend: Backend) -> bool:
    return all(not docs for _, _, docs in _documents(backend, SYSTEM))


def _empty(backend: Backend) -> None:
    for tenant_id in backend.tenant_ids():
        if tenant_id != SYSTEM:
            backend.drop(tenant_id)
    backend.tenant(SYSTEM).clear()
    if isinstance(backend, PostgresBackend):
        # The replicas' running state belongs to the tenants that were there.
        s = backend.schema
        backend.run(
            lambda c: c.execute(
                f"TRUNCATE {s}.credentials, {s}.fault_rules, {s}.incidents, {s}.address_use, {s}.journal"
            )
        )


def copy_store(source: Backend, target: Backend, *, force: bool = False) -> CopyReport:
    if not (_system_empty(target) and not [t for t in target.tenant_ids() if t != SYSTEM]):
        if not force:
            raise TargetNotEmpty("the target store already holds tenants (use --force to replace them)")
        _empty(target)
    report = CopyReport()
    keys = declared_keys()
    tenant_ids = [t for t in source.tenant_ids() if t != SYSTEM]
    # The registry last: a tenant is visible in the target only once its data is there.
    for tenant_id in [*tenant_ids, SYSTEM]:
        store = target.tenant(tenant_id)
        with store.transaction():
            for collection, known, docs in _documents(source, tenant_id):
                key = known or keys.get(collection)
                if key is None:
                    key = key_from_data(docs)
                    if key is None:
                        raise ValueError(f"tenant {tenant_id}: no key field for collection {collection!r}")
                    report.guessed_keys[collection] = key
                target_collection = store.collection(collection, key=key)
                for doc in docs:
                    target_collection.insert(doc)
                report.documents += len(docs)
        sequences = _sequences(source, tenant_id)
        _set_sequences(target, tenant_id, sequences)
        report.sequences += len(sequences)
        if tenant_id != SYSTEM:
            source_files, target_files = source.files(tenant_id), target.files(tenant_id)
            for name in source_files.list():
                content = source_files.get(name)
                if content is not None:
                    target_files.put(name, content, replace=True)
                    report.files += 1
            report.tenants += 1
    return report


# -- command line -----------------------------------------------------------------------------
def _store(location: str) -> Backend:
    if location.startswith(POSTGRES_SCHEMES):
        return open_backend(location)
    return TinyDBBackend(Path(location))


def _copy_args(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="store_command", required=True)
    copy = sub.add_parser("copy", help="copy every tenant from one store to another (data directory or PostgreSQL)")
    copy.add_argument("--from", dest="source", required=True, metavar="DIR|URL", help="the store to read")
    copy.add_argument("--to", dest="target", required=True, metavar="DIR|URL", help="the store to write")
    copy.add_argument("--force", action="store_true", help="replace whatever the target holds")


@command("store", _copy_args)
def store_command(args: argparse.Namespace) -> int:
    from .store import StoreError

    if not args.source.startswith(POSTGRES_SCHEMES) and not (Path(args.source) / "tenants").is_dir():
        print(f"facturas-sandbox: {args.source} is not a sandbox data directory", file=sys.stderr)
        return 2
    try:
        source, target = _store(args.source), _store(args.target)
    except StoreError as exc:
        print(f"facturas-sandbox: {exc}", file=sys.stderr)
        return 2
    try:
        report = copy_store(source, target, force=args.force)
    except (TargetNotEmpty, StoreError, ValueError) as exc:
        print(f"facturas-sandbox: {exc}", file=sys.stderr)
        return 1
    finally:
        source.close()
        target.close()
    print(report.summary())
    return 0

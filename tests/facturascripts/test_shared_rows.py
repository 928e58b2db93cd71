"""A tenant's view of a shared table (series, taxes, payment methods): the installation's rows
with the tenant's own edits, deletions and additions over them."""

from __future__ import annotations

from pathlib import Path

from facturas_sandbox.store import open_backend
from facturas_sandbox.vendors.facturascripts import engine


def test_the_largest_numeral_key_counts_the_rows_the_tenant_sees(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    diarios = engine.collection(store, engine.model("diarios"))  # shared rows with keys 1, 2, ...
    shared = [doc["iddiario"] for doc in diarios.all()]
    assert diarios.largest_numeral_key() == max(shared)
    with store.transaction():
        diarios.delete(max(shared))  # a shared row the tenant deleted no longer counts
    assert diarios.largest_numeral_key() == max(shared[:-1])
    with store.transaction():
        diarios.insert({**diarios.get(shared[0]), "iddiario": 900})  # the tenant's own
    assert diarios.largest_numeral_key() == 900

"""A tenant's view of a shared table (series, taxes, payment methods): the installation's rows
with the tenant's own edits, deletions and additions over them."""

from __future__ import annotations

from pathlib import Path

from facturas_sandbox.store import open_backend
from facturas_sandbox.vendors.facturascripts import engine


def test_all_keys_are_the_keys_of_all_in_the_same_order(tmp_path: Path) -> None:
    store = open_backend(tmp_path).tenant("t1")
    series = engine.collection(store, engine.model("series"))
    shared = series.all_keys()
    assert shared == [doc["codserie"] for doc in series.all()] and len(shared) >= 2
    first, second = shared[0], shared[1]
    with store.transaction():
        series.update(second, {"descripcion": "Editada"})  # the tenant's version, in its place
        series.delete(first)  # a shared row deleted
        series.insert({**series.get(second), "codserie": "Z9"})  # the tenant's own, last
    assert series.all_keys() == [doc["codserie"] for doc in series.all()]
    assert series.all_keys() == [*shared[1:], "Z9"]
    assert series.get(second)["descripcion"] == "Editada"

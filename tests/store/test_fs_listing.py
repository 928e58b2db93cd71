"""FacturaScripts' list filters expressed as store queries give what `query.run` gives today.

`to_store_query` is how FacturaScripts' `filter[...]`, `operation[...]`, `sort[...]`,
`limit`/`offset` map onto `store.query` (the blueprint for moving the list handler onto
`Collection.query`). Every case of the list engine's own tests, and generated combinations,
run through `query.run` on the rows and through `Collection.query` on both backends.
Deliberate difference: the store's LIKE also ignores accents (MySQL's default collation
does), so the generated patterns here carry no accents where the two would differ.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest

from facturas_sandbox.store import Backend
from facturas_sandbox.store.query import And, Compare, Field, IsNull, Kind, Like, NotNull, Or, Order, Query
from facturas_sandbox.vendors.facturascripts import query as fs
from facturas_sandbox.vendors.facturascripts.models import Column, InvalidValue, Model, registry

KINDS = {"string": Kind.TEXT, "integer": Kind.NUMBER, "number": Kind.NUMBER, "boolean": Kind.BOOLEAN,
         "date": Kind.DATE, "datetime": Kind.DATETIME, "time": Kind.TIME}  # fmt: skip
_OPS = {"=": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def _field(column: Column) -> Field:
    return Field(column.name, KINDS[column.kind])


def _clause(clause: fs.Clause) -> Any:
    column, op, value = clause.column, clause.operator, clause.value
    if op == "LIKE":
        pattern = str(value)
        return Like(_field(column), pattern if "%" in pattern else f"%{pattern}%")
    if op in ("IS", "IS NOT") and fs._is_null_literal(value):
        return IsNull(column.name) if op == "IS" else NotNull(column.name)
    try:
        wanted = fs._comparable(column, value)
    except InvalidValue:
        # A value the column cannot hold: `=` matches nothing, `IS NOT` everything.
        return And() if op == "IS NOT" else Or()
    if wanted is None:  # an empty date: equal to no date, unequal to every date
        return NotNull(column.name) if op == "!=" else Or()
    if op == "IS":
        return Compare(_field(column), "=", wanted)
    if op == "IS NOT":
        return Or(IsNull(column.name), Compare(_field(column), "!=", wanted))
    return Compare(_field(column), _OPS[op], wanted)


def to_store_query(model: Model, listing: fs.ListQuery) -> Query:
    clauses, order = fs.plan(model, listing)
    groups: list[list[Any]] = [[]]
    for index, clause in enumerate(clauses):
        if index > 0 and clause.joiner == "OR":
            groups.append([])
        groups[-1].append(_clause(clause))
    where = Or(*(And(*g) for g in groups)) if clauses else None
    steps = []
    for column, prefix, descending in order or [(model.pk_column, "", False)]:
        kind = {"integer:": Kind.CAST_NUMBER, "lower:": Kind.FOLDED, "upper:": Kind.FOLDED}.get(prefix)
        steps.append(Order(Field(column.name, kind) if kind else _field(column), descending))
    paged = listing.limit > 0
    return Query(
        where=where,
        order=tuple(steps),
        limit=listing.limit if paged else None,
        offset=max(listing.offset, 0) if paged else 0,
        count=True,
    )


ROWS = [
    {"codcliente": "1", "nombre": "Ferretería Ruiz", "cifnif": "B1", "riesgomax": 100, "debaja": False,
     "fechaalta": "05-01-2026", "email": None},
    {"codcliente": "2", "nombre": "bar casa pepe", "cifnif": "B2", "riesgomax": 50.5, "debaja": True,
     "fechaalta": "20-12-2025", "email": "pepe@example.es"},
    {"codcliente": "10", "nombre": "100% Café", "cifnif": "B3", "riesgomax": None, "debaja": False,
     "fechaalta": "01-02-2026", "email": "cafe@example.es"},
    {"codcliente": "3", "nombre": "Zapatería", "cifnif": "b4", "riesgomax": -3, "debaja": True,
     "fechaalta": "01-02-2026", "email": ""},
    {"codcliente": "20", "nombre": "a_b", "cifnif": None, "riesgomax": 0, "debaja": False,
     "fechaalta": None, "email": "x@example.es"},
]  # fmt: skip
# Every case of tests/facturascripts/test_query.py, and then some.
CASES = [
    [("filter[codcliente]", "2")], [("filter[riesgomax_gt]", "50.5")], [("filter[riesgomax_gte]", "50.5")],
    [("filter[riesgomax_lt]", "100")], [("filter[riesgomax_lte]", "100")], [("filter[riesgomax_neq]", "100")],
    [("filter[fechaalta_gte]", "01-01-2026")], [("filter[fechaalta_lt]", "2026-01-01")],
    [("filter[nombre_like]", "CASA")], [("filter[nombre_like]", "100%")], [("filter[nombre_like]", "(.*")],
    [("filter[email_null]", "whatever")], [("filter[email_notnull]", "")], [("filter[email_is]", "null")],
    [("filter[email_isnot]", "null")], [("filter[debaja]", "true")], [("filter[debaja]", "0")],
    [("filter[codcliente]", "1"), ("filter[nombre_like]", "pepe"), ("operation[nombre_like]", "OR")],
    [("filter[codcliente]", "1"), ("filter[debaja]", "1"), ("filter[nombre_like]", "café"),
     ("operation[nombre_like]", "OR")],
    [], [("sort[integer:codcliente]", "ASC")], [("sort[riesgomax]", "DESC")], [("sort[riesgomax]", "anything")],
    [("sort[lower:nombre]", "ASC")], [("limit", "1"), ("offset", "1")], [("limit", "0"), ("offset", "2")],
    [("limit", "-1")], [("filter[riesgomax]", "abc")], [("filter[riesgomax_isnot]", "abc")],
    [("filter[riesgomax_is]", "0")], [("filter[riesgomax_isnot]", "0")], [("filter[debaja]", "maybe")],
    [("filter[fechaalta]", "1-2-2026")], [("filter[fechaalta]", "no date")], [("filter[nombre_like]", "a_b")],
    [("filter[nombre_like]", "%ría%")], [("filter[cifnif_gt]", "B")], [("sort[cifnif]", "DESC"), ("limit", "2")],
    [("sort[fechaalta]", "DESC"), ("sort[codcliente]", "ASC")], [("filter[riesgomax_lt]", "1e2")],
]  # fmt: skip


def _generated(count: int) -> list[list[tuple[str, str]]]:
    rng = random.Random(3)
    keys = ["codcliente", "nombre", "riesgomax", "debaja", "fechaalta", "email", "cifnif"]
    suffixes = ["", "_gt", "_gte", "_lt", "_lte", "_neq", "_like", "_null", "_notnull", "_is", "_isnot"]
    values = ["1", "10", "2", "0", "-3", "50.5", "true", "false", "null", "", "01-02-2026", "2025-12-20", "ruiz",
              "B", "b", "x", "%e%", "casa", "abc", "1e2"]  # fmt: skip
    sorts = ["codcliente", "integer:codcliente", "lower:nombre", "riesgomax", "fechaalta", "debaja", "cifnif"]
    out = []
    for _ in range(count):
        items = [(f"filter[{rng.choice(keys)}{rng.choice(suffixes)}]", rng.choice(values))
                 for _ in range(rng.randint(0, 3))]  # fmt: skip
        for key, _value in items[1:]:
            if rng.random() < 0.4:
                items.append((f"operation[{key[7:-1]}]", "OR"))
        items += [(f"sort[{s}]", rng.choice(["ASC", "DESC"])) for s in rng.sample(sorts, rng.randint(0, 2))]
        if rng.random() < 0.5:
            items += [("limit", rng.choice(["1", "2", "0"])), ("offset", rng.choice(["0", "1", "4"]))]
        out.append(items)
    return out


def test_facturascripts_lists_as_store_queries_match_the_list_engine(backend: Backend) -> None:
    model = registry()["clientes"]
    store = backend.tenant("t1")
    coll = store.collection(model.collection_name, key=model.primary_key)
    with store.transaction():
        for row in ROWS:
            coll.insert(row)
    records = coll.all()
    tried = 0
    for items in itertools.chain(CASES, _generated(400)):
        listing = fs.parse_query(items)
        want_page, want_total = fs.run(model, records, listing)
        page = coll.query(to_store_query(model, listing))
        got = ([r["codcliente"] for r in page.documents], page.total)
        assert got == ([r["codcliente"] for r in want_page], want_total), items
        tried += 1
    assert tried == len(CASES) + 400


def test_unknown_fields_are_still_refused_before_any_query() -> None:
    with pytest.raises(fs.FieldsNotAllowed):
        to_store_query(registry()["clientes"], fs.parse_query([("filter[bogus]", "1")]))

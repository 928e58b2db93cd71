"""FacturaScripts' lists as store queries give what the old list engine gave, on both backends.

`query.run` turns a listing (`filter[...]`, `operation[...]`, `sort[...]`, `limit`/`offset`)
into one store query the collection runs. Every case of the list engine's own tests, awkward
rows (accents, nulls, numbers Python prints with an exponent, codes that are numerals and
codes that are not, `%` and `_` in text) and generated combinations run through the old
evaluator (`fs_list_oracle`, the oracle), through the store's reference semantics on the rows,
and through `Collection.query` on TinyDB and on PostgreSQL: all four must agree.
"""

from __future__ import annotations

import itertools
import random

import fs_list_oracle
import pytest

from facturas_sandbox.store import Backend
from facturas_sandbox.vendors.facturascripts import query as fs
from facturas_sandbox.vendors.facturascripts.models import registry

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
    {"codcliente": "A7", "nombre": "Ángel Ávila", "cifnif": "Á1", "riesgomax": 1e-05, "debaja": False,
     "fechaalta": "29-02-2024", "email": "ángel@example.es"},
    {"codcliente": " 12 ", "nombre": "zoe", "cifnif": "a1", "riesgomax": 1e20, "debaja": True,
     "fechaalta": "31-12-2025", "email": "ZOE@EXAMPLE.ES"},
    {"codcliente": "-4.5", "nombre": "ÑANDÚ S.L.", "cifnif": "ñ", "riesgomax": 0.1, "debaja": False,
     "fechaalta": "01-01-2026", "email": None},
    {"codcliente": "1e2", "nombre": "ΟΔΟΣ 5%", "cifnif": "ΟΔΟΣ", "riesgomax": 9007199254740993.0, "debaja": True,
     "fechaalta": "05-01-2026", "email": "odos@example.gr"},
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
    [("sort[lower:nombre]", "DESC")], [("sort[upper:cifnif]", "ASC")], [("sort[lower:riesgomax]", "ASC")],
    [("sort[integer:codcliente]", "DESC"), ("limit", "3"), ("offset", "2")], [("sort[integer:nombre]", "ASC")],
    [("filter[riesgomax_like]", "e")], [("filter[riesgomax_like]", "%e-05")], [("filter[riesgomax_like]", "0.0%")],
    [("filter[nombre_like]", "%5\\%")], [("filter[nombre_like]", "_")], [("filter[nombre_like]", "%_b")],
    [("filter[nombre_like]", "angel")], [("filter[nombre_like]", "ÁNGEL%")], [("filter[nombre_like]", "%οδος%")],
    [("filter[email_like]", "zoe")], [("filter[fechaalta_like]", "2026-01")], [("filter[debaja_like]", "tru")],
    [("filter[riesgomax_gt]", "0"), ("filter[debaja]", "1"), ("filter[nombre_like]", "a"),
     ("operation[nombre_like]", "OR"), ("filter[cifnif_neq]", "B3"), ("filter[email_null]", ""),
     ("operation[email_null]", "OR")],
    [("filter[riesgomax_gte]", "1e-5"), ("filter[riesgomax_lte]", "1E+20")], [("filter[riesgomax]", "0.10")],
    [("filter[riesgomax_neq]", "")], [("filter[fechaalta_neq]", "")], [("filter[fechaalta]", "")],
    [("filter[fechaalta_isnot]", "01-02-2026")], [("filter[fechaalta_is]", "2026-02-01")],
    [("filter[cifnif_is]", "b4")], [("filter[cifnif_isnot]", "b4")], [("filter[cifnif_gte]", "a")],
    [("filter[debaja_isnot]", "maybe")], [("filter[fechaalta_gt]", "29/02/2024")], [("filter[codcliente]", " 12 ")],
    [("limit", "2"), ("offset", "-3")], [("limit", "abc"), ("offset", "1")], [("limit", "100"), ("offset", "8")],
]  # fmt: skip


def _generated(count: int) -> list[list[tuple[str, str]]]:
    rng = random.Random(3)
    keys = ["codcliente", "nombre", "riesgomax", "debaja", "fechaalta", "email", "cifnif"]
    suffixes = ["", "_gt", "_gte", "_lt", "_lte", "_neq", "_like", "_null", "_notnull", "_is", "_isnot"]
    values = ["1", "10", "2", "0", "-3", "50.5", "true", "false", "null", "", "01-02-2026", "2025-12-20", "ruiz",
              "B", "b", "x", "%e%", "casa", "abc", "1e2", "ángel", "ÁVILA", "%_%", "1e-05", "e+", "ñ",
              "a%b"]  # fmt: skip
    sorts = ["codcliente", "integer:codcliente", "lower:nombre", "riesgomax", "fechaalta", "debaja", "cifnif",
             "upper:cifnif", "lower:email", "integer:riesgomax"]  # fmt: skip
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


def test_facturascripts_lists_as_store_queries_match_the_old_list_engine(backend: Backend) -> None:
    model = registry()["clientes"]
    store = backend.tenant("t1")
    coll = store.collection(model.collection_name, key=model.primary_key)
    with store.transaction():
        for row in ROWS:
            coll.insert(row)
    records = coll.all()
    mismatches = []
    listings = list(itertools.chain(CASES, _generated(600)))
    for items in listings:
        listing = fs.parse_query(items)
        oracle = fs_list_oracle.run(model, records, listing)
        want = ([r["codcliente"] for r in oracle[0]], oracle[1])
        for source in (coll, records):
            page, total = fs.run(model, source, listing)
            if ([r["codcliente"] for r in page], total) != want:
                mismatches.append((items, source is coll))
    assert not mismatches, f"{len(mismatches)} of {2 * len(listings)} differ; first: {mismatches[0]}"


def test_pages_are_whole_records_in_the_collections_order(backend: Backend) -> None:
    model = registry()["clientes"]
    coll = backend.tenant("t1").collection(model.collection_name, key=model.primary_key)
    for row in ROWS:
        coll.insert(row)
    page, total = fs.run(model, coll, fs.parse_query([("sort[lower:nombre]", "ASC"), ("limit", "2")]))
    assert page == [ROWS[2], ROWS[4]] and total == len(ROWS)
    assert fs.run(model, coll, fs.parse_query([("filter[nombre_like]", "ángel")]))[0] == [ROWS[5]]


def test_unknown_fields_are_still_refused_before_any_query() -> None:
    with pytest.raises(fs.FieldsNotAllowed):
        fs.to_store_query(registry()["clientes"], fs.parse_query([("filter[bogus]", "1")]))

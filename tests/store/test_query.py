"""`Collection.query` on both backends against the reference semantics of `store.query`.

A corpus with every awkward value a field can hold (numbers as text, booleans in number
fields, malformed dates, accents, NaN, missing fields) and some thousands of generated queries:
each backend's page and total must equal the reference's, with and without indexes declared.
Then the rules themselves, spelled out one by one.
"""

from __future__ import annotations

import itertools
import random
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import pytest

from facturas_sandbox.store import Backend
from facturas_sandbox.store.query import (
    And,
    Compare,
    Field,
    IsNull,
    Kind,
    Like,
    NotNull,
    Or,
    Order,
    Query,
    fold,
    like,
    number_text,
    run,
)

S = ["Ávila", "avila", "AVILA", "Zamora", "zamora", "ñu", "nu", "", "100% Café", "a_b", "a%b", "日本", "straße",
     "Ñandú", "10", "9", "-1.5", " 7 ", "1e3", "abc", "Ω", "x\x00y", "ΟΔΟΣ", "İstanbul", "Ángel", "zoe"]  # fmt: skip
N = [0, 1, -1, 2, 10, 1.5, -1.5, 0.1, 1e-05, 1e20, 10**30, -0.0, True, False, "5", "1.5", "abc", None, [1], {"a": 1}]
D = ["05-01-2026", "2026-01-05", "31-12-2025", "2025-12-31", "29-02-2024", "29-02-2025", "00-01-2026",
     "05-01-2026 10:00:00", "2026-01-05T23:59:59+01:00", "05-13-2026", "5-1-2026", "x", "", 20260105, None]  # fmt: skip
T = ["10:00:00", "23:59", "00:00:01", "24:00:00", "10:60", "10:00:61", "9:00", "x", None]


def corpus() -> list[dict[str, Any]]:
    rng = random.Random(15)
    docs = []
    for n in range(120):
        doc: dict[str, Any] = {"id": n}
        for name, pool in (("s", S), ("n", N), ("d", D), ("t", T), ("b", [True, False, 1, 0, "true", None])):
            if rng.random() < 0.9:  # sometimes the field is missing altogether
                doc[name] = rng.choice(pool)
        docs.append(doc)
    docs.append({"id": "nan", "n": float("nan"), "s": "NaN"})
    docs.append({"id": "inf", "n": float("inf")})
    return docs


FIELDS = {
    "s": [Kind.TEXT, Kind.FOLDED, Kind.LOWER, Kind.CAST_NUMBER, Kind.DATE],
    "n": [Kind.NUMBER, Kind.CAST_NUMBER, Kind.LOWER, Kind.TEXT, Kind.BOOLEAN],
    "d": [Kind.DATE, Kind.DATETIME, Kind.TEXT],
    "t": [Kind.TIME, Kind.TEXT],
    "b": [Kind.BOOLEAN, Kind.NUMBER],
}
VALUES: dict[Kind, list[Any]] = {
    Kind.TEXT: ["avila", "Ávila", "Zamora", "", "10", "nu", "日本", "x\x00y"],
    Kind.FOLDED: ["avila", "ZAMORA", "nu", "strasse", ""],
    Kind.LOWER: ["ávila", "Ávila", "zamora", "10", "1e-05", "true", "straße", "οδος"],
    Kind.NUMBER: [0, 1, Decimal("1.5"), -1.5, Decimal("0.1"), 10**30, Decimal("1E+20"), Decimal("0.00001")],
    Kind.CAST_NUMBER: [0, 1, 7, Decimal("-1.5"), 1000, 10],
    Kind.BOOLEAN: [True, False],
    Kind.DATE: [date(2026, 1, 5), date(2025, 12, 31), date(2024, 2, 29)],
    Kind.DATETIME: [datetime(2026, 1, 5), datetime(2026, 1, 5, 10, 0), datetime(2026, 1, 5, 23, 59, 59)],
    Kind.TIME: [time(10, 0), time(0, 0, 1), time(23, 59)],
}
PATTERNS = ["%avila%", "avila", "%a%", "_", "__", "%", "", "1%", "%.5", "%0.00001%", "true", "2026-01-05%",
            "% 10:00:00", "-%", "0.0", "%café%", "%CAFE%", "100%%", "%\\%", "a_b", "%e+%", "%strasse%",
            "%日%"]  # fmt: skip


def generated_queries() -> list[Query]:
    rng = random.Random(1515)
    terms: list[Any] = [IsNull("s"), NotNull("n"), IsNull("missing"), And(), Or()]
    for name, kinds in FIELDS.items():
        for kind in kinds:
            field = Field(name, kind)
            for op, value in itertools.product(("=", "!=", "<", "<=", ">", ">="), VALUES[kind]):
                terms.append(Compare(field, op, value))
            if kind is not Kind.CAST_NUMBER:
                terms.extend(Like(field, p) for p in PATTERNS)
    orders = [Order(Field(name, kind), descending) for name, kinds in FIELDS.items() for kind in kinds
              for descending in (False, True)]  # fmt: skip
    queries = [Query(where=t, count=True) for t in terms]
    queries += [Query(order=(o,), count=True) for o in orders]
    for _ in range(500):
        group = [rng.choice(terms) for _ in range(rng.randint(1, 3))]
        where = rng.choice([And, Or])(*group) if len(group) > 1 else group[0]
        if rng.random() < 0.3:
            where = Or(where, And(rng.choice(terms), rng.choice(terms)))
        order = tuple(rng.sample(orders, rng.randint(0, 3)))
        limit = rng.choice([None, 0, 1, 5, 50])
        queries.append(Query(where=where, order=order, limit=limit, offset=rng.choice([0, 0, 3, 200]),
                             count=rng.random() < 0.7))  # fmt: skip
    return queries


def ids(page: Any) -> tuple[list[Any], int | None]:
    return [d["id"] for d in page.documents], page.total


INDEXES = ("s", Field("s", Kind.TEXT), Field("n", Kind.NUMBER), Field("d", Kind.DATE), Field("s", Kind.FOLDED),
           Field("b", Kind.BOOLEAN), Field("n", Kind.CAST_NUMBER), Field("s", Kind.LOWER))  # fmt: skip


@pytest.mark.parametrize("indexed", [False, True], ids=["plain", "indexed"])
def test_every_generated_query_matches_the_reference(backend: Backend, indexed: bool) -> None:
    docs = corpus()
    store = backend.tenant("t1")
    coll = store.collection("things", indexes=INDEXES if indexed else ())
    with store.transaction():
        for doc in docs:
            coll.insert(doc)
    # The collection as the backend stores it (JSON: NaN stays NaN, -0.0 stays -0.0).
    stored = coll.all()
    assert [d["id"] for d in stored] == [d["id"] for d in docs]
    queries = generated_queries()
    assert len(queries) > 1300
    mismatches = []
    for query in queries:
        got, want = ids(coll.query(query)), ids(run(stored, query))
        if got != want:
            mismatches.append((query, got, want))
    assert not mismatches, f"{len(mismatches)} of {len(queries)} differ; first: {mismatches[0]}"


# -- the rules, one by one ------------------------------------------------------------------------
@pytest.fixture
def things(backend: Backend) -> Any:
    coll = backend.tenant("t1").collection("things", indexes=(Field("n", Kind.NUMBER), "s"))
    for doc in (
        {"id": 1, "s": "b", "n": 2, "d": "05-01-2026"},
        {"id": 2, "s": "a", "n": "2", "d": "2025-12-31"},
        {"id": 3, "s": "B", "n": None, "d": "31-02-2026"},
        {"id": 4, "s": "á", "n": 10, "d": "01-01-2026"},
        {"id": 5, "n": 2.0, "d": None},
    ):
        coll.insert(doc)
    return coll


def listed(coll: Any, **query: Any) -> list[Any]:
    return [d["id"] for d in coll.query(Query(**query)).documents]


def test_a_value_not_of_the_kind_reads_as_null(things: Any) -> None:
    number = Field("n", Kind.NUMBER)
    assert listed(things, where=Compare(number, "=", 2)) == [1, 5]  # "2" is text, not a number
    assert listed(things, where=Compare(number, "!=", 2)) == [4]  # null matches no comparison
    assert listed(things, where=IsNull("n")) == [3]  # only a real null (or a missing field) is null
    assert listed(things, where=Compare(Field("n", Kind.CAST_NUMBER), "=", 2)) == [1, 2, 5]


def test_dates_compare_as_dates_in_either_format(things: Any) -> None:
    day = Field("d", Kind.DATE)
    assert listed(things, where=Compare(day, ">=", date(2026, 1, 1))) == [1, 4]
    assert listed(things, order=(Order(day),)) == [2, 4, 1, 3, 5]  # 31-02 is no date: null, last
    assert listed(things, order=(Order(day, descending=True),)) == [3, 5, 1, 4, 2]


def test_text_orders_by_code_point_and_folded_ignores_case_and_accents(things: Any) -> None:
    assert listed(things, where=NotNull("s"), order=(Order(Field("s")),)) == [3, 2, 1, 4]  # B < a < b < á
    assert listed(things, where=NotNull("s"), order=(Order(Field("s", Kind.FOLDED)),)) == [2, 4, 1, 3]
    assert listed(things, where=Compare(Field("s", Kind.FOLDED), "=", "A")) == [2, 4]
    assert listed(things, where=Like(Field("s"), "A")) == [2, 4]


def test_lower_orders_by_pythons_lower_case_text_by_code_point(backend: Backend) -> None:
    coll = backend.tenant("t1").collection("names", indexes=(Field("s", Kind.LOWER),))
    for n, value in enumerate(["Zoe", "Ángel", "ángel", "ΟΔΟΣ", "abc", 1e-05, True, 10, None, [1], "ABD"]):
        coll.insert({"id": n, "s": value})
    lower = Field("s", Kind.LOWER)
    # "ángel" sorts after "zoe" (code point of á), unlike FOLDED; a float reads as Python prints it.
    assert listed(coll, order=(Order(lower),)) == [7, 5, 4, 10, 6, 0, 1, 2, 3, 8, 9]
    assert listed(coll, where=Compare(lower, "=", "ÁNGEL")) == [1, 2]
    assert listed(coll, where=Compare(lower, "=", "οδος")) == [3]  # Python lowers a final Σ to ς
    assert listed(coll, where=Like(lower, "%e-05")) == [5]
    assert listed(coll, where=Like(lower, "angel")) == [1, 2]


def test_numbers_beyond_what_postgresql_holds_still_compare(backend: Backend) -> None:
    coll = backend.tenant("t1").collection("numbers")
    for n, value in enumerate([0, 1, -1, 1.5, 10**300, -(10**300), 1e-300]):
        coll.insert({"id": n, "n": value})
    number = Field("n", Kind.NUMBER)
    tiny = Decimal("1E-20000")
    precise = Decimal("1." + "0" * 20000 + "1")
    for value, op, want in [
        (Decimal("1E+200000"), "<", [0, 1, 2, 3, 4, 5, 6]), (Decimal("1E+200000"), "=", []),
        (Decimal("-1E+200000"), "<", []), (Decimal("-1E+200000"), "!=", [0, 1, 2, 3, 4, 5, 6]),
        (tiny, ">", [1, 3, 4, 6]), (tiny, "<=", [0, 2, 5]), (-tiny, ">=", [0, 1, 3, 4, 6]),
        (precise, ">", [3, 4]), (precise, ">=", [3, 4]), (precise, "<", [0, 1, 2, 5, 6]), (precise, "=", []),
        (Decimal("1." + "0" * 20000), "=", [1]), (Decimal("0E-99999"), "=", [0]),
    ]:  # fmt: skip
        assert listed(coll, where=Compare(number, op, value)) == want, (op, str(value)[:20])


def test_ties_keep_insertion_order_in_both_directions(things: Any) -> None:
    number = Field("n", Kind.NUMBER)
    assert listed(things, order=(Order(number),)) == [1, 5, 4, 2, 3]
    assert listed(things, order=(Order(number, descending=True),)) == [2, 3, 4, 1, 5]


def test_limit_offset_and_total(things: Any) -> None:
    page = things.query(Query(order=(Order(Field("n", Kind.NUMBER)),), limit=2, offset=1, count=True))
    assert [d["id"] for d in page.documents] == [5, 4] and page.total == 5
    assert things.query(Query(limit=0, count=True)).total == 5
    assert things.query(Query(offset=10, count=True)) == things.query(Query(offset=10, count=True))
    assert things.query(Query(offset=10, count=True)).documents == []
    assert things.query(Query()).total is None
    assert listed(things, where=Or()) == [] and listed(things, where=And()) == [1, 2, 3, 4, 5]


def test_pages_are_copies(things: Any) -> None:
    page = things.query(Query(where=Compare(Field("id", Kind.NUMBER), "=", 1)))
    page.documents[0]["s"] = "changed"
    assert things.get(1)["s"] == "b"


def test_queries_are_checked_when_built() -> None:
    with pytest.raises(TypeError):
        Compare(Field("n", Kind.NUMBER), "=", "2")
    with pytest.raises(TypeError):
        Compare(Field("n", Kind.NUMBER), "=", True)
    with pytest.raises(TypeError):
        Compare(Field("d", Kind.DATE), "=", datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        Compare(Field("n", Kind.NUMBER), "=", float("nan"))
    with pytest.raises(ValueError):
        Compare(Field("n"), "LIKE", "x")
    with pytest.raises(ValueError):
        Query(limit=-1)
    with pytest.raises(ValueError):
        Like(Field("n", Kind.CAST_NUMBER), "1%")


def test_fold_and_like() -> None:
    assert fold("Ávila ÑANDÚ straße ﬁn") == "avila nandu strasse fin"
    assert like("100% cafe", "100%") and not like("abc", "a_") and like("", "%")
    assert not like("a" * 30 + "b", "%a%a%a%a%a%a%a%a%c")
    assert [number_text(v) for v in (1, 1.5, 1e-05, 1.5e20, -0.0, 10**20)] == [
        "1", "1.5", "0.00001", "150000000000000000000", "0.0", "100000000000000000000"]  # fmt: skip

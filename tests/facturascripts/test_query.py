"""The list engine alone: operators, OR groups, sorting, paging, bad fields."""

import pytest

from facturas_sandbox.vendors.facturascripts.models import registry
from facturas_sandbox.vendors.facturascripts.query import FieldsNotAllowed, like, parse_query, run

ROWS = [
    {
        "codcliente": "1",
        "nombre": "Ferretería Ruiz",
        "cifnif": "B1",
        "riesgomax": 100,
        "debaja": False,
        "fechaalta": "05-01-2026",
        "email": None,
    },
    {
        "codcliente": "2",
        "nombre": "bar casa pepe",
        "cifnif": "B2",
        "riesgomax": 50.5,
        "debaja": True,
        "fechaalta": "20-12-2025",
        "email": "pepe@example.es",
    },
    {
        "codcliente": "10",
        "nombre": "100% Café",
        "cifnif": "B3",
        "riesgomax": None,
        "debaja": False,
        "fechaalta": "01-02-2026",
        "email": "cafe@example.es",
    },
]


def query(**params):
    return parse_query(list(params.items()))


def listed(items):
    model = registry()["clientes"]
    page, total = run(model, ROWS, parse_query(items))
    return [r["codcliente"] for r in page], total


@pytest.mark.parametrize(
    ("text", "pattern", "expected"),
    [
        ("Ferretería Ruiz", "%ruiz%", True),
        ("Ferretería Ruiz", "ferr%", True),
        ("Ferretería Ruiz", "%ferr", False),
        ("abc", "a_c", True),
        ("abc", "a_", False),
        ("a.*(b", "%.*(%", True),  # regex metacharacters are plain text
        ("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "%a%a%a%a%a%a%a%a%c", False),
        ("", "%", True),
    ],
)
def test_like_is_sql_like_without_regex(text, pattern, expected):
    assert like(text, pattern) is expected


def test_equality_and_comparisons():
    assert listed([("filter[codcliente]", "2")]) == (["2"], 1)
    assert listed([("filter[riesgomax_gt]", "50.5")]) == (["1"], 1)
    assert listed([("filter[riesgomax_gte]", "50.5")]) == (["1", "2"], 2)
    assert listed([("filter[riesgomax_lt]", "100")]) == (["2"], 1)
    assert listed([("filter[riesgomax_lte]", "100")]) == (["1", "2"], 2)
    # SQL: NULL is neither equal nor unequal to anything.
    assert listed([("filter[riesgomax_neq]", "100")]) == (["2"], 1)


def test_dates_compare_as_dates_in_either_format():
    assert listed([("filter[fechaalta_gte]", "01-01-2026")]) == (["1", "10"], 2)
    assert listed([("filter[fechaalta_lt]", "2026-01-01")]) == (["2"], 1)


def test_like_wraps_in_percent_and_ignores_case():
    assert listed([("filter[nombre_like]", "CASA")]) == (["2"], 1)
    assert listed([("filter[nombre_like]", "100%")]) == (["10"], 1)
    assert listed([("filter[nombre_like]", "(.*")]) == ([], 0)


def test_null_and_notnull_ignore_the_value():
    assert listed([("filter[email_null]", "whatever")]) == (["1"], 1)
    assert listed([("filter[email_notnull]", "")]) == (["10", "2"], 2)
    assert listed([("filter[email_is]", "null")]) == (["1"], 1)
    assert listed([("filter[email_isnot]", "null")]) == (["10", "2"], 2)


def test_booleans_filter_by_sql_literals():
    assert listed([("filter[debaja]", "true")]) == (["2"], 1)
    assert listed([("filter[debaja]", "0")]) == (["1", "10"], 2)


def test_operation_or_joins_with_sql_precedence():
    items = [("filter[codcliente]", "1"), ("filter[nombre_like]", "pepe"), ("operation[nombre_like]", "OR")]
    assert listed(items) == (["1", "2"], 2)
    # a AND b OR c: (codcliente=1 AND debaja=true) OR nombre like café
    items = [
        ("filter[codcliente]", "1"),
        ("filter[debaja]", "1"),
        ("filter[nombre_like]", "café"),
        ("operation[nombre_like]", "OR"),
    ]
    assert listed(items) == (["10"], 1)


def test_sort_default_pk_desc_and_prefixes():
    assert listed([])[0] == ["1", "10", "2"]  # text primary key
    assert listed([("sort[integer:codcliente]", "ASC")])[0] == ["1", "2", "10"]
    assert listed([("sort[riesgomax]", "DESC")])[0] == ["10", "1", "2"]  # NULL first when descending
    assert listed([("sort[riesgomax]", "anything")])[0] == ["2", "1", "10"]
    assert listed([("sort[lower:nombre]", "ASC")])[0] == ["10", "2", "1"]


def test_limit_offset_and_total():
    assert listed([("limit", "1"), ("offset", "1")]) == (["10"], 3)
    assert listed([("limit", "0"), ("offset", "2")]) == (["1", "10", "2"], 3)
    assert listed([("limit", "-1")]) == (["1", "10", "2"], 3)


def test_unknown_and_hidden_fields_are_refused_together():
    model = registry()["clientes"]
    with pytest.raises(FieldsNotAllowed) as info:
        run(model, ROWS, parse_query([("sort[nope]", "ASC"), ("filter[bogus_like]", "x"), ("filter[a b]", "1")]))
    assert str(info.value) == "api: fields not allowed: nope, bogus, a b"
    keys = registry()["apikeyes"]
    with pytest.raises(FieldsNotAllowed):
        run(keys, [], parse_query([("filter[apikey]", "x")]))

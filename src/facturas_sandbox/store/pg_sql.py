"""Documents as PostgreSQL rows, and `store.query` descriptions as SQL.

A document is stored three times over in one row: `raw`, its exact JSON text, which is what
reads return (jsonb would reorder keys, and cannot hold U+0000 or NaN);
`body`, the same as jsonb for queries; and `folded`, `fold()` of each top-level string, so
that LIKE and case-insensitive order use the very same folding in Python and in SQL.

Field names and collection names are SQL literals in the statement text, not parameters:
an expression index (`body -> 'status'`, partial on `collection = 'fv_invoices'`) is used only
when the query spells the same expression. They come from vendor code, never from a request,
and are quoted here anyway.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .base import UnstorableText
from .query import (
    JSON_EQUALITY_KINDS,
    And,
    Compare,
    Field,
    Filter,
    IsNull,
    Kind,
    Like,
    NotNull,
    Or,
    Order,
    comparison_value,
    fold,
)

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_SURROGATE = re.compile("[\ud800-\udfff]")


# -- codec ------------------------------------------------------------------------------------
def clean_text(text: str) -> str:
    """Text PostgreSQL can hold: U+0000 and lone surrogates become U+FFFD."""
    return _UNSTORABLE.sub("\ufffd", text) if _UNSTORABLE.search(text) else text


def _storable(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {(clean_text(k) if isinstance(k, str) else k): _storable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_storable(v) for v in value]
    return value


def _dumps(value: Any, *, ascii_only: bool = False) -> str:
    return json.dumps(value, ensure_ascii=ascii_only, separators=(",", ":"))


def encode(doc: Mapping[str, Any], where: str) -> tuple[str, str, str]:
    """(raw, body, folded) JSON texts of a document; TypeError if it is not JSON, UnstorableText
    if it holds a lone surrogate."""
    try:
        raw = _dumps(doc)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"{where}: the document is not JSON ({exc})") from exc
    if _SURROGATE.search(raw):
        # Not text at all (half of a UTF-16 pair): refused as the TinyDB backend refuses it,
        # so both backends keep exactly the same documents.
        raise UnstorableText(f"{where}: the document holds a lone surrogate, which is not text")
    body = raw
    needs_cleaning = "\\u0000" in raw or "NaN" in raw or "Infinity" in raw
    if needs_cleaning:
        body = json.dumps(_storable(doc), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    folded = {clean_text(k): clean_text(fold(v)) for k, v in doc.items() if isinstance(k, str) and isinstance(v, str)}
    return raw, body, _dumps(folded)


def decode(raw: str) -> dict[str, Any]:
    return json.loads(raw)


def json_param(value: Any) -> str:
    """A value as jsonb parameter text, cleaned as `body` is."""
    return json.dumps(_storable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_number)


def _number(value: Any) -> Any:
    from decimal import Decimal

    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{value!r} is not JSON")


def literal(text: str) -> str:
    """A standard SQL string literal; `%` doubled for psycopg's placeholders."""
    return "'" + clean_text(text).replace("'", "''").replace("%", "%%") + "'"


# -- fields -----------------------------------------------------------------------------------
def json_of(name: str) -> str:
    return f"(body -> {literal(name)})"


def _typed_json(name: str, json_type: str) -> str:
    return f"CASE WHEN jsonb_typeof(body -> {literal(name)}) = '{json_type}' THEN"


def reading(field: Field, schema: str) -> str:
    """The SQL of `store.query.read(field, doc)`: a typed value, or NULL."""
    name = field.name
    lit = literal(name)
    kind = field.kind
    if kind is Kind.TEXT:
        return f'(({_typed_json(name, "string")} body ->> {lit} END) COLLATE "C")'
    if kind is Kind.FOLDED:
        return f'((folded ->> {lit}) COLLATE "C")'
    if kind is Kind.NUMBER:
        return f"({_typed_json(name, 'number')} (body -> {lit})::numeric END)"
    if kind is Kind.BOOLEAN:
        return f"({_typed_json(name, 'boolean')} (body -> {lit})::boolean END)"
    if kind is Kind.CAST_NUMBER:
        return f"{schema}.cast_number(body -> {lit})"
    text = f"({_typed_json(name, 'string')} body ->> {lit} END)"
    if kind is Kind.DATE:
        return f"{schema}.date_of({text})"
    if kind is Kind.DATETIME:
        return f"{schema}.timestamp_of({text})"
    return f"{schema}.clock({text})"


def like_text(field: Field, schema: str) -> str:
    """The SQL of `store.query.like_text`."""
    name = field.name
    kind = field.kind
    if kind in (Kind.TEXT, Kind.FOLDED):
        return reading(Field(name, Kind.FOLDED), schema)
    if kind is Kind.NUMBER:
        return f'(({_typed_json(name, "number")} body ->> {literal(name)} END) COLLATE "C")'
    if kind is Kind.BOOLEAN:
        return f'(({_typed_json(name, "boolean")} body ->> {literal(name)} END) COLLATE "C")'
    if kind is Kind.DATE:
        return f"(to_char({reading(field, schema)}, 'YYYY-MM-DD') COLLATE \"C\")"
    if kind is Kind.DATETIME:
        return f"(to_char({reading(field, schema)}, 'YYYY-MM-DD HH24:MI:SS') COLLATE \"C\")"
    return f'(({reading(field, schema)})::text COLLATE "C")'


_CASTS = {
    Kind.TEXT: "text",
    Kind.FOLDED: "text",
    Kind.NUMBER: "numeric",
    Kind.CAST_NUMBER: "numeric",
    Kind.BOOLEAN: "boolean",
    Kind.DATE: "date",
    Kind.DATETIME: "timestamp",
    Kind.TIME: "time",
}
_SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


# -- filters ----------------------------------------------------------------------------------
def where(term: Filter | None, schema: str, key: str, params: list[Any]) -> str:
    """SQL for a filter, appending its parameters to `params`."""
    if term is None:
        return "TRUE"
    if isinstance(term, And):
        return "(" + " AND ".join(where(t, schema, key, params) for t in term.terms) + ")" if term.terms else "TRUE"
    if isinstance(term, Or):
        return "(" + " OR ".join(where(t, schema, key, params) for t in term.terms) + ")" if term.terms else "FALSE"
    if isinstance(term, IsNull):
        return f"(COALESCE({json_of(term.name)}, 'null') = 'null')"
    if isinstance(term, NotNull):
        return f"(COALESCE({json_of(term.name)}, 'null') <> 'null')"
    if isinstance(term, Like):
        params.append(clean_text(fold(term.pattern)))
        return f"({like_text(term.field, schema)} LIKE %s ESCAPE '')"
    assert isinstance(term, Compare)
    value = comparison_value(term)
    if term.op == "=" and term.field.kind in JSON_EQUALITY_KINDS:
        # JSON equality implies the JSON type, and the plain `body -> name` index serves it.
        # A decimal's own text is a JSON number (1E+2 too): exact, where a float would round.
        params.append(str(value) if term.field.kind is Kind.NUMBER else json_param(value))
        column = "key" if term.field.name == key else json_of(term.field.name)
        return f"({column} = %s::jsonb)"
    params.append(clean_text(value) if isinstance(value, str) else value)
    return f"({reading(term.field, schema)} {_SQL_OPERATORS[term.op]} %s::{_CASTS[term.field.kind]})"


def order_by(order: tuple[Order, ...], schema: str) -> str:
    steps = [f"{reading(o.field, schema)}{' DESC' if o.descending else ''}" for o in order]
    return ", ".join([*steps, "seq"])


def equals(fields: Mapping[str, Any], key: str, params: list[Any]) -> str:
    """SQL of `find(**fields)`: Python's `==` on JSON values (missing equals None, 1 equals
    1.0, and, as in Python, True equals 1)."""
    clauses = []
    for name, value in fields.items():
        column = "key" if name == key else json_of(name)
        if value is None:
            clauses.append(f"(COALESCE({column}, 'null') = 'null')")
            continue
        forms = [json_param(value)]
        if isinstance(value, bool) or (isinstance(value, (int, float)) and value in (0, 1)):
            forms = [json_param(bool(value)), json_param(int(value))]
        params.append(forms)
        clauses.append(f"({column} = ANY(%s::jsonb[]))")
    return " AND ".join(clauses) or "TRUE"


# -- indexes ----------------------------------------------------------------------------------
def index_definitions(collection: str, spec: str | Field, schema: str) -> list[tuple[str, str]]:
    """(name, expression) of the indexes a collection's `indexes=` entry asks for: JSON
    equality on the field, and, for a `Field`, its typed reading (ranges and order)."""
    field = spec if isinstance(spec, Field) else Field(spec, Kind.TEXT)
    expressions = [json_of(field.name)]
    if isinstance(spec, Field):
        expressions.append(reading(field, schema))
    out = []
    for expression in dict.fromkeys(expressions):
        digest = hashlib.sha256(f"{collection}\x1f{expression}".encode()).hexdigest()[:20]
        out.append((f"documents_{digest}", expression))
    return out

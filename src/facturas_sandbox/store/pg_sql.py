"""Documents as PostgreSQL rows, and `store.query` descriptions as SQL.

A document is stored three times over in one row: `raw`, its exact JSON text, which is what
reads return (jsonb would reorder keys, and cannot hold U+0000 or NaN);
`body`, the same as jsonb for queries; and `folded`, `fold()` of each top-level string, so
that LIKE and case-insensitive order use the very same folding in Python and in SQL. Beside
them `lowered` holds Kind.LOWER's text of the top-level scalars whose Python text SQL cannot
derive itself (`lower()` under "C" lowers ASCII only; a float's Python text may be 1e-05):
only those, so a row of ASCII text and plain numbers carries an empty object.

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
from decimal import ROUND_CEILING, ROUND_FLOOR, Context, Decimal
from typing import Any

from . import query as sq
from .base import UnstorableText
from .query import JSON_EQUALITY_KINDS, Field, Kind, Order, comparison_value, fold, lower_text, number_text

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


def encode(doc: Mapping[str, Any], where: str) -> tuple[str, str, str, str]:
    """(raw, body, folded, lowered) JSON texts of a document; TypeError if it is not JSON,
    UnstorableText if it holds a lone surrogate."""
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
    return raw, body, _dumps(folded), _dumps(lowered(doc))


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def lowered(doc: Mapping[str, Any]) -> dict[str, str]:
    """The `lowered` column: Kind.LOWER's text of each top-level value where SQL's own
    derivation (`sql_lower` below) would give another."""
    out = {}
    for name, value in doc.items():
        text = lower_text(value)
        if text is None or not isinstance(name, str):
            continue
        text = clean_text(text)
        if isinstance(value, str):
            derived = clean_text(value).translate(_ASCII_LOWER)
        elif isinstance(value, float):
            derived = number_text(value)
        else:
            continue  # an int's or a boolean's text is the same in both
        if text != derived:
            out[clean_text(name)] = text
    return out


def decode(raw: str) -> dict[str, Any]:
    return json.loads(raw)


def json_param(value: Any) -> str:
    """A value as jsonb parameter text, cleaned as `body` is."""
    return json.dumps(_storable(value), ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_number)


def _number(value: Any) -> Any:
    if isinstance(value, Decimal) and value.is_finite():
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{value!r} is not JSON")


def literal(text: str) -> str:
    """A standard SQL string literal; `%` doubled for psycopg's placeholders."""
    return "'" + clean_text(text).replace("'", "''").replace("%", "%%") + "'"


# -- fields -----------------------------------------------------------------------------------
def json_of(name: str) -> str:
    return f"(body -> {literal(name)})"


def _source(name: str, key: str | None) -> tuple[str, str]:
    """(jsonb, text) SQL of a field: the `key` column for the collection's key field (the
    schema's key indexes serve its order), else the body's."""
    if name == key:
        return "key", "key #>> '{}'"
    lit = literal(name)
    return f"body -> {lit}", f"body ->> {lit}"


def _typed(json: str, json_type: str, then: str) -> str:
    return f"CASE WHEN jsonb_typeof({json}) = '{json_type}' THEN {then} END"


def _typed_text(name: str, json_type: str, key: str | None) -> str:
    """The field's text when its JSON is of `json_type`, compared by code point."""
    json, text = _source(name, key)
    return f'(({_typed(json, json_type, text)}) COLLATE "C")'


def reading(field: Field, schema: str, key: str | None = None) -> str:
    """The SQL of `store.query.read(field, doc)`: a typed value, or NULL."""
    name = field.name
    kind = field.kind
    json, text = _source(name, key)
    if kind is Kind.TEXT:
        return _typed_text(name, "string", key)
    if kind is Kind.FOLDED:
        return f'((folded ->> {literal(name)}) COLLATE "C")'
    if kind is Kind.LOWER:
        # `lowered` holds what the CASE cannot derive; "C" makes lower() touch ASCII only.
        derived = (
            f"CASE jsonb_typeof({json}) WHEN 'string' THEN lower(({text}) COLLATE \"C\") "
            f"WHEN 'number' THEN {text} WHEN 'boolean' THEN {text} END"
        )
        return f'(COALESCE(lowered ->> {literal(name)}, {derived}) COLLATE "C")'
    if kind is Kind.NUMBER:
        return f"({_typed(json, 'number', f'({json})::numeric')})"
    if kind is Kind.BOOLEAN:
        return f"({_typed(json, 'boolean', f'({json})::boolean')})"
    if kind is Kind.CAST_NUMBER:
        return f"{schema}.cast_number({json})"
    string = f"({_typed(json, 'string', text)})"
    if kind is Kind.DATE:
        return f"{schema}.date_of({string})"
    if kind is Kind.DATETIME:
        return f"{schema}.timestamp_of({string})"
    return f"{schema}.clock({string})"


def like_text(field: Field, schema: str, key: str | None = None) -> str:
    """The SQL of `store.query.like_text`."""
    name = field.name
    kind = field.kind
    if kind in (Kind.TEXT, Kind.FOLDED):
        return reading(Field(name, Kind.FOLDED), schema, key)
    if kind is Kind.LOWER:
        json, _ = _source(name, key)
        folded = reading(Field(name, Kind.FOLDED), schema, key)
        return f"(CASE WHEN jsonb_typeof({json}) = 'string' THEN {folded} ELSE {reading(field, schema, key)} END)"
    if kind is Kind.NUMBER:
        return _typed_text(name, "number", key)
    if kind is Kind.BOOLEAN:
        return _typed_text(name, "boolean", key)
    if kind is Kind.DATE:
        return f"(to_char({reading(field, schema, key)}, 'YYYY-MM-DD') COLLATE \"C\")"
    if kind is Kind.DATETIME:
        return f"(to_char({reading(field, schema, key)}, 'YYYY-MM-DD HH24:MI:SS') COLLATE \"C\")"
    return f'(({reading(field, schema, key)})::text COLLATE "C")'


_CASTS = {
    Kind.TEXT: "text",
    Kind.FOLDED: "text",
    Kind.LOWER: "text",
    Kind.NUMBER: "numeric",
    Kind.CAST_NUMBER: "numeric",
    Kind.BOOLEAN: "boolean",
    Kind.DATE: "date",
    Kind.DATETIME: "timestamp",
    Kind.TIME: "time",
}
_SQL_OPERATORS = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


# -- filters ----------------------------------------------------------------------------------
def where(term: sq.Filter | None, schema: str, key: str, params: list[Any]) -> str:
    """SQL for a filter, appending its parameters to `params`."""
    if term is None:
        return "TRUE"
    if isinstance(term, (sq.And, sq.Or)):
        joiner, empty = (" AND ", "TRUE") if isinstance(term, sq.And) else (" OR ", "FALSE")
        return "(" + joiner.join(where(t, schema, key, params) for t in term.terms) + ")" if term.terms else empty
    if isinstance(term, (sq.IsNull, sq.NotNull)):
        column = "key" if term.name == key else json_of(term.name)
        return f"(COALESCE({column}, 'null') {'=' if isinstance(term, sq.IsNull) else '<>'} 'null')"
    if isinstance(term, sq.Like):
        params.append(clean_text(fold(term.pattern)))
        return f"({like_text(term.field, schema, key)} LIKE %s ESCAPE '')"
    value = comparison_value(term)
    op: str = term.op
    field = term.field
    if isinstance(value, Decimal):
        within = numeric_bounds(op, value)
        if isinstance(within, bool):  # no stored number is that large, or that precise
            return f"({reading(field, schema, key)} IS NOT NULL)" if within else "FALSE"
        op, value = within
    if op == "=" and field.kind in JSON_EQUALITY_KINDS:
        # JSON equality implies the JSON type, and the plain `body -> name` index serves it.
        # A decimal's own text is a JSON number (1E+2 too): exact, where a float would round.
        params.append(str(value) if field.kind is Kind.NUMBER else json_param(value))
        column = "key" if field.name == key else json_of(field.name)
        return f"({column} = %s::jsonb)"
    params.append(clean_text(value) if isinstance(value, str) else value)
    return f"({reading(field, schema, key)} {_SQL_OPERATORS[op]} %s::{_CASTS[field.kind]})"


# PostgreSQL's numeric holds at most this many digits before and after the point: no stored
# number has more, and a comparison value with more does not even parse.
_NUMERIC_INTEGER_DIGITS = 131072
_NUMERIC_FRACTION_DIGITS = 16383


def numeric_bounds(op: str, value: Decimal) -> tuple[str, Decimal] | bool:
    """`x op value` for every number x PostgreSQL can hold, as a comparison numeric can parse:
    (op, value), else True (every number) or False (none)."""
    if value.is_zero():
        return op, Decimal(0)
    if value.adjusted() >= _NUMERIC_INTEGER_DIGITS:  # beyond every x
        below = value > 0
        return {"=": False, "!=": True}.get(op, below == (op in ("<", "<=")))
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)  # a finite decimal
    if exponent >= -_NUMERIC_FRACTION_DIGITS:
        return op, value
    # More fractional digits than any x has: no x equals it, and x < value iff x <= its floor.
    context = Context(prec=max(1, value.adjusted() + 1) + _NUMERIC_FRACTION_DIGITS + 1)
    step = Decimal(1).scaleb(-_NUMERIC_FRACTION_DIGITS)
    floor = value.quantize(step, rounding=ROUND_FLOOR, context=context)
    ceiling = value.quantize(step, rounding=ROUND_CEILING, context=context)
    if floor == value:  # only trailing zeros beyond the limit
        return op, floor
    if op in ("=", "!="):
        return op == "!="
    return ("<=", floor) if op in ("<", "<=") else (">=", ceiling)


def order_by(order: tuple[Order, ...], schema: str, key: str | None = None) -> str:
    steps = [f"{reading(o.field, schema, key)}{' DESC' if o.descending else ''}" for o in order]
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

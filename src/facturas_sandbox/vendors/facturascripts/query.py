"""List semantics of FacturaScripts' model resources (Core/Lib/API/APIModel.php::listAll).

`filter[key]=value` with operator suffixes, `operation[key]=OR`, `sort[field]=ASC|DESC`,
`limit`/`offset`. Comparisons follow SQL: a NULL column matches no comparison but IS NULL,
and AND binds tighter than OR. `_like` is accent- and case-insensitive as the collation of a
new installation. A listing becomes one `store.query.Query` (filters, order, limit, offset and
the count for X-Total-Count) which the collection runs where its data is, in SQL on
PostgreSQL; the column's own parsing (`models.Column`) turns each filter value into the typed
value the store compares with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

from ...store import query as store_query
from ...store.query import And, Compare, Field, Filter, IsNull, Kind, Like, NotNull, Operator, Or, Order, Page, Query
from .models import Column, InvalidValue, Model

_IDENTIFIER = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*(?:\.[a-zA-Z_][a-zA-Z0-9_]*)?$")
_BRACKET = re.compile(r"^([A-Za-z0-9_]+)\[([^\[\]]*)\]$")
SORT_PREFIXES = ("integer:", "lower:", "upper:")


class FieldsNotAllowed(Exception):
    def __init__(self, fields: list[str]) -> None:
        unique = list(dict.fromkeys(fields))
        super().__init__("api: fields not allowed: " + ", ".join(unique))


@dataclass(frozen=True)
class Clause:
    column: Column
    operator: str  # = != > >= < <= LIKE IS IS NOT
    value: Any
    joiner: str  # AND | OR: how this clause joins the ones before it


@dataclass(frozen=True)
class ListQuery:
    filters: dict[str, str]
    operations: dict[str, str]
    sort: dict[str, str]
    limit: int
    offset: int


def _php_int(value: str | None, default: int) -> int:
    # PHP's (int) cast: leading digits count, anything else is 0.
    if value is None:
        return default
    match = re.match(r"^\s*([+-]?\d+)", value)
    return int(match.group(1)) if match else 0


def parse_query(items: Iterable[tuple[str, str]]) -> ListQuery:
    """PHP's parsing of `a[b]=c` query keys into arrays; the last duplicate wins."""
    arrays: dict[str, dict[str, str]] = {"filter": {}, "operation": {}, "sort": {}}
    plain: dict[str, str] = {}
    for key, value in items:
        match = _BRACKET.match(key)
        if match and match.group(1) in arrays:
            arrays[match.group(1)][match.group(2)] = value
        else:
            plain[key] = value
    return ListQuery(
        filters=arrays["filter"],
        operations=arrays["operation"],
        sort=arrays["sort"],
        limit=_php_int(plain.get("limit"), 50),
        offset=_php_int(plain.get("offset"), 0),
    )


def _split_key(key: str) -> tuple[str, str, bool]:
    """(field, operator, value_is_ignored) in the server's order of suffix checks."""
    field, operator, ignore = key, "=", False
    for suffix, op in (("_gt", ">"), ("_is", "IS"), ("_lt", "<")):
        if key.endswith(suffix):
            field, operator = key[: -len(suffix)], op
    for suffix, op in (("_gte", ">="), ("_lte", "<="), ("_neq", "!=")):
        if key.endswith(suffix):
            field, operator = key[: -len(suffix)], op
    if key.endswith("_null"):
        field, operator, ignore = key[:-5], "IS", True
    elif key.endswith("_notnull"):
        field, operator, ignore = key[:-8], "IS NOT", True
    if key.endswith("_like"):
        field, operator = key[:-5], "LIKE"
    elif key.endswith("_isnot"):
        field, operator = key[:-6], "IS NOT"
    return field, operator, ignore


def _column_for(model: Model, field: str) -> Column | None:
    if not _IDENTIFIER.match(field):
        return None
    name = field.split(".", 1)[1] if "." in field else field
    column = model.columns.get(name)
    if column is None or column.hidden:
        return None
    return column


def plan(model: Model, query: ListQuery) -> tuple[list[Clause], list[tuple[Column, str, bool]]]:
    """The where clauses and the sort order; every unknown or hidden field at once (400)."""
    bad: list[str] = []
    order = _sort_columns(model, query.sort, bad)
    clauses = []
    for key, value in query.filters.items():
        field, operator, ignore = _split_key(key)
        column = _column_for(model, field)
        if column is None:
            bad.append(field)
            continue
        joiner = "OR" if query.operations.get(key, "AND").upper() == "OR" else "AND"
        clauses.append(Clause(column, operator, None if ignore else value, joiner))
    if bad:
        raise FieldsNotAllowed(bad)
    return clauses, order


def _sort_columns(model: Model, sort: dict[str, str], bad: list[str]) -> list[tuple[Column, str, bool]]:
    out = []
    for key, direction in sort.items():
        field, prefix = key, ""
        for candidate in SORT_PREFIXES:
            if field.startswith(candidate):
                field, prefix = field[len(candidate) :], candidate
                break
        column = _column_for(model, field)
        if column is None:
            bad.append(key)
            continue
        out.append((column, prefix, direction.upper() == "DESC"))
    return out


# -- the store query ------------------------------------------------------------------------------
def like(text: str, pattern: str) -> bool:
    """SQL LIKE under the collation of a new installation (MySQL's utf8mb4_unicode_ci): accents
    and case ignored (`cafe` finds `Café`), `%` any run, `_` one character; the store's folding
    and matcher, never a regex."""
    return store_query.like(store_query.fold(text), store_query.fold(pattern))


_SQL_FALSE = {"false", "f", "0", "no", "n", "off"}
_SQL_TRUE = {"true", "t", "1", "yes", "y", "on"}
# How the store reads a column of each kind. LIKE reads a number as Python prints it (1e-05),
# which is the LOWER reading's text of a number.
_KINDS = {"string": Kind.TEXT, "integer": Kind.NUMBER, "number": Kind.NUMBER, "boolean": Kind.BOOLEAN,
          "date": Kind.DATE, "datetime": Kind.DATETIME, "time": Kind.TIME}  # fmt: skip
_LIKE_KINDS = {**_KINDS, "integer": Kind.LOWER, "number": Kind.LOWER}
_SORT_KINDS = {"integer:": Kind.CAST_NUMBER, "lower:": Kind.LOWER, "upper:": Kind.LOWER}


def _comparable(column: Column, value: Any) -> Any:
    """A filter value as the column's type (None: an empty date), or raise InvalidValue."""
    kind = column.kind
    if kind == "boolean":
        text = str(value).strip().lower()
        if text in _SQL_TRUE:
            return True
        if text in _SQL_FALSE:
            return False
        raise InvalidValue(text)
    if kind in ("integer", "number"):
        try:
            number = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise InvalidValue(str(value)) from exc
        if not number.is_finite():
            raise InvalidValue(str(value))
        return number
    if kind in ("date", "datetime", "time"):
        return column.sort_key(column.coerce(value))
    return str(value)


def _is_null_literal(value: Any) -> bool:
    return value is None or str(value).strip().lower() in ("null", "")


def _term(clause: Clause) -> Filter:
    """One clause as a store filter, with SQL's three-valued logic: a NULL column matches no
    comparison, and `IS NOT value` (not `!=`) also matches it."""
    column, op, value = clause.column, clause.operator, clause.value
    field = Field(column.name, _KINDS[column.kind])
    if op == "LIKE":
        pattern = str(value)
        return Like(Field(column.name, _LIKE_KINDS[column.kind]), pattern if "%" in pattern else f"%{pattern}%")
    if op in ("IS", "IS NOT") and _is_null_literal(value):
        return IsNull(column.name) if op == "IS" else NotNull(column.name)
    try:
        wanted = _comparable(column, value)
    except InvalidValue:  # a value the column cannot hold: equal to nothing
        return And() if op == "IS NOT" else Or()
    if wanted is None:  # an empty date: equal to no date, unequal to every date, not ordered
        return NotNull(column.name) if op == "!=" else Or()
    if op == "IS":
        return Compare(field, "=", wanted)
    if op == "IS NOT":
        return Or(IsNull(column.name), Compare(field, "!=", wanted))
    return Compare(field, _OPERATORS[op], wanted)


_OPERATORS: dict[str, Operator] = {"=": "=", "!=": "!=", ">": ">", ">=": ">=", "<": "<", "<=": "<="}


def to_store_query(model: Model, listing: ListQuery) -> Query:
    """The listing as one store query: `a AND b OR c AND d` is OR of AND-groups, as SQL binds
    it; no sort is the primary key's order; a limit of 0 or less is every row, from the first."""
    clauses, order = plan(model, listing)
    groups: list[list[Filter]] = [[]]
    for index, clause in enumerate(clauses):
        if index > 0 and clause.joiner == "OR":
            groups.append([])
        groups[-1].append(_term(clause))
    steps = tuple(
        Order(Field(column.name, _SORT_KINDS.get(prefix) or _KINDS[column.kind]), descending)
        for column, prefix, descending in order or [(model.pk_column, "", False)]
    )
    paged = listing.limit > 0
    return Query(
        # One AND-group stays an And, whose equalities TinyDB's hash indexes narrow by.
        where=None if not clauses else And(*groups[0]) if len(groups) == 1 else Or(*(And(*g) for g in groups)),
        order=steps,
        limit=listing.limit if paged else None,
        offset=max(listing.offset, 0) if paged else 0,
        count=True,
    )


class Queryable(Protocol):
    def query(self, query: Query) -> Page: ...


def run(
    model: Model, source: Queryable | Sequence[dict[str, Any]], listing: ListQuery
) -> tuple[list[dict[str, Any]], int]:
    """The page of records and the total count before limit/offset (X-Total-Count), from a
    collection, or from rows in insertion order by the store's own semantics."""
    query = to_store_query(model, listing)
    page = store_query.run(list(source), query) if isinstance(source, Sequence) else source.query(query)
    assert page.total is not None  # the query counts
    return page.documents, page.total

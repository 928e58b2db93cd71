"""List semantics of FacturaScripts' model resources (Core/Lib/API/APIModel.php::listAll).

`filter[key]=value` with operator suffixes, `operation[key]=OR`, `sort[field]=ASC|DESC`,
`limit`/`offset`. Comparisons follow SQL: a NULL column matches no comparison but IS NULL,
and AND binds tighter than OR. `_like` is matched by a small wildcard matcher, accent- and
case-insensitive as the collation of a new installation: user input is never compiled into a
regular expression.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from ...store import query as store_query
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


# -- evaluation ---------------------------------------------------------------------------------
def like(text: str, pattern: str) -> bool:
    """SQL LIKE under the collation of a new installation (MySQL's utf8mb4_unicode_ci): accents
    and case ignored (`cafe` finds `Café`), `%` any run, `_` one character; the store's folding
    and matcher, never a regex."""
    return store_query.like(store_query.fold(text), store_query.fold(pattern))


_SQL_FALSE = {"false", "f", "0", "no", "n", "off"}
_SQL_TRUE = {"true", "t", "1", "yes", "y", "on"}


def _comparable(column: Column, value: Any) -> Any:
    """A filter value as the column's type, or raise InvalidValue (matches nothing)."""
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


def _db_text(column: Column, value: Any) -> str:
    """The database's text form of a stored value, which LIKE sees (dates as Y-m-d)."""
    key = column.sort_key(value)
    if isinstance(key, datetime):
        return f"{key.date().isoformat()} {key.hour:02d}:{key.minute:02d}:{key.second:02d}"
    if isinstance(key, date):
        return key.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_null_literal(value: Any) -> bool:
    return value is None or str(value).strip().lower() in ("null", "")


def evaluate(clause: Clause, record: dict[str, Any]) -> bool:
    stored = record.get(clause.column.name)
    op = clause.operator
    if op == "IS":
        return stored is None if _is_null_literal(clause.value) else _equals(clause, stored)
    if op == "IS NOT":
        return stored is not None if _is_null_literal(clause.value) else not _equals(clause, stored)
    if stored is None:
        return False  # SQL: NULL compared with anything is unknown
    if op == "LIKE":
        pattern = str(clause.value)
        if "%" not in pattern:
            pattern = f"%{pattern}%"
        return like(_db_text(clause.column, stored), pattern)
    try:
        wanted = _comparable(clause.column, clause.value)
    except InvalidValue:
        return False
    have = clause.column.sort_key(stored)
    if clause.column.kind == "string":
        have = str(stored)
    try:
        if op == "=":
            return have == wanted
        if op == "!=":
            return have != wanted
        if op == ">":
            return have > wanted
        if op == ">=":
            return have >= wanted
        if op == "<":
            return have < wanted
        if op == "<=":
            return have <= wanted
    except TypeError:
        return False
    return False


def _equals(clause: Clause, stored: Any) -> bool:
    if stored is None:
        return False
    try:
        return clause.column.sort_key(stored) == _comparable(clause.column, clause.value)
    except InvalidValue:
        return False


def matches(clauses: list[Clause], record: dict[str, Any]) -> bool:
    """`a AND b OR c AND d` as SQL reads it: OR of AND-groups."""
    if not clauses:
        return True
    groups: list[list[Clause]] = [[]]
    for index, clause in enumerate(clauses):
        if index > 0 and clause.joiner == "OR":
            groups.append([])
        groups[-1].append(clause)
    return any(all(evaluate(c, record) for c in group) for group in groups)


def _sort(model: Model, records: list[dict[str, Any]], order: list[tuple[Column, str, bool]]) -> list[dict[str, Any]]:
    if not order:
        order = [(model.pk_column, "", False)]
    out = list(records)
    for column, prefix, descending in reversed(order):

        def key(record: dict[str, Any], column: Column = column, prefix: str = prefix) -> tuple[int, Any]:
            value = record.get(column.name)
            if value is None:
                return (1, "")
            if prefix == "integer:":
                try:
                    return (0, Decimal(str(value)))
                except InvalidOperation:
                    return (0, Decimal(0))
            if prefix in ("lower:", "upper:"):
                return (0, str(value).lower())
            sort_key = column.sort_key(value)
            return (0, sort_key)

        # PostgreSQL order: NULLs last ascending, first descending.
        out.sort(key=key, reverse=descending)
    return out


def run(model: Model, records: list[dict[str, Any]], query: ListQuery) -> tuple[list[dict[str, Any]], int]:
    """The page of records and the total count before limit/offset."""
    clauses, order = plan(model, query)
    found = [r for r in records if matches(clauses, r)]
    found = _sort(model, found, order)
    total = len(found)
    if query.limit > 0:
        offset = max(query.offset, 0)
        found = found[offset : offset + query.limit]
    return found, total

"""The list engine FacturaScripts' lists ran on before they became store queries: rows in
Python, filtered clause by clause, sorted and sliced. Kept as the oracle the store queries
are compared with (tests/store/test_fs_listing.py); nothing in the sandbox runs it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from facturas_sandbox.vendors.facturascripts.models import Column, InvalidValue, Model
from facturas_sandbox.vendors.facturascripts.query import Clause, ListQuery, _comparable, _is_null_literal, like, plan


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
    """The page of records and the total count before limit/offset, as the old evaluator gave them."""
    clauses, order = plan(model, query)
    found = [r for r in records if matches(clauses, r)]
    found = _sort(model, found, order)
    total = len(found)
    if query.limit > 0:
        offset = max(query.offset, 0)
        found = found[offset : offset + query.limit]
    return found, total

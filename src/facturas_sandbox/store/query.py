"""A list query the store runs itself: filters, order, limit, offset and the total, in one call.

Vendor list endpoints used to read a whole collection into Python and filter, sort and slice
it there, which costs as much as the collection holds. `Collection.query(Query(...))` lets
each backend do it where the data is: TinyDB narrows by its hash indexes, PostgreSQL runs
SQL against expression indexes. Both must give identical answers, so the semantics are
defined here once, as plain Python (`matches`, `sort_key`), which is also the TinyDB
implementation and the reference the PostgreSQL tests compare with.

Documents are JSON, and vendors store values in their own formats (FacturaScripts keeps dates
as `dd-mm-YYYY` text), so a filter names a field *and how to read it* (`Kind`). Reading is
strict and SQL-like: a value that does not read as the kind (a string in a number field, a
malformed date) reads as null, and null matches no comparison — only `IsNull`. Text compares
by code point (PostgreSQL's "C" collation, whatever the database's default), `Like` and
`Kind.FOLDED` ignore case and accents through `fold`, and ties in the order are broken by
insertion order, ascending, whatever the direction (a stable sort).
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any, Literal, TypeGuard, Union

Document = dict[str, Any]


class Kind(enum.Enum):
    """How a stored JSON value is read for comparing, matching and ordering."""

    TEXT = "text"  # a JSON string, compared by code point
    FOLDED = "folded"  # a JSON string, compared after `fold` (case and accents ignored)
    NUMBER = "number"  # a JSON number (not a boolean), compared exactly as a decimal
    BOOLEAN = "boolean"  # a JSON boolean, false < true
    DATE = "date"  # a string starting dd-mm-YYYY or YYYY-mm-dd, a valid calendar date
    DATETIME = "datetime"  # a DATE optionally followed by [ T]HH:MM[:SS]; no time is midnight
    TIME = "time"  # a string starting HH:MM[:SS]
    # A number as MySQL's CAST reads one (FacturaScripts' `sort[integer:x]`): a JSON number, or
    # a string that is a decimal numeral; any other non-null value reads as 0.
    CAST_NUMBER = "cast_number"
    # A scalar's text lower-cased as Python's `str.lower` does (FacturaScripts' `sort[lower:x]`):
    # a string lowered, a number's Python text (1e-05), a boolean `true`/`false`; code-point order.
    LOWER = "lower"


# Which Python type a comparison value of each kind must have.
_VALUE_TYPES: dict[Kind, tuple[type, ...]] = {
    Kind.TEXT: (str,),
    Kind.FOLDED: (str,),
    Kind.LOWER: (str,),
    Kind.NUMBER: (int, float, Decimal),
    Kind.CAST_NUMBER: (int, float, Decimal),
    Kind.BOOLEAN: (bool,),
    Kind.DATE: (date,),
    Kind.DATETIME: (datetime,),
    Kind.TIME: (time,),
}
# Kinds whose equality is plain JSON equality: the backends can use an equality index.
JSON_EQUALITY_KINDS = (Kind.TEXT, Kind.NUMBER, Kind.BOOLEAN)
Operator = Literal["=", "!=", "<", "<=", ">", ">="]
_OPERATORS = ("=", "!=", "<", "<=", ">", ">=")


@dataclass(frozen=True)
class Field:
    """A top-level field of the documents, read as `kind`."""

    name: str
    kind: Kind = Kind.TEXT

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise ValueError(f"invalid field name {self.name!r}")
        if not isinstance(self.kind, Kind):
            raise TypeError(f"{self.name}: kind must be a Kind, not {self.kind!r}")


@dataclass(frozen=True)
class Compare:
    """`field op value`; the value has the kind's Python type (a `date` for DATE, ...)."""

    field: Field
    op: Operator
    value: Any

    def __post_init__(self) -> None:
        if self.op not in _OPERATORS:
            raise ValueError(f"unknown operator {self.op!r}")
        value = self.value
        kind = self.field.kind
        if isinstance(value, bool) and kind not in (Kind.BOOLEAN,):
            raise TypeError(f"{self.field.name}: a boolean cannot compare with a {kind.value}")
        if not isinstance(value, _VALUE_TYPES[kind]):
            raise TypeError(f"{self.field.name}: {kind.value} compares with {_VALUE_TYPES[kind]}, not {value!r}")
        if kind is Kind.DATE and isinstance(value, datetime):
            raise TypeError(f"{self.field.name}: a date field compares with a date, not a datetime")
        if kind in (Kind.DATETIME, Kind.TIME) and getattr(value, "tzinfo", None) is not None:
            raise ValueError(f"{self.field.name}: stored {kind.value}s have no time zone; compare with a naive one")
        if isinstance(value, (float, Decimal)) and not Decimal(value).is_finite():
            raise ValueError(f"{self.field.name}: cannot compare with {value!r}")


@dataclass(frozen=True)
class Like:
    """SQL LIKE on the field's text (`%` any run, `_` one character, no escape character),
    ignoring case and accents. The text of a number is its decimal notation (1e-05 reads
    0.00001) — as LOWER, its Python text (1e-05) —, of a boolean `true`/`false`, of a date,
    datetime or time its ISO form."""

    field: Field
    pattern: str

    def __post_init__(self) -> None:
        if not isinstance(self.pattern, str):
            raise TypeError("a LIKE pattern is text")
        if self.field.kind is Kind.CAST_NUMBER:
            raise ValueError("LIKE reads a field's own text; CAST_NUMBER has none")


@dataclass(frozen=True)
class IsNull:
    """The field is missing or JSON null (whatever kind it would be read as)."""

    name: str


@dataclass(frozen=True)
class NotNull:
    name: str


@dataclass(frozen=True)
class And:
    """All of the terms; `And()` matches everything."""

    terms: tuple[Filter, ...] = ()

    def __init__(self, *terms: Filter) -> None:
        object.__setattr__(self, "terms", tuple(terms))


@dataclass(frozen=True)
class Or:
    """Any of the terms; `Or()` matches nothing (a filter value that cannot exist)."""

    terms: tuple[Filter, ...] = ()

    def __init__(self, *terms: Filter) -> None:
        object.__setattr__(self, "terms", tuple(terms))


Filter = Union[Compare, Like, IsNull, NotNull, And, Or]  # noqa: UP007 (a runtime alias)


@dataclass(frozen=True)
class Order:
    """Order by a field's reading; nulls last ascending and first descending (PostgreSQL's default)."""

    field: Field
    descending: bool = False


@dataclass(frozen=True)
class Query:
    where: Filter | None = None
    order: tuple[Order, ...] = ()  # empty: insertion order
    limit: int | None = None  # None: every match
    offset: int = 0
    count: bool = False  # also count every match (the page's `total`)

    def __post_init__(self) -> None:
        if self.limit is not None and (not isinstance(self.limit, int) or self.limit < 0):
            raise ValueError(f"limit must be a non-negative int or None, not {self.limit!r}")
        if not isinstance(self.offset, int) or self.offset < 0:
            raise ValueError(f"offset must be a non-negative int, not {self.offset!r}")
        if isinstance(self.order, Order):
            object.__setattr__(self, "order", (self.order,))


@dataclass(frozen=True)
class Page:
    documents: list[Document]
    total: int | None  # every match, before limit and offset; None unless the query asked


# -- folding ------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """Text with case and accents removed, for LIKE and FOLDED: compatibility decomposition,
    combining marks dropped, then Unicode case folding ("Ávila" and "AVILA" fold alike).
    Both backends fold in Python (PostgreSQL stores the folded strings beside the document),
    so they cannot disagree about a character."""
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def lower_text(value: Any) -> str | None:
    """Kind.LOWER's reading of a stored value: Python's text of a scalar, lower-cased."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, bool):
        return "true" if value else "false"
    if _is_number(value):
        return str(value)
    return None


def like(text: str, pattern: str) -> bool:
    """SQL LIKE on already folded text: `%` any run, `_` one character. A greedy two-pointer
    match that backtracks only to the last `%`: linear in practice, never a regex."""
    t = p = 0
    star_p, star_t = -1, 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "_" or (pattern[p] != "%" and pattern[p] == text[t])):
            t += 1
            p += 1
        elif p < len(pattern) and pattern[p] == "%":
            star_p, star_t = p, t
            p += 1
        elif star_p >= 0:
            p = star_p + 1
            star_t += 1
            t = star_t
        else:
            return False
    while p < len(pattern) and pattern[p] == "%":
        p += 1
    return p == len(pattern)


# -- reading stored values ------------------------------------------------------------------------
_DMY = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")
_YMD = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_CLOCK = r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?"
_DMY_TIME = re.compile(_DMY.pattern + r"(?:[ T]" + _CLOCK + ")?")
_YMD_TIME = re.compile(_YMD.pattern + r"(?:[ T]" + _CLOCK + ")?")
_TIME = re.compile(_CLOCK)
# A decimal numeral as both Python's Decimal and PostgreSQL's numeric read it; bounded so that
# no stored string can make PostgreSQL's numeric overflow.
NUMERAL = r" *[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]{1,3})? *"
NUMERAL_MAX_LENGTH = 1000
_NUMERAL = re.compile(NUMERAL)


def is_null(value: Any) -> bool:
    """Missing or null; NaN and infinities too, which JSON (and so PostgreSQL) cannot hold."""
    return value is None or (isinstance(value, float) and not _is_number(value))


def _is_number(value: Any) -> TypeGuard[int | float]:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, float) and value == value and value not in (float("inf"), float("-inf"))


def as_decimal(value: int | float | Decimal) -> Decimal:
    """A number as the exact decimal its JSON text names (0.1 is 0.1, not the binary float)."""
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(value)


def _ymd(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _date_parts(text: str, with_time: bool) -> tuple[date, tuple[str | None, ...]] | None:
    dmy = (_DMY_TIME if with_time else _DMY).match(text)
    if dmy:
        day = _ymd(int(dmy.group(3)), int(dmy.group(2)), int(dmy.group(1)))
        return (day, dmy.groups()[3:]) if day else None
    ymd = (_YMD_TIME if with_time else _YMD).match(text)
    if ymd:
        day = _ymd(int(ymd.group(1)), int(ymd.group(2)), int(ymd.group(3)))
        return (day, ymd.groups()[3:]) if day else None
    return None


def _clock(hours: str | None, minutes: str | None, seconds: str | None) -> time | None:
    h, m, s = int(hours or 0), int(minutes or 0), int(seconds or 0)
    if h > 23 or m > 59 or s > 59:
        return None
    return time(h, m, s)


def read(field: Field, doc: Mapping[str, Any]) -> Any:
    """The field's value read as its kind, or None (missing, null or not of the kind)."""
    value = doc.get(field.name)
    if value is None:
        return None
    kind = field.kind
    if kind is Kind.TEXT:
        return value if isinstance(value, str) else None
    if kind is Kind.FOLDED:
        return fold(value) if isinstance(value, str) else None
    if kind is Kind.LOWER:
        return lower_text(value)
    if kind is Kind.NUMBER:
        return as_decimal(value) if _is_number(value) else None
    if kind is Kind.BOOLEAN:
        return value if isinstance(value, bool) else None
    if kind is Kind.CAST_NUMBER:
        if _is_number(value):
            return as_decimal(value)
        if isinstance(value, str) and len(value) <= NUMERAL_MAX_LENGTH and _NUMERAL.fullmatch(value):
            return Decimal(value.strip(" "))
        return None if isinstance(value, float) else Decimal(0)  # NaN/inf are stored as null
    if not isinstance(value, str):
        return None
    if kind is Kind.DATE:
        parts = _date_parts(value, with_time=False)
        return parts[0] if parts else None
    if kind is Kind.DATETIME:
        parts = _date_parts(value, with_time=True)
        if parts is None:
            return None
        clock = _clock(*parts[1])
        return datetime.combine(parts[0], clock) if clock is not None else None
    match = _TIME.match(value)
    return _clock(*match.groups()) if match else None


def number_text(value: int | float) -> str:
    """A JSON number's text as PostgreSQL prints it: plain decimal notation, no negative zero."""
    if isinstance(value, int):
        return str(value)
    text = repr(value)
    if "e" in text or "E" in text:
        text = format(Decimal(text), "f")
    if value == 0:
        text = text.lstrip("-")
    return text


def like_text(field: Field, doc: Mapping[str, Any]) -> str | None:
    """The folded text `Like` matches, or None."""
    kind = field.kind
    if kind in (Kind.TEXT, Kind.FOLDED) or (kind is Kind.LOWER and isinstance(doc.get(field.name), str)):
        return read(Field(field.name, Kind.FOLDED), doc)
    if kind is Kind.LOWER:
        return read(field, doc)  # a number's or a boolean's Python text is already folded
    if kind is Kind.NUMBER:
        value = doc.get(field.name)
        return number_text(value) if _is_number(value) else None
    if kind is Kind.BOOLEAN:
        value = read(field, doc)
        return None if value is None else ("true" if value else "false")
    value = read(field, doc)
    if value is None:
        return None
    if kind is Kind.DATETIME:
        return value.isoformat(sep=" ")
    return value.isoformat()


# -- evaluation -----------------------------------------------------------------------------------
def comparison_value(compare: Compare) -> Any:
    """The comparison value in the form `read` returns (decimals, folded text)."""
    kind = compare.field.kind
    if kind in (Kind.NUMBER, Kind.CAST_NUMBER):
        return as_decimal(compare.value)
    if kind is Kind.FOLDED:
        return fold(compare.value)
    if kind is Kind.LOWER:
        return compare.value.lower()
    return compare.value


def matches(where: Filter | None, doc: Mapping[str, Any]) -> bool:
    if where is None:
        return True
    if isinstance(where, And):
        return all(matches(term, doc) for term in where.terms)
    if isinstance(where, Or):
        return any(matches(term, doc) for term in where.terms)
    if isinstance(where, IsNull):
        return is_null(doc.get(where.name))
    if isinstance(where, NotNull):
        return not is_null(doc.get(where.name))
    if isinstance(where, Like):
        text = like_text(where.field, doc)
        return text is not None and like(text, fold(where.pattern))
    have = read(where.field, doc)
    if have is None:
        return False  # SQL: null compared with anything is unknown
    wanted = comparison_value(where)
    op = where.op
    if op == "=":
        return bool(have == wanted)
    if op == "!=":
        return bool(have != wanted)
    if op == "<":
        return bool(have < wanted)
    if op == "<=":
        return bool(have <= wanted)
    if op == ">":
        return bool(have > wanted)
    return bool(have >= wanted)


def sort(docs: list[Document], order: tuple[Order, ...]) -> list[Document]:
    """Documents (given in insertion order) in the query's order; stable, so ties keep it."""
    out = list(docs)
    for step in reversed(order):

        def key(doc: Document, field: Field = step.field) -> tuple[int, Any]:
            value = read(field, doc)
            return (1, 0) if value is None else (0, value)

        out.sort(key=key, reverse=step.descending)
    return out


def run(docs: list[Document], query: Query) -> Page:
    """The reference implementation: every document in insertion order in, one page out."""
    found = [doc for doc in docs if matches(query.where, doc)]
    found = sort(found, query.order)
    total = len(found) if query.count else None
    end = None if query.limit is None else query.offset + query.limit
    return Page(found[query.offset : end], total)


# A key counts as a numeral with at most this many digits (MySQL's CAST AS UNSIGNED tops out at
# 20); a longer one would make a code no column holds, and Python's int of a string is capped.
NUMERAL_KEY_DIGITS = 20


def largest_numeral(keys: Iterable[Any]) -> int | None:
    """`Collection.largest_numeral_key` over some keys: the largest whose text (a string's own,
    a number's JSON) is 1 to NUMERAL_KEY_DIGITS ASCII digits; None if none is."""
    best: int | None = None
    for key in keys:
        if isinstance(key, bool) or not isinstance(key, (str, int)):
            continue  # a boolean's JSON is true/false, a float's has a point or an exponent
        text = key if isinstance(key, str) else str(key) if key >= 0 else ""
        if 0 < len(text) <= NUMERAL_KEY_DIGITS and text.isascii() and text.isdigit():
            number = int(text)
            best = number if best is None or number > best else best
    return best


def equality_terms(where: Filter | None) -> list[Compare]:
    """The `=` comparisons every match must satisfy (to narrow by an index first)."""
    if isinstance(where, Compare):
        return [where] if where.op == "=" else []
    if isinstance(where, And):
        return [c for term in where.terms for c in equality_terms(term)]
    return []

"""The FacturaScripts models, read from the loaded contract at start-up.

Each schema of `components.schemas` that carries `x-fs-resource` is one model: its columns
are the schema's properties with their database types (`x-db-type`), nullability and
defaults. There is no second registry: the contract is the only description of the models.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from ...contracts import load_contract
from .contract import kind_of, max_length


class InvalidValue(ValueError):
    pass


@dataclass(frozen=True)
class Column:
    name: str
    db_type: str
    nullable: bool
    default: str | None
    hidden: bool

    @property
    def kind(self) -> str:
        return kind_of(self.db_type)

    @property
    def max_length(self) -> int | None:
        return max_length(self.db_type)

    @property
    def serial(self) -> bool:
        return self.db_type == "serial"

    def default_value(self) -> Any:
        if self.default is None:
            return None
        if self.kind == "boolean":
            # A database literal, not a form value: 'false' is false here.
            return self.default.strip().lower() in ("true", "1", "t")
        return self.coerce(self.default)

    def coerce(self, value: Any) -> Any:
        """A form string or JSON value as the stored (API) value; raises InvalidValue."""
        if value is None or value == "null":
            return None
        kind = self.kind
        if kind == "boolean":
            return php_truthy(value)
        if kind == "integer":
            return _integer(value, self.name)
        if kind == "number":
            return _number(value, self.name)
        if kind == "date":
            return format_date(parse_date(value, self.name)) if value != "" else None
        if kind == "datetime":
            return format_datetime(parse_datetime(value, self.name)) if value != "" else None
        if kind == "time":
            return parse_time(value, self.name).strftime("%H:%M:%S") if value != "" else None
        text = value if isinstance(value, str) else _scalar_text(value)
        if self.max_length is not None and len(text) > self.max_length:
            raise InvalidValue(f"El campo {self.name} no puede tener más de {self.max_length} caracteres")
        return text

    def sort_key(self, value: Any) -> Any:
        """A comparable form of a stored value (dates compare as dates, not as d-m-Y text)."""
        if value is None:
            return None
        kind = self.kind
        try:
            if kind == "date":
                return parse_date(value, self.name)
            if kind == "datetime":
                return parse_datetime(value, self.name)
            if kind == "time":
                return parse_time(value, self.name)
            if kind in ("integer", "number"):
                return Decimal(str(value))
            if kind == "boolean":
                return bool(value)
        except (InvalidValue, InvalidOperation):
            return str(value)
        return str(value)


@dataclass(frozen=True)
class ForeignKey:
    """A FOREIGN KEY constraint of the real table: `columns` name a row of `resource`."""

    columns: tuple[str, ...]
    resource: str
    referenced_columns: tuple[str, ...]
    on_delete: str


@dataclass(frozen=True)
class Model:
    resource: str
    name: str
    table: str
    primary_key: str
    columns: dict[str, Column]
    auto_code: bool = False
    unique: tuple[tuple[str, ...], ...] = ()
    hidden: frozenset[str] = field(default_factory=frozenset)
    # `any` or `image`: a multipart create stores its file part (attachedfiles, productoimagenes).
    uploads: str | None = None
    # Statuses of a duplicate key and of a refused save, where the resource's controller has its own.
    duplicate_status: int = 400
    save_status: int = 400
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def pk_column(self) -> Column:
        return self.columns[self.primary_key]

    @property
    def collection_name(self) -> str:
        return f"fs_{self.table}"

    def visible(self, record: dict[str, Any]) -> dict[str, Any]:
        return {name: record.get(name) for name in self.columns if name not in self.hidden}


def models_from_contract(spec: dict[str, Any]) -> dict[str, Model]:
    out: dict[str, Model] = {}
    for name, schema in spec["components"]["schemas"].items():
        resource = schema.get("x-fs-resource")
        if not resource:
            continue
        hidden = frozenset(schema.get("x-hidden", []))
        columns = {
            col: Column(
                name=col,
                db_type=prop["x-db-type"],
                nullable=bool(prop.get("x-db-nullable", True)),
                default=prop.get("x-db-default"),
                hidden=col in hidden,
            )
            for col, prop in schema["properties"].items()
            if "x-db-type" in prop  # computed fields (an attached file's download URLs) are no columns
        }
        out[resource] = Model(
            resource=resource,
            name=name,
            table=schema["x-fs-table"],
            primary_key=schema["x-primary-key"],
            columns=columns,
            auto_code=bool(schema.get("x-auto-code")),
            unique=tuple(tuple(u) for u in schema.get("x-unique", [])),
            hidden=hidden,
            uploads=schema.get("x-fs-uploads"),
            duplicate_status=int(schema.get("x-fs-statuses", {}).get("duplicate", 400)),
            save_status=int(schema.get("x-fs-statuses", {}).get("save", 400)),
            foreign_keys=tuple(
                ForeignKey(tuple(fk["columns"]), fk["resource"], tuple(fk["referenced_columns"]), fk["on_delete"])
                for fk in schema.get("x-foreign-keys", [])
            ),
        )
    return out


@functools.cache
def registry() -> dict[str, Model]:
    return models_from_contract(load_contract("facturascripts"))


# -- value formats ----------------------------------------------------------------------------
def php_truthy(value: Any) -> bool:
    """PHP's (bool) cast of a form value: "" and "0" are false, anything else ("false"!) true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if value is None:
        return False
    return str(value) not in ("", "0")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dict, list)):
        raise InvalidValue("no es un valor simple")
    return str(value)


def _integer(value: Any, name: str) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    try:
        return int(str(value).strip())
    except ValueError as exc:
        raise InvalidValue(f"El campo {name} debe ser un número entero") from exc


_DOUBLE_MAX = Decimal("1.7976931348623157e308")
_EXACT_INTEGERS = Decimal(2**53)


def _number(value: Any, name: str) -> int | float:
    if isinstance(value, bool):
        return int(value)
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise InvalidValue(f"El campo {name} debe ser un número") from exc
    # What a double precision column holds: finite, within the double range.
    if not number.is_finite() or abs(number) > _DOUBLE_MAX:
        raise InvalidValue(f"El campo {name} debe ser un número")
    # A float with no fraction serialises as an integer on the real server (100, not 100.0),
    # while it is one a double holds exactly (below 2^53); PHP prints larger ones as floats.
    if number == number.to_integral_value() and abs(number) < _EXACT_INTEGERS:
        return int(number)
    return float(number)


def parse_date(value: Any, name: str = "fecha") -> date:
    text = str(value).strip()
    for fmt in ("%d-%m-%Y", "%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    raise InvalidValue(f"Fecha no válida en el campo {name}: {text}")


def parse_datetime(value: Any, name: str = "fecha") -> datetime:
    text = str(value).strip().replace("T", " ")
    for fmt in ("%d-%m-%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S", "%d-%m-%Y %H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            continue
    raise InvalidValue(f"Fecha no válida en el campo {name}: {text}")


def parse_time(value: Any, name: str = "hora") -> time:
    text = str(value).strip()
    for fmt in ("%H:%M:%S", "%H:%M"):
        try:
            return datetime.strptime(text, fmt).time()
        except ValueError:
            continue
    raise InvalidValue(f"Hora no válida en el campo {name}: {text}")


# Formatted by hand: glibc's strftime writes year 92 as "92", which does not parse back.
def format_date(value: date) -> str:
    return f"{value.day:02d}-{value.month:02d}-{value.year:04d}"


def format_datetime(value: datetime) -> str:
    return f"{format_date(value)} {value.hour:02d}:{value.minute:02d}:{value.second:02d}"

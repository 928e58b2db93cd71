"""One generic engine for every model resource: create, read, update, delete over the store.

What FacturaScripts' ModelClass does on save, generically: defaults from the column
definitions, typed values, `null` → None, serial keys and auto codes, NOT NULL and UNIQUE
checks. Model-specific rules (a customer's `razonsocial`, a product's first variant, an API
key's secret) are hooks the rule modules register per resource (`hooks.py`); the engine runs
those of the resource it saves and knows none of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ApiError
from ...store import Collection, TenantStore
from ...tenants import Tenant
from . import hooks, shared
from .doctypes import by_resource
from .models import InvalidValue, Model, registry

SAVED = "Registro actualizado correctamente."
DELETED = "¡Registro eliminado correctamente!"
NOT_FOUND = "Registro no encontrado"
DUPLICATE = "Registro duplicado"
NO_DATA = "Ningún dato recibido por formulario"
SAVE_ERROR = "Ha ocurrido un error mientras se guardaban los datos"
DELETE_ERROR = "Error al eliminar el registro"


class SaveError(Exception):
    """The model refused to save; `reasons` are the server's log messages."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__(" - ".join(reasons))
        self.reasons = reasons


def model_error(message: str, status: int = 400, data: Any = None, *, with_data: bool = False) -> ApiError:
    extra: dict[str, Any] = {"model_body": {"error": message, **({"data": data} if with_data else {})}}
    return ApiError(status, "model_error", message, extra=extra)


# Fields the rules look rows up by (a document's lines, an invoice's receipts, a receipt's
# payments, a reference's stock): hash indexes keep those lookups flat as a tenant grows.
INDEXES: dict[str, tuple[str, ...]] = {
    "reciboclientes": ("idfactura",),
    "reciboproveedores": ("idfactura",),
    "pagoclientes": ("idrecibo",),
    "pagoproveedores": ("idrecibo",),
    "stocks": ("referencia", "idproducto"),
    "variantes": ("referencia",),
    "secuenciadocumentos": ("tipodoc",),
    # Lists look customers and suppliers up by tax id (`filter[cifnif]=`).
    "clientes": ("cifnif",),
    "proveedores": ("cifnif",),
}


def indexes(resource: str) -> tuple[str, ...]:
    """A document's header by its code and number, its lines by the header; INDEXES for the rest."""
    doc = by_resource().get(resource)
    if doc is None:
        return INDEXES.get(resource, ())
    return ("codigo", "numero") if resource == doc.header else (doc.pk,)


def collection(store: TenantStore, model: Model) -> Collection:
    local = store.collection(model.collection_name, key=model.primary_key, indexes=indexes(model.resource))
    if model.table in shared.tables():
        return shared.overlay(store, model, local)
    return local


def model(resource: str) -> Model:
    return registry()[resource]


def load(store: TenantStore, m: Model, key: Any) -> dict[str, Any] | None:
    try:
        typed = m.pk_column.coerce(key)
    except InvalidValue:
        return None
    return collection(store, m).get(typed)


def new_record(m: Model) -> dict[str, Any]:
    return {name: column.default_value() for name, column in m.columns.items()}


def assign(m: Model, record: dict[str, Any], values: Mapping[str, Any]) -> list[str]:
    """Set every known column from the body; unknown keys are ignored as PHP ignores them."""
    errors = []
    for key, value in values.items():
        column = m.columns.get(key)
        if column is None:
            continue
        try:
            record[key] = column.coerce(value)
        except InvalidValue as exc:
            errors.append(str(exc))
    return errors


def _next_key(store: TenantStore, m: Model, coll: Collection) -> Any:
    column = m.pk_column
    if column.serial:
        offset = getattr(coll, "serial_offset", 0)
        while True:
            candidate = offset + store.next_number(f"fs:{m.table}")
            if coll.get(candidate) is None:
                return candidate
    code = (coll.largest_numeral_key() or 0) + 1
    return code if column.kind == "integer" else str(code)


def validate(store: TenantStore, m: Model, record: dict[str, Any], *, existing_key: Any = None) -> list[str]:
    reasons = []
    for name, column in m.columns.items():
        if record.get(name) is None and not column.nullable and not column.serial:
            reasons.append(f"El campo {name} de la tabla {m.table} no puede ser nulo")
    coll = collection(store, m)
    for fields in m.unique:
        values = {f: record.get(f) for f in fields}
        if any(v is None for v in values.values()):
            continue
        for other in coll.find(**values):
            if other.get(m.primary_key) != existing_key:
                reasons.append(f"Ya existe un registro con {', '.join(f'{k}={v}' for k, v in values.items())}")
                break
    return reasons


def insert(tenant: Tenant, m: Model, values: Mapping[str, Any]) -> dict[str, Any]:
    """Create a record from body values. Raises SaveError. Call inside a transaction."""
    store = tenant.store
    coll = collection(store, m)
    record = new_record(m)
    hooks.run("clear", m.resource, tenant, m, record)
    errors = assign(m, record, values)
    if errors:
        raise SaveError(errors)
    hooks.run("before_save", m.resource, tenant, m, record, None)
    if record.get(m.primary_key) in (None, "") and (m.pk_column.serial or m.auto_code):
        try:
            # The next code can outgrow the column (after "9999999999" in a VARCHAR(10)): the
            # real model's test() refuses it, so the save fails as for a value the client sent.
            record[m.primary_key] = m.pk_column.coerce(_next_key(store, m, coll))
        except InvalidValue as exc:
            raise SaveError([str(exc)]) from exc
    if record.get(m.primary_key) in (None, ""):
        record[m.primary_key] = None
    reasons = validate(store, m, record)
    if reasons:
        raise SaveError(reasons)
    coll.insert(record)
    hooks.run("after_insert", m.resource, tenant, m, record)
    # The model's rules may have completed it (a customer's billing contact).
    return coll.get(record[m.primary_key]) or record


def update(tenant: Tenant, m: Model, current: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    store = tenant.store
    key = current[m.primary_key]
    record = dict(current)
    errors = assign(m, record, values)
    if errors:
        raise SaveError(errors)
    if record.get(m.primary_key) != key:
        raise SaveError([f"El campo {m.primary_key} no se puede cambiar"])
    hooks.run("before_save", m.resource, tenant, m, record, current)
    reasons = validate(store, m, record, existing_key=key)
    if reasons:
        raise SaveError(reasons)
    coll = collection(store, m)
    saved = coll.replace(record)
    hooks.run("after_update", m.resource, tenant, m, current, saved)
    return coll.get(key) or saved


def delete(tenant: Tenant, m: Model, current: dict[str, Any]) -> bool:
    if hooks.first_refusal(tenant, m, current) is not None:
        return False
    collection(tenant.store, m).delete(current[m.primary_key])
    hooks.run("after_delete", m.resource, tenant, m, current)
    return True

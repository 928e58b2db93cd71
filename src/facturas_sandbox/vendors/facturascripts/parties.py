"""Customers, suppliers and their contacts (Core/Model/Cliente.php, Proveedor.php, Contacto.php)."""

from __future__ import annotations

from typing import Any

from ...tenants import Tenant
from . import engine, hooks
from .models import Model, format_date

EMPTY_CONTACT = "empty-contact-data: El contacto no tiene nombre, email ni dirección"
# Contacto::test(): these columns are '' rather than null once saved.
_CONTACT_TEXT = (
    "apartado",
    "apellidos",
    "cargo",
    "ciudad",
    "codpostal",
    "direccion",
    "empresa",
    "langcode",
    "nombre",
    "observaciones",
    "provincia",
    "web",
)


@hooks.before_save("clientes", "proveedores")
def before_save_party(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Cliente::test() / Proveedor::test()."""
    if not record.get("razonsocial"):
        record["razonsocial"] = record.get("nombre")
    if record.get("fechaalta") is None:
        record["fechaalta"] = format_date(tenant.clock.today())
    record["debaja"] = bool(record.get("fechabaja"))
    for name in ("fax", "observaciones"):
        if name in m.columns and record.get(name) is None:
            record[name] = ""


@hooks.before_save("contactos")
def before_save_contact(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    if not record.get("nombre") and not record.get("email") and not record.get("direccion"):
        raise engine.SaveError([EMPTY_CONTACT])
    if not record.get("descripcion"):
        if not record.get("codcliente") and not record.get("codproveedor"):
            full = " ".join(p for p in (record.get("nombre"), record.get("apellidos")) if p)
            record["descripcion"] = full
        else:
            record["descripcion"] = record.get("direccion")
    for name in _CONTACT_TEXT:
        if record.get(name) is None:
            record[name] = ""


@hooks.after_insert("clientes", "proveedores")
def billing_contact(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """Cliente::saveInsert / Proveedor::saveInsert: a new customer (supplier) gets its contact,
    which becomes its billing address (`idcontactofact`; a supplier's `idcontacto`)."""
    customer = m.resource == "clientes"
    link = "idcontactofact" if customer else "idcontacto"
    if record.get(link):
        return
    name = str(record.get("nombre") or "")
    parts = name.split(" ")
    values: dict[str, Any] = {
        "codcliente" if customer else "codproveedor": record[m.primary_key],
        "cifnif": record.get("cifnif"),
        "descripcion": name,
        "email": record.get("email"),
        "empresa": record.get("razonsocial"),
        "personafisica": record.get("personafisica"),
        "telefono1": record.get("telefono1"),
        "telefono2": record.get("telefono2"),
        "tipoidfiscal": record.get("tipoidfiscal"),
    }
    if customer:
        # The first word is the name, the rest the surnames ("María López García").
        values |= {"nombre": parts[0], "apellidos": " ".join(parts[1:]), "codagente": record.get("codagente")}
    else:
        values["nombre"] = name
    try:
        contact = engine.insert(tenant, engine.model("contactos"), values)
    except engine.SaveError:
        return  # the core keeps the customer without a contact when the contact is refused
    engine.update(tenant, m, record, {link: contact["idcontacto"]})

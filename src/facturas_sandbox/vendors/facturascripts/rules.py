"""Model-specific save rules, as FacturaScripts' model classes apply them.

The engine calls these hooks for every model; each rule names the resources it applies to.
"""

from __future__ import annotations

import secrets
import string
from decimal import Decimal
from typing import Any

from ...tenants import Tenant
from .models import Model, format_date, format_datetime

_APIKEY_ALPHABET = string.ascii_letters + string.digits
DOCUMENT_HEADERS = {
    "facturaclientes",
    "facturaproveedores",
    "albaranclientes",
    "albaranproveedores",
    "pedidoclientes",
    "pedidoproveedores",
    "presupuestoclientes",
    "presupuestoproveedores",
}


def new_apikey() -> str:
    return "".join(secrets.choice(_APIKEY_ALPHABET) for _ in range(20))


def before_save(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    now = tenant.clock.now()
    if m.resource in ("clientes", "proveedores"):
        if not record.get("razonsocial"):
            record["razonsocial"] = record.get("nombre")
        if previous is None and record.get("fechaalta") is None:
            record["fechaalta"] = format_date(now.date())
    if m.resource == "productos":
        if previous is None and record.get("fechaalta") is None:
            record["fechaalta"] = format_date(now.date())
        record["actualizado"] = format_datetime(now.replace(tzinfo=None))
    if m.resource in DOCUMENT_HEADERS:
        _document_state(tenant, m, record, previous)
        _check_total(record)
    if m.resource == "apikeyes":
        if previous is None:
            if not record.get("apikey"):
                record["apikey"] = new_apikey()
            if record.get("creationdate") is None:
                record["creationdate"] = format_date(now.date())
        elif previous.get("apikey") != record.get("apikey"):
            record["apikey"] = previous.get("apikey")  # the secret is not editable through the API


# What may change on a document that is not editable (BusinessDocument::onChange).
NON_EDITABLE_FIELDS = {"femail", "idestado", "numdocs", "pagada", "editable"}


def _document_state(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Every save sets `editable` from the status; a non-editable document keeps its data."""
    from . import engine

    if previous is not None and previous.get("editable") is False:
        changed = sorted(k for k, v in record.items() if previous.get(k) != v and k not in NON_EDITABLE_FIELDS)
        if changed:
            raise engine.SaveError([f"Documento no editable: no se puede cambiar {', '.join(changed)}"])
    status_id = record.get("idestado")
    if status_id is not None:
        status = engine.load(tenant.store, engine.model("estadodocumentos"), status_id)
        if status is not None:
            record["editable"] = bool(status.get("editable"))


def _check_total(record: dict[str, Any]) -> None:
    """BusinessDocument::test(): a document whose total is not the sum of its parts is not
    saved ('bad-total-error'), whichever route wrote it."""
    from . import engine

    def part(name: str) -> Decimal:
        value = record.get(name)
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    expected = part("neto") + part("totalsuplidos") + part("totaliva") - part("totalirpf") + part("totalrecargo")
    if abs(part("total") - expected) >= Decimal("0.005"):
        raise engine.SaveError(["El total del documento está mal calculado"])


def after_insert(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    from . import auth, engine

    if m.resource == "productos":
        variants = engine.model("variantes")
        if not engine.collection(tenant.store, variants).find(referencia=record.get("referencia")):
            engine.insert(
                tenant,
                variants,
                {
                    "idproducto": record["idproducto"],
                    "referencia": record.get("referencia"),
                    "precio": record.get("precio") or 0,
                    "stockfis": record.get("stockfis") or 0,
                },
            )
    if m.resource == "clientes" or m.resource == "proveedores":
        contacts = engine.model("contactos")
        owner = "codcliente" if m.resource == "clientes" else "codproveedor"
        engine.insert(
            tenant,
            contacts,
            {
                owner: record[m.primary_key],
                "nombre": record.get("nombre"),
                "cifnif": record.get("cifnif") or "",
                "email": record.get("email"),
                "telefono1": record.get("telefono1"),
                "empresa": record.get("razonsocial"),
                "codpais": "ESP",
            },
        )
    if m.resource == "apikeyes":
        auth.register_key(tenant, record)


def after_update(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    return None


def may_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> bool:
    # A non-editable (issued) business document cannot be deleted.
    return not (m.resource in DOCUMENT_HEADERS and record.get("editable") is False)


def after_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    from . import auth

    if m.resource == "apikeyes":
        auth.unregister_key(record)
    if m.resource == "attachedfiles":
        from . import files

        files.remove(tenant, record)

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
    if m.resource == "attachedfiles":
        _attached_file(tenant, m, record, previous)
    if m.resource == "productoimagenes":
        _product_image(tenant, record)
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


def _attached_file(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """AttachedFile::save: the record describes a file in MyFiles, which no other record holds."""
    from . import engine, files

    if previous is not None and previous.get("path") == record.get("path"):
        return
    info = files.describe(tenant, record.get("path"), record.get("mimetype"))
    if info is None:
        raise engine.SaveError([f"No se encuentra el archivo {record.get('path')!s:.200} en MyFiles"])
    holders = engine.collection(tenant.store, m).find(path=info["path"])
    if any(h.get("idfile") != record.get("idfile") for h in holders):
        raise engine.SaveError([f"El archivo {info['path']} ya está adjunto"])
    record.update(info)
    now = tenant.clock.now()
    if record.get("date") is None:
        record["date"] = format_date(now.date())
    if record.get("hour") is None:
        record["hour"] = f"{now.hour:02d}:{now.minute:02d}:{now.second:02d}"


def _product_image(tenant: Tenant, record: dict[str, Any]) -> None:
    """ProductoImagen::test(): the linked attached file must be an image."""
    from . import engine

    if record.get("idfile") is None:
        return  # the NOT NULL check names the missing column
    attached = engine.load(tenant.store, engine.model("attachedfiles"), record["idfile"])
    if attached is None or not str(attached.get("mimetype") or "").startswith("image/"):
        raise engine.SaveError(["not-valid-image: el archivo no es una imagen"])


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
        auth.claim_key(tenant, record)


def after_update(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    return None


def may_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> bool:
    # A non-editable (issued) business document cannot be deleted.
    return not (m.resource in DOCUMENT_HEADERS and record.get("editable") is False)


def after_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    from . import auth

    if m.resource == "apikeyes":
        auth.release_key(tenant, record)
    if m.resource == "attachedfiles":
        from . import files

        files.remove(tenant, record)

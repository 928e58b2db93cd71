"""Model-specific save rules, as FacturaScripts' model classes apply them.

The engine calls these hooks for every model; each rule names the resources it applies to.
"""

from __future__ import annotations

import secrets
import string
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
DOCUMENT_LINES = {f"linea{header}" for header in DOCUMENT_HEADERS}


def new_apikey() -> str:
    return "".join(secrets.choice(_APIKEY_ALPHABET) for _ in range(20))


def before_save(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    from . import document_rules, engine, parties, receipts, sequences, stock

    now = tenant.clock.now()
    resource = m.resource
    if resource in ("clientes", "proveedores"):
        parties.before_save_party(tenant, m, record, previous)
    if resource == "contactos":
        parties.before_save_contact(tenant, record)
    if resource == "productos":
        if record.get("fechaalta") is None:
            record["fechaalta"] = format_date(now.date())
        for name in ("descripcion", "observaciones"):
            if record.get(name) is None:
                record[name] = ""  # Producto::test(): never null
        record["actualizado"] = format_datetime(now.replace(tzinfo=None))
        stock.product_without_stock(tenant, record, previous)
    if resource in DOCUMENT_HEADERS:
        document_rules.before_save_header(tenant, m, record, previous)
    if resource in DOCUMENT_LINES:
        document_rules.before_save_line(tenant, m, record, previous)
    if resource in receipts.KINDS:
        receipts.before_save(tenant, m, record, previous)
    if resource == "stocks":
        stock.before_save(tenant, m, record, previous)
    if resource == "secuenciadocumentos":
        sequences.before_save(record)
    if resource == "formapagos" and (record.get("plazovencimiento") or 0) < 0:
        # FormaPago::test()
        raise engine.SaveError(["number-expiration-invalid: El plazo de vencimiento no puede ser negativo"])
    if resource == "attachedfiles":
        _attached_file(tenant, m, record, previous)
    if resource == "productoimagenes":
        _product_image(tenant, record)
    if resource == "apikeyes":
        if previous is None:
            if not record.get("apikey"):
                record["apikey"] = new_apikey()
            if record.get("creationdate") is None:
                record["creationdate"] = format_date(now.date())
        elif previous.get("apikey") != record.get("apikey"):
            record["apikey"] = previous.get("apikey")  # the secret is not editable through the API


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


def after_insert(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    from . import auth, engine, parties, receipts, stock

    resource = m.resource
    if resource == "productos":
        variants = engine.model("variantes")
        if not engine.collection(tenant.store, variants).find(referencia=record.get("referencia")):
            # Producto::saveInsert(): the first variant, with the product's price and stock.
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
    if resource == "variantes":
        stock.variant_inserted(tenant, record)
    if resource in ("clientes", "proveedores"):
        parties.billing_contact(tenant, m, record)
    if resource in receipts.KINDS:
        receipts.after_insert(tenant, m, record)
    if resource == "stocks":
        stock.after_save(tenant, record)
    if resource == "apikeyes":
        auth.claim_key(tenant, record)


def after_update(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    from . import document_rules, receipts, stock

    if m.resource in DOCUMENT_HEADERS:
        document_rules.after_update_header(tenant, m, previous, record)
    if m.resource in receipts.KINDS:
        receipts.after_update(tenant, m, previous, record)
    if m.resource == "stocks":
        stock.after_save(tenant, record)


def refusal(tenant: Tenant, m: Model, record: dict[str, Any]) -> str | None:
    """Why the model refuses to delete a record, or None."""
    from . import document_rules, settings

    if m.resource in DOCUMENT_HEADERS:
        return document_rules.may_delete_header(tenant, m, record)
    if m.resource == "formapagos" and record.get("codpago") == settings.default(tenant, "codpago"):
        return "cant-delete-default-payment-method: No se puede eliminar la forma de pago predeterminada"
    return None


def may_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> bool:
    return refusal(tenant, m, record) is None


def after_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    from . import auth, document_rules, receipts, stock

    if m.resource in DOCUMENT_HEADERS:
        document_rules.after_delete_header(tenant, m, record)
    if m.resource in DOCUMENT_LINES:
        document_rules.after_delete_line(tenant, m, record)
    if m.resource in receipts.KINDS:
        receipts.after_delete(tenant, m, record)
    if m.resource == "stocks":
        stock.after_save(tenant, record)
    if m.resource == "apikeyes":
        auth.release_key(tenant, record)
    if m.resource == "attachedfiles":
        from . import files

        files.remove(tenant, record)

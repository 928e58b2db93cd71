"""Save rules of the small models, as FacturaScripts' model classes apply them: products,
payment methods, attached files, product images and API keys.

Each rule is a hook of its resource (`hooks.py`); the rules of customers and contacts,
documents, receipts, stock and sequences register themselves in their own modules.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from ...tenants import Tenant
from . import auth, engine, files, hooks, settings, stock
from .models import Model, format_date, format_datetime

_APIKEY_ALPHABET = string.ascii_letters + string.digits


def new_apikey() -> str:
    return "".join(secrets.choice(_APIKEY_ALPHABET) for _ in range(20))


# -- products ---------------------------------------------------------------------------------------
@hooks.before_save("productos")
def _product(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    now = tenant.clock.now()
    if record.get("fechaalta") is None:
        record["fechaalta"] = format_date(now.date())
    for name in ("descripcion", "observaciones"):
        if record.get(name) is None:
            record[name] = ""  # Producto::test(): never null
    record["actualizado"] = format_datetime(now.replace(tzinfo=None))
    stock.product_without_stock(tenant, record, previous)


@hooks.after_insert("productos")
def _first_variant(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
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


# -- payment methods --------------------------------------------------------------------------------
@hooks.before_save("formapagos")
def _payment_method(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    if (record.get("plazovencimiento") or 0) < 0:
        # FormaPago::test()
        raise engine.SaveError(["number-expiration-invalid: El plazo de vencimiento no puede ser negativo"])


@hooks.refusal("formapagos")
def _default_payment_method(tenant: Tenant, m: Model, record: dict[str, Any]) -> str | None:
    if record.get("codpago") == settings.default(tenant, "codpago"):
        return "cant-delete-default-payment-method: No se puede eliminar la forma de pago predeterminada"
    return None


# -- attached files and product images --------------------------------------------------------------
@hooks.before_save("attachedfiles")
def _attached_file(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """AttachedFile::save: the record describes a file in MyFiles, which no other record holds."""
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


@hooks.after_delete("attachedfiles")
def _attached_file_deleted(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    files.remove(tenant, record)


@hooks.before_save("productoimagenes")
def _product_image(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """ProductoImagen::test(): the linked attached file must be an image."""
    if record.get("idfile") is None:
        return  # the NOT NULL check names the missing column
    attached = engine.load(tenant.store, engine.model("attachedfiles"), record["idfile"])
    if attached is None or not str(attached.get("mimetype") or "").startswith("image/"):
        raise engine.SaveError(["not-valid-image: el archivo no es una imagen"])


# -- API keys ---------------------------------------------------------------------------------------
@hooks.before_save("apikeyes")
def _api_key(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    if previous is None:
        if not record.get("apikey"):
            record["apikey"] = new_apikey()
        if record.get("creationdate") is None:
            record["creationdate"] = format_date(tenant.clock.now().date())
    elif previous.get("apikey") != record.get("apikey"):
        record["apikey"] = previous.get("apikey")  # the secret is not editable through the API


@hooks.after_insert("apikeyes")
def _api_key_created(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    auth.claim_key(tenant, record)


@hooks.after_delete("apikeyes")
def _api_key_deleted(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    auth.release_key(tenant, record)

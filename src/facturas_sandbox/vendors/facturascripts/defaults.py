"""What a new record holds before a client's values are assigned: the models' clear().

The database gives a column its DEFAULT; FacturaScripts' models give a new object more in
clear() (Core/Model/*.php), some of it read from the settings (`default` group) and the
clock. The engine applies these to every record it creates, from the API or the fixtures,
and then assigns what the client sent, so a client value always wins, as in the core.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...tenants import Tenant
from . import documents, engine, hooks, settings
from .doctypes import by_resource, is_header, is_lines
from .models import InvalidValue, Model, format_date, format_datetime, php_truthy

Clear = Callable[[Tenant, Model], dict[str, Any]]


def _today(tenant: Tenant) -> str:
    return format_date(tenant.clock.today())


def _hour(tenant: Tenant) -> str:
    return tenant.clock.now().strftime("%H:%M:%S")


def _tax(tenant: Tenant) -> dict[str, Any]:
    """The default tax of a line (BusinessDocumentLine::clear: the `codimpuesto` setting)."""
    codimpuesto = settings.default(tenant, "codimpuesto")
    tax = engine.load(tenant.store, engine.model("impuestos"), codimpuesto) if codimpuesto else None
    if tax is None:
        return {"codimpuesto": None, "iva": 0, "recargo": 0}
    return {"codimpuesto": tax["codimpuesto"], "iva": tax.get("iva") or 0, "recargo": tax.get("recargo") or 0}


def _document(tenant: Tenant, m: Model) -> dict[str, Any]:
    """BusinessDocument, SalesDocument/PurchaseDocument, TransformerDocument and InvoiceTrait."""
    values: dict[str, Any] = {
        "codalmacen": settings.default(tenant, "codalmacen"),
        "codpago": settings.default(tenant, "codpago"),
        "codserie": settings.default(tenant, "codserie"),
        "coddivisa": settings.default(tenant, "coddivisa"),
        "idempresa": settings.default(tenant, "idempresa"),
        "fecha": _today(tenant),
        "hora": _hour(tenant),
        "tasaconv": 1,
        "direccion": "",
        "editable": True,
    }
    for name in ("dtopor1", "dtopor2", "irpf", "neto", "netosindto", "total", "totaleuros", "totalirpf"):
        values[name] = 0
    for name in ("totaliva", "totalrecargo", "totalsuplidos", "numdocs"):
        values[name] = 0
    doc = by_resource()[m.resource]
    if doc.customer:
        values |= {"totalbeneficio": 0, "totalcoste": 0}
    if doc.invoice:
        values |= {"pagada": False, "vencida": False}
    status = documents.default_status(tenant, doc)
    if status is not None:
        values |= {"idestado": status["idestado"], "editable": bool(status.get("editable"))}
    return values


def _line(tenant: Tenant, m: Model) -> dict[str, Any]:
    values: dict[str, Any] = {
        "actualizastock": 0,
        "cantidad": 1,
        "descripcion": "",
        "servido": 0,
        "suplido": False,
        "orden": 0,
        **_tax(tenant),
    }
    for name in ("dtopor", "dtopor2", "irpf", "pvpsindto", "pvptotal", "pvpunitario"):
        values[name] = 0
    if "coste" in m.columns:  # SalesDocumentLine
        values |= {"coste": 0, "mostrar_cantidad": True, "mostrar_precio": True, "salto_pagina": False}
    return values


def _party(tenant: Tenant, m: Model) -> dict[str, Any]:
    """Cliente::clear / Proveedor::clear."""
    values: dict[str, Any] = {
        "codretencion": settings.default(tenant, "codretencion"),
        "debaja": False,
        "fechaalta": _today(tenant),
        "personafisica": True,
        "regimeniva": "General",  # RegimenIVA::defaultValue()
        "tipoidfiscal": settings.default(tenant, "tipoidfiscal"),
    }
    if m.resource == "proveedores":
        values["acreedor"] = False
    return values


def _contact(tenant: Tenant, m: Model) -> dict[str, Any]:
    return {
        "aceptaprivacidad": False,
        "admitemarketing": False,
        "codpais": settings.default(tenant, "codpais"),
        "fechaalta": _today(tenant),
        "personafisica": True,
        "tipoidfiscal": settings.default(tenant, "tipoidfiscal"),
        "verificado": False,
    }


def _receipt(tenant: Tenant, m: Model) -> dict[str, Any]:
    values: dict[str, Any] = {
        "coddivisa": settings.default(tenant, "coddivisa"),
        "codpago": settings.default(tenant, "codpago"),
        "fecha": _today(tenant),
        "idempresa": settings.default(tenant, "idempresa"),
        "importe": 0,
        "liquidado": 0,
        "numero": 1,
        "pagado": False,
        "vencido": False,
    }
    if "gastos" in m.columns:
        values["gastos"] = 0
    return values


def _payment(tenant: Tenant, m: Model) -> dict[str, Any]:
    values: dict[str, Any] = {"fecha": _today(tenant), "hora": _hour(tenant), "importe": 0}
    if "gastos" in m.columns:
        values["gastos"] = 0
    return values


def _product(tenant: Tenant, m: Model) -> dict[str, Any]:
    return {
        "actualizado": format_datetime(tenant.clock.now().replace(tzinfo=None)),
        "bloqueado": False,
        "codimpuesto": settings.default(tenant, "codimpuesto"),
        "fechaalta": _today(tenant),
        "nostock": False,
        "precio": 0,
        "publico": False,
        "secompra": True,
        "sevende": True,
        "stockfis": 0,
        "ventasinstock": php_truthy(settings.default(tenant, "ventasinstock", True)),
    }


def _stock(tenant: Tenant, m: Model) -> dict[str, Any]:
    values: dict[str, Any] = {"codalmacen": settings.default(tenant, "codalmacen")}
    for name in ("cantidad", "disponible", "pterecibir", "reservada", "stockmax", "stockmin"):
        values[name] = 0
    return values


def _sequence(tenant: Tenant, m: Model) -> dict[str, Any]:
    return {
        "idempresa": settings.default(tenant, "idempresa"),
        "inicio": 1,
        "longnumero": 6,
        "mantenerfecha": False,
        "numero": 1,
        "patron": "{EJE}{SERIE}{0NUM}",
        "usarhuecos": False,
    }


def _static(values: dict[str, Any]) -> Clear:
    return lambda tenant, m: dict(values)


CLEARS: dict[str, Clear] = {
    "clientes": _party,
    "proveedores": _party,
    "contactos": _contact,
    "reciboclientes": _receipt,
    "reciboproveedores": _receipt,
    "pagoclientes": _payment,
    "pagoproveedores": _payment,
    "productos": _product,
    "variantes": _static({"coste": 0, "margen": 0, "precio": 0, "stockfis": 0}),
    "stocks": _stock,
    "secuenciadocumentos": _sequence,
    "formapagos": _static(
        {"activa": True, "domiciliado": False, "imprimir": True, "plazovencimiento": 0, "tipovencimiento": "days"}
    ),
}


def clear(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """Fill a new record as the model's clear() does (only the model's own columns)."""
    for name, value in _rule(m.resource)(tenant, m).items():
        column = m.columns.get(name)
        if column is None:
            continue
        try:
            record[name] = column.coerce(value)
        except InvalidValue:
            continue  # a setting that does not fit the column leaves the column's default


def _rule(resource: str) -> Clear:
    return _document if is_header(resource) else _line if is_lines(resource) else CLEARS[resource]


hooks.register("clear", lambda resource: resource in CLEARS or is_header(resource) or is_lines(resource), clear)

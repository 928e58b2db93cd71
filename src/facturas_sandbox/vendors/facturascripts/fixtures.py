"""Seed a tenant's FacturaScripts data from fixtures/facturascripts.json.

Keys of the fixture file are table names; every row goes through the same engine as an API
create, so defaults, serial ids and model rules (a product's first variant, a customer's
contact) apply exactly as they do to data created by clients.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ...tenants import Tenant
from . import documents, engine
from .models import Model, format_date, registry

# Tables in dependency order; the rest of the file's keys need special handling below.
ORDER = (
    "empresas",
    "paises",
    "divisas",
    "almacenes",
    "impuestos",
    "retenciones",
    "series",
    "formaspago",
    "estados_documentos",
    "familias",
    "fabricantes",
    "clientes",
    "proveedores",
    "productos",
)


def _by_table() -> dict[str, Model]:
    return {m.table: m for m in registry().values()}


def load(tenant: Tenant, data: dict[str, Any]) -> None:
    tables = _by_table()
    credentials = tenant.credentials.get("facturascripts", {})
    today = tenant.clock.today()
    with tenant.transaction():
        for table in ORDER:
            for row in data.get(table, []):
                engine.insert(tenant, tables[table], row)
        documents.ensure_exercise(tenant, today)
        products = engine.collection(tenant.store, tables["productos"])
        for row in data.get("variantes", []):
            product = products.find(referencia=row["producto"])[0]
            values = {k: v for k, v in row.items() if k != "producto"}
            engine.insert(tenant, tables["variantes"], {**values, "idproducto": product["idproducto"]})
        key_ids: dict[str, int] = {}
        for row in data.get("api_keys", []):
            values = {k: v for k, v in row.items() if k != "credential"}
            values["apikey"] = credentials[row["credential"]]
            key_ids[row["credential"]] = engine.insert(tenant, tables["api_keys"], values)["id"]
        for row in data.get("api_access", []):
            values = {k: v for k, v in row.items() if k != "apikey"}
            engine.insert(tenant, tables["api_access"], {**values, "idapikey": key_ids[row["apikey"]]})
        _documents(tenant, data.get("documentos", []))


def _documents(tenant: Tenant, rows: list[dict[str, Any]]) -> None:
    """Invoices (paid and unpaid, issued and draft), delivery notes, orders and quotes, created
    through crear* as a client would, dated relative to the tenant's today."""

    today = tenant.clock.today()
    for row in rows:
        doc = documents.DOC_TYPES[row["tipo"]]
        day = today - timedelta(days=row.get("days_ago", 0))
        if day.year != today.year:
            day = today.replace(month=1, day=1)
        form = {**row["form"], "fecha": format_date(day), "lineas": json.dumps(row["lineas"])}
        header, _ = documents.create(tenant, doc, form)
        if "estado" in row:
            model = engine.model(doc.header)
            engine.update(tenant, model, header, {"idestado": row["estado"]})

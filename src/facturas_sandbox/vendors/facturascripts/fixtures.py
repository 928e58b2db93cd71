"""Seed a tenant's FacturaScripts data: a Spanish installation after its setup wizard, in use.

The installation's own rows (countries, provinces, cities, taxes, states, pages, settings, the
admin user ...) are shared by every tenant (`shared`, fixtures/facturascripts/). On top of
them fixtures/facturascripts.json holds one company's data: keys are table names, and every
row goes through the same engine as an API create, so defaults, serial ids and model rules
(a product's first variant and its stock, a customer's billing contact, receipts and
payments) apply exactly as they do to data created by clients. A row whose key already
exists updates it (the wizard's answers: the admin's e-mail).

Dates are relative to the tenant's today: `<column>_days_ago` sets a date column, documents
carry `days_ago` (and `paid_days_after` for the invoices paid since), so overdue, margin and
payment-delay reports find something true on any day the tenant is created.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

from ...tenants import Tenant
from . import cron, documents, engine
from .doctypes import doc_types
from .models import Model, format_date, registry

# Tables in dependency order; the rest of the file's keys need special handling below.
ORDER = ("empresas", "almacenes", "users", "familias", "fabricantes", "clientes", "proveedores", "productos")
_DAYS_AGO = "_days_ago"


def _by_table() -> dict[str, Model]:
    return {m.table: m for m in registry().values()}


def _dated(row: dict[str, Any], today: date) -> dict[str, Any]:
    """`fechaalta_days_ago: 30` as `fechaalta` thirty days before the tenant's today."""
    out = {}
    for key, value in row.items():
        if key.endswith(_DAYS_AGO):
            out[key.removesuffix(_DAYS_AGO)] = format_date(today - timedelta(days=int(value)))
        else:
            out[key] = value
    return out


def _insert_or_update(tenant: Tenant, m: Model, row: dict[str, Any]) -> dict[str, Any]:
    key = row.get(m.primary_key)
    current = engine.load(tenant.store, m, key) if key is not None else None
    if current is not None:
        return engine.update(tenant, m, current, row)
    return engine.insert(tenant, m, row)


def load(tenant: Tenant, data: dict[str, Any]) -> None:
    tables = _by_table()
    credentials = tenant.credentials.get("facturascripts", {})
    today = tenant.clock.today()
    with tenant.transaction():
        for table in ORDER:
            for row in data.get(table, []):
                _insert_or_update(tenant, tables[table], _dated(row, today))
        documents.ensure_exercise(tenant, today)
        products = engine.collection(tenant.store, tables["productos"])
        for row in data.get("variantes", []):
            product = products.find(referencia=row["producto"])[0]
            values = {k: v for k, v in row.items() if k != "producto"}
            engine.insert(tenant, tables["variantes"], {**values, "idproducto": product["idproducto"]})
        variants = engine.collection(tenant.store, tables["variantes"])
        for row in data.get("costes", []):
            # The purchase cost a user enters on each variant: lines copy it, margins use it.
            variant = variants.find(referencia=row["referencia"])[0]
            engine.update(tenant, tables["variantes"], variant, {"coste": row["coste"]})
        key_ids: dict[str, int] = {}
        for row in data.get("api_keys", []):
            values = {k: v for k, v in _dated(row, today).items() if k != "credential"}
            values["apikey"] = credentials[row["credential"]]
            key_ids[row["credential"]] = engine.insert(tenant, tables["api_keys"], values)["id"]
        for row in data.get("api_access", []):
            values = {k: v for k, v in row.items() if k != "apikey"}
            engine.insert(tenant, tables["api_access"], {**values, "idapikey": key_ids[row["apikey"]]})
        _documents(tenant, data.get("documentos", []))
        cron.run(tenant)  # the installation's cron has run today


def _documents(tenant: Tenant, rows: list[dict[str, Any]]) -> None:
    """Invoices (paid on time, paid late, overdue, not yet due, draft), delivery notes, orders
    and quotes, created through crear* as a client would, oldest first: an invoice may not be
    dated before the last one of its series (FacturaCliente::testDate)."""

    today = tenant.clock.today()
    for row in sorted(rows, key=lambda r: -int(r.get("days_ago", 0))):
        doc = doc_types()[row["tipo"]]
        day = today - timedelta(days=int(row.get("days_ago", 0)))
        form = {**row["form"], "fecha": format_date(day), "lineas": json.dumps(row["lineas"])}
        header, _ = documents.create(tenant, doc, form)
        if "estado" in row:
            model = engine.model(doc.header)
            header = engine.update(tenant, model, header, {"idestado": row["estado"]})
        if "paid_days_after" in row:
            paid_on = min(day + timedelta(days=int(row["paid_days_after"])), today)
            documents.pay(tenant, doc, header[doc.pk], {"pagada": "1", "fechapago": format_date(paid_on)})

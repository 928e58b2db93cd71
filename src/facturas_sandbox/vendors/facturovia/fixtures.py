"""Seed a tenant's Facturovia data from fixtures/facturovia.json."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from ...tenants import Tenant
from . import documents as docs
from .pdf import COMPANY


def load(tenant: Tenant, data: dict[str, Any]) -> None:
    store = tenant.store
    now = tenant.clock.now()

    def at(days_ago: int) -> datetime:
        day = (now - timedelta(days=days_ago)).date()
        return datetime.combine(day, time(10, 0), tzinfo=now.tzinfo)

    with store.transaction():
        store.collection(COMPANY).replace({"id": "company", **data["company"]})
        clients: dict[str, dict[str, Any]] = {}
        for n, raw in enumerate(data["clients"]):
            fields = {k: v for k, v in raw.items() if k != "key"}
            clients[raw["key"]] = docs.clients(store).insert(
                {"id": docs.new_id(), **fields, "created_at": at(60 - n).isoformat()}
            )

        # Oldest first, so issued numbers follow the dates.
        created: dict[int, dict[str, Any]] = {}
        for index, raw in sorted(enumerate(data["invoices"]), key=lambda pair: -pair[1]["days_ago"]):
            when = at(raw["days_ago"])
            invoice = docs.new_invoice(
                clients[raw["client"]],
                raw["items"],
                invoice_date=when.date().isoformat(),
                created_at=when.isoformat(),
                external_reference=raw.get("external_reference"),
                notes=raw.get("notes"),
            )
            docs.invoices(store).insert(invoice)
            if raw.get("issued"):
                invoice = docs.issue(store, invoice, (when + timedelta(hours=2)).isoformat())
            created[index] = invoice

        for raw in data.get("rectifications", []):
            original = created[raw["original"]]
            when = at(raw["days_ago"])
            corrective = docs.new_rectificative(
                original,
                docs.plan_partial(store, original, raw["items"]),
                invoice_date=when.date().isoformat(),
                created_at=when.isoformat(),
                notes=raw.get("notes"),
                causa_rectificacion=raw.get("causa_rectificacion", "R1"),
            )
            docs.invoices(store).insert(corrective)
            if raw.get("issued"):
                docs.issue(store, corrective, (when + timedelta(hours=1)).isoformat())

        for raw in data.get("quotes", []):
            when = at(raw["days_ago"])
            quote = docs.new_quote(
                store,
                clients[raw["client"]],
                raw["items"],
                quote_date=when.date().isoformat(),
                created_at=when.isoformat(),
                valid_until=(when + timedelta(days=raw["valid_days"])).date().isoformat(),
                external_reference=raw.get("external_reference"),
            )
            docs.quotes(store).insert(quote)

"""Seed a tenant's Facturala company from fixtures/facturala.json."""

from __future__ import annotations

from typing import Any

from ...tenants import Tenant
from . import documents as docs


def load(tenant: Tenant, data: dict[str, Any]) -> None:
    company_id = tenant.credentials["facturala"]["company_id"]
    store = tenant.store
    customers = {c["key"]: {k: v for k, v in c.items() if k != "key"} for c in data["customers"]}
    with store.transaction():
        company = docs.companies(store).replace(docs.new_company(company_id, data["company"]))
        for raw in data["invoices"]:
            customer = customers[raw["customer"]]
            errors = docs.customer_errors(customer)
            if errors:
                raise ValueError(f"fixtures/facturala.json: customer {raw['customer']}: {errors[0].message}")
            docs.insert_invoice(
                store,
                company,
                customer=customer,
                items=docs.stored_items(raw["items"]),
                creation=raw["creationDate"],
                due=raw.get("dueDate"),
                state=raw["state"],
                texts={},
            )

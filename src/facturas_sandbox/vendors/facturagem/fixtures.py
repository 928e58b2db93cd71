"""Seed a tenant's FACTURAgem data from fixtures/facturagem.json.

The tenant's credentials name the user who can log in; the fixtures' second user signed up
through a social network and has no password, so only their account's existence shows (404).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...tenants import Tenant
from . import records as rec
from .auth import API


def load(tenant: Tenant, data: dict[str, Any]) -> None:
    store = tenant.store
    now = tenant.clock.now()
    stamp = now.isoformat(timespec="seconds")

    def day(days_ago: int) -> str:
        return (now - timedelta(days=days_ago)).date().isoformat()

    credentials = tenant.credentials.get(API, {})
    with store.transaction():
        for n, raw in enumerate(data["users"]):
            account_id = rec.next_id(store, "accounts")
            user_id = rec.next_id(store, "users")
            login = credentials.get("login") if n == 0 else raw["login"]
            rec.users(store).insert(
                {"id": user_id, "login": login, "name": raw["name"], "email": raw["email"], "account_id": account_id,
                 "has_password": n == 0}
            )  # fmt: skip
            account = rec.accounts(store).insert(
                {**raw["account"], "id": account_id, "user_id": user_id, "created_at": stamp, "updated_at": stamp}
            )
            if n:
                continue
            clients: dict[str, dict[str, Any]] = {}
            for raw_client in data["clients"]:
                fields = {k: v for k, v in raw_client.items() if k != "key"}
                client = {
                    "email": None, "phone": None, "street2": None, "province": None, "notes": None,
                    "discount_percent": "0", **fields,
                    "id": rec.next_id(store, "clients"), "account_id": account_id, "created_at": stamp,
                    "updated_at": stamp,
                }  # fmt: skip
                clients[raw_client["key"]] = rec.clients(store).insert(client)
            for raw_invoice in sorted(data["invoices"], key=lambda i: -i["days_ago"]):
                client = clients[raw_invoice["client"]]
                date = day(raw_invoice["days_ago"])
                invoice = {
                    "client_id": client["id"],
                    **rec.customer_copy(client),
                    "date": date,
                    "due_date": day(raw_invoice["days_ago"] - 30),
                    "discount_percent": client.get("discount_percent") or "0",
                    "iva_percent": account["iva_percent"],
                    "irpf_percent": raw_invoice.get("irpf_percent", account["irpf_percent"]),
                    "notes": raw_invoice.get("notes"),
                    "footer": account.get("footer"),
                    "lines": raw_invoice["lines"],
                    "payments": [
                        {
                            "id": rec.next_id(store, "payments"),
                            "amount": p["amount"],
                            "date": day(p["days_ago"]),
                            "notes": p.get("notes"),
                        }
                        for p in raw_invoice.get("payments", [])
                    ],
                }
                invoice = rec.compute(invoice)
                invoice["number"] = rec.draw_number(store, account, rec.year_of(date))
                invoice.update(id=rec.next_id(store, "invoices"), account_id=account_id, created_at=stamp,
                               updated_at=stamp)  # fmt: skip
                rec.invoices(store).insert(invoice)

"""FACTURAgem's data: accounts, clients, invoices with lines and payments, numbering, totals.

Arithmetic (FacturaMOR's, the product's ancestor): a line's total is quantity × price rounded
half-up to the cent; the discount is Σ lines × discount% rounded; the tax base is Σ − discount;
IVA and IRPF are base × rate, each rounded; total = base − IRPF + IVA.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from ...domain.money import ZERO, percent_of, round_cents, to_decimal
from ...store import Collection, TenantStore

DEFAULT_NUMBER_FORMAT = "YYYY_NNNN"
NUMBER_FORMAT = re.compile(r"^[^N]*YYYY[^N]*N+[^N]*$|^[^N]*N+[^N]*YYYY[^N]*$")


def users(store: TenantStore) -> Collection:
    return store.collection("fg_users", key="id", indexes=("login",))


def accounts(store: TenantStore) -> Collection:
    return store.collection("fg_accounts", key="id", indexes=("user_id",))


def clients(store: TenantStore) -> Collection:
    return store.collection("fg_clients", key="id", indexes=("account_id",))


def invoices(store: TenantStore) -> Collection:
    return store.collection("fg_invoices", key="id", indexes=("account_id", "client_id"))


def next_id(store: TenantStore, table: str) -> int:
    return store.next_number(f"fg_id:{table}")


def slug(name: Any) -> str:
    import unicodedata

    # A refused update echoes the record as sent, so the name may be null or not text.
    plain = (
        unicodedata.normalize("NFKD", name if isinstance(name, str) else "")
        .encode("ascii", "ignore")
        .decode("ascii")
        .lower()
    )
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-") or "account"


def account_param(account: dict[str, Any]) -> str:
    """Rails' to_param: `1-kovacek-nienow`."""
    return f"{account['id']}-{slug(account['name'])}"


def account_key(param: str) -> int | None:
    """Rails' find("1-kovacek-nienow"): the leading integer, the slug is ignored."""
    match = re.match(r"^(\d{1,18})(?:-|$)", param)
    return int(match.group(1)) if match else None


# -- numbering -------------------------------------------------------------------------------
def format_number(pattern: str, year: int, counter: int) -> str:
    width = max(len(m) for m in re.findall(r"N+", pattern))
    out = pattern.replace("YYYY", f"{year:04d}")
    return re.sub(r"N+", f"{counter:0{width}d}", out, count=1)


NUMBER_MAX_LENGTH = 40  # InvoiceInput.number's maxLength in the contract


class NumberTooLong(Exception):
    """The series' next number has outgrown NUMBER_MAX_LENGTH (a long format, a large counter)."""


def draw_number(store: TenantStore, account: dict[str, Any], year: int) -> str:
    """The next free number of the account's series for that year; call inside the transaction
    that saves the invoice, so a failed save gives the number back. Raises NumberTooLong (the
    transaction must then roll back, which gives the counter back too)."""
    pattern = account.get("invoice_number_format") or DEFAULT_NUMBER_FORMAT
    taken = {inv["number"] for inv in invoices(store).find(account_id=account["id"])}
    while True:
        number = format_number(pattern, year, store.next_number(f"fg_number:{account['id']}:{year}"))
        if len(number) > NUMBER_MAX_LENGTH:
            raise NumberTooLong(number)
        if number not in taken:
            return number


# -- totals ----------------------------------------------------------------------------------
def compute(invoice: dict[str, Any]) -> dict[str, Any]:
    """The invoice with its lines' totals and its own totals recomputed (amounts as strings)."""
    lines = []
    subtotal = ZERO
    for line in invoice.get("lines") or []:
        amount, price = to_decimal(line["amount"]), to_decimal(line["price"])
        total = round_cents(amount * price)
        subtotal += total
        lines.append({**line, "amount": str(amount), "price": str(price), "total": str(total)})
    discount_percent = to_decimal(invoice.get("discount_percent") or 0)
    iva_percent = to_decimal(invoice.get("iva_percent") or 0)
    irpf_percent = to_decimal(invoice.get("irpf_percent") or 0)
    discount = round_cents(percent_of(subtotal, discount_percent))
    base = subtotal - discount
    iva = round_cents(percent_of(base, iva_percent))
    irpf = round_cents(percent_of(base, irpf_percent))
    total = base - irpf + iva
    paid_amount = sum((to_decimal(p["amount"]) for p in invoice.get("payments") or []), ZERO)
    return {
        **invoice,
        "lines": lines,
        "discount_percent": str(discount_percent),
        "iva_percent": str(iva_percent),
        "irpf_percent": str(irpf_percent),
        "subtotal": str(subtotal),
        "discount": str(discount),
        "tax_base": str(base),
        "iva": str(iva),
        "irpf": str(irpf),
        "total": str(total),
        "paid_amount": str(paid_amount),
        "paid": (total > ZERO and paid_amount >= total) or (total == ZERO and bool(invoice.get("payments"))),
    }


def due(invoice: dict[str, Any]) -> Decimal:
    return to_decimal(invoice["total"]) - to_decimal(invoice["paid_amount"])


def customer_copy(client: dict[str, Any] | None) -> dict[str, Any]:
    fields = ("name", "cif", "street1", "street2", "city", "province", "postal_code", "country_id")
    if client is None:
        return {}
    return {f"customer_{f}": client.get(f) for f in fields}


def year_of(day: str) -> int:
    return date.fromisoformat(day).year

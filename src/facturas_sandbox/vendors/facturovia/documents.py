"""Facturovia invoices and quotes: lines, totals, numbering, issuing and rectification.

Documents are stored with Decimal amounts as strings (exact), and totals are derived from the
lines whenever a document is shown, so they can never disagree with the lines.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypedDict, Unpack

from ...domain.money import HUNDRED, ZERO, round_cents, to_decimal
from ...domain.numbering import next_correlative
from ...domain.rectify import OriginalLine, Refund, RefundRequest, full_refund, plan_refund
from ...domain.taxes import TaxedAmount, Totals, group_taxes
from ...store import Collection, TenantStore

INVOICES = "fv_invoices"
QUOTES = "fv_quotes"
CLIENTS = "fv_clients"

MAIN_SERIES = ""  # "2026-0001"
CORRECTIVE_SERIES = "R"  # rectificativas need their own series (RD 1619/2012 art. 6)
QUOTE_SERIES = "P"


def invoices(store: TenantStore) -> Collection:
    return store.collection(INVOICES, indexes=("external_reference", "original_invoice_id", "status"))


def quotes(store: TenantStore) -> Collection:
    return store.collection(QUOTES, indexes=("external_reference",))


def clients(store: TenantStore) -> Collection:
    return store.collection(CLIENTS, indexes=("tax_id",))


def new_id() -> str:
    return str(uuid.uuid4())


def line_net(item: dict[str, Any]) -> Decimal:
    quantity = to_decimal(item["quantity"])
    price = to_decimal(item["unit_price"])
    discount = to_decimal(item.get("discount_percent") or 0)
    return round_cents(quantity * price * (HUNDRED - discount) / HUNDRED)


def stored_item(item: dict[str, Any]) -> dict[str, Any]:
    """An input item as stored: exact decimals as strings, the net computed once."""
    stored = {
        "description": item["description"],
        "reference": item.get("reference") or None,
        "quantity": str(to_decimal(item["quantity"])),
        "unit_price": str(to_decimal(item["unit_price"])),
        "vat_rate": str(to_decimal(item["vat_rate"])),
        "discount_percent": str(to_decimal(item.get("discount_percent") or 0)),
    }
    stored["net"] = str(line_net(stored))
    return stored


def totals(items: list[dict[str, Any]]) -> Totals:
    return group_taxes(TaxedAmount(base=to_decimal(i["net"]), vat_rate=to_decimal(i["vat_rate"])) for i in items)


def format_number(series: str, year: int, number: int) -> str:
    return f"{series}{year}-{number:04d}"


def issue(store: TenantStore, invoice: dict[str, Any], issued_at: str) -> dict[str, Any]:
    """Number and freeze a draft: the number is drawn in the same transaction that saves it."""
    with store.transaction():
        year = int(invoice["invoice_date"][:4])
        number = next_correlative(store, "fv-invoice", invoice["series"], year)
        return invoices(store).update(
            invoice["id"],
            {"status": "issued", "number": format_number(invoice["series"], year, number), "issued_at": issued_at},
        )


def number_quote(store: TenantStore, year: int) -> str:
    return format_number(QUOTE_SERIES, year, next_correlative(store, "fv-quote", QUOTE_SERIES, year))


@dataclass(frozen=True)
class RefundPlan:
    items: list[dict[str, Any]]
    capped: list[str]  # human notes on items whose quantity was capped


def _original_lines(store: TenantStore, original: dict[str, Any]) -> list[OriginalLine]:
    """The original's lines with what earlier rectificatives (drafts included: a draft
    rectificative holds its refund until it is deleted) took of each."""
    refunded = [ZERO] * len(original["items"])
    refunded_net = [ZERO] * len(original["items"])
    for corrective in invoices(store).find(original_invoice_id=original["id"]):
        for item in corrective["items"]:
            index = item.get("original_line")
            if index is not None and 0 <= index < len(refunded):
                refunded[index] -= to_decimal(item["quantity"])
                refunded_net[index] -= to_decimal(item["net"])
    return [
        OriginalLine(
            description=item["description"],
            reference=item.get("reference"),
            quantity=to_decimal(item["quantity"]),
            refunded=refunded[i],
            net=to_decimal(item["net"]),
            refunded_net=refunded_net[i],
        )
        for i, item in enumerate(original["items"])
    ]


def _negated(original: dict[str, Any], lines: list[OriginalLine], refunds: list[Refund]) -> RefundPlan:
    items, capped = [], []
    for refund in refunds:
        line = original["items"][refund.line]
        item = stored_item({**line, "quantity": -refund.quantity})
        # The net is the refund's share of the line's net, not the refunded quantity re-rounded.
        net = lines[refund.line].net_share(refund.quantity, -to_decimal(item["net"]))
        item["net"] = str(ZERO - net)  # ZERO - net: never "-0"
        item["original_line"] = refund.line
        items.append(item)
        if refund.capped:
            capped.append(f"{line['description']}: refund capped at {abs(refund.quantity)} (asked {refund.requested})")
    return RefundPlan(items=items, capped=capped)


def plan_partial(store: TenantStore, original: dict[str, Any], requested: list[dict[str, Any]]) -> RefundPlan:
    requests = [
        RefundRequest(
            description=item.get("description"),
            reference=item.get("reference"),
            quantity=to_decimal(item["quantity"]),
        )
        for item in requested
    ]
    lines = _original_lines(store, original)
    return _negated(original, lines, plan_refund(lines, requests))


def plan_full(store: TenantStore, original: dict[str, Any]) -> RefundPlan:
    lines = _original_lines(store, original)
    return _negated(original, lines, full_refund(lines))


def public_items(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "description": i["description"],
            "reference": i.get("reference"),
            "quantity": to_decimal(i["quantity"]),
            "unit_price": to_decimal(i["unit_price"]),
            "vat_rate": to_decimal(i["vat_rate"]),
            "discount_percent": to_decimal(i["discount_percent"]),
            "net": to_decimal(i["net"]),
        }
        for i in items
    ]


def public_totals(items: list[dict[str, Any]]) -> dict[str, Any]:
    t = totals(items)
    return {
        "vat_breakdown": [{"vat_rate": g.vat_rate, "base": g.base, "vat": g.vat} for g in t.groups],
        "subtotal": t.base,
        "total_vat": t.vat,
        "total": t.total,
    }


# -- document factories (the API and the fixtures build documents the same way) -------------
SNAPSHOT_FIELDS = ("name", "tax_id", "email", "address", "city", "postal_code", "country")


def client_snapshot(client: dict[str, Any]) -> dict[str, Any]:
    return {k: client.get(k) for k in SNAPSHOT_FIELDS}


class Header(TypedDict, total=False):
    """The fields invoices and quotes take alike; each may be left out (`_document` has the defaults)."""

    currency: str
    exchange_rate: Any
    external_reference: str | None
    notes: str | None


HEADER_FIELDS = tuple(Header.__annotations__)


def _document(client: dict[str, Any], items: list[dict[str, Any]], created_at: str, header: Header) -> dict[str, Any]:
    """What invoices and quotes share: the client's snapshot, lines, currency, references."""
    return {
        "id": new_id(),
        "client_id": client["id"],
        "client": client_snapshot(client),
        "currency": header.get("currency", "EUR"),
        "exchange_rate": str(to_decimal(header.get("exchange_rate", 1))),
        "external_reference": header.get("external_reference"),
        "notes": header.get("notes"),
        "items": [stored_item(i) for i in items],
        "created_at": created_at,
    }


def new_invoice(
    client: dict[str, Any],
    items: list[dict[str, Any]],
    *,
    invoice_date: str,
    created_at: str,
    **header: Unpack[Header],
) -> dict[str, Any]:
    return {
        **_document(client, items, created_at, header),
        "series": MAIN_SERIES,
        "number": None,
        "status": "draft",
        "invoice_date": invoice_date,
        "issued_at": None,
        "is_corrective": False,
        "original_invoice_id": None,
        "causa_rectificacion": None,
    }


def new_rectificative(
    original: dict[str, Any],
    plan: RefundPlan,
    *,
    invoice_date: str,
    created_at: str,
    notes: str | None,
    causa_rectificacion: str,
) -> dict[str, Any]:
    return {
        **{k: original[k] for k in ("client_id", "client", "currency", "exchange_rate", "external_reference")},
        "id": new_id(),
        "series": CORRECTIVE_SERIES,
        "number": None,
        "status": "draft",
        "invoice_date": invoice_date,
        "issued_at": None,
        "notes": notes,
        "items": plan.items,
        "is_corrective": True,
        "original_invoice_id": original["id"],
        "causa_rectificacion": causa_rectificacion,
        "created_at": created_at,
    }


def new_quote(
    store: TenantStore,
    client: dict[str, Any],
    items: list[dict[str, Any]],
    *,
    quote_date: str,
    created_at: str,
    valid_until: str | None = None,
    **header: Unpack[Header],
) -> dict[str, Any]:
    """A numbered quote (call inside the transaction that stores it)."""
    return {
        **_document(client, items, created_at, header),
        "number": number_quote(store, int(quote_date[:4])),
        "quote_date": quote_date,
        "valid_until": valid_until,
    }

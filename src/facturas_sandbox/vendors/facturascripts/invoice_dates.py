"""Customer invoices follow their numbers in time (FacturaCliente::testDate).

Within a series and exercise, an invoice may not be dated before an invoice with a lower
number, nor after one with a higher number. The core checks it when an invoice is created
and when its date or series changes; supplier invoices are not checked.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ...tenants import Tenant
from . import engine
from .models import Model, format_date, parse_date

BEFORE = (
    "invalid-date-there-are-invoices-before: Fecha no válida: {date}. La factura {other} es anterior a esta y sin "
    "embargo tiene fecha posterior: {other_date}. Toda factura debe tener una fecha anterior o igual a la siguiente."
)
AFTER = (
    "invalid-date-there-are-invoices-after: Fecha no válida: {date}. La factura {other} es posterior y sin embargo "
    "tiene fecha anterior: {other_date}. Toda factura debe tener una fecha anterior o igual a la siguiente."
)


_LEADING_DIGITS = re.compile(r"\s*(\d+)")


def _number(value: Any) -> int:
    # CAST(numero AS unsigned): the leading digits, else 0.
    text = value if isinstance(value, str) else str(value or "")
    if text.isdigit():
        return int(text)
    match = _LEADING_DIGITS.match(text)
    return int(match.group(1)) if match else 0


def _day_key(text: Any) -> str:
    """A stored d-m-Y date as Y-m-d text, which sorts as the dates do (no parsing per row)."""
    text = str(text or "")
    return f"{text[6:10]}{text[3:5]}{text[0:2]}" if len(text) >= 10 else ""


def check(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    if m.resource != "facturaclientes" or not record.get("fecha"):
        return []
    if previous is not None and all(previous.get(k) == record.get(k) for k in ("fecha", "codserie")):
        return []
    own, day = _number(record.get("numero")), _day_key(format_date(parse_date(record["fecha"])))
    scope = (record.get("codejercicio"), record.get("codserie"), record.get("idfactura"))

    def conflicting(other: Mapping[str, Any]) -> bool:
        # Only the invoices that break the order are copied out of the store.
        if (other.get("codejercicio"), other.get("codserie")) != scope[:2] or other.get("idfactura") == scope[2]:
            return False
        other_day = _day_key(other.get("fecha"))
        if other_day == day:
            return False
        number = _number(other.get("numero"))
        return (number < own and other_day > day) or (number > own and other_day < day)

    found = engine.collection(tenant.store, m).search(conflicting)
    before = [o for o in found if _number(o.get("numero")) < own]
    if before:
        latest = max(before, key=lambda o: _day_key(o.get("fecha")))
        return [BEFORE.format(date=record["fecha"], other=latest.get("codigo"), other_date=latest["fecha"])]
    if found:
        earliest = min(found, key=lambda o: _day_key(o.get("fecha")))
        return [AFTER.format(date=record["fecha"], other=earliest.get("codigo"), other_date=earliest["fecha"])]
    return []

"""Customer invoices follow their numbers in time (FacturaCliente::testDate).

Within a series and exercise, an invoice may not be dated before an invoice with a lower
number, nor after one with a higher number. The core checks it when an invoice is created
and when its date or series changes; supplier invoices are not checked.
"""

from __future__ import annotations

from typing import Any

from ...tenants import Tenant
from .models import Model, parse_date

BEFORE = (
    "invalid-date-there-are-invoices-before: Fecha no válida: {date}. La factura {other} es anterior a esta y sin "
    "embargo tiene fecha posterior: {other_date}. Toda factura debe tener una fecha anterior o igual a la siguiente."
)
AFTER = (
    "invalid-date-there-are-invoices-after: Fecha no válida: {date}. La factura {other} es posterior y sin embargo "
    "tiene fecha anterior: {other_date}. Toda factura debe tener una fecha anterior o igual a la siguiente."
)


def _number(value: Any) -> int:
    # CAST(numero AS unsigned): leading digits, else 0.
    digits = ""
    for char in str(value or "").strip():
        if not char.isdigit():
            break
        digits += char
    return int(digits) if digits else 0


def check(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> list[str]:
    from . import engine

    if m.resource != "facturaclientes" or not record.get("fecha"):
        return []
    if previous is not None and all(previous.get(k) == record.get(k) for k in ("fecha", "codserie")):
        return []
    own, day = _number(record.get("numero")), parse_date(record["fecha"])
    earlier, later = None, None
    for other in engine.collection(tenant.store, m).find(
        codejercicio=record.get("codejercicio"), codserie=record.get("codserie")
    ):
        if other.get("idfactura") == record.get("idfactura") or not other.get("fecha"):
            continue
        number, other_day = _number(other.get("numero")), parse_date(other["fecha"])
        if number < own and (earlier is None or other_day > earlier[0]):
            earlier = (other_day, other)
        elif number > own and (later is None or other_day < later[0]):
            later = (other_day, other)
    if earlier is not None and earlier[0] > day:
        text = BEFORE.format(date=record["fecha"], other=earlier[1].get("codigo"), other_date=earlier[1]["fecha"])
        return [text]
    if later is not None and later[0] < day:
        return [AFTER.format(date=record["fecha"], other=later[1].get("codigo"), other_date=later[1]["fecha"])]
    return []

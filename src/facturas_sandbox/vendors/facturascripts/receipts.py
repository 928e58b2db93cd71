"""Receipts and payments, as the core keeps them in step with invoices.

- A new invoice gets its receipt from the payment method (FacturaCliente::getNewReceipt and
  ReciboCliente::setPaymentMethod): due `plazovencimiento` `tipovencimiento` after the invoice
  date (moved to the customer's payment days, `diaspago`), paid on the invoice date when the
  method is `pagado`. Later total changes go to the open receipt (ReceiptGenerator).
- Every save of a receipt runs ReciboCliente::test(): `fechapago` follows `pagado`, the due
  date is never before the receipt's date, and `vencido` is "unpaid and due" by the tenant's
  clock. A paid receipt's amount is fixed.
- When `pagado` changes (or a receipt is created paid) a payment row records it
  (`newPayment()`: the amount, negative when a payment is undone), and the invoice's
  `pagada` / `vencida` are recomputed from its receipts (ReceiptGenerator::update).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from ...domain.money import round_cents, to_decimal
from ...tenants import Tenant
from . import engine, hooks
from .models import Model, format_date, parse_date


@dataclass(frozen=True)
class ReceiptKind:
    receipts: str  # reciboclientes
    invoices: str  # facturaclientes
    payments: str  # pagoclientes
    party: str  # codcliente
    party_resource: str  # clientes


KINDS = {
    "reciboclientes": ReceiptKind("reciboclientes", "facturaclientes", "pagoclientes", "codcliente", "clientes"),
    "reciboproveedores": ReceiptKind(
        "reciboproveedores", "facturaproveedores", "pagoproveedores", "codproveedor", "proveedores"
    ),
}
BY_INVOICE = {k.invoices: k for k in KINDS.values()}
PAID_RECEIPT_AMOUNT = "No se puede modificar el importe de un recibo pagado"


def _decimal(value: Any) -> Decimal:
    return to_decimal(value) if value not in (None, "") else Decimal(0)


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


# -- due dates --------------------------------------------------------------------------------
def add_period(day: date, amount: int, unit: str) -> date:
    """PHP's strtotime("<date> +N <unit>"): a month past the end of the shorter month overflows
    into the next one (31-01 +1 months is 03-03), as the real server computes due dates."""
    try:
        return _add_period(day, amount, unit)
    except (OverflowError, ValueError):
        return day  # beyond the calendar: strtotime() fails and the date stays


def _add_period(day: date, amount: int, unit: str) -> date:
    unit = unit.lower().rstrip("s")
    if unit == "day":
        return day + timedelta(days=amount)
    if unit == "week":
        return day + timedelta(weeks=amount)
    months = amount if unit == "month" else amount * 12 if unit == "year" else 0
    if months == 0 and unit not in ("month", "year"):
        return day  # an unknown unit: strtotime() fails and the date stays
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    first = date(year, month + 1, 1)
    return first + timedelta(days=day.day - 1)


def payment_days(party: dict[str, Any]) -> list[int]:
    """Cliente::getPaymentDays: the numbers in `diaspago` ("5,20")."""
    days = []
    for part in str(party.get("diaspago") or "").split(","):
        part = part.strip()
        if part.isdigit():
            days.append(int(part))
    return days


def with_payment_days(due: date, days: list[int]) -> date:
    """ReciboCliente::setExpiration: the nearest of the customer's payment days from `due`."""
    if not days:
        return due
    last = calendar.monthrange(due.year, due.month)[1]
    candidates = []
    for number in days:
        wanted = min(number, last)
        candidates += [due + timedelta(days=n) for n in range(30) if (due + timedelta(days=n)).day == wanted]
    return min(candidates) if candidates else due


def method_terms(tenant: Tenant, codpago: Any, day: date, party: dict[str, Any] | None) -> dict[str, Any]:
    """setPaymentMethod(): codpago, pagado, vencimiento (and fechapago when paid by the method)."""
    method = engine.load(tenant.store, engine.model("formapagos"), codpago) if codpago else None
    if method is None:
        return {}
    due = add_period(day, int(method.get("plazovencimiento") or 0), str(method.get("tipovencimiento") or "days"))
    if party is not None:
        due = with_payment_days(due, payment_days(party))
    terms: dict[str, Any] = {"codpago": method["codpago"], "pagado": bool(method.get("pagado"))}
    terms["vencimiento"] = format_date(due)
    if terms["pagado"]:
        terms["fechapago"] = format_date(day)
    return terms


# -- the receipt's own rules --------------------------------------------------------------------
@hooks.before_save(*KINDS)
def before_save(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """ReciboCliente::test() and onChange('importe')."""
    kind = KINDS[m.resource]
    if (
        previous is not None
        and previous.get("pagado")
        and _decimal(previous.get("importe")) != _decimal(record.get("importe"))
    ):
        raise engine.SaveError([PAID_RECEIPT_AMOUNT])
    if not record.get("codigofactura") and record.get("idfactura") is not None:
        invoice = engine.load(tenant.store, engine.model(kind.invoices), record["idfactura"])
        record["codigofactura"] = invoice.get("codigo") if invoice else None
    today = tenant.clock.today()
    if not record.get("pagado"):
        record["fechapago"] = None
    elif not record.get("fechapago"):
        record["fechapago"] = format_date(today)
    if record.get("fecha"):
        issued = parse_date(record["fecha"])
        if not record.get("vencimiento") or parse_date(record["vencimiento"]) < issued:
            record["vencimiento"] = record["fecha"]
    # strtotime(vencimiento) < time(): due at midnight, so overdue from the due date on.
    record["vencido"] = bool(
        not record.get("pagado") and record.get("vencimiento") and parse_date(record["vencimiento"]) <= today
    )


@hooks.after_insert(*KINDS)
def after_insert(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    if record.get("pagado"):
        new_payment(tenant, m, record)
    update_invoice(tenant, KINDS[m.resource], record.get("idfactura"))


@hooks.after_update(*KINDS)
def after_update(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    if bool(previous.get("pagado")) != bool(record.get("pagado")):
        new_payment(tenant, m, record)
    update_invoice(tenant, KINDS[m.resource], record.get("idfactura"))
    if previous.get("idfactura") != record.get("idfactura"):
        update_invoice(tenant, KINDS[m.resource], previous.get("idfactura"))


@hooks.after_delete(*KINDS)
def after_delete(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """ReciboCliente::delete(): its payments go with it; then the invoice is updated."""
    kind = KINDS[m.resource]
    payments = engine.model(kind.payments)
    for payment in engine.collection(tenant.store, payments).find(idrecibo=record[m.primary_key]):
        engine.delete(tenant, payments, payment)
    update_invoice(tenant, kind, record.get("idfactura"))


def new_payment(tenant: Tenant, m: Model, receipt: dict[str, Any]) -> dict[str, Any]:
    """ReciboCliente::newPayment(): the receipt's amount paid (or, negative, unpaid)."""
    payments = engine.model(KINDS[m.resource].payments)
    amount = _decimal(receipt.get("importe"))
    values: dict[str, Any] = {
        "codpago": receipt.get("codpago"),
        "idrecibo": receipt[m.primary_key],
        "importe": _number(amount if receipt.get("pagado") else -amount),
        "nick": receipt.get("nick"),
    }
    if receipt.get("fechapago"):
        values["fecha"] = receipt["fechapago"]
    if "gastos" in payments.columns:
        values["gastos"] = receipt.get("gastos") or 0
    return engine.insert(tenant, payments, values)


# -- invoices -------------------------------------------------------------------------------------
def receipts_of(tenant: Tenant, kind: ReceiptKind, idfactura: Any) -> list[dict[str, Any]]:
    found = engine.collection(tenant.store, engine.model(kind.receipts)).find(idfactura=idfactura)
    return sorted(found, key=lambda r: (r.get("numero") or 0, r["idrecibo"]))


def update_invoice(tenant: Tenant, kind: ReceiptKind, idfactura: Any) -> None:
    """ReceiptGenerator::update(): paid when the paid receipts cover the total, overdue while an
    unpaid receipt is. Written as the core writes it (an SQL UPDATE): no other save rule runs."""
    if idfactura is None:
        return
    invoices = engine.collection(tenant.store, engine.model(kind.invoices))
    invoice = invoices.get(idfactura)
    if invoice is None:
        return
    paid, overdue = Decimal(0), False
    for receipt in receipts_of(tenant, kind, idfactura):
        if receipt.get("pagado"):
            paid += _decimal(receipt.get("importe"))
        elif receipt.get("vencido"):
            overdue = True
    total = _decimal(invoice.get("total"))
    pagada = round_cents(total - paid) == 0 or (total > 0 and total <= paid)
    if (invoice.get("pagada"), invoice.get("vencida")) != (pagada, overdue):
        invoices.replace({**invoice, "pagada": pagada, "vencida": overdue})


def generate(tenant: Tenant, kind: ReceiptKind, invoice: dict[str, Any]) -> None:
    """ReceiptGenerator::generate($invoice) with no number: the outstanding amount goes to the
    open receipt (in the invoice's currency), or to a new one."""
    receipts_model = engine.model(kind.receipts)
    receipts = receipts_of(tenant, kind, invoice["idfactura"])
    outstanding = round_cents(
        _decimal(invoice.get("total")) - sum((_decimal(r.get("importe")) for r in receipts), Decimal(0))
    )
    number = 1
    for receipt in receipts:
        if not receipt.get("pagado"):
            if outstanding == 0 and receipt.get("coddivisa") == invoice.get("coddivisa"):
                continue
            importe = _number(_decimal(receipt.get("importe")) + outstanding)
            engine.update(tenant, receipts_model, receipt, {"importe": importe, "coddivisa": invoice.get("coddivisa")})
            return
        number = max(number, int(receipt.get("numero") or 0) + 1)
    if outstanding == 0:
        return
    party = engine.load(tenant.store, engine.model(kind.party_resource), invoice.get(kind.party))
    values: dict[str, Any] = {
        kind.party: invoice.get(kind.party),
        "coddivisa": invoice.get("coddivisa"),
        "idempresa": invoice.get("idempresa"),
        "idfactura": invoice["idfactura"],
        "numero": number,
        "fecha": invoice["fecha"],
        "importe": _number(outstanding),
        # Only customers have payment days; a supplier's receipt keeps the method's due date.
        **method_terms(
            tenant, invoice.get("codpago"), parse_date(invoice["fecha"]), party if kind.party == "codcliente" else None
        ),
    }
    engine.insert(tenant, receipts_model, values)


def delete_open(tenant: Tenant, kind: ReceiptKind, idfactura: Any) -> None:
    """InvoiceTrait::onChange('codpago'): the unpaid receipts go, to be generated again."""
    model = engine.model(kind.receipts)
    for receipt in receipts_of(tenant, kind, idfactura):
        if not receipt.get("pagado"):
            engine.delete(tenant, model, receipt)


def refresh_overdue(tenant: Tenant) -> int:
    """The core's daily `update-receipts` job: unpaid receipts past due are saved again, so
    test() marks them overdue (and their invoices follow). Returns how many changed."""
    changed = 0
    today = tenant.clock.today()
    for kind in KINDS.values():
        model = engine.model(kind.receipts)
        for receipt in engine.collection(tenant.store, model).all():
            due = receipt.get("vencimiento")
            if receipt.get("pagado") or receipt.get("vencido") or not due or parse_date(due) >= today:
                continue
            engine.update(tenant, model, receipt, {})
            changed += 1
    return changed

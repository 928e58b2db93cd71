"""Save rules of business documents and their lines, whichever route saves them (crear*,
editar*, the generic resources): Core/Model/Base/BusinessDocument.php, TransformerDocument.php,
InvoiceTrait.php and BusinessDocumentLine.php.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal
from typing import Any

from ...responses import add_warning
from ...tenants import Tenant
from . import engine, hooks, invoice_dates, receipts, stock
from .doctypes import DocType, by_resource, is_header, is_lines
from .models import Model

# What may change on a document that is not editable (TransformerDocument::$unlocked_fields).
NON_EDITABLE_FIELDS = {"femail", "idestado", "idestado_ant", "numdocs", "pagada", "editable"}
HAS_REFUNDS = "cant-remove-invoice-refund: No se puede eliminar una factura que ya tiene rectificativa (devolución)"
GENERATES_WARNING = (
    "{name} is state {state} ('{label}'), which on a real FacturaScripts server generates a {generadoc} from this "
    "document; the sandbox changes the state (and the stock its lines move) but generates no document"
)


def doc_of(m: Model) -> DocType:
    return by_resource()[m.resource]


def _warn(text: str) -> None:
    # Outside a request (seeding a tenant) there is no one to warn.
    with contextlib.suppress(RuntimeError, LookupError):
        add_warning(text)


# -- headers --------------------------------------------------------------------------------------
@hooks.before_save(is_header)
def before_save_header(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    _state(tenant, record, previous)
    _check_total(record)
    refused = invoice_dates.check(tenant, m, record, previous)
    if refused:
        raise engine.SaveError(refused)


def _state(tenant: Tenant, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """Every save sets `editable` from the state; a non-editable document keeps its data."""
    if previous is not None and previous.get("editable") is False:
        changed = sorted(k for k, v in record.items() if previous.get(k) != v and k not in NON_EDITABLE_FIELDS)
        if changed:
            raise engine.SaveError([f"Documento no editable: no se puede cambiar {', '.join(changed)}"])
    if previous is not None and previous.get("idestado") != record.get("idestado"):
        record["idestado_ant"] = previous.get("idestado")
    status_id = record.get("idestado")
    if status_id is not None:
        status = engine.load(tenant.store, engine.model("estadodocumentos"), status_id)
        if status is not None:
            record["editable"] = bool(status.get("editable"))


def _check_total(record: dict[str, Any]) -> None:
    """BusinessDocument::test(): a document whose total is not the sum of its parts is not
    saved ('bad-total-error'), whichever route wrote it."""

    def part(name: str) -> Decimal:
        value = record.get(name)
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    expected = part("neto") + part("totalsuplidos") + part("totaliva") - part("totalirpf") + part("totalrecargo")
    if abs(part("total") - expected) >= Decimal("0.005"):
        raise engine.SaveError(["El total del documento está mal calculado"])


@hooks.after_update(is_header)
def after_update_header(tenant: Tenant, m: Model, previous: dict[str, Any], record: dict[str, Any]) -> None:
    doc = doc_of(m)
    if previous.get("idestado") != record.get("idestado"):
        status = engine.load(tenant.store, engine.model("estadodocumentos"), record.get("idestado")) or {}
        lines = engine.model(doc.lines)
        for line in lines_of(tenant, doc, record[doc.pk]):
            engine.update(tenant, lines, line, {"actualizastock": status.get("actualizastock") or 0})
        if status.get("generadoc"):
            _warn(
                GENERATES_WARNING.format(
                    name=record.get("codigo"),
                    state=status["idestado"],
                    label=status.get("nombre"),
                    generadoc=status["generadoc"],
                )
            )
    if previous.get("codalmacen") != record.get("codalmacen"):
        # BusinessDocumentLine::transfer(): each line's stock moves to the new warehouse.
        for line in lines_of(tenant, doc, record[doc.pk]):
            stock.move_line(tenant, previous.get("codalmacen"), line, None)
            stock.move_line(tenant, record.get("codalmacen"), None, line)
    kind = receipts.BY_INVOICE.get(m.resource)
    if kind is None:
        return
    if previous.get("codpago") != record.get("codpago"):
        receipts.delete_open(tenant, kind, record["idfactura"])
    if any(previous.get(k) != record.get(k) for k in ("total", "fecha", "codpago", "coddivisa")):
        # InvoiceTrait::onChangeTotal(): the receipts follow the new total.
        receipts.generate(tenant, kind, record)
        receipts.update_invoice(tenant, kind, record["idfactura"])


@hooks.refusal(is_header)
def may_delete_header(tenant: Tenant, m: Model, record: dict[str, Any]) -> str | None:
    """Why a document may not be deleted, or None."""
    if record.get("editable") is False:
        return "Documento no editable"
    if m.resource in receipts.BY_INVOICE:
        refunds = engine.collection(tenant.store, m).find(idfacturarect=record["idfactura"])
        if refunds:
            return HAS_REFUNDS
    return None


@hooks.after_delete(is_header)
def after_delete_header(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """TransformerDocument::delete(): its lines go (giving their stock back), and an invoice's
    receipts with their payments (InvoiceTrait::delete)."""
    doc = doc_of(m)
    lines = engine.collection(tenant.store, engine.model(doc.lines))
    for line in lines_of(tenant, doc, record[doc.pk]):
        stock.move_line(tenant, record.get("codalmacen"), line, None)
        lines.delete(line["idlinea"])
    kind = receipts.BY_INVOICE.get(m.resource)
    if kind is not None:
        model = engine.model(kind.receipts)
        for receipt in receipts.receipts_of(tenant, kind, record["idfactura"]):
            engine.delete(tenant, model, receipt)


def lines_of(tenant: Tenant, doc: DocType, key: Any) -> list[dict[str, Any]]:
    found = engine.collection(tenant.store, engine.model(doc.lines)).find(**{doc.pk: key})
    return sorted(found, key=lambda r: (-(r.get("orden") or 0), r["idlinea"]))


# -- lines ----------------------------------------------------------------------------------------
def _warehouse(tenant: Tenant, m: Model, line: dict[str, Any]) -> Any:
    doc = doc_of(m)
    header = engine.load(tenant.store, engine.model(doc.header), line.get(doc.pk))
    return header.get("codalmacen") if header else None


def refunded(tenant: Tenant, m: Model, line: dict[str, Any], *, excluding: Any = None) -> Decimal:
    """InvoiceLineTrait::refundedQuantity(): how much of an invoice line its rectificatives'
    lines (`idlinearect`) have refunded."""
    found = engine.collection(tenant.store, m).find(idlinearect=line["idlinea"])
    return sum((abs(_number(r.get("cantidad"))) for r in found if r["idlinea"] != excluding), Decimal(0))


def refundable(tenant: Tenant, m: Model, line: dict[str, Any], *, excluding: Any = None) -> Decimal:
    """What is left to refund of an invoice line (never negative)."""
    return max(abs(_number(line.get("cantidad"))) - refunded(tenant, m, line, excluding=excluding), Decimal(0))


def _number(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _refund_line(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    """A rectificative's line refunds a line of the invoice it rectifies, and never more than is
    left of it, whichever route writes it (the sandbox's rule: the real server caps only its
    refund form). Serialised by the tenant's transaction, so parallel refunds cannot overdraw."""
    original = engine.load(tenant.store, m, record["idlinearect"])
    if original is None:
        raise engine.SaveError([f"idlinearect: la línea {record['idlinearect']} no existe"])
    doc = doc_of(m)
    header = engine.load(tenant.store, engine.model(doc.header), record.get(doc.pk)) or {}
    if str(header.get("idfacturarect")) != str(original.get(doc.pk)):
        raise engine.SaveError(["idlinearect: la línea no es de la factura que se rectifica"])
    quantity = abs(_number(record.get("cantidad")))
    left = refundable(tenant, m, original, excluding=record.get("idlinea"))
    if quantity > left:
        raise engine.SaveError([f"La cantidad a devolver ({quantity}) supera lo pendiente de devolver ({left})"])


@hooks.before_save(is_lines)
def before_save_line(tenant: Tenant, m: Model, record: dict[str, Any], previous: dict[str, Any] | None) -> None:
    """BusinessDocumentLine::test(), then the stock it moves (updateStock: a refusal stops the save)."""
    if doc_of(m).invoice and record.get("idlinearect") not in (None, ""):
        _refund_line(tenant, m, record)
    if not record.get("codimpuesto"):
        record["codimpuesto"], record["iva"], record["recargo"] = None, 0, 0
    served, quantity = record.get("servido") or 0, record.get("cantidad") or 0
    if served < 0 <= quantity:
        record["servido"] = 0
    stock.move_line(tenant, _warehouse(tenant, m, record), previous, record)


@hooks.after_delete(is_lines)
def after_delete_line(tenant: Tenant, m: Model, record: dict[str, Any]) -> None:
    stock.move_line(tenant, _warehouse(tenant, m, record), record, None)

"""Business documents: the custom endpoints crear*, editar*, pagarFactura*, exportar* and the
Calculator (Core/Lib/Calculator.php), numbering (Core/Lib/BusinessDocumentCode.php) and
receipts, over the same models and engine as the generic resources.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from ...domain.money import HUNDRED, ZERO, InvalidAmount, round_cents, to_decimal
from ...errors import ApiError
from ...tenants import Tenant
from ...validators import parse_json_strict
from . import document_rules, engine, receipts, sequences, settings
from .doctypes import DocType, doc_types
from .models import InvalidValue, format_date, parse_date, parse_time

# What may change on a non-editable document (ModelOnChangeClass of BusinessDocument).
NON_EDITABLE_FIELDS = {"femail", "idestado", "numdocs", "pagada"}
LINE_KEYS = ("referencia", "descripcion", "cantidad", "pvpunitario", "dtopor", "dtopor2", "irpf", "suplido", "orden")


def error(status: int, message: str) -> ApiError:
    return ApiError(status, "document", message, origin="document")


def php_truthy(value: Any) -> bool:
    return value not in (None, "", "0", 0, False)


def _d(value: Any, default: str = "0") -> Decimal:
    if value in (None, ""):
        return Decimal(default)
    try:
        return to_decimal(value)
    except InvalidAmount as exc:
        raise error(400, f"Invalid number: {value}") from exc


def _num(value: Decimal) -> str:
    return str(value.normalize()) if value != 0 else "0"


# The real server keeps a line's numbers in double precision columns: a quantity, discount or
# withholding may be any double; a price is money, and money must be an amount a double holds
# to the cent, 2^53 cents, as must every amount computed from them (a line total, a tax, the
# document total). Beyond that the real server stores an approximation (or, past the double
# range, fails to save); the sandbox refuses it.
DOUBLE_MAX = Decimal("1.7976931348623157e308")
MAX_AMOUNT = Decimal(2**53) / HUNDRED
LINE_NUMBER_LIMITS = {
    "cantidad": DOUBLE_MAX,
    "dtopor": DOUBLE_MAX,
    "dtopor2": DOUBLE_MAX,
    "irpf": DOUBLE_MAX,
    "pvpunitario": MAX_AMOUNT,
    "coste": MAX_AMOUNT,
}


def _line_number(key: str, value: Any) -> Decimal:
    number = _d(value)
    limit = LINE_NUMBER_LIMITS.get(key, DOUBLE_MAX)
    if abs(number) > limit:
        raise error(400, f"Invalid lines: {key} {value!s:.40} is out of range (at most {limit:.6E})")
    return number


def _amount(value: Decimal) -> Decimal:
    """An amount the document may hold, or the real server's 422 for a calculation it cannot save."""
    if abs(value) > MAX_AMOUNT:
        raise error(422, f"{engine.SAVE_ERROR} - importe fuera de rango: {value:.6E} (máximo {MAX_AMOUNT})")
    return value


# -- Calculator ---------------------------------------------------------------------------------
def calculate(header: dict[str, Any], lines: list[dict[str, Any]]) -> None:
    """Line amounts and document totals, as Calculator::calculate (in place)."""
    factor = (HUNDRED - _d(header.get("dtopor1"))) / HUNDRED * (HUNDRED - _d(header.get("dtopor2"))) / HUNDRED
    groups: dict[tuple[Decimal, Decimal], dict[str, Decimal]] = {}
    netosindto = suplidos = irpf_total = totalcoste = ZERO
    irpf_rate = ZERO
    for line in lines:
        quantity, price = _d(line.get("cantidad"), "1"), _d(line.get("pvpunitario"))
        totalcoste += quantity * _d(line.get("coste"))  # sales lines only carry a cost
        sindto = _amount(quantity * price)
        discount = (HUNDRED - _d(line.get("dtopor"))) / HUNDRED * (HUNDRED - _d(line.get("dtopor2"))) / HUNDRED
        total = _amount(sindto * discount)
        line["pvpsindto"], line["pvptotal"] = _num(sindto), _num(total)
        netosindto += total
        amount = _amount(total * factor)
        if php_truthy(line.get("suplido")):
            suplidos += amount
            continue
        iva, recargo = _d(line.get("iva")), _d(line.get("recargo"))
        group = groups.setdefault((iva, recargo), {"neto": ZERO, "iva": ZERO, "recargo": ZERO})
        group["neto"] = _amount(group["neto"] + amount)
        group["iva"] = _amount(group["iva"] + amount * iva / HUNDRED)
        group["recargo"] = _amount(group["recargo"] + amount * recargo / HUNDRED)
        line_irpf = _d(line.get("irpf"))
        irpf_total = _amount(irpf_total + amount * line_irpf / HUNDRED)
        irpf_rate = max(irpf_rate, line_irpf)
    for subtotal in (netosindto, suplidos, totalcoste):
        _amount(subtotal)
    neto = sum((round_cents(g["neto"]) for g in groups.values()), ZERO)
    totaliva = sum((round_cents(g["iva"]) for g in groups.values()), ZERO)
    totalrecargo = sum((round_cents(g["recargo"]) for g in groups.values()), ZERO)
    totalirpf = round_cents(irpf_total)
    totalsuplidos = round_cents(suplidos)
    total = round_cents(_amount(neto + totalsuplidos + totaliva + totalrecargo - totalirpf))
    header.update(
        netosindto=_num(round_cents(netosindto)),
        neto=_num(neto),
        totaliva=_num(totaliva),
        totalrecargo=_num(totalrecargo),
        totalirpf=_num(totalirpf),
        totalsuplidos=_num(totalsuplidos),
        irpf=_num(irpf_rate),
        total=_num(total),
        totaleuros=_num(total),
        # Sales documents' margin (purchase documents have no such columns: assign drops them).
        totalcoste=_num(totalcoste),
        totalbeneficio=_num(round_cents(neto - totalcoste)),
    )


# -- lookups ---------------------------------------------------------------------------------------
def _get(tenant: Tenant, resource: str, key: Any) -> dict[str, Any] | None:
    return engine.load(tenant.store, engine.model(resource), key)


def default_status(tenant: Tenant, doc: DocType) -> dict[str, Any] | None:
    states = engine.collection(tenant.store, engine.model("estadodocumentos")).find(tipodoc=doc.name)
    preferred = [s for s in states if s.get("predeterminado")]
    chosen = preferred or states
    return chosen[0] if chosen else None


def ensure_exercise(tenant: Tenant, day: date) -> str:
    """The exercise (fiscal year) of a date, created on demand as the real server does."""
    code = str(day.year)
    if _get(tenant, "ejercicios", code) is None:
        engine.insert(
            tenant,
            engine.model("ejercicios"),
            {
                "codejercicio": code,
                "nombre": code,
                "idempresa": 1,
                "fechainicio": format_date(day.replace(month=1, day=1)),
                "fechafin": format_date(day.replace(month=12, day=31)),
                "estado": "ABIERTO",
                "longsubcuenta": 10,
            },
        )
    return code


def _lines_from(value: Any) -> list[dict[str, Any]]:
    if value in (None, ""):
        raise error(400, "lineas field is required")
    if not isinstance(value, str):
        raise error(400, "Invalid lines")
    # The same strict parser as every JSON body: bounded depth (no RecursionError), no NaN,
    # no duplicate keys. A JSON string inside a form is a body of its own.
    try:
        parsed = parse_json_strict(value.encode("utf-8", "surrogatepass"))
    except ApiError as exc:
        raise error(400, "Invalid lines") from exc  # the real server's text, whatever the reason
    if not isinstance(parsed, list) or not all(isinstance(item, dict) for item in parsed):
        raise error(400, "Invalid lines")
    return parsed


def _variant(tenant: Tenant, reference: str) -> dict[str, Any] | None:
    """The variant a line's `referencia` names: by reference, else by barcode (getNewProductLine)."""
    variants = engine.collection(tenant.store, engine.model("variantes"))
    found = variants.find(referencia=reference) or variants.find(codbarras=reference)
    return found[0] if found else None


def _line_values(
    tenant: Tenant, raw: Mapping[str, Any], regime_recargo: bool, siniva: bool, *, sales: bool = True
) -> dict[str, Any]:
    line: dict[str, Any] = {"cantidad": "1", "dtopor": "0", "dtopor2": "0", "irpf": "0"}
    # A new line has the default tax (BusinessDocumentLine::clear), a product line its product's.
    codimpuesto = settings.default(tenant, "codimpuesto")
    reference = raw.get("referencia")
    if reference not in (None, ""):
        variant = _variant(tenant, str(reference))
        if variant is not None:
            product = _get(tenant, "productos", variant.get("idproducto")) or {}
            line.update(
                referencia=variant["referencia"],
                idproducto=variant.get("idproducto"),
                descripcion=product.get("descripcion") or variant["referencia"],
                # A sale at the variant's price, a purchase at its cost (Sales/PurchaseDocument).
                pvpunitario=(variant.get("precio") if sales else variant.get("coste")) or 0,
            )
            if sales:
                line["coste"] = variant.get("coste") or 0
            codimpuesto = product.get("codimpuesto")
        else:
            line["referencia"] = str(reference)
    for key in (*LINE_KEYS, "coste") if sales else LINE_KEYS:
        if key in raw and raw[key] is not None:
            line[key] = raw[key]
    if raw.get("codimpuesto") is not None:
        # applyLineFields: a line's own codimpuesto wins; 'null' or '' leaves it without tax.
        codimpuesto = None if raw["codimpuesto"] in ("", "null") else raw["codimpuesto"]
    for key in LINE_NUMBER_LIMITS:
        _line_number(key, line.get(key))  # refuse what is not a number, or one beyond the columns
    tax = _get(tenant, "impuestos", codimpuesto) if codimpuesto not in (None, "") else None
    if codimpuesto not in (None, "") and tax is None:
        raise error(400, f"Impuesto {codimpuesto} no encontrado")
    line["codimpuesto"] = tax["codimpuesto"] if tax else None
    line["iva"] = 0 if siniva or tax is None else tax.get("iva") or 0
    line["recargo"] = tax.get("recargo") or 0 if tax and regime_recargo and not siniva else 0
    line["suplido"] = php_truthy(line.get("suplido"))
    return line


# -- crear* -----------------------------------------------------------------------------------------
HEADER_SETTABLE = (
    "codalmacen",
    "coddivisa",
    "codpago",
    "codserie",
    "dtopor1",
    "dtopor2",
    "observaciones",
    "numero2",
    "direccion",
    "codpostal",
    "ciudad",
    "provincia",
    "apartado",
    "codagente",
    "codtrans",
)


def _retention(tenant: Tenant, party: dict[str, Any]) -> Any:
    """Cliente::irpf(): the percentage of the party's withholding, 0 without one."""
    retention = _get(tenant, "retenciones", party.get("codretencion")) if party.get("codretencion") else None
    return (retention or {}).get("porcentaje") or 0


def party_values(tenant: Tenant, doc: DocType, party: dict[str, Any]) -> dict[str, Any]:
    """setSubject(): the party's name, tax id and terms, and its billing address (its contact)."""
    link = "idcontactofact" if doc.customer else "idcontacto"
    contact = _get(tenant, "contactos", party.get(link)) if party.get(link) else None
    # Without a contact the address is a new, empty one: only its default country.
    address = contact or {"codpais": settings.default(tenant, "codpais")}
    values: dict[str, Any] = {
        doc.party: party[doc.party],
        doc.party_name: party.get("razonsocial") or party.get("nombre"),
        "cifnif": party.get("cifnif") or "",
        "codpago": party.get("codpago") or settings.default(tenant, "codpago"),
        "codserie": party.get("codserie") or settings.default(tenant, "codserie"),
        "irpf": _retention(tenant, party),
        "operacion": party.get("operacion"),
        **{k: address.get(k) for k in ("apartado", "ciudad", "codpais", "codpostal", "direccion", "provincia")},
    }
    if doc.customer:
        values |= {
            "codagente": party.get("codagente"),
            "idcontactofact": contact["idcontacto"] if contact else None,
            "idcontactoenv": party.get("idcontactoenv"),
        }
    return values


def create(tenant: Tenant, doc: DocType, form: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """crear<doc>: header, lines, totals, number and receipts in one transaction."""
    party_code = form.get(doc.party)
    if party_code in (None, ""):
        raise error(400, f"{doc.party} field is required")
    party = _get(tenant, doc.party_resource, party_code)
    if party is None:
        raise error(404, "customer-not-found" if doc.customer else "supplier-not-found")
    codalmacen = form.get("codalmacen") or settings.default(tenant, "codalmacen")
    if _get(tenant, "almacenes", codalmacen) is None:
        raise error(404, "warehouse-not-found")
    try:
        day = parse_date(form["fecha"]) if form.get("fecha") else tenant.clock.today()
        hour = (
            parse_time(form["hora"]).strftime("%H:%M:%S")
            if form.get("hora")
            else tenant.clock.now().strftime("%H:%M:%S")
        )
    except InvalidValue as exc:
        raise error(400, str(exc)) from exc
    raw_lines = _lines_from(form.get("lineas"))
    header: dict[str, Any] = {
        **party_values(tenant, doc, party),
        "codalmacen": codalmacen,
        "coddivisa": settings.default(tenant, "coddivisa"),
        "fecha": format_date(day),
        "hora": hour,
        "idempresa": (_get(tenant, "almacenes", codalmacen) or {}).get("idempresa") or 1,
        "tasaconv": 1,
    }
    for key in HEADER_SETTABLE:
        if form.get(key) not in (None, ""):
            header[key] = form[key]
    serie = _get(tenant, "series", header["codserie"])
    if serie is None:
        raise error(422, f"Serie {header['codserie']} no encontrada")
    regime_recargo = doc.customer and party.get("regimeniva") == "Recargo"
    siniva = bool(serie.get("siniva"))
    lines = []
    for raw in raw_lines:
        line = _line_values(tenant, raw, regime_recargo, siniva, sales=doc.customer)
        if raw.get("irpf") is None:
            line["irpf"] = header["irpf"]  # getNewLine(): the document's (the party's) withholding
        lines.append(line)
    calculate(header, lines)
    return _insert(tenant, doc, header, lines, paid=php_truthy(form.get("pagada")))


def _insert(
    tenant: Tenant, doc: DocType, header: dict[str, Any], lines: list[dict[str, Any]], *, paid: bool
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Number, save header and lines and (invoices) the receipts, in one transaction."""
    with tenant.store.transaction():
        header["codejercicio"] = ensure_exercise(tenant, parse_date(header["fecha"]))
        status = default_status(tenant, doc) or {}
        if status:
            header["idestado"] = status["idestado"]
            header["editable"] = bool(status.get("editable"))
        try:
            sequences.assign(tenant, doc, header)
            saved = engine.insert(tenant, engine.model(doc.header), header)
            saved_lines = []
            for order, line in enumerate(lines):
                line[doc.pk] = saved[doc.pk]
                line.setdefault("orden", len(lines) - order)
                # getNewLine(): the line moves stock as the document's state says.
                line["actualizastock"] = status.get("actualizastock") or 0
                saved_lines.append(engine.insert(tenant, engine.model(doc.lines), line))
            if doc.invoice:
                kind = receipts.BY_INVOICE[doc.header]
                receipts.generate(tenant, kind, saved)
                receipts.update_invoice(tenant, kind, saved[doc.pk])
                if paid:
                    # processInvoicePaid(): every receipt saved as paid (today).
                    receipt_model = engine.model(kind.receipts)
                    for receipt in receipts.receipts_of(tenant, kind, saved[doc.pk]):
                        engine.update(tenant, receipt_model, receipt, {"pagado": True})
                saved = _reload(tenant, doc, saved[doc.pk])
        except engine.SaveError as exc:
            raise error(422, " - ".join([engine.SAVE_ERROR, *exc.reasons])) from exc
    return saved, saved_lines


# -- editar* ----------------------------------------------------------------------------------------
FIXED_ON_EDIT = {"codalmacen": "almacén", "idempresa": "empresa"}


def edit(
    tenant: Tenant, doc: DocType, key: Any, form: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """editar<doc>/{id}: header fields and a full sync of the lines (update, add, delete)."""
    with tenant.store.transaction():
        header = _get(tenant, doc.header, key)
        if header is None:
            raise error(404, "record-not-found")
        if form.get(doc.party) not in (None, "") and form[doc.party] != header.get(doc.party):
            raise error(422, "No se puede cambiar el cliente" if doc.customer else "No se puede cambiar el proveedor")
        for field, label in FIXED_ON_EDIT.items():
            if form.get(field) not in (None, "") and str(form[field]) != str(header.get(field)):
                raise error(422, f"No se puede cambiar el {label}")
        if not header.get("editable"):
            raise error(422, "Documento no editable")
        raw_lines = _lines_from(form.get("lineas"))
        party = _get(tenant, doc.party_resource, header.get(doc.party)) or {}
        serie = _get(tenant, "series", header.get("codserie")) or {}
        regime_recargo = doc.customer and party.get("regimeniva") == "Recargo"
        existing = {line["idlinea"]: line for line in lines_of(tenant, doc, header[doc.pk])}
        wanted: list[tuple[Any, dict[str, Any]]] = []
        status = _get(tenant, "estadodocumentos", header.get("idestado")) or {}
        for raw in raw_lines:
            values = _line_values(tenant, raw, regime_recargo, bool(serie.get("siniva")), sales=doc.customer)
            try:
                idlinea = int(raw["idlinea"]) if raw.get("idlinea") not in (None, "") else None
            except (TypeError, ValueError) as exc:
                raise error(400, "Invalid lines") from exc
            if idlinea not in existing:
                idlinea = None
                values["actualizastock"] = status.get("actualizastock") or 0
                if raw.get("irpf") is None:
                    values["irpf"] = header.get("irpf") or 0
            wanted.append((idlinea, values))
        updated = dict(header)
        for field in HEADER_SETTABLE:
            if field != "codalmacen" and field != "codserie" and form.get(field) not in (None, ""):
                updated[field] = form[field]
        calculate(updated, [values for _, values in wanted])
        lines_model = engine.model(doc.lines)
        keep = {idlinea for idlinea, _ in wanted if idlinea is not None}
        try:
            for idlinea, line in existing.items():
                if idlinea not in keep:
                    engine.delete(tenant, lines_model, line)  # its stock comes back
            saved_lines = []
            for order, (idlinea, values) in enumerate(wanted):
                values[doc.pk] = header[doc.pk]
                values.setdefault("orden", len(wanted) - order)
                if idlinea is None:
                    saved_lines.append(engine.insert(tenant, lines_model, values))
                else:
                    saved_lines.append(engine.update(tenant, lines_model, existing[idlinea], values))
            # The invoice's receipts follow a new total (InvoiceTrait::onChange, a save rule).
            saved = engine.update(tenant, engine.model(doc.header), header, updated)
        except engine.SaveError as exc:
            raise error(422, " - ".join([engine.SAVE_ERROR, *exc.reasons])) from exc
    return saved, saved_lines


# -- crearFacturaRectificativaCliente -----------------------------------------------------------------
def rectify(tenant: Tenant, form: Mapping[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    doc = doc_types()["FacturaCliente"]
    for field in ("idfactura", "fecha"):
        if form.get(field) in (None, ""):
            raise error(400, f"{field} field is required")
    try:
        day = parse_date(form["fecha"])
        hour = parse_time(form["hora"]).strftime("%H:%M:%S") if form.get("hora") else None
    except InvalidValue as exc:
        raise error(400, str(exc)) from exc
    with tenant.store.transaction():
        original = _get(tenant, doc.header, form["idfactura"])
        if original is None:
            raise error(404, "record-not-found")
        if original.get("idfacturarect"):
            raise error(400, "No se puede rectificar una factura rectificativa")
        quantities: dict[int, Decimal] = {}
        for name, value in form.items():
            if name.startswith("refund_") and value not in (None, ""):
                try:
                    quantities[int(name[7:])] = _line_number("cantidad", value)
                except ValueError as exc:
                    raise error(400, f"Invalid refund quantity: {name}") from exc
        lines = []
        for line in lines_of(tenant, doc, original["idfactura"]):
            invoiced = _d(line.get("cantidad"))
            left = document_rules.refundable(tenant, engine.model(doc.lines), line)
            if quantities:
                quantity = quantities.get(line["idlinea"], ZERO)
                if quantity == 0:
                    continue
                # The refund form's bounds (RefundFacturaCliente: min 0, max cantidad - refunded),
                # which the real API does not check: the sandbox does, so no refund exceeds the line.
                if (quantity > 0) != (invoiced > 0) or abs(quantity) > left:
                    raise error(
                        400,
                        f"La cantidad a devolver de la línea {line['idlinea']} ({_num(quantity)}) supera "
                        f"lo pendiente de devolver ({_num(left.copy_sign(invoiced))})",
                    )
            else:
                quantity = left.copy_sign(invoiced)  # a full rectification refunds what is left
                if quantity == 0:
                    continue
            copy = {k: line.get(k) for k in ("referencia", "idproducto", "descripcion", "pvpunitario", "dtopor")}
            copy |= {k: line.get(k) for k in ("dtopor2", "irpf", "codimpuesto", "iva", "recargo", "suplido")}
            # cantidad = 0 - refund_<idlinea>, as the real controller does.
            copy.update(cantidad=_num(-quantity), idlinearect=line["idlinea"])
            lines.append(copy)
        if not lines:
            raise error(400, "No hay líneas que rectificar: todo lo facturado ya está devuelto")
        if original.get("editable"):
            issued = next(
                (
                    s
                    for s in engine.collection(tenant.store, engine.model("estadodocumentos")).find(tipodoc=doc.name)
                    if not s.get("editable")
                ),
                None,
            )
            if issued is not None:
                engine.update(tenant, engine.model(doc.header), original, {"idestado": issued["idestado"]})
        header = {
            k: original.get(k)
            for k in ("codcliente", "nombrecliente", "cifnif", "codalmacen", "coddivisa", "codpago", "idempresa")
        }
        header |= {k: original.get(k) for k in ("direccion", "codpostal", "ciudad", "provincia", "dtopor1", "dtopor2")}
        header.update(
            codserie=form.get("codserie") or original["codserie"],
            fecha=format_date(day),
            hora=hour or tenant.clock.now().strftime("%H:%M:%S"),
            observaciones=form.get("observaciones") or None,
            codigorect=original["codigo"],
            idfacturarect=original["idfactura"],
            tasaconv=1,
        )
        if _get(tenant, "series", header["codserie"]) is None:
            raise error(422, f"Serie {header['codserie']} no encontrada")
        calculate(header, lines)
        return _insert(tenant, doc, header, lines, paid=False)


def _reload(tenant: Tenant, doc: DocType, key: Any) -> dict[str, Any]:
    record = _get(tenant, doc.header, key)
    assert record is not None
    return record


def lines_of(tenant: Tenant, doc: DocType, key: Any) -> list[dict[str, Any]]:
    found = engine.collection(tenant.store, engine.model(doc.lines)).find(**{doc.pk: key})
    return sorted(found, key=lambda r: (-(r.get("orden") or 0), r["idlinea"]))


# -- pagarFactura* ----------------------------------------------------------------------------------
def pay(tenant: Tenant, doc: DocType, key: Any, form: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """ApiPagarFactura*: every receipt paid (or unpaid) and saved, so each creates its payment
    and the invoice follows its receipts; nothing when the invoice already is as asked."""
    if "pagada" not in form:
        raise error(400, "missing-pagada-parameter")
    paid = php_truthy(form.get("pagada"))
    try:
        fechapago = format_date(parse_date(form["fechapago"])) if form.get("fechapago") else None
    except InvalidValue as exc:
        raise error(400, str(exc)) from exc
    with tenant.store.transaction():
        invoice = _get(tenant, doc.header, key)
        if invoice is None:
            raise error(404, "record-not-found")
        if bool(invoice.get("pagada")) == paid:
            return "Sin cambios", invoice
        kind = receipts.BY_INVOICE[doc.header]
        model = engine.model(kind.receipts)
        try:
            for receipt in receipts.receipts_of(tenant, kind, invoice["idfactura"]):
                if paid:
                    changes = {"pagado": True, "fechapago": fechapago or receipt.get("fechapago")}
                    changes["codpago"] = form.get("codpago") or receipt.get("codpago")
                else:
                    changes = {"pagado": False, "fechapago": None}
                engine.update(tenant, model, receipt, changes)
        except engine.SaveError as exc:
            raise error(422, " - ".join([engine.SAVE_ERROR, *exc.reasons])) from exc
        return "Registro actualizado correctamente.", _reload(tenant, doc, key)


# -- export ----------------------------------------------------------------------------------------
# A text cell a spreadsheet would read as a formula (OWASP, CSV injection): = + - @, and tab
# and carriage return, which some spreadsheets skip before looking for one.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: numbers as they are, text that could start a formula behind a `'`."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def export_csv(doc: DocType, header: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";")
    fields = ["codigo", "fecha", doc.party, doc.party_name, "cifnif", "neto", "totaliva", "totalrecargo"]
    fields += ["totalirpf", "total"]
    writer.writerow(fields)
    writer.writerow([csv_cell(header.get(f)) for f in fields])
    writer.writerow([])
    line_fields = ["referencia", "descripcion", "cantidad", "pvpunitario", "dtopor", "iva", "recargo", "pvptotal"]
    writer.writerow(line_fields)
    for line in lines:
        writer.writerow([csv_cell(line.get(f)) for f in line_fields])
    return out.getvalue().encode("utf-8")


def export_pdf(tenant: Tenant, doc: DocType, header: dict[str, Any], lines: list[dict[str, Any]]) -> bytes:
    from ...domain.pdf import InvoicePdf, Party, PdfLine, render_invoice

    company = _get(tenant, "empresas", header.get("idempresa") or 1) or {}
    party = _get(tenant, doc.party_resource, header.get(doc.party)) or {}
    groups: dict[Decimal, Decimal] = {}
    for line in lines:
        if not line.get("suplido"):
            groups[_d(line.get("iva"))] = groups.get(_d(line.get("iva")), ZERO) + _d(line.get("pvptotal"))
    totals = [("Neto", _d(header.get("neto"))), ("IVA", _d(header.get("totaliva")))]
    if _d(header.get("totalrecargo")):
        totals.append(("Recargo de equivalencia", _d(header.get("totalrecargo"))))
    if _d(header.get("totalirpf")):
        totals.append(("IRPF", -_d(header.get("totalirpf"))))
    if _d(header.get("totalsuplidos")):
        totals.append(("Suplidos", _d(header.get("totalsuplidos"))))
    totals.append(("Total", _d(header.get("total"))))
    pdf = InvoicePdf(
        title=doc.title.upper(),
        number=str(header.get("codigo", "")),
        date=str(header.get("fecha", "")),
        issuer=Party(str(company.get("nombre", "")), "CIF", str(company.get("cifnif", ""))),
        customer=Party(
            str(header.get(doc.party_name) or party.get("nombre") or ""),
            "NIF",
            str(header.get("cifnif") or ""),
            tuple(str(v) for v in (header.get("direccion"), header.get("ciudad")) if v),
        ),
        lines=tuple(
            PdfLine(
                description=str(line.get("descripcion") or line.get("referencia") or ""),
                quantity=_d(line.get("cantidad")),
                unit_price=_d(line.get("pvpunitario")),
                discount=_d(line.get("dtopor")),
                tax_rate=_d(line.get("iva")),
                amount=_d(line.get("pvptotal")),
            )
            for line in lines
        ),
        tax_rows=tuple(
            (f"IVA {_num(rate)}%", base, round_cents(base * rate / HUNDRED)) for rate, base in groups.items()
        ),
        totals=tuple(totals),
        notes=(str(header["observaciones"]),) if header.get("observaciones") else (),
        watermark="BOCETO" if header.get("editable") else None,
        extra_header=(f"Rectifica a: {header['codigorect']}",) if header.get("codigorect") else (),
    )
    return render_invoice(pdf)

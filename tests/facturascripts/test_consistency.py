"""Records that agree with each other, as the core keeps them: receipts follow the payment
method and make payments, stock follows the documents that move it, codes come from their
sequences, new records carry the models' clear() defaults, and invoices follow their numbers
in time. Everything through HTTP."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from facturas_sandbox.clock import Clock

from .conftest import BASE, FULL, TODAY, TODAY_DMY

GENERAL_CUSTOMER, TRANSFER_CUSTOMER = "1", "2"  # codpago CONT and TRANS in the fixtures


def crear(client, kind="FacturaCliente", party="codcliente", code=GENERAL_CUSTOMER, lines=None, **form):
    lines = lines if lines is not None else [{"descripcion": "Servicio", "pvpunitario": 100, "codimpuesto": "IVA21"}]
    r = client.post(f"{BASE}/crear{kind}", headers=FULL, data={party: code, "lineas": json.dumps(lines), **form})
    return r


def ok(response) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def get(client, path: str, **params: Any) -> Any:
    return ok(client.get(f"{BASE}/{path}", headers=FULL, params={"limit": 0, **params}))


def receipts_of(client, invoice: dict[str, Any], resource="reciboclientes") -> list[dict[str, Any]]:
    return get(client, resource, **{"filter[idfactura]": invoice["idfactura"]})


# -- receipts follow the payment method ------------------------------------------------------------
def test_a_receipt_is_due_after_the_methods_terms(client):
    # TRANS is "1 months" in a real installation: 31-01 + 1 month is 03-03, as PHP counts it.
    doc = ok(crear(client, code=TRANSFER_CUSTOMER, fecha="31-01-2025"))["doc"]
    (receipt,) = receipts_of(client, doc)
    assert (receipt["fecha"], receipt["vencimiento"], receipt["codpago"]) == ("31-01-2025", "03-03-2025", "TRANS")
    assert (receipt["pagado"], receipt["fechapago"], receipt["importe"]) == (False, None, doc["total"])
    # 03-03-2025 is long past on the tenant's day: unpaid and due, the receipt and its invoice are overdue
    assert receipt["vencido"] is True and doc["vencida"] is True and doc["pagada"] is False
    # a method with other terms: 15 days, and paid by itself
    ok(client.post(f"{BASE}/formapagos", headers=FULL, data={"codpago": "TPV", "descripcion": "TPV", "pagado": "1"}))
    ok(client.put(f"{BASE}/formapagos/TPV", headers=FULL, data={"plazovencimiento": "15", "tipovencimiento": "days"}))
    paid = ok(crear(client, codpago="TPV"))["doc"]
    (receipt,) = receipts_of(client, paid)
    assert (receipt["pagado"], receipt["fechapago"], receipt["vencido"]) == (True, TODAY_DMY, False)
    assert receipt["vencimiento"] == "07-12-2026"
    assert paid["pagada"] is True and paid["vencida"] is False
    (payment,) = get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]})
    assert (payment["importe"], payment["fecha"], payment["codpago"]) == (paid["total"], TODAY_DMY, "TPV")


def test_a_receipt_not_yet_due_is_not_overdue_until_the_day_comes(client):
    doc = ok(crear(client, code=TRANSFER_CUSTOMER))["doc"]
    (receipt,) = receipts_of(client, doc)
    assert (receipt["vencimiento"], receipt["vencido"], doc["vencida"]) == ("22-12-2026", False, False)
    # The core's daily cron saves unpaid receipts past due again: a month later they are overdue.
    tenant = client.app.sandbox.tenants.get("demo")
    client.app.sandbox.tenants.update("demo", {"clock": Clock(frozen_at=TODAY + timedelta(days=31)).to_record()})
    try:
        assert client.get(f"{BASE}/reciboclientes/{receipt['idrecibo']}", headers=FULL).json()["vencido"] is True
        assert client.get(f"{BASE}/facturaclientes/{doc['idfactura']}", headers=FULL).json()["vencida"] is True
        jobs = {j["jobname"]: j for j in get(client, "cronjobes")}
        assert jobs["update-receipts"]["date"].startswith("23-12-2026")
        assert "update-unpaid-invoices" in jobs
    finally:
        client.app.sandbox.tenants.update("demo", {"clock": Clock(frozen_at=TODAY).to_record()})
    assert tenant.clock.today() == TODAY.date()


def test_customer_payment_days_move_the_due_date(client):
    ok(client.put(f"{BASE}/clientes/{TRANSFER_CUSTOMER}", headers=FULL, data={"diaspago": "5,20"}))
    doc = ok(crear(client, code=TRANSFER_CUSTOMER, fecha=TODAY_DMY))["doc"]
    # 22-11 + 1 month = 22-12, then the nearest payment day: 05-01
    assert receipts_of(client, doc)[0]["vencimiento"] == "05-01-2027"


def test_paying_makes_payments_and_the_invoice_follows(client):
    doc = ok(crear(client, code=TRANSFER_CUSTOMER))["doc"]
    url = f"{BASE}/pagarFacturaCliente/{doc['idfactura']}"
    paid = ok(client.post(url, headers=FULL, data={"pagada": "1", "fechapago": "25-11-2026"}))["data"]
    assert (paid["pagada"], paid["vencida"]) == (True, False)
    (receipt,) = receipts_of(client, doc)
    payments = get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]})
    assert [(p["importe"], p["fecha"]) for p in payments] == [(doc["total"], "25-11-2026")]
    # undoing it records a negative payment, as newPayment() does
    assert ok(client.post(url, headers=FULL, data={"pagada": "0"}))["data"]["pagada"] is False
    payments = get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]})
    assert sorted(p["importe"] for p in payments) == [-doc["total"], doc["total"]]
    # a receipt updated through its own resource does the same, and the invoice follows
    ok(client.put(f"{BASE}/reciboclientes/{receipt['idrecibo']}", headers=FULL, data={"pagado": "1"}))
    assert len(get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]})) == 3
    invoice = client.get(f"{BASE}/facturaclientes/{doc['idfactura']}", headers=FULL).json()
    assert invoice["pagada"] is True
    receipt = client.get(f"{BASE}/reciboclientes/{receipt['idrecibo']}", headers=FULL).json()
    assert (receipt["fechapago"], receipt["vencido"]) == (TODAY_DMY, False)
    # a paid receipt's amount is fixed
    r = client.put(f"{BASE}/reciboclientes/{receipt['idrecibo']}", headers=FULL, data={"importe": "1"})
    assert r.status_code == 400 and "recibo pagado" in r.json()["error"]


def test_pagada_on_creation_pays_through_the_receipts(client):
    doc = ok(crear(client, code=TRANSFER_CUSTOMER, pagada="1"))["doc"]
    (receipt,) = receipts_of(client, doc)
    assert (doc["pagada"], receipt["pagado"], receipt["fechapago"]) == (True, True, TODAY_DMY)
    assert len(get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]})) == 1


def test_supplier_invoices_receipts_and_payments(client):
    doc = ok(crear(client, "FacturaProveedor", "codproveedor", "1"))["doc"]
    (receipt,) = receipts_of(client, doc, "reciboproveedores")
    assert (receipt["codproveedor"], receipt["vencimiento"], receipt["pagado"]) == ("1", "22-12-2026", False)
    ok(client.post(f"{BASE}/pagarFacturaProveedor/{doc['idfactura']}", headers=FULL, data={"pagada": "1"}))
    (payment,) = get(client, "pagoproveedores", **{"filter[idrecibo]": receipt["idrecibo"]})
    assert payment["importe"] == doc["total"]


def test_editing_the_total_moves_the_open_receipt(client):
    doc = ok(crear(client, code=TRANSFER_CUSTOMER))["doc"]
    lines = json.dumps([{"descripcion": "Más", "pvpunitario": 200, "codimpuesto": "IVA21"}])
    edited = ok(client.put(f"{BASE}/editarFacturaCliente/{doc['idfactura']}", headers=FULL, data={"lineas": lines}))
    assert [r["importe"] for r in receipts_of(client, doc)] == [edited["doc"]["total"]] == [242]


def test_deleting_a_draft_invoice_takes_its_lines_receipts_and_payments(client):
    doc = ok(crear(client, code=TRANSFER_CUSTOMER, pagada="1"))["doc"]
    (receipt,) = receipts_of(client, doc)
    assert client.delete(f"{BASE}/facturaclientes/{doc['idfactura']}", headers=FULL).status_code == 200
    assert receipts_of(client, doc) == []
    assert get(client, "lineafacturaclientes", **{"filter[idfactura]": doc["idfactura"]}) == []
    assert get(client, "pagoclientes", **{"filter[idrecibo]": receipt["idrecibo"]}) == []


# -- the seeded company has something true to report -----------------------------------------------
def test_seeded_invoices_span_months_with_payments_after_their_dates(client):
    invoices = get(client, "facturaclientes")
    receipts = {r["idfactura"]: r for r in get(client, "reciboclientes")}
    days = {(TODAY.date() - _date(i["fecha"])).days for i in invoices}
    assert max(days) >= 120 and len(days) >= 6
    overdue = [i for i in invoices if i["vencida"] and not i["pagada"]]
    paid = [i for i in invoices if i["pagada"]]
    assert len(overdue) >= 2 and len(paid) >= 3
    late = [
        i for i in paid if _date(receipts[i["idfactura"]]["fechapago"]) > _date(receipts[i["idfactura"]]["vencimiento"])
    ]
    assert late, "a payment-delay report finds a late payment"
    customers = {c["codcliente"]: c for c in get(client, "clientes")}
    for invoice in invoices:
        receipt = receipts[invoice["idfactura"]]
        assert _date(customers[invoice["codcliente"]]["fechaalta"]) < _date(invoice["fecha"])
        if receipt["pagado"]:
            assert _date(invoice["fecha"]) <= _date(receipt["fechapago"]) <= TODAY.date()
        assert receipt["vencido"] == (not receipt["pagado"] and _date(receipt["vencimiento"]) <= TODAY.date())
        assert invoice["vencida"] == receipt["vencido"] and invoice["pagada"] == receipt["pagado"]
        assert invoice["totalbeneficio"] == round(invoice["neto"] - invoice["totalcoste"], 2)
    assert any(i["totalcoste"] > 0 for i in invoices)
    payments = get(client, "pagoclientes")
    assert {p["idrecibo"] for p in payments} == {r["idrecibo"] for r in receipts.values() if r["pagado"]}


def _date(text: str):
    from facturas_sandbox.vendors.facturascripts.models import parse_date

    return parse_date(text)


# -- stock -------------------------------------------------------------------------------------------
def _stock(client, referencia: str) -> dict[str, Any]:
    (row,) = get(client, "stocks", **{"filter[referencia]": referencia})
    return row


def _stockfis(client, referencia: str) -> tuple[Any, Any]:
    (variant,) = get(client, "variantes", **{"filter[referencia]": referencia})
    product = client.get(f"{BASE}/productos/{variant['idproducto']}", headers=FULL).json()
    return variant["stockfis"], product["stockfis"]


def test_stock_rows_agree_with_stockfis(client):
    stocks = get(client, "stocks")
    for variant in get(client, "variantes"):
        own = [s["cantidad"] for s in stocks if s["referencia"] == variant["referencia"]]
        assert variant["stockfis"] == sum(own), variant["referencia"]
    for product in get(client, "productos"):
        own = [s["cantidad"] for s in stocks if s["idproducto"] == product["idproducto"]]
        assert product["stockfis"] == sum(own), product["referencia"]
    assert all(s["disponible"] == max(0, s["cantidad"] - s["reservada"]) for s in stocks)


def test_a_new_product_opens_its_stock_in_the_default_warehouse(client):
    created = ok(client.post(f"{BASE}/productos", headers=FULL, data={"referencia": "NUEVO-1", "stockfis": "7"}))
    stock = _stock(client, "NUEVO-1")
    assert (stock["codalmacen"], stock["cantidad"], stock["idproducto"]) == ("ALG", 7, created["data"]["idproducto"])
    assert _stockfis(client, "NUEVO-1") == (7, 7)


@pytest.mark.parametrize(
    ("kind", "party", "code", "field", "change"),
    [
        ("FacturaCliente", "codcliente", "1", "cantidad", -2),  # an invoice without delivery note
        ("AlbaranCliente", "codcliente", "1", "cantidad", -2),
        ("AlbaranProveedor", "codproveedor", "1", "cantidad", 2),
        ("FacturaProveedor", "codproveedor", "1", "cantidad", 2),
        ("PedidoCliente", "codcliente", "1", "reservada", 2),
        ("PedidoProveedor", "codproveedor", "1", "pterecibir", 2),
        ("PresupuestoCliente", "codcliente", "1", "cantidad", 0),
    ],
)
def test_documents_move_stock_by_their_state(client, kind, party, code, field, change):
    before = _stock(client, "TORNILLO-M6")
    doc = ok(crear(client, kind, party, code, lines=[{"referencia": "TORNILLO-M6", "cantidad": 2}]))
    after = _stock(client, "TORNILLO-M6")
    assert after[field] - before[field] == change
    assert _stockfis(client, "TORNILLO-M6") == (after["cantidad"], after["cantidad"])
    line = doc["lines"][0]
    lines_resource = f"linea{kind.lower()}s" if not kind.endswith("Proveedor") else f"linea{kind.lower()}es"
    # deleting the line gives the stock back
    assert client.delete(f"{BASE}/{lines_resource}/{line['idlinea']}", headers=FULL).status_code == 200
    assert _stock(client, "TORNILLO-M6")[field] == before[field]


def test_editing_lines_and_changing_state_move_stock(client):
    start = _stock(client, "CAFE-1KG")["cantidad"]
    doc = ok(crear(client, "AlbaranCliente", lines=[{"referencia": "CAFE-1KG", "cantidad": 5}]))
    key = doc["doc"]["idalbaran"]
    assert _stock(client, "CAFE-1KG")["cantidad"] == start - 5
    lines = json.dumps([{"idlinea": doc["lines"][0]["idlinea"], "referencia": "CAFE-1KG", "cantidad": 3}])
    ok(client.put(f"{BASE}/editarAlbaranCliente/{key}", headers=FULL, data={"lineas": lines}))
    assert _stock(client, "CAFE-1KG")["cantidad"] == start - 3
    # "Devuelto" (9) moves no stock: the lines take their state's actualizastock and give it back
    r = client.put(f"{BASE}/albaranclientes/{key}", headers=FULL, data={"idestado": "9"})
    assert r.status_code == 200 and r.json()["data"]["idestado_ant"] == 7
    assert _stock(client, "CAFE-1KG")["cantidad"] == start
    assert get(client, "lineaalbaranclientes", **{"filter[idalbaran]": key})[0]["actualizastock"] == 0
    # "Facturar" (8) would generate an invoice on a real server: warned
    ok(client.put(f"{BASE}/albaranclientes/{key}", headers=FULL, data={"idestado": "7"}))
    r = client.put(f"{BASE}/albaranclientes/{key}", headers=FULL, data={"idestado": "8"})
    assert "generates a FacturaCliente" in r.headers["x-sandbox-warning"]


def test_selling_more_than_the_stock_is_refused_unless_the_product_allows_it(client):
    # The wizard leaves "sell without stock" ticked: a new installation's products allow it.
    assert json.loads(get(client, "settings", **{"filter[name]": "default"})[0]["properties"])["ventasinstock"] is True
    (variant,) = get(client, "variantes", **{"filter[referencia]": "LIBRO-FISCAL"})
    product = f"{BASE}/productos/{variant['idproducto']}"
    assert client.get(product, headers=FULL).json()["ventasinstock"] is True
    ok(client.put(product, headers=FULL, data={"ventasinstock": "0"}))
    available = _stock(client, "LIBRO-FISCAL")["cantidad"]
    r = crear(client, lines=[{"referencia": "LIBRO-FISCAL", "cantidad": available + 1}])
    assert r.status_code == 422 and "not-enough-stock" in r.json()["message"]
    assert _stock(client, "LIBRO-FISCAL")["cantidad"] == available  # nothing was kept
    ok(crear(client, lines=[{"referencia": "LIBRO-FISCAL", "cantidad": available}]))  # all of it is fine
    ok(client.put(product, headers=FULL, data={"ventasinstock": "1"}))
    ok(crear(client, lines=[{"referencia": "LIBRO-FISCAL", "cantidad": 1}]))
    assert _stock(client, "LIBRO-FISCAL")["cantidad"] == -1


def test_products_without_stock_control_move_nothing(client):
    ok(crear(client, lines=[{"referencia": "MANT-HORA", "cantidad": 1000}]))
    assert get(client, "stocks", **{"filter[referencia]": "MANT-HORA"}) == []


# -- numbering sequences ------------------------------------------------------------------------------
def test_a_sequence_row_per_series_exercise_and_type_drives_the_numbers(client):
    first = ok(crear(client, codserie="S"))["doc"]
    (sequence,) = get(client, "secuenciadocumentos", **{"filter[codserie]": "S", "filter[tipodoc]": "FacturaCliente"})
    assert (sequence["codejercicio"], sequence["patron"], sequence["usarhuecos"]) == (
        "2026",
        "F{EJE}{SERIE}{NUM}",
        True,
    )
    assert (first["codigo"], sequence["numero"]) == ("F2026S1", 2)
    # the wizard's "first invoice number": the sequence moves on from where a client puts it
    ok(client.put(f"{BASE}/secuenciadocumentos/{sequence['idsecuencia']}", headers=FULL, data={"numero": "100"}))
    assert ok(crear(client, codserie="S"))["doc"]["codigo"] == "F2026S100"
    old = ok(crear(client, kind="AlbaranProveedor", party="codproveedor", code="1", fecha="10-03-2025"))["doc"]
    rows = get(client, "secuenciadocumentos", **{"filter[tipodoc]": "AlbaranProveedor", "filter[codejercicio]": "2025"})
    assert (old["codigo"], [r["patron"] for r in rows]) == ("ALBP2025A1", ["ALBP{EJE}{SERIE}{NUM}"])
    seeded = {(s["tipodoc"], s["codserie"], s["codejercicio"]) for s in get(client, "secuenciadocumentos")}
    assert ("FacturaCliente", "A", "2026") in seeded and ("PedidoCliente", "A", "2026") in seeded


# -- defaults as the core's clear() ------------------------------------------------------------------
def test_documents_and_lines_carry_the_cores_defaults(client):
    doc = ok(crear(client, lines=[{"referencia": "TALADRO-18V", "cantidad": 2}, {"descripcion": "Sin impuesto"}]))
    header, (product_line, plain_line) = doc["doc"], doc["lines"]
    assert (header["dtopor1"], header["dtopor2"], header["direccion"], header["codpais"]) == (0, 0, "", "ESP")
    assert (header["idcontactofact"] is not None, header["idestado"], header["editable"]) == (True, 10, True)
    # the variant's cost goes to the line; the margin is the net minus the cost
    assert (product_line["coste"], plain_line["coste"]) == (55, 0)
    assert (header["totalcoste"], header["totalbeneficio"]) == (110, round(header["neto"] - 110, 2))
    # a line without a tax gets the default one (the `codimpuesto` setting), as a new line does
    assert (plain_line["codimpuesto"], plain_line["iva"], plain_line["dtopor2"]) == ("IVA21", 21, 0)
    assert (product_line["actualizastock"], plain_line["actualizastock"]) == (-1, -1)
    supplier = ok(crear(client, "PedidoProveedor", "codproveedor", "1", lines=[{"referencia": "TALADRO-18V"}]))["doc"]
    assert (supplier["dtopor1"], supplier["direccion"], supplier["neto"]) == (0, "", 55)  # bought at the cost


def test_a_new_customer_gets_the_cores_defaults_and_its_billing_contact(client):
    body = {"nombre": "Lucía Fernández Ruiz", "cifnif": "12345678Z", "telefono2": "699 000 000"}
    customer = ok(client.post(f"{BASE}/clientes", headers=FULL, data=body))["data"]
    assert (customer["regimeniva"], customer["personafisica"], customer["tipoidfiscal"]) == ("General", True, "NIF")
    assert (customer["debaja"], customer["fechaalta"]) == (False, TODAY_DMY)
    contact = client.get(f"{BASE}/contactos/{customer['idcontactofact']}", headers=FULL).json()
    assert (contact["nombre"], contact["apellidos"], contact["codcliente"]) == (
        "Lucía",
        "Fernández Ruiz",
        customer["codcliente"],
    )
    assert (contact["personafisica"], contact["tipoidfiscal"], contact["telefono2"]) == (True, "NIF", "699 000 000")
    assert (contact["codpais"], contact["direccion"], contact["descripcion"]) == ("ESP", "", "Lucía Fernández Ruiz")
    company = ok(
        client.post(
            f"{BASE}/clientes",
            headers=FULL,
            data={"nombre": "X S.L.", "cifnif": "B1", "personafisica": "0", "tipoidfiscal": "CIF"},
        )
    )["data"]
    contact = client.get(f"{BASE}/contactos/{company['idcontactofact']}", headers=FULL).json()
    assert (contact["personafisica"], contact["tipoidfiscal"]) == (False, "CIF")
    supplier = ok(client.post(f"{BASE}/proveedores", headers=FULL, data={"nombre": "Prov Uno S.L.", "cifnif": "B2"}))[
        "data"
    ]
    contact = client.get(f"{BASE}/contactos/{supplier['idcontacto']}", headers=FULL).json()
    assert (contact["nombre"], contact["codproveedor"]) == ("Prov Uno S.L.", supplier["codproveedor"])
    # every seeded customer has its contact too
    assert all(c["idcontactofact"] is not None for c in get(client, "clientes"))


# -- the invoice date rule -----------------------------------------------------------------------------
def test_an_invoice_dated_before_the_last_of_its_series_is_refused(client):
    last = ok(crear(client, fecha=TODAY_DMY))["doc"]
    r = crear(client, fecha="20-11-2026")
    assert r.status_code == 422
    message = r.json()["message"]
    assert "invalid-date-there-are-invoices-before" in message and last["codigo"] in message
    count = client.get(f"{BASE}/facturaclientes", headers=FULL, params={"limit": 1}).headers["x-total-count"]
    # nothing was kept, and the number was not spent
    nxt = ok(crear(client, fecha=TODAY_DMY))["doc"]
    assert int(nxt["numero"]) == int(last["numero"]) + 1
    assert (
        int(client.get(f"{BASE}/facturaclientes", headers=FULL, params={"limit": 1}).headers["x-total-count"])
        == int(count) + 1
    )
    # another series, another exercise and supplier invoices have their own order
    first = ok(crear(client, fecha="20-11-2026", codserie="S"))["doc"]
    second = ok(crear(client, fecha="21-11-2026", codserie="S"))["doc"]
    assert ok(crear(client, fecha="01-01-2025"))["doc"]["codigo"] == "F2025A1"
    assert crear(client, "FacturaProveedor", "codproveedor", "1", fecha="01-01-2026").status_code == 200
    # changing a draft's date is checked too, through the generic resource
    r = client.put(f"{BASE}/facturaclientes/{second['idfactura']}", headers=FULL, data={"fecha": "19-11-2026"})
    assert r.status_code == 400 and "invalid-date-there-are-invoices-before" in r.json()["error"]
    r = client.put(f"{BASE}/facturaclientes/{first['idfactura']}", headers=FULL, data={"fecha": TODAY_DMY})
    assert r.status_code == 400 and "invalid-date-there-are-invoices-after" in r.json()["error"]
    assert (
        client.put(
            f"{BASE}/facturaclientes/{first['idfactura']}", headers=FULL, data={"fecha": "21-11-2026"}
        ).status_code
        == 200
    )


# -- what a client writes into the data the rules read never breaks them -----------------------------
def test_settings_terms_and_sequences_a_client_corrupts_are_refused_or_ignored(client):
    # settings whose values do not fit: the defaults fall back to the columns' own
    current = json.loads(get(client, "settings", **{"filter[name]": "default"})[0]["properties"])
    garbage = json.dumps(
        {**current, "codalmacen": {"x": 1}, "idempresa": "abc", "codimpuesto": ["IVA21"], "codpago": 7}
    )
    ok(client.put(f"{BASE}/settings/default", headers=FULL, data={"properties": garbage}))
    ok(client.put(f"{BASE}/settings/email", headers=FULL, data={"properties": "not json"}))
    created = crear(client, codalmacen="ALG", codpago="CONT", codserie="A")
    assert created.status_code == 200, created.text
    # a line that names no tax: the setting names none that exists, so it has none
    no_tax = ok(crear(client, lines=[{"descripcion": "x", "pvpunitario": 10}], codalmacen="ALG"))["lines"][0]
    assert (no_tax["codimpuesto"], no_tax["iva"]) == (None, 0)
    ok(client.put(f"{BASE}/settings/default", headers=FULL, data={"properties": json.dumps(current)}))
    # payment terms beyond the calendar leave the due date at the invoice date; negative ones are refused
    r = client.put(f"{BASE}/formapagos/TRANS", headers=FULL, data={"plazovencimiento": "999999999"})
    assert r.status_code == 200
    doc = ok(crear(client, code=TRANSFER_CUSTOMER, fecha=TODAY_DMY))["doc"]
    assert receipts_of(client, doc)[0]["vencimiento"] == TODAY_DMY
    r = client.put(f"{BASE}/formapagos/TRANS", headers=FULL, data={"plazovencimiento": "-1"})
    assert r.status_code == 400 and "number-expiration-invalid" in r.json()["error"]
    # a sequence may not pad numbers beyond 10 digits, nor run past its column
    (sequence,) = get(client, "secuenciadocumentos", **{"filter[tipodoc]": "FacturaCliente", "filter[codserie]": "A"})
    url = f"{BASE}/secuenciadocumentos/{sequence['idsecuencia']}"
    r = client.put(url, headers=FULL, data={"longnumero": "999999999", "patron": "F{0NUM}"})
    assert r.status_code == 400 and "longnumero" in r.json()["error"]
    ok(client.put(url, headers=FULL, json={"numero": 2147483647}))  # a JSON body reaches the int32 limit
    r = crear(client)
    assert r.status_code == 422 and "no tiene más números" in r.json()["message"]
    # a quantity with more digits than the stock's rounding holds is kept as the double it is
    from decimal import Decimal

    from facturas_sandbox.vendors.facturascripts import stock

    assert stock._n(Decimal("1e40")) == 1e40
    assert (
        crear(client, lines=[{"referencia": "TORNILLO-M6", "cantidad": 123456789012.5}], codserie="S").status_code
        == 200
    )
    assert _stock(client, "TORNILLO-M6")["cantidad"] < -123456788000

"""Business documents: crear*, pagarFactura*, exportar*, totals, numbering, states, receipts."""

from __future__ import annotations

import io
import json
import re
import zlib

import openpyxl
import pytest

from .conftest import BASE, FULL, TODAY_DMY

# Customer 5 is in the Recargo regime; customer 1 in the General one (fixtures/facturascripts.json).
RECARGO_CUSTOMER, GENERAL_CUSTOMER = "5", "1"


def crear(client, kind="FacturaCliente", party="codcliente", code=GENERAL_CUSTOMER, lines=None, **form):
    lines = lines if lines is not None else [{"descripcion": "Servicio", "pvpunitario": 100, "codimpuesto": "IVA21"}]
    body = {party: code, "lineas": json.dumps(lines), **form}
    return client.post(f"{BASE}/crear{kind}", headers=FULL, data=body)


def test_totals_recargo_irpf_two_rates_and_discounts(client):
    lines = [
        {"descripcion": "A", "cantidad": 2, "pvpunitario": 100, "codimpuesto": "IVA21", "dtopor": 10},
        {"descripcion": "B", "cantidad": 1, "pvpunitario": 50, "codimpuesto": "IVA10", "irpf": 15},
    ]
    r = crear(client, code=RECARGO_CUSTOMER, lines=lines)
    assert r.status_code == 200, r.text
    doc = r.json()["doc"]
    # neto 180 + 50; IVA 37.80 + 5.00; recargo 9.36 + 0.70; IRPF 7.50
    assert (doc["neto"], doc["totaliva"], doc["totalrecargo"], doc["totalirpf"]) == (230, 42.8, 10.06, 7.5)
    assert doc["total"] == 275.36
    assert [(ln["pvpsindto"], ln["pvptotal"], ln["iva"], ln["recargo"]) for ln in r.json()["lines"]] == [
        (200, 180, 21, 5.2),
        (50, 50, 10, 1.4),
    ]


def test_no_recargo_for_general_regime_document_discount_and_suplidos(client):
    lines = [
        {"descripcion": "A", "cantidad": 3, "pvpunitario": 33.33, "codimpuesto": "IVA21"},
        {"descripcion": "Tasa", "pvpunitario": 20, "suplido": 1},
    ]
    r = crear(client, code=GENERAL_CUSTOMER, lines=lines, dtopor1="10")
    doc = r.json()["doc"]
    # 99.99 × 0.9 = 89.991 → neto 89.99, IVA 18.89811 → 18.90; suplido 20 × 0.9 = 18.00, untaxed
    assert (doc["neto"], doc["totaliva"], doc["totalrecargo"], doc["totalsuplidos"]) == (89.99, 18.9, 0, 18)
    assert doc["total"] == 126.89


def test_vat_is_rounded_per_group(client):
    lines = [{"descripcion": str(i), "pvpunitario": 0.05, "codimpuesto": "IVA21"} for i in range(3)]
    doc = crear(client, lines=lines).json()["doc"]
    # one group: 0.15 × 21% = 0.0315 → 0.03 (per line it would be 3 × 0.01 = 0.03 too; sum first)
    assert (doc["neto"], doc["totaliva"], doc["total"]) == (0.15, 0.03, 0.18)


def test_codes_per_series_and_exercise_created_on_demand(client):
    first = crear(client).json()["doc"]
    second = crear(client).json()["doc"]
    year, n = first["codejercicio"], int(first["numero"])
    assert (first["codigo"], second["codigo"]) == (f"F{year}A{n}", f"F{year}A{n + 1}")
    assert second["numero"] == str(n + 1)
    # the seeded invoices of series A came first; series S has its own sequence
    seeded = client.get(f"{BASE}/facturaclientes", headers=FULL, params={"filter[codserie]": "A"})
    assert int(seeded.headers["x-total-count"]) == n + 1
    other = crear(client, codserie="S").json()["doc"]
    assert other["codigo"] == f"F{year}S1"
    old = crear(client, fecha="15-06-2024").json()["doc"]
    assert (old["codigo"], old["codejercicio"]) == ("F2024A1", "2024")
    assert client.get(f"{BASE}/ejercicios/2024", headers=FULL).json()["estado"] == "ABIERTO"
    delivery = crear(client, kind="AlbaranCliente").json()["doc"]
    assert re.fullmatch(rf"ALB{year}A\d+", delivery["codigo"])
    supplier = crear(client, kind="FacturaProveedor", party="codproveedor", code="1").json()["doc"]
    assert re.fullmatch(rf"FP{year}A\d+", supplier["codigo"])


def test_seeded_documents(client):
    invoices = client.get(f"{BASE}/facturaclientes", headers=FULL).json()
    assert {i["pagada"] for i in invoices} == {True, False}
    assert any(i["editable"] for i in invoices) and any(not i["editable"] for i in invoices)
    receipts = client.get(f"{BASE}/reciboclientes", headers=FULL).json()
    assert {r["idfactura"] for r in receipts} == {i["idfactura"] for i in invoices}
    assert {r["pagado"] for r in receipts} == {True, False}
    for resource in ("albaranclientes", "presupuestoclientes", "pedidoclientes", "facturaproveedores"):
        assert client.get(f"{BASE}/{resource}", headers=FULL).json(), resource
    lines = client.get(f"{BASE}/lineafacturaclientes", headers=FULL, params={"limit": 0}).json()
    assert {ln["idfactura"] for ln in lines} == {i["idfactura"] for i in invoices}


def test_crear_errors(client):
    r = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, data={"lineas": "[]"})
    assert (r.status_code, r.json()) == (400, {"status": "error", "message": "codcliente field is required"})
    assert crear(client, code="NOPE").json() == {"status": "error", "message": "customer-not-found"}
    assert crear(client, kind="PedidoProveedor", party="codproveedor", code="NOPE").status_code == 404
    r = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, data={"codcliente": "1", "lineas": "{}"})
    assert (r.status_code, r.json()["message"]) == (400, "Invalid lines")
    r = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, data={"codcliente": "1", "lineas": "no json"})
    assert (r.status_code, r.json()["message"]) == (400, "Invalid lines")
    assert crear(client, codalmacen="XX").json()["message"] == "warehouse-not-found"


def test_pagada_on_creation_and_pagar_factura(client):
    paid = crear(client, pagada="1").json()["doc"]
    assert paid["pagada"] is True
    receipts = client.get(f"{BASE}/reciboclientes", headers=FULL, params={"filter[idfactura]": paid["idfactura"]})
    assert [(x["pagado"], x["importe"]) for x in receipts.json()] == [(True, paid["total"])]

    unpaid = crear(client).json()["doc"]
    assert unpaid["pagada"] is False
    url = f"{BASE}/pagarFacturaCliente/{unpaid['idfactura']}"
    r = client.post(url, headers=FULL, data={"pagada": "1", "fechapago": "01-12-2026"})
    assert r.json()["ok"] == "Registro actualizado correctamente." and r.json()["data"]["pagada"] is True
    receipt = client.get(f"{BASE}/reciboclientes", headers=FULL, params={"filter[idfactura]": unpaid["idfactura"]})
    assert receipt.json()[0]["fechapago"] == "01-12-2026"
    assert client.post(url, headers=FULL, data={"pagada": "1"}).json()["ok"] == "Sin cambios"
    assert client.put(url, headers=FULL, data={"pagada": "0"}).json()["data"]["pagada"] is False
    # PHP truthiness: "false" is paid, and the sandbox says so.
    r = client.post(url, headers=FULL, data={"pagada": "false"})
    assert r.json()["data"]["pagada"] is True
    assert "PHP truthiness" in r.headers["x-sandbox-warning"]
    assert client.post(url, headers=FULL, data={"fechapago": "01-12-2026"}).json()["message"] == (
        "missing-pagada-parameter"
    )
    assert client.post(f"{BASE}/pagarFacturaCliente/99999", headers=FULL, data={"pagada": "1"}).status_code == 404


def _pdf_text(content: bytes) -> bytes:
    out = content
    for stream in re.findall(rb"stream\r?\n(.*?)endstream", content, re.S):
        try:
            out += zlib.decompress(stream)
        except zlib.error:
            continue
    return out


def test_exportar_pdf_watermark_while_editable_and_csv(client):
    doc = crear(client).json()["doc"]
    r = client.get(f"{BASE}/exportarFacturaCliente/{doc['idfactura']}", headers=FULL)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"BOCETO" in _pdf_text(r.content)
    assert r.headers["content-disposition"] == f"inline; filename=Factura_{doc['idfactura']}.pdf"
    issued = client.patch(f"{BASE}/facturaclientes/{doc['idfactura']}", headers=FULL, data={"idestado": "11"})
    assert issued.json()["data"]["editable"] is False
    r = client.get(f"{BASE}/exportarFacturaCliente/{doc['idfactura']}", headers=FULL)
    assert b"BOCETO" not in _pdf_text(r.content)
    r = client.get(f"{BASE}/exportarFacturaCliente/{doc['idfactura']}", headers=FULL, params={"type": "CSV"})
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.text.splitlines()[1].startswith(doc["codigo"] + ";")
    assert client.get(f"{BASE}/exportarFacturaCliente/99999", headers=FULL).json()["message"] == "record-not-found"


def test_custom_endpoints_accept_the_documented_json_bodies_and_warn(client):
    body = {
        "codcliente": GENERAL_CUSTOMER,
        "fecha": "2026-11-21",
        "pagada": False,
        "lineas": [{"descripcion": "Horas", "cantidad": 2, "pvpunitario": 10.5, "codimpuesto": "IVA21"}],
    }
    r = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, json=body)
    assert r.status_code == 200, r.text
    assert "reads only form bodies" in r.headers["x-sandbox-warning"]
    doc = r.json()["doc"]
    assert (doc["neto"], doc["total"], doc["pagada"], doc["fecha"]) == (21, 25.41, False, "21-11-2026")
    paid = client.post(f"{BASE}/pagarFacturaCliente/{doc['idfactura']}", headers=FULL, json={"pagada": True})
    assert (paid.status_code, paid.json()["data"]["pagada"]) == (200, True)
    line = r.json()["lines"][0]["idlinea"]
    refund = client.post(
        f"{BASE}/crearFacturaRectificativaCliente",
        headers=FULL,
        json={"idfactura": doc["idfactura"], "fecha": "21-11-2026", f"refund_{line}": 1},
    )
    assert refund.status_code == 200, refund.text
    assert (refund.json()["doc"]["codigorect"], refund.json()["lines"][0]["cantidad"]) == (doc["codigo"], -1)
    bad = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, json={**body, "lineas": {"no": "list"}})
    assert (bad.status_code, bad.json()["status"]) == (400, "error") and "lineas" in bad.json()["message"]
    unreadable = client.post(f"{BASE}/crearFacturaCliente", headers=FULL, json={**body, "lineas": "[1, 2]"})
    assert (unreadable.status_code, unreadable.json()) == (400, {"status": "error", "message": "Invalid lines"})


def test_exportar_xls_is_a_workbook_of_lines_and_header(client):
    lines = [
        {
            "referencia": None,
            "descripcion": "Horas de consultoría",
            "cantidad": 3,
            "pvpunitario": 45.5,
            "codimpuesto": "IVA21",
        },
        {"descripcion": "Libro", "cantidad": 1, "pvpunitario": 20, "codimpuesto": "IVA4", "dtopor": 5},
    ]
    doc = crear(client, kind="PedidoCliente", lines=lines).json()["doc"]
    r = client.get(f"{BASE}/exportarPedidoCliente/{doc['idpedido']}", headers=FULL, params={"type": "XLS"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/vnd.ms-excel"
    assert r.headers["content-disposition"] == f"attachment; filename=Pedido_{doc['idpedido']}.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(r.content))
    assert book.sheetnames == ["sheet1", "doc"]
    rows = list(book["sheet1"].iter_rows(values_only=True))
    assert rows[0] == ("Referencia", "Descripción", "Cantidad", "Precio", "Dto. %", "IVA %", "Total")
    assert sorted(rows[1:], key=lambda row: row[1]) == [
        (None, "Horas de consultoría", 3, 45.5, 0, 21, 136.5),
        (None, "Libro", 1, 20, 5, 4, 19),
    ]
    header = dict(book["doc"].iter_rows(min_row=2, values_only=True))
    assert (header["codigo"], header["total"], header["codcliente"]) == (doc["codigo"], str(doc["total"]), "1")
    assert sum(row[6] for row in rows[1:]) == doc["neto"]


def test_issued_invoice_keeps_its_data_and_cannot_be_deleted(client):
    doc = crear(client).json()["doc"]
    url = f"{BASE}/facturaclientes/{doc['idfactura']}"
    client.patch(url, headers=FULL, data={"idestado": "11"})
    r = client.patch(url, headers=FULL, data={"observaciones": "cambio"})
    assert r.status_code == 400 and "Documento no editable" in r.json()["error"]
    assert client.patch(url, headers=FULL, data={"femail": "01-12-2026"}).status_code == 200
    r = client.delete(url, headers=FULL)
    assert (r.status_code, r.json()) == (400, {"error": "Error al eliminar el registro"})


@pytest.mark.parametrize("kind", ["AlbaranCliente", "PedidoCliente", "PresupuestoCliente"])
def test_other_customer_documents(client, kind):
    r = crear(client, kind=kind, code=RECARGO_CUSTOMER)
    assert r.status_code == 200
    assert r.json()["doc"]["totalrecargo"] == 5.2


def test_editar_syncs_lines_and_recomputes(client):
    created = crear(client, lines=[{"descripcion": "A", "pvpunitario": 10, "codimpuesto": "IVA21"}] * 2).json()
    doc, (keep, drop) = created["doc"], created["lines"]
    lines = [
        {"idlinea": keep["idlinea"], "descripcion": "A bis", "cantidad": 3, "pvpunitario": 10, "codimpuesto": "IVA21"},
        {"descripcion": "Nueva", "pvpunitario": 5, "codimpuesto": "IVA10"},
    ]
    url = f"{BASE}/editarFacturaCliente/{doc['idfactura']}"
    r = client.put(url, headers=FULL, data={"lineas": json.dumps(lines), "observaciones": "editada"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["doc"]["observaciones"] == "editada"
    assert (body["doc"]["neto"], body["doc"]["totaliva"], body["doc"]["total"]) == (35, 6.8, 41.8)
    ids = [ln["idlinea"] for ln in body["lines"]]
    assert keep["idlinea"] in ids and drop["idlinea"] not in ids and len(ids) == 2
    assert client.get(f"{BASE}/lineafacturaclientes/{drop['idlinea']}", headers=FULL).status_code == 404
    receipt = client.get(f"{BASE}/reciboclientes", headers=FULL, params={"filter[idfactura]": doc["idfactura"]})
    assert receipt.json()[0]["importe"] == 41.8
    r = client.patch(url, headers=FULL, data={"lineas": "[]", "codcliente": "2"})
    assert (r.status_code, r.json()["message"]) == (422, "No se puede cambiar el cliente")
    assert client.patch(url, headers=FULL, data={"observaciones": "x"}).json()["message"] == "lineas field is required"
    client.patch(f"{BASE}/facturaclientes/{doc['idfactura']}", headers=FULL, data={"idestado": "11"})
    r = client.patch(url, headers=FULL, data={"lineas": "[]"})
    assert (r.status_code, r.json()["message"]) == (422, "Documento no editable")
    assert client.put(f"{BASE}/editarFacturaCliente/99999", headers=FULL, data={"lineas": "[]"}).status_code == 404


def test_rectificativa_partial_and_full(client):
    lines = [
        {"descripcion": "A", "cantidad": 4, "pvpunitario": 25, "codimpuesto": "IVA21"},
        {"descripcion": "B", "cantidad": 1, "pvpunitario": 10, "codimpuesto": "IVA21"},
    ]
    created = crear(client, lines=lines).json()
    original, (line_a, _) = created["doc"], created["lines"]
    form = {"idfactura": str(original["idfactura"]), "fecha": TODAY_DMY, f"refund_{line_a['idlinea']}": "1"}
    r = client.post(f"{BASE}/crearFacturaRectificativaCliente", headers=FULL, data=form)
    assert r.status_code == 200, r.text
    refund = r.json()
    assert refund["doc"]["codigorect"] == original["codigo"]
    assert refund["doc"]["idfacturarect"] == original["idfactura"]
    assert [(ln["cantidad"], ln["idlinearect"]) for ln in refund["lines"]] == [(-1, line_a["idlinea"])]
    assert (refund["doc"]["neto"], refund["doc"]["total"]) == (-25, -30.25)
    # the editable original was issued first
    assert client.get(f"{BASE}/facturaclientes/{original['idfactura']}", headers=FULL).json()["editable"] is False
    full = client.post(
        f"{BASE}/crearFacturaRectificativaCliente",
        headers=FULL,
        data={"idfactura": str(original["idfactura"]), "fecha": TODAY_DMY, "codserie": "R"},
    ).json()
    # A full rectification refunds what is left: 3 of A (one is refunded already) and B.
    assert full["doc"]["total"] == -102.85 and full["doc"]["codigo"].startswith("F2026R")
    again = client.put(
        f"{BASE}/crearFacturaRectificativaCliente",
        headers=FULL,
        data={"idfactura": str(refund["doc"]["idfactura"]), "fecha": TODAY_DMY},
    )
    assert again.status_code == 400
    missing = client.post(f"{BASE}/crearFacturaRectificativaCliente", headers=FULL, data={"fecha": TODAY_DMY})
    assert missing.json() == {"status": "error", "message": "idfactura field is required"}


def test_a_document_whose_total_is_not_the_sum_of_its_parts_is_not_saved(client):
    # BusinessDocument::test() refuses it (bad-total-error), whichever route writes it.
    drafts = client.get(f"{BASE}/facturaclientes", params={"filter[editable]": "1"}, headers=FULL).json()
    draft = drafts[0]
    response = client.put(f"{BASE}/facturaclientes/{draft['idfactura']}", data={"total": "0.01"}, headers=FULL)
    assert response.status_code == 400
    assert "total" in response.json()["error"]
    assert client.get(f"{BASE}/facturaclientes/{draft['idfactura']}", headers=FULL).json()["total"] == draft["total"]

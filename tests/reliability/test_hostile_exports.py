"""Every export handles every storable string; text cannot start a formula; logs stay one line
per record (issue 13, finding 7).

Each API that exports stores a line whose text holds control characters (C0, ESC, DEL, C1),
the characters XML forbids, newlines and tabs, and the starts of a spreadsheet formula; each of
its exports (PDF, XLS, CSV, XML, JSON) must answer 200 with a document its format's reader
accepts, keep what it can of the text, and neutralise formulas in CSV and XLS.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import httpx
import openpyxl
import pytest
from server_process import SandboxProcess
from starlette.testclient import TestClient
from support import bearer

from facturas_sandbox import log_escape
from facturas_sandbox.vendors.facturascripts import xls

CONTROLS = "a\u0001b\u001bc\u007fd\u0085e\u0008f\ufffeg\u000bh"
FORMULAS = ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1)", "\tX", "\rX"]
TEXTS = [CONTROLS, "línea 1\nlínea 2\ttab", *FORMULAS]
RAW_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NOT_XML = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
FS = "/facturascripts/api/3"


@pytest.fixture(scope="module")
def tenant(client: TestClient) -> dict[str, Any]:
    response = client.post("/_sandbox/tenants", json={"name": "hostile exports"})
    assert response.status_code == 201, response.text
    return response.json()


def _pdf_ok(response: Any) -> None:
    assert response.status_code == 200, response.text[:300]
    assert response.headers["content-type"].startswith("application/pdf")
    assert response.content.startswith(b"%PDF-") and response.content.rstrip().endswith(b"%%EOF")


# -- FacturaScripts: PDF, XLS, CSV, JSON ------------------------------------------------------------
@pytest.fixture(scope="module")
def fs_invoice(client: TestClient, tenant: dict[str, Any]) -> tuple[dict[str, str], int]:
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.62"}
    lines = [{"descripcion": text, "referencia": text[:30], "pvpunitario": 1} for text in TEXTS]
    form = {"codcliente": "1", "lineas": json.dumps(lines), "observaciones": CONTROLS[:100]}
    response = client.post(f"{FS}/crearFacturaCliente", data=form, headers=headers)
    assert response.status_code == 200, response.text
    return headers, response.json()["doc"]["idfactura"]


def test_facturascripts_pdf_and_json_exports_hold_control_characters(client: TestClient, fs_invoice: Any) -> None:
    headers, idfactura = fs_invoice
    _pdf_ok(client.get(f"{FS}/exportarFacturaCliente/{idfactura}", params={"type": "PDF"}, headers=headers))
    lines = client.get(f"{FS}/lineafacturaclientes", params={"filter[idfactura]": idfactura}, headers=headers)
    assert lines.status_code == 200
    assert sorted(line["descripcion"] for line in lines.json()) == sorted(TEXTS)


def test_facturascripts_xls_keeps_every_character_and_no_formula(client: TestClient, fs_invoice: Any) -> None:
    headers, idfactura = fs_invoice
    response = client.get(f"{FS}/exportarFacturaCliente/{idfactura}", params={"type": "XLS"}, headers=headers)
    assert response.status_code == 200, response.text[:300]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [cell for row in book["sheet1"].iter_rows(min_row=2) for cell in row]
    assert not [c.value for c in cells if c.data_type == "f"], "a line's text became a formula"
    descriptions = sorted(str(row[1].value) for row in book["sheet1"].iter_rows(min_row=2))
    # The workbook carries what XML cannot as OOXML escapes (_x0001_), which a spreadsheet
    # shows as the character itself.
    assert sorted(xls.xlsx_text(text) for text in TEXTS) == descriptions
    observations = {row[0].value: row[1].value for row in book["doc"].iter_rows(min_row=2)}
    assert observations["observaciones"] == xls.xlsx_text(CONTROLS)


def test_xlsx_text_escapes_what_a_worksheet_cannot_hold_reversibly() -> None:
    assert xls.xlsx_text("a\u0001b") == "a_x0001_b"
    assert xls.xlsx_text("literal _x0041_ stays") == "literal _x005F_x0041_ stays"
    assert xls.xlsx_text("tab\tand\nnewline") == "tab\tand\nnewline"
    assert xls.xlsx_text("\ufffe") == "_xFFFE_"


def test_facturascripts_csv_neutralises_formulas_and_keeps_numbers(client: TestClient, fs_invoice: Any) -> None:
    headers, idfactura = fs_invoice
    response = client.get(f"{FS}/exportarFacturaCliente/{idfactura}", params={"type": "CSV"}, headers=headers)
    assert response.status_code == 200, response.text[:300]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8")), delimiter=";"))
    lines = rows[
        rows.index(["referencia", "descripcion", "cantidad", "pvpunitario", "dtopor", "iva", "recargo", "pvptotal"])
        + 1 :
    ]
    cells = [cell for row in lines for cell in row[:2]]
    assert cells and not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))], cells
    descriptions = sorted(row[1] for row in lines)
    assert descriptions == sorted("'" + t if t.startswith(tuple("=+-@\t\r")) else t for t in TEXTS)
    # A refund's negative numbers stay numbers.
    refund = client.post(
        f"{FS}/crearFacturaRectificativaCliente", data={"idfactura": idfactura, "fecha": "22-11-2026"}, headers=headers
    )
    if refund.status_code == 200:  # (the tenant's clock may refuse the date; numbers are the point)
        exported = client.get(
            f"{FS}/exportarFacturaCliente/{refund.json()['doc']['idfactura']}", params={"type": "CSV"}, headers=headers
        )
        assert ";-1;" in exported.text


# -- Facturovia and Facturala: PDF and JSON ---------------------------------------------------------
def test_facturovia_pdf_and_json_hold_control_characters(client: TestClient, tenant: dict[str, Any]) -> None:
    headers = bearer(tenant["credentials"]["facturovia"]["read_write"])
    client_id = client.get("/facturovia/api/clients", headers=headers).json()["data"][0]["id"]
    items = [{"description": text, "quantity": 1, "unit_price": 1, "vat_rate": 21} for text in TEXTS]
    created = client.post(
        "/facturovia/api/invoices", json={"client_id": client_id, "items": items, "notes": CONTROLS}, headers=headers
    )
    assert created.status_code == 201, created.text
    invoice = created.json()["id"]
    assert client.post(f"/facturovia/api/invoices/{invoice}/issue", headers=headers).status_code == 200
    _pdf_ok(client.get(f"/facturovia/api/invoices/{invoice}/pdf", headers=headers))
    shown = client.get(f"/facturovia/api/invoices/{invoice}", headers=headers).json()
    assert sorted(i["description"] for i in shown["items"]) == sorted(TEXTS)


def test_facturala_pdf_and_json_hold_control_characters(client: TestClient, tenant: dict[str, Any]) -> None:
    creds = tenant["credentials"]["facturala"]
    headers = {"Authorization": creds["token"]}
    base = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    customer = {"idType": "CC", "idNumber": "1020304050", "name": CONTROLS, "country": "Colombia"}
    items = [{"name": text, "description": text, "quantity": 1, "unitValue": 1000} for text in TEXTS if text.strip()]
    created = client.post(base, json={"customer": customer, "items": items}, headers=headers)
    assert created.status_code == 201, created.text
    number = created.json()["number"]
    _pdf_ok(client.get(f"{base}/{number}/pdf", headers=headers))
    assert client.get(f"{base}/{number}", headers=headers).json()["customer"]["name"] == CONTROLS


# -- FACTURAgem: XML and JSON -----------------------------------------------------------------------
def test_facturagem_xml_is_well_formed_whatever_the_text(client: TestClient, tenant: dict[str, Any]) -> None:
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    params = {"api_key": session["api_key"]}
    client_id = client.get(f"{base}/clients.json", params=params).json()["clients"][0]["id"]
    lines = [{"description": text, "amount": 1, "price": 1} for text in TEXTS]
    created = client.post(
        f"{base}/invoices.json", params=params, json={"client_id": client_id, "lines": lines, "notes": CONTROLS}
    )
    assert created.status_code == 200, created.text
    invoice = created.json()["id"]
    as_json = client.get(f"{base}/invoices/{invoice}.json", params=params)
    assert sorted(line["description"] for line in as_json.json()["lines"]) == sorted(TEXTS)
    for url in (f"{base}/invoices/{invoice}.xml", f"{base}/invoices.xml"):
        response = client.get(url, params=params)
        assert response.status_code == 200, response.text[:300]
        assert NOT_XML.search(response.content.decode("utf-8")) is None
        ET.fromstring(response.content)  # well-formed XML 1.0, or this raises
    document = ET.fromstring(client.get(f"{base}/invoices/{invoice}.xml", params=params).content)
    # Rails' Builder writes `*` for a character XML cannot carry, and keeps the rest.
    assert document.findtext("notes") == "a*b*c\u007fd\u0085e*f*g*h"
    # A refused XML request echoing the text answers well-formed XML too.
    refused = client.post(
        f"{base}/invoices.xml",
        params=params,
        content=f"<invoice><client-id>{client_id}</client-id><due-date>x</due-date></invoice>".encode(),
        headers={"Content-Type": "application/xml"},
    )
    assert 400 <= refused.status_code < 500
    ET.fromstring(refused.content)


# -- the log -----------------------------------------------------------------------------------------
def test_log_records_escape_control_characters_in_messages_arguments_and_tracebacks() -> None:
    log_escape.install()
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    logger = logging.getLogger("facturas_sandbox.test_log_escape")
    logger.addHandler(handler)
    try:
        try:
            raise ValueError(f"bad {CONTROLS}\nFORGED: admin logged in")
        except ValueError as exc:
            try:
                raise RuntimeError("while exporting \u001b[2J") from exc
            except RuntimeError:
                logger.exception("unhandled error for %s", "descr\u0001\nFORGED")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert RAW_CONTROL.search(text) is None, text
    assert not any(line.startswith("FORGED") for line in text.splitlines()), text
    assert "descr\\x01\\nFORGED" in text and "\\x1b[2J" in text and "ValueError: bad a\\x01b\\x1bc" in text


@pytest.fixture(scope="module")
def served() -> Iterator[SandboxProcess]:
    # Its own process, with the access log on: what an operator's terminal would show.
    with SandboxProcess(None, "--log-level", "debug") as process:
        yield process


def test_a_served_sandbox_logs_no_raw_control_characters(served: SandboxProcess) -> None:
    with httpx.Client(base_url=served.base, timeout=30) as http:
        tenant = http.post("/_sandbox/tenants", json={"name": "log"}).json()
        headers = {"Token": tenant["credentials"]["facturascripts"]["token"]}
        lines = json.dumps([{"descripcion": text, "pvpunitario": 1} for text in TEXTS])
        created = http.post(f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": lines}, headers=headers)
        assert created.status_code == 200, created.text
        idfactura = created.json()["doc"]["idfactura"]
        for kind in ("PDF", "XLS", "CSV"):
            response = http.get(f"{FS}/exportarFacturaCliente/{idfactura}", params={"type": kind}, headers=headers)
            assert response.status_code == 200, (kind, response.text[:200])
        # Values that fail validation are quoted in connexion's log lines.
        bad = {"codcliente": "1", "lineas": lines, "dtopor1": CONTROLS + "\nFORGED"}
        assert http.post(f"{FS}/crearFacturaCliente", data=bad, headers=headers).status_code == 400
        http.get(f"{FS}/clientes", params={"filter[nombre]": "\u001b[2J\nFORGED"}, headers=headers)
    log = served.log()
    assert RAW_CONTROL.search(log) is None, repr(log[-2000:])
    assert not any(line.startswith("FORGED") for line in log.splitlines())

"""Rectificativas never refund more of a line than was invoiced (issue 13, finding 8).

The real server's refund form caps each line at `cantidad - refundedQuantity()`
(RefundFacturaCliente.html.twig, InvoiceLineTrait::refundedQuantity); its API endpoint does not.
The sandbox enforces the cap on every route that writes a refund line, inside the tenant's
transaction, so neither repeated nor parallel rectifications overdraw an invoice.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from support import serving

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings

from .conftest import BASE, FULL, TODAY_DMY

RECTIFY = f"{BASE}/crearFacturaRectificativaCliente"


def _invoice(client: Any, lines: list[dict[str, Any]]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    response = client.post(
        f"{BASE}/crearFacturaCliente", headers=FULL, data={"codcliente": "1", "lineas": json.dumps(lines)}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    return body["doc"], body["lines"]


def _rectify(client: Any, idfactura: int, **refunds: Any) -> Any:
    return client.post(RECTIFY, headers=FULL, data={"idfactura": str(idfactura), "fecha": TODAY_DMY, **refunds})


def _refunds_of(client: Any, idfactura: int) -> list[dict[str, Any]]:
    params = {"filter[idfacturarect]": str(idfactura)}
    return client.get(f"{BASE}/facturaclientes", params=params, headers=FULL).json()


def test_a_line_cannot_be_refunded_beyond_what_was_invoiced(client: Any) -> None:
    doc, (line,) = _invoice(client, [{"descripcion": "Tornillo", "cantidad": 2, "pvpunitario": 0.5}])
    response = _rectify(client, doc["idfactura"], **{f"refund_{line['idlinea']}": "1000"})
    assert response.status_code == 400, response.text
    assert response.json()["status"] == "error"
    assert "supera lo pendiente de devolver (2)" in response.json()["message"]
    assert _refunds_of(client, doc["idfactura"]) == []


def test_partial_refunds_add_up_to_the_line_and_no_further(client: Any) -> None:
    hours = {"descripcion": "Hora", "cantidad": 3, "pvpunitario": 0.335, "codimpuesto": "IVA21"}
    doc, (line,) = _invoice(client, [hours])
    field = f"refund_{line['idlinea']}"
    for _ in range(3):
        response = _rectify(client, doc["idfactura"], **{field: "1"})
        assert response.status_code == 200, response.text
        assert [ln["cantidad"] for ln in response.json()["lines"]] == [-1]
    assert _rectify(client, doc["idfactura"], **{field: "0.001"}).status_code == 400
    assert _rectify(client, doc["idfactura"]).status_code == 400  # nothing left for a full one
    assert len(_refunds_of(client, doc["idfactura"])) == 3


def test_a_full_rectification_refunds_what_is_left_once(client: Any) -> None:
    doc, (a, b) = _invoice(
        client,
        [
            {"descripcion": "A", "cantidad": 4, "pvpunitario": 25, "codimpuesto": "IVA21"},
            {"descripcion": "B", "cantidad": 2, "pvpunitario": 10, "codimpuesto": "IVA21"},
        ],
    )
    assert _rectify(client, doc["idfactura"], **{f"refund_{a['idlinea']}": "1"}).status_code == 200
    full = _rectify(client, doc["idfactura"])
    assert full.status_code == 200, full.text
    quantities = {ln["idlinearect"]: ln["cantidad"] for ln in full.json()["lines"]}
    assert quantities == {a["idlinea"]: -3, b["idlinea"]: -2}
    again = _rectify(client, doc["idfactura"])
    assert again.status_code == 400
    nothing_left = "No hay líneas que rectificar: todo lo facturado ya está devuelto"
    assert again.json() == {"status": "error", "message": nothing_left}
    refunded = sum(r["total"] for r in _refunds_of(client, doc["idfactura"]))
    assert round(refunded, 2) == -doc["total"]


def test_a_refund_in_the_wrong_direction_or_of_a_foreign_line_is_refused(client: Any) -> None:
    doc, (line,) = _invoice(client, [{"descripcion": "A", "cantidad": 2, "pvpunitario": 5}])
    assert _rectify(client, doc["idfactura"], **{f"refund_{line['idlinea']}": "-1"}).status_code == 400
    assert _rectify(client, doc["idfactura"], **{f"refund_{line['idlinea']}": "1e300"}).status_code == 400
    other, (foreign,) = _invoice(client, [{"descripcion": "B", "cantidad": 1, "pvpunitario": 5}])
    # refund_<a line of another invoice> names no line of this one: nothing to rectify.
    assert _rectify(client, doc["idfactura"], **{f"refund_{foreign['idlinea']}": "1"}).status_code == 400
    assert _refunds_of(client, doc["idfactura"]) == [] and _refunds_of(client, other["idfactura"]) == []


def test_refund_lines_written_through_the_generic_resources_are_capped_too(client: Any) -> None:
    doc, (line,) = _invoice(client, [{"descripcion": "A", "cantidad": 2, "pvpunitario": 5}])
    refund = _rectify(client, doc["idfactura"], **{f"refund_{line['idlinea']}": "1"}).json()["doc"]
    lines = f"{BASE}/lineafacturaclientes"
    base = {"idfactura": str(refund["idfactura"]), "idlinearect": str(line["idlinea"]), "descripcion": "A"}
    base |= {k: "0" for k in ("iva", "recargo", "irpf", "dtopor", "dtopor2", "pvpunitario", "pvpsindto", "pvptotal")}
    over = client.post(lines, headers=FULL, data={**base, "cantidad": "-1000"})
    assert over.status_code == 400, over.text
    assert "supera lo pendiente de devolver" in over.json()["error"]
    assert client.post(lines, headers=FULL, data={**base, "cantidad": "-1"}).status_code == 200
    assert client.post(lines, headers=FULL, data={**base, "cantidad": "-0.5"}).status_code == 400
    # A line of another invoice cannot be named as the refunded one.
    _, (foreign,) = _invoice(client, [{"descripcion": "B", "cantidad": 1, "pvpunitario": 5}])
    stray = client.post(lines, headers=FULL, data={**base, "idlinearect": str(foreign["idlinea"]), "cantidad": "-1"})
    assert stray.status_code == 400


# -- parallel rectifications through a served sandbox ------------------------------------------
PARALLEL = 20
DEADLINE = 30.0


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data_dir = tmp_path_factory.mktemp("parallel-refunds")
    settings = Settings(data_dir=data_dir, apis=("facturascripts",), validate_responses=True)
    with serving(create_app(settings), startup_timeout=DEADLINE) as base_url:
        yield base_url


def test_parallel_full_rectifications_refund_the_invoice_once(served: str) -> None:
    with httpx.Client(base_url=served, timeout=DEADLINE) as http:
        tenant = http.post("/_sandbox/tenants", json={"name": "parallel refunds"}).json()
        auth = {"Token": tenant["credentials"]["facturascripts"]["token"]}
        lines = [{"descripcion": "Tornillo", "cantidad": 2, "pvpunitario": 0.5, "codimpuesto": "IVA21"}]
        form = {"codcliente": "1", "lineas": json.dumps(lines)}
        created = http.post(f"{BASE}/crearFacturaCliente", headers=auth, data=form)
        assert created.status_code == 200, created.text
        invoice = created.json()["doc"]
        assert invoice["total"] == 1.21
        refund = {"idfactura": str(invoice["idfactura"]), "fecha": invoice["fecha"]}

        def rectify(_: int) -> httpx.Response:
            with httpx.Client(base_url=served, timeout=DEADLINE) as own:
                return own.post(RECTIFY, headers=auth, data=refund)

        with ThreadPoolExecutor(PARALLEL) as pool:
            answers = list(pool.map(rectify, range(PARALLEL)))
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200] + [400] * (PARALLEL - 1), [r.text[:200] for r in answers if r.status_code >= 500]
        refunds = http.get(
            f"{BASE}/facturaclientes", params={"filter[idfacturarect]": str(invoice["idfactura"])}, headers=auth
        ).json()
        assert [r["total"] for r in refunds] == [-1.21]

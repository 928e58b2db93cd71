"""The `rectificative_refund` rule reads FacturaScripts' documents: the lines of a `{doc, lines}`
answer, a draft's lines as what its rectification refunds. It passes the sandbox's own
rectifications and flags one that refunds more than the line (issue 13, finding 8)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from facturas_sandbox.conformance import rules

FS = "/facturascripts/api/3"


@dataclass
class _Operation:
    path: str


@dataclass
class _Case:
    method: str
    path: str
    query: dict[str, Any] = field(default_factory=dict)
    path_parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def operation(self) -> _Operation:
        return _Operation(self.path)

    @property
    def formatted_path(self) -> str:
        return self.path


@dataclass
class _Response:
    status_code: int
    content: bytes
    headers: dict[str, list[str]] = field(default_factory=lambda: {"content-type": ["application/json"]})


@pytest.fixture
def rule() -> Any:
    rules.activate("facturascripts")
    yield rules.rectificative_refund()
    rules.activate(None)


def _see(rule: Any, method: str, path: str, response: Any) -> None:
    rule.after_response(None, _Response(response.status_code, response.content), _Case(method, path))


def test_the_sandboxs_rectifications_pass_and_an_overdrawn_one_is_flagged(client: TestClient, rule: Any) -> None:
    tenant = client.post("/_sandbox/tenants", json={"name": "refund rule"}).json()
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.63"}
    lines = [
        {"descripcion": "A", "cantidad": 2, "pvpunitario": 0.5, "codimpuesto": "IVA21"},
        {"descripcion": "B", "cantidad": 1, "pvpunitario": 3, "codimpuesto": "IVA21"},
    ]
    created = client.post(
        f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": json.dumps(lines)}, headers=headers
    )
    assert created.status_code == 200, created.text
    _see(rule, "POST", "/3/crearFacturaCliente", created)
    doc, (a, _) = created.json()["doc"], created.json()["lines"]
    form = {"idfactura": str(doc["idfactura"]), "fecha": doc["fecha"]}
    partial = client.post(
        f"{FS}/crearFacturaRectificativaCliente", data={**form, f"refund_{a['idlinea']}": "1"}, headers=headers
    )
    assert partial.status_code == 200, partial.text
    _see(rule, "POST", "/3/crearFacturaRectificativaCliente", partial)
    full = client.post(f"{FS}/crearFacturaRectificativaCliente", data=form, headers=headers)
    assert full.status_code == 200, full.text
    _see(rule, "POST", "/3/crearFacturaRectificativaCliente", full)  # what was left: passes
    # What the uncapped sandbox answered: a second full rectification refunding everything again.
    overdrawn = json.loads(full.content)
    overdrawn["doc"]["idfactura"] += 1000
    for line in overdrawn["lines"]:
        line["cantidad"] = -2 if line["idlinearect"] == a["idlinea"] else -1
    with pytest.raises(rules.RuleViolation, match="refunds exceed"):
        _see(rule, "POST", "/3/crearFacturaRectificativaCliente", _Response(200, json.dumps(overdrawn).encode()))


def test_a_draft_whose_lines_change_out_of_sight_no_longer_bounds_its_refunds(client: TestClient, rule: Any) -> None:
    tenant = client.post("/_sandbox/tenants", json={"name": "refund rule drafts"}).json()
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.64"}
    lines = json.dumps([{"descripcion": "A", "cantidad": 1, "pvpunitario": 1}])
    created = client.post(f"{FS}/crearFacturaCliente", data={"codcliente": "1", "lineas": lines}, headers=headers)
    _see(rule, "POST", "/3/crearFacturaCliente", created)
    doc, (line,) = created.json()["doc"], created.json()["lines"]
    grown = client.put(f"{FS}/lineafacturaclientes/{line['idlinea']}", data={"cantidad": "5"}, headers=headers)
    assert grown.status_code == 200, grown.text
    _see(rule, "PUT", "/3/lineafacturaclientes/{pk}", grown)
    form = {"idfactura": str(doc["idfactura"]), "fecha": doc["fecha"], f"refund_{line['idlinea']}": "5"}
    refund = client.post(f"{FS}/crearFacturaRectificativaCliente", data=form, headers=headers)
    assert refund.status_code == 200, refund.text
    _see(rule, "POST", "/3/crearFacturaRectificativaCliente", refund)  # no false alarm

"""A fresh tenant is a Spanish installation after its setup wizard: the reference data the
wizard loads, consistent with itself (every foreign key resolves, every NOT NULL column has a
value), shared by tenants copy-on-write."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from facturas_sandbox.contracts import fixtures_dir
from facturas_sandbox.vendors.facturascripts import engine
from facturas_sandbox.vendors.facturascripts.models import registry

from .conftest import BASE, FULL


def _all(client, resource: str, headers=FULL) -> list[dict[str, Any]]:
    response = client.get(f"{BASE}/{resource}", headers=headers, params={"limit": 0})
    assert response.status_code == 200, (resource, response.text)
    return response.json()


def test_every_foreign_key_resolves_and_every_not_null_column_has_a_value(client):
    rows = {resource: _all(client, resource) for resource in registry()}
    tenant = client.app.sandbox.tenants.get("demo")
    dangling, empty = [], []
    targets: dict[tuple[str, tuple[str, ...]], set[tuple[Any, ...]]] = {}
    for resource, m in registry().items():
        stored = {r[m.primary_key]: r for r in engine.collection(tenant.store, m).all()}
        for row in rows[resource]:
            full = stored[row[m.primary_key]]  # hidden columns (a user's password) are not served
            empty += [
                (resource, row[m.primary_key], c)
                for c, col in m.columns.items()
                if not col.nullable and full.get(c) is None
            ]
            for fk in m.foreign_keys:
                values = tuple(row.get(c) for c in fk.columns)
                if any(v is None for v in values):
                    continue  # NULL references nothing, as in SQL
                key = (fk.resource, fk.referenced_columns)
                if key not in targets:
                    targets[key] = {tuple(t.get(c) for c in fk.referenced_columns) for t in rows[fk.resource]}
                if values not in targets[key]:
                    dangling.append((resource, row[m.primary_key], fk.columns, values, fk.resource))
    assert empty == []
    assert dangling == []
    # The walk saw the data: each table the wizard fills, and the company's documents.
    assert len(rows["ciudades"]) == 8121 and len(rows["provincias"]) == 909 and len(rows["pais"]) == 250
    assert sum(len(m.foreign_keys) for m in registry().values()) > 200


def test_document_states_of_a_real_installation(client):
    states = {s["idestado"]: s for s in _all(client, "estadodocumentos")}
    assert len(states) == 27
    assert (states[21]["tipodoc"], states[21]["nombre"], states[22]["nombre"]) == (
        "FacturaProveedor",
        "Boceto",
        "Recibida",
    )
    assert {states[12]["tipodoc"], states[13]["tipodoc"]} == {"PresupuestoProveedor"}
    assert (states[10]["nombre"], states[11]["nombre"], states[11]["editable"]) == ("Boceto", "Emitida", False)
    # one default (editable) state per document type
    defaults = defaultdict(list)
    for s in states.values():
        if s["predeterminado"]:
            defaults[s["tipodoc"]].append(s["idestado"])
    assert {k: v for k, v in defaults.items()} == {
        "PresupuestoCliente": [1],
        "PedidoCliente": [4],
        "AlbaranCliente": [7],
        "FacturaCliente": [10],
        "PresupuestoProveedor": [12],
        "PedidoProveedor": [15],
        "AlbaranProveedor": [18],
        "FacturaProveedor": [21],
    }


def test_quotes_orders_and_delivery_notes_get_their_types_default_state(client):
    expected = {
        "presupuestoclientes": 1,
        "pedidoclientes": 4,
        "albaranclientes": 7,
        "presupuestoproveedores": 12,
        "pedidoproveedores": 15,
        "albaranproveedores": 18,
    }
    for resource, idestado in expected.items():
        kind = registry()[resource].name
        party = {"codcliente": "1"} if kind.endswith("Cliente") else {"codproveedor": "1"}
        lines = json.dumps([{"descripcion": "x", "pvpunitario": 1}])
        created = client.post(f"{BASE}/crear{kind}", headers=FULL, data={**party, "lineas": lines})
        assert created.status_code == 200, created.text
        doc = created.json()["doc"]
        assert (doc["idestado"], doc["editable"]) == (idestado, True), resource
    for resource in expected:
        assert all(d["idestado"] is not None and d["editable"] is not None for d in _all(client, resource)), resource


def _data(table: str) -> list[dict[str, Any]]:
    return json.loads((fixtures_dir() / "facturascripts" / f"{table}.json").read_text(encoding="utf-8"))


def test_the_lists_the_wizard_loads_for_spain(client):
    counts = {
        "pais": 250,
        "divisas": 25,
        "impuestos": 18,
        "retenciones": 5,
        "provincias": 909,
        "ciudades": 8121,
        "identificadorfiscales": 6,
        "diarios": 4,
        "cuentaespeciales": 38,
        "agenciatransportes": 5,
        "formatodocumentos": 3,
        "emailnotifications": 8,
        "roles": 1,
        "roleaccess": 67,
        "formapagos": 4,
        "series": 3,
    }
    assert {r: len(_all(client, r)) for r in counts} == counts
    spain = client.get(f"{BASE}/pais/ESP", headers=FULL).json()
    assert (spain["nombre"], spain["codiso"], spain["telephone_prefix"]) == ("España", "ES", "+34")
    provinces = client.get(f"{BASE}/provincias", headers=FULL, params={"filter[codpais]": "ESP", "limit": 0}).json()
    assert len(provinces) == 52 and "Valencia" in {p["provincia"] for p in provinces}
    taxes = {t["codimpuesto"]: t for t in _all(client, "impuestos")}
    assert (taxes["IVA21"]["operacion"], taxes["IGIC7"]["operacion"], taxes["IPSI4"]["operacion"]) == (
        "ES_01",
        "ES_03",
        "ES_04",
    )
    assert {r["porcentaje"] for r in _all(client, "retenciones")} == {2, 7, 15, 19, 21}
    transfer = client.get(f"{BASE}/formapagos/TRANS", headers=FULL).json()
    assert (transfer["plazovencimiento"], transfer["tipovencimiento"], transfer["pagado"]) == (1, "months", False)
    pages = {p["name"]: p for p in _all(client, "pages")}
    assert len(pages) == len(_data("pages")) > 90
    assert (pages["ListCliente"]["menu"], pages["ListCliente"]["showonmenu"], pages["EditCliente"]["showonmenu"]) == (
        "sales",
        True,
        False,
    )
    settings = {s["name"]: json.loads(s["properties"]) for s in _all(client, "settings")}
    assert set(settings) == {"default", "email"}
    assert {k: settings["default"][k] for k in ("codpais", "coddivisa", "codimpuesto", "codpago", "codserie")} == {
        "codpais": "ESP",
        "coddivisa": "EUR",
        "codimpuesto": "IVA21",
        "codpago": "CONT",
        "codserie": "A",
    }
    assert settings["email"]["host"] == "smtp.gmail.com"
    admin = client.get(f"{BASE}/users/admin", headers=FULL).json()
    assert (admin["admin"], admin["level"], admin["homepage"]) == (True, 99, "Dashboard")
    assert "password" not in admin
    assert {k["nick"] for k in _all(client, "apikeyes")} == {"admin"}


def test_shared_rows_are_copy_on_write_per_tenant(client):
    other, _ = client.app.sandbox.tenants.create(name="other")
    theirs = {"X-Auth-Token": other.credentials["facturascripts"]["token"]}
    try:
        assert client.put(f"{BASE}/ciudades/1", headers=FULL, data={"ciudad": "Ababuj (renombrada)"}).status_code == 200
        assert client.delete(f"{BASE}/provincias/2", headers=FULL).status_code == 200
        created = client.post(f"{BASE}/ciudades", headers=FULL, data={"ciudad": "Nueva", "idprovincia": "1"})
        assert created.json()["data"]["idciudad"] == 8122  # the serial continues after the imported rows
        assert client.get(f"{BASE}/ciudades/1", headers=FULL).json()["ciudad"] == "Ababuj (renombrada)"
        assert client.get(f"{BASE}/provincias/2", headers=FULL).status_code == 404
        assert client.get(f"{BASE}/ciudades", headers=FULL, params={"limit": 1}).headers["x-total-count"] == "8122"
        assert len(_all(client, "provincias")) == 908
        # another tenant reads the installation's rows, untouched
        assert client.get(f"{BASE}/ciudades/1", headers=theirs).json()["ciudad"] == "Ababuj"
        assert client.get(f"{BASE}/provincias/2", headers=theirs).json()["provincia"] == "Albacete"
        assert client.get(f"{BASE}/ciudades/8122", headers=theirs).status_code == 404
        assert len(_all(client, "provincias", theirs)) == 909
        # a deleted key can be created again, and a reset brings the installation's rows back
        again = client.post(
            f"{BASE}/provincias", headers=FULL, data={"idprovincia": "2", "codpais": "ESP", "provincia": "Albacete"}
        )
        assert again.status_code == 200, again.text
        client.app.sandbox.tenants.reset("demo")
        assert client.get(f"{BASE}/ciudades/1", headers=FULL).json()["ciudad"] == "Ababuj"
        assert client.get(f"{BASE}/ciudades/8122", headers=FULL).status_code == 404
        assert (
            client.post(f"{BASE}/ciudades", headers=FULL, data={"ciudad": "Otra", "idprovincia": "1"}).json()["data"][
                "idciudad"
            ]
            == 8122
        )
    finally:
        client.app.sandbox.tenants.delete(other.id)


def test_a_duplicate_of_a_shared_row_is_refused(client):
    r = client.post(f"{BASE}/pais", headers=FULL, data={"codpais": "ESP", "nombre": "Otra España"})
    assert (r.status_code, r.json()["error"]) == (400, "Registro duplicado")
    assert client.get(f"{BASE}/pais/ESP", headers=FULL).json()["nombre"] == "España"


def test_shared_rows_answer_store_queries_with_the_tenants_changes(client):
    from facturas_sandbox.store.query import Field, Kind, Like, Order, Query

    tenant = client.app.sandbox.tenants.get("demo")
    provinces = engine.collection(tenant.store, engine.model("provincias"))
    assert client.put(f"{BASE}/provincias/5", headers=FULL, data={"provincia": "Ávila (editada)"}).status_code == 200
    page = provinces.query(
        Query(
            where=Like(Field("provincia", Kind.TEXT), "%avila%"),
            order=(Order(Field("idprovincia", Kind.NUMBER), descending=True),),
            limit=1,
            count=True,
        )
    )
    # accents and case ignored, the tenant's own edit seen instead of the installation's row
    assert (page.total, [p["provincia"] for p in page.documents]) == (1, ["Ávila (editada)"])

"""Model resources over HTTP: the real server's shapes, status codes and quirks."""

from facturas_sandbox.vendors.facturascripts.engine import SAVE_ERROR

from .conftest import BASE, FULL


def test_root_lists_every_served_resource_sorted(client):
    r = client.get(f"{BASE}/", headers=FULL)
    assert r.status_code == 200
    names = r.json()["resources"]
    assert names == sorted(set(names))
    assert {"clientes", "facturaclientes", "apikeyes", "pais", "asientos", "subcuentas"} <= set(names)


def test_list_is_a_bare_array_with_total_count_and_cors(client):
    r = client.get(f"{BASE}/clientes", headers=FULL, params={"limit": 3, "offset": 1})
    assert r.status_code == 200
    assert r.headers["x-total-count"] == "10"
    assert len(r.json()) == 3
    assert r.headers["access-control-allow-origin"] == "*"
    assert "access-control-expose-headers" not in r.headers


def test_list_filters_sort_and_bad_fields(client):
    params = {"filter[regimeniva]": "Recargo", "sort[nombre]": "DESC"}
    r = client.get(f"{BASE}/clientes", headers=FULL, params=params)
    assert [c["nombre"] for c in r.json()] == ["Librería El Quijote", "Bar Casa Pepe"]
    r = client.get(f"{BASE}/clientes", headers=FULL, params={"filter[nope_gt]": "1", "sort[apikey]": "ASC"})
    assert r.status_code == 400
    assert r.json() == {"error": "api: fields not allowed: apikey, nope"}


def test_get_schema_and_not_found(client):
    r = client.get(f"{BASE}/clientes/3", headers=FULL)
    assert r.status_code == 200
    assert r.json()["cifnif"] == "48291734Z"
    assert r.json()["debaja"] is False
    assert r.json()["fechaalta"].count("-") == 2
    r = client.get(f"{BASE}/clientes/schema", headers=FULL)
    assert r.json()["codcliente"] == {"type": "character varying(10)", "default": None, "is_nullable": "NO"}
    assert r.json()["debaja"]["default"] == "false"
    r = client.get(f"{BASE}/clientes/999", headers=FULL)
    assert (r.status_code, r.json()) == (404, {"error": "Registro no encontrado"})


def test_create_with_form_auto_code_contact_and_null(client):
    body = {"nombre": "Óptica Central", "cifnif": "12345678Z", "email": "null", "personafisica": "0"}
    r = client.post(f"{BASE}/clientes", headers=FULL, data=body)
    assert r.status_code == 200
    out = r.json()
    assert out["ok"] == "Registro actualizado correctamente."
    assert out["data"]["codcliente"] == "11"
    assert out["data"]["razonsocial"] == "Óptica Central"
    assert out["data"]["email"] is None
    assert out["data"]["personafisica"] is False
    contacts = client.get(f"{BASE}/contactos", headers=FULL, params={"filter[codcliente]": "11"}).json()
    # Cliente::saveInsert: the first word is the contact's name, the rest its surnames
    assert [(c["nombre"], c["apellidos"]) for c in contacts] == [("Óptica", "Central")]
    assert out["data"]["idcontactofact"] == contacts[0]["idcontacto"]
    assert "x-sandbox-warning" not in r.headers


def test_auto_code_follows_the_largest_code_made_of_digits(client):
    """newCode: MAX over the codes that are numbers, plus one; letters and non-ASCII digits do
    not count, and the largest code deleted is handed out again."""
    for code in ("0500", "ABC", "٩٩٩", "99x"):
        r = client.post(f"{BASE}/clientes", headers=FULL, data={"codcliente": code, "nombre": code, "cifnif": "B1"})
        assert r.status_code == 200, r.text
    new = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "Siguiente", "cifnif": "B2"}).json()
    assert new["data"]["codcliente"] == "501"
    assert client.delete(f"{BASE}/clientes/501", headers=FULL).status_code == 200
    again = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "Otra vez", "cifnif": "B3"}).json()
    assert again["data"]["codcliente"] == "501"


def test_an_auto_code_that_outgrows_its_column_is_a_save_error(client):
    last = {"codcliente": "9999999999", "nombre": "Último", "cifnif": "B1"}
    assert client.post(f"{BASE}/clientes", headers=FULL, data=last).status_code == 200
    r = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "Siguiente", "cifnif": "B2"})
    assert r.status_code == 400, r.text
    assert r.json()["error"] == f"{SAVE_ERROR} - El campo codcliente no puede tener más de 10 caracteres"
    assert client.get(f"{BASE}/clientes", headers=FULL, params={"filter[cifnif]": "B2"}).json() == []


def test_create_duplicate_missing_data_and_save_error(client):
    r = client.post(f"{BASE}/clientes", headers=FULL, data={"codcliente": "1", "nombre": "x", "cifnif": "B1"})
    assert r.status_code == 400
    assert r.json()["error"] == "Registro duplicado"
    assert r.json()["data"]["codcliente"] == "1"
    r = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "Sin NIF"})
    assert r.status_code == 400
    assert r.json()["error"].startswith("Ha ocurrido un error mientras se guardaban los datos - El campo cifnif")


def test_php_truthiness_of_false_is_kept_and_warned(client):
    r = client.post(f"{BASE}/clientes", headers=FULL, data={"nombre": "A", "cifnif": "1", "personafisica": "false"})
    assert r.json()["data"]["personafisica"] is True
    assert "PHP truthiness" in r.headers["x-sandbox-warning"]


def test_json_body_is_accepted_but_warned(client):
    r = client.post(f"{BASE}/clientes", headers=FULL, json={"nombre": "JSON S.L.", "cifnif": "B12345674"})
    assert r.status_code == 200
    assert "only form bodies" in r.headers["x-sandbox-warning"]


def test_create_product_creates_its_variant(client):
    r = client.post(f"{BASE}/productos", headers=FULL, data={"referencia": "NUEVO-1", "precio": "12.5"})
    assert r.status_code == 200
    product = r.json()["data"]
    assert product["precio"] == 12.5
    variants = client.get(f"{BASE}/variantes", headers=FULL, params={"filter[referencia]": "NUEVO-1"}).json()
    assert [(v["idproducto"], v["precio"]) for v in variants] == [(product["idproducto"], 12.5)]


def test_update_partial_and_delete(client):
    r = client.put(f"{BASE}/clientes/2", headers=FULL, data={"telefono1": "null", "observaciones": "VIP"})
    assert r.status_code == 200
    assert r.json()["data"]["telefono1"] is None
    assert r.json()["data"]["nombre"] == "Distribuciones Levante S.A."
    r = client.patch(f"{BASE}/clientes/2", headers=FULL, data={"observaciones": "otra"})
    assert r.json()["data"]["observaciones"] == "otra"
    assert client.put(f"{BASE}/clientes/999", headers=FULL, data={"nombre": "x"}).status_code == 404
    r = client.delete(f"{BASE}/clientes/2", headers=FULL)
    assert r.status_code == 200
    assert r.json()["ok"] == "¡Registro eliminado correctamente!"
    assert client.get(f"{BASE}/clientes/2", headers=FULL).status_code == 404
    assert client.delete(f"{BASE}/clientes/2", headers=FULL).status_code == 404


def test_numbers_without_fraction_serialise_as_integers(client):
    r = client.get(f"{BASE}/impuestos/IVA21", headers=FULL)
    assert r.text.count('"iva":21,') == 1
    assert r.json()["recargo"] == 5.2


def test_apikey_is_never_shown_and_new_keys_work(client):
    keys = client.get(f"{BASE}/apikeyes", headers=FULL).json()
    assert keys and all("apikey" not in k for k in keys)
    r = client.post(
        f"{BASE}/apikeyes",
        headers=FULL,
        data={"description": "nueva", "nick": "admin", "fullaccess": "1", "enabled": "1"},
    )
    assert r.status_code == 200
    assert "apikey" not in r.json()["data"]
    new_id = r.json()["data"]["id"]
    # The secret only lives in the store: read it there, then use it.
    from facturas_sandbox.vendors.facturascripts import engine

    tenant = client.app.sandbox.tenants.get("demo")
    secret = engine.collection(tenant.store, engine.model("apikeyes")).get(new_id)["apikey"]
    assert len(secret) == 20
    assert client.get(f"{BASE}/series", headers={"X-Auth-Token": secret}).status_code == 200
    client.delete(f"{BASE}/apikeyes/{new_id}", headers=FULL)
    assert client.get(f"{BASE}/series", headers={"X-Auth-Token": secret}).status_code == 401


def test_fixture_company_is_realistic(client):
    from stdnum.es import nif

    customers = client.get(f"{BASE}/clientes", headers=FULL, params={"limit": 0}).json()
    suppliers = client.get(f"{BASE}/proveedores", headers=FULL, params={"limit": 0}).json()
    assert len(customers) + len(suppliers) == 20
    assert all(nif.is_valid(p["cifnif"]) for p in customers + suppliers)
    taxes = {t["codimpuesto"]: (t["iva"], t["recargo"]) for t in client.get(f"{BASE}/impuestos", headers=FULL).json()}
    # the peninsula's IVA with its recargo, beside the Canary Islands' IGIC and Ceuta and Melilla's IPSI
    assert {k: v for k, v in taxes.items() if k.startswith("IVA")} == {
        "IVA0": (0, 0),
        "IVA4": (4, 0.5),
        "IVA10": (10, 1.4),
        "IVA21": (21, 5.2),
    }
    assert len(taxes) == 18
    assert [s["codserie"] for s in client.get(f"{BASE}/series", headers=FULL).json()] == ["A", "R", "S"]
    assert client.get(f"{BASE}/almacenes/ALG", headers=FULL).status_code == 200
    years = {i["codejercicio"] for i in client.get(f"{BASE}/facturaclientes", headers=FULL).json()}
    exercises = {e["codejercicio"] for e in client.get(f"{BASE}/ejercicios", headers=FULL).json()}
    this_year = str(client.app.sandbox.tenants.get("demo").clock.today().year)
    assert years <= exercises <= years | {this_year}

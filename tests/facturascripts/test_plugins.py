"""plugins: list with the real controller's filters and sort, get one, enable/disable rules."""

from __future__ import annotations

from facturas_sandbox.vendors.facturascripts import plugins

from .conftest import BASE, FULL, RESTRICTED


def names(response) -> list[str]:
    return [p["name"] for p in response.json()]


def test_list_filters_sorts_and_carries_the_core_version(client):
    r = client.get(f"{BASE}/plugins", headers=FULL)
    assert r.status_code == 200
    assert r.headers["x-core-version"] == plugins.CORE_VERSION
    assert r.headers["access-control-allow-origin"] == "*"
    every = r.json()
    assert len(every) == 7 and set(every[0]) == {
        "name", "description", "version", "enabled", "compatible", "min_version", "min_php", "require", "folder"
    }  # fmt: skip
    get = lambda **params: client.get(f"{BASE}/plugins", headers=FULL, params=params)  # noqa: E731
    assert names(get(**{"filter[enabled]": "1"})) == ["Modelo303", "StockAvanzado", "Backup"]
    assert names(get(**{"filter[enabled]": "0"})) == ["Modelo347", "Produccion", "Verifactu", "TPVneo"]
    assert names(get(**{"filter[compatible]": "0"})) == ["TPVneo"]
    assert names(get(**{"filter[name_like]": "MODELO"})) == ["Modelo303", "Modelo347"]
    assert names(get(**{"filter[version_gte]": "3", "sort[version]": "DESC"})) == ["TPVneo", "StockAvanzado"]
    assert names(get(**{"filter[min_php_lt]": "8"})) == ["Backup"]
    assert names(get(**{"filter[description_notnull]": ""})) == names(r)
    assert names(get(**{"filter[missing_field]": "x"})) == []  # a field the plugins lack filters all out
    assert names(get(**{"sort[name]": "ASC"}))[:2] == ["Backup", "Modelo303"]
    assert names(get(**{"sort[name]": "desc"}))[:2] == ["Backup", "Modelo303"]  # only `DESC` is descending


def test_get_one_and_unknown(client):
    r = client.get(f"{BASE}/plugins/Produccion", headers=FULL)
    assert (r.status_code, r.json()["require"], r.json()["folder"]) == (200, ["StockAvanzado"], "Produccion")
    missing = client.get(f"{BASE}/plugins/produccion", headers=FULL)  # names are case-sensitive
    assert (missing.status_code, missing.json()) == (
        404,
        {"status": "error", "message": "plugin-not-found: produccion"},
    )


def test_enable_and_disable_follow_dependencies_and_compatibility(client):
    post = lambda path: client.post(f"{BASE}/plugins/{path}", headers=FULL)  # noqa: E731
    r = post("Modelo347/enable")
    assert (r.status_code, r.json()["message"], r.json()["data"]["enabled"]) == (200, "plugin-enabled: Modelo347", True)
    assert post("Modelo347/enable").json()["message"] == "Sin cambios"
    assert client.get(f"{BASE}/plugins/Modelo347", headers=FULL).json()["enabled"] is True
    assert post("TPVneo/enable").status_code == 409
    assert post("TPVneo/enable").json()["message"] == "plugin-not-compatible: TPVneo"
    # Produccion needs StockAvanzado: while it is enabled, StockAvanzado cannot be disabled
    assert post("Produccion/enable").status_code == 200
    blocked = post("StockAvanzado/disable")
    assert (blocked.status_code, blocked.json()["message"]) == (409, "plugin-required-by: Produccion")
    assert post("Produccion/disable").json()["message"] == "plugin-disabled: Produccion"
    assert post("StockAvanzado/disable").status_code == 200
    needed = post("Produccion/enable")
    assert (needed.status_code, needed.json()["message"]) == (409, "plugin-needed: StockAvanzado")
    assert post("Nope/disable").status_code == 404


def test_changes_need_a_full_access_key_and_stay_in_the_tenant(client):
    # without an apiaccess row the restricted key is refused by the permission check...
    assert client.post(f"{BASE}/plugins/Modelo347/enable", headers=RESTRICTED).status_code == 403
    # ...and with one allowing POST, by the plugin controller itself
    grant = {"idapikey": "2", "resource": "plugins", "allowget": "1", "allowpost": "1"}
    assert client.post(f"{BASE}/apiaccess", headers=FULL, data=grant).status_code == 200
    r = client.post(f"{BASE}/plugins/Modelo347/enable", headers=RESTRICTED)
    assert (r.status_code, r.json()) == (403, {"status": "error", "message": "full-access-required"})
    assert client.get(f"{BASE}/plugins/Modelo347", headers=RESTRICTED).json()["enabled"] is False
    tenants = client.app.sandbox.tenants
    other, _ = tenants.create(name="other plugins")
    try:
        theirs = {"X-Auth-Token": other.credentials["facturascripts"]["token"]}
        assert client.post(f"{BASE}/plugins/Modelo347/enable", headers=theirs).status_code == 200
        assert client.get(f"{BASE}/plugins/Modelo347", headers=FULL).json()["enabled"] is False
    finally:
        tenants.delete(other.id)


def test_php_loose_comparison():
    compare = plugins.php_compare
    assert compare(True, "1") == 0 and compare(True, "0") == 1 and compare(False, "") == 0
    assert compare(True, "false") == 0  # a non-empty string is true
    assert compare(2.4, "2.40") == 0 and compare(10, "9") == 1 and compare("abc", "abd") == -1
    assert compare(None, "") == 0 and compare(None, "a") == -1

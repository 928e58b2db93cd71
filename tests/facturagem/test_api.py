"""FACTURAgem API v1 end to end through the ASGI app (responses validated against the contract)."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

warnings.filterwarnings("ignore", category=DeprecationWarning)

from facturas_sandbox.app import create_app  # noqa: E402
from facturas_sandbox.settings import Settings  # noqa: E402
from facturas_sandbox.vendors.facturagem import DEMO_LOGIN, DEMO_PASSWORD  # noqa: E402
from facturas_sandbox.vendors.facturagem.railsxml import from_xml  # noqa: E402

B = "/facturagem/api/v1"


@pytest.fixture()
def client():
    app = create_app(Settings(data_dir=None, validate_responses=True))
    with app.test_client() as c:
        yield c


def login(c, login=DEMO_LOGIN, password=DEMO_PASSWORD):
    r = c.post(f"{B}/session.json", json={"login": login, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def send_xml(c, method, url, key, body):
    """An XML body (Content-Type: application/xml) sent with the session's api_key."""
    return c.request(method, url, params={"api_key": key}, content=body, headers={"Content-Type": "application/xml"})


def test_session_same_key_until_destroyed_everywhere(client):
    first, second = login(client), login(client)
    key = first["api_key"]
    assert second["api_key"] == key
    assert {"rel": "account", "uri": f"http://testserver{B}/accounts.json"} in first["links"]
    assert client.get(f"{B}/accounts.json", params={"api_key": key}).status_code == 200
    r = client.delete(f"{B}/session.json", params={"api_key": key})
    assert r.status_code == 200 and r.content == b""
    assert client.get(f"{B}/accounts.json", params={"api_key": key}).status_code == 401
    assert client.get(f"{B}/accounts.json").status_code == 401
    assert login(client)["api_key"] != key


def test_login_refused_and_form_login(client):
    r = client.post(f"{B}/session.xml", json={"login": DEMO_LOGIN, "password": "wrong"})
    assert r.status_code == 401 and ET.fromstring(r.content).tag == "hash"
    r = client.post(f"{B}/session.json", data={"login": DEMO_LOGIN, "password": DEMO_PASSWORD})
    assert r.status_code == 200 and r.json()["api_key"].startswith("fg_")


def test_strict_params_both_ways(client):
    key = login(client)["api_key"]
    acc = login(client)["account_id"]
    r = client.get(f"{B}/accounts/{acc}/clients.json", params={"api_key": key, "colour": "red"})
    assert r.status_code == 422
    assert set(r.json()["allowed_params"]) == {"api_key", "page", "strict"}
    assert r.json()["errors"]["params"] == ["colour is not allowed"]
    for off in ("false", "0"):
        r = client.get(f"{B}/accounts/{acc}/clients.json", params={"api_key": key, "colour": "red", "strict": off})
        assert r.status_code == 200
    r = client.post(f"{B}/accounts/{acc}/clients.json", params={"api_key": key}, json={"name": "X", "shoe": 1})
    assert r.status_code == 422 and "name" in r.json()["allowed_params"]
    r = client.post(
        f"{B}/accounts/{acc}/clients.json", params={"api_key": key, "strict": "0"}, json={"name": "X", "shoe": 1}
    )
    assert r.status_code == 200 and r.json()["name"] == "X"


def test_pagination_ends_with_empty_collection(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    for n in range(30):
        assert (
            client.post(f"{B}/accounts/{acc}/clients.json", params={"api_key": key}, json={"name": f"C{n}"}).status_code
            == 200
        )
    seen, page = [], 1
    while True:
        r = client.get(f"{B}/accounts/{acc}/clients.json", params={"api_key": key, "page": page})
        items = r.json()["clients"]
        if not items:
            break
        seen += [c["id"] for c in items]
        page += 1
    assert page == 3 and len(seen) == len(set(seen)) == 34
    r = client.get(f"{B}/accounts/{acc}/clients.xml", params={"api_key": key, "page": 3})
    assert ET.fromstring(r.content).find("clients").get("type") == "array"
    assert len(ET.fromstring(r.content).find("clients")) == 0


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


@pytest.mark.parametrize(
    "path,root",
    [
        ("/accounts", "account"),
        ("/accounts/{acc}", "account"),
        ("/accounts/{acc}/clients", "hash"),
        ("/accounts/{acc}/clients/2", "client"),
        ("/accounts/{acc}/clients/1/invoices", "hash"),
        ("/accounts/{acc}/invoices", "hash"),
        ("/accounts/{acc}/invoices/2", "invoice"),
        ("/accounts/{acc}/invoices/new", "invoice"),
        ("/countries", "hash"),
    ],
)
def test_xml_and_json_say_the_same(client, path, root):
    user = login(client)
    params = {} if path == "/countries" else {"api_key": user["api_key"]}
    path = path.format(acc=user["account_id"])
    js = client.get(f"{B}{path}.json", params=params)
    xm = client.get(f"{B}{path}.xml", params=params)
    assert js.status_code == xm.status_code == 200
    assert xm.headers["content-type"].startswith("application/xml")
    assert xm.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    element = ET.fromstring(xm.content)  # a real XML parser
    assert element.tag == root
    _, value = from_xml(xm.content)
    expected = _plain(js.json())

    def fix_links(v):
        if isinstance(v, dict):
            return {k: fix_links(x) for k, x in v.items()}
        if isinstance(v, list):
            return [fix_links(x) for x in v]
        return v.replace(".json", ".xml") if isinstance(v, str) and v.startswith("http") else v

    assert _plain(value) == fix_links(expected)


def test_payments_partial_paid_and_overpayment(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    inv = client.post(
        f"{B}/accounts/{acc}/invoices.json",
        params={"api_key": key},
        json={"client_id": 3, "irpf_percent": 0, "lines": [{"description": "Logo", "amount": 1, "price": 100}]},
    ).json()
    assert inv["total"] == 121 and inv["paid"] is False
    pay = f"{B}/accounts/{acc}/invoices/{inv['id']}/payments"
    r = send_xml(client, "POST", f"{pay}.xml", key, b"<payment><amount>21</amount></payment>")
    assert r.status_code == 200 and ET.fromstring(r.content).findtext("due-amount") == "100.00"
    r = client.post(f"{pay}.json", params={"api_key": key}, json={"amount": 100.01})
    assert r.status_code == 422 and "amount" in r.json()["errors"]
    r = client.post(f"{pay}.json", params={"api_key": key}, json={"amount": 100})
    assert r.json()["invoice_paid"] is True
    got = client.get(f"{B}/accounts/{acc}/invoices/{inv['id']}.json", params={"api_key": key}).json()
    assert got["paid"] is True and got["due_amount"] == 0 and len(got["payments"]) == 2
    assert client.post(f"{pay}.json", params={"api_key": key}, json={"amount": 1}).status_code == 422


def test_arithmetic_and_numbering(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    url = f"{B}/accounts/{acc}/invoices.json"
    lines = [{"description": "a", "amount": 3, "price": 33.335}, {"description": "b", "amount": 1, "price": 0.5}]
    body = {"client_id": 2, "iva_percent": 21, "irpf_percent": 15, "lines": lines}
    inv = client.post(url, params={"api_key": key}, json=body).json()
    # lines 100.01 (100.005 half-up) + 0.50; client discount 5% → 5.03; base 95.48; IVA 20.05; IRPF 14.32
    assert [ln["total"] for ln in inv["lines"]] == [100.01, 0.5]
    assert (inv["discount"], inv["tax_base"], inv["iva"], inv["irpf"], inv["total"]) == (
        5.03,
        95.48,
        20.05,
        14.32,
        101.21,
    )
    year = inv["date"][:4]
    assert inv["number"] == f"{year}_0005"
    assert client.post(url, params={"api_key": key}, json=body).json()["number"] == f"{year}_0006"
    r = client.put(f"{B}/accounts/{acc}.json", params={"api_key": key}, json={"invoice_number_format": "FG-YYYY/NNN"})
    assert r.status_code == 200 and r.content == b""
    assert client.post(url, params={"api_key": key}, json=body).json()["number"] == f"FG-{year}/007"
    dup = client.post(url, params={"api_key": key}, json={**body, "number": f"FG-{year}/007"})
    assert dup.status_code == 422 and dup.json()["errors"]["number"] == ["has already been taken"]


def test_tenant_isolation_and_other_users_account(client):
    demo = login(client)
    created = client.post("/_sandbox/tenants", json={"name": "other"}).json()
    creds = (
        created["tenant"]["credentials"]["facturagem"] if "tenant" in created else created["credentials"]["facturagem"]
    )
    other = login(client, creds["login"], creds["password"])
    assert other["api_key"] != demo["api_key"]
    acc = demo["account_id"]
    client.post(f"{B}/accounts/{acc}/clients.json", params={"api_key": demo["api_key"]}, json={"name": "Solo demo"})
    names = [
        c["name"]
        for c in client.get(f"{B}/accounts/{acc}/clients.json", params={"api_key": other["api_key"]}).json()["clients"]
    ]
    assert "Solo demo" not in names
    assert client.get(f"{B}/accounts/2-oteiza-diseno.json", params={"api_key": demo["api_key"]}).status_code == 404


def test_406_and_hostile_xml(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    assert client.get(f"{B}/accounts.html", params={"api_key": key}).status_code == 406
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]>'
        b"<client><name>&b;</name></client>"
    )
    ext = (
        b'<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><client><name>&x;</name></client>'
    )
    for doc in (bomb, ext):
        r = send_xml(client, "POST", f"{B}/accounts/{acc}/clients.xml", key, doc)
        assert r.status_code == 400 and b"passwd" not in r.content


def test_validation_422_returns_resource_with_errors(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    xml = b"<client><name>Nube</name><cif>B00000001</cif></client>"
    r = send_xml(client, "POST", f"{B}/accounts/{acc}/clients.xml", key, xml)
    assert r.status_code == 422
    root = ET.fromstring(r.content)
    assert root.tag == "client" and root.findtext("cif") == "B00000001"
    assert "Cif is not a valid Spanish NIF/CIF" in [e.text for e in root.find("errors")]


def test_xml_nil_reads_the_rails_way(client):
    user = login(client)
    key, acc = user["api_key"], user["account_id"]

    def post(path, doc):
        return send_xml(client, "POST", f"{B}/accounts/{acc}/{path}.json", key, doc)

    # Empty elements and nil="true" are nil (a nullable field is cleared); `type="string"` keeps "".
    r = post("clients", b'<client><name>Nube</name><email></email><city nil="true"/><country-id/></client>')
    assert r.status_code == 200, r.text
    assert r.json()["email"] is None and r.json()["city"] is None
    assert from_xml(b'<a><b type="string"></b><c></c></a>') == ("a", {"b": "", "c": None})
    # A blank name is the model's 422, a nil number is "not a number" (Rails numericality).
    r = post("clients", b"<client><name></name></client>")
    assert r.status_code == 422 and r.json()["errors"]["name"] == ["can't be blank"]
    r = post("clients", b"<client><name>Nube</name><discount-percent/></client>")
    assert r.status_code == 422 and r.json()["errors"]["discount_percent"] == ["is not a number"]
    # A wrapped list without type="array" is the list; the text "null" is just text.
    line = b"<line><description>a</description><price>10</price></line>"
    doc = b"<invoice><client-id>2</client-id><lines>" + line + b"</lines></invoice>"
    r = post("invoices", doc)
    assert r.status_code == 200, r.text
    assert [ln["description"] for ln in r.json()["lines"]] == ["a"]
    r = post("clients", b"<client><name>null</name></client>")
    assert r.status_code == 200 and r.json()["name"] == "null"


def test_refused_account_update_with_an_empty_xml_name_is_422(client):
    # Found by the negative-mode stress run: `<name></name>` reads as nil, and the refused
    # record's URL slug crashed on it (500).
    session = login(client)
    url = f"{B}/accounts/{session['account_id']}.xml"
    body = "<account><name></name><city>Valencia</city></account>"
    r = send_xml(client, "PUT", url, session["api_key"], body)
    assert r.status_code == 422, r.text
    assert "can't be blank" in r.text
    stored = client.get(url, params={"api_key": session["api_key"]}).text
    assert "<name>Kovacek Nienow</name>" in stored  # unchanged


def test_api_key_is_an_authentication_parameter_never_an_unexpected_one(client):
    """A Rails before_action reads params[:api_key] before strong parameters see the request:
    sending it where it is not needed (a login, the public countries) is no 422."""
    key = login(client)["api_key"]
    r = client.post(f"{B}/session.json", params={"api_key": key}, data={"login": DEMO_LOGIN, "password": DEMO_PASSWORD})
    assert r.status_code == 200 and r.json()["api_key"] == key
    r = client.post(f"{B}/session.json", params={"api_key": "fg_not_a_key"}, json={"login": DEMO_LOGIN})
    assert r.status_code == 422 and r.json()["errors"] == {"password": ["is required"]}  # the body's rule, not api_key
    assert client.get(f"{B}/countries.json", params={"api_key": "anything"}).status_code == 200
    r = client.post(
        f"{B}/accounts/{login(client)['account_id']}/clients.json",
        params={"api_key": key},
        json={"name": "X", "api_key": key},
    )
    assert r.status_code == 422 and r.json()["errors"]["params"] == ["api_key is not allowed"]  # never a body field


def test_the_contract_declares_api_key_only_as_the_security_scheme():
    from facturas_sandbox.contracts import load_contract

    contract = load_contract("facturagem")
    assert contract["components"]["securitySchemes"]["ApiKey"] == {
        **contract["components"]["securitySchemes"]["ApiKey"],
        "in": "query",
        "name": "api_key",
    }
    params = [
        p
        for item in contract["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
    ]
    assert not [p for p in params if p.get("name") == "api_key" or p.get("$ref", "").endswith("/ApiKey")]


@pytest.mark.parametrize("lines", ["<lines></lines>", "<lines/>", '<lines type="array"></lines>'])
def test_an_empty_xml_list_is_an_empty_list(client, lines):
    key = login(client)["api_key"]
    acc = login(client)["account_id"]
    body = f'<invoice><client-id type="integer">1</client-id>{lines}</invoice>'
    r = send_xml(client, "POST", f"{B}/accounts/{acc}/invoices.xml", key, body)
    assert r.status_code == 200, r.text
    assert from_xml(r.content)[1]["lines"] == []


def test_a_nil_where_a_list_or_object_belongs_is_said_in_words():
    from jsonschema import Draft4Validator

    from facturas_sandbox.validators import schema_errors

    schema = {"type": "object", "properties": {"lines": {"type": "array"}, "client": {"type": "object"}}}
    errors = schema_errors(Draft4Validator(schema), {"lines": None, "client": None})
    assert [(e.field, e.message) for e in errors] == [("client", "must be an object"), ("lines", "must be a list")]


def test_a_number_that_outgrows_its_forty_characters_is_refused_and_gives_its_counter_back(client):
    """A format of 40 characters with one N runs out at the 10th invoice of the year."""
    user = login(client)
    key, acc = user["api_key"], user["account_id"]
    url = f"{B}/accounts/{acc}/invoices.json"
    body = {"client_id": 2, "lines": [{"description": "a", "amount": 1, "price": 1}]}
    account = f"{B}/accounts/{acc}.json"
    assert (
        client.put(
            account, params={"api_key": key}, json={"invoice_number_format": "YYYY" + "A" * 35 + "N"}
        ).status_code
        == 200
    )
    answers = [client.post(url, params={"api_key": key}, json=body) for _ in range(7)]
    year = answers[0].json()["date"][:4]
    assert [r.json()["number"] for r in answers[:5]] == [f"{year}{'A' * 35}{n}" for n in range(5, 10)]
    for refused in answers[5:]:
        assert refused.status_code == 422
        assert refused.json()["errors"] == {"number": ["is too long (maximum is 40 characters)"]}
    assert client.put(account, params={"api_key": key}, json={"invoice_number_format": "YYYY_NNNN"}).status_code == 200
    assert client.post(url, params={"api_key": key}, json=body).json()["number"] == f"{year}_0010"  # no gap

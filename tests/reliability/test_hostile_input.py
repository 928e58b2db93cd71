"""Hostile input against every API: a clear 4xx in the API's own shape, fast, and nothing changes.

Each API is described once (where to write, how to authenticate, how to read its data back,
what its error bodies look like); the corpus runs against all of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from starlette.testclient import TestClient

MAX_SECONDS = 5.0  # every hostile request is answered (or refused) within this


@dataclass
class Target:
    name: str
    write: str  # a URL that creates something
    headers: dict[str, str]
    params: dict[str, str]
    snapshot: Callable[[TestClient], Any]
    shape: Callable[[Any], bool]  # is this body the API's own error shape?
    reads: list[str]  # URLs naming unknown or malformed ids


def _facturovia(client: TestClient, tenant: dict[str, Any]) -> Target:
    headers = {"Authorization": f"Bearer {tenant['credentials']['facturovia']['read_write']}"}
    base = "/facturovia/api"
    return Target(
        "facturovia",
        f"{base}/invoices",
        headers,
        {},
        lambda c: (c.get(f"{base}/invoices", headers=headers).json(), c.get(f"{base}/clients", headers=headers).json()),
        lambda body: set(body.get("error", {})) == {"code", "message", "fields"},
        [
            f"{base}/invoices/00000000-0000-4000-8000-000000000000",
            f"{base}/invoices/..%2F..%2Fetc%2Fpasswd",
            f"{base}/invoices/{'9' * 400}",
        ],
    )


def _facturala(client: TestClient, tenant: dict[str, Any]) -> Target:
    creds = tenant["credentials"]["facturala"]
    headers = {"Authorization": creds["token"]}
    base = f"/facturala/facturala/api/companies/{creds['company_id']}/invoices"
    return Target(
        "facturala",
        base,
        headers,
        {},
        lambda c: c.get(base, headers=headers).json(),
        lambda body: {"status", "code", "message"} <= set(body),
        [f"{base}/999999", f"{base}/..%2F..%2Fetc", f"{base}/{'9' * 400}", f"{base}/-1"],
    )


def _facturagem(client: TestClient, tenant: dict[str, Any]) -> Target:
    session = client.post("/facturagem/api/v1/session.json", data=tenant["credentials"]["facturagem"]).json()
    base = f"/facturagem/api/v1/accounts/{session['account_id']}"
    params = {"api_key": session["api_key"]}
    return Target(
        "facturagem",
        f"{base}/clients.json",
        {},
        params,
        lambda c: (
            c.get(f"{base}/clients.json", params=params).json(),
            c.get(f"{base}/invoices.json", params=params).json(),
        ),
        lambda body: "errors" in body,
        [f"{base}/clients/999999.json", f"{base}/clients/..%2F..%2Fx.json", f"{base}/invoices/{'9' * 400}.json"],
    )


def _facturascripts(client: TestClient, tenant: dict[str, Any]) -> Target:
    # Its own client address (the server reads X-Forwarded-For, as the real one does), so the
    # IP ban other tests' failed logins may have earned the test client does not apply here.
    headers = {"Token": tenant["credentials"]["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.7"}
    base = "/facturascripts/api/3"
    return Target(
        "facturascripts",
        f"{base}/clientes",
        headers,
        {},
        lambda c: c.get(f"{base}/clientes", params={"limit": 0}, headers=headers).json(),
        lambda body: body.get("status") == "error" or "error" in body,
        [f"{base}/clientes/NOEXISTE", f"{base}/clientes/..%2F..%2Fetc", f"{base}/productos/{'9' * 400}"],
    )


BUILDERS = [_facturovia, _facturala, _facturagem, _facturascripts]


@pytest.fixture(scope="module")
def targets(client: TestClient) -> list[Target]:
    tenant = client.post("/_sandbox/tenants", json={"name": "hostile"}).json()
    return [build(client, tenant) for build in BUILDERS]


NESTED = b'{"a":' * 5000 + b"1" + b"}" * 5000
HUGE_NUMBER = b'{"quantity": 1' + b"0" * 400 + b"}"
# (A `charset` on application/json is not hostile: RFC 8259 defines none, JSON is UTF-8.)
CORPUS: list[tuple[str, bytes, str]] = [
    ("oversize body", b'{"x": "' + b"a" * (1024 * 1024 + 10) + b'"}', "application/json"),
    ("deeply nested JSON", NESTED, "application/json"),
    ("invalid UTF-8", b'{"name": "\xff\xfe\xc3\x28"}', "application/json"),
    ("NaN", b'{"quantity": NaN, "name": "x"}', "application/json"),
    ("Infinity", b'{"quantity": -Infinity, "name": "x"}', "application/json"),
    ("400-digit number", HUGE_NUMBER, "application/json"),
    ("duplicate keys", b'{"name": "a", "name": "b"}', "application/json"),
    ("an array, not an object", b"[1, 2, 3]", "application/json"),
    ("JSON null", b"null", "application/json"),
    ("truncated JSON", b'{"name": "a', "application/json"),
    ("wrong content type", b'{"name": "x"}', "text/plain"),
    ("binary content type", b"\x00\x01\x02", "application/octet-stream"),
]


def _is_clear_refusal(response: Any, target: Target) -> None:
    assert 400 <= response.status_code < 500, (target.name, response.status_code, response.text[:200])
    content_type = response.headers.get("content-type", "")
    assert content_type.startswith(("application/json", "application/xml")), (target.name, content_type)
    if content_type.startswith("application/json"):
        assert target.shape(response.json()), (target.name, response.text[:200])


@pytest.mark.parametrize(("label", "body", "content_type"), CORPUS, ids=[c[0] for c in CORPUS])
def test_hostile_bodies_are_refused_in_each_apis_shape_and_change_nothing(
    client: TestClient, targets: list[Target], label: str, body: bytes, content_type: str
) -> None:
    for target in targets:
        before = target.snapshot(client)
        started = time.monotonic()
        response = client.post(
            target.write,
            content=body,
            params=target.params,
            headers={**target.headers, "Content-Type": content_type},
        )
        assert time.monotonic() - started < MAX_SECONDS, (target.name, label)
        _is_clear_refusal(response, target)
        assert target.snapshot(client) == before, (target.name, label)


def test_unknown_malformed_and_traversing_ids_are_4xx(client: TestClient, targets: list[Target]) -> None:
    for target in targets:
        for url in target.reads:
            response = client.get(url, headers=target.headers, params=target.params)
            assert response.status_code in (400, 404, 422), (target.name, url, response.status_code)
            assert "root:" not in response.text


def test_xml_bombs_and_external_entities_are_refused(client: TestClient, targets: list[Target]) -> None:
    (facturagem,) = [t for t in targets if t.name == "facturagem"]
    bombs = [
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;"><!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
        b"<client><name>&lol3;</name></client>",
        b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><client><name>&xxe;</name></client>',
        b'<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><client/>',
        b"<client><name>" * 2000 + b"x" + b"</name></client>" * 2000,
    ]
    before = facturagem.snapshot(client)
    for bomb in bombs:
        started = time.monotonic()
        response = client.post(
            facturagem.write.replace(".json", ".xml"),
            content=bomb,
            params=facturagem.params,
            headers={"Content-Type": "application/xml"},
        )
        assert time.monotonic() - started < MAX_SECONDS
        assert 400 <= response.status_code < 500, response.text[:200]
        assert response.headers["content-type"].startswith("application/xml")
        assert "root:" not in response.text
    assert facturagem.snapshot(client) == before


def test_enormous_paging_and_hostile_filters_answer_quickly(client: TestClient, targets: list[Target]) -> None:
    (fs,) = [t for t in targets if t.name == "facturascripts"]
    hostile = [
        {"limit": str(10**12), "offset": str(10**18)},
        {"limit": "-1", "offset": "-5"},
        {"limit": "9" * 400},
        {"filter[nombre_like]": "(a+)+$" + "a" * 5000 + "!"},
        {"filter[nombre_like]": "%' OR '1'='1"},
        {"filter[nombre_like]": "'; DROP TABLE clientes; --"},
        {"filter[nombre_like]": "[[[[*+?{}\\"},
        {"filter[nombre_like]": "%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%_%"},
        {"sort[nombre]": "DESC; DROP TABLE x"},
    ]
    before = fs.snapshot(client)
    for params in hostile:
        started = time.monotonic()
        response = client.get("/facturascripts/api/3/clientes", params=params, headers=fs.headers)
        assert time.monotonic() - started < MAX_SECONDS, params
        assert response.status_code in (200, 400), (params, response.status_code)
        if response.status_code == 200:
            assert isinstance(response.json(), list)
    assert fs.snapshot(client) == before
    (fg,) = [t for t in targets if t.name == "facturagem"]
    for page in ("1" + "0" * 12, "-3", "9" * 400):
        response = client.get(fg.write, params={**fg.params, "page": page})
        assert response.status_code in (200, 422), (page, response.status_code)


def test_headers_that_would_inject_are_neutralised(client: TestClient, targets: list[Target]) -> None:
    (fv,) = [t for t in targets if t.name == "facturovia"]
    invoices = client.get(fv.write, headers=fv.headers).json()["data"]
    original = next(i for i in invoices if i["status"] == "issued" and not i["is_corrective"])
    line = original["items"][0]
    # A capped refund echoes the line's description in X-Sandbox-Warning: it must not split headers.
    response = client.post(
        f"{fv.write}/{original['id']}/rectify",
        json={"items": [{"description": line["description"], "reference": line["reference"], "quantity": 10**6}]},
        headers=fv.headers,
    )
    assert response.status_code == 201
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (name, value)
    body = json.loads(response.content)
    assert body["invoice"]["is_corrective"] is True

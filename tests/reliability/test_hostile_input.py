"""Hostile input against every API: a clear 4xx in the API's own shape, fast, and nothing changes.

Each API is described once (where to write, how to authenticate, how to read its data back,
what its error bodies look like); the corpus runs against all of them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from starlette.testclient import TestClient

from facturas_sandbox.app import create_app
from facturas_sandbox.settings import Settings
from facturas_sandbox.vendors.facturascripts import files as fs_files

# Every hostile request is answered (or refused) within this: a safety net against a hang or
# a runaway parse, not a speed check (bench/ measures speed), so generous for a loaded CI machine.
MAX_SECONDS = 30.0


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


# -- hostile uploaded file names (FacturaScripts: uploadFiles, attachedfiles, productoimagenes) --
# The raw multipart bodies are written by hand: an HTTP client library escapes quotes, CR/LF
# and NUL in a file name, and the point is to see what the server does with them unescaped.
FS = "/facturascripts/api/3"
BOUNDARY = "hostile-4f0c9b"
SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")  # no separator, no leading dot, short
# Where a traversal that escaped would land: a name of this run's own, in the system temp dir.
ESCAPE_TARGET = Path(tempfile.gettempdir()) / f"hostile-escape-{uuid.uuid4().hex[:10]}.txt"


def _named(raw: bytes) -> bytes:
    return b'filename="' + raw + b'"'


HOSTILE_FILE_NAMES: list[tuple[str, bytes]] = [
    ("traversal", _named(b"../../x")),
    ("traversal to the temp dir", _named(b"../" * 40 + str(ESCAPE_TARGET).lstrip("/").encode())),
    ("backslash traversal", _named(b"..\\..\\x")),
    ("absolute path", _named(b"/etc/passwd")),
    ("Windows absolute path", _named(b"C:\\Windows\\win.ini")),
    ("traversal out of MyFiles", _named(b"MyFiles/../../escape.txt")),
    ("NUL byte", _named(b"a\x00b.txt")),
    ("NUL before a PHP extension", _named(b"factura.pdf\x00.php")),
    ("CR/LF injecting part headers", _named(b'a.txt"\r\nContent-Type: text/x-php\r\n\r\n<?php system($_GET["c"]); ?>')),
    ("CR/LF ending the part headers", _named(b"x\r\n\r\ny.txt")),
    ("10,000 characters", _named(b"a" * 10_000 + b".txt")),
    ("2,000 characters", _named(b"b" * 2_000 + b".pdf")),
    ("dots only", _named(b"...")),
    ("slashes only", _named(b"////")),
    ("dot-file .htaccess", _named(b".htaccess")),
    ("dot-file .env", _named(b".env")),
    ("Windows device name", _named(b"CON")),
    ("Windows device name with extension", _named(b"nul.txt")),
    ("unicode", _named("Factura año 2026 – 10€.pdf".encode())),
    ("no ASCII at all", _named("發票".encode())),
    ("RTL override", _named("factura\u202efdp.exe".encode())),
    ("percent-encoded traversal", _named(b"%2e%2e%2f%2e%2e%2fescape.txt")),
    ("RFC 5987 encoded traversal", b"filename*=UTF-8''..%2F..%2F..%2Fescape.txt"),
    ("an existing file's name", _named(b"existente.txt")),
    ("an existing file's name through traversal", _named(b"../MyFiles/existente.txt")),
]


@dataclass
class UploadSandbox:
    client: TestClient
    root: Path  # holds the data dir a few levels down: escapes would land inside it
    data_dir: Path
    tenant: Any
    headers: dict[str, str]
    idproducto: int

    @property
    def myfiles(self) -> Path:
        return self.tenant.files_dir / "MyFiles"

    def store_files(self) -> set[str]:
        """The tenant's store files (relative to root): the only files besides MyFiles a write may change."""
        relative = self.data_dir.relative_to(self.root).as_posix()
        return {f"{relative}/tenants/{self.tenant.id}{suffix}" for suffix in (".json", ".wal", ".json.tmp")}


@pytest.fixture(scope="module")
def upload_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UploadSandbox]:
    # A sandbox of its own on disk, so every file it writes can be found and compared.
    root = tmp_path_factory.mktemp("hostile-uploads")
    data_dir = root / "srv" / "sandbox" / "data"
    app = create_app(Settings(data_dir=data_dir, apis=("facturascripts",), validate_responses=True))
    with TestClient(app, raise_server_exceptions=False) as client:
        tenant, _ = app.sandbox.tenants.create(name="hostile uploads")
        # Its own client address: see _facturascripts above.
        headers = {"Token": tenant.credentials["facturascripts"]["token"], "X-Forwarded-For": "198.51.100.8"}
        product = client.get(f"{FS}/productos", params={"limit": 1}, headers=headers).json()[0]
        yield UploadSandbox(client, root, data_dir, tenant, headers, product["idproducto"])


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (6, 4), (20, 120, 200)).save(out, "PNG")
    return out.getvalue()


def _multipart(part: str, disposition: bytes, content: bytes, content_type: str, fields: dict[str, str]) -> bytes:
    body = b""
    for name, value in fields.items():
        body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
    body += f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{part}"; '.encode() + disposition
    body += f"\r\nContent-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode()


def _tree(root: Path) -> dict[str, tuple[str, str]]:
    """Every entry under root (links not followed): kind and content hash or link target."""
    out = {}
    for directory, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(directory) / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                out[key] = ("link", os.readlink(path))
            elif path.is_dir():
                out[key] = ("dir", "")
            else:
                out[key] = ("file", hashlib.sha256(path.read_bytes()).hexdigest())
    return out


def _outside_state() -> tuple[Any, ...]:
    """What a write escaping the sandbox's directory could reach: the working directory, the
    temp dir's escape target, /etc/passwd."""
    passwd = Path("/etc/passwd")
    return (
        sorted(os.listdir(Path.cwd())),
        ESCAPE_TARGET.exists(),
        hashlib.sha256(passwd.read_bytes()).hexdigest() if passwd.is_file() else None,
    )


def _send(sandbox: UploadSandbox, method: str, url: str, body: bytes) -> Any:
    started = time.monotonic()
    response = sandbox.client.request(
        method,
        url,
        content=body,
        headers={**sandbox.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )
    assert time.monotonic() - started < MAX_SECONDS, url
    for name, value in response.headers.items():
        assert "\r" not in value and "\n" not in value, (url, name, value)
    assert response.status_code < 500, (url, response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json"), response.headers
        body_json = response.json()
        assert body_json.get("status") == "error" or "error" in body_json, body_json
    return response


def _count(sandbox: UploadSandbox, resource: str) -> int:
    response = sandbox.client.get(f"{FS}/{resource}", params={"limit": 1}, headers=sandbox.headers)
    return int(response.headers["x-total-count"])


def test_hostile_uploaded_file_names_store_safe_names_in_myfiles_only(upload_sandbox: UploadSandbox) -> None:
    sb = upload_sandbox
    existing = sb.client.post(
        f"{FS}/uploadFiles", headers=sb.headers, files=[("files[]", ("existente.txt", b"original", "text/plain"))]
    )
    assert existing.json()["files"][0]["path"] == "MyFiles/existente.txt"
    image = _png()
    routes = [  # label, method, URL, file part, form fields, content, declared type
        ("POST uploadFiles", "POST", f"{FS}/uploadFiles", "files[]", {}, None, "text/plain"),
        ("PUT uploadFiles", "PUT", f"{FS}/uploadFiles", "files[]", {}, None, "text/plain"),
        ("attachedfiles", "POST", f"{FS}/attachedfiles", "file", {}, None, "text/plain"),
        ("productoimagenes", "POST", f"{FS}/productoimagenes", "file", {"idproducto": str(sb.idproducto)}, image, ""),
    ]
    before, outside_before = _tree(sb.root), _outside_state()
    counts_before = {r: _count(sb, r) for r in ("attachedfiles", "productoimagenes")}
    stored: dict[str, tuple[dict[str, Any], bytes]] = {}  # file name -> (attachedfiles record, bytes sent)
    product_images = 0
    for route, method, url, part, fields, fixed_content, declared in routes:
        accepted = 0
        for label, disposition in HOSTILE_FILE_NAMES:
            content = fixed_content or f"hostile upload: {route}, {label}".encode()
            kind = declared or "image/png"
            response = _send(sb, method, url, _multipart(part, disposition, content, kind, fields))
            if response.status_code >= 300:
                continue
            accepted += 1
            body = response.json()
            if "files" in body:
                records = body["files"]
            elif route == "productoimagenes":
                product_images += 1
                idfile = body["data"]["idfile"]
                records = [sb.client.get(f"{FS}/attachedfiles/{idfile}", headers=sb.headers).json()]
                assert records[0]["mimetype"] == "image/png", (label, records)
            else:
                records = [body["data"]]
            for record in records:
                assert record["filename"] not in stored, (route, label, record)
                stored[record["filename"]] = (record, content)
        # Most hostile names are stored under a safe name rather than refused.
        assert accepted >= len(HOSTILE_FILE_NAMES) // 2, (route, accepted)

    after, outside_after = _tree(sb.root), _outside_state()
    assert outside_after == outside_before
    assert not ESCAPE_TARGET.exists()
    myfiles = sb.myfiles.relative_to(sb.root).as_posix()
    assert set(before) - set(after) == set(), "an existing entry disappeared"
    changed = {k for k in set(before) & set(after) if before[k] != after[k]} - sb.store_files()
    assert changed == set(), f"existing entries changed: {changed}"
    added = set(after) - set(before) - sb.store_files()
    assert added == {f"{myfiles}/{name}" for name in stored}, "files were written outside MyFiles or without a record"
    for name, (record, content) in stored.items():
        assert SAFE_NAME.fullmatch(name), name
        assert record["path"] == f"MyFiles/{name}", record
        written = (sb.myfiles / name).read_bytes()
        assert after[f"{myfiles}/{name}"][0] == "file" and record["size"] == len(written)
        assert written.endswith(content), name  # (a name that ends the part headers early moves bytes into it)
        download = sb.client.get(f"{FS}/attachedfiles/{record['idfile']}/download", headers=sb.headers)
        assert download.content == written
        assert download.headers["content-disposition"] == f'attachment; filename="{name}"'
    assert (sb.myfiles / "existente.txt").read_bytes() == b"original"
    assert _count(sb, "attachedfiles") == counts_before["attachedfiles"] + len(stored)
    assert _count(sb, "productoimagenes") == counts_before["productoimagenes"] + product_images


def test_attachedfiles_form_paths_that_leave_myfiles_are_refused(upload_sandbox: UploadSandbox) -> None:
    sb = upload_sandbox
    myfiles = sb.myfiles
    myfiles.mkdir(parents=True, exist_ok=True)
    secret = sb.root / "secreto.txt"
    secret.write_text("CONTENT-OUTSIDE-THE-SANDBOX")
    (sb.tenant.files_dir / "fuera.txt").write_text("fuera de MyFiles")
    (myfiles / "dentro.txt").write_text("dentro")
    # Links planted inside MyFiles (no API creates one; a shared host could have them).
    (myfiles / "enlace.txt").symlink_to(secret)
    (myfiles / "enlace-dir").symlink_to(sb.root, target_is_directory=True)
    (myfiles / "enlace-padre").symlink_to(sb.tenant.files_dir, target_is_directory=True)
    (myfiles / "roto.txt").symlink_to(sb.root / "no-existe.txt")
    other, _ = sb.client.app.sandbox.tenants.create(name="another tenant")
    (other.files_dir / "MyFiles").mkdir(parents=True, exist_ok=True)
    (other.files_dir / "MyFiles" / "ajeno.txt").write_text("CONTENT-OF-ANOTHER-TENANT")
    hostile_paths = [
        "../fuera.txt",
        "MyFiles/../fuera.txt",
        "..\\fuera.txt",
        "%2e%2e%2ffuera.txt",
        os.path.relpath(secret, myfiles),
        f"../../{other.id}/MyFiles/ajeno.txt",
        "/etc/passwd",
        str(secret),
        str(myfiles / "dentro.txt"),  # absolute, even into MyFiles
        f"MyFiles/{myfiles / 'dentro.txt'}",
        "enlace.txt",
        "MyFiles/enlace.txt",
        "enlace-dir/secreto.txt",
        "enlace-padre/fuera.txt",
        "roto.txt",
        "dentro.txt\x00.png",
        ".",
        "..",
        "",
    ]
    for name in ("enlace.txt", "enlace-dir/secreto.txt", "enlace-padre/fuera.txt", "roto.txt"):
        assert fs_files.resolve(sb.tenant, name) is None, name
    accepted = sb.client.post(f"{FS}/attachedfiles", headers=sb.headers, data={"path": "dentro.txt"})
    assert accepted.status_code == 200, accepted.text
    record = accepted.json()["data"]
    before, outside_before, count_before = _tree(sb.root), _outside_state(), _count(sb, "attachedfiles")
    for path in hostile_paths:
        for method, url in (("POST", f"{FS}/attachedfiles"), ("PUT", f"{FS}/attachedfiles/{record['idfile']}")):
            started = time.monotonic()
            response = sb.client.request(method, url, headers=sb.headers, data={"path": path})
            assert time.monotonic() - started < MAX_SECONDS, path
            assert response.status_code == 422, (method, path, response.status_code, response.text[:300])
            assert "No se encuentra el archivo" in response.json()["error"], (method, path)
            assert "CONTENT-" not in response.text and "root:" not in response.text
    assert _count(sb, "attachedfiles") == count_before
    assert sb.client.get(f"{FS}/attachedfiles/{record['idfile']}", headers=sb.headers).json()["path"] == record["path"]
    after = _tree(sb.root)
    assert {k: v for k, v in after.items() if k not in sb.store_files()} == {
        k: v for k, v in before.items() if k not in sb.store_files()
    }
    assert _outside_state() == outside_before
    assert secret.read_text() == "CONTENT-OUTSIDE-THE-SANDBOX"

"""Files: uploadFiles, attachedfiles and productoimagenes over HTTP; sanitised names, no
overwrite, size limit, download URLs, delete, tenant isolation."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from PIL import Image

from facturas_sandbox.vendors.facturascripts import files
from facturas_sandbox.vendors.facturascripts.files import Upload, sanitize

from .conftest import BASE, FULL, RESTRICTED


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def count(client, resource: str) -> int:
    return int(client.get(f"{BASE}/{resource}", headers=FULL).headers["x-total-count"])


def post_image(client, field: str, file: tuple[str, bytes, str]):
    """POST productoimagenes for product 1 with one uploaded file (name, content, part type)."""
    return client.post(f"{BASE}/productoimagenes", headers=FULL, data={"idproducto": "1"}, files={field: file})


def _folder(tenant) -> Path:
    """The tenant's MyFiles on disk (the app under test keeps files in a directory)."""
    path = tenant.files_dir / "MyFiles"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_sanitize():
    assert sanitize("../../etc/passwd") == "passwd"
    assert sanitize("..\\..\\boot.ini") == "boot.ini"
    assert sanitize("Factura año 2026 (copia).pdf") == "Factura_ano_2026_copia_.pdf"
    assert sanitize("...") == "file"
    assert sanitize("發票.pdf") == "file.pdf" and sanitize("фактура") == "file" and sanitize(".env") == "env"
    assert len(sanitize("a" * 300 + ".pdf")) == 100 and sanitize("a" * 300 + ".pdf").endswith(".pdf")


def test_store_download_no_overwrite_and_delete(client, app):
    tenant = app.sandbox.tenants.get("demo")
    with tenant.store.transaction():
        first = files.store(tenant, Upload("../secret.txt", b"hola", "text/plain"), limit=100)
        again = files.store(tenant, Upload("secret.txt", b"otra", "text/plain"), limit=100)
        with pytest.raises(files.RejectedFile):
            files.store(tenant, Upload("grande.bin", b"x" * 11, None), limit=10)
        with pytest.raises(files.RejectedFile):
            files.store(tenant, Upload("vacio.txt", b"", None), limit=10)
    assert (first["filename"], first["path"], first["size"]) == ("secret.txt", "MyFiles/secret.txt", 4)
    assert again["filename"] != "secret.txt" and again["filename"].endswith("_secret.txt")
    record = client.get(f"{BASE}/attachedfiles/{first['idfile']}", headers=FULL).json()
    assert record["download"].endswith(f"/facturascripts/api/3/attachedfiles/{first['idfile']}/download")
    content = client.get(record["download"], headers=FULL)
    assert (content.status_code, content.content) == (200, b"hola")
    stored = tenant.files_dir / "MyFiles" / "secret.txt"
    assert stored.read_bytes() == b"hola"
    assert client.delete(f"{BASE}/attachedfiles/{first['idfile']}", headers=FULL).status_code == 200
    assert not stored.exists()
    assert client.get(record["download"], headers=FULL).status_code == 404


def test_upload_files_stores_each_valid_file_and_drops_the_rest(client, app):
    tenant = app.sandbox.tenants.get("demo")
    before = count(client, "attachedfiles")
    parts = [
        ("files[]", ("albarán 7.pdf", b"%PDF-1.4 albaran", "application/pdf")),
        ("files[]", ("logo.png", png(), "image/png")),
        ("files[]", ("shell.php", b"<?php system($_GET['c']);", "application/x-php")),
        ("files[]", ("disguised.php", b"<?php echo 1;", "text/plain")),
        ("files[]", ("vacio.txt", b"", "text/plain")),
    ]
    r = client.post(f"{BASE}/uploadFiles", headers=FULL, files=parts)
    assert r.status_code == 200, r.text
    stored = r.json()["files"]
    assert [f["filename"] for f in stored] == ["albaran_7.pdf", "logo.png"]
    assert set(stored[0]) == {"idfile", "filename", "path", "size", "mimetype", "date", "hour"}
    assert (stored[0]["size"], stored[0]["mimetype"], stored[1]["mimetype"]) == (16, "application/pdf", "image/png")
    assert "dropped" in r.headers["x-sandbox-warning"]
    assert count(client, "attachedfiles") == before + 2
    assert (tenant.files_dir / "MyFiles" / "albaran_7.pdf").read_bytes() == b"%PDF-1.4 albaran"
    assert not list((tenant.files_dir / "MyFiles").glob("*.php"))
    # the same name again: a new file with a random prefix, the first one untouched
    again = client.put(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("albarán 7.pdf", b"v2", "text/plain"))])
    name = again.json()["files"][0]["filename"]
    assert name != "albaran_7.pdf" and name.endswith("_albaran_7.pdf")
    assert (tenant.files_dir / "MyFiles" / "albaran_7.pdf").read_bytes() == b"%PDF-1.4 albaran"
    download = client.get(f"{BASE}/attachedfiles/{stored[0]['idfile']}", headers=FULL).json()["download"]
    assert client.get(download, headers=FULL).content == b"%PDF-1.4 albaran"


def test_upload_files_without_files_and_limits(client, app, monkeypatch):
    r = client.post(f"{BASE}/uploadFiles", headers=FULL, files={"otro": (None, "texto")})
    assert (r.status_code, r.json()) == (200, {"files": []})
    monkeypatch.setattr(app.sandbox, "settings", dataclasses.replace(app.sandbox.settings, max_upload_bytes=256))
    big = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("big.bin", b"x" * 300, "a/b"))])
    assert big.status_code == 413  # the whole body is over the upload limit
    assert big.json()["status"] == "error"
    # a restricted key without `apiaccess` for uploadFiles is refused and nothing is stored
    before = count(client, "attachedfiles")
    refused = client.post(f"{BASE}/uploadFiles", headers=RESTRICTED, files=[("files[]", ("a.txt", b"a", "text/plain"))])
    assert (refused.status_code, refused.json()) == (403, {"status": "error", "message": "Prohibido"})
    assert count(client, "attachedfiles") == before


def test_attachedfiles_create_with_a_file_or_a_path_in_myfiles(client, app):
    tenant = app.sandbox.tenants.get("demo")
    r = client.post(f"{BASE}/attachedfiles", headers=FULL, files=[("file", ("contrato.txt", b"firmado", "text/plain"))])
    assert r.status_code == 200, r.text
    data = r.json()["data"]
    assert (data["filename"], data["size"], data["path"]) == ("contrato.txt", 7, "MyFiles/contrato.txt")
    # a form create names a file already in MyFiles (as the real server's uploads do)
    (tenant.files_dir / "MyFiles" / "suelto.csv").write_bytes(b"a;b\n1;2\n")
    r = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": "suelto.csv"})
    assert r.status_code == 200, r.text
    assert (r.json()["data"]["size"], r.json()["data"]["mimetype"]) == (8, "text/csv")
    # the same file cannot be attached twice; the same key is a 409; no file at all a 422
    before = count(client, "attachedfiles")
    again = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": "MyFiles/suelto.csv"})
    assert again.status_code == 422 and "ya está adjunto" in again.json()["error"]
    dup = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"idfile": str(data["idfile"]), "path": "x"})
    assert (dup.status_code, dup.json()["error"]) == (409, "Registro duplicado")
    for path in ("../../etc/passwd", "/etc/passwd", "MyFiles/../../secret", "no-existe.txt"):
        missing = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": path})
        assert missing.status_code == 422, path
        assert "No se encuentra el archivo" in missing.json()["error"]
    assert count(client, "attachedfiles") == before
    # an update may not point the record outside MyFiles either
    moved = client.put(f"{BASE}/attachedfiles/{data['idfile']}", headers=FULL, data={"path": "../../etc/hosts"})
    assert moved.status_code == 422
    assert client.get(f"{BASE}/attachedfiles/{data['idfile']}", headers=FULL).json()["path"] == data["path"]


def test_productoimagenes_upload_an_image_and_link_its_file(client):
    r = post_image(client, "foto", ("foto.png", png(), "image/png"))
    assert r.status_code == 200, r.text
    image = r.json()["data"]
    got = client.get(f"{BASE}/productoimagenes/{image['id']}", headers=FULL).json()
    assert got["download"].endswith(f"/attachedfiles/{image['idfile']}/download")
    assert client.get(got["download"], headers=FULL).content == png()
    listed = client.get(f"{BASE}/productoimagenes", headers=FULL, params={"filter[idproducto]": "1"}).json()
    assert any(row["id"] == image["id"] and row["download"] == got["download"] for row in listed)
    # a file that is not an image is skipped as the real server skips it: no idfile, not saved
    before = (count(client, "productoimagenes"), count(client, "attachedfiles"))
    fake = post_image(client, "foto", ("foto.png", b"GIF? no", "image/png"))
    assert fake.status_code == 400 and "idfile" in fake.json()["error"]
    # linking an attached file that is not an image: not-valid-image
    text = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("n.txt", b"n", "text/plain"))])
    idfile = text.json()["files"][0]["idfile"]
    bad = client.post(f"{BASE}/productoimagenes", headers=FULL, data={"idproducto": "1", "idfile": str(idfile)})
    assert bad.status_code == 400 and "not-valid-image" in bad.json()["error"]
    assert (count(client, "productoimagenes"), count(client, "attachedfiles")) == (before[0], before[1] + 1)


def test_files_are_isolated_between_tenants(client):
    tenants = client.app.sandbox.tenants
    other, _ = tenants.create(name="other files")
    try:
        theirs = {"X-Auth-Token": other.credentials["facturascripts"]["token"]}
        mine = client.post(
            f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("privado.txt", b"mio", "text/plain"))]
        )
        idfile = mine.json()["files"][0]["idfile"]
        assert client.get(f"{BASE}/attachedfiles/{idfile}/download", headers=theirs).status_code == 404
        assert (
            client.get(f"{BASE}/attachedfiles", headers=theirs, params={"filter[filename]": "privado.txt"}).json() == []
        )
        (other.files_dir / "MyFiles").mkdir(parents=True, exist_ok=True)
        stolen = client.post(f"{BASE}/attachedfiles", headers=theirs, data={"path": "../../demo/MyFiles/privado.txt"})
        assert stolen.status_code == 422
    finally:
        tenants.delete(other.id)


def test_a_symbolic_link_in_myfiles_is_never_written_through_nor_attached(client, app, tmp_path):
    tenant = app.sandbox.tenants.get("demo")
    folder = _folder(tenant)
    outside = tmp_path / "outside.txt"
    outside.write_text("fuera")
    links = {
        "enlace.txt": outside,  # to a file outside MyFiles
        "roto.txt": tmp_path / "no-existe.txt",  # dangling, outside
        "roto-dentro.txt": folder / "no-existe-dentro.txt",  # dangling, inside
    }
    for name, target in links.items():
        (folder / name).symlink_to(target)
    try:
        for name, target in links.items():
            # an upload of the link's name gets a fresh name: the link and its target are untouched
            r = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", (name, b"nuevo", "text/plain"))])
            assert r.status_code == 200, (name, r.text)
            stored = r.json()["files"][0]["filename"]
            assert stored != name and stored.endswith(f"_{name}")
            assert (folder / name).readlink() == target and (folder / stored).read_bytes() == b"nuevo"
            assert outside.read_text() == "fuera" and not (tmp_path / "no-existe.txt").exists()
            assert not (folder / "no-existe-dentro.txt").exists()
            # and a form create cannot attach what a link outside MyFiles points at
            refused = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": name})
            assert refused.status_code == 422, (name, refused.text)
            assert files.resolve(tenant, name) is None
    finally:
        for name in links:
            (folder / name).unlink()


def test_an_absolute_path_names_no_file_in_myfiles(client, app):
    tenant = app.sandbox.tenants.get("demo")
    inside = _folder(tenant) / "dentro.txt"
    inside.write_bytes(b"dentro")
    for path in (str(inside), f"MyFiles/{inside}", f"MyFiles//{inside}"):
        r = client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": path})
        assert r.status_code == 422 and "No se encuentra el archivo" in r.json()["error"], path
    assert client.post(f"{BASE}/attachedfiles", headers=FULL, data={"path": "dentro.txt"}).status_code == 200


def test_download_header_carries_a_safe_name_whatever_the_record_says(client):
    r = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("nota.txt", b"nota", "text/plain"))])
    idfile = r.json()["files"][0]["idfile"]
    hostile = 'x"\r\nSet-Cookie: sesion=robada; a=".txt'
    edited = client.put(f"{BASE}/attachedfiles/{idfile}", headers=FULL, data={"filename": hostile})
    assert edited.status_code == 200 and edited.json()["data"]["filename"] == hostile  # a label, as on the real server
    download = client.get(f"{BASE}/attachedfiles/{idfile}/download", headers=FULL)
    assert download.status_code == 200 and download.content == b"nota"
    assert "set-cookie" not in download.headers
    assert download.headers["content-disposition"] == 'attachment; filename="x_Set-Cookie_sesion_robada_a_.txt"'


def test_an_image_takes_its_type_from_its_content_not_from_the_part_header(client):
    # curl -F sends application/octet-stream for a name it does not know: the real server's
    # finfo still says image/png, so the product image is saved.
    r = post_image(client, "file", ("foto", png(), "application/octet-stream"))
    assert r.status_code == 200, r.text
    attached = client.get(f"{BASE}/attachedfiles/{r.json()['data']['idfile']}", headers=FULL).json()
    assert (attached["filename"], attached["mimetype"]) == ("foto", "image/png")
    up = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("logo.dat", png(), "text/plain"))])
    assert up.json()["files"][0]["mimetype"] == "image/png"


def test_a_tenant_reset_removes_its_uploaded_files(client, app):
    tenant = app.sandbox.tenants.get("demo")
    client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("borrar.txt", b"x", "text/plain"))])
    assert (tenant.files_dir / "MyFiles" / "borrar.txt").exists()
    app.sandbox.tenants.reset("demo")
    assert not (tenant.files_dir / "MyFiles" / "borrar.txt").exists()
    again = client.post(f"{BASE}/uploadFiles", headers=FULL, files=[("files[]", ("borrar.txt", b"y", "text/plain"))])
    assert again.json()["files"][0]["filename"] == "borrar.txt"  # the name is free again


def test_a_refused_save_leaves_no_file_behind(client, app):
    tenant = app.sandbox.tenants.get("demo")
    folder = tenant.files_dir / "MyFiles"
    before = sorted(p.name for p in folder.glob("*")) if folder.exists() else []
    counts = (count(client, "productoimagenes"), count(client, "attachedfiles"))
    # the image is valid and stored first; the product image then fails its NOT NULL check
    r = client.post(f"{BASE}/productoimagenes", headers=FULL, files={"foto": ("sin_producto.png", png(), "image/png")})
    assert r.status_code == 400 and "idproducto" in r.json()["error"]
    assert sorted(p.name for p in folder.glob("*")) == before
    assert (count(client, "productoimagenes"), count(client, "attachedfiles")) == counts

"""Uploaded files per tenant (uploadFiles, attachedfiles, productoimagenes).

Files live under the tenant's files directory, in `MyFiles/` as on a real installation.
Names are sanitised (no directories, no traversal, no control or shell characters); an
existing name gets a random prefix instead of being overwritten; each file is limited to the
sandbox's upload size. The `attachedfiles` row of a file takes its name, size and type from
the file itself (rules.py), as the real AttachedFile model does on save.
"""

from __future__ import annotations

import io
import mimetypes
import os
import re
import secrets
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, UnidentifiedImageError
from starlette.datastructures import UploadFile

from ...tenants import Tenant
from . import engine

FOLDER = "MyFiles"
MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# The real server drops uploads its client declares as PHP; the sandbox also drops PHP by
# extension, so no script lands in a folder a web server might serve.
_PHP_TYPES = {"application/x-php", "text/x-php"}
_PHP_EXTENSIONS = {".php", ".phtml", ".phar", ".php3", ".php4", ".php5", ".php7", ".phps"}
# Decompression bombs: a small upload that claims a huge image is refused, not decoded.
_MAX_IMAGE_PIXELS = 50_000_000


class RejectedFile(ValueError):
    pass


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request, read into memory (bounded by the upload limit)."""

    filename: str
    content: bytes
    mimetype: str | None


def _ascii(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _UNSAFE.sub("_", ascii_text).strip("._")


def _vanished_stem(base: str) -> bool:
    stem, dot, ext = base.rpartition(".")
    return bool(dot and stem.strip(".") and _ascii(ext) and not _ascii(stem))


def sanitize(name: str) -> str:
    """A safe file name from a client's: its last path component, ASCII, no leading dots."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = _ascii(base)
    if not cleaned:
        cleaned = "file"
    elif "." not in cleaned and _vanished_stem(base):
        # A stem with no ASCII letters (`發票.pdf`) vanished: keep the extension on a stand-in.
        cleaned = f"file.{cleaned}"
    stem, dot, ext = cleaned.rpartition(".")
    if len(cleaned) > MAX_NAME:
        cleaned = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else cleaned[:MAX_NAME]
    return cleaned


def folder(tenant: Tenant) -> Path:
    path = tenant.files_dir / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


async def read_uploads(arguments: Mapping[str, Any], limit: int) -> list[Upload]:
    """Every file part Connexion handed to the handler, whatever the part's name.

    At most `limit + 1` bytes are read from each part: enough to tell that it is too large.
    """
    out = []
    for value in arguments.values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, UploadFile):
                content = await item.read(limit + 1)
                out.append(Upload(item.filename or "", content, item.content_type))
    return out


def refusal(upload: Upload, limit: int) -> str | None:
    """Why an upload is dropped (the real server skips invalid files silently), or None."""
    if not upload.content:
        return "empty file"
    if len(upload.content) > limit:
        return f"larger than {limit} bytes"
    extension = Path(sanitize(upload.filename)).suffix.lower()
    if (upload.mimetype or "").split(";")[0].strip().lower() in _PHP_TYPES or extension in _PHP_EXTENSIONS:
        return "PHP files are not accepted"
    return None


def image_type(content: bytes) -> str | None:
    """The MIME type of an image Pillow can identify and verify (no full decode), else None."""
    try:
        with Image.open(io.BytesIO(content)) as image:
            if image.width * image.height > _MAX_IMAGE_PIXELS:
                return None
            kind = image.get_format_mimetype()
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return kind or None


def is_image(content: bytes) -> bool:
    return image_type(content) is not None


def write(tenant: Tenant, upload: Upload) -> str:
    """Write the upload under MyFiles with a fresh, safe name; its path relative to the files dir."""
    base = name = sanitize(upload.filename)
    directory = folder(tenant)
    while True:
        target = directory / name
        # lexists, not exists: a symbolic link (even a dangling one) holds its name too.
        if not os.path.lexists(target):
            try:
                with open(target, "xb") as fh:  # O_EXCL: never overwrite, never follow a link
                    fh.write(upload.content)
                return f"{FOLDER}/{name}"
            except FileExistsError:
                pass  # another writer took the name meanwhile
        name = sanitize(f"{secrets.token_hex(3)}_{base}")


def store(tenant: Tenant, upload: Upload, limit: int) -> dict[str, Any]:
    """Save one upload and its `attachedfiles` row. Call inside a transaction."""
    reason = refusal(upload, limit)
    if reason is not None:
        raise RejectedFile(f"{upload.filename}: {reason}")
    path = write(tenant, upload)
    try:
        return engine.insert(tenant, engine.model("attachedfiles"), {"path": path, "mimetype": upload.mimetype})
    except engine.SaveError:
        remove_path(tenant, path)
        raise


def resolve(tenant: Tenant, path: Any) -> Path | None:
    """The file a record's `path` names, if it is a file inside the tenant's MyFiles."""
    if not isinstance(path, str) or not path or "\x00" in path:
        return None
    root = folder(tenant).resolve()
    relative = path.removeprefix(f"{FOLDER}/")
    if relative.startswith("/"):
        # The real server reads MyFiles/<path>: an absolute path names nothing there (and
        # `root / "/x"` would be "/x", a file of the host's).
        return None
    candidate = (root / relative).resolve()
    if root not in candidate.parents or not candidate.is_file():
        return None
    return candidate


def describe(tenant: Tenant, path: Any, declared_type: str | None) -> dict[str, Any] | None:
    """The columns an attached file takes from its file: path, filename, size, mimetype."""
    target = resolve(tenant, path)
    if target is None:
        return None
    guessed = mimetypes.guess_type(target.name)[0]
    declared = (declared_type or "").split(";")[0].strip()
    # The real server reads the type from the content (finfo): an image is its format's type
    # whatever the client declared (a PNG sent as application/octet-stream is image/png).
    sniffed = image_type(target.read_bytes())
    return {
        "path": f"{FOLDER}/{target.relative_to(folder(tenant).resolve()).as_posix()}",
        "filename": target.name[:MAX_NAME],
        "size": target.stat().st_size,
        "mimetype": (sniffed or declared or guessed or "application/octet-stream")[:100],
    }


def content_of(tenant: Tenant, record: dict[str, Any]) -> bytes | None:
    target = resolve(tenant, record.get("path"))
    return target.read_bytes() if target is not None else None


@contextmanager
def removed_on_failure(tenant: Tenant) -> Iterator[list[str]]:
    """Collects the paths a write wrote; if the write fails (its transaction rolled back), the
    files go too, so no file outlives the record that would have named it."""
    written: list[str] = []
    try:
        yield written
    except BaseException:
        for path in written:
            remove_path(tenant, path)
        raise


def remove_path(tenant: Tenant, path: Any) -> None:
    target = resolve(tenant, path)
    if target is not None:
        target.unlink()


def remove(tenant: Tenant, record: dict[str, Any]) -> None:
    remove_path(tenant, record.get("path"))

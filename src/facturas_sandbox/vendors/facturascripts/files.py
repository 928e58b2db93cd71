"""Uploaded files per tenant (uploadFiles, attachedfiles, productoimagenes).

Files live in the tenant's file store (`Backend.files`: a directory, or rows of the shared
PostgreSQL store), named `MyFiles/...` as on a real installation.
Names are sanitised (no directories, no traversal, no control or shell characters); an
existing name gets a random prefix instead of being overwritten; each file is limited to the
sandbox's upload size. The `attachedfiles` row of a file takes its name, size and type from
the file itself (rules.py), as the real AttachedFile model does on save.
"""

from __future__ import annotations

import io
import mimetypes
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

from ...store.files import valid_name
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


def _name(relative: str) -> str:
    return f"{FOLDER}/{relative}"


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
    """Store the upload under MyFiles with a fresh, safe name; its path relative to the files."""
    base = name = sanitize(upload.filename)
    # `put` never overwrites: a taken name (another upload, or one written meanwhile) is drawn again.
    while not tenant.files.put(_name(name), upload.content):
        name = sanitize(f"{secrets.token_hex(3)}_{base}")
    return _name(name)


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


def resolve(tenant: Tenant, path: Any) -> str | None:
    """The stored file a record's `path` names, if it is a file inside the tenant's MyFiles.

    The path is a name in the tenant's file store, never resolved on a file system: a name
    that climbs (`..`), is absolute or hides (a leading dot) names no file
    (`store.files.valid_name`)."""
    if not isinstance(path, str) or not path:
        return None
    relative = path.removeprefix(f"{FOLDER}/")
    name = _name(relative)
    return name if valid_name(name) and tenant.files.exists(name) else None


def describe(tenant: Tenant, path: Any, declared_type: str | None) -> dict[str, Any] | None:
    """The columns an attached file takes from its file: path, filename, size, mimetype."""
    name = resolve(tenant, path)
    content = tenant.files.get(name) if name is not None else None
    if name is None or content is None:
        return None
    filename = name.rsplit("/", 1)[-1]
    guessed = mimetypes.guess_type(filename)[0]
    declared = (declared_type or "").split(";")[0].strip()
    # The real server reads the type from the content (finfo): an image is its format's type
    # whatever the client declared (a PNG sent as application/octet-stream is image/png).
    sniffed = image_type(content)
    return {
        "path": name,
        "filename": filename[:MAX_NAME],
        "size": len(content),
        "mimetype": (sniffed or declared or guessed or "application/octet-stream")[:100],
    }


def content_of(tenant: Tenant, record: dict[str, Any]) -> bytes | None:
    name = resolve(tenant, record.get("path"))
    return tenant.files.get(name) if name is not None else None


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
    name = resolve(tenant, path)
    if name is not None:
        tenant.files.delete(name)


def remove(tenant: Tenant, record: dict[str, Any]) -> None:
    remove_path(tenant, record.get("path"))

"""Uploaded files per tenant (uploadFiles, attachedfiles, productoimagenes).

Files live under the tenant's files directory, in `MyFiles/` as on a real installation.
Names are sanitised (no directories, no traversal, no control or shell characters); an
existing name gets a random prefix instead of being overwritten; each file is limited to the
sandbox's upload size.
"""

from __future__ import annotations

import mimetypes
import re
import secrets
import unicodedata
from pathlib import Path
from typing import Any

from ...tenants import Tenant
from . import engine
from .models import format_date

FOLDER = "MyFiles"
MAX_NAME = 100
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class RejectedFile(ValueError):
    pass


def sanitize(name: str) -> str:
    """A safe file name from a client's: its last path component, ASCII, no leading dots."""
    base = re.split(r"[\\/]", name or "")[-1]
    ascii_name = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    cleaned = _UNSAFE.sub("_", ascii_name).strip("._")
    if not cleaned:
        cleaned = "file"
    stem, dot, ext = cleaned.rpartition(".")
    if len(cleaned) > MAX_NAME:
        cleaned = (stem[: MAX_NAME - len(ext) - 1] + "." + ext) if dot and len(ext) < 10 else cleaned[:MAX_NAME]
    return cleaned


def folder(tenant: Tenant) -> Path:
    path = tenant.files_dir / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def store(tenant: Tenant, filename: str, content: bytes, mimetype: str | None, limit: int) -> dict[str, Any]:
    """Save one upload and its `attachedfiles` row. Call inside a transaction."""
    if not content:
        raise RejectedFile(f"{filename}: empty file")
    if len(content) > limit:
        raise RejectedFile(f"{filename}: larger than {limit} bytes")
    name = sanitize(filename)
    directory = folder(tenant)
    target = directory / name
    while target.exists():
        name = sanitize(f"{secrets.token_hex(3)}_{name}")
        target = directory / name
    assert target.resolve().parent == directory.resolve()
    with open(target, "xb") as fh:  # never overwrite
        fh.write(content)
    now = tenant.clock.now()
    guessed = mimetypes.guess_type(name)[0]
    return engine.insert(
        tenant,
        engine.model("attachedfiles"),
        {
            "filename": name,
            "path": f"{FOLDER}/{name}",
            "size": len(content),
            "mimetype": (mimetype or guessed or "application/octet-stream")[:100],
            "date": format_date(now.date()),
            "hour": f"{now.hour:02d}:{now.minute:02d}:{now.second:02d}",
        },
    )


def content_of(tenant: Tenant, record: dict[str, Any]) -> bytes | None:
    path = (tenant.files_dir / str(record.get("path") or "")).resolve()
    root = tenant.files_dir.resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path.read_bytes()


def remove(tenant: Tenant, record: dict[str, Any]) -> None:
    path = (tenant.files_dir / str(record.get("path") or "")).resolve()
    if tenant.files_dir.resolve() in path.parents and path.is_file():
        path.unlink()

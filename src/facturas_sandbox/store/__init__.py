"""Tenant-scoped persistence. See `base` for the interface and `tinydb` for the backend."""

from __future__ import annotations

from pathlib import Path

from .base import Backend, Collection, Conflict, Document, StoreError, TenantDropped, TenantStore


def open_backend(data_dir: Path | None, *, fsync: bool = False) -> Backend:
    """A TinyDB backend on `data_dir`, or purely in memory when `data_dir` is None."""
    from .tinydb import TinyDBBackend

    return TinyDBBackend(data_dir, fsync=fsync)


__all__ = [
    "Backend",
    "Collection",
    "Conflict",
    "Document",
    "StoreError",
    "TenantDropped",
    "TenantStore",
    "open_backend",
]

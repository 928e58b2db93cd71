"""Tenant-scoped persistence. See `base` for the interface, `query` for list queries, and
`tinydb` and `postgres` for the two backends."""

from __future__ import annotations

from pathlib import Path

from .base import (
    Backend,
    Collection,
    Conflict,
    Document,
    FileStore,
    StoreError,
    TenantDropped,
    TenantStore,
    UnstorableText,
)

POSTGRES_SCHEMES = ("postgresql://", "postgres://")


def open_backend(data_dir: Path | str | None, *, fsync: bool = False) -> Backend:
    """A TinyDB backend on `data_dir` (purely in memory when None), or the PostgreSQL backend
    when given a `postgresql://` URL."""
    if isinstance(data_dir, str) and data_dir.startswith(POSTGRES_SCHEMES):
        from .postgres import PostgresBackend

        return PostgresBackend(data_dir)
    from .tinydb import TinyDBBackend

    return TinyDBBackend(Path(data_dir) if isinstance(data_dir, str) else data_dir, fsync=fsync)


__all__ = [
    "Backend",
    "Collection",
    "Conflict",
    "Document",
    "FileStore",
    "StoreError",
    "TenantDropped",
    "TenantStore",
    "UnstorableText",
    "open_backend",
]

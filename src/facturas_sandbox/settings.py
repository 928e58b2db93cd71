"""Runtime settings of one sandbox process."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path(".sandbox-data")
# Larger bodies get 413 before anything parses them. 1 MiB fits any invoice; uploads
# (FacturaScripts uploadFiles) have their own, larger limit.
DEFAULT_MAX_BODY = 1024 * 1024
DEFAULT_MAX_UPLOAD = 10 * 1024 * 1024


@dataclass(frozen=True)
class Settings:
    data_dir: Path | None = DEFAULT_DATA_DIR  # None: in memory
    # A PostgreSQL URL: the shared store (any number of processes), instead of data_dir.
    store_url: str | None = None
    apis: tuple[str, ...] = ()  # empty: every API, each under its own prefix
    root_api: str | None = None  # `--api NAME`: this one API at its real root
    host: str = "127.0.0.1"
    port: int = 8080
    fsync: bool = False
    max_body_bytes: int = DEFAULT_MAX_BODY
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD
    validate_responses: bool = False  # on in tests: a non-conforming response becomes a 500
    seed_demo: bool = True
    public_url: str | None = None  # how clients reach us, for absolute URLs (PDF links)
    operator_token: str | None = None  # manages every tenant through the control plane
    body_timeout: float = 15.0  # seconds a client may take to send its body (then 408)
    # Proxies (CIDRs) whose X-Forwarded-For / CF-Connecting-IP name the client: client_address.py
    trusted_proxies: tuple[str, ...] = ()
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def shared_store(self) -> bool:
        """Several processes may serve this store (PostgreSQL); the data directory has one owner."""
        return self.store_url is not None

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"

    def to_json(self) -> str:
        data = dataclasses.asdict(self)
        data["data_dir"] = str(self.data_dir) if self.data_dir is not None else None
        data["apis"] = list(self.apis)
        data["trusted_proxies"] = list(self.trusted_proxies)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> Settings:
        data = json.loads(text)
        data["data_dir"] = Path(data["data_dir"]) if data["data_dir"] is not None else None
        data["apis"] = tuple(data["apis"])
        data["trusted_proxies"] = tuple(data.get("trusted_proxies", ()))
        return cls(**data)

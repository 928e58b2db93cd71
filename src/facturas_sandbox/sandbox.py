"""The running sandbox: settings, store, tenants and which API is mounted where."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bans import Incidents
from .client_address import ClientAddress
from .contracts import load_contract
from .exchange import ExchangeValidator, RecordedRequest, RecordedResponse
from .faults import Faults
from .journal import Journals
from .settings import Settings
from .shared import shared_state
from .store import POSTGRES_SCHEMES, Backend, open_backend
from .store.ownership import DataDirLock
from .tenants import Tenants
from .vendors import Vendor, all_vendors
from .vendors.base import Api

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


@dataclass(frozen=True)
class Mount:
    api: Api  # a Vendor, or the control plane (which renders errors the same way)
    prefix: str  # URL path prefix the API's routes hang from
    # (path template as a regex, the methods the contract documents for it)
    routes: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = ()

    @property
    def name(self) -> str:
        return self.api.name

    @functools.cached_property
    def subtree(self) -> str:
        """What the paths under the prefix start with (asked on every request)."""
        return self.prefix.rstrip("/") + "/"

    def allowed_methods(self, path: str) -> tuple[str, ...]:
        """The methods the contract documents for a concrete path (for 405's Allow header)."""
        relative = path[len(self.prefix) :] if path.startswith(self.prefix) else path
        for pattern, methods in self.routes:
            if pattern.fullmatch(relative):
                return methods
        return ()


def contract_routes(contract: dict[str, Any]) -> tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]:
    routes = []
    for template, item in contract.get("paths", {}).items():
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
        methods = tuple(m.upper() for m in _HTTP_METHODS if m in item)
        routes.append((re.compile(regex), methods))
    # Literal segments first: /invoices/new must not be taken for /invoices/{id}.
    routes.sort(key=lambda r: r[0].pattern.count("[^/]+"))
    return tuple(routes)


@dataclass
class Sandbox:
    settings: Settings
    backend: Backend
    tenants: Tenants
    vendors: dict[str, Vendor]
    mounts: list[Mount] = field(default_factory=list)
    journals: Journals = field(default_factory=Journals)
    faults: Faults = field(default_factory=Faults)
    incidents: Incidents = field(default_factory=Incidents)
    client_address: ClientAddress = field(default_factory=ClientAddress)
    _validators: dict[str, ExchangeValidator] = field(default_factory=dict)
    owner: DataDirLock | None = None  # held while open: no other process opens the data directory

    @classmethod
    def open(cls, settings: Settings) -> Sandbox:
        vendors = {v.name: v for v in all_vendors()}
        owner = _own_data_dir(settings.store_url or settings.data_dir)
        try:
            backend = open_backend(settings.store_url or settings.data_dir, fsync=settings.fsync)
        except BaseException:
            if owner is not None:
                owner.release()
            raise
        try:
            state = shared_state(backend)
            tenants = Tenants(backend, vendors.values(), credentials=state.credentials)
            tenants.provision_all()
            if settings.seed_demo:
                tenants.ensure_demo()
        except BaseException:
            backend.close()
            if owner is not None:
                owner.release()
            raise
        sandbox = cls(
            settings=settings,
            backend=backend,
            tenants=tenants,
            vendors=vendors,
            journals=state.journals,
            faults=state.faults,
            incidents=state.incidents,
            client_address=ClientAddress(settings.trusted_proxies),
            owner=owner,
        )
        if hasattr(state.journals, "validator_for"):
            state.journals.validator_for = sandbox.validate_for
        return sandbox

    def mounted_vendors(self) -> list[Vendor]:
        if self.settings.root_api:
            return [self.vendors[self.settings.root_api]]
        if self.settings.apis:
            return [self.vendors[name] for name in self.settings.apis]
        return list(self.vendors.values())

    def vendor_prefix(self, vendor: Vendor) -> str:
        if self.settings.root_api == vendor.name:
            return vendor.base_path
        return f"/{vendor.name}{vendor.base_path}"

    def add_mount(self, api: Any, prefix: str, contract: dict[str, Any]) -> None:
        self.mounts.append(Mount(api, prefix, contract_routes(contract)))
        self.mounts.sort(key=lambda m: len(m.prefix), reverse=True)

    def mount_for(self, path: str) -> Mount | None:
        for mount in self.mounts:
            if path == mount.prefix or path.startswith(mount.subtree):
                return mount
        return None

    def validator(self, mount: Mount) -> ExchangeValidator:
        """openapi-core for a mounted contract, built on first use (the journal needs it only
        when someone reads an entry)."""
        validator = self._validators.get(mount.prefix)
        if validator is None:
            contract = load_contract("sandbox" if mount.name == "_sandbox" else mount.name)
            validator = self._validators[mount.prefix] = ExchangeValidator(contract, mount.prefix)
        return validator

    def violations(self, mount: Mount, request: RecordedRequest, response: RecordedResponse) -> list[str]:
        return self.validator(mount).violations(request, response)

    def validate_for(self, api: str) -> Callable[[RecordedRequest, RecordedResponse], list[str]] | None:
        """The journal's validator of an API's exchanges (entries read back from a shared store)."""
        mount = next((m for m in self.mounts if m.name == api), None)
        return functools.partial(self.violations, mount) if mount is not None else None

    def close(self) -> None:
        try:
            self.journals.close()
            self.backend.close()
        finally:
            if self.owner is not None:
                self.owner.release()


def _own_data_dir(data_dir: Path | str | None) -> DataDirLock | None:
    """The data directory's lock, taken before the store reads (and may truncate) its logs;
    None in memory and on PostgreSQL, which several processes share by design."""
    if data_dir is None or (isinstance(data_dir, str) and data_dir.startswith(POSTGRES_SCHEMES)):
        return None
    return DataDirLock.acquire(Path(data_dir))

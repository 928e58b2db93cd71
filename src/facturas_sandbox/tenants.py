"""Tenants and their credentials.

A tenant is a complete, isolated copy of every vendor's data. Every credential belongs to
exactly one tenant; the registry resolves a presented secret to its tenant through a dict
keyed by the secret's SHA-256, so lookup time does not depend on how much of a guess matches,
and the final comparison is constant-time. Admin tokens are stored only as hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import shutil
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clock import Clock
from .store import Backend, TenantStore
from .vendors.base import Secret, Vendor

DEMO_TENANT_ID = "demo"
# Stable and documented in README: the demo tenant is for trying things by hand.
DEMO_ADMIN_TOKEN = "sbx_admin_demo_0123456789abcdef"
PLANS = ("professional", "free")


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


def new_secret(prefix: str, nbytes: int = 16) -> str:
    return prefix + secrets.token_hex(nbytes)


@dataclass
class Tenant:
    id: str
    store: TenantStore
    record: dict[str, Any]
    files_dir: Path

    @property
    def name(self) -> str:
        return self.record.get("name") or self.id

    @property
    def plan(self) -> str:
        return self.record.get("plan", "professional")

    @property
    def demo(self) -> bool:
        return bool(self.record.get("demo"))

    @property
    def clock(self) -> Clock:
        return Clock.from_record(self.record.get("clock"))

    @property
    def credentials(self) -> dict[str, Any]:
        return self.record.get("credentials", {})

    def public(self, *, with_credentials: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "plan": self.plan,
            "demo": self.demo,
            "created": self.record.get("created"),
            "clock": {"now": self.clock.now().isoformat(), **self.clock.to_record()},
        }
        if with_credentials:
            out["credentials"] = self.credentials
        return out


class UnknownTenant(LookupError):
    pass


class Tenants:
    def __init__(self, backend: Backend, vendors: Iterable[Vendor]) -> None:
        self._backend = backend
        self._vendors = {v.name: v for v in vendors}
        self._system = backend.tenant("_system")
        self._records = self._system.collection("tenants")
        self._tenants: dict[str, Tenant] = {}
        # (api, sha256(secret)) -> (tenant id, role)
        self._index: dict[tuple[str, str], tuple[str, str]] = {}
        self._lock = threading.RLock()
        for record in self._records.all():
            self._open(record)

    # -- lifecycle --------------------------------------------------------------------------
    def ensure_demo(self) -> Tenant:
        with self._lock:
            tenant = self._tenants.get(DEMO_TENANT_ID)
            if tenant is None:
                tenant, _ = self.create(name="Demo", tenant_id=DEMO_TENANT_ID, demo=True)
            else:
                self._provision_missing(tenant)
            return tenant

    def create(
        self, *, name: str | None = None, plan: str = "professional", tenant_id: str | None = None, demo: bool = False
    ) -> tuple[Tenant, str]:
        """A new tenant seeded from the fixtures, and its admin token (shown only now)."""
        with self._lock:
            tenant_id = tenant_id or "t" + secrets.token_hex(8)
            admin_token = DEMO_ADMIN_TOKEN if demo else new_secret("sbx_admin_", 24)
            record = {
                "id": tenant_id,
                "name": name or tenant_id,
                "plan": plan,
                "demo": demo,
                "created": Clock().now().isoformat(),
                "admin_token_sha256": _digest(admin_token),
                "credentials": {v.name: v.new_credentials(demo=demo) for v in self._vendors.values()},
                "clock": Clock().to_record(),
            }
            self._records.insert(record)
            tenant = self._open(record)
            self._seed(tenant)
            return tenant, admin_token

    def reset(self, tenant_id: str) -> Tenant:
        """Back to the fixtures: data and uploaded files cleared and reseeded; credentials and clock stay."""
        with self._lock:
            tenant = self.get(tenant_id)
            tenant.store.clear()
            # Uploaded files are tenant data too: a reset tenant must not keep (or collide with) them.
            shutil.rmtree(tenant.files_dir, ignore_errors=True)
            self._seed(tenant)
            return tenant

    def delete(self, tenant_id: str) -> None:
        with self._lock:
            tenant = self.get(tenant_id)
            self._unindex(tenant)
            self._records.delete(tenant_id)
            del self._tenants[tenant_id]
            self._backend.drop(tenant_id)

    def update(self, tenant_id: str, changes: dict[str, Any]) -> Tenant:
        with self._lock:
            tenant = self.get(tenant_id)
            tenant.record = self._records.update(tenant_id, changes)
            return tenant

    # -- look-ups ---------------------------------------------------------------------------
    def get(self, tenant_id: str) -> Tenant:
        tenant = self._tenants.get(tenant_id)
        if tenant is None:
            raise UnknownTenant(tenant_id)
        return tenant

    def all(self) -> list[Tenant]:
        return list(self._tenants.values())

    def check_admin(self, tenant_id: str, token: str) -> bool:
        tenant = self._tenants.get(tenant_id)
        expected = tenant.record.get("admin_token_sha256", "") if tenant else _digest(secrets.token_hex(8))
        return hmac.compare_digest(_digest(token), expected) and tenant is not None

    def tenant_of_admin_token(self, token: str) -> Tenant | None:
        digest = _digest(token)
        for tenant in self._tenants.values():
            if hmac.compare_digest(digest, tenant.record.get("admin_token_sha256", "")):
                return tenant
        return None

    def resolve(self, api: str, secret: str) -> tuple[Tenant, str] | None:
        """The tenant and role a secret of this API belongs to, or None."""
        if not secret:
            return None
        entry = self._index.get((api, _digest(secret)))
        if entry is None:
            return None
        tenant = self._tenants.get(entry[0])
        return (tenant, entry[1]) if tenant is not None else None

    def register_secret(self, api: str, tenant_id: str, secret: Secret) -> None:
        """Add a secret minted at run time (e.g. an API key created through a vendor's API)."""
        self._index[(api, _digest(secret.value))] = (tenant_id, secret.role)

    def unregister_secret(self, api: str, value: str) -> None:
        self._index.pop((api, _digest(value)), None)

    # -- internals --------------------------------------------------------------------------
    def _open(self, record: dict[str, Any]) -> Tenant:
        tenant = Tenant(
            id=record["id"],
            store=self._backend.tenant(record["id"]),
            record=record,
            files_dir=self._backend.files_dir(record["id"]),
        )
        self._tenants[tenant.id] = tenant
        self._index_credentials(tenant)
        return tenant

    def _provision_missing(self, tenant: Tenant) -> None:
        # A vendor added since this tenant was created: give the tenant credentials and data.
        missing = [v for name, v in self._vendors.items() if name not in tenant.credentials]
        if not missing:
            return
        credentials = dict(tenant.credentials)
        for vendor in missing:
            credentials[vendor.name] = vendor.new_credentials(demo=tenant.demo)
        self.update(tenant.id, {"credentials": credentials})
        self._index_credentials(tenant)
        for vendor in missing:
            vendor.seed(tenant)

    def _index_credentials(self, tenant: Tenant) -> None:
        for api, credentials in tenant.credentials.items():
            vendor = self._vendors.get(api)
            if vendor is None:
                continue
            for secret in vendor.secrets(credentials):
                self.register_secret(api, tenant.id, secret)

    def _unindex(self, tenant: Tenant) -> None:
        for key, (tenant_id, _) in list(self._index.items()):
            if tenant_id == tenant.id:
                del self._index[key]

    def _seed(self, tenant: Tenant) -> None:
        for vendor in self._vendors.values():
            vendor.seed(tenant)

    def provision_all(self) -> None:
        """At start-up: every tenant gets credentials and data for vendors added since."""
        with self._lock:
            for tenant in list(self._tenants.values()):
                self._provision_missing(tenant)

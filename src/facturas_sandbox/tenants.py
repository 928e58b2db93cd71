"""Tenants and their credentials.

A tenant is a complete, isolated copy of every vendor's data. Every credential belongs to
exactly one tenant: the credential index (`credentials.py`) resolves a presented secret to its
tenant and refuses a second holder for any value. Admin tokens are stored only as hashes.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .clock import Clock
from .credentials import CredentialIndex, CredentialTaken, TenantSecrets, digest
from .store import Backend, FileStore, TenantStore
from .vendors.base import Secret, Vendor

log = logging.getLogger("facturas_sandbox")

DEMO_TENANT_ID = "demo"
# Stable and documented in README: the demo tenant is for trying things by hand.
DEMO_ADMIN_TOKEN = "sbx_admin_demo_0123456789abcdef"
PLANS = ("professional", "free")
CONTROL_PLANE = "_sandbox"  # the API name admin tokens are indexed under
ADMIN_ROLE = "admin"
# A minted credential that collides with one in use is drawn again, this many times at most
# (a collision of random secrets this long is already far-fetched).
MAX_DRAWS = 20


def new_secret(prefix: str, nbytes: int = 16) -> str:
    return prefix + secrets.token_hex(nbytes)


@dataclass
class Tenant:
    id: str
    store: TenantStore
    record: dict[str, Any]
    files: FileStore  # uploads, in the backend (a directory, or the shared database)
    secrets: TenantSecrets

    @property
    def files_dir(self) -> Path | None:
        """Where the files are on disk, when they are (the data directory's store)."""
        return getattr(self.files, "root", None)

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
    def incident_ban(self) -> bool:
        """False: this tenant's requests are never banned (bans.py)."""
        return self.record.get("incident_ban", True) is not False

    @property
    def clock(self) -> Clock:
        return Clock.from_record(self.record.get("clock"))

    @property
    def credentials(self) -> dict[str, Any]:
        return self.record.get("credentials", {})

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A store transaction whose credential claims and releases commit or fail with it."""
        with self.secrets.index.atomic(), self.store.transaction():
            yield

    def public(self, *, with_credentials: bool = True) -> dict[str, Any]:
        out = {
            "id": self.id,
            "name": self.name,
            "plan": self.plan,
            "demo": self.demo,
            "incident_ban": self.incident_ban,
            "created": self.record.get("created"),
            "clock": {"now": self.clock.now().isoformat(), **self.clock.to_record()},
        }
        if with_credentials:
            out["credentials"] = self.credentials
        return out


class UnknownTenant(LookupError):
    pass


# Tenant records read during the current request, on a shared store (see `Tenants.request`).
# Keys: a tenant id (its Tenant), or (name, tenant id) for what other modules learn with it.
_REQUEST_RECORDS: ContextVar[dict[Any, Any] | None] = ContextVar("facturas_sandbox_request_tenants", default=None)


def request_memo() -> dict[Any, Any] | None:
    """What the current request has read from a shared store already (None: no such request)."""
    return _REQUEST_RECORDS.get()


class Tenants:
    """Every tenant, by id and by credential.

    On a store this process owns, the tenants are read once at start and kept in memory. On a
    shared store (PostgreSQL, `Backend.shared`) other replicas create, change and delete
    tenants, so a tenant's record is read from the store by every request that needs it (once
    per request: `request()`), and the credential index is the store's table.
    """

    def __init__(self, backend: Backend, vendors: Iterable[Vendor], credentials: CredentialIndex | None = None) -> None:
        self._backend = backend
        self._shared = getattr(backend, "shared", False)
        self._vendors = {v.name: v for v in vendors}
        self._system = backend.tenant("_system")
        self._records = self._system.collection("tenants")
        self._tenants: dict[str, Tenant] = {}
        self.credentials = credentials if credentials is not None else CredentialIndex()
        self._lock = threading.RLock()
        self._reserve_demo_credentials()
        # The index is rebuilt at every start: first every tenant's own credentials, then the
        # secrets clients created inside the tenants' data (which can never take one over).
        for record in self._records.all():
            self._open(record)
        for tenant in self._tenants.values():
            self._claim_stored_secrets(tenant)

    # -- lifecycle --------------------------------------------------------------------------
    def ensure_demo(self) -> Tenant:
        # Under the records' lock, which every replica shares: of replicas starting at once on
        # a new store, one creates the demo tenant and the others find it.
        with self._lock, self._system.transaction():
            tenant = self._find(DEMO_TENANT_ID)
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
            try:
                admin_token = self._mint_admin_token(tenant_id, demo)
                record = {
                    "id": tenant_id,
                    "name": name or tenant_id,
                    "plan": plan,
                    "demo": demo,
                    "created": Clock().now().isoformat(),
                    "admin_token_sha256": digest(admin_token),
                    "credentials": {v.name: self._mint(v, tenant_id, demo) for v in self._vendors.values()},
                    "clock": Clock().to_record(),
                }
                # Seeded before its record exists: a tenant is visible (to this process and to
                # every replica) only once its data is complete.
                tenant = self._wrap(record)
                self._seed(tenant)
                self._records.insert(record)
            except BaseException:
                self.credentials.release_tenant(tenant_id)
                raise
            self._remember(tenant)
            return tenant, admin_token

    def reset(self, tenant_id: str) -> Tenant:
        """Back to the fixtures: data and uploaded files cleared and reseeded; credentials and clock stay."""
        with self._lock:
            tenant = self.get(tenant_id)
            tenant.store.clear()
            # Keys clients created are gone with the data; the tenant's own credentials stay.
            own = {key for _, key, _ in self._credential_claims(tenant)}
            self.credentials.release_tenant(tenant.id, keep_digests=own)
            # Uploaded files are tenant data too: a reset tenant must not keep (or collide with) them.
            tenant.files.clear()
            self._seed(tenant)
            return tenant

    def delete(self, tenant_id: str) -> None:
        with self._lock:
            tenant = self.get(tenant_id)
            self._records.delete(tenant_id)
            self._forget(tenant_id)
            self._backend.drop(tenant_id)
            self.credentials.release_tenant(tenant.id)

    def update(self, tenant_id: str, changes: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]) -> Tenant:
        """Change fields of a tenant's record. `changes` may be a function of the record, read
        under the records' lock, which every replica shares: a change computed from the record
        (a clock advanced by a duration) is then never computed from a stale copy, and two
        replicas advancing one clock at once add up."""
        with self._lock, self._system.transaction():
            tenant = self.get(tenant_id)
            if callable(changes):
                current = self._records.get(tenant_id)
                if current is None:
                    raise UnknownTenant(tenant_id)
                changes = changes(current)
            if "credentials" in changes:
                raise ValueError("credentials change through set_credentials, which claims them")
            tenant.record = self._records.update(tenant_id, changes)
            return tenant

    def set_credentials(self, tenant_id: str, api: str, credentials: dict[str, Any]) -> Tenant:
        """Replace one API's credentials of a tenant: the new secrets are claimed (raises
        CredentialTaken, changing nothing, if one is anyone else's), the old ones released."""
        with self._lock:
            tenant = self.get(tenant_id)
            vendor = self._vendors[api]
            new = vendor.secrets(credentials)
            kept = {s.value for s in new}
            # Under the records' lock, read afresh: another replica may have changed another
            # API's credentials of this tenant since this request read the record.
            with self.credentials.atomic(), self._system.transaction():
                current = self._records.get(tenant_id)
                if current is None:
                    raise UnknownTenant(tenant_id)
                for secret in new:
                    self.credentials.claim(api, tenant.id, secret)
                for secret in vendor.secrets(current.get("credentials", {}).get(api, {})):
                    if secret.value not in kept:
                        self.credentials.release(api, tenant.id, secret.value)
                tenant.record = self._records.update(
                    tenant_id, {"credentials": {**current.get("credentials", {}), api: credentials}}
                )
            return tenant

    def find_or_set_credential(self, tenant_id: str, api: str, field: str, value: str) -> str:
        """The tenant's `field` credential of `api` if it has one, else `value`, made its own.

        Find-or-create under the records' lock, which every replica shares: of two logins
        racing to open a session, the second finds the first's key instead of replacing it
        (which would void a key the first client was just given). Raises CredentialTaken,
        changing nothing, if `value` is anyone else's."""
        with self._lock, self._system.transaction():
            record = self._records.get(tenant_id)
            if record is None:
                raise UnknownTenant(tenant_id)
            current = record.get("credentials", {}).get(api, {})
            if current.get(field):
                return str(current[field])
            self.set_credentials(tenant_id, api, {**current, field: value})
            return value

    # -- look-ups ---------------------------------------------------------------------------
    def get(self, tenant_id: str) -> Tenant:
        tenant = self._find(tenant_id)
        if tenant is None:
            raise UnknownTenant(tenant_id)
        return tenant

    def all(self) -> list[Tenant]:
        if not self._shared:
            return list(self._tenants.values())
        return [self._fresh(record) for record in self._records.all()]

    def tenant_of_admin_token(self, token: str) -> Tenant | None:
        holder = self.credentials.resolve(CONTROL_PLANE, token)
        return self._find(holder.tenant_id) if holder is not None else None

    def resolve(self, api: str, secret: str) -> tuple[Tenant, str] | None:
        """The tenant and role a secret of this API belongs to, or None."""
        together = getattr(self.credentials, "resolve_with_record", None)
        if self._shared and together is not None and secret:
            # One round trip: the holder, and the record of the tenant it names.
            found = together(api, secret)
            if found is None:
                return None
            holder, record = found
            if record is None:
                self._forget(holder.tenant_id)
                return None
            tenant = self._fresh(record)
            seen = _REQUEST_RECORDS.get()
            if seen is not None:
                seen[tenant.id] = tenant
            return tenant, holder.role
        holder = self.credentials.resolve(api, secret)
        if holder is None:
            return None
        found = self._find(holder.tenant_id)
        return (found, holder.role) if found is not None else None

    @contextmanager
    def request(self) -> Iterator[None]:
        """One request: on a shared store, each tenant's record is read at most once inside
        (by its first look-up), so a request sees one version of it, and the next request
        reads it again."""
        token = _REQUEST_RECORDS.set({} if self._shared else None)
        try:
            yield
        finally:
            _REQUEST_RECORDS.reset(token)

    # -- internals --------------------------------------------------------------------------
    def _find(self, tenant_id: str) -> Tenant | None:
        """The tenant as this request sees it, or None."""
        if not self._shared:
            return self._tenants.get(tenant_id)
        seen = _REQUEST_RECORDS.get()
        if seen is not None and tenant_id in seen:
            return seen[tenant_id]
        record = self._records.get(tenant_id)
        if record is None:
            self._forget(tenant_id)
            return None
        tenant = self._fresh(record)
        if seen is not None:
            seen[tenant_id] = tenant
        return tenant

    def _fresh(self, record: dict[str, Any]) -> Tenant:
        """A Tenant around a record just read (a shared store): a new object each time, so no
        request changes the record another one is reading; its store handles are reused."""
        known = self._tenants.get(record["id"])
        if known is None:
            known = self._remember(self._wrap(record))
        return dataclasses.replace(known, record=record)

    def _wrap(self, record: dict[str, Any]) -> Tenant:
        return Tenant(
            id=record["id"],
            store=self._backend.tenant(record["id"]),
            record=record,
            files=self._backend.files(record["id"]),
            secrets=TenantSecrets(self.credentials, record["id"]),
        )

    def _remember(self, tenant: Tenant) -> Tenant:
        self._tenants[tenant.id] = tenant
        seen = _REQUEST_RECORDS.get()
        if seen is not None:
            seen.pop(tenant.id, None)
        return tenant

    def _forget(self, tenant_id: str) -> None:
        self._tenants.pop(tenant_id, None)
        seen = _REQUEST_RECORDS.get()
        if seen is not None:
            seen.pop(tenant_id, None)

    def _open(self, record: dict[str, Any]) -> Tenant:
        tenant = self._remember(self._wrap(record))
        self._claim_credentials(tenant)
        return tenant

    def _mint_admin_token(self, tenant_id: str, demo: bool) -> str:
        for _ in range(1 if demo else MAX_DRAWS):
            token = DEMO_ADMIN_TOKEN if demo else new_secret("sbx_admin_", 24)
            try:
                self.credentials.claim(CONTROL_PLANE, tenant_id, Secret(token, ADMIN_ROLE))
            except CredentialTaken:
                continue
            return token
        raise CredentialTaken(CONTROL_PLANE)

    def _mint(self, vendor: Vendor, tenant_id: str, demo: bool) -> dict[str, Any]:
        """New credentials of one API, claimed for the tenant; drawn again on a collision."""
        for _ in range(MAX_DRAWS):
            credentials = vendor.new_credentials(demo=demo)
            try:
                with self.credentials.atomic():
                    for secret in vendor.secrets(credentials):
                        self.credentials.claim(vendor.name, tenant_id, secret)
            except CredentialTaken:
                if demo:
                    raise  # the demo's documented credentials cannot be drawn again
                continue
            return credentials
        raise CredentialTaken(vendor.name)

    def _provision_missing(self, tenant: Tenant) -> None:
        # A vendor added since this tenant was created: give the tenant credentials and data.
        missing = [v for name, v in self._vendors.items() if name not in tenant.credentials]
        for vendor in missing:
            credentials = self._mint(vendor, tenant.id, tenant.demo)
            tenant.record = self._records.update(
                tenant.id, {"credentials": {**tenant.credentials, vendor.name: credentials}}
            )
            vendor.seed(tenant)

    def _credential_claims(self, tenant: Tenant) -> list[tuple[str, str, str]]:
        """(api, sha256, role) of the tenant's own credentials, its admin token included."""
        claims = []
        admin = tenant.record.get("admin_token_sha256")
        if admin:
            claims.append((CONTROL_PLANE, admin, ADMIN_ROLE))
        for api, credentials in tenant.credentials.items():
            vendor = self._vendors.get(api)
            if vendor is not None:
                claims.extend((api, digest(s.value), s.role) for s in vendor.secrets(credentials))
        return claims

    def _claim_credentials(self, tenant: Tenant) -> None:
        self._claim_all(tenant, self._credential_claims(tenant))

    def _claim_stored_secrets(self, tenant: Tenant) -> None:
        claims: list[tuple[str, str, str]] = []
        for vendor in self._vendors.values():
            claims.extend((vendor.name, digest(s.value), s.role) for s in vendor.stored_secrets(tenant))
        self._claim_all(tenant, claims)

    def _claim_all(self, tenant: Tenant, claims: list[tuple[str, str, str]]) -> None:
        """Claims (api, sha256, role) read back from the data, at start or when opening a tenant."""
        for api, key, role in claims:
            try:
                self.credentials.claim_digest(api, tenant.id, key, role)
            except CredentialTaken:
                # Data written before credentials were unique: the first holder keeps the
                # value and this copy opens nothing.
                log.warning("tenant %s: a %s credential is another tenant's; ignored for this tenant", tenant.id, api)

    def _reserve_demo_credentials(self) -> None:
        self.credentials.reserve(DEMO_TENANT_ID, DEMO_ADMIN_TOKEN)
        for vendor in self._vendors.values():
            for secret in vendor.secrets(vendor.new_credentials(demo=True)):
                self.credentials.reserve(DEMO_TENANT_ID, secret.value)

    def _seed(self, tenant: Tenant) -> None:
        for vendor in self._vendors.values():
            vendor.seed(tenant)

    def provision_all(self) -> None:
        """At start-up: every tenant gets credentials and data for vendors added since."""
        with self._lock:
            for tenant in list(self._tenants.values()):
                self._provision_missing(tenant)

"""The credential index: the one place that knows which tenant every secret belongs to.

Every secret the sandbox recognises — a tenant's keys and tokens of every API, a FACTURAgem
login and session key, an API key a client created at run time — is *claimed* here before it
opens anything, and a value has exactly one holder in the whole sandbox: a claim of a value
held by anyone else (another tenant, another API, another role) fails with `CredentialTaken`,
which each vendor answers with its own duplicate error. So no write by one tenant can change
what another tenant's credential means.

Secrets are kept as their SHA-256 (a presented secret is hashed once and looked up, so lookup
time does not depend on how much of a guess matches) — the shape of the table a shared store
will hold: `(sha256 primary key, api, tenant, role)`, its primary key arbitrating races.

Claims and releases can be tied to a store transaction with `atomic()`: inside it a claim is
visible at once (a racing claim of the same value fails) and is undone if the block raises; a
release takes effect only when the block completes, so a failed delete keeps its key.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from .vendors.base import Secret


class CredentialTaken(Exception):
    """The value is already a credential somewhere in the sandbox."""


@dataclass(frozen=True)
class Holder:
    api: str
    tenant_id: str
    role: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class _Pending:
    undo: list[Callable[[], None]] = field(default_factory=list)
    on_success: list[Callable[[], None]] = field(default_factory=list)


# The write in progress on this thread or task, if any (see `CredentialIndex.atomic`).
_PENDING: ContextVar[_Pending | None] = ContextVar("facturas_sandbox_pending_claims", default=None)


class CredentialIndex:
    """The index in this process's memory (the data directory's store, which one process owns).

    The holders live behind four small methods (`_holder`, `_take`, `_drop`, `_drop_tenant`,
    plus `held_by`), which `shared.credentials.PgCredentialIndex` implements on a table every
    replica shares; claiming, releasing and `atomic()` are the same code for both.
    """

    def __init__(self) -> None:
        self._holders: dict[str, Holder] = {}
        # Values only one tenant may ever claim, held or not (the documented demo credentials:
        # a sandbox started without the demo tenant must not let anyone else own them).
        self._reserved: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- claims -----------------------------------------------------------------------------
    def claim(self, api: str, tenant_id: str, secret: Secret) -> bool:
        """Make `secret` a credential of this tenant for this API and role.

        True if it is new; False if this tenant already holds it just so (claiming one's own
        credential again is harmless). Raises CredentialTaken if anyone else holds it.
        """
        return self.claim_digest(api, tenant_id, digest(secret.value), secret.role)

    def claim_digest(self, api: str, tenant_id: str, key: str, role: str) -> bool:
        """`claim` of a secret known only by its SHA-256 (admin tokens are stored so)."""
        holder = Holder(api, tenant_id, role)
        reserved_for = self._reserved.get(key)
        if reserved_for is not None and reserved_for != tenant_id:
            raise CredentialTaken(api)
        current = self._take(key, holder)
        if current == holder:
            return False
        if current is not None:
            raise CredentialTaken(api)
        pending = _PENDING.get()
        if pending is not None:
            pending.undo.append(lambda: self._drop(key, holder))
        return True

    def release(self, api: str, tenant_id: str, value: str) -> None:
        """The tenant's credential stops existing (at the end of the enclosing write, if any).
        Another tenant's value is left alone."""
        key = digest(value)
        current = self._holder(key)
        if current is None or (current.api, current.tenant_id) != (api, tenant_id):
            return
        pending = _PENDING.get()
        if pending is not None:
            pending.on_success.append(lambda: self._drop(key, current))
        else:
            self._drop(key, current)

    def release_tenant(self, tenant_id: str, *, keep_digests: Iterable[str] = ()) -> None:
        """Every credential of a tenant (deleted), or all but those whose SHA-256 is kept (reset)."""
        self._drop_tenant(tenant_id, set(keep_digests))

    def reserve(self, tenant_id: str, value: str) -> None:
        with self._lock:
            self._reserved[digest(value)] = tenant_id

    def resolve_digest(self, api: str, key: str) -> Holder | None:
        holder = self._holder(key)
        return holder if holder is not None and holder.api == api else None

    # -- look-ups ---------------------------------------------------------------------------
    def resolve(self, api: str, value: str) -> Holder | None:
        """Who holds this secret for this API; None for an unknown value or another API's."""
        return self.resolve_digest(api, digest(value)) if value else None

    def held_by(self, tenant_id: str) -> list[Holder]:
        with self._lock:
            return [h for h in self._holders.values() if h.tenant_id == tenant_id]

    # -- transactions -----------------------------------------------------------------------
    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Tie the claims and releases made inside to the enclosed write (see the module
        docstring). Nested blocks join the outermost one."""
        if _PENDING.get() is not None:
            yield
            return
        pending = _Pending()
        token = _PENDING.set(pending)
        try:
            yield
        except BaseException:
            _PENDING.reset(token)
            for undo in reversed(pending.undo):
                undo()
            raise
        _PENDING.reset(token)
        for apply in pending.on_success:
            apply()

    # -- the holders ------------------------------------------------------------------------
    def _holder(self, key: str) -> Holder | None:
        return self._holders.get(key)

    def _take(self, key: str, holder: Holder) -> Holder | None:
        """Make `holder` the holder of `key` unless someone holds it: the holder before (None
        when the claim took)."""
        with self._lock:
            current = self._holders.get(key)
            if current is None:
                self._holders[key] = holder
            return current

    def _drop(self, key: str, holder: Holder) -> None:
        with self._lock:
            if self._holders.get(key) == holder:
                del self._holders[key]

    def _drop_tenant(self, tenant_id: str, kept: set[str]) -> None:
        with self._lock:
            for key in [k for k, h in self._holders.items() if h.tenant_id == tenant_id and k not in kept]:
                del self._holders[key]


@dataclass(frozen=True)
class TenantSecrets:
    """A tenant's handle on the index: it can claim and release only its own credentials."""

    index: CredentialIndex
    tenant_id: str

    def claim(self, api: str, secret: Secret) -> bool:
        return self.index.claim(api, self.tenant_id, secret)

    def release(self, api: str, value: str) -> None:
        self.index.release(api, self.tenant_id, value)

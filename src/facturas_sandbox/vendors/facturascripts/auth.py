"""FacturaScripts API keys, per-resource permissions and the incident ban
(Core/Template/ApiController.php).

Order of checks, as the real server: banned IP → 429; key from `X-Auth-Token`, else `Token`;
unknown or disabled key → 401 and an incident; a key without full access needs an `apiaccess`
row allowing the method → else 403 and an incident. Five incidents from one IP within 600 s
ban it (sliding window). Incidents are kept per sandbox process with a monotonic clock, not
per tenant: before a key is recognised there is no tenant to charge them to, exactly as a real
installation keeps them installation-wide. Tests replace `INCIDENTS.clock`.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

from starlette.datastructures import Headers

from ...credentials import CredentialTaken
from ...errors import ApiError
from ...responses import add_warning
from ...tenants import Tenant
from ..base import Secret

API = "facturascripts"
BAN_MESSAGE = "Por motivos de seguridad se ha bloqueado durante 10 minutos el acceso desde su IP."
INVALID_KEY = "Clave de API no válida"
FORBIDDEN = "Prohibido"
MAX_INCIDENTS = 5
INCIDENT_WINDOW = 600.0
KEY_ROLE = "apikey"
# The secret is hidden in every answer, so the refusal names the column, never the value.
DUPLICATE_KEY = "Ya existe una clave de API con ese valor (apikey)"
DUPLICATE_KEY_WARNING = (
    "apikey: a real FacturaScripts installation saves a second key with the same value; the sandbox "
    "refuses any value that is already a credential anywhere in it, since each key names one tenant"
)
METHOD_FLAGS = {"GET": "allowget", "POST": "allowpost", "PUT": "allowput", "PATCH": "allowput", "DELETE": "allowdelete"}


class Incidents:
    """Failed requests per client IP, kept for INCIDENT_WINDOW seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._by_ip: dict[str, deque[float]] = {}

    def _recent(self, ip: str) -> deque[float]:
        times = self._by_ip.setdefault(ip, deque())
        horizon = self.clock() - INCIDENT_WINDOW
        while times and times[0] <= horizon:
            times.popleft()
        if not times:
            self._by_ip.pop(ip, None)
        return times

    def banned(self, ip: str) -> bool:
        return len(self._recent(ip)) >= MAX_INCIDENTS

    def add(self, ip: str) -> None:
        self._recent(ip)
        self._by_ip.setdefault(ip, deque()).append(self.clock())

    def clear(self) -> None:
        self._by_ip.clear()


INCIDENTS = Incidents()


def client_ip(headers: Headers | Mapping[str, str], client: tuple[str, int] | None) -> str:
    """CF-Connecting-IP, then X-Forwarded-For (as sent, the whole header), then the socket."""
    for name in ("cf-connecting-ip", "x-forwarded-for"):
        value = headers.get(name)
        if value:
            return value.strip()
    return client[0] if client else "unknown"


def security_error(status: int, message: str) -> ApiError:
    return ApiError(status, "security", message, origin="security")


# -- key records ---------------------------------------------------------------------------------
def stored_keys(tenant: Tenant) -> list[Secret]:
    """The keys in a tenant's `apikeyes` (its own credentials and those clients created)."""
    from . import engine

    keys = engine.collection(tenant.store, engine.model("apikeyes")).all()
    return [Secret(record["apikey"], KEY_ROLE) for record in keys if record.get("apikey")]


def claim_key(tenant: Tenant, record: Mapping[str, Any]) -> None:
    """A new `apikeyes` row's secret becomes the tenant's, unless it exists anywhere in the
    sandbox: then the save fails, as a save breaking a unique column fails."""
    from . import engine

    try:
        # Claiming a value the tenant holds is harmless (seeding its own keys); a second row
        # holding it is not.
        if len(engine.collection(tenant.store, engine.model("apikeyes")).find(apikey=record["apikey"])) > 1:
            raise CredentialTaken(API)
        tenant.secrets.claim(API, Secret(record["apikey"], KEY_ROLE))
    except CredentialTaken:
        add_warning(DUPLICATE_KEY_WARNING)
        raise engine.SaveError([DUPLICATE_KEY]) from None


def release_key(tenant: Tenant, record: Mapping[str, Any]) -> None:
    if record.get("apikey"):
        tenant.secrets.release(API, record["apikey"])


def key_record(tenant: Tenant, token: str) -> dict[str, Any] | None:
    from . import engine

    found = engine.collection(tenant.store, engine.model("apikeyes")).find(apikey=token)
    return found[0] if found else None


def allowed(tenant: Tenant, key: Mapping[str, Any], resource: str, method: str) -> bool:
    from . import engine

    if key.get("fullaccess"):
        return True
    if resource == "":
        return True  # the resource list is not filtered by permissions
    flag = METHOD_FLAGS.get(method)
    if flag is None:
        return False
    rows = engine.collection(tenant.store, engine.model("apiaccess")).find(idapikey=key["id"], resource=resource)
    return any(row.get(flag) for row in rows)


def token_info(token: str, request: Any) -> dict[str, Any]:
    """Connexion's apiKey function for both headers; raises the server's own errors."""
    return authenticate(request.scope, token)


def authenticate(scope: Mapping[str, Any], token: str | None = None) -> dict[str, Any]:
    """The server's checks in its order: ban, key, permission. Raises 429/401/403."""
    from . import routing

    sandbox = scope["sandbox"]
    headers = Headers(scope=scope)  # type: ignore[arg-type]
    ip = client_ip(headers, scope.get("client"))
    if INCIDENTS.banned(ip):
        raise security_error(429, BAN_MESSAGE)
    # X-Auth-Token wins over Token when both are sent.
    token = headers.get("x-auth-token") or headers.get("token") or token
    if not token:
        INCIDENTS.add(ip)
        raise security_error(401, INVALID_KEY)
    found = sandbox.tenants.resolve(API, token)
    key = key_record(found[0], token) if found else None
    if found is None or key is None or not key.get("enabled"):
        INCIDENTS.add(ip)
        raise security_error(401, INVALID_KEY)
    tenant = found[0]
    if not allowed(tenant, key, routing.resource_of(scope), scope["method"]):
        INCIDENTS.add(ip)
        raise security_error(403, FORBIDDEN)
    return {"tenant": tenant.id, "role": "fullaccess" if key.get("fullaccess") else "restricted", "sub": str(key["id"])}


def translate_error(error: ApiError, scope: Mapping[str, Any]) -> ApiError:
    """Connexion's own 401 (no key header at all) as the real server answers it."""
    if error.origin != "security" or error.code == "security":
        return error
    headers = Headers(scope=scope)  # type: ignore[arg-type]
    ip = client_ip(headers, scope.get("client"))
    if INCIDENTS.banned(ip):
        return security_error(429, BAN_MESSAGE)
    if error.status == 401:
        INCIDENTS.add(ip)
        return security_error(401, INVALID_KEY)
    return error

"""FacturaScripts API keys, per-resource permissions and the incident ban
(Core/Template/ApiController.php).

Order of checks, as the real server: banned → 429; key from `X-Auth-Token`, else `Token`;
unknown or disabled key → 401 and an incident; a key without full access needs an `apiaccess`
row allowing the method → else 403 and an incident. Five incidents within 600 s ban (sliding
window). A real installation bans the client IP for everyone; the sandbox counts incidents
per (client IP, scope) — the tenant whose key was presented, or "unattributed" — so that one
client's failures never lock another tenant out (bans.py). So the key is looked up before the
ban is checked: which ban applies depends on whose key it is. The client IP is the socket
peer, or what a trusted proxy forwarded (client_address.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.datastructures import Headers

from ...bans import UNATTRIBUTED
from ...credentials import CredentialTaken
from ...errors import TENANT_DELETED, ApiError
from ...responses import add_warning
from ...tenants import Tenant
from ..base import Secret
from . import engine
from .paths import resource_of

API = "facturascripts"
BAN_MESSAGE = "Por motivos de seguridad se ha bloqueado durante 10 minutos el acceso desde su IP."
INVALID_KEY = "Clave de API no válida"
FORBIDDEN = "Prohibido"
KEY_ROLE = "apikey"
# The secret is hidden in every answer, so the refusal names the column, never the value.
DUPLICATE_KEY = "Ya existe una clave de API con ese valor (apikey)"
DUPLICATE_KEY_WARNING = (
    "apikey: a real FacturaScripts installation saves a second key with the same value; the sandbox "
    "refuses any value that is already a credential anywhere in it, since each key names one tenant"
)
BANNED_ELSEWHERE_WARNING = (
    "a real FacturaScripts installation would answer 429 here: this client IP has 5 failed "
    "authentications with unknown keys in 10 minutes, and a real server bans the IP for every key; "
    "the sandbox bans per tenant"
)
METHOD_FLAGS = {"GET": "allowget", "POST": "allowpost", "PUT": "allowput", "PATCH": "allowput", "DELETE": "allowdelete"}


def security_error(status: int, message: str) -> ApiError:
    return ApiError(status, "security", message, origin="security")


# -- key records ---------------------------------------------------------------------------------
def stored_keys(tenant: Tenant) -> list[Secret]:
    """The keys in a tenant's `apikeyes` (its own credentials and those clients created)."""
    keys = engine.collection(tenant.store, engine.model("apikeyes")).all()
    return [Secret(record["apikey"], KEY_ROLE) for record in keys if record.get("apikey")]


def claim_key(tenant: Tenant, record: Mapping[str, Any]) -> None:
    """A new `apikeyes` row's secret becomes the tenant's, unless it exists anywhere in the
    sandbox: then the save fails, as a save breaking a unique column fails."""
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
    found = engine.collection(tenant.store, engine.model("apikeyes")).find(apikey=token)
    return found[0] if found else None


def allowed(tenant: Tenant, key: Mapping[str, Any], resource: str, method: str) -> bool:
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
    sandbox = scope["sandbox"]
    headers = Headers(scope=scope)  # type: ignore[arg-type]
    ip = sandbox.client_address.of(scope)
    # X-Auth-Token wins over Token when both are sent.
    token = headers.get("x-auth-token") or headers.get("token") or token
    found = sandbox.tenants.resolve(API, token) if token else None
    if found is None or not token:
        raise refusal(sandbox, ip, None, 401, INVALID_KEY)
    tenant = found[0]
    sandbox.incidents.note_use(tenant.id, ip, exempt=not tenant.incident_ban)
    if tenant.incident_ban and sandbox.incidents.banned(ip, tenant.id):
        raise security_error(429, BAN_MESSAGE)
    key = key_record(tenant, token)
    if key is None or not key.get("enabled"):
        raise refusal(sandbox, ip, tenant, 401, INVALID_KEY)
    if not allowed(tenant, key, resource_of(scope), scope["method"]):
        raise refusal(sandbox, ip, tenant, 403, FORBIDDEN)
    warnings = scope.get("sandbox.warnings")
    if warnings is not None and sandbox.incidents.banned(ip, UNATTRIBUTED):
        warnings.append(BANNED_ELSEWHERE_WARNING)
    return {"tenant": tenant.id, "role": "fullaccess" if key.get("fullaccess") else "restricted", "sub": str(key["id"])}


def refusal(sandbox: Any, ip: str, tenant: Tenant | None, status: int, message: str) -> ApiError:
    """A refused request: 429 if its scope is banned already (a 429 adds no incident), else
    the refusal, counted as an incident of its scope."""
    if tenant is None:
        if sandbox.incidents.banned(ip, UNATTRIBUTED):
            return security_error(429, BAN_MESSAGE)
        sandbox.incidents.add(ip, UNATTRIBUTED)
    elif tenant.incident_ban:
        sandbox.incidents.add(ip, tenant.id)
    return security_error(status, message)


def translate_error(error: ApiError, scope: Mapping[str, Any]) -> ApiError:
    """Connexion's own 401 (no key header at all) as the real server answers it."""
    if error.origin != "security" or error.code == "security":
        return error
    if error.code == TENANT_DELETED:
        return security_error(401, INVALID_KEY)  # the client did nothing wrong: no incident
    if error.status == 401:
        sandbox = scope["sandbox"]
        return refusal(sandbox, sandbox.client_address.of(scope), None, 401, INVALID_KEY)
    return error

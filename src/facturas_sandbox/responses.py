"""Small helpers handlers share: JSON responses and the per-request sandbox context."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import orjson
from connexion.context import context, scope
from starlette.responses import Response

from .errors import ApiError, tenant_deleted

if TYPE_CHECKING:
    from .sandbox import Sandbox
    from .tenants import Tenant


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


_ORJSON_OPTIONS = orjson.OPT_NON_STR_KEYS


def dumps(body: Any) -> bytes:
    """Compact UTF-8 JSON. orjson is several times faster than the standard library on the
    invoice-sized bodies every handler returns; what it refuses (integers beyond 64 bits) goes
    through `json`, so the output does not depend on which encoder took it."""
    try:
        return orjson.dumps(body, default=_default, option=_ORJSON_OPTIONS)
    except orjson.JSONEncodeError:
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"), default=_default).encode("utf-8")


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(dumps(body), status_code=status, headers=headers, media_type="application/json")


def empty_response(status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(b"", status_code=status, headers=headers)


def current_sandbox() -> Sandbox:
    # The scope proxy, not `request.scope`: each access to connexion.context.request builds a
    # new ConnexionRequest around the scope.
    return scope["sandbox"]


def current_tenant() -> Tenant:
    """The tenant the request's credentials belong to (set by the API's security function)."""
    info = context.get("token_info") or {}
    tenant_id = info.get("tenant")
    if not tenant_id:
        raise ApiError(401, "unauthorized", "Missing credentials", origin="security")
    from .tenants import UnknownTenant

    try:
        return current_sandbox().tenants.get(tenant_id)
    except UnknownTenant:
        raise tenant_deleted() from None


def current_role() -> str:
    return (context.get("token_info") or {}).get("role", "")


def add_warning(text: str) -> None:
    """A fidelity warning for this exchange: sent as X-Sandbox-Warning and kept in the journal."""
    scope.setdefault("sandbox.warnings", []).append(text)

"""Handlers of openapi/sandbox.yaml."""

from __future__ import annotations

from typing import Any

from connexion.context import context
from starlette.responses import Response

from ... import __version__
from ...clock import Clock, parse_duration, parse_instant
from ...errors import ApiError, FieldError
from ...responses import current_sandbox, empty_response, json_response
from ...tenants import DEMO_TENANT_ID, Tenant, UnknownTenant


def _tenant(tenant_id: str) -> Tenant:
    """The tenant, if the caller may manage it; another tenant's id looks like an unknown one."""
    info = context.get("token_info") or {}
    tenants = current_sandbox().tenants
    if info.get("role") != "operator" and info.get("tenant") != tenant_id:
        raise ApiError(404, "tenant_not_found", f"No tenant {tenant_id!r}", extra={"param": "tenant_id"})
    try:
        return tenants.get(tenant_id)
    except UnknownTenant:
        raise ApiError(404, "tenant_not_found", f"No tenant {tenant_id!r}", extra={"param": "tenant_id"}) from None


def _clock_body(clock: Clock) -> dict[str, Any]:
    return {"now": clock.now().isoformat(), **clock.to_record()}


async def get_health() -> Response:
    return json_response({"status": "ok", "version": __version__})


async def list_apis() -> Response:
    sandbox = current_sandbox()
    data = []
    for vendor in sandbox.mounted_vendors():
        prefix = sandbox.vendor_prefix(vendor)
        data.append(
            {
                "name": vendor.name,
                "title": vendor.title,
                "base_path": prefix,
                "ui": f"{prefix}/ui/",
                "openapi": f"{prefix}/openapi.json",
            }
        )
    return json_response({"data": data})


async def list_tenants() -> Response:
    info = context.get("token_info") or {}
    tenants = current_sandbox().tenants.all()
    if info.get("role") != "operator":
        tenants = [t for t in tenants if t.id == info.get("tenant")]
    return json_response({"data": [t.public(with_credentials=False) for t in tenants]})


async def create_tenant(body: dict[str, Any] | None = None) -> Response:
    body = body or {}
    tenant, admin_token = current_sandbox().tenants.create(name=body.get("name"), plan=body.get("plan", "professional"))
    return json_response(
        {**tenant.public(), "admin_token": admin_token}, 201, {"Location": f"/_sandbox/tenants/{tenant.id}"}
    )


async def get_tenant(tenant_id: str) -> Response:
    return json_response(_tenant(tenant_id).public())


async def update_tenant(tenant_id: str, body: dict[str, Any]) -> Response:
    tenant = _tenant(tenant_id)
    tenant = current_sandbox().tenants.update(tenant.id, {k: v for k, v in body.items() if k in ("name", "plan")})
    return json_response(tenant.public())


async def delete_tenant(tenant_id: str) -> Response:
    tenant = _tenant(tenant_id)
    if tenant.id == DEMO_TENANT_ID:
        raise ApiError(409, "demo_tenant", "The demo tenant cannot be deleted; reset it instead")
    current_sandbox().tenants.delete(tenant.id)
    return empty_response(204)


async def reset_tenant(tenant_id: str) -> Response:
    tenant = current_sandbox().tenants.reset(_tenant(tenant_id).id)
    return json_response(tenant.public())


async def get_clock(tenant_id: str) -> Response:
    clock = _tenant(tenant_id).clock
    if clock.is_real:
        raise ApiError(404, "clock_not_set", "This tenant runs on real time: set a test clock with PUT")
    return json_response(_clock_body(clock))


async def set_clock(tenant_id: str, body: dict[str, Any]) -> Response:
    tenant = _tenant(tenant_id)
    param = "now" if "now" in body else "advance"
    try:
        clock = Clock(frozen_at=parse_instant(body["now"])) if "now" in body else tenant.clock
        delta = parse_duration(body["advance"]) if "advance" in body else None
    except ValueError as exc:
        raise ApiError(422, "invalid_clock", str(exc), fields=[FieldError(param, str(exc))]) from None
    try:
        if delta is not None:
            clock = clock.advanced(delta)
        clock.now().isoformat()
    except OverflowError:
        raise ApiError(409, "clock_out_of_range", "The clock cannot move outside the years 1 to 9999") from None
    tenant = current_sandbox().tenants.update(tenant.id, {"clock": clock.to_record()})
    return json_response(_clock_body(tenant.clock))


async def reset_clock(tenant_id: str) -> Response:
    current_sandbox().tenants.update(_tenant(tenant_id).id, {"clock": Clock().to_record()})
    return empty_response(204)

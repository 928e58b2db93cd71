"""Handlers of openapi/sandbox.yaml."""

from __future__ import annotations

from typing import Any

from connexion.context import context
from connexion.context import scope as request_scope
from starlette.responses import Response

from ... import __version__
from ...clock import Clock, parse_duration, parse_instant
from ...errors import ApiError, FieldError
from ...responses import current_sandbox, empty_response, json_response
from ...tenants import DEMO_ADMIN_TOKEN, DEMO_TENANT_ID, Tenant, UnknownTenant
from ...web import render


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


async def get_dashboard() -> Response:
    sandbox = current_sandbox()
    demo = sandbox.tenants.get(DEMO_TENANT_ID) if DEMO_TENANT_ID in {t.id for t in sandbox.tenants.all()} else None
    apis = [
        {
            "name": vendor.name,
            "title": vendor.title,
            "base_path": sandbox.vendor_prefix(vendor),
            "demo": {k: str(v) for k, v in (demo.credentials.get(vendor.name, {}) if demo else {}).items()},
        }
        for vendor in sandbox.mounted_vendors()
    ]
    page = render(
        "dashboard.html",
        version=__version__,
        apis=apis,
        demo_tenant=DEMO_TENANT_ID if demo else "",
        demo_admin_token=DEMO_ADMIN_TOKEN if demo else "",
    )
    return Response(page, media_type="text/html; charset=utf-8")


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


def _note_caller(tenant: Tenant) -> None:
    """The address managing a tenant's bans is where its runs come from: count it as used by
    the tenant, so that lifting clears its unattributed ban and an exemption covers it before
    the tenant's first API request (a conformance run may send a wrong key first)."""
    sandbox = current_sandbox()
    sandbox.incidents.note_use(tenant.id, sandbox.client_address.of(request_scope), exempt=not tenant.incident_ban)


async def update_tenant(tenant_id: str, body: dict[str, Any]) -> Response:
    tenant = _tenant(tenant_id)
    changes = {k: v for k, v in body.items() if k in ("name", "plan", "incident_ban")}
    tenant = current_sandbox().tenants.update(tenant.id, changes)
    if "incident_ban" in changes:
        _note_caller(tenant)
    return json_response(tenant.public())


async def delete_tenant(tenant_id: str) -> Response:
    tenant = _tenant(tenant_id)
    if tenant.id == DEMO_TENANT_ID:
        raise ApiError(409, "demo_tenant", "The demo tenant cannot be deleted; reset it instead")
    sandbox = current_sandbox()
    sandbox.tenants.delete(tenant.id)
    sandbox.journals.drop(tenant.id)
    sandbox.faults.clear(tenant.id)
    sandbox.incidents.forget(tenant.id)
    return empty_response(204)


async def reset_tenant(tenant_id: str) -> Response:
    sandbox = current_sandbox()
    tenant = sandbox.tenants.reset(_tenant(tenant_id).id)
    sandbox.incidents.lift(tenant.id)
    return json_response(tenant.public())


# -- bans --------------------------------------------------------------------------------------
async def list_bans(tenant_id: str) -> Response:
    bans = current_sandbox().incidents.bans(_tenant(tenant_id).id)
    return json_response({"data": [ban.public() for ban in bans]})


async def lift_bans(tenant_id: str) -> Response:
    tenant = _tenant(tenant_id)
    _note_caller(tenant)
    current_sandbox().incidents.lift(tenant.id)
    return empty_response(204)


async def get_clock(tenant_id: str) -> Response:
    clock = _tenant(tenant_id).clock
    if clock.is_real:
        raise ApiError(404, "clock_not_set", "This tenant runs on real time: set a test clock with PUT")
    return json_response(_clock_body(clock))


async def set_clock(tenant_id: str, body: dict[str, Any]) -> Response:
    tenant = _tenant(tenant_id)
    param = "now" if "now" in body else "advance"
    try:
        frozen = Clock(frozen_at=parse_instant(body["now"])) if "now" in body else None
        delta = parse_duration(body["advance"]) if "advance" in body else None
    except ValueError as exc:
        raise ApiError(422, "invalid_clock", str(exc), fields=[FieldError(param, str(exc))]) from None

    def moved(record: dict[str, Any]) -> dict[str, Any]:
        # Computed from the record as stored, under the tenant records' lock: two advances
        # at once, on one replica or two, both count.
        clock = frozen if frozen is not None else Clock.from_record(record.get("clock"))
        try:
            if delta is not None:
                clock = clock.advanced(delta)
            clock.now().isoformat()
        except OverflowError:
            raise ApiError(409, "clock_out_of_range", "The clock cannot move outside the years 1 to 9999") from None
        return {"clock": clock.to_record()}

    tenant = current_sandbox().tenants.update(tenant.id, moved)
    return json_response(_clock_body(tenant.clock))


async def reset_clock(tenant_id: str) -> Response:
    current_sandbox().tenants.update(_tenant(tenant_id).id, {"clock": Clock().to_record()})
    return empty_response(204)


# -- journal -----------------------------------------------------------------------------------
async def list_journal(
    tenant_id: str, api: str | None = None, status: int | None = None, conforms: bool | None = None, limit: int = 100
) -> Response:
    tenant = _tenant(tenant_id)
    entries = current_sandbox().journals.of(tenant.id).entries(api=api, status=status, conforms=conforms, limit=limit)
    return json_response({"data": [e.public() for e in entries]})


async def clear_journal(tenant_id: str) -> Response:
    current_sandbox().journals.of(_tenant(tenant_id).id).clear()
    return empty_response(204)


# -- faults ------------------------------------------------------------------------------------
async def list_faults(tenant_id: str) -> Response:
    rules = current_sandbox().faults.list(_tenant(tenant_id).id)
    return json_response({"data": [r.public() for r in rules]})


async def create_fault(tenant_id: str, body: dict[str, Any]) -> Response:
    tenant = _tenant(tenant_id)
    rule = current_sandbox().faults.add(tenant.id, **body)
    return json_response(rule.public(), 201)


async def clear_faults(tenant_id: str) -> Response:
    current_sandbox().faults.clear(_tenant(tenant_id).id)
    return empty_response(204)


async def delete_fault(tenant_id: str, fault_id: str) -> Response:
    if not current_sandbox().faults.remove(_tenant(tenant_id).id, fault_id):
        raise ApiError(404, "fault_not_found", f"No fault rule {fault_id!r}", extra={"param": "fault_id"})
    return empty_response(204)

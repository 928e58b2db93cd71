"""The control plane at /_sandbox: tenants, credentials, clock (Stripe-style errors)."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from ...errors import TENANT_DELETED, ApiError
from ...responses import json_response
from ..base import Api
from . import handlers

_TYPES = {401: "authentication_error", 403: "authentication_error", 404: "not_found_error", 409: "conflict_error"}


class ControlPlane(Api):
    name = "_sandbox"
    title = "Sandbox control plane"
    base_path = "/_sandbox"
    handlers = handlers
    # Stripe-style: an unknown query parameter is an error, not silently ignored.
    strict_validation = True

    def translate_error(self, error: ApiError, scope: Any) -> ApiError:
        if error.code == TENANT_DELETED:
            # Deleted while this request was in flight: now it is a tenant like any unknown one.
            return ApiError(404, "tenant_not_found", "No such tenant", extra={"param": "tenant_id"})
        return error

    def error_response(self, error: ApiError) -> Response:
        kind = _TYPES.get(error.status) or ("api_error" if error.status >= 500 else "invalid_request_error")
        param = error.fields[0].field if error.fields else error.extra.get("param")
        body = {"error": {"type": kind, "code": error.code, "param": param, "message": error.message}}
        return json_response(body, error.status)


CONTROL_PLANE = ControlPlane()

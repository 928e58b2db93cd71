"""FacturaScripts REST API v3: every core model through one generic engine, as the real server."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from starlette.datastructures import Headers
from starlette.responses import Response

from ...errors import ApiError
from ...responses import json_response
from ...tenants import Tenant
from ..base import Secret, Vendor
from . import auth, defaults, document_rules, engine, handlers, parties, receipts, routing, rules, sequences, stock
from .models import registry
from .paths import resource_of
from .rules import new_apikey

_REQUIRED = re.compile(r"^'([A-Za-z0-9_]+)' is a required property$")
# The modules whose import registers the models' save rules with the engine (hooks.py): the
# engine imports none of them, so the vendor imports each once, before any record is saved.
SAVE_RULES = (defaults, document_rules, parties, receipts, rules, sequences, stock)
DEMO_TOKEN = "fsDemoFullAccess0001"
DEMO_RESTRICTED_TOKEN = "fsDemoRestricted0002"


class FacturaScripts(Vendor):
    name = "facturascripts"
    title = "FacturaScripts API v3"
    # Mounted at /api with the version as the paths' first segment, so that another version
    # reaches the vendor and gets the real server's 400 instead of the sandbox's 404.
    base_path = "/api"
    # The real server answers every OPTIONS as a CORS preflight, with or without
    # Access-Control-Request-Method.
    preflight_every_options = True
    handlers = handlers
    # The real server sets its CORS headers once the key and the version pass, before the
    # resource runs: every answer of a resource carries them, errors included (`error_response`);
    # auth, version and unknown-resource errors carry none, and nothing is exposed
    # (X-Total-Count included).
    cors = False
    cors_expose_headers = ""

    secret_roles: ClassVar[dict[str, str]] = {"token": auth.KEY_ROLE, "restricted_token": auth.KEY_ROLE}
    demo_credentials: ClassVar[dict[str, str]] = {"token": DEMO_TOKEN, "restricted_token": DEMO_RESTRICTED_TOKEN}

    def fresh_credentials(self) -> dict[str, Any]:
        return {"token": new_apikey(), "restricted_token": new_apikey()}

    def stored_secrets(self, tenant: Tenant) -> list[Secret]:
        return auth.stored_keys(tenant)

    def auth_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        return {"Token": credentials["token"]}

    def translate_error(self, error: ApiError, scope: Any) -> ApiError:
        error = auth.translate_error(error, scope)
        if error.origin == "routing" and error.status == 404:
            return routing.not_found(scope)
        missing = _REQUIRED.match(error.message) if error.origin == "validation" else None
        resource = resource_of(scope)
        if error.origin in ("validation", "body") and resource and resource not in registry():
            # Custom endpoints answer in the controller's shape, with their own texts.
            message = error.message
            if missing:
                field = missing.group(1)
                message = "missing-pagada-parameter" if field == "pagada" else f"{field} field is required"
            return ApiError(error.status, error.code, message, origin="document", headers=error.headers)
        if missing and resource in registry():
            # The contract marks NOT NULL columns required; the real server finds them on save.
            column, table = missing.group(1), registry()[resource].table
            return engine.model_error(f"{engine.SAVE_ERROR} - El campo {column} de la tabla {table} no puede ser nulo")
        if error.origin in ("validation", "body") and scope.get("method") != "GET" and routing.is_schema_path(scope):
            # PUT /series/schema fails the key's validation before a handler could answer.
            return routing.schema_method_not_allowed()
        return error

    def preflight(self, headers: Headers) -> tuple[int, dict[str, str]]:
        return 200, {
            **handlers.CORS_HEADERS,
            "Access-Control-Allow-Headers": headers.get("access-control-request-headers", ""),
        }

    def error_response(self, error: ApiError) -> Response:
        headers = handlers.CORS_HEADERS if _answered_by_resource(error) else None
        model_body = error.extra.get("model_body")
        if model_body is not None:
            return Response(
                handlers.dumps(model_body), status_code=error.status, media_type="application/json", headers=headers
            )
        if error.origin in ("validation", "body") and error.status == 400:
            # Values the real server would reject on save; same shape as a model error.
            return json_response({"error": error.message}, 400, headers=headers)
        return json_response({"status": "error", "message": error.message}, error.status, headers=headers)

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        return [f"curl -H 'X-Auth-Token: {credentials['token']}' {base_url}/3/clientes"]


def _answered_by_resource(error: ApiError) -> bool:
    """Whether the real server would answer this error from a resource, after ApiController
    has set the CORS headers: not the key checks (401/403/429/409), not the version and not an
    unknown resource (the kernel's error controllers answer those on a response of their own),
    not a crash or the sandbox's own faults and limits."""
    if error.origin in ("security", "server", "fault", "store", "limit"):
        return False
    return not (error.origin == "routing" and error.code in ("version", "not_found"))


VENDOR = FacturaScripts()

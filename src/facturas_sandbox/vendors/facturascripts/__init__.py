"""FacturaScripts REST API v3: every core model through one generic engine, as the real server."""

from __future__ import annotations

import json
from typing import Any

from starlette.datastructures import Headers
from starlette.responses import Response

from ...contracts import fixtures_dir
from ...errors import ApiError
from ...responses import json_response
from ...tenants import Tenant
from ..base import Secret
from . import auth, handlers
from .rules import new_apikey

DEMO_TOKEN = "fsDemoFullAccess0001"
DEMO_RESTRICTED_TOKEN = "fsDemoRestricted0002"


class FacturaScripts:
    name = "facturascripts"
    title = "FacturaScripts API v3"
    base_path = "/api/3"
    handlers = handlers
    # The real server sends CORS headers on successful answers only (handlers add them);
    # auth and version errors carry none, and nothing is exposed (X-Total-Count included).
    cors = False
    cors_expose_headers = ""

    def new_credentials(self, *, demo: bool) -> dict[str, Any]:
        if demo:
            return {"token": DEMO_TOKEN, "restricted_token": DEMO_RESTRICTED_TOKEN}
        return {"token": new_apikey(), "restricted_token": new_apikey()}

    def secrets(self, credentials: dict[str, Any]) -> list[Secret]:
        return [Secret(credentials["token"], "apikey"), Secret(credentials["restricted_token"], "apikey")]

    def seed(self, tenant: Tenant) -> None:
        with open(fixtures_dir() / "facturascripts.json", encoding="utf-8") as fh:
            data = json.load(fh)
        from .fixtures import load

        load(tenant, data)

    def translate_error(self, error: ApiError, scope: Any) -> ApiError:
        return auth.translate_error(error, scope)

    def preflight(self, headers: Headers) -> tuple[int, dict[str, str]]:
        return 200, {
            **handlers.CORS_HEADERS,
            "Access-Control-Allow-Headers": headers.get("access-control-request-headers", ""),
        }

    def error_response(self, error: ApiError) -> Response:
        model_body = error.extra.get("model_body")
        if model_body is not None:
            return Response(
                handlers.dumps(model_body),
                status_code=error.status,
                media_type="application/json",
                headers=handlers.CORS_HEADERS,
            )
        if error.origin in ("validation", "body") and error.status == 400:
            # Values the real server would reject on save; same shape as a model error.
            return json_response({"error": error.message}, 400)
        return json_response({"status": "error", "message": error.message}, error.status)

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        return [f"curl -H 'X-Auth-Token: {credentials['token']}' {base_url}/clientes"]


VENDOR = FacturaScripts()

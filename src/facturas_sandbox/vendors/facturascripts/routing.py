"""Answers for requests no operation of the contract matches, as the real dispatcher gives them.

The real server runs the key checks before it looks at the resource, so a route miss is
authenticated first (401/403/429 and their incidents). Then the version: `/api` alone is 400
`Versión de API no encontrada`, `/api/2/…` 400 `Versión de API no válida`. Then a model
resource answers its own 404 `Registro no encontrado` (e.g. `/3/productoimagenes/x` for an
integer key) and any other name 404 `Recurso de API no válido`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...errors import ApiError
from . import auth, engine
from .models import registry
from .paths import VERSION, segments

UNKNOWN_RESOURCE = "Recurso de API no válido"
NO_VERSION = "Versión de API no encontrada"
BAD_VERSION = "Versión de API no válida"


def is_schema_path(scope: Mapping[str, Any]) -> bool:
    parts = segments(scope)
    return len(parts) == 3 and parts[0] == VERSION and parts[2] == "schema" and parts[1] in registry()


def schema_method_not_allowed() -> ApiError:
    # The sandbox answers 405 where the real server answers an empty 200 (documented).
    return ApiError(405, "method_not_allowed", "Method not allowed", origin="routing", headers={"Allow": "GET"})


def not_found(scope: Mapping[str, Any]) -> ApiError:
    try:
        auth.authenticate(scope)
    except ApiError as exc:
        return exc
    parts = segments(scope)
    if not parts:
        return ApiError(400, "version", NO_VERSION, origin="routing")
    if parts[0] != VERSION:
        return ApiError(400, "version", BAD_VERSION, origin="routing")
    if len(parts) > 1 and parts[1] in registry():
        return engine.model_error(engine.NOT_FOUND, 404)
    return ApiError(404, "not_found", UNKNOWN_RESOURCE, origin="routing")

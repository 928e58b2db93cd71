"""Every exception a request can raise, answered in the API's own error shape.

Connexion's and Starlette's exceptions become the sandbox's `ApiError`; the mounted API (a
vendor or the control plane) may reinterpret it and renders it. Both the app's error handler
and the sandbox's middleware (which answers some errors before Connexion runs) use this.
"""

from __future__ import annotations

import logging

from connexion.exceptions import (
    BadRequestProblem,
    ExtraParameterProblem,
    Forbidden,
    NonConformingResponse,
    OAuthProblem,
    OAuthResponseProblem,
    OAuthScopeProblem,
    ProblemException,
    Unauthorized,
    UnsupportedMediaTypeProblem,
)
from connexion.lifecycle import ConnexionRequest, ConnexionResponse
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from .errors import ApiError, first_line, tenant_deleted
from .sandbox import Mount
from .store import StoreError, TenantDropped
from .tenants import UnknownTenant
from .vendors.control import CONTROL_PLANE

log = logging.getLogger("facturas_sandbox")


def to_api_error(exc: BaseException) -> ApiError:
    """Connexion's and Starlette's exceptions in the sandbox's terms."""
    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, (OAuthProblem, OAuthResponseProblem, Unauthorized)):
        return ApiError(
            401, "unauthorized", first_line(exc.detail) or "Missing or invalid credentials", origin="security"
        )
    if isinstance(exc, (Forbidden, OAuthScopeProblem)):
        return ApiError(403, "forbidden", first_line(exc.detail) or "Forbidden", origin="security")
    if isinstance(exc, UnsupportedMediaTypeProblem):
        return ApiError(415, "unsupported_media_type", first_line(exc.detail), origin="body")
    if isinstance(exc, ExtraParameterProblem):
        return ApiError(400, "unknown_parameter", first_line(exc.detail), origin="validation")
    if isinstance(exc, NonConformingResponse):
        log.error("response does not conform to the contract: %s", exc.detail)
        return ApiError(500, "nonconforming_response", first_line(exc.detail), origin="server")
    if isinstance(exc, BadRequestProblem):
        return ApiError(400, "bad_request", first_line(exc.detail) or "Bad request", origin="validation")
    if isinstance(exc, ProblemException):
        return ApiError(exc.status, "error", first_line(exc.detail) or exc.title or "Error", origin="validation")
    if isinstance(exc, HTTPException):
        if exc.status_code == 404:
            return ApiError(404, "not_found", "No such resource", origin="routing")
        if exc.status_code == 405:
            return ApiError(
                405, "method_not_allowed", "Method not allowed", origin="routing", headers=dict(exc.headers or {})
            )
        return ApiError(
            exc.status_code, "error", exc.detail or "Error", origin="routing", headers=dict(exc.headers or {})
        )
    if isinstance(exc, (TenantDropped, UnknownTenant)):
        return tenant_deleted()
    if isinstance(exc, StoreError):
        log.error("store unavailable: %s", exc)
        return ApiError(503, "storage_unavailable", f"The sandbox cannot store data right now: {exc}", origin="store")
    if isinstance(exc, UnicodeDecodeError):
        return ApiError(400, "invalid_body", "The request is not valid UTF-8", origin="body")
    if isinstance(exc, MultiPartException):
        return ApiError(400, "invalid_body", f"Malformed multipart body: {exc.message}", origin="body")
    log.exception("unhandled error", exc_info=exc)
    return ApiError(500, "internal_error", "The sandbox failed to handle this request", origin="server")


def render_error(mount: Mount | None, error: ApiError, path: str | None = None) -> Response:
    # The request path travels with the error: an API that picks its representation from the
    # URL (FACTURAgem's `.json` / `.xml`) renders errors in the same representation.
    if path is not None:
        error.extra.setdefault("path", path)
    api = mount.api if mount is not None else CONTROL_PLANE
    response = api.error_response(error)
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


async def handle_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
    error = to_api_error(exc)
    mount = request.scope.get("sandbox.mount")
    if error.status == 405 and mount is not None:
        # Connexion makes one route per operation, so its Allow names only one method;
        # the contract knows them all.
        error.headers["Allow"] = ", ".join(mount.allowed_methods(request.scope["path"]))
    # A vendor may reinterpret an error with the request at hand (FacturaScripts counts a
    # missing key as an incident against the client IP, and a banned IP gets 429 instead).
    if mount is not None:
        error = mount.api.translate_error(error, request.scope)
    response = render_error(mount, error, request.scope.get("path"))
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    return ConnexionResponse(
        status_code=response.status_code,
        body=response.body,
        mimetype=response.media_type or response.headers.get("content-type"),
        headers=headers,
    )


__all__ = ["handle_error", "render_error", "to_api_error"]

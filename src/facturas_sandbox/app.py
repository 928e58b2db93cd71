"""create_app(settings): every contract mounted on one Connexion AsyncApp."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import re
from collections.abc import AsyncIterator
from types import ModuleType
from typing import Any

from connexion import AsyncApp, ConnexionMiddleware
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
from connexion.middleware.context import ContextMiddleware
from connexion.middleware.exceptions import ExceptionMiddleware
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.response_validation import ResponseValidationMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.middleware.security import SecurityMiddleware
from connexion.middleware.server_error import ServerErrorMiddleware
from connexion.middleware.swagger_ui import SwaggerUIMiddleware
from connexion.options import SwaggerUIOptions
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.responses import Response

from . import connexion_compat
from .contracts import load_contract
from .errors import ApiError, first_line, tenant_deleted
from .middleware import FaultMiddleware, SandboxMiddleware
from .sandbox import Mount, Sandbox
from .settings import Settings
from .spec_validation import install as validate_contracts_once
from .store import StoreError, TenantDropped
from .tenants import UnknownTenant
from .validators import validator_map
from .vendors.control import CONTROL_PLANE

log = logging.getLogger("facturas_sandbox")


class _MultipleContentTypesFilter(logging.Filter):
    """Connexion warns on every request to an operation that accepts several body media
    types (FACTURAgem's JSON, XML and forms), which every vendor API here does on purpose:
    hundreds of identical lines a second under load say nothing to a sandbox user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("this operation accepts multiple content types")


logging.getLogger("connexion.operations.openapi3").addFilter(_MultipleContentTypesFilter())


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class ModuleResolver(Resolver):
    """operationId `listInvoices` → `handlers.list_invoices` of the API's own handler module.

    Contracts keep the vendor-facing operation ids (they show up in reports and the journal)
    instead of Python import paths.
    """

    def __init__(self, module: ModuleType) -> None:
        super().__init__(function_resolver=self._resolve)
        self._module = module

    def _resolve(self, operation_id: str) -> Any:
        for name in (_snake(operation_id), operation_id):
            handler = getattr(self._module, name, None)
            if handler is not None:
                return handler
        raise ImportError(f"{self._module.__name__} has no handler for operationId {operation_id!r}")


def create_app(settings: Settings, sandbox: Sandbox | None = None) -> AsyncApp:
    validate_contracts_once()
    sandbox = sandbox or Sandbox.open(settings)

    running = [0]  # lifespans in progress: a test may run the app in a second client meanwhile

    @contextlib.asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        running[0] += 1
        try:
            yield
        finally:
            running[0] -= 1
            # The last one out closes the store (a closed PostgreSQL pool cannot serve again).
            if running[0] == 0:
                sandbox.close()

    app = connexion_compat.app_class()(__name__, lifespan=lifespan, middlewares=middlewares(sandbox))
    common = {
        "validator_map": connexion_compat.validator_map(validator_map()),
        "security_map": connexion_compat.security_map(),
        "validate_responses": settings.validate_responses,
        "swagger_ui_options": SwaggerUIOptions(swagger_ui_path="/ui"),
    }
    for vendor in sandbox.mounted_vendors():
        prefix = sandbox.vendor_prefix(vendor)
        contract = load_contract(vendor.name)
        app.add_api(
            contract,
            base_path=prefix,
            name=vendor.name,
            resolver=ModuleResolver(vendor.handlers),
            strict_validation=vendor.strict_validation,
            **common,
        )
        sandbox.add_mount(vendor, prefix, contract)
    control = load_contract("sandbox")
    app.add_api(
        control,
        base_path="/_sandbox",
        name="sandbox",
        resolver=ModuleResolver(CONTROL_PLANE.handlers),
        strict_validation=CONTROL_PLANE.strict_validation,
        **common,
    )
    sandbox.add_mount(CONTROL_PLANE, "/_sandbox", control)

    for exc_type in (ApiError, ProblemException, HTTPException, StoreError, TenantDropped, UnknownTenant, Exception):
        app.add_error_handler(exc_type, _handle_error)
    app.sandbox = sandbox  # type: ignore[attr-defined]
    return app


def middlewares(sandbox: Sandbox) -> list[Any]:
    """Connexion's default stack with the sandbox's two middlewares in it.

    `SandboxMiddleware` goes outside the exception layer, so it sees every response, the
    rendered errors included; `FaultMiddleware` after security (the tenant is known) and before
    request validation. Request validation is connexion_compat's, which does its per-operation
    work once.
    """
    return [
        ServerErrorMiddleware,
        functools.partial(SandboxMiddleware, sandbox=sandbox),
        ExceptionMiddleware,
        SwaggerUIMiddleware,
        RoutingMiddleware,
        SecurityMiddleware,
        functools.partial(FaultMiddleware, sandbox=sandbox),
        connexion_compat.request_validation_middleware(),
        ResponseValidationMiddleware,
        LifespanMiddleware,
        ContextMiddleware,
    ]


SETTINGS_ENV = "FACTURAS_SANDBOX_SETTINGS"


def app_from_environment() -> AsyncApp:
    """The app factory `serve --reload` hands to uvicorn: each reload builds a new app (and
    re-reads the contracts and fixtures) from the settings the command line put in the
    environment."""
    return create_app(Settings.from_json(os.environ[SETTINGS_ENV]))


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


async def _handle_error(request: ConnexionRequest, exc: Exception) -> ConnexionResponse:
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


__all__ = ["ConnexionMiddleware", "create_app", "render_error", "to_api_error"]

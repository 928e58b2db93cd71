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
from connexion.exceptions import ProblemException
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

from . import connexion_compat, log_escape
from .contracts import load_contract
from .error_answers import handle_error
from .errors import ApiError
from .middleware import FaultMiddleware, SandboxMiddleware
from .sandbox import Sandbox
from .settings import Settings
from .spec_validation import install as validate_contracts_once
from .store import StoreError, TenantDropped
from .tenants import UnknownTenant
from .validators import exact_body, validator_map
from .vendors.control import CONTROL_PLANE

log = logging.getLogger("facturas_sandbox")


class _MultipleContentTypesFilter(logging.Filter):
    """Connexion warns on every request to an operation that accepts several body media
    types (FACTURAgem's JSON, XML and forms), which every vendor API here does on purpose:
    hundreds of identical lines a second under load say nothing to a sandbox user."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("this operation accepts multiple content types")


logging.getLogger("connexion.operations.openapi3").addFilter(_MultipleContentTypesFilter())


class _BareValidationErrorFilter(logging.Filter):
    """Connexion logs `Validation error: 'login' is a required property` with no method, path or
    API; `_log_refusal` says the same with all three, once per refused request."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Validation error:")


for _name in ("connexion.validators.json", "connexion.validators.form_data", "connexion.validators.parameter"):
    logging.getLogger(_name).addFilter(_BareValidationErrorFilter())


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
                return exact_body(handler)
        raise ImportError(f"{self._module.__name__} has no handler for operationId {operation_id!r}")


def create_app(settings: Settings, sandbox: Sandbox | None = None) -> AsyncApp:
    log_escape.install()
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
        app.add_error_handler(exc_type, handle_error)
    app.sandbox = sandbox
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


__all__ = ["ConnexionMiddleware", "create_app", "middlewares"]

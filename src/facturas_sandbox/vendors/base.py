"""What every API the sandbox mounts provides to the core, in one place.

`Api` is what the app, the middleware and the error handler call on any mounted API, the
control plane included; `Vendor` adds what the tenant registry needs of a vendor API: how to
mint credentials, which secrets they hold, how to seed a tenant from `fixtures/`, how a client
authenticates. Every hook the core calls is declared here, with the default that fits most
APIs, so a reader sees exactly what a vendor must provide (the abstract methods) and what it
may change (the rest). Nothing else in the sandbox knows vendor details.
"""

from __future__ import annotations

import importlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, ClassVar

from starlette.datastructures import Headers
from starlette.responses import Response

from ..contracts import fixtures_dir
from ..errors import ApiError

if TYPE_CHECKING:
    from ..tenants import Tenant


@dataclass(frozen=True)
class Secret:
    """A credential the sandbox recognises: which API it opens and with what role."""

    value: str
    role: str


class Api(ABC):
    """A mounted API: its contract's name, where it hangs, how its errors look."""

    name: str  # "facturovia": URL prefix, credentials key, contract file name
    title: str
    base_path: str  # the vendor's real path, e.g. "/api"
    handlers: ModuleType  # operationId `listInvoices` resolves to `handlers.list_invoices`
    # Connexion's strict validation: unknown query parameters are a 400 (the control plane's
    # choice; vendors accept what their real servers ignore).
    strict_validation: bool = False
    # The sandbox adds `Access-Control-Allow-Origin: *` (and exposes these headers) to every
    # answer unless the API sets its CORS headers itself, as the real FacturaScripts does.
    cors: bool = True
    cors_expose_headers: str = "X-Sandbox-Warning"
    # Whether every OPTIONS is a CORS preflight, with or without Access-Control-Request-Method.
    preflight_every_options: bool = False

    @abstractmethod
    def error_response(self, error: ApiError) -> Response:
        """The error in this API's own shape."""

    def translate_error(self, error: ApiError, scope: Any) -> ApiError:
        """Reinterpret an error with the request at hand (e.g. an auth failure that counts as
        an incident); by default the error as it is."""
        return error

    def preflight(self, headers: Headers) -> tuple[int, dict[str, str]] | None:
        """The status and headers of a CORS preflight, or None for the sandbox's default."""
        return None


class Vendor(Api):
    """A vendor API: credentials, seeding and the client's view of them.

    A vendor package holds a `fixtures` module whose `load(tenant, data)` writes the data of
    `fixtures/<name>.json` into a new (or reset) tenant.
    """

    # The credentials that authenticate requests, each with the role it opens (what `secrets`
    # reads by default).
    secret_roles: ClassVar[dict[str, str]] = {}
    # The demo tenant's credentials: those of the vendor's documentation where it has some, so
    # that the documented requests work as written.
    demo_credentials: ClassVar[dict[str, str]]

    def new_credentials(self, *, demo: bool) -> dict[str, Any]:
        """Credentials for a new tenant, as shown in `POST /_sandbox/tenants`."""
        return dict(self.demo_credentials) if demo else self.fresh_credentials()

    @abstractmethod
    def fresh_credentials(self) -> dict[str, Any]:
        """New random credentials, in the shapes of the vendor's own."""

    def secrets(self, credentials: dict[str, Any]) -> list[Secret]:
        """The secrets in those credentials that authenticate requests: by default the
        credentials `secret_roles` names, each with its role."""
        return [Secret(credentials[key], role) for key, role in self.secret_roles.items()]

    @abstractmethod
    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        """Lines printed at start-up: how to call this API with these credentials."""

    def stored_secrets(self, tenant: Tenant) -> list[Secret]:
        """Secrets a client created through the API itself (FacturaScripts' `apikeyes`), which
        the credential index must hold as well; none by default."""
        return []

    def auth_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        """Headers that authenticate a request with these credentials, for APIs that take a
        header credential (tests and the pytest plugin use it)."""
        raise KeyError(f"{self.name} authenticates with a session: see credentials[{self.name!r}]")

    def seed(self, tenant: Tenant) -> None:
        """Fill a new (or reset) tenant's store with `fixtures/<name>.json`."""
        with open(fixtures_dir() / f"{self.name}.json", encoding="utf-8") as fh:
            data = json.load(fh)
        self.fixtures().load(tenant, data)

    def fixtures(self) -> Any:
        # Imported on first use: the fixtures modules import the vendor's documents, which
        # import the tenant registry, which imports this module.
        return importlib.import_module(f"{type(self).__module__}.fixtures")

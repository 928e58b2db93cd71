"""What every vendor API package provides to the app.

A vendor package knows its contract, how to mint credentials for a tenant, how to seed a new
tenant from `fixtures/`, and how its errors look. The app mounts it, the tenant registry
provisions it; nothing else in the sandbox knows vendor details.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any, Protocol

from starlette.responses import Response

from ..errors import ApiError

if TYPE_CHECKING:
    from ..tenants import Tenant


@dataclass(frozen=True)
class Secret:
    """A credential the sandbox recognises: which API it opens and with what role."""

    value: str
    role: str


class Vendor(Protocol):
    name: str  # "facturovia": URL prefix, credentials key, contract file name
    title: str
    base_path: str  # the vendor's real path, e.g. "/api"
    handlers: ModuleType  # operationId `listInvoices` resolves to `handlers.list_invoices`

    def new_credentials(self, *, demo: bool) -> dict[str, Any]:
        """Credentials for a new tenant, as shown in `POST /_sandbox/tenants`."""

    def secrets(self, credentials: dict[str, Any]) -> list[Secret]:
        """The secrets in those credentials that authenticate requests."""

    def seed(self, tenant: Tenant) -> None:
        """Fill a new (or reset) tenant's store with fixtures."""

    def error_response(self, error: ApiError) -> Response:
        """The error in this API's own shape."""

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        """Lines printed at start-up: how to call this API with these credentials."""

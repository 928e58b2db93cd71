"""One error type for every API; each vendor renders it in its own shape.

Handlers raise `ApiError`. Errors Connexion raises (security, request validation, routing)
are translated into `ApiError` by the app's exception handlers, so a vendor's renderer is the
only place that knows what its error bodies look like.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


# Where an error came from: "handler" (a business rule), "security", "validation" (request
# schema), "body" (unparseable body), "routing", "limit", "store", "fault" (injected),
# "server", "document" (a vendor's own document controller, in its own wording).
Origin = Literal[
    "handler", "security", "validation", "body", "routing", "limit", "store", "fault", "server", "document"
]


class ApiError(Exception):
    """An error answer. `code` is a stable machine name; `message` is for people.

    `origin` says where it came from, so a vendor can map it (see `Origin`).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: list[FieldError] | None = None,
        origin: Origin = "handler",
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields or []
        self.origin = origin
        self.headers = headers or {}
        self.extra = extra or {}

    def __repr__(self) -> str:
        return f"ApiError({self.status}, {self.code!r}, {self.message!r})"


TENANT_DELETED = "tenant_deleted"


def tenant_deleted() -> ApiError:
    """A request whose tenant was deleted while it was in flight: its credentials are no longer
    valid. Each API renders it as its own 401 (the control plane as its 404)."""
    return ApiError(401, TENANT_DELETED, "These credentials belong to a tenant that was deleted", origin="security")


def first_line(text: str) -> str:
    # jsonschema messages for parameters span many lines (the whole schema); users need one.
    return (text or "").strip().splitlines()[0] if text and text.strip() else ""

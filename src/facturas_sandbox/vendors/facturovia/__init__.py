"""Facturovia (Spanish invoicing SaaS): bearer keys, drafts, issue, rectify, PDF."""

from __future__ import annotations

from typing import Any, ClassVar

from starlette.responses import Response

from ...errors import ApiError
from ...responses import json_response
from ...tenants import new_secret
from ..base import Vendor
from . import documents as docs
from . import handlers
from .pdf import COMPANY

DEMO_READ_WRITE = "fv_live_demo_rw_0000000000000000000000"
DEMO_READ_ONLY = "fv_live_demo_ro_0000000000000000000000"


class Facturovia(Vendor):
    name = "facturovia"
    title = "Facturovia"
    base_path = "/api"
    handlers = handlers

    secret_roles: ClassVar[dict[str, str]] = {"read_write": "read_write", "read_only": "read_only"}
    demo_credentials: ClassVar[dict[str, str]] = {"read_write": DEMO_READ_WRITE, "read_only": DEMO_READ_ONLY}

    def fresh_credentials(self) -> dict[str, Any]:
        return {"read_write": new_secret("fv_live_"), "read_only": new_secret("fv_live_")}

    def auth_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": f"Bearer {credentials['read_write']}"}

    def error_response(self, error: ApiError) -> Response:
        status = error.status
        code = error.code
        # Facturovia documents 422 for invalid data: schema violations of the body or the
        # query land there; only unparseable bodies stay 400.
        if error.origin == "validation" and status == 400:
            status, code = 422, "invalid_data"
        body = {"error": {"code": code, "message": error.message, "fields": [f.as_dict() for f in error.fields]}}
        headers = {"WWW-Authenticate": 'Bearer realm="facturovia"'} if status == 401 else None
        return json_response(body, status, headers)

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        return [f"curl -H 'Authorization: Bearer {credentials['read_write']}' {base_url}/invoices"]


VENDOR = Facturovia()

__all__ = ["COMPANY", "VENDOR", "docs"]

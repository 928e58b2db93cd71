"""Facturala (Colombia, 2015): company invoices with VAT-included totals, raw-token auth."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from starlette.responses import Response

from ...errors import ApiError
from ...responses import json_response
from ..base import Vendor
from . import handlers

# The demo tenant uses the token and company of the vendor's documentation, so the documented
# requests work as written.
DEMO_TOKEN = "66e58291f7cbcd5157f3"
DEMO_COMPANY_ID = "56491cd4e4b0c19ae3b74ed3"


class Facturala(Vendor):
    name = "facturala"
    title = "Facturala"
    base_path = "/facturala/api"
    handlers = handlers

    secret_roles: ClassVar[dict[str, str]] = {"token": "owner"}
    demo_credentials: ClassVar[dict[str, str]] = {"token": DEMO_TOKEN, "company_id": DEMO_COMPANY_ID}

    def fresh_credentials(self) -> dict[str, Any]:
        # Same shapes as the vendor's: a 20-hex token, a 24-hex (MongoDB ObjectId) company.
        return {"token": secrets.token_hex(10), "company_id": secrets.token_hex(12)}

    def auth_headers(self, credentials: dict[str, Any]) -> dict[str, str]:
        return {"Authorization": credentials["token"]}

    def error_response(self, error: ApiError) -> Response:
        status = error.status
        code = error.code
        # The vendor documents 400 for every invalid request (companyId, invoiceNumber, body).
        if status == 422:
            status = 400
        body = {
            "status": status,
            "code": code,
            "message": error.message,
            "fields": [f.as_dict() for f in error.fields],
        }
        return json_response(body, status)

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        return [
            f"curl -H 'Authorization: {credentials['token']}' {base_url}/companies/{credentials['company_id']}/invoices"
        ]


VENDOR = Facturala()

__all__ = ["DEMO_COMPANY_ID", "DEMO_TOKEN", "VENDOR"]

"""FACTURAgem (Spanish Rails SaaS): sessions with api keys, `.json`/`.xml`, links, strict params."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from starlette.responses import Response

from ...errors import ApiError
from ...responses import json_response
from ..base import Secret, Vendor
from . import handlers
from .auth import API, API_KEY_ROLE, LOGIN_ROLE, login_secret
from .railsxml import to_xml
from .representation import full_messages

# Stable and documented (README, docs/facturagem.md): the demo tenant's FACTURAgem user.
DEMO_LOGIN = "demo"
DEMO_PASSWORD = "demo-facturagem-2026"
FORMAT_ERROR = "is not one of ['json', 'xml']"


class Facturagem(Vendor):
    name = "facturagem"
    title = "FACTURAgem"
    base_path = "/api/v1"
    handlers = handlers

    demo_credentials: ClassVar[dict[str, str]] = {"login": DEMO_LOGIN, "password": DEMO_PASSWORD}

    def fresh_credentials(self) -> dict[str, Any]:
        return {
            "login": "user_" + secrets.token_hex(6),
            "password": "pw" + secrets.token_hex(12),
        }  # never a leading "-", which CLIs read as an option

    def secrets(self, credentials: dict[str, Any]) -> list[Secret]:
        out = [Secret(login_secret(credentials["login"], credentials["password"]), LOGIN_ROLE)]
        if credentials.get("api_key"):
            out.append(Secret(credentials["api_key"], API_KEY_ROLE))
        return out

    def error_response(self, error: ApiError) -> Response:
        path = str(error.extra.get("path") or "")
        format = "xml" if path.endswith(".xml") else "json"
        status = error.status
        if error.origin == "validation" and FORMAT_ERROR in error.message:
            # `.html`, `.csv`…: Rails answers 406 Not Acceptable for a format it does not serve.
            status, format = 406, "json"
            errors: dict[str, list[str]] = {"base": ["Not Acceptable: use .json or .xml"]}
        elif error.fields:
            errors = {}
            for f in error.fields:
                errors.setdefault(f.field or "base", []).append(f.message)
        else:
            errors = {"base": [error.message]}
        if (
            error.origin in ("validation", "body")
            and status == 400
            and error.code not in ("invalid_body", "invalid_text")
        ):
            status = 422  # Rails: parameters that do not validate are Unprocessable Entity
        body: dict[str, Any] = {"errors": errors}
        if "allowed_params" in error.extra:
            body["allowed_params"] = error.extra["allowed_params"]
        headers = {"WWW-Authenticate": 'Token realm="facturagem"'} if status == 401 else None
        if format == "xml":
            xml = to_xml("hash", {**body, "errors": full_messages(errors)})
            return Response(xml, status_code=status, media_type="application/xml", headers=headers)
        return json_response(body, status, headers)

    def usage(self, base_url: str, credentials: dict[str, Any]) -> list[str]:
        return [
            f"curl -X POST {base_url}/session.json"
            f" -d login={credentials['login']} -d password={credentials['password']}",
            f"curl '{base_url}/accounts.json?api_key=<api_key from the session>'",
        ]


VENDOR = Facturagem()

__all__ = ["API", "DEMO_LOGIN", "DEMO_PASSWORD", "VENDOR"]

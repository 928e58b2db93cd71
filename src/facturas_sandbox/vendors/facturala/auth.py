"""Facturala tokens: the raw token in `Authorization`, each bound to one company."""

from __future__ import annotations

import re
from typing import Any

from connexion.lifecycle import ConnexionRequest

from ...errors import ApiError

COMPANY_ID = re.compile(r"^[0-9a-fA-F]{24}$")


def token_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    found = request.scope["sandbox"].tenants.resolve("facturala", token.strip())
    if found is None:
        return None
    tenant, role = found
    company_id = tenant.credentials["facturala"]["company_id"]
    requested = (request.scope.get("path_params") or {}).get("companyId")
    # A malformed companyId is left to request validation (400); a well-formed one of another
    # company is refused here, before the body is looked at.
    if isinstance(requested, str) and COMPANY_ID.match(requested) and requested.lower() != company_id:
        raise ApiError(403, "forbidden", "This token has no access to company " + requested, origin="security")
    return {"tenant": tenant.id, "role": role, "sub": company_id, "company_id": company_id}

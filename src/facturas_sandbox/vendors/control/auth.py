"""Control-plane credentials: a tenant's admin token, or the server's operator token."""

from __future__ import annotations

import hmac
from typing import Any

from connexion.lifecycle import ConnexionRequest


def admin_token_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    sandbox = request.scope["sandbox"]
    operator = sandbox.settings.operator_token
    if operator and hmac.compare_digest(token.encode(), operator.encode()):
        return {"role": "operator", "sub": "operator"}
    tenant = sandbox.tenants.tenant_of_admin_token(token)
    if tenant is None:
        return None
    return {"role": "admin", "tenant": tenant.id, "sub": tenant.id}

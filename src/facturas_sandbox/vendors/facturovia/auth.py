"""Facturovia keys: `Authorization: Bearer fv_live_…`, read-write or read-only."""

from __future__ import annotations

from typing import Any

from connexion.lifecycle import ConnexionRequest


def bearer_info(token: str, request: ConnexionRequest) -> dict[str, Any] | None:
    found = request.scope["sandbox"].tenants.resolve("facturovia", token)
    if found is None:
        return None
    tenant, role = found
    return {"tenant": tenant.id, "role": role, "sub": tenant.id}

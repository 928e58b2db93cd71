"""The tenant's settings (`settings` rows, Tools::settings()): the defaults the models' clear() reads."""

from __future__ import annotations

import json
from typing import Any

from ...tenants import Tenant
from . import engine


def group(tenant: Tenant, name: str) -> dict[str, Any]:
    row = engine.load(tenant.store, engine.model("settings"), name)
    try:
        properties = json.loads((row or {}).get("properties") or "{}")
    except (ValueError, RecursionError):
        # A client may write any text here, nested as deep as it likes; the real server's
        # json_decode reads that as no settings (null past its depth limit).
        return {}
    return properties if isinstance(properties, dict) else {}


def default(tenant: Tenant, key: str, fallback: Any = None) -> Any:
    """Tools::settings('default', key, fallback); only a plain value counts (a client may have
    written anything into the settings' text)."""
    value = group(tenant, "default").get(key)
    return fallback if value is None or not isinstance(value, (str, int, float, bool)) else value

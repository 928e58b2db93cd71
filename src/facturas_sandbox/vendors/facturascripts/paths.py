"""Where a request points: the path's segments after the mount, its version and resource.

Read by the key checks (a key's permissions are per resource) and by the routing errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

VERSION = "3"


def segments(scope: Mapping[str, Any]) -> list[str]:
    """The path's segments after the mount prefix (`/api`): the version first."""
    mount = scope.get("sandbox.mount")
    path = scope.get("path", "")
    prefix = mount.prefix if mount is not None else ""
    rest = path[len(prefix) :] if path.startswith(prefix) else path
    return [part for part in rest.split("/") if part]


def resource_of(scope: Mapping[str, Any]) -> str:
    """The resource a request names (`` for the root `/api/3`)."""
    parts = segments(scope)
    return parts[1] if len(parts) > 1 else ""

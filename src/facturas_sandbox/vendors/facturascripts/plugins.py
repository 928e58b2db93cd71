"""The installation's plugins (ApiPlugins): a catalogue from the fixtures, enabled per tenant.

Each tenant is one installation, so enabling a plugin in one tenant changes nothing in another.
The list's filters and sort follow the real controller: PHP's loose comparisons on the
plugins' fields, a field a plugin lacks filters it out, and only `DESC` sorts descending.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from typing import Any

from ...contracts import fixtures_dir
from ...errors import ApiError
from ...responses import current_role
from ...tenants import Tenant

STATE = "fs_plugins"


@functools.cache
def _fixture() -> dict[str, Any]:
    with open(fixtures_dir() / "facturascripts.json", encoding="utf-8") as fh:
        data = json.load(fh)
    return {"core_version": str(data["installation"]["core_version"]), "plugins": data["installation"]["plugins"]}


CORE_VERSION: str = _fixture()["core_version"]


def _error(status: int, message: str) -> ApiError:
    return ApiError(status, "plugin", message, origin="document")


def _state(tenant: Tenant) -> dict[str, bool]:
    rows = tenant.store.collection(STATE, key="name").all()
    return {row["name"]: bool(row["enabled"]) for row in rows}


def listing(tenant: Tenant) -> list[dict[str, Any]]:
    """Every plugin as the real Plugins::list() describes it, in the catalogue's order."""
    state = _state(tenant)
    core = float(CORE_VERSION)
    return [
        {
            "name": p["name"],
            "description": p["description"],
            "version": p["version"],
            "enabled": state.get(p["name"], bool(p.get("enabled"))),
            "compatible": float(p["min_version"]) <= core,
            "min_version": p["min_version"],
            "min_php": p["min_php"],
            "require": list(p.get("require", [])),
            "folder": p["name"],
        }
        for p in _fixture()["plugins"]
    ]


def find(tenant: Tenant, name: str) -> dict[str, Any]:
    for plugin in listing(tenant):
        if plugin["name"] == name:
            return plugin
    raise _error(404, f"plugin-not-found: {name}")


def _require_full_access() -> None:
    if current_role() != "fullaccess":
        raise _error(403, "full-access-required")


def _set(tenant: Tenant, name: str, enabled: bool) -> None:
    with tenant.store.transaction():
        tenant.store.collection(STATE, key="name").replace({"name": name, "enabled": enabled})


def enable(tenant: Tenant, name: str) -> tuple[str, dict[str, Any]]:
    _require_full_access()
    plugin = find(tenant, name)
    if plugin["enabled"]:
        return "Sin cambios", plugin
    if not plugin["compatible"]:
        raise _error(409, f"plugin-not-compatible: {name}")
    enabled = {p["name"] for p in listing(tenant) if p["enabled"]}
    for needed in plugin["require"]:
        if needed not in enabled:
            raise _error(409, f"plugin-needed: {needed}")
    _set(tenant, name, True)
    return f"plugin-enabled: {name}", find(tenant, name)


def disable(tenant: Tenant, name: str) -> tuple[str, dict[str, Any]]:
    _require_full_access()
    plugin = find(tenant, name)
    if not plugin["enabled"]:
        return "Sin cambios", plugin
    for other in listing(tenant):
        if other["enabled"] and name in other["require"]:
            raise _error(409, f"plugin-required-by: {other['name']}")
    _set(tenant, name, False)
    return f"plugin-disabled: {name}", find(tenant, name)


# -- the list's filters and sort: PHP 8 loose comparison ---------------------------------------------
_SUFFIXES = (("_gt", ">"), ("_lt", "<"), ("_gte", ">="), ("_lte", "<="), ("_neq", "!="), ("_like", "LIKE"))


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value)
    try:
        return float(str(value).strip()) if str(value).strip() else None
    except ValueError:
        return None


def php_string(value: Any) -> str:
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, list):
        return "Array"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _php_bool(value: Any) -> bool:
    return value not in (None, False, 0, 0.0, "", "0") and value != []


def php_compare(a: Any, b: Any) -> int:
    """PHP 8's `<=>` for a plugin's value against a query string (or null)."""
    if a is None and isinstance(b, str):
        a = ""  # null against a string compares as the empty string
    elif isinstance(a, bool) or isinstance(b, bool) or a is None or b is None:
        left, right = _php_bool(a), _php_bool(b)  # bool or null against anything: both as bools
        return (left > right) - (left < right)
    if isinstance(a, list):
        return 1  # an array is greater than any scalar
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return (na > nb) - (na < nb)
    sa, sb = php_string(a), php_string(b)
    return (sa > sb) - (sa < sb)


def _matches(plugin: dict[str, Any], key: str, value: Any) -> bool:
    field, operator = key, "="
    for suffix, op in _SUFFIXES:
        if key.endswith(suffix):
            field, operator = key[: -len(suffix)], op
            break
    else:
        if key.endswith("_null"):
            field, operator = key[:-5], "IS"
        elif key.endswith("_notnull"):
            field, operator = key[:-8], "IS NOT"
    if field not in plugin:
        return False
    current = plugin[field]
    if operator == "IS":
        return current is None
    if operator == "IS NOT":
        return current is not None
    if operator == "LIKE":
        return php_string(value).lower() in php_string(current).lower()
    order = php_compare(current, value)
    return {"=": order == 0, "!=": order != 0, ">": order > 0, "<": order < 0, ">=": order >= 0, "<=": order <= 0}[
        operator
    ]


def select(plugins: list[dict[str, Any]], filters: dict[str, Any]) -> list[dict[str, Any]]:
    return [p for p in plugins if all(_matches(p, k, v) for k, v in filters.items())]


def sort(plugins: list[dict[str, Any]], order: Iterable[tuple[str, str]]) -> list[dict[str, Any]]:
    """A stable sort by each key in turn; only `DESC` (exactly) is descending, as usort's callback."""
    out = list(plugins)
    for key, direction in reversed(list(order)):
        present = [p for p in out if key in p]
        if len(present) != len(out):
            continue  # the real comparator skips a key a plugin lacks

        def compare(a: dict[str, Any], b: dict[str, Any], k: str = key) -> int:
            return php_compare(a[k], b[k])

        out.sort(key=functools.cmp_to_key(compare), reverse=direction == "DESC")
    return out

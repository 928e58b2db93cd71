"""The models' save rules, registered per resource and event, for the engine to run.

FacturaScripts' models override clear(), test(), saveInsert(), delete() … class by class;
the sandbox's engine is one generic ModelClass, so each rule module registers what its models
do at import (`@hooks.before_save("stocks")`), and the engine runs the hooks registered for
the resource it saves. This module imports nothing of the vendor, so the engine and the rules
can both import it without a cycle; the vendor package imports every rule module once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from ...tenants import Tenant
    from .models import Model

Record = dict[str, Any]
# clear(tenant, m, record): fill a new record before the client's values (the models' clear());
# before_save(tenant, m, record, previous): test(), may complete the record or raise SaveError
#   (previous is None on insert); after_insert / after_delete(tenant, m, record);
# after_update(tenant, m, previous, record); refusal(tenant, m, record): why a delete is refused.
Event = Literal["clear", "before_save", "after_insert", "after_update", "refusal", "after_delete"]
F = TypeVar("F", bound=Callable[..., Any])

# event -> resource -> hooks in registration order, keyed by the hook's qualified name so that
# registering a function again (a module imported twice) replaces it instead of doubling it.
_HOOKS: dict[str, dict[str, dict[str, Callable[..., Any]]]] = {}


def register(event: Event, resources: tuple[str, ...] | list[str] | set[str], hook: Callable[..., Any]) -> None:
    name = f"{hook.__module__}.{hook.__qualname__}"
    for resource in sorted(resources):
        _HOOKS.setdefault(event, {}).setdefault(resource, {})[name] = hook


def _decorator(event: Event) -> Callable[..., Callable[[F], F]]:
    def on(*resources: str) -> Callable[[F], F]:
        def decorate(hook: F) -> F:
            register(event, resources, hook)
            return hook

        return decorate

    return on


clear = _decorator("clear")
before_save = _decorator("before_save")
after_insert = _decorator("after_insert")
after_update = _decorator("after_update")
refusal = _decorator("refusal")
after_delete = _decorator("after_delete")


def of(event: Event, resource: str) -> list[Callable[..., Any]]:
    """The hooks registered for a resource's event, in registration order."""
    return list(_HOOKS.get(event, {}).get(resource, {}).values())


def run(event: Event, resource: str, *args: Any) -> None:
    for hook in of(event, resource):
        hook(*args)


def first_refusal(tenant: Tenant, m: Model, record: Record) -> str | None:
    """The first reason a hook gives to refuse deleting the record, or None."""
    for hook in of("refusal", m.resource):
        reason: str | None = hook(tenant, m, record)
        if reason is not None:
            return reason
    return None

"""The models' save rules, registered per resource and event, for the engine to run.

FacturaScripts' models override clear(), test(), saveInsert(), delete() … class by class;
the sandbox's engine is one generic ModelClass, so each rule module registers what its models
do at import (`@hooks.before_save("stocks")`), and the engine runs the hooks registered for
the resource it saves. This module imports nothing of the vendor, so the engine and the rules
can both import it without a cycle; the vendor package imports every rule module once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, TypeVar

if TYPE_CHECKING:
    from ...tenants import Tenant
    from .models import Model

# clear(tenant, m, record): fill a new record before the client's values (the models' clear());
# before_save(tenant, m, record, previous): test(), may complete the record or raise SaveError
#   (previous is None on insert); after_insert / after_delete(tenant, m, record);
# after_update(tenant, m, previous, record); refusal(tenant, m, record): why a delete is refused.
Event = Literal["clear", "before_save", "after_insert", "after_update", "refusal", "after_delete"]
# Which resources a hook is for: named, or a test of the resource's name that is first asked
# when a record is saved (the document types are read from the contract only then).
Matcher = Callable[[str], bool]
F = TypeVar("F", bound=Callable[..., Any])

# event -> hook name -> (matcher, hook), in registration order; keyed by the hook's qualified
# name so that registering a function again (a module imported twice) replaces it.
_HOOKS: dict[str, dict[str, tuple[Matcher, Callable[..., Any]]]] = {}
_RESOLVED: dict[tuple[str, str], list[Callable[..., Any]]] = {}


def register(event: Event, resources: Iterable[str] | Matcher, hook: Callable[..., Any]) -> None:
    matcher = resources if callable(resources) else frozenset(resources).__contains__
    _HOOKS.setdefault(event, {})[f"{hook.__module__}.{hook.__qualname__}"] = (matcher, hook)
    _RESOLVED.clear()


def _decorator(event: Event) -> Callable[..., Callable[[F], F]]:
    def on(*resources: str | Matcher) -> Callable[[F], F]:
        first = resources[0] if len(resources) == 1 else None
        matcher: Iterable[str] | Matcher = first if callable(first) else [str(r) for r in resources]

        def decorate(hook: F) -> F:
            register(event, matcher, hook)
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
    key = (event, resource)
    found = _RESOLVED.get(key)
    if found is None:
        found = _RESOLVED[key] = [hook for matches, hook in _HOOKS.get(event, {}).values() if matches(resource)]
    return found


def run(event: Event, resource: str, *args: Any) -> None:
    for hook in of(event, resource):
        hook(*args)


def first_refusal(tenant: Tenant, m: Model, record: dict[str, Any]) -> str | None:
    """The first reason a hook gives to refuse deleting the record, or None."""
    for hook in of("refusal", m.resource):
        reason: str | None = hook(tenant, m, record)
        if reason is not None:
            return reason
    return None

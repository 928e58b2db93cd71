"""The conformance suite has teeth: it flags every broken variant of the sandbox and passes
the intact one on the same operations."""

from __future__ import annotations

import time
from typing import Any

import pytest
from sandbox_variants import VARIANTS, Variant, run_variant

from facturas_sandbox.conformance.strategies import register_formats

register_formats()


@pytest.fixture(scope="module")
def sandbox(app: Any, client: Any) -> Any:  # `client` runs the app's lifespan
    return app


def _failed_checks(verdict: Any) -> set[str]:
    return {f.check for f in verdict.failures} | {
        name for op in verdict.operations.values() for name, count in op.failed.items() if count
    }


@pytest.mark.parametrize("variant", VARIANTS, ids=[v.name for v in VARIANTS])
def test_broken_variant_is_flagged(sandbox: Any, variant: Variant, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant, _ = sandbox.sandbox.tenants.create(name=f"variant-{variant.name}")
    if variant.patch:
        variant.patch(monkeypatch)
    started = time.monotonic()
    verdict = run_variant(sandbox, tenant, variant, api=variant.api, operations=variant.operations)
    failed = _failed_checks(verdict)
    assert failed & variant.expect, (
        f"{variant.name} not flagged by {variant.expect} in {time.monotonic() - started:.1f}s; "
        f"failed checks: {sorted(failed)}\n{verdict.summary()}"
    )


def _intact_runs() -> list[tuple[str, tuple[str, ...], list[str]]]:
    """The variants' runs grouped by API and phases: (api, phases, operations)."""
    groups: dict[tuple[str, tuple[str, ...]], set[str]] = {}
    for variant in VARIANTS:
        groups.setdefault((variant.api, variant.phases), set()).update(variant.operations)
    return [(api, phases, sorted(ops)) for (api, phases), ops in groups.items()]


@pytest.mark.parametrize(("api", "phases", "operations"), _intact_runs(), ids=lambda v: v if isinstance(v, str) else "")
def test_intact_sandbox_passes_the_same_runs(
    sandbox: Any, api: str, phases: tuple[str, ...], operations: list[str]
) -> None:
    tenant, _ = sandbox.sandbox.tenants.create(name=f"intact-{api}")
    verdict = run_variant(sandbox, tenant, None, api=api, operations=operations, phases=phases)
    assert verdict.checks_run > 0
    assert verdict.conforms, verdict.summary()


def test_every_api_has_variants_and_fifteen_in_all() -> None:
    per_api: dict[str, int] = {}
    for variant in VARIANTS:
        per_api[variant.api] = per_api.get(variant.api, 0) + 1
    assert len(VARIANTS) >= 15
    assert set(per_api) == {"facturovia", "facturala", "facturascripts", "facturagem"}
    assert min(per_api.values()) >= 2, per_api

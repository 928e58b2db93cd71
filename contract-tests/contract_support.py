"""How the contract suites run: the conformance runner (Schemathesis' engine) in-process.

The same `facturas_sandbox.conformance.runner.run` serves `facturas-sandbox conform`, so there
is one way to run conformance. Sizes keep `make test` well under ten minutes on two cores;
raise them with SANDBOX_CONTRACT_EXAMPLES / SANDBOX_CONTRACT_STEPS for a deeper local run.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import schemathesis

from facturas_sandbox.conformance.rules import RULE_NAMES
from facturas_sandbox.conformance.runner import Verdict, run

MAX_EXAMPLES = int(os.environ.get("SANDBOX_CONTRACT_EXAMPLES", "25"))
# `make stress` reruns the suites with MODE=negative and many more examples, hunting 5xx.
MODE = os.environ.get("SANDBOX_CONTRACT_MODE", "all")
STATEFUL_STEPS = int(os.environ.get("SANDBOX_CONTRACT_STEPS", "12"))
OPERATOR_TOKEN = "contract-tests-operator"
PHASES = ("examples", "coverage", "fuzzing", "stateful")


def schemathesis_config(auth: dict[str, dict[str, str]], **overrides: Any) -> schemathesis.Config:
    data: dict[str, Any] = {
        "seed": 20261121,
        "workers": 1,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none", "mode": MODE},
        "auth": {"openapi": auth},
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
        "checks": {"enabled": True},
    }
    data.update(overrides)
    if MODE == "negative":
        # `make stress` hunts 5xx with many negative examples (issue 9). Every check is enforced
        # on mixed positive and negative data by the regular run of these suites; here only the
        # server-error check decides, because in negative mode Schemathesis cannot tell whether
        # a string breaks a custom format (`tax-id`, `nit`): it reports valid NIFs it generated
        # as "schema-violating data accepted".
        data["checks"] = {"enabled": False, "not_a_server_error": {"enabled": True}}
    return schemathesis.Config.from_dict(data)


def run_contract(
    app: Any,
    openapi_path: str,
    api: str,
    config: schemathesis.Config,
    prepare: Callable[[Any], None] | None = None,
) -> Verdict:
    """Every phase and every check (the business rules of conformance/rules.py included);
    fails with the runner's readable summary.

    `prepare` receives the loaded schema before the run, e.g. to register an auth provider
    (`schema.auth(...)`) when one key cannot serve every operation.
    """
    schema = schemathesis.openapi.from_asgi(openapi_path, app, config=config)
    if prepare is not None:
        prepare(schema)
    verdict = run(schema, api)
    assert verdict.conforms, verdict.summary()
    # A run that checked nothing must not pass: every phase has to have exercised the API.
    for phase in PHASES:
        assert verdict.checks_by_phase.get(phase, 0) > 0, f"{phase} ran no check: {verdict.checks_by_phase}"
    if MODE == "negative":
        return verdict  # business rules judge accepted documents; negative data creates none
    ran = {name for op in verdict.operations.values() for name in op.passed}
    assert set(RULE_NAMES) <= ran, f"business rules that never ran: {set(RULE_NAMES) - ran}"
    return verdict

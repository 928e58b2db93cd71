"""Settings shared by the Schemathesis suites.

Sizes are chosen so the whole `make test` stays well under ten minutes on two cores; raise
them with SANDBOX_CONTRACT_EXAMPLES / SANDBOX_CONTRACT_STEPS for a deeper local run.
"""

from __future__ import annotations

import os
from typing import Any

import schemathesis

MAX_EXAMPLES = int(os.environ.get("SANDBOX_CONTRACT_EXAMPLES", "25"))
STATEFUL_STEPS = int(os.environ.get("SANDBOX_CONTRACT_STEPS", "12"))
OPERATOR_TOKEN = "contract-tests-operator"


def schemathesis_config(auth: dict[str, dict[str, str]], **overrides: Any) -> schemathesis.Config:
    data: dict[str, Any] = {
        "seed": 20261121,
        "generation": {"max-examples": MAX_EXAMPLES, "database": "none"},
        "auth": {"openapi": auth},
        "phases": {"stateful": {"max-steps": STATEFUL_STEPS}},
    }
    for key, value in overrides.items():
        data[key] = value
    return schemathesis.Config.from_dict(data)


def stateful_settings() -> Any:
    from hypothesis import HealthCheck, Phase, settings

    return settings(
        max_examples=max(MAX_EXAMPLES // 2, 5),
        stateful_step_count=STATEFUL_STEPS,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )

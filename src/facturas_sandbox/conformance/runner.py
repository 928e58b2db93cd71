"""Run Schemathesis' engine against one API and turn its events into a verdict.

Both `facturas-sandbox conform` and the project's own `contract-tests/` call `run`, so there is
one way to run conformance. The engine (not the pytest state machine) runs every phase:
examples, coverage, fuzzing and stateful. It knows that a stateful server makes Hypothesis
replays differ and does not count that as the API's failure.

A 429 is a rate limit or a ban speaking, not the operation under test: a check on such an
answer proves nothing either way. Those checks are set aside (counted in `displaced`, never as
passed or failed), and a run with no real failure but displaced checks is inconclusive, never
"conforms".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from schemathesis.engine import Status, events, from_schema
from schemathesis.schemas import BaseSchema

from . import rules

Progress = Callable[[str], None]

# The status a rate limit or an incident ban answers with (RFC 6585).
DISPLACING_STATUS = 429


@dataclass
class FailureReport:
    operation: str
    check: str
    code: str  # Schemathesis' stable failure code, e.g. ST101
    title: str
    message: str
    curl: str
    phase: str
    status_code: int | None = None


@dataclass
class OperationResult:
    label: str
    passed: dict[str, int] = field(default_factory=dict)  # check name -> passed count
    failed: dict[str, int] = field(default_factory=dict)
    failures: list[FailureReport] = field(default_factory=list)

    @property
    def checks_run(self) -> int:
        return sum(self.passed.values()) + sum(self.failed.values())

    @property
    def checks_passed(self) -> int:
        return sum(self.passed.values())

    @property
    def score(self) -> float:
        return self.checks_passed / self.checks_run if self.checks_run else 1.0


@dataclass
class Verdict:
    api: str
    operations: dict[str, OperationResult] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    duration: float = 0.0
    checks_by_phase: dict[str, int] = field(default_factory=dict)
    responses: int = 0  # answers received
    displaced_responses: int = 0  # of which 429
    displaced_checks: int = 0  # checks set aside because their answer was a 429

    @property
    def failures(self) -> list[FailureReport]:
        return [f for op in self.operations.values() for f in op.failures]

    @property
    def checks_run(self) -> int:
        return sum(op.checks_run for op in self.operations.values())

    @property
    def score(self) -> float:
        run = self.checks_run
        return sum(op.checks_passed for op in self.operations.values()) / run if run else 1.0

    @property
    def conforms(self) -> bool:
        return not self.failures and not self.errors and not self.inconclusive

    @property
    def inconclusive(self) -> bool:
        """No real failure was seen, but 429s displaced answers some checks needed."""
        return not self.failures and not self.errors and self.displaced_checks > 0

    @property
    def inconclusive_reason(self) -> str:
        return (
            f"{self.displaced_responses} of {self.responses} responses were HTTP 429 (a rate limit or ban), "
            f"so {self.displaced_checks} checks saw no answer from the operation under test"
        )

    @property
    def status(self) -> str:
        if self.inconclusive:
            return "INCONCLUSIVE"
        return "CONFORMS" if self.conforms else "DOES NOT CONFORM"

    def summary(self) -> str:
        lines = [f"{self.api}: {len(self.operations)} operations, {self.checks_run} checks, score {self.score:.1%}"]
        if self.displaced_checks:
            lines.append(f"  INCONCLUSIVE {self.inconclusive_reason}")
        for failure in self.failures:
            lines.append(f"  FAIL {failure.operation} [{failure.check} {failure.code}] {failure.title}")
            lines.append(f"       {failure.message.splitlines()[0] if failure.message else ''}")
            lines.append(f"       {failure.curl}")
        lines.extend(f"  ERROR {error}" for error in self.errors)
        return "\n".join(lines)

    def operation(self, label: str) -> OperationResult:
        result = self.operations.get(label)
        if result is None:
            result = self.operations[label] = OperationResult(label)
        return result


def only_operations(operation_ids: list[str] | None = None, path_regex: str | None = None) -> dict[str, Any]:
    """A Schemathesis `operations` config entry that disables every other operation. The
    engine reads operation filters from the config; `schema.include()` does not reach it."""
    entry: dict[str, Any] = {"enabled": False}
    if operation_ids:
        entry["exclude-operation-id"] = list(operation_ids)
    if path_regex:
        entry["exclude-path-regex"] = path_regex
    return entry


def _case_label(recorder: Any, case_id: str, fallback: str) -> str:
    node = recorder.cases.get(case_id)
    if node is None:
        return fallback
    operation = node.value.operation
    return f"{operation.method.upper()} {operation.path}"


def _status_of(recorder: Any, case_id: str) -> int | None:
    interaction = recorder.interactions.get(case_id)
    return interaction.response.status_code if interaction and interaction.response else None


def _displaced_by_429(check: Any, status: int | None) -> bool:
    """The check judged a 429, either its own answer or (stateful checks that follow up with
    another request, e.g. a GET after a POST) the answer it quotes."""
    if status == DISPLACING_STATUS:
        return True
    if check.status != Status.FAILURE or check.failure_info is None:
        return False
    failure = check.failure_info.failure
    return getattr(failure, "status_code", None) == DISPLACING_STATUS or bool(
        _QUOTES_429.search(f"{failure.title}\n{failure.message}")
    )


_QUOTES_429 = re.compile(r"\b(got|received|returned|status(?: code)?:?) 429\b|\b429 Too Many Requests\b", re.I)


def _record(verdict: Verdict, recorder: Any, phase: str, fallback_label: str) -> None:
    seen: set[tuple[str, str, str]] = set()
    for case_id in recorder.interactions:
        verdict.responses += 1
        if _status_of(recorder, case_id) == DISPLACING_STATUS:
            verdict.displaced_responses += 1
    for case_id, checks in recorder.checks.items():
        label = _case_label(recorder, case_id, fallback_label)
        result = verdict.operation(label)
        status = _status_of(recorder, case_id)
        verdict.checks_by_phase[phase] = verdict.checks_by_phase.get(phase, 0) + len(checks)
        for check in checks:
            if check.status in (Status.SUCCESS, Status.FAILURE) and _displaced_by_429(check, status):
                verdict.displaced_checks += 1
                continue
            if check.status == Status.SUCCESS:
                result.passed[check.name] = result.passed.get(check.name, 0) + 1
                continue
            if check.status != Status.FAILURE or check.failure_info is None:
                continue
            result.failed[check.name] = result.failed.get(check.name, 0) + 1
            failure = check.failure_info.failure
            key = (label, check.name, failure.title)
            if key in seen:
                continue  # the engine re-runs a failing case to reproduce it; report it once
            seen.add(key)
            result.failures.append(
                FailureReport(
                    operation=label,
                    check=check.name,
                    code=getattr(failure, "code", ""),
                    title=failure.title,
                    message=failure.message,
                    curl=check.failure_info.code_sample,
                    phase=phase,
                    status_code=status,
                )
            )


def run(
    schema: BaseSchema, api: str, progress: Progress | None = None, before_phase: Progress | None = None
) -> Verdict:
    """Run every configured phase and check of `schema` and collect the verdict.
    `before_phase(name)` runs as each phase starts (the CLI lifts the sandbox's bans there)."""
    verdict = Verdict(api=api)
    rules.activate(api)
    try:
        _execute(schema, verdict, progress, before_phase)
    finally:
        rules.activate(None)
    return verdict


def _execute(schema: BaseSchema, verdict: Verdict, progress: Progress | None, before_phase: Progress | None) -> None:
    for event in from_schema(schema).execute():
        if isinstance(event, events.PhaseStarted):
            if before_phase:
                before_phase(event.phase.name.value)
            if progress:
                progress(f"phase {event.phase.name.value}")
        elif isinstance(event, events.ScenarioFinished):
            if not event.is_test_scenario:
                continue
            _record(verdict, event.recorder, event.phase.value, event.label or "(stateful)")
            if progress and event.label and event.status != Status.SKIP:
                progress(f"  {event.phase.value:<10} {event.label:<50} {event.status.value}")
        elif isinstance(event, events.FuzzScenarioFinished):
            _record(verdict, event.recorder, "fuzzing", "(fuzzing)")
        elif isinstance(event, events.NonFatalError):
            verdict.errors.append(f"{event.label}: {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            verdict.errors.append(f"fatal: {event.exception}")
        elif isinstance(event, events.EngineFinished):
            verdict.duration = event.running_time
            for failure in event.failures:
                verdict.operation("(run)").failures.append(
                    FailureReport(
                        "(run)", "after_run", getattr(failure, "code", ""), failure.title, failure.message, "", "final"
                    )
                )

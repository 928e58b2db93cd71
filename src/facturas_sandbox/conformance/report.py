"""What a conformance run leaves behind: a summary table, JUnit XML and an HTML report.

JUnit: one `<testsuite>` per run, one `<testcase>` per operation and check, with a
`<failure>` per distinct failure (its message and a curl line to reproduce it), so CI servers
show which check of which operation broke. HTML: the same per operation, rendered with the
Jinja2 template `templates/report.html` for a person to read.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from .runner import FailureReport, OperationResult, Verdict


@dataclass
class RunInfo:
    """What was tested, for the reports' headers."""

    api: str
    base_url: str
    seed: int | None = None
    max_examples: int | None = None
    phases: list[str] = field(default_factory=list)
    started: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))


def _operations(verdict: Verdict) -> list[OperationResult]:
    return sorted(verdict.operations.values(), key=lambda op: (op.label == "(run)", op.label))


def _check_names(op: OperationResult) -> list[str]:
    return sorted(op.passed.keys() | op.failed.keys())


def summary_table(verdict: Verdict) -> str:
    rows = [("operation", "checks", "passed", "failed", "score")]
    for op in _operations(verdict):
        failed = sum(op.failed.values()) or len(op.failures)
        rows.append((op.label, str(op.checks_run), str(op.checks_passed), str(failed), f"{op.score:.1%}"))
    total_failed = sum(sum(op.failed.values()) for op in verdict.operations.values())
    rows.append(("TOTAL", str(verdict.checks_run), str(verdict.checks_run - total_failed), str(total_failed), ""))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append("  ".join(cells).rstrip())
        if n == 0 or n == len(rows) - 2:
            lines.append("  ".join("-" * w for w in widths))
    if verdict.inconclusive:
        verdict_line = f"INCONCLUSIVE ({verdict.inconclusive_reason})"
    elif verdict.conforms:
        verdict_line = "CONFORMS"
    else:
        verdict_line = f"DOES NOT CONFORM ({len(verdict.failures)} distinct failures)"
    lines.append(f"{verdict.api}: {verdict_line}; score {verdict.score:.1%} in {verdict.duration:.1f}s")
    if verdict.displaced_checks and not verdict.inconclusive:
        lines.append(f"note: {verdict.inconclusive_reason}; the failures above stand on other answers")
    lines.extend(f"error: {error}" for error in verdict.errors)
    return "\n".join(lines)


def _failure_text(failure: FailureReport) -> str:
    status = f" (HTTP {failure.status_code})" if failure.status_code else ""
    text = f"[{failure.code}] {failure.title}{status} during {failure.phase}\n{failure.message}"
    if failure.curl:
        text += f"\n\nReproduce with:\n{failure.curl}"
    return text


def write_junit(verdict: Verdict, info: RunInfo, path: Path) -> None:
    suite = ET.Element(
        "testsuite",
        name=f"conformance.{verdict.api}",
        timestamp=info.started.isoformat(timespec="seconds"),
        time=f"{verdict.duration:.3f}",
        hostname=info.base_url,
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (("base_url", info.base_url), ("seed", info.seed), ("score", f"{verdict.score:.4f}")):
        ET.SubElement(props, "property", name=name, value=str(value))
    tests = failures = errors = 0
    for op in _operations(verdict):
        by_check: dict[str, list[FailureReport]] = {}
        for failure in op.failures:
            by_check.setdefault(failure.check, []).append(failure)
        for check in sorted(set(_check_names(op)) | by_check.keys()):
            tests += 1
            case = ET.SubElement(suite, "testcase", classname=f"{verdict.api}.{op.label}", name=check)
            ran, failed = op.passed.get(check, 0) + op.failed.get(check, 0), op.failed.get(check, 0)
            ET.SubElement(case, "system-out").text = f"{ran} checks run, {failed} failed"
            found = by_check.get(check, [])
            if found or failed:
                failures += 1
                element = ET.SubElement(
                    case, "failure", type=found[0].code if found else check, message=found[0].title if found else check
                )
                element.text = "\n\n".join(_failure_text(f) for f in found)
    for error in verdict.errors:
        tests += 1
        errors += 1
        case = ET.SubElement(suite, "testcase", classname=f"{verdict.api}.(run)", name="error")
        ET.SubElement(case, "error", message=error.splitlines()[0][:200]).text = error
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", str(errors))
    root = ET.Element("testsuites", name="facturas-sandbox conform")
    root.append(suite)
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("facturas_sandbox.conformance", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render_html(verdict: Verdict, info: RunInfo) -> str:
    operations: list[dict[str, Any]] = []
    for op in _operations(verdict):
        checks = [
            {"name": name, "passed": op.passed.get(name, 0), "failed": op.failed.get(name, 0)}
            for name in _check_names(op)
        ]
        operations.append({"result": op, "checks": checks, "failures": op.failures})
    passed = sum(op.checks_passed for op in verdict.operations.values())
    return (
        _environment()
        .get_template("report.html")
        .render(verdict=verdict, info=info, operations=operations, checks_passed=passed)
    )


def write_html(verdict: Verdict, info: RunInfo, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(verdict, info), encoding="utf-8")

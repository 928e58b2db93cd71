"""Every shell example of README.md and docs/*.md runs, against a sandbox this test starts, and
gives the result its text states.

A fenced `sh` block runs command by command, in order, in one shell environment per document
(variables a block sets, `eval "$(facturas-sandbox tenant new)"` included, stay set for the
blocks after it). An HTML comment right before a block says what to check and substitute:

    <!-- doctest
    expect 2 status 201                 the block's 2nd command (assignments are not counted)
    expect 2 json .total == 38.7        a JSON value (`.data length == 1`, `.number ~ REGEX`)
    expect 2 contains TEXT              in the output
    expect 3 exit 0                     the exit status (a command must exit 0 unless told)
    capture <id> 2 .id                  later commands get this value in place of `<id>`
    substitute: OLD => NEW              in the block's text before it runs
    setup: SHELL                        run first, in the working directory
    -->
    <!-- doctest: skip: REASON -->      never run (printed)

A `curl` command whose status is not checked must answer below 400. `127.0.0.1:8080` becomes
the test's own server and `.venv/bin/` the running interpreter's. Commands run in a temporary
directory; `$REPOSITORY` names the repository for `setup:` lines. The server is a
`serve` process of its own, with a fresh data directory, so no other test's state (a FACTURAgem
demo session logged out, a ban) reaches it and none of its state reaches other tests.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from server_process import SandboxProcess

# .ci/run installs curl; a developer machine without it skips (the examples are curl commands).
pytestmark = pytest.mark.skipif(
    shutil.which("curl") is None and not os.environ.get("CI"), reason="curl is not installed"
)

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SHELLS = {"sh", "bash", "shell"}
STATUS_MARK = "\n__doctest_status__"
COMMAND_TIMEOUT = 600  # seconds; the longest example is a conform run


@dataclass
class Block:
    document: Path
    line: int
    body: str
    annotation: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.document.relative_to(ROOT)}:{self.line}"

    def directives(self, name: str) -> list[str]:
        return [d[len(name) :].strip() for d in self.annotation if d.startswith(name)]


def blocks(document: Path) -> list[Block]:
    """The document's shell blocks, with the doctest comment right before each."""
    lines = document.read_text(encoding="utf-8").splitlines()
    found = []
    n = 0
    while n < len(lines):
        fence = re.match(r"^(\s*)```(\w*)\s*$", lines[n])
        if not fence:
            n += 1
            continue
        indent, lang = fence.groups()
        end = next(i for i in range(n + 1, len(lines)) if lines[i].strip() == "```")
        if lang in SHELLS:
            body = "\n".join(line[len(indent) :] for line in lines[n + 1 : end])
            found.append(Block(document, n + 1, body, _annotation(lines[:n])))
        n = end + 1
    return found


def _annotation(before: list[str]) -> list[str]:
    text = "\n".join(before).rstrip()
    if not text.endswith("-->"):
        return []
    start = text.rfind("<!-- doctest")
    if start < 0 or "-->" in text[start:-3]:
        return []
    inner = text[start + len("<!-- doctest") : -3].strip()
    inner = inner[1:].strip() if inner.startswith(":") else inner
    return [line.strip() for line in inner.splitlines() if line.strip()]


def commands(body: str) -> list[str]:
    """Complete shell commands: continuation lines and multi-line quotes joined; comments dropped."""
    out: list[str] = []
    pending = ""
    for line in body.splitlines():
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        pending = f"{pending}\n{line}" if pending else line
        if pending.rstrip().endswith("\\"):
            continue
        try:
            shlex.split(pending, comments=True)
        except ValueError:  # a quote still open: the command goes on
            continue
        out.append(pending)
        pending = ""
    assert not pending, f"unterminated command: {pending}"
    return out


def _is_assignment(command: str) -> bool:
    words = shlex.split(command, comments=True)
    return bool(words) and (words[0] in ("eval", "export") or all(re.match(r"^[A-Za-z_]\w*=", w) for w in words))


def _json_path(value: Any, path: str) -> Any:
    for key, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        value = value[int(index)] if index else value[key]
    return value


@dataclass
class Result:
    command: str
    exit: int
    output: str
    status: int | None


class Session:
    """One document's shell environment, placeholders and working directory."""

    def __init__(self, base: str, workdir: Path) -> None:
        self.base = base
        self.workdir = workdir
        self.env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
        for name in ("SANDBOX_ADMIN_TOKEN", "SANDBOX_URL", "SANDBOX_TENANT_ID"):
            self.env.pop(name, None)
        self.env["SANDBOX_OPERATOR_TOKEN"] = OPERATOR_TOKEN
        self.env["REPOSITORY"] = str(ROOT)  # for `setup:` lines that need the repository's files
        self.placeholders: dict[str, str] = {}

    def _text(self, command: str) -> str:
        port = self.base.rsplit(":", 1)[1]
        command = command.replace("127.0.0.1:8080", f"127.0.0.1:{port}")
        command = command.replace(".venv/bin/", f"{Path(sys.executable).parent}/")
        for placeholder, value in self.placeholders.items():
            command = command.replace(placeholder, value)
        return command

    def _bash(self, script: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["bash", "-c", script],
            cwd=self.workdir,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT,
        )

    def assign(self, command: str) -> None:
        done = self._bash(f"set -ae\n{self._text(command)}\nenv -0")  # -a: plain assignments are exported
        assert done.returncode == 0, f"{command}\n{done.stderr}"
        self.env = dict(entry.split("=", 1) for entry in done.stdout.split("\0") if "=" in entry)

    def run(self, command: str) -> Result:
        text = self._text(command)
        is_curl = text.lstrip().startswith("curl ")
        if is_curl:
            text = text.replace("curl ", f"curl -w '{STATUS_MARK}%{{http_code}}' ", 1)
        done = self._bash(text)
        output, status = done.stdout, None
        if is_curl and STATUS_MARK in output:
            output, _, code = output.rpartition(STATUS_MARK)
            status = int(code.strip() or 0)
        return Result(command, done.returncode, output + done.stderr if done.returncode else output, status)


def _check(block: Block, results: list[Result], session: Session) -> list[str]:
    problems = []
    expected: dict[int, list[str]] = {}
    for directive in block.directives("expect"):
        number, rest = directive.split(" ", 1)
        expected.setdefault(int(number), []).append(rest)
    for n, result in enumerate(results, 1):
        checks = expected.get(n, [])
        label = f"{block.where} command {n} ({result.command.splitlines()[0][:70]}…)"
        exit_wanted = next((int(c.split()[1]) for c in checks if c.startswith("exit ")), 0)
        if result.exit != exit_wanted:
            problems.append(f"{label}: exit {result.exit}, expected {exit_wanted}\n{result.output[-2000:]}")
            continue
        if result.status is not None and not any(c.startswith("status ") for c in checks) and result.status >= 400:
            problems.append(f"{label}: HTTP {result.status}\n{result.output[:500]}")
        for check in checks:
            problem = _one_check(check, result, session)
            if problem:
                problems.append(f"{label}: {problem}")
    return problems


def _one_check(check: str, result: Result, session: Session) -> str | None:
    kind, _, arg = check.partition(" ")
    arg = session._text(arg)
    if kind == "status":
        return None if result.status == int(arg) else f"HTTP {result.status}, expected {arg}: {result.output[:300]}"
    if kind == "contains":
        return None if arg in result.output else f"output lacks {arg!r}: {result.output[:300]}"
    if kind == "json":
        try:
            data = json.loads(result.output)
        except ValueError:
            return f"not JSON: {result.output[:300]}"
        match = re.match(r"^(\S*?)\s*(length ==|==|~)\s+(.*)$", arg)
        assert match, f"bad json check {check!r}"
        path, op, want = match.groups()
        try:
            value = _json_path(data, path) if path else data
        except (KeyError, IndexError, TypeError):
            return f"no {path} in {result.output[:300]}"
        if op == "length ==":
            return None if len(value) == int(want) else f"{path} has {len(value)} items, expected {want}"
        if op == "~":
            return None if re.search(want, str(value)) else f"{path} is {value!r}, expected to match {want}"
        try:
            wanted = json.loads(want)
        except ValueError:
            wanted = want  # a captured id, written bare
        return None if value == wanted else f"{path} is {value!r}, expected {wanted!r}"
    if kind == "exit":
        return None
    raise AssertionError(f"unknown doctest check {check!r}")


def run_block(block: Block, session: Session) -> list[str]:
    body = block.body
    for substitution in block.directives("substitute:"):
        old, _, new = substitution.partition(" => ")
        assert old in body, f"{block.where}: nothing to substitute for {old!r}"
        body = body.replace(old, new)
    for setup in block.directives("setup:"):
        assert session._bash(setup).returncode == 0, f"{block.where}: setup failed: {setup}"
    results: list[Result] = []
    captures = [c.split(" ", 2) for c in block.directives("capture")]
    for command in commands(body):
        if _is_assignment(command):
            session.assign(command)
            continue
        results.append(session.run(command))
        for placeholder, number, path in captures:
            if int(number) == len(results):
                try:
                    session.placeholders[placeholder] = str(_json_path(json.loads(results[-1].output), path))
                except (ValueError, KeyError, IndexError, TypeError):
                    return [f"{block.where}: cannot capture {path} from: {results[-1].output[:300]}"]
    numbered = {int(d.split(" ", 1)[0]) for d in block.directives("expect")}
    assert all(1 <= n <= len(results) for n in numbered), f"{block.where}: expectations for missing commands"
    return _check(block, results, session)


# The operator token the docs' server runs with, as docs/qa.md says to serve it for plain runs.
OPERATOR_TOKEN = "docs-examples-operator"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with SandboxProcess(tmp_path_factory.mktemp("docs-data"), "--operator-token", OPERATOR_TOKEN) as sandbox:
        yield sandbox.base


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_every_shell_example_runs_and_gives_its_documented_result(
    document: Path, served: str, tmp_path: Path, capsys: Any
) -> None:
    session = Session(served, tmp_path)
    problems: list[str] = []
    for block in blocks(document):
        skipped = block.directives("skip:")
        if skipped:
            with capsys.disabled():
                print(f"\n  doc example {block.where} not run: {skipped[0]}", end="")
            continue
        problems += run_block(block, session)
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("document", DOCUMENTS, ids=[str(d.relative_to(ROOT)) for d in DOCUMENTS])
def test_no_shell_example_hides_outside_a_fenced_block(document: Path) -> None:
    """An indented `curl` line outside a fence would never run here."""
    inside = False
    for number, line in enumerate(document.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip().startswith("```"):
            inside = not inside
        elif not inside and re.match(r"^( {4,}|\t)(curl|facturas-sandbox|\.venv/bin/)", line):
            pytest.fail(f"{document.relative_to(ROOT)}:{number}: a shell example outside a fenced sh block")


def test_the_parser_joins_continuations_and_open_quotes() -> None:
    body = "# a comment\nA=1\ncurl -X POST x \\\n  -d '{\n \"a\": 1}'\n\ncurl y  # → 200"
    assert commands(body) == ["A=1", "curl -X POST x \\\n  -d '{\n \"a\": 1}'", "curl y  # → 200"]
    assert _is_assignment("A=1") and _is_assignment('eval "$(x)"') and not _is_assignment("curl y")


# Fields whose value identifies a record: a documented example that creates a record with one of
# these must not meet a fixture record with the same value (the README's lookup by
# external_reference found the fixtures' invoice first).
IDENTIFYING = ("external_reference", "tax_id", "cif", "cifnif", "nit", "email")


def _fixture_values(value: Any, out: dict[str, set[str]]) -> dict[str, set[str]]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key in IDENTIFYING and isinstance(item, str):
                out.setdefault(key, set()).add(item)
            _fixture_values(item, out)
    elif isinstance(value, list):
        for item in value:
            _fixture_values(item, out)
    return out


def test_no_documented_example_collides_with_the_fixtures() -> None:
    fixtures: dict[str, set[str]] = {}
    for path in (ROOT / "fixtures").glob("*.json"):
        _fixture_values(json.loads(path.read_text(encoding="utf-8")), fixtures)
    assert fixtures.get("external_reference") and fixtures.get("tax_id")  # the scan sees the fixtures
    pattern = re.compile(r"""["']?\b({})\b["']?\s*[:=]\s*["']?([^"'&\s,}}]+)""".format("|".join(IDENTIFYING)))
    collisions = [
        f"{block.where}: {key}={value} is also a fixture record's"
        for document in DOCUMENTS
        for block in blocks(document)
        for key, value in pattern.findall(block.body)
        if value in fixtures.get(key, set())
    ]
    assert not collisions, "\n".join(collisions)

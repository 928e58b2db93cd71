"""`facturas-sandbox conform`: test any server against a bundled contract.

Exit status: 0 when every check passed, 1 when one failed, 2 on a usage or connection error
(one line on stderr says why). Progress goes to stderr, the summary table to stdout.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import httpx

from ..commands import command
from ..contracts import contract_path, load_contract
from .profiles import operation_overrides
from .rules import RULE_NAMES
from .runner import only_operations

PHASES = ("examples", "coverage", "fuzzing", "stateful")
DEFAULT_MAX_EXAMPLES = 20


class UsageError(Exception):
    """A reason to exit 2: wrong arguments, an unreachable server, a refused login."""


def _api_names() -> list[str]:
    from ..vendors import vendor_names

    return vendor_names()


def _configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Run the bundled contract of API against a server: every phase and check by default."
    parser.add_argument("api", metavar="API", help=f"one of {', '.join(_api_names())}")
    parser.add_argument("--url", required=True, help="the API's base URL, e.g. http://127.0.0.1:8080/facturovia/api")
    auth = parser.add_argument_group("authentication")
    auth.add_argument("--token", help="API key or token (FacturaScripts, Facturovia, Facturala)")
    auth.add_argument("--login", help="user to open a session with (FACTURAgem)")
    auth.add_argument("--password", help="password for --login")
    auth.add_argument("--company-id", help="Facturala's companyId path parameter")
    auth.add_argument(
        "-H", "--header", action="append", default=[], metavar="'NAME: VALUE'", help="extra header (repeatable)"
    )
    run = parser.add_argument_group("run")
    run.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES, help="examples per operation")
    run.add_argument("--seed", type=int, help="Hypothesis seed, to replay a run")
    run.add_argument(
        "--checks",
        default="all",
        help="comma-separated checks to run (Schemathesis' and the business rules: "
        f"{', '.join(RULE_NAMES)}); default all",
    )
    run.add_argument("--exclude-checks", default="", help="comma-separated checks to skip")
    run.add_argument(
        "--stateful", action=argparse.BooleanOptionalAction, default=True, help="run the stateful phase (default on)"
    )
    run.add_argument("--stateful-steps", type=int, default=15, help="steps per stateful scenario")
    run.add_argument("--phases", default=",".join(PHASES), help=f"comma-separated phases ({', '.join(PHASES)})")
    run.add_argument("--operation-id", action="append", default=[], help="only this operationId (repeatable)")
    run.add_argument("--path-regex", help="only operations whose path matches")
    run.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request")
    run.add_argument("--quiet", action="store_true", help="no progress on stderr")
    out = parser.add_argument_group("reports")
    out.add_argument("--junit", type=Path, help="write a JUnit XML report here")
    out.add_argument("--html", type=Path, help="write an HTML report here")


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def _headers(raw: list[str]) -> dict[str, str]:
    headers = {}
    for item in raw:
        name, sep, value = item.partition(":")
        if not sep or not name.strip():
            raise UsageError(f"bad header {item!r}: write it as 'Name: value'")
        headers[name.strip()] = value.strip()
    return headers


def _scheme_names(contract: dict[str, Any]) -> list[str]:
    """Security schemes in the order the contract prefers them."""
    schemes = contract.get("components", {}).get("securitySchemes", {})
    ordered = [name for requirement in contract.get("security", []) for name in requirement]
    return [*dict.fromkeys(n for n in ordered if n in schemes), *(n for n in schemes if n not in ordered)]


def _credential(scheme: dict[str, Any], secret: str) -> dict[str, str]:
    if scheme.get("type") == "http" and scheme.get("scheme", "").lower() == "bearer":
        return {"bearer": secret}
    if scheme.get("type") == "apiKey":
        return {"api_key": secret}
    raise UsageError(f"cannot send a token through a {scheme.get('type')} {scheme.get('scheme', '')} scheme")


def _find_key(body: Any, names: tuple[str, ...] = ("api_key", "apiKey", "token")) -> str | None:
    if isinstance(body, dict):
        for name in names:
            if isinstance(body.get(name), str) and body[name]:
                return body[name]
        for value in body.values():
            found = _find_key(value, names)
            if found:
                return found
    if isinstance(body, list):
        for value in body:
            found = _find_key(value, names)
            if found:
                return found
    return None


def open_session(contract: dict[str, Any], base_url: str, login: str, password: str, timeout: float) -> str:
    """POST the contract's session operation (FACTURAgem's `POST /session.{format}`) and return
    the api_key it answers."""
    for path, item in contract.get("paths", {}).items():
        if re.match(r"^/sessions?(\.|/|$|\{)", path) and "post" in item:
            url = base_url.rstrip("/") + re.sub(r"\{format\}", "json", path.replace(".{format}", ".json"))
            try:
                response = httpx.post(url, json={"login": login, "password": password}, timeout=timeout)
            except httpx.HTTPError as exc:
                raise UsageError(f"cannot open a session at {url}: {exc}") from None
            if response.status_code >= 300:
                raise UsageError(f"login refused at {url}: HTTP {response.status_code}")
            try:
                key = _find_key(response.json())
            except ValueError:
                key = None
            if not key:
                raise UsageError(f"the session at {url} answered no api_key")
            return key
    raise UsageError("this contract has no session operation: use --token")


def auth_config(args: argparse.Namespace, contract: dict[str, Any]) -> dict[str, dict[str, str]]:
    names = _scheme_names(contract)
    schemes = contract.get("components", {}).get("securitySchemes", {})
    if (args.login is None) != (args.password is None):
        raise UsageError("--login and --password go together")
    secret = args.token
    if args.login is not None:
        if args.token:
            raise UsageError("give --token or --login/--password, not both")
        secret = open_session(contract, args.url, args.login, args.password, args.request_timeout)
    if secret is None:
        return {}
    if not names:
        raise UsageError("this contract declares no security scheme: drop --token, or send it with -H")
    usable = [n for n in names if schemes[n].get("type") == "apiKey" or schemes[n].get("scheme") == "bearer"]
    if not usable:
        raise UsageError("this contract's security schemes take no token")
    return {usable[0]: _credential(schemes[usable[0]], secret)}


def _path_parameters(contract: dict[str, Any]) -> set[str]:
    names = set()
    for path in contract.get("paths", {}):
        names.update(re.findall(r"\{([^}]+)\}", path))
    return names


def build_config(args: argparse.Namespace, contract: dict[str, Any]) -> dict[str, Any]:
    phases = _split(args.phases)
    unknown = set(phases) - set(PHASES)
    if unknown:
        raise UsageError(f"unknown phase(s) {', '.join(sorted(unknown))}; choose from {', '.join(PHASES)}")
    if not args.stateful and "stateful" in phases:
        phases.remove("stateful")
    if args.max_examples < 1:
        raise UsageError("--max-examples must be at least 1")
    parameters: dict[str, Any] = {}
    if "companyId" in _path_parameters(contract):
        if not args.company_id:
            raise UsageError("this API needs --company-id (the company the token belongs to)")
        parameters["companyId"] = args.company_id
    elif args.company_id:
        raise UsageError("--company-id: this contract has no companyId parameter")
    checks = _split(args.checks)
    excluded = _split(args.exclude_checks)
    checks_config: dict[str, Any] = {"enabled": True} if checks in (["all"], []) else {"enabled": False}
    if checks_config["enabled"] is False:
        for name in checks:
            checks_config[name] = {"enabled": True}
    for name in excluded:
        checks_config[name] = {"enabled": False}
    data: dict[str, Any] = {
        "base-url": args.url.rstrip("/"),
        "workers": 1,
        "request-timeout": args.request_timeout,
        "generation": {"max-examples": args.max_examples, "database": "none"},
        "auth": {"openapi": auth_config(args, contract)},
        "headers": _headers(args.header),
        "checks": checks_config,
        "phases": {
            **{phase: {"enabled": phase in phases} for phase in PHASES},
            "stateful": {"enabled": "stateful" in phases, "max-steps": args.stateful_steps},
        },
    }
    if args.seed is not None:
        data["seed"] = args.seed
    if parameters:
        data["parameters"] = parameters
    overrides = operation_overrides(args.api)
    if args.operation_id or args.path_regex:
        overrides.append(only_operations(args.operation_id, args.path_regex))
    if overrides:
        data["operations"] = overrides
    return data


def _check_names_known(config: dict[str, Any]) -> None:
    from schemathesis.checks import CHECKS, load_all_checks

    load_all_checks()
    known = set(CHECKS.get_all_names())
    named = {k for k in config["checks"] if k != "enabled"}
    unknown = named - known
    if unknown:
        raise UsageError(f"unknown check(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}")


def reachable(url: str, timeout: float) -> None:
    try:
        httpx.get(url, timeout=timeout)
    except httpx.HTTPError as exc:
        reason = str(exc) or type(exc).__name__
        raise UsageError(f"cannot reach {url}: {reason}") from None


@command("conform", _configure)
def conform(args: argparse.Namespace) -> int:
    try:
        return _conform(args)
    except UsageError as exc:
        print(f"facturas-sandbox conform: {exc}", file=sys.stderr)
        return 2


def _conform(args: argparse.Namespace) -> int:
    import schemathesis

    from .report import RunInfo, summary_table, write_html, write_junit
    from .runner import run
    from .strategies import register_formats

    if args.api not in _api_names() or not contract_path(args.api).exists():
        raise UsageError(f"unknown API {args.api!r}; choose from {', '.join(_api_names())}")
    if not re.match(r"^https?://", args.url):
        raise UsageError(f"--url must be an http(s) URL, not {args.url!r}")
    reachable(args.url, args.request_timeout)
    contract = load_contract(args.api)
    data = build_config(args, contract)
    _check_names_known(data)
    register_formats()
    schema = schemathesis.openapi.from_dict(contract, config=schemathesis.Config.from_dict(data))

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, file=sys.stderr, flush=True)

    enabled_phases = [p for p in PHASES if data["phases"][p]["enabled"]]
    info = RunInfo(args.api, data["base-url"], args.seed, args.max_examples, enabled_phases)
    progress(f"conform {args.api} against {data['base-url']} (phases: {', '.join(enabled_phases)})")
    verdict = run(schema, args.api, progress)
    print(summary_table(verdict))
    if args.junit:
        write_junit(verdict, info, args.junit)
        progress(f"JUnit report: {args.junit}")
    if args.html:
        write_html(verdict, info, args.html)
        progress(f"HTML report: {args.html}")
    if verdict.checks_run == 0:
        reason = verdict.errors[0] if verdict.errors else "no operation was tested"
        raise UsageError(f"no check ran: {reason.splitlines()[0]}")
    return 0 if verdict.conforms else 1

"""A validating proxy: forward every exchange to a real server, check both halves against the
contract with openapi-core, and say what does not conform.

Every exchange also goes into the proxy's request journal (`GET /_proxy/journal`, the same
entries the sandbox's journal shows: masked credentials, bodies, violations).

The proxy serves the API at the contract's own base path (`/api` for Facturovia, `/api/3` for
FacturaScripts …), so a client only changes host and port, and forwards
`<base path><rest>` to `<upstream><rest>`. Violations go into the `X-Sandbox-Violations`
response header and the log (logger `facturas_sandbox.proxy`); with `strict`, a request that
violates the contract is answered with the API's own 4xx and never reaches the upstream.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import logging
import re
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
from openapi_core import OpenAPI
from openapi_core.contrib.starlette.requests import StarletteOpenAPIRequest
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.validation.request.exceptions import SecurityValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..commands import command
from ..contracts import load_contract
from ..errors import ApiError, Origin
from ..journal import Journal, JournalEntry, RawBodies, mask_query

log = logging.getLogger("facturas_sandbox.proxy")

VIOLATIONS_HEADER = "X-Sandbox-Violations"
JOURNAL_PATH = "/_proxy/journal"  # the exchanges seen, newest first, as the sandbox's journal shows them
# Hop-by-hop headers (RFC 9110 §7.6.1) and those httpx has already acted on.
_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
    "content-encoding",
}
_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


@dataclass(frozen=True)
class Violation:
    side: str  # "request" or "response"
    status: int  # the 4xx a strict proxy answers for a request violation
    message: str

    def __str__(self) -> str:
        return f"{self.side}: {self.message}"


class _Response:
    """openapi-core's response protocol over what the upstream answered."""

    def __init__(self, status_code: int, headers: httpx.Headers, data: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.data = data
        self.content_type = headers.get("content-type", "")


def _describe(error: Exception) -> str:
    parts = [str(error).strip() or type(error).__name__]
    cause = error.__cause__
    if cause is not None:
        details = [str(e.message) for e in getattr(cause, "schema_errors", ())][:3]
        parts.append("; ".join(details) if details else str(cause).strip().splitlines()[0])
    text = ": ".join(p for p in parts if p)
    return re.sub(r"\s+", " ", text)[:300]


def _request_status(error: Exception) -> int:
    if isinstance(error, SecurityValidationError):
        return 401
    if isinstance(error, PathNotFound):
        return 404
    if isinstance(error, OperationNotFound):
        return 405
    return 400


class ContractValidator:
    """openapi-core's OpenAPI object for one contract, built once (building it is slow)."""

    def __init__(self, api: str) -> None:
        contract = load_contract(api)
        self.base_path = "/" + (contract.get("servers") or [{"url": "/"}])[0]["url"].strip("/")
        self.base_path = self.base_path.rstrip("/")
        self.openapi = OpenAPI.from_dict(contract)

    def request(self, request: StarletteOpenAPIRequest) -> list[Violation]:
        result = self.openapi.unmarshal_request(request)
        return [Violation("request", _request_status(e), _describe(e)) for e in result.errors]

    def response(self, request: StarletteOpenAPIRequest, response: _Response) -> list[Violation]:
        result = self.openapi.unmarshal_response(request, response)
        return [Violation("response", 502, _describe(e)) for e in result.errors]


def _header_value(violations: list[Violation]) -> str:
    text = " | ".join(str(v) for v in violations)
    return text.encode("latin-1", errors="replace").decode("latin-1")[:4000]


def _error_response(api: str, violation: Violation) -> Response:
    from ..vendors import all_vendors

    vendor = next(v for v in all_vendors() if v.name == api)
    origins: dict[int, Origin] = {401: "security", 404: "routing", 405: "routing"}
    origin = origins.get(violation.status, "validation")
    code = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}.get(violation.status, "invalid_request")
    response = vendor.error_response(ApiError(violation.status, code, violation.message, origin=origin))
    response.headers[VIOLATIONS_HEADER] = _header_value([violation])
    return response


def create_proxy(
    api: str, upstream: str, *, strict: bool = False, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    validator = ContractValidator(api)
    upstream = upstream.rstrip("/")
    state: dict[str, httpx.AsyncClient] = {}
    journal = Journal()
    ids = itertools.count(1)

    def record(
        request: Request,
        body: bytes,
        status: int,
        headers: httpx.Headers | None,
        answer: bytes,
        started: float,
        violations: list[Violation],
    ) -> None:
        request_headers = list(request.headers.items())
        response_headers = list(headers.items()) if headers is not None else []
        journal.add(
            JournalEntry(
                id=next(ids),
                time=datetime.now(UTC),
                api=api,
                method=request.method,
                path=request.url.path,
                query=mask_query(request.url.query),
                operation_id=None,
                status=status,
                duration_ms=(time.perf_counter() - started) * 1000,
                raw=RawBodies(
                    request_headers,
                    body,
                    request.headers.get("content-type", ""),
                    response_headers,
                    answer,
                    headers.get("content-type", "") if headers is not None else "",
                ),
                _violations=[str(v) for v in violations],
            )
        )

    async def journal_entries(request: Request) -> Response:
        """What went through the proxy, newest first (`?conforms=false`, `?limit=`)."""
        conforms = request.query_params.get("conforms")
        limit = request.query_params.get("limit", "100")
        entries = journal.entries(
            conforms=None if conforms is None else conforms.lower() == "true",
            limit=int(limit) if limit.isdigit() else 100,
        )
        return JSONResponse({"data": [e.public() for e in entries]})

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(transport=transport, timeout=30.0, follow_redirects=False) as client:
            state["client"] = client
            yield

    async def forward(request: Request) -> Response:
        started = time.perf_counter()
        body = await request.body()
        openapi_request = StarletteOpenAPIRequest(request, body)
        violations = validator.request(openapi_request)
        path = request.url.path
        label = f"{request.method} {path}"
        if violations and strict:
            for violation in violations:
                log.warning("%s refused: %s", label, violation)
            refused = _error_response(api, violations[0])
            record(
                request,
                body,
                refused.status_code,
                httpx.Headers(dict(refused.headers)),
                refused.body,
                started,
                violations,
            )
            return refused
        rest = path[len(validator.base_path) :] if path.startswith(validator.base_path) else path
        url = upstream + rest + (f"?{request.url.query}" if request.url.query else "")
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in _HOP]
        try:
            answer = await state["client"].request(request.method, url, headers=headers, content=body)
        except httpx.HTTPError as exc:
            log.error("%s: upstream unreachable: %s", label, exc)
            return Response(f"upstream unreachable: {exc}", status_code=502, media_type="text/plain")
        violations += validator.response(openapi_request, _Response(answer.status_code, answer.headers, answer.content))
        for violation in violations:
            log.warning("%s → %s: %s", label, answer.status_code, violation)
        record(request, body, answer.status_code, answer.headers, answer.content, started, violations)
        out_headers = {k: v for k, v in answer.headers.items() if k.lower() not in _HOP}
        response = Response(answer.content, status_code=answer.status_code, headers=out_headers)
        if violations:
            response.headers[VIOLATIONS_HEADER] = _header_value(violations)
        return response

    routes = [Route(JOURNAL_PATH, journal_entries, methods=["GET"]), Route("/{path:path}", forward, methods=_METHODS)]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.base_path = validator.base_path
    return app


def _configure(parser: argparse.ArgumentParser) -> None:
    from ..vendors import vendor_names

    parser.description = "Forward to a real server and validate every exchange against the bundled contract."
    parser.add_argument("api", metavar="API", choices=vendor_names(), help=f"one of {', '.join(vendor_names())}")
    parser.add_argument("--upstream", required=True, help="the real API's base URL")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--strict", action="store_true", help="answer violating requests with the API's 4xx")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])


@command("proxy", _configure)
def proxy(args: argparse.Namespace) -> int:
    import uvicorn

    if not re.match(r"^https?://", args.upstream):
        print(f"facturas-sandbox proxy: --upstream must be an http(s) URL, not {args.upstream!r}", file=sys.stderr)
        return 2
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    app = create_proxy(args.api, args.upstream, strict=args.strict)
    print(
        f"validating proxy for {args.api}: http://{args.host}:{args.port}{app.state.base_path} → {args.upstream}"
        f"{' (strict)' if args.strict else ''}",
        flush=True,
    )
    uvicorn.run(app, host=args.host, port=args.port, log_level=args.log_level)
    return 0

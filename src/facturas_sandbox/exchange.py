"""Validate one HTTP exchange against a contract with openapi-core.

The request journal marks every exchange conforming or not with this, and the validating
proxy checks live traffic with it. The OpenAPI object is built once per contract (building
it is the slow part); validating an exchange is then a few dictionary walks.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.datatypes import RequestParameters
from starlette.datastructures import Headers, QueryParams

MAX_VIOLATIONS = 20


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str  # the full path as received, mount prefix included
    query: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class RecordedResponse:
    status: int
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""


@dataclass
class _Request:
    recorded: RecordedRequest
    parameters: RequestParameters = field(init=False)

    def __post_init__(self) -> None:
        headers = Headers(raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.recorded.headers])
        cookies: dict[str, str] = {}
        self.parameters = RequestParameters(query=QueryParams(self.recorded.query), header=headers, cookie=cookies)

    @property
    def host_url(self) -> str:
        return "http://sandbox"

    @property
    def path(self) -> str:
        return self.recorded.path

    @property
    def method(self) -> str:
        return self.recorded.method.lower()

    @property
    def body(self) -> bytes | None:
        return self.recorded.body or None

    @property
    def content_type(self) -> str:
        for name, value in self.recorded.headers:
            if name.lower() == "content-type":
                return value
        return "application/octet-stream"


@dataclass
class _Response:
    recorded: RecordedResponse

    @property
    def data(self) -> bytes:
        return self.recorded.body

    @property
    def status_code(self) -> int:
        return self.recorded.status

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    @property
    def headers(self) -> Headers:
        return Headers(raw=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in self.recorded.headers])


def _describe(error: Exception) -> str:
    """One line: the error, and the first schema errors behind it if there are any."""
    current: BaseException | None = error
    while current is not None:
        schema_errors = getattr(current, "schema_errors", None)
        if schema_errors:
            details = "; ".join(str(e.message) for e in list(schema_errors)[:3])
            return f"{type(error).__name__}: {details}"
        current = current.__cause__ or current.__context__
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class ExchangeValidator:
    """openapi-core for one contract mounted at `prefix`."""

    def __init__(self, contract: dict[str, Any], prefix: str) -> None:
        spec = copy.deepcopy(contract)
        spec["servers"] = [{"url": f"http://sandbox{prefix}"}]
        # Connexion already validated the contract itself at start-up.
        self.openapi = OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))

    def request_violations(self, request: RecordedRequest) -> list[str]:
        errors = self.openapi.iter_request_errors(_Request(request))
        return [f"request: {_describe(e)}" for e in errors][:MAX_VIOLATIONS]

    def response_violations(self, request: RecordedRequest, response: RecordedResponse) -> list[str]:
        errors = self.openapi.iter_response_errors(_Request(request), _Response(response))
        return [f"response: {_describe(e)}" for e in errors][:MAX_VIOLATIONS]

    def violations(self, request: RecordedRequest, response: RecordedResponse) -> list[str]:
        return self.request_violations(request) + self.response_violations(request, response)

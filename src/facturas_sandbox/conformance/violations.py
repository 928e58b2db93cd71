"""openapi-core's validation errors in plain words, and the operation a request names.

openapi-core's own texts are for its developers: `Request body validation error: Value {...}
not valid for schema of type object: (<ValidationError: "'login' is a required property">,)`.
A user of the proxy reads "request body: 'login' is a required property" instead, and where in
the body (`at items[0].quantity`) when it is not the top level.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.templating.responses.exceptions import ResponseNotFound
from openapi_core.validation.request.exceptions import (
    MissingRequestBodyError,
    ParameterValidationError,
    RequestBodyValidationError,
    SecurityValidationError,
)
from openapi_core.validation.response.exceptions import DataValidationError, HeaderValidationError

MAX_DETAILS = 3
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


def where(path: Iterable[Any]) -> str:
    """A JSON path as a reader writes it: `items[0].quantity`."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _schema_details(error: BaseException) -> str:
    cause = error.__cause__
    errors = list(getattr(cause, "schema_errors", ()) or ())
    if not errors:
        text = str(cause).strip().splitlines()[0] if cause is not None else ""
        return re.sub(r"<\w+: (.*?)>", r"\1", text)  # never a Python repr
    details = []
    for schema_error in errors[:MAX_DETAILS]:
        at = where(schema_error.absolute_path)
        details.append(f"{schema_error.message}{f' at {at}' if at else ''}")
    more = len(errors) - MAX_DETAILS
    return "; ".join(details) + (f" (and {more} more)" if more > 0 else "")


def describe(error: BaseException, side: str) -> str:
    """One line: what failed, where, in the contract's terms."""
    if isinstance(error, SecurityValidationError):
        schemes = sorted({name for requirement in getattr(error.__cause__, "schemes", []) for name in requirement})
        wanted = f" (the contract accepts {', '.join(schemes)})" if schemes else ""
        text = f"credentials missing or not accepted{wanted}"
    elif isinstance(error, PathNotFound):
        text = "path: no path of the contract matches this URL"
    elif isinstance(error, OperationNotFound):
        text = f"method: the contract has no {error.method.upper()} for this path"
    elif isinstance(error, ResponseNotFound):
        text = f"status: {error.http_status} is not documented for this operation"
    elif isinstance(error, MissingRequestBodyError):
        text = "request body: required, but none was sent"
    elif isinstance(error, RequestBodyValidationError):
        text = f"request body: {_schema_details(error)}"
    elif isinstance(error, ParameterValidationError):
        details = _schema_details(error) if error.__cause__ is not None else ""
        state = details or ("missing" if "Missing" in type(error).__name__ else "invalid")
        text = f"{error.location} parameter {error.name!r}: {state}"
    elif isinstance(error, HeaderValidationError):
        name = getattr(error, "name", "")
        details = _schema_details(error) if error.__cause__ is not None else "missing"
        text = f"header {name!r}: {details}"
    elif isinstance(error, DataValidationError):
        text = f"response body: {_schema_details(error)}"
    else:
        text = f"{str(error).strip() or type(error).__name__}"
        if error.__cause__ is not None:
            text += f": {_schema_details(error)}"
    text = re.sub(r"\s+", " ", text)
    return text[:300]


class OperationIndex:
    """(method, path under the base path) -> the contract's operationId."""

    def __init__(self, contract: dict[str, Any]) -> None:
        self._routes: list[tuple[str, re.Pattern[str], str]] = []
        for template, item in contract.get("paths", {}).items():
            pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")
            for method, operation in item.items():
                if method in _METHODS and isinstance(operation, dict) and operation.get("operationId"):
                    self._routes.append((method.upper(), pattern, operation["operationId"]))
        # Literal segments win over templated ones (`/invoices/search` before `/invoices/{id}`).
        self._routes.sort(key=lambda route: route[1].pattern.count("[^/]+"))

    def find(self, method: str, path: str) -> str | None:
        for route_method, pattern, operation_id in self._routes:
            if route_method == method.upper() and pattern.match(path):
                return operation_id
        return None

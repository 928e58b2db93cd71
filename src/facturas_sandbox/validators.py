"""Request body validation that reports every offending field and never crashes on bad bytes.

Connexion's stock JSON validator stops at the first error, answers non-UTF-8 bodies with a 500
(connexion issue #1860) and accepts NaN, Infinity and duplicate keys. The sandbox needs each
of those rejected with a 4xx in the vendor's shape, so the body is parsed strictly here and
every schema violation becomes a `FieldError`.

JSON numbers with a fraction or an exponent are parsed as `Decimal`, never through a binary
float (`1.0049999999999999999` is not 1.005, and rounds to 1.00). The parsed body is handed to
the handler (`PARSED_BODY`, `exact_body`) instead of Connexion's second, float-based parse.
Text that cannot be stored (`text_check`) is refused here too, in JSON and form bodies.
"""

from __future__ import annotations

import functools
import inspect
import json
import typing as t
from decimal import Decimal, InvalidOperation

from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP, FormDataValidator, MultiPartFormDataValidator
from connexion.validators.json import JSONRequestBodyValidator
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from starlette.types import Message, Receive, Scope

from .compiled_schema import compile_check
from .errors import ApiError, FieldError
from .text_check import check_storable

MAX_DEPTH = 64
# OpenAPI 3.0 schemas are draft 4, whose format checker knows no `date` or `uuid`: without
# these, "0000-00-00" passed as a date. Formats are checked with the newest checker; the
# keywords keep draft 4 semantics.
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
JSON_NULL = object()  # the body was the JSON literal null (not an absent body)
# Where the JSON body validator leaves the body it parsed, for the handler (`exact_body`).
PARSED_BODY = "sandbox.json_body"
# Numbers beyond a double's range: what every vendor stores numbers in. A float parse made
# them infinite (and refused); as Decimals they would reach the arithmetic.
MAX_NUMBER = Decimal("1.7976931348623157e308")


def json_number(text: str) -> Decimal:
    """A JSON number with a fraction or an exponent, exactly (json.loads' `parse_float`).

    An exponent can leave no fraction digits (`1.5e1` is `Decimal("15")`); jsonschema-rs takes
    such a Decimal for an integer where the draft-4 validator, like a float parse before, does
    not, so it keeps one zero fraction digit (`15.0`): same value, same verdict everywhere.
    """
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(f"{text!r} is not a number") from exc
    if not number.is_finite() or abs(number) > MAX_NUMBER:
        raise ValueError(f"the number {text[:40]} is beyond the range of a double")
    sign, digits, exponent = number.as_tuple()
    if exponent == 0:
        number = Decimal((sign, (*digits, 0), -1))
    return number


def loads(text: str) -> t.Any:
    """json.loads as the sandbox parses every request JSON: Decimal numbers, no NaN or
    Infinity, no duplicate keys. ValueError or RecursionError on bad input."""
    return json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant, parse_float=json_number)


def _reject_constant(name: str) -> t.NoReturn:
    raise ValueError(f"{name} is not valid JSON")


def _pairs(pairs: list[tuple[str, t.Any]]) -> dict[str, t.Any]:
    out: dict[str, t.Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"duplicate key {key!r}")
        out[key] = value
    return out


def _depth(text: str) -> int:
    deepest = depth = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def dumps_exact(value: t.Any) -> str:
    """JSON text of a parsed request value, its Decimal numbers written digit for digit (the
    standard encoder refuses Decimal; a float would round it)."""
    if isinstance(value, Decimal):
        return str(value)  # "1.0049999999999999999", "1E+2": JSON numbers as they are
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(k)}:{dumps_exact(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(dumps_exact(v) for v in value) + "]"
    return json.dumps(value)


def parse_json_strict(raw: bytes, encoding: str = "utf-8") -> t.Any:
    """Parse a request body or raise ApiError(400, origin="body")."""
    try:
        text = raw.decode(encoding)
    except (UnicodeDecodeError, LookupError) as exc:
        raise ApiError(400, "invalid_body", f"The body is not valid {encoding} text", origin="body") from exc
    if not text:
        return None  # no body at all
    if not text.strip():
        raise ApiError(400, "invalid_body", "The body is not valid JSON: it holds only whitespace", origin="body")
    if _depth(text) > MAX_DEPTH:
        raise ApiError(400, "invalid_body", f"The JSON body is nested deeper than {MAX_DEPTH} levels", origin="body")
    try:
        body = loads(text)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_body", f"The body is not valid JSON: {exc}", origin="body") from exc
    if "\\u" in text or encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        # From UTF-8, U+0000 and lone surrogates can only come in as escapes; a charset the
        # client names (`unicode_escape`…) may decode to anything.
        check_storable(body)
    return body


def field_path(error: ValidationError) -> str:
    path = ""
    for part in error.absolute_path:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return f"{path}.{missing}" if path else missing
    if error.validator == "additionalProperties" and "'" in error.message:
        extra = error.message.split("'")[1]
        return f"{path}.{extra}" if path else extra
    return path or "(body)"


_TYPE_WORDS = {
    "array": "a list",
    "object": "an object",
    "string": "a text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
}


def _message(error: ValidationError) -> str:
    if error.validator == "type" and error.instance is None:
        # A nil value (an empty XML element, a null) in words, not as jsonschema's `None is not
        # of type 'array'`, which names a Python value.
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        return "must be " + " or ".join(_TYPE_WORDS.get(str(k), str(k)) for k in kinds)
    if error.validator == "additionalProperties":
        return "unknown field"
    if error.validator == "required":
        return "is required"
    return error.message if len(error.message) < 200 else error.message[:197] + "..."


def schema_errors(validator: Draft4Validator, body: t.Any) -> list[FieldError]:
    errors = sorted(validator.iter_errors(body), key=lambda e: [str(p) for p in e.absolute_path])
    return [FieldError(field_path(e), _message(e)) for e in errors[:50]]


class ChunkedBodies:
    """A body sent chunked (Transfer-Encoding: chunked, no Content-Length) is a body.

    Connexion's `AbstractRequestBodyValidator.wrap_receive` decides that a request has no body
    from its Content-Length header alone, so a chunked body, which has none, was taken for an
    absent one: "RequestBody is required" for a required body, the schema's default for an
    optional one. Here a chunked body is read first (the sandbox middleware has bounded its size
    and time already) and handed to Connexion with the Content-Length it then has.
    """

    async def wrap_receive(self, receive: Receive, *, scope: Scope) -> tuple[Receive, Scope]:
        headers = scope["headers"]
        if any(k == b"content-length" for k, _ in headers) or not any(k == b"transfer-encoding" for k, _ in headers):
            return await super().wrap_receive(receive, scope=scope)  # type: ignore[misc]
        messages: list[Message] = []
        size = 0
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            if not message.get("more_body", False):
                break
        scope = {
            **scope,
            "headers": [*(h for h in headers if h[0] != b"transfer-encoding"), (b"content-length", str(size).encode())],
        }
        replay = iter(messages)

        async def replayed() -> Message:
            for message in replay:
                return message
            return await receive()

        return await super().wrap_receive(replayed, scope=scope)  # type: ignore[misc]


class StrictJSONBodyValidator(ChunkedBodies, JSONRequestBodyValidator):
    """Every error at once, in the sandbox's own error type."""

    @property
    def _validator(self) -> Draft4Validator:
        validator = getattr(self, "_compiled", None)
        if validator is None:
            validator = Draft4RequestValidator(self._schema, format_checker=FORMAT_CHECKER)
            self._compiled = validator
        return validator

    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        raw = b"".join([chunk async for chunk in stream])
        body = parse_json_strict(raw, self._encoding or "utf-8")
        if raw:
            scope[PARSED_BODY] = body
        # A literal `null` is a body, unlike an absent one: validate it as such.
        return JSON_NULL if body is None and raw.strip() else body

    def _validate(self, body: t.Any) -> dict | None:
        if body is None and not self._required:
            return None  # an optional body that was not sent
        if body is JSON_NULL:
            if self._nullable:
                return None
            raise ApiError(400, "invalid_data", "The request body must not be null", origin="validation")
        if not self._nullable and body is None:
            raise ApiError(400, "invalid_body", "The request body must not be empty", origin="body")
        check = self.__dict__.get("_check", False)
        if check is False:
            check = self._check = compile_check(self._schema, FORMAT_CHECKER)
        if check is not None and check(body):
            return None  # the common case; errors are found and worded by the Python validator
        errors = schema_errors(self._validator, body)
        if errors:
            summary = "; ".join(f"{e.field}: {e.message}" for e in errors[:3])
            raise ApiError(400, "invalid_data", f"Invalid data: {summary}", fields=errors, origin="validation")
        return None


class _StorableFields:
    async def _parse(self, stream: t.AsyncGenerator[bytes, None], scope: Scope) -> t.Any:
        data = await super()._parse(stream, scope)  # type: ignore[misc]
        check_storable(data)  # field names and values (file parts are not strings here)
        return data


class SandboxFormDataValidator(ChunkedBodies, _StorableFields, FormDataValidator):
    pass


class SandboxMultiPartFormDataValidator(ChunkedBodies, _StorableFields, MultiPartFormDataValidator):
    pass


def exact_body(handler: t.Callable[..., t.Any]) -> t.Callable[..., t.Any]:
    """`handler` given the JSON body the validator parsed (Decimal numbers) as `body`.

    Connexion parses a JSON body a second time for the handler, with Starlette's
    `Request.json()` (binary floats); this replaces that value with the exact one. Handlers
    that take only `**kwargs` (FacturaScripts' generic model handlers, which store numbers as
    the vendor's doubles anyway) keep Connexion's value.
    """
    if "body" not in inspect.signature(handler).parameters:
        return handler

    def exact(kwargs: dict[str, t.Any]) -> dict[str, t.Any]:
        if "body" in kwargs:
            from connexion.context import scope

            parsed = scope.get(PARSED_BODY, JSON_NULL)
            if parsed is not JSON_NULL:
                kwargs["body"] = parsed
        return kwargs

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def async_wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
            return await handler(*args, **exact(kwargs))

        return async_wrapper

    @functools.wraps(handler)
    def wrapper(*args: t.Any, **kwargs: t.Any) -> t.Any:
        return handler(*args, **exact(kwargs))

    return wrapper


def validator_map() -> dict[str, t.Any]:
    # Keep Connexion's MediaTypeDict: it is what matches "application/json" to "*/*json".
    body = type(VALIDATOR_MAP["body"])(
        {
            **VALIDATOR_MAP["body"],
            "*/*json": StrictJSONBodyValidator,
            "application/x-www-form-urlencoded": SandboxFormDataValidator,
            "multipart/form-data": SandboxMultiPartFormDataValidator,
        }
    )
    return {**VALIDATOR_MAP, "body": body}

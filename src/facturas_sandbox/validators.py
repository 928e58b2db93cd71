"""Request body validation that reports every offending field and never crashes on bad bytes.

Connexion's stock JSON validator stops at the first error, answers non-UTF-8 bodies with a 500
(connexion issue #1860) and accepts NaN, Infinity and duplicate keys. The sandbox needs each
of those rejected with a 4xx in the vendor's shape, so the body is parsed strictly here and
every schema violation becomes a `FieldError`.
"""

from __future__ import annotations

import json
import typing as t

from connexion.json_schema import Draft4RequestValidator
from connexion.validators import VALIDATOR_MAP
from connexion.validators.json import JSONRequestBodyValidator
from jsonschema import Draft4Validator, Draft202012Validator, ValidationError
from starlette.types import Scope

from .compiled_schema import compile_check
from .errors import ApiError, FieldError

MAX_DEPTH = 64
# OpenAPI 3.0 schemas are draft 4, whose format checker knows no `date` or `uuid`: without
# these, "0000-00-00" passed as a date. Formats are checked with the newest checker; the
# keywords keep draft 4 semantics.
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
JSON_NULL = object()  # the body was the JSON literal null (not an absent body)


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
        return json.loads(text, object_pairs_hook=_pairs, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_body", f"The body is not valid JSON: {exc}", origin="body") from exc


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


class StrictJSONBodyValidator(JSONRequestBodyValidator):
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


def validator_map() -> dict[str, t.Any]:
    # Keep Connexion's MediaTypeDict: it is what matches "application/json" to "*/*json".
    body = type(VALIDATOR_MAP["body"])({**VALIDATOR_MAP["body"], "*/*json": StrictJSONBodyValidator})
    return {**VALIDATOR_MAP, "body": body}

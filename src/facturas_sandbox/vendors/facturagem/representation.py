"""One resource, two representations: `.json` and Rails-style `.xml`; strict parameters.

Everything a handler answers goes through `render`, so JSON and XML cannot drift: the XML is
the JSON object written by `railsxml.to_xml`, with the `errors` hash written the Rails way (a
list of full messages).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from connexion.context import operation, request
from jsonschema import Draft4Validator, FormatChecker, validators
from starlette.responses import Response

from ...errors import ApiError, FieldError
from ...responses import empty_response, json_response
from ...validators import schema_errors
from .railsxml import XmlError, from_xml, singular, to_xml

FORMATS = ("json", "xml")
MEDIA = {"json": "application/json", "xml": "application/xml"}


def full_messages(errors: dict[str, list[str]]) -> list[str]:
    out: list[str] = []
    for field, messages in errors.items():
        label = "" if field == "base" else field.replace("_", " ").replace(".", " ").capitalize() + " "
        out.extend(f"{label}{message}" for message in messages)
    return out


def render(format: str, root: str, body: dict[str, Any], status: int = 200) -> Response:
    if format == "xml":
        if "errors" in body:
            body = {**body, "errors": full_messages(body["errors"])}
        return Response(to_xml(root, body), status_code=status, media_type=MEDIA["xml"])
    return json_response(body, status)


def no_content(status: int = 200) -> Response:
    return empty_response(status)


def errors_of(fields: list[FieldError]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for f in fields:
        out.setdefault(f.field or "base", []).append(f.message)
    return out


# -- links -----------------------------------------------------------------------------------
def base_url() -> str:
    mount = request.scope.get("sandbox.mount")
    prefix = mount.prefix if mount is not None else "/api/v1"
    return f"{request.url.scheme}://{request.url.netloc}{prefix}"


def uri(path: str, format: str) -> str:
    return f"{base_url()}{path}.{format}"


def link(rel: str, path: str, format: str) -> dict[str, str]:
    return {"rel": rel, "uri": uri(path, format)}


# -- request bodies --------------------------------------------------------------------------
def _body_schema(content_type: str = "application/json") -> dict[str, Any]:
    return operation.body_schema(content_type) or {}


def _kind(schema: dict[str, Any]) -> Any:
    # A value-or-empty field (`anyOf: [{type: number}, XmlNil]`) takes its value's type.
    for branch in schema.get("anyOf") or ():
        if branch.get("type") not in (None, "string"):
            return branch["type"]
    return schema.get("type")


def _coerce(value: Any, schema: dict[str, Any], name: str = "") -> Any:
    """XML text to the JSON types the contract names (Rails coerces the same strings)."""
    kind = _kind(schema)
    if value is None:
        # An empty element where the contract wants a list (`<lines></lines>`, how most XML
        # serialisers write an empty array) is an empty list, as `type="array"` reads it;
        # `<lines>` may leave the attribute out when it has items too.
        return [] if kind == "array" else None
    if kind == "object" and isinstance(value, dict):
        props = schema.get("properties", {})
        return {k: _coerce(v, props.get(k, {}), k) for k, v in value.items()}
    if kind == "object" and value == "":
        return {}
    if kind == "array":
        if value == "":
            return []
        if isinstance(value, dict) and list(value) == [singular(name)]:
            # `<lines><line>…</line></lines>` without type="array" (Rails would need the
            # attribute): the wrapped items.
            value = value[singular(name)]
            value = value if isinstance(value, list) else [value]
        if isinstance(value, list):
            return [_coerce(v, schema.get("items", {})) for v in value]
        if isinstance(value, dict):
            # One element of an unwrapped list (`<lines>…</lines>` once): a list of one.
            return [_coerce(value, schema.get("items", {}))]
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if kind == "number":
                number = Decimal(text)
                return number if number.is_finite() else value
            if kind == "integer":
                return int(text) if text.lstrip("-").isdigit() else value
        except ArithmeticError:
            return value
        if kind == "boolean" and text in ("true", "false", "1", "0"):
            return text in ("true", "1")
    return value


def _nil_passes(check: Any) -> Any:
    def validate(validator: Any, value: Any, instance: Any, schema: dict[str, Any]) -> Any:
        if instance is None and schema.get("type") not in ("array", "object"):
            return
        yield from check(validator, value, instance, schema)

    return validate


# XML has no null text: a nil field (`nil="true"` or an empty element) is a value of every
# scalar type here, and the model's own rules answer it (422 "can't be blank", or the
# field's default), as in Rails. Every other value meets the contract's XML schema, formats
# included; a nil object is refused (an empty list element is an empty list, see `_coerce`).
XmlValidator = validators.extend(
    Draft4Validator, {name: _nil_passes(Draft4Validator.VALIDATORS[name]) for name in ("type", "enum", "anyOf")}
)


def _nil_numbers(value: Any, schema: dict[str, Any], prefix: str = "") -> list[str]:
    """Fields given as nil where the XML schema wants a number (no empty alternative)."""
    out: list[str] = []
    if not isinstance(value, dict):
        return out
    for key, item in value.items():
        sub = (schema.get("properties") or {}).get(key) or {}
        name = f"{prefix}.{key}" if prefix else key
        if item is None and sub.get("type") in ("number", "integer"):
            out.append(name)
        elif isinstance(item, list):
            for n, element in enumerate(item):
                out.extend(_nil_numbers(element, sub.get("items") or {}, f"{name}[{n}]"))
    return out


def read_body(format: str, body: Any, root: str) -> dict[str, Any]:
    """The request body as a dict, from JSON (validated by Connexion), a form, or XML (parsed
    safely here and validated against the contract's XML schema)."""
    if body is None:
        return {}
    if isinstance(body, (bytes, bytearray)):
        try:
            name, value = from_xml(bytes(body))
        except XmlError as exc:
            raise ApiError(400, "invalid_body", str(exc), origin="body") from exc
        schema = _body_schema("application/xml")
        if name != root:
            raise unexpected([name], allowed_params(_body_schema()))
        value = _coerce({} if value in ("", None) else value, {**schema, "type": "object"})
        if not isinstance(value, dict):
            raise ApiError(400, "invalid_body", f"<{root}> must contain elements", origin="body")
        fields = schema_errors(XmlValidator(schema, format_checker=FormatChecker()), value)
        if fields:
            raise ApiError(400, "invalid_data", "Invalid data", fields=fields, origin="validation")
        nil_numbers = _nil_numbers(value, schema)
        if nil_numbers:
            # Rails' numericality validation: a nil number is refused with the model's errors.
            fields = [FieldError(name, "is not a number") for name in nil_numbers]
            raise ApiError(422, "invalid_data", "Invalid data", fields=fields)
        return value
    if isinstance(body, dict):
        return dict(body)
    raise ApiError(400, "invalid_body", "The body must be an object", origin="body")


# -- strict parameters -----------------------------------------------------------------------
def _body_params(schema: dict[str, Any], prefix: str = "") -> list[str]:
    out = []
    for name, sub in (schema.get("properties") or {}).items():
        if sub.get("readOnly"):
            continue
        key = f"{prefix}[{name}]" if prefix else name
        out.append(key)
        if sub.get("type") == "array" and sub.get("items", {}).get("type") == "object":
            out.extend(_body_params(sub["items"], key + "[]"))
    return out


# The security scheme's query parameter: authentication, read before the action as a Rails
# before_action reads params[:api_key], so strong parameters never see it (sessions included).
AUTHENTICATION_PARAMS = ("api_key",)


def allowed_params(schema: dict[str, Any] | None = None) -> list[str]:
    query = [p["name"] for p in operation.parameters if p.get("in") == "query"] + list(AUTHENTICATION_PARAMS)
    if schema is None:
        schema = _body_schema() if operation.request_body else {}
    return sorted(set(query) | set(_body_params(schema)))


def _unexpected_body(value: Any, schema: dict[str, Any], prefix: str = "") -> list[str]:
    if not isinstance(value, dict):
        return []
    props = schema.get("properties") or {}
    out = []
    for key, sub_value in value.items():
        name = f"{prefix}[{key}]" if prefix else key
        sub = props.get(key)
        if sub is None or sub.get("readOnly"):
            out.append(name)
        elif sub.get("type") == "array" and isinstance(sub_value, list):
            for item in sub_value:
                out.extend(_unexpected_body(item, sub.get("items", {}), name + "[]"))
    return out


def strict_mode() -> bool:
    return request.query_params.get("strict", "true") not in ("false", "0")


def unexpected(names: list[str], allowed: list[str]) -> ApiError:
    return ApiError(
        422,
        "unexpected_parameters",
        "Unexpected parameters: " + ", ".join(names),
        fields=[FieldError("params", f"{n} is not allowed") for n in names],
        extra={"allowed_params": allowed},
    )


def check_params(body: dict[str, Any] | None = None) -> None:
    """422 listing the allowed parameters when the request has any other; `strict=false` or
    `strict=0` turns the check off (extra parameters are then ignored)."""
    if not strict_mode():
        return
    declared = {p["name"] for p in operation.parameters if p.get("in") == "query"} | set(AUTHENTICATION_PARAMS)
    names = [k for k in dict.fromkeys(request.query_params.keys()) if k not in declared]
    schema = _body_schema() if operation.request_body else {}
    if body:
        names += _unexpected_body(body, schema)
    if names:
        raise unexpected(names, allowed_params(schema))

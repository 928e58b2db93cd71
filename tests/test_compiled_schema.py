"""The compiled body check (jsonschema-rs) never accepts a body the Python validator refuses.

Every JSON request-body schema of every contract is tried with a body built from the schema
and with mutations of it (each value replaced by values of other types, out-of-range values,
malformed dates and ids, nulls; keys removed and unknown keys added).
"""

from __future__ import annotations

import json
import os
import random
from typing import Any

import pytest
from connexion.utils import is_json_mimetype

from facturas_sandbox import connexion_compat
from facturas_sandbox.compiled_schema import compile_check, draft4_schema
from facturas_sandbox.validators import FORMAT_CHECKER, StrictJSONBodyValidator, json_number, parse_json_strict

# `make stress` tries five times as many.
MUTATIONS_PER_SCHEMA = 150 if os.environ.get("SANDBOX_STRESS") else 30
ODD_VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    1,
    -1,
    1.0,
    1.5,
    -0.01,
    10**20,
    1e300,
    "",
    "x",
    "null",
    " ",
    "x" * 300,
    "2026-02-03",
    "2026-02-30",
    "03-02-2026",
    "2026-02-03T10:00:00+00:00",
    "2026-02-03 10:00",
    "4e0c5d3a-7b1f-4c1e-9d0a-1f2e3d4c5b6a",
    "4e0c5d3a-7b1f-4c1e-9d0a-1f2e3d4c5b6",
    "12.5",
    "-3",
    "abc\n",
    "1\n",
    [],
    [1],
    ["x"],
    {},
    {"a": 1},
]


def _typical(schema: dict[str, Any], depth: int = 0) -> Any:
    """A body that often satisfies the schema: examples and enums first, else by type."""
    for key in ("example", "default"):
        if key in schema:
            return schema[key]
    if schema.get("enum"):
        return schema["enum"][0]
    for combinator in ("allOf", "oneOf", "anyOf"):
        if schema.get(combinator):
            merged: Any = None
            for part in schema[combinator]:
                value = _typical(part, depth + 1)
                if isinstance(value, dict) and isinstance(merged, dict):
                    merged = {**merged, **value}
                elif merged is None:
                    merged = value
            return merged
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 6:
            return {}
        return {name: _typical(sub, depth + 1) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [_typical(schema.get("items", {}), depth + 1)] if depth <= 6 else []
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(1.5, schema.get("minimum", 1.5))
    if kind == "boolean":
        return True
    if kind == "string":
        return {
            "date": "2026-02-03",
            "date-time": "2026-02-03T10:00:00+00:00",
            "uuid": "4e0c5d3a-7b1f-4c1e-9d0a-1f2e3d4c5b6a",
            "email": "a@example.com",
        }.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))
    return "x"


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, sub in value.items():
            out += _paths(sub, (*prefix, key))
    elif isinstance(value, list):
        for i, sub in enumerate(value):
            out += _paths(sub, (*prefix, i))
    return out


def _replace(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replace(value[head], rest, new)}
    copy = list(value)
    copy[head] = _replace(copy[head], rest, new)
    return copy


def _delete(value: Any, path: tuple[Any, ...]) -> Any:
    head, rest = path[0], path[1:]
    if rest:
        copy: Any = dict(value) if isinstance(value, dict) else list(value)
        copy[head] = _delete(value[head], rest)
        return copy
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k != head}
    return [v for i, v in enumerate(value) if i != head]


def _bodies(schema: dict[str, Any], rng: random.Random) -> list[Any]:
    base = _typical(schema)
    bodies = [base]
    paths = _paths(base)
    candidates = [(path, value) for path in paths for value in ODD_VALUES]
    for path, value in rng.sample(candidates, min(MUTATIONS_PER_SCHEMA, len(candidates))):
        bodies.append(_replace(base, path, value))
    for path in rng.sample(paths[1:], min(MUTATIONS_PER_SCHEMA // 3, len(paths) - 1)):
        bodies.append(_delete(base, path))
    if isinstance(base, dict):
        bodies.append({**base, "unknown_field_x": 1})
    return bodies


def _json_body_schemas(app: Any) -> list[tuple[str, dict[str, Any]]]:
    # A stack of its own: the session app may not have served a request yet.
    found = []
    for layer in app.middleware._build_middleware_stack()[1]:
        if not isinstance(layer, connexion_compat.OnceRequestValidationMiddleware):
            continue
        for apis in layer.apis.values():
            for api in apis:
                for op_id, op in api.operations.items():
                    for mime in op._operation.consumes:
                        schema = op._operation.body_schema(mime)
                        if schema and is_json_mimetype(mime):
                            found.append((f"{api.base_path} {op_id} {mime}", schema))
    return found


def test_every_contract_has_json_body_schemas_to_check(app: Any) -> None:
    assert len(_json_body_schemas(app)) > 20


def test_the_compiled_check_never_accepts_what_python_refuses(app: Any) -> None:
    rng = random.Random(17)
    tried = accepted = 0
    for name, schema in _json_body_schemas(app):
        check = compile_check(schema, FORMAT_CHECKER)
        assert check is not None, name
        python = StrictJSONBodyValidator(schema=schema, encoding="utf-8", strict_validation=False)._validator
        for body in _bodies(schema, rng):
            try:
                parsed = parse_json_strict(json.dumps(body).encode())
            except Exception:
                continue  # bodies the parser refuses never reach a schema
            tried += 1
            if check(parsed):
                accepted += 1
                errors = [e.message for e in python.iter_errors(parsed)]
                assert not errors, (name, body, errors)
    # Not vacuous: many bodies were accepted by both, many refused.
    print(f"{tried} bodies tried, {accepted} accepted by both")
    assert tried > 2000
    assert 0.02 * tried < accepted < 0.9 * tried, (accepted, tried)


@pytest.mark.parametrize(
    ("schema", "body", "valid"),
    [
        ({"type": "string", "nullable": True}, None, True),
        ({"type": "string"}, None, False),
        ({"type": "string", "enum": ["a"], "nullable": True}, None, True),
        ({"type": "string", "enum": ["a"]}, None, False),
        ({"type": "string", "format": "date"}, "2026-02-30", False),
        ({"type": "string", "format": "uuid"}, "not-a-uuid", False),
        ({"type": "integer"}, 1.0, False),
        ({"type": "integer"}, True, False),
        ({"type": "string"}, "\ud800", False),  # jsonschema-rs cannot take it: Python decides
        # JSON numbers arrive as Decimal: jsonschema-rs took an exponent-0 Decimal for an integer
        ({"type": "integer"}, json_number("1e0"), False),
        ({"type": "integer"}, json_number("1.5e1"), False),
        ({"type": "integer"}, json_number("1E+2"), False),
        ({"type": "number", "maximum": 5}, json_number("5.0000000000000000001"), False),
        ({"type": "number", "minimum": 5}, json_number("4.9999999999999999999"), False),
        ({"type": "number", "maximum": 5}, json_number("4.9999999999999999999"), True),
        ({"type": "object", "properties": {"nullable": {"type": "string"}}}, {"nullable": None}, False),
    ],
)
def test_the_compiled_check_reads_openapi_as_connexion_does(schema: dict, body: Any, valid: bool) -> None:
    check = compile_check(schema, FORMAT_CHECKER)
    assert check is not None
    assert check(body) is valid


def test_multiple_of_is_left_to_python() -> None:
    assert compile_check({"type": "object", "properties": {"q": {"multipleOf": 0.01}}}, FORMAT_CHECKER) is None


def test_data_keywords_are_not_translated() -> None:
    schema = {"enum": [{"nullable": True, "type": "x"}], "default": {"nullable": True, "type": "y"}}
    assert draft4_schema(schema) == schema


def test_a_valid_body_skips_the_python_validator_and_an_invalid_one_gets_its_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from facturas_sandbox import validators
    from facturas_sandbox.errors import ApiError

    schema = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 2}}}
    body_validator = StrictJSONBodyValidator(schema=schema, encoding="utf-8", strict_validation=False, required=True)
    real = validators.schema_errors
    calls: list[Any] = []
    monkeypatch.setattr(validators, "schema_errors", lambda v, b: calls.append(b) or real(v, b))
    assert body_validator._validate({"name": "ab"}) is None
    assert calls == []
    with pytest.raises(ApiError) as refused:
        body_validator._validate({"name": "a", "extra": 1})
    assert calls == [{"name": "a", "extra": 1}]
    assert [f.field for f in refused.value.fields] == ["name"]

"""A compiled yes/no check of a request body against its schema (jsonschema-rs).

Validating an invoice body with the `jsonschema` package took about a third of the CPU of a
POST /invoices (bench/RESULTS.md). jsonschema-rs compiles the same draft-4 schema to native
code and answers "valid?" an order of magnitude faster, but its error messages are not the
sandbox's (field paths, the vendor's wording). So it only decides the common case: a body it
finds valid is valid; anything else, and anything it cannot take, goes to the Python
validator, which finds and words every error exactly as before.

That is sound only if jsonschema-rs never accepts what the Python validator refuses. The
schema is therefore translated where the two differ:

* OpenAPI 3.0's `nullable` (and `x-nullable`) is not draft 4: Connexion's request validator
  lets `null` through `type` and `enum` of such a schema, so "null" is added to both;
* `multipleOf` is left to Python altogether (no compiled check for a schema that uses it):
  the sandbox may define it on the decimal digits as written, which jsonschema-rs does not;
* formats: the sandbox checks formats with the Python checker (`date`, `uuid`, ...), so each
  format the Python checker knows is checked by calling it, not by jsonschema-rs' own rules.

tests/test_compiled_schema.py checks the "never more permissive" promise on every JSON body
schema of every contract, with valid and broken bodies.
"""

from __future__ import annotations

import logging
import typing as t

import jsonschema_rs
from jsonschema import FormatChecker

log = logging.getLogger("facturas_sandbox")

# Values of these keywords are data, not schemas: nothing inside them is translated.
_DATA_KEYWORDS = frozenset({"enum", "const", "default", "example", "examples", "x-example"})

Check = t.Callable[[t.Any], bool]


def draft4_schema(schema: t.Any) -> t.Any:
    """A copy of an OpenAPI 3.0 schema that plain draft 4 reads as Connexion's request
    validator does (`nullable: true` lets null through `type` and `enum`)."""
    if isinstance(schema, list):
        return [draft4_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: (value if key in _DATA_KEYWORDS else draft4_schema(value)) for key, value in schema.items()}
    if schema.get("nullable") is True or schema.get("x-nullable") is True:
        kind = out.get("type")
        if isinstance(kind, str):
            out["type"] = [kind, "null"]
        elif isinstance(kind, list) and "null" not in kind:
            out["type"] = [*kind, "null"]
        enum = out.get("enum")
        if isinstance(enum, list) and None not in enum:
            out["enum"] = [*enum, None]
    return out


def _refs(node: t.Any, out: set[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            out.add(ref)
        for key, value in node.items():
            if key not in _DATA_KEYWORDS:
                _refs(value, out)
    elif isinstance(node, list):
        for item in node:
            _refs(item, out)


def used_components(schema: dict[str, t.Any]) -> dict[str, t.Any]:
    """The schema with only the `components` its `$ref`s reach.

    Connexion hands over FacturaScripts' body schemas with the contract's whole `components`
    attached (850 kB) for their `$ref`s; compiling all of it for every operation took 130 ms.
    """
    components = schema.get("components")
    if not isinstance(components, dict):
        return schema
    root = {k: v for k, v in schema.items() if k != "components"}
    seen: set[str] = set()
    pending: set[str] = set()
    _refs(root, pending)
    kept: dict[str, dict[str, t.Any]] = {}
    while pending:
        ref = pending.pop()
        if ref in seen:
            continue
        seen.add(ref)
        parts = ref.split("/")
        if len(parts) != 4 or parts[:2] != ["#", "components"]:
            return schema  # a reference of another form: keep everything
        target = components.get(parts[2], {}).get(parts[3])
        if target is None:
            return schema
        kept.setdefault(parts[2], {})[parts[3]] = target
        _refs(target, pending)
    return {**root, "components": kept} if kept else root


def _uses(node: t.Any, keyword: str) -> bool:
    if isinstance(node, dict):
        return keyword in node or any(_uses(v, keyword) for k, v in node.items() if k not in _DATA_KEYWORDS)
    if isinstance(node, list):
        return any(_uses(item, keyword) for item in node)
    return False


def _python_format(checker: FormatChecker, name: str) -> t.Callable[[str], bool]:
    def conforms(value: str) -> bool:
        return checker.conforms(value, name)

    return conforms


def compile_check(schema: dict[str, t.Any], format_checker: FormatChecker) -> Check | None:
    """`check(body)` is True only for a body the schema accepts; None when jsonschema-rs cannot
    compile the schema (the Python validator then does everything, as before)."""
    pruned = used_components(schema)
    if _uses(pruned, "multipleOf"):
        return None
    formats = {name: _python_format(format_checker, name) for name in format_checker.checkers}
    try:
        validator = jsonschema_rs.Draft4Validator(
            draft4_schema(pruned), formats=formats, validate_formats=True, ignore_unknown_formats=True
        )
    except Exception as exc:  # a schema it cannot read is not an error of the request
        log.debug("no compiled check for a body schema: %s", exc)
        return None

    def check(body: t.Any) -> bool:
        try:
            return validator.is_valid(body)
        except Exception:  # a value it cannot convert (e.g. a lone surrogate): ask Python
            return False

    return check

"""Text a request may not bring in: lone surrogates, refused with a 400 in every API's shape.

A lone surrogate (`"\\ud800"` in JSON) is not a character, only half of a UTF-16 pair: UTF-8
cannot encode it, so no response, log line, file or store record holding it can be written
(it answered 500 and corrupted the tenant). It can only arrive through a JSON `\\u` escape
(in a body, or in FacturaScripts' `lineas` JSON inside a form) or a charset the client names:
a URL, a form or a multipart part decodes invalid bytes to U+FFFD, and XML parsers refuse
`&#xD800;`. So JSON is where it is refused, naming the field.

U+0000 is storable text (both stores keep it, JSON writes it as `\\u0000`), and refusing it
would refuse bodies a contract calls valid (a JSON Schema string may hold it; OpenAPI 3.0 has
no way to constrain the keys of additional properties); what cannot show it (XML 1.0, XLS,
PDF) must escape it like any control character.
"""

from __future__ import annotations

import re
import typing as t

from .errors import ApiError, FieldError, Origin

UNSTORABLE = re.compile("[\ud800-\udfff]")
MESSAGE = "contains a lone surrogate (half of a UTF-16 pair), which is not text and cannot be stored"


def find_unstorable(value: t.Any, path: str = "") -> str | None:
    """The path of the first string (or key) in `value` holding unstorable text, else None."""
    if isinstance(value, str):
        return (path or "(value)") if UNSTORABLE.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and UNSTORABLE.search(key):
                return _printable(where)
            found = find_unstorable(item, where)
            if found is not None:
                return found
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            found = find_unstorable(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None


def unstorable_error(field: str, origin: Origin = "body") -> ApiError:
    field = _printable(field)
    return ApiError(400, "invalid_text", f"{field}: {MESSAGE}", fields=[FieldError(field, MESSAGE)], origin=origin)


def check_storable(value: t.Any, origin: Origin = "body") -> None:
    """Raise the 400 for the first unstorable string in `value` (a parsed body)."""
    found = find_unstorable(value)
    if found is not None:
        raise unstorable_error(found, origin)


def _printable(text: str) -> str:
    # The field name goes into the error body: it must not carry what it is refused for.
    return UNSTORABLE.sub("\ufffd", text)

"""Text a request may not bring in: U+0000 and lone surrogates, refused with a 400 everywhere.

A lone surrogate (`"\\ud800"` in JSON) is not a character: UTF-8 cannot encode it, so no
response, log line or file holding it can be written (it answered 500 and corrupted the
tenant). U+0000 is a character, but PostgreSQL's jsonb and XML 1.0 cannot hold it, and no
invoicing field needs it. Both are refused at the boundary, in every channel a value can come
through (JSON, form and multipart fields, query strings, paths); XML parsers refuse them
already. The error names the field, in each API's own error shape.
"""

from __future__ import annotations

import re
import typing as t

from .errors import ApiError, FieldError

UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
MESSAGE = "contains text that cannot be stored (U+0000 or a lone surrogate)"


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


def unstorable_error(field: str, origin: str = "body") -> ApiError:
    field = _printable(field)
    return ApiError(400, "invalid_text", f"{field}: {MESSAGE}", fields=[FieldError(field, MESSAGE)], origin=origin)


def check_storable(value: t.Any, origin: str = "body") -> None:
    """Raise the 400 for the first unstorable string in `value` (a parsed body)."""
    found = find_unstorable(value)
    if found is not None:
        raise unstorable_error(found, origin)


def _printable(text: str) -> str:
    # The field name goes into the error body: it must not carry what it is refused for.
    return UNSTORABLE.sub("\ufffd", text)

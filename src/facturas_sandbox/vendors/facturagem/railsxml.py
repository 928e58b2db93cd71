"""Rails-style XML both ways: `Hash#to_xml` for answers, `Hash.from_xml` for request bodies.

Answers: root element named after the model, dasherized tags, typed values carry
`type="integer|decimal|boolean|date|datetime"`, nil values `nil="true"`, lists
`type="array"` with one singular child per item. Requests read the Rails way too: XML has no
null text, so an element with `nil="true"` or with no content is nil (an empty element is an
empty string only with `type="string"`). Requests are parsed with defusedxml, so a
document type declaration (billion laughs, external entities) is refused before expansion.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.etree.ElementTree import Element, SubElement, tostring

import defusedxml.ElementTree as safe_et
from defusedxml import DefusedXmlException

# What XML 1.0 cannot carry (its Char production): most C0 controls, U+FFFE/U+FFFF, surrogates.
_NOT_XML_CHAR = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
DATE_FIELDS = frozenset({"date", "due_date"})
DATETIME_FIELDS = frozenset({"created_at", "updated_at"})
MAX_DEPTH = 32


class XmlError(ValueError):
    pass


def dasherize(name: str) -> str:
    return name.replace("_", "-")


def underscore(name: str) -> str:
    return name.replace("-", "_")


def singular(name: str) -> str:
    if name.endswith("ies"):
        return name[:-3] + "y"
    if name.endswith("s"):
        return name[:-1]
    return name


def xml_text(text: str) -> str:
    """Text an XML 1.0 document can hold: Rails' Builder (String#to_xs) writes `*` for each
    character XML forbids, so a stored `\u0001` never makes the answer unparseable."""
    return _NOT_XML_CHAR.sub("*", text)


def _fill(element: Element, key: str, value: Any) -> None:
    if value is None:
        element.set("nil", "true")
    elif isinstance(value, bool):
        element.set("type", "boolean")
        element.text = "true" if value else "false"
    elif isinstance(value, int):
        element.set("type", "integer")
        element.text = str(value)
    elif isinstance(value, Decimal):
        element.set("type", "decimal")
        element.text = str(value)
    elif isinstance(value, float):
        element.set("type", "float")
        element.text = repr(value)
    elif isinstance(value, dict):
        for child_key, child_value in value.items():
            _fill(SubElement(element, dasherize(child_key)), child_key, child_value)
    elif isinstance(value, (list, tuple)):
        element.set("type", "array")
        child_name = dasherize(singular(key))
        for item in value:
            _fill(SubElement(element, child_name), singular(key), item)
    else:
        if key in DATE_FIELDS:
            element.set("type", "date")
        elif key in DATETIME_FIELDS:
            element.set("type", "datetime")
        element.text = xml_text(str(value))


def to_xml(root: str, value: Any) -> bytes:
    element = Element(dasherize(root))
    _fill(element, root, value)
    body = tostring(element, encoding="unicode", short_empty_elements=True)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body.encode("utf-8") + b"\n"


class _Repeated(list):
    """Values of sibling elements sharing a tag (told apart from a `type="array"` value)."""


def _value(element: Element, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise XmlError(f"the XML body is nested deeper than {MAX_DEPTH} levels")
    if element.get("nil") == "true":
        return None
    kind = element.get("type")
    children = list(element)
    if kind == "array":
        return [_value(child, depth + 1) for child in children]
    if children:
        out: dict[str, Any] = {}
        for child in children:
            key = underscore(child.tag)
            item = _value(child, depth + 1)
            if key not in out:
                out[key] = item
            elif isinstance(out[key], _Repeated):
                out[key].append(item)
            else:
                # Rails (XmlMini) gathers repeated sibling elements into a list.
                out[key] = _Repeated([out[key], item])
        return {k: list(v) if isinstance(v, _Repeated) else v for k, v in out.items()}
    if not element.text:
        # Rails (Hash.from_xml) reads an empty element as nil, unless it says type="string".
        return "" if kind == "string" else None
    text = element.text.strip()
    try:
        if kind == "integer":
            return int(text)
        if kind in ("decimal", "float"):
            number = Decimal(text)
            if not number.is_finite():
                raise XmlError(f"<{element.tag}> is not a finite number")
            return number
    except (ValueError, InvalidOperation) as exc:
        raise XmlError(f"<{element.tag}> is not a valid {kind}") from exc
    if kind == "boolean":
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise XmlError(f"<{element.tag}> is not a valid boolean")
    return element.text


def from_xml(raw: bytes) -> tuple[str, Any]:
    """(root name, value) of a Rails-style XML document, or XmlError."""
    try:
        root = safe_et.fromstring(raw, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise XmlError(f"the XML body is refused: {type(exc).__name__}") from exc
    except (safe_et.ParseError, ValueError, RecursionError) as exc:
        raise XmlError(f"the body is not well-formed XML: {exc}") from exc
    return underscore(root.tag), _value(root, 0)

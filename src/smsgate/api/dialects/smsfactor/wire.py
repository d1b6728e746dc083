"""SMSFactor's wire format: bodies in JSON or XML, answers in JSON or XML after `Accept`.

Quirks kept on purpose:
- Without an `Accept` naming JSON or XML, SMSFactor answers in XML ("by default our API
  receives and returns XML"); a body is read as XML unless its Content-Type says JSON or it
  does not start with "<".
- An XML body is the JSON body's `sms` object written as elements, and a `<gsm>` carries its
  number as text and its `gsmsmsid` as an attribute.
- The community Python SDK sends GET parameters as a JSON object in the query string
  (`/send?{"to": ...}`) and `?null` without parameters; both are read like a normal query.

XML is parsed by defusedxml with DTDs, entities and external references refused.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, unquote

import orjson
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, fromstring

from smsgate.api.dialects.smsfactor.codes import Status, WireError

JSON_TYPE = "application/json"
XML_TYPE = "application/xml"
XML_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
MAX_XML_DEPTH = 16  # SMSFactor's documents are 4 deep; deeper is refused, not recursed into
# Characters XML 1.0 cannot carry, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def wants_xml(accept: str) -> bool:
    """Whether the answer goes in XML: the first of JSON or XML named in `Accept`, else XML."""
    for media_type in accept.lower().split(","):
        kind = media_type.split(";", 1)[0].strip()
        if kind.endswith(("/json", "+json")):
            return False
        if kind.endswith(("/xml", "+xml")):
            return True
    return True


def is_xml_body(body: bytes, content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind.endswith(("/json", "+json")):
        return False
    if kind.endswith(("/xml", "+xml")):
        return True
    return body.lstrip()[:1] == b"<"


def decode_body(body: bytes, content_type: str) -> Any:
    """The body as JSON values; XML becomes the same shape, under its root element's name."""
    if not body.strip():
        raise WireError(Status.DATA, "the request body is empty")
    if is_xml_body(body, content_type):
        return read_xml(body)
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise WireError(Status.JSON, f"the body is not valid JSON ({where})") from exc


def read_xml(body: bytes) -> dict[str, Any]:
    try:
        root = fromstring(body, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise WireError(Status.XML, "DTDs and entities are not allowed") from exc
    except ParseError as exc:
        line, column = exc.position
        where = f"line {line}, column {column}"
        raise WireError(Status.XML, f"the body is not well-formed XML ({where})") from exc
    except ValueError as exc:  # e.g. an encoding the parser does not know
        raise WireError(Status.XML, "the body is not well-formed XML") from exc
    return {_local_name(root.tag): _element_value(root)}


def _local_name(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _element_value(element: Any, depth: int = 1) -> Any:
    """Children become keys (repeated ones a list); attributes with text give {"value": text}."""
    if depth > MAX_XML_DEPTH:
        raise WireError(Status.XML, f"the XML is nested deeper than {MAX_XML_DEPTH} elements")
    children = list(element)
    text = (element.text or "").strip()
    if not children and not element.attrib:
        return text
    value: dict[str, Any] = {_local_name(k): v for k, v in element.attrib.items()}
    if not children:
        value["value"] = text
        return value
    for child in children:
        name = _local_name(child.tag)
        item = _element_value(child, depth + 1)
        if name not in value:
            value[name] = item
        elif isinstance(value[name], list):
            value[name].append(item)
        else:
            value[name] = [value[name], item]
    return value


def read_query(raw_query: bytes) -> dict[str, str]:
    """Query parameters, also when the query string is a JSON object (the Python SDK's GET)."""
    text = unquote(raw_query.decode("latin-1"))
    if text.startswith("{") or text == "null":
        try:
            decoded = orjson.loads(text)
        except orjson.JSONDecodeError:
            decoded = None
        if isinstance(decoded, dict):
            return {
                str(k): v if isinstance(v, str) else orjson.dumps(v).decode()
                for k, v in decoded.items()
            }
        if decoded is None and text == "null":
            return {}
    return dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(f"cannot render {type(value).__name__}")


def render_json(payload: Mapping[str, Any]) -> bytes:
    return orjson.dumps(payload, default=_json_default)


def render_xml(payload: Mapping[str, Any], root: str = "response") -> bytes:
    """`<response>` with one element per key; a list repeats its key's element per item."""
    parts: list[str] = [f"<{root}>"]
    _emit(parts, payload)
    parts.append(f"</{root}>")
    return XML_DECLARATION + "".join(parts).encode()


def _emit(parts: list[str], payload: Mapping[str, Any]) -> None:
    for key, value in payload.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, Mapping):
                parts.append(f"<{key}>")
                _emit(parts, item)
                parts.append(f"</{key}>")
            elif item is None or item == "":
                parts.append(f"<{key}/>")
            else:
                parts.append(f"<{key}>{_xml_text(item)}</{key}>")


def _xml_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        return format(value, "f")
    return _NOT_XML.sub("\ufffd", str(value)).translate(_ESCAPES)

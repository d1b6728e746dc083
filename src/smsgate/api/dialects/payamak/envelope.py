"""SOAP 1.1 envelopes as WCF reads and writes them: safe parsing, typed values, faults.

Parsing goes through defusedxml with DTDs forbidden, so entity expansion and external
references never happen; whatever cannot be read becomes a `SoapFault`. Reading follows
WCF's DataContract rules: prefixes do not matter, headers are ignored, a missing element or
one marked `xsi:nil` takes the type's default, unknown elements are skipped.
Writing produces the exact bytes WCF sends: no XML declaration, `s:` for the envelope,
the response wrapper in the default namespace, arrays with `a:` and `i:` prefixes.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable
from xml.etree.ElementTree import Element, ParseError

import defusedxml
import defusedxml.ElementTree

from smsgate.api.dialects.payamak.contract import ARRAYS_NS, TEMPURI

SOAP11_NS = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12_NS = "http://www.w3.org/2003/05/soap-envelope"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
DISPATCHER_NS = "http://schemas.microsoft.com/net/2005/12/windowscommunicationfoundation/dispatcher"
CONTENT_TYPE = "text/xml; charset=utf-8"

# Fault codes, as WCF names them.
CLIENT = "s:Client"
SERVER = "s:Server"
VERSION_MISMATCH = "s:VersionMismatch"
ACTION_NOT_SUPPORTED = "a:ActionNotSupported"
DESERIALIZATION_FAILED = "a:DeserializationFailed"
INTERNAL_FAULT = "a:InternalServiceFault"

_INT_BITS = {"int": 32, "long": 64}
_INTEGER = re.compile(r"[+-]?[0-9]+")
# Characters XML 1.0 cannot carry (an SMS can): replaced when written.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class SoapFault(Exception):
    """A request answered with a SOAP fault (HTTP 500 unless `status` says otherwise)."""

    def __init__(self, code: str, message: str, status: int = 500) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


def read_operation(body: bytes) -> Element:
    """The first element in the envelope's Body: the operation wrapper."""
    try:
        root = defusedxml.ElementTree.fromstring(body, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise SoapFault(CLIENT, "DTDs and entities are not allowed") from exc
    except ParseError as exc:
        raise SoapFault(CLIENT, f"the body is not well-formed XML: {exc}") from exc
    if root.tag == f"{{{SOAP12_NS}}}Envelope":
        raise SoapFault(VERSION_MISMATCH, "this service speaks SOAP 1.1 (text/xml)")
    if root.tag != f"{{{SOAP11_NS}}}Envelope":
        raise SoapFault(CLIENT, "the body is not a SOAP 1.1 envelope")
    body_element = root.find(f"{{{SOAP11_NS}}}Body")
    if body_element is None:
        raise SoapFault(CLIENT, "the envelope has no Body")
    for child in body_element:
        if isinstance(child.tag, str):
            return child
    raise SoapFault(CLIENT, "the Body is empty")


def split_tag(tag: str) -> tuple[str, str]:
    """'{ns}name' -> (ns, name); a tag without namespace has ns ''."""
    if tag.startswith("{"):
        namespace, _, name = tag[1:].partition("}")
        return namespace, name
    return "", tag


def _is_nil(element: Element) -> bool:
    return element.get(f"{{{XSI_NS}}}nil", "").strip() in ("true", "1")


class Arguments:
    """An operation wrapper's child elements by name (in the service's namespace, or none)."""

    def __init__(self, wrapper: Element) -> None:
        self._elements: dict[str, Element] = {}
        for child in wrapper:
            if not isinstance(child.tag, str):
                continue
            namespace, name = split_tag(child.tag)
            if namespace in (TEMPURI, "") and name not in self._elements:
                self._elements[name] = child

    def _present(self, name: str) -> Element | None:
        element = self._elements.get(name)
        if element is None or _is_nil(element):
            return None
        return element

    def string(self, name: str) -> str | None:
        element = self._present(name)
        if element is None:
            return None
        return element.text or ""

    def boolean(self, name: str) -> bool:
        element = self._present(name)
        if element is None:
            return False
        value = (element.text or "").strip()
        if value in ("true", "1"):
            return True
        if value in ("false", "0"):
            return False
        raise _bad_value(name, value, "boolean")

    def integer(self, name: str, xsd_type: str = "int") -> int:
        return self.optional_integer(name, xsd_type) or 0

    def optional_integer(self, name: str, xsd_type: str = "int") -> int | None:
        element = self._present(name)
        if element is None:
            return None
        value = (element.text or "").strip()
        bits = _INT_BITS[xsd_type]
        if not _INTEGER.fullmatch(value):
            raise _bad_value(name, value, xsd_type)
        number = int(value)
        if not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise _bad_value(name, value, xsd_type)
        return number

    def strings(self, name: str) -> list[str]:
        """An ArrayOfstring's items (nil items read as empty strings)."""
        element = self._present(name)
        if element is None:
            return []
        items = []
        for child in element:
            if isinstance(child.tag, str) and split_tag(child.tag)[1] == "string":
                items.append("" if _is_nil(child) else child.text or "")
        return items


def _bad_value(name: str, value: str, xsd_type: str) -> SoapFault:
    shown = value if len(value) <= 40 else value[:40] + "..."
    return SoapFault(
        DESERIALIZATION_FAILED,
        f"the formatter could not read '{name}': {shown!r} is not a valid {xsd_type}",
    )


# --- writing ----------------------------------------------------------------------------


def escape(text: str) -> str:
    text = _NOT_XML.sub("\ufffd", text)
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#xD;")
    )


def escape_attribute(text: str) -> str:
    return escape(text).replace('"', "&quot;")


def document(body: str) -> bytes:
    return (f'<s:Envelope xmlns:s="{SOAP11_NS}"><s:Body>{body}</s:Body></s:Envelope>').encode()


def response(operation: str, parts: Iterable[str]) -> bytes:
    inner = "".join(parts)
    return document(f'<{operation}Response xmlns="{TEMPURI}">{inner}</{operation}Response>')


def value(name: str, text: str) -> str:
    return f"<{name}>{escape(text)}</{name}>"


def nil(name: str) -> str:
    return f'<{name} i:nil="true" xmlns:i="{XSI_NS}"/>'


def array(name: str, item_type: str, items: Iterable[str | int] | None) -> str:
    """An ArrayOfstring / ArrayOflong / ArrayOfint; None writes a nil array."""
    if items is None:
        return nil(name)
    inner = "".join(f"<a:{item_type}>{escape(str(item))}</a:{item_type}>" for item in items)
    head = f'<{name} xmlns:a="{ARRAYS_NS}" xmlns:i="{XSI_NS}"'
    return f"{head}>{inner}</{name}>" if inner else f"{head}/>"


def base64_value(name: str, data: bytes | None) -> str:
    if data is None:
        return nil(name)
    return value(name, base64.b64encode(data).decode("ascii"))


def fault(code: str, message: str) -> bytes:
    namespace = f' xmlns:a="{DISPATCHER_NS}"' if code.startswith("a:") else ""
    return document(
        f"<s:Fault><faultcode{namespace}>{code}</faultcode>"
        f'<faultstring xml:lang="en-US">{escape(message)}</faultstring></s:Fault>'
    )

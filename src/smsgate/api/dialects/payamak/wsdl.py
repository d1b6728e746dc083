"""The service's WSDL, one file with inline schemas (WCF's `?singleWsdl` shape).

Rendered from contract.py; only `soap:address` changes between requests, since clients post
to the address the WSDL names: smsgate's public URL when configured, else the request's own.
"""

from __future__ import annotations

from functools import cache

from smsgate.api.dialects.payamak.contract import (
    ARRAYS_NS,
    COMMON_ENUMS_NS,
    DOMAIN_ENUMS_NS,
    ENUMS,
    MESSAGE_INFO_FIELDS,
    MODELS_NS,
    OPERATIONS,
    PORT_NAME,
    PORT_TYPE,
    SERVICE_NAME,
    TEMPURI,
    Param,
    soap_action,
)
from smsgate.api.dialects.payamak.envelope import escape_attribute

_ADDRESS = "{{address}}"
_PREFIXES = {"common": "q3", "domain": "q4"}


def _type_ref(xsd_type: str) -> str:
    if xsd_type == "ArrayOfMessageInfo":
        return "q2:ArrayOfMessageInfo"
    if xsd_type.startswith("ArrayOf"):
        return f"q1:{xsd_type}"
    if ":" in xsd_type:
        key, name = xsd_type.split(":")
        return f"{_PREFIXES[key]}:{name}"
    return f"xs:{xsd_type}"


def _element(param: Param) -> str:
    nillable = ' nillable="true"' if param.nillable else ""
    return (
        f'<xs:element minOccurs="0" name="{param.name}"{nillable} type="{_type_ref(param.type)}"/>'
    )


def _wrapper(name: str, params: tuple[Param, ...]) -> str:
    inner = "".join(_element(p) for p in params)
    return (
        f'<xs:element name="{name}"><xs:complexType><xs:sequence>{inner}'
        "</xs:sequence></xs:complexType></xs:element>"
    )


def _service_schema() -> str:
    wrappers = "".join(
        _wrapper(op.name, op.inputs) + _wrapper(f"{op.name}Response", op.outputs)
        for op in OPERATIONS
    )
    return (
        f'<xs:schema elementFormDefault="qualified" targetNamespace="{TEMPURI}" '
        f'xmlns:q1="{ARRAYS_NS}" xmlns:q2="{MODELS_NS}">'
        f'<xs:import namespace="{ARRAYS_NS}"/><xs:import namespace="{MODELS_NS}"/>'
        f"{wrappers}</xs:schema>"
    )


def _arrays_schema() -> str:
    arrays = ""
    for item, nillable in (("string", True), ("long", False), ("int", False)):
        nil = ' nillable="true"' if nillable else ""
        arrays += (
            f'<xs:complexType name="ArrayOf{item}"><xs:sequence>'
            f'<xs:element minOccurs="0" maxOccurs="unbounded" name="{item}"{nil} '
            f'type="xs:{item}"/></xs:sequence></xs:complexType>'
            f'<xs:element name="ArrayOf{item}" nillable="true" type="tns:ArrayOf{item}"/>'
        )
    return (
        f'<xs:schema elementFormDefault="qualified" targetNamespace="{ARRAYS_NS}" '
        f'xmlns:tns="{ARRAYS_NS}">{arrays}</xs:schema>'
    )


def _models_schema() -> str:
    fields = "".join(_element(Param(name, xsd_type)) for name, xsd_type in MESSAGE_INFO_FIELDS)
    return (
        f'<xs:schema elementFormDefault="qualified" targetNamespace="{MODELS_NS}" '
        f'xmlns:tns="{MODELS_NS}" xmlns:q3="{COMMON_ENUMS_NS}" xmlns:q4="{DOMAIN_ENUMS_NS}">'
        f'<xs:import namespace="{COMMON_ENUMS_NS}"/><xs:import namespace="{DOMAIN_ENUMS_NS}"/>'
        '<xs:complexType name="ArrayOfMessageInfo"><xs:sequence>'
        '<xs:element minOccurs="0" maxOccurs="unbounded" name="MessageInfo" nillable="true" '
        'type="tns:MessageInfo"/></xs:sequence></xs:complexType>'
        '<xs:element name="ArrayOfMessageInfo" nillable="true" type="tns:ArrayOfMessageInfo"/>'
        f'<xs:complexType name="MessageInfo"><xs:sequence>{fields}</xs:sequence>'
        "</xs:complexType>"
        '<xs:element name="MessageInfo" nillable="true" type="tns:MessageInfo"/>'
        "</xs:schema>"
    )


def _enums_schema(namespace: str, key: str) -> str:
    types = ""
    for qualified, members in ENUMS.items():
        owner, name = qualified.split(":")
        if owner != key:
            continue
        values = "".join(f'<xs:enumeration value="{member}"/>' for member in members)
        types += (
            f'<xs:simpleType name="{name}"><xs:restriction base="xs:string">{values}'
            f'</xs:restriction></xs:simpleType><xs:element name="{name}" nillable="true" '
            f'type="tns:{name}"/>'
        )
    return (
        f'<xs:schema elementFormDefault="qualified" targetNamespace="{namespace}" '
        f'xmlns:tns="{namespace}">{types}</xs:schema>'
    )


@cache
def _template() -> str:
    messages = "".join(
        f'<wsdl:message name="{PORT_TYPE}_{op.name}_{kind}Message">'
        f'<wsdl:part name="parameters" element="tns:{op.name}{suffix}"/></wsdl:message>'
        for op in OPERATIONS
        for kind, suffix in (("Input", ""), ("Output", "Response"))
    )
    port_ops = "".join(
        f'<wsdl:operation name="{op.name}">'
        f'<wsdl:input wsaw:Action="{soap_action(op.name)}" '
        f'message="tns:{PORT_TYPE}_{op.name}_InputMessage"/>'
        f'<wsdl:output wsaw:Action="{soap_action(op.name)}Response" '
        f'message="tns:{PORT_TYPE}_{op.name}_OutputMessage"/></wsdl:operation>'
        for op in OPERATIONS
    )
    binding_ops = "".join(
        f'<wsdl:operation name="{op.name}">'
        f'<soap:operation soapAction="{soap_action(op.name)}" style="document"/>'
        '<wsdl:input><soap:body use="literal"/></wsdl:input>'
        '<wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>'
        for op in OPERATIONS
    )
    schemas = (
        _service_schema()
        + _arrays_schema()
        + _models_schema()
        + _enums_schema(COMMON_ENUMS_NS, "common")
        + _enums_schema(DOMAIN_ENUMS_NS, "domain")
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<wsdl:definitions name="{SERVICE_NAME}" targetNamespace="{TEMPURI}" '
        'xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" '
        'xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:wsaw="http://www.w3.org/2006/05/addressing/wsdl" '
        f'xmlns:tns="{TEMPURI}">'
        f"<wsdl:types>{schemas}</wsdl:types>{messages}"
        f'<wsdl:portType name="{PORT_TYPE}">{port_ops}</wsdl:portType>'
        f'<wsdl:binding name="{PORT_NAME}" type="tns:{PORT_TYPE}">'
        '<soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>'
        f"{binding_ops}</wsdl:binding>"
        f'<wsdl:service name="{SERVICE_NAME}"><wsdl:port name="{PORT_NAME}" '
        f'binding="tns:{PORT_NAME}"><soap:address location="{_ADDRESS}"/></wsdl:port>'
        "</wsdl:service></wsdl:definitions>"
    )


def render_wsdl(address: str) -> bytes:
    """The WSDL whose port posts to `address` (the full URL of SendService.svc)."""
    return _template().replace(_ADDRESS, escape_attribute(address), 1).encode()

"""PDU base classes and the session-management PDUs (bind, outbind, unbind, enquire_link, nack).

Every PDU is a slots dataclass whose first two fields are the header's ``sequence_number`` and
``command_status``; ``command_length`` is computed by ``encode()`` and ``command_id`` is a class
constant. Construct PDUs with keywords. The message PDUs live in ``messages.py``; decoding any of
them starts at ``codec.decode_pdu``.

Decoders take ``(buf, offset, end, sequence_number, command_status)`` and read the body in
``buf[offset:end]`` in place, so a frame never has to be sliced out of its receive buffer.
"""

from __future__ import annotations

from dataclasses import dataclass
from struct import error as StructError
from typing import ClassVar, Self

from smsgate.smpp.commands import RESPONSE_BIT, CommandId, CommandStatus
from smsgate.smpp.errors import InvalidCommandLength, PduEncodeError
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs
from smsgate.smpp.wire import HEADER, HEADER_SIZE, encode_cstring, need, read_cstring

_S = CommandStatus


@dataclass(slots=True)
class Pdu:
    """Any SMPP PDU: the header fields, ``encode()``, and a decoder for the body."""

    command_id: ClassVar[int]

    sequence_number: int = 0
    command_status: int = 0

    @property
    def is_response(self) -> bool:
        return bool(self.command_id & RESPONSE_BIT)

    def encode(self) -> bytes:
        """The PDU on the wire, header included."""
        try:
            body = self.encode_body()
            return (
                HEADER.pack(
                    HEADER_SIZE + len(body),
                    self.command_id,
                    self.command_status,
                    self.sequence_number,
                )
                + body
            )
        except PduEncodeError:
            raise
        except (StructError, ValueError, OverflowError, TypeError) as exc:
            # ValueError covers UnicodeEncodeError and bytes((300,)).
            raise PduEncodeError(f"cannot encode {type(self).__name__}: {exc}") from exc

    def encode_body(self) -> bytes:
        return b""

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        if offset != end:
            raise InvalidCommandLength(f"{cls.__name__} has {end - offset} unexpected body octets")
        return cls(sequence_number, status)


@dataclass(slots=True)
class Response(Pdu):
    """A PDU answering a request; generic_nack included."""


@dataclass(slots=True)
class Request(Pdu):
    """A PDU that expects a response (except outbind and alert_notification)."""

    response_class: ClassVar[type[Response] | None] = None

    def make_response(self, command_status: int = 0) -> Response:
        """The empty response to this request, with its sequence number and ``command_status``."""
        if self.response_class is None:
            raise PduEncodeError(f"{type(self).__name__} has no response PDU")
        return self.response_class(self.sequence_number, command_status)


@dataclass(slots=True)
class GenericNack(Response):
    """generic_nack: the answer to a PDU whose header is unusable (length, command id)."""

    command_id: ClassVar[int] = CommandId.GENERIC_NACK


# -- binding -------------------------------------------------------------------------------------


@dataclass(slots=True)
class BindResp(Response):
    """Common body of bind_transmitter_resp, bind_receiver_resp, bind_transceiver_resp."""

    system_id: str = ""
    tlvs: tuple[Tlv, ...] = ()

    def encode_body(self) -> bytes:
        if self.command_status and not self.system_id and not self.tlvs:
            return b""  # an error response may omit the body
        body = encode_cstring(self.system_id, 16, "system_id")
        return body + encode_tlvs(self.tlvs) if self.tlvs else body

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        if offset == end:
            return cls(sequence_number, status)
        system_id, offset = read_cstring(buf, offset, end, 16, _S.ESME_RINVSYSID, "system_id")
        tlvs = decode_tlvs(buf, offset, end) if offset < end else ()
        return cls(sequence_number, status, system_id, tlvs)


@dataclass(slots=True)
class BindTransmitterResp(BindResp):
    command_id: ClassVar[int] = CommandId.BIND_TRANSMITTER_RESP


@dataclass(slots=True)
class BindReceiverResp(BindResp):
    command_id: ClassVar[int] = CommandId.BIND_RECEIVER_RESP


@dataclass(slots=True)
class BindTransceiverResp(BindResp):
    command_id: ClassVar[int] = CommandId.BIND_TRANSCEIVER_RESP


@dataclass(slots=True)
class Bind(Request):
    """Common body of bind_transmitter, bind_receiver and bind_transceiver."""

    bind_response_class: ClassVar[type[BindResp]] = BindResp

    system_id: str = ""
    password: str = ""
    system_type: str = ""
    interface_version: int = 0x34
    addr_ton: int = 0
    addr_npi: int = 0
    address_range: str = ""

    def encode_body(self) -> bytes:
        return b"".join(
            (
                encode_cstring(self.system_id, 16, "system_id"),
                encode_cstring(self.password, 9, "password"),
                encode_cstring(self.system_type, 13, "system_type"),
                bytes((self.interface_version, self.addr_ton, self.addr_npi)),
                encode_cstring(self.address_range, 41, "address_range"),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        system_id, offset = read_cstring(buf, offset, end, 16, _S.ESME_RINVSYSID, "system_id")
        password, offset = read_cstring(buf, offset, end, 9, _S.ESME_RINVPASWD, "password")
        system_type, offset = read_cstring(buf, offset, end, 13, _S.ESME_RINVSYSTYP, "system_type")
        need(offset, 3, end, "interface_version")
        version, ton, npi = buf[offset], buf[offset + 1], buf[offset + 2]
        address_range, offset = read_cstring(
            buf, offset + 3, end, 41, _S.ESME_RINVPARLEN, "address_range"
        )
        if offset != end:
            raise InvalidCommandLength(f"{cls.__name__} has {end - offset} trailing octets")
        return cls(
            sequence_number,
            status,
            system_id,
            password,
            system_type,
            version,
            ton,
            npi,
            address_range,
        )

    def make_response(self, command_status: int = 0, system_id: str = "") -> BindResp:
        """The bind response; ``system_id`` identifies the SMSC."""
        return self.bind_response_class(self.sequence_number, command_status, system_id)


@dataclass(slots=True)
class BindTransmitter(Bind):
    command_id: ClassVar[int] = CommandId.BIND_TRANSMITTER
    response_class: ClassVar[type[Response] | None] = BindTransmitterResp
    bind_response_class: ClassVar[type[BindResp]] = BindTransmitterResp


@dataclass(slots=True)
class BindReceiver(Bind):
    command_id: ClassVar[int] = CommandId.BIND_RECEIVER
    response_class: ClassVar[type[Response] | None] = BindReceiverResp
    bind_response_class: ClassVar[type[BindResp]] = BindReceiverResp


@dataclass(slots=True)
class BindTransceiver(Bind):
    command_id: ClassVar[int] = CommandId.BIND_TRANSCEIVER
    response_class: ClassVar[type[Response] | None] = BindTransceiverResp
    bind_response_class: ClassVar[type[BindResp]] = BindTransceiverResp


@dataclass(slots=True)
class Outbind(Request):
    """outbind: the SMSC asks the ESME to bind_receiver on this connection (no response)."""

    command_id: ClassVar[int] = CommandId.OUTBIND

    system_id: str = ""
    password: str = ""

    def encode_body(self) -> bytes:
        return encode_cstring(self.system_id, 16, "system_id") + encode_cstring(
            self.password, 9, "password"
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        system_id, offset = read_cstring(buf, offset, end, 16, _S.ESME_RINVSYSID, "system_id")
        password, offset = read_cstring(buf, offset, end, 9, _S.ESME_RINVPASWD, "password")
        if offset != end:
            raise InvalidCommandLength(f"outbind has {end - offset} trailing octets")
        return cls(sequence_number, status, system_id, password)


# -- link maintenance ----------------------------------------------------------------------------


@dataclass(slots=True)
class UnbindResp(Response):
    command_id: ClassVar[int] = CommandId.UNBIND_RESP


@dataclass(slots=True)
class Unbind(Request):
    command_id: ClassVar[int] = CommandId.UNBIND
    response_class: ClassVar[type[Response] | None] = UnbindResp


@dataclass(slots=True)
class EnquireLinkResp(Response):
    command_id: ClassVar[int] = CommandId.ENQUIRE_LINK_RESP


@dataclass(slots=True)
class EnquireLink(Request):
    command_id: ClassVar[int] = CommandId.ENQUIRE_LINK
    response_class: ClassVar[type[Response] | None] = EnquireLinkResp

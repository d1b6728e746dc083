"""The message PDUs: submit_sm, deliver_sm, data_sm, submit_multi, query/cancel/replace_sm,
alert_notification, and their responses (SMPP 3.4 sections 4.4 to 4.12).

submit_sm and deliver_sm share one body layout (``ShortMessage``); so do the three responses
that carry only a message_id (``MessageIdResp``). These are the hot path, written for speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from smsgate.smpp.commands import CommandId, CommandStatus
from smsgate.smpp.errors import PduEncodeError
from smsgate.smpp.pdu import Request, Response
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs, find_tlv
from smsgate.smpp.wire import (
    MAX_SM_LENGTH,
    check_sm_length,
    cstring_error,
    encode_cstring,
    encode_time,
    need,
    read_cstring,
    read_time,
)

_S = CommandStatus
_NO_TLVS: tuple[Tlv, ...] = ()


def _tlvs_from(buf: bytes, offset: int, end: int) -> tuple[Tlv, ...]:
    return decode_tlvs(buf, offset, end) if offset < end else _NO_TLVS


@dataclass(slots=True)
class MessageIdResp(Response):
    """Common body of submit_sm_resp, deliver_sm_resp and data_sm_resp: a message_id.

    An error response may omit the body (SMPP 3.4 section 4.4.2); such a response round-trips.
    TLVs are kept when present (data_sm_resp has them; SMPP 5.0 adds them to the others).
    """

    message_id: str = ""
    tlvs: tuple[Tlv, ...] = ()

    def encode_body(self) -> bytes:
        if self.command_status and not self.message_id and not self.tlvs:
            return b""
        body = encode_cstring(self.message_id, 65, "message_id")
        return body + encode_tlvs(self.tlvs) if self.tlvs else body

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        if offset == end:
            return cls(sequence_number, status)
        limit = offset + 65
        nul = buf.find(b"\0", offset, limit if limit < end else end)
        if nul < 0:
            raise cstring_error(offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        message_id = buf[offset:nul].decode("latin-1")
        if nul + 1 < end:
            return cls(sequence_number, status, message_id, decode_tlvs(buf, nul + 1, end))
        return cls(sequence_number, status, message_id)


@dataclass(slots=True)
class SubmitSmResp(MessageIdResp):
    command_id: ClassVar[int] = CommandId.SUBMIT_SM_RESP


@dataclass(slots=True)
class DeliverSmResp(MessageIdResp):
    command_id: ClassVar[int] = CommandId.DELIVER_SM_RESP


@dataclass(slots=True)
class DataSmResp(MessageIdResp):
    command_id: ClassVar[int] = CommandId.DATA_SM_RESP


@dataclass(slots=True)
class ShortMessage(Request):
    """Common body of submit_sm and deliver_sm."""

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    protocol_id: int = 0
    priority_flag: int = 0
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    replace_if_present_flag: int = 0
    data_coding: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""
    tlvs: tuple[Tlv, ...] = ()

    # encode_body and decode_body are the hot path of a gateway, hence written out flat.

    def encode_body(self) -> bytes:
        short_message = self.short_message
        if len(short_message) > MAX_SM_LENGTH:
            raise PduEncodeError(
                f"short_message is {len(short_message)} octets, the limit is {MAX_SM_LENGTH}"
            )
        body = b"%s%c%c%s%c%c%s%c%c%c%s%s%c%c%c%c%c%s" % (
            encode_cstring(self.service_type, 6, "service_type"),
            self.source_addr_ton,
            self.source_addr_npi,
            encode_cstring(self.source_addr, 21, "source_addr"),
            self.dest_addr_ton,
            self.dest_addr_npi,
            encode_cstring(self.destination_addr, 21, "destination_addr"),
            self.esm_class,
            self.protocol_id,
            self.priority_flag,
            encode_time(self.schedule_delivery_time, "schedule_delivery_time"),
            encode_time(self.validity_period, "validity_period"),
            self.registered_delivery,
            self.replace_if_present_flag,
            self.data_coding,
            self.sm_default_msg_id,
            len(short_message),
            short_message,
        )
        return body + encode_tlvs(self.tlvs) if self.tlvs else body

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        # Each C-octet string: find its NUL within the field's limit; when there is none,
        # cstring_error tells a field too long from a PDU cut short.
        find = buf.find
        limit = offset + 6
        nul = find(b"\0", offset, limit if limit < end else end)
        if nul < 0:
            raise cstring_error(offset, end, 6, _S.ESME_RINVSERTYP, "service_type")
        service_type = buf[offset:nul].decode("latin-1") if nul > offset else ""
        offset = nul + 3
        need(offset, 0, end, "source_addr_ton")
        source_ton, source_npi = buf[nul + 1], buf[nul + 2]
        limit = offset + 21
        nul = find(b"\0", offset, limit if limit < end else end)
        if nul < 0:
            raise cstring_error(offset, end, 21, _S.ESME_RINVSRCADR, "source_addr")
        source_addr = buf[offset:nul].decode("latin-1")
        offset = nul + 3
        need(offset, 0, end, "dest_addr_ton")
        dest_ton, dest_npi = buf[nul + 1], buf[nul + 2]
        limit = offset + 21
        nul = find(b"\0", offset, limit if limit < end else end)
        if nul < 0:
            raise cstring_error(offset, end, 21, _S.ESME_RINVDSTADR, "destination_addr")
        destination_addr = buf[offset:nul].decode("latin-1")
        offset = nul + 4
        need(offset, 0, end, "esm_class")
        esm_class, protocol_id, priority = buf[nul + 1 : offset]
        if offset < end and buf[offset] == 0:
            schedule = ""
            offset += 1
        else:
            schedule, offset = read_time(
                buf, offset, end, _S.ESME_RINVSCHED, "schedule_delivery_time"
            )
        if offset < end and buf[offset] == 0:
            validity = ""
            offset += 1
        else:
            validity, offset = read_time(buf, offset, end, _S.ESME_RINVEXPIRY, "validity_period")
        need(offset, 5, end, "registered_delivery")
        registered, replace, coding, default_id, sm_length = buf[offset : offset + 5]
        if sm_length > MAX_SM_LENGTH:
            check_sm_length(sm_length)
        offset += 5
        message_end = offset + sm_length
        need(message_end, 0, end, "short_message")
        return cls(
            sequence_number,
            status,
            service_type,
            source_ton,
            source_npi,
            source_addr,
            dest_ton,
            dest_npi,
            destination_addr,
            esm_class,
            protocol_id,
            priority,
            schedule,
            validity,
            registered,
            replace,
            coding,
            default_id,
            buf[offset:message_end],
            decode_tlvs(buf, message_end, end) if message_end < end else _NO_TLVS,
        )

    def tlv(self, tag: int) -> Tlv | None:
        """The first TLV with ``tag``, or None."""
        return find_tlv(self.tlvs, tag)

    @property
    def payload(self) -> bytes:
        """The user data: short_message, or the message_payload TLV when that is used instead."""
        if self.short_message:
            return self.short_message
        found = find_tlv(self.tlvs, 0x0424)
        return found.value if found is not None else b""


@dataclass(slots=True)
class SubmitSm(ShortMessage):
    """submit_sm: the ESME hands a short message to the SMSC."""

    command_id: ClassVar[int] = CommandId.SUBMIT_SM
    response_class: ClassVar[type[Response] | None] = SubmitSmResp

    def make_response(self, command_status: int = 0, message_id: str = "") -> SubmitSmResp:
        return SubmitSmResp(self.sequence_number, command_status, message_id)


@dataclass(slots=True)
class DeliverSm(ShortMessage):
    """deliver_sm: the SMSC hands a mobile-originated message or a delivery receipt to the ESME."""

    command_id: ClassVar[int] = CommandId.DELIVER_SM
    response_class: ClassVar[type[Response] | None] = DeliverSmResp

    def make_response(self, command_status: int = 0) -> DeliverSmResp:
        return DeliverSmResp(self.sequence_number, command_status)


@dataclass(slots=True)
class DataSm(Request):
    """data_sm: a message in either direction, its content in TLVs (message_payload)."""

    command_id: ClassVar[int] = CommandId.DATA_SM
    response_class: ClassVar[type[Response] | None] = DataSmResp

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""
    esm_class: int = 0
    registered_delivery: int = 0
    data_coding: int = 0
    tlvs: tuple[Tlv, ...] = ()

    def encode_body(self) -> bytes:
        return b"".join(
            (
                encode_cstring(self.service_type, 6, "service_type"),
                bytes((self.source_addr_ton, self.source_addr_npi)),
                encode_cstring(self.source_addr, 65, "source_addr"),
                bytes((self.dest_addr_ton, self.dest_addr_npi)),
                encode_cstring(self.destination_addr, 65, "destination_addr"),
                bytes((self.esm_class, self.registered_delivery, self.data_coding)),
                encode_tlvs(self.tlvs),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        service_type, offset = read_cstring(buf, offset, end, 6, _S.ESME_RINVSERTYP, "service_type")
        need(offset, 2, end, "source_addr_ton")
        source_ton, source_npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 65, _S.ESME_RINVSRCADR, "source_addr"
        )
        need(offset, 2, end, "dest_addr_ton")
        dest_ton, dest_npi = buf[offset], buf[offset + 1]
        destination_addr, offset = read_cstring(
            buf, offset + 2, end, 65, _S.ESME_RINVDSTADR, "destination_addr"
        )
        need(offset, 3, end, "esm_class")
        esm_class, registered, coding = buf[offset], buf[offset + 1], buf[offset + 2]
        return cls(
            sequence_number,
            status,
            service_type,
            source_ton,
            source_npi,
            source_addr,
            dest_ton,
            dest_npi,
            destination_addr,
            esm_class,
            registered,
            coding,
            _tlvs_from(buf, offset + 3, end),
        )

    def tlv(self, tag: int) -> Tlv | None:
        """The first TLV with ``tag``, or None."""
        return find_tlv(self.tlvs, tag)

    def make_response(self, command_status: int = 0, message_id: str = "") -> DataSmResp:
        return DataSmResp(self.sequence_number, command_status, message_id)

"""PDUs acting on a message already at the SMSC (query_sm, cancel_sm, replace_sm), and
alert_notification (SMPP 3.4 sections 4.7 to 4.10 and 4.12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Self

from smsgate.smpp.commands import CommandId, CommandStatus
from smsgate.smpp.pdu import Request, Response
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs
from smsgate.smpp.wire import (
    MAX_SM_LENGTH,
    check_sm_length,
    encode_cstring,
    encode_octets,
    encode_time,
    expect_end,
    need,
    read_cstring,
    read_time,
)

_S = CommandStatus


@dataclass(slots=True)
class QuerySmResp(Response):
    command_id: ClassVar[int] = CommandId.QUERY_SM_RESP

    message_id: str = ""
    final_date: str = ""
    message_state: int = 0
    error_code: int = 0

    def encode_body(self) -> bytes:
        if self.command_status and not self.message_id:
            return b""
        return b"".join(
            (
                encode_cstring(self.message_id, 65, "message_id"),
                encode_time(self.final_date, "final_date"),
                bytes((self.message_state, self.error_code)),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        if offset == end:
            return cls(sequence_number, status)
        message_id, offset = read_cstring(buf, offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        final_date, offset = read_time(buf, offset, end, _S.ESME_RINVPARLEN, "final_date")
        need(offset, 2, end, "message_state")
        expect_end("query_sm_resp", offset + 2, end)
        return cls(sequence_number, status, message_id, final_date, buf[offset], buf[offset + 1])


@dataclass(slots=True)
class QuerySm(Request):
    """query_sm: ask the SMSC for the state of a message it accepted."""

    command_id: ClassVar[int] = CommandId.QUERY_SM
    response_class: ClassVar[type[Response] | None] = QuerySmResp

    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""

    def encode_body(self) -> bytes:
        return b"".join(
            (
                encode_cstring(self.message_id, 65, "message_id"),
                bytes((self.source_addr_ton, self.source_addr_npi)),
                encode_cstring(self.source_addr, 21, "source_addr"),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        message_id, offset = read_cstring(buf, offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        need(offset, 2, end, "source_addr_ton")
        ton, npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 21, _S.ESME_RINVSRCADR, "source_addr"
        )
        expect_end("query_sm", offset, end)
        return cls(sequence_number, status, message_id, ton, npi, source_addr)


@dataclass(slots=True)
class CancelSmResp(Response):
    command_id: ClassVar[int] = CommandId.CANCEL_SM_RESP


@dataclass(slots=True)
class CancelSm(Request):
    """cancel_sm: withdraw one pending message, or all from source to destination."""

    command_id: ClassVar[int] = CommandId.CANCEL_SM
    response_class: ClassVar[type[Response] | None] = CancelSmResp

    service_type: str = ""
    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addr_ton: int = 0
    dest_addr_npi: int = 0
    destination_addr: str = ""

    def encode_body(self) -> bytes:
        return b"".join(
            (
                encode_cstring(self.service_type, 6, "service_type"),
                encode_cstring(self.message_id, 65, "message_id"),
                bytes((self.source_addr_ton, self.source_addr_npi)),
                encode_cstring(self.source_addr, 21, "source_addr"),
                bytes((self.dest_addr_ton, self.dest_addr_npi)),
                encode_cstring(self.destination_addr, 21, "destination_addr"),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        service_type, offset = read_cstring(buf, offset, end, 6, _S.ESME_RINVSERTYP, "service_type")
        message_id, offset = read_cstring(buf, offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        need(offset, 2, end, "source_addr_ton")
        source_ton, source_npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 21, _S.ESME_RINVSRCADR, "source_addr"
        )
        need(offset, 2, end, "dest_addr_ton")
        dest_ton, dest_npi = buf[offset], buf[offset + 1]
        destination_addr, offset = read_cstring(
            buf, offset + 2, end, 21, _S.ESME_RINVDSTADR, "destination_addr"
        )
        expect_end("cancel_sm", offset, end)
        return cls(
            sequence_number,
            status,
            service_type,
            message_id,
            source_ton,
            source_npi,
            source_addr,
            dest_ton,
            dest_npi,
            destination_addr,
        )


@dataclass(slots=True)
class ReplaceSmResp(Response):
    command_id: ClassVar[int] = CommandId.REPLACE_SM_RESP


@dataclass(slots=True)
class ReplaceSm(Request):
    """replace_sm: change the text or timing of a pending message."""

    command_id: ClassVar[int] = CommandId.REPLACE_SM
    response_class: ClassVar[type[Response] | None] = ReplaceSmResp

    message_id: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    schedule_delivery_time: str = ""
    validity_period: str = ""
    registered_delivery: int = 0
    sm_default_msg_id: int = 0
    short_message: bytes = b""

    def encode_body(self) -> bytes:
        return b"".join(
            (
                encode_cstring(self.message_id, 65, "message_id"),
                bytes((self.source_addr_ton, self.source_addr_npi)),
                encode_cstring(self.source_addr, 21, "source_addr"),
                encode_time(self.schedule_delivery_time, "schedule_delivery_time"),
                encode_time(self.validity_period, "validity_period"),
                bytes((self.registered_delivery, self.sm_default_msg_id)),
                encode_octets(self.short_message, MAX_SM_LENGTH, "short_message"),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        message_id, offset = read_cstring(buf, offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        need(offset, 2, end, "source_addr_ton")
        ton, npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 21, _S.ESME_RINVSRCADR, "source_addr"
        )
        schedule, offset = read_time(buf, offset, end, _S.ESME_RINVSCHED, "schedule_delivery_time")
        validity, offset = read_time(buf, offset, end, _S.ESME_RINVEXPIRY, "validity_period")
        need(offset, 3, end, "registered_delivery")
        registered, default_id, sm_length = buf[offset], buf[offset + 1], buf[offset + 2]
        check_sm_length(sm_length)
        offset += 3
        need(offset, sm_length, end, "short_message")
        expect_end("replace_sm", offset + sm_length, end)
        return cls(
            sequence_number,
            status,
            message_id,
            ton,
            npi,
            source_addr,
            schedule,
            validity,
            registered,
            default_id,
            buf[offset : offset + sm_length],
        )


@dataclass(slots=True)
class AlertNotification(Request):
    """alert_notification: the SMSC tells the ESME that a mobile became available (no response)."""

    command_id: ClassVar[int] = CommandId.ALERT_NOTIFICATION

    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    esme_addr_ton: int = 0
    esme_addr_npi: int = 0
    esme_addr: str = ""
    tlvs: tuple[Tlv, ...] = ()

    def encode_body(self) -> bytes:
        return b"".join(
            (
                bytes((self.source_addr_ton, self.source_addr_npi)),
                encode_cstring(self.source_addr, 65, "source_addr"),
                bytes((self.esme_addr_ton, self.esme_addr_npi)),
                encode_cstring(self.esme_addr, 65, "esme_addr"),
                encode_tlvs(self.tlvs),
            )
        )

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        need(offset, 2, end, "source_addr_ton")
        source_ton, source_npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 65, _S.ESME_RINVSRCADR, "source_addr"
        )
        need(offset, 2, end, "esme_addr_ton")
        esme_ton, esme_npi = buf[offset], buf[offset + 1]
        esme_addr, offset = read_cstring(buf, offset + 2, end, 65, _S.ESME_RINVDSTADR, "esme_addr")
        tlvs = decode_tlvs(buf, offset, end) if offset < end else ()
        return cls(
            sequence_number,
            status,
            source_ton,
            source_npi,
            source_addr,
            esme_ton,
            esme_npi,
            esme_addr,
            tlvs,
        )

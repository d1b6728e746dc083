"""submit_multi and submit_multi_resp: one message to many addresses (SMPP 3.4 section 4.5)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, NamedTuple, Self

from smsgate.smpp.commands import CommandId, CommandStatus
from smsgate.smpp.errors import InvalidField, PduEncodeError
from smsgate.smpp.pdu import Request, Response
from smsgate.smpp.tlv import Tlv, decode_tlvs, encode_tlvs
from smsgate.smpp.wire import (
    MAX_SM_LENGTH,
    U32,
    check_sm_length,
    encode_cstring,
    encode_octets,
    encode_time,
    need,
    read_cstring,
    read_time,
)

_S = CommandStatus
_NO_TLVS: tuple[Tlv, ...] = ()


def _tlvs_from(buf: bytes, offset: int, end: int) -> tuple[Tlv, ...]:
    return decode_tlvs(buf, offset, end) if offset < end else _NO_TLVS


class SmeAddress(NamedTuple):
    """A submit_multi destination that is one address (dest_flag 1)."""

    ton: int
    npi: int
    address: str


class DistributionList(NamedTuple):
    """A submit_multi destination that is a distribution list held by the SMSC (dest_flag 2)."""

    name: str


class UnsuccessSme(NamedTuple):
    """A destination the SMSC refused in a submit_multi_resp."""

    ton: int
    npi: int
    address: str
    error_status_code: int


@dataclass(slots=True)
class SubmitMultiResp(Response):
    command_id: ClassVar[int] = CommandId.SUBMIT_MULTI_RESP

    message_id: str = ""
    unsuccess_smes: tuple[UnsuccessSme, ...] = ()
    tlvs: tuple[Tlv, ...] = ()

    def encode_body(self) -> bytes:
        if len(self.unsuccess_smes) > 255:
            raise PduEncodeError("submit_multi_resp lists more than 255 unsuccessful SMEs")
        parts = [
            encode_cstring(self.message_id, 65, "message_id"),
            bytes((len(self.unsuccess_smes),)),
        ]
        for sme in self.unsuccess_smes:
            parts.append(bytes((sme.ton, sme.npi)))
            parts.append(encode_cstring(sme.address, 21, "destination_addr"))
            parts.append(U32.pack(sme.error_status_code))
        parts.append(encode_tlvs(self.tlvs))
        return b"".join(parts)

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        if offset == end:
            return cls(sequence_number, status)
        message_id, offset = read_cstring(buf, offset, end, 65, _S.ESME_RINVMSGID, "message_id")
        need(offset, 1, end, "no_unsuccess")
        count = buf[offset]
        offset += 1
        smes = []
        for _ in range(count):
            need(offset, 2, end, "unsuccess_sme")
            ton, npi = buf[offset], buf[offset + 1]
            address, offset = read_cstring(
                buf, offset + 2, end, 21, _S.ESME_RINVDSTADR, "destination_addr"
            )
            need(offset, 4, end, "error_status_code")
            (error,) = U32.unpack_from(buf, offset)
            offset += 4
            smes.append(UnsuccessSme(ton, npi, address, error))
        return cls(sequence_number, status, message_id, tuple(smes), _tlvs_from(buf, offset, end))


@dataclass(slots=True)
class SubmitMulti(Request):
    """submit_multi: one message to up to 254 addresses or distribution lists."""

    command_id: ClassVar[int] = CommandId.SUBMIT_MULTI
    response_class: ClassVar[type[Response] | None] = SubmitMultiResp

    service_type: str = ""
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    source_addr: str = ""
    dest_addresses: tuple[SmeAddress | DistributionList, ...] = ()
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

    def encode_body(self) -> bytes:
        if len(self.dest_addresses) > 254:
            raise PduEncodeError("submit_multi allows at most 254 destinations")
        parts = [
            encode_cstring(self.service_type, 6, "service_type"),
            bytes((self.source_addr_ton, self.source_addr_npi)),
            encode_cstring(self.source_addr, 21, "source_addr"),
            bytes((len(self.dest_addresses),)),
        ]
        for dest in self.dest_addresses:
            if isinstance(dest, SmeAddress):
                parts.append(bytes((1, dest.ton, dest.npi)))
                parts.append(encode_cstring(dest.address, 21, "destination_addr"))
            else:
                parts.append(b"\x02" + encode_cstring(dest.name, 21, "dl_name"))
        parts += (
            bytes((self.esm_class, self.protocol_id, self.priority_flag)),
            encode_time(self.schedule_delivery_time, "schedule_delivery_time"),
            encode_time(self.validity_period, "validity_period"),
            bytes(
                (
                    self.registered_delivery,
                    self.replace_if_present_flag,
                    self.data_coding,
                    self.sm_default_msg_id,
                )
            ),
            encode_octets(self.short_message, MAX_SM_LENGTH, "short_message"),
            encode_tlvs(self.tlvs),
        )
        return b"".join(parts)

    @classmethod
    def decode_body(
        cls, buf: bytes, offset: int, end: int, sequence_number: int, status: int
    ) -> Self:
        service_type, offset = read_cstring(buf, offset, end, 6, _S.ESME_RINVSERTYP, "service_type")
        need(offset, 2, end, "source_addr_ton")
        source_ton, source_npi = buf[offset], buf[offset + 1]
        source_addr, offset = read_cstring(
            buf, offset + 2, end, 21, _S.ESME_RINVSRCADR, "source_addr"
        )
        need(offset, 1, end, "number_of_dests")
        count = buf[offset]
        offset += 1
        dests: list[SmeAddress | DistributionList] = []
        for _ in range(count):
            need(offset, 1, end, "dest_flag")
            flag = buf[offset]
            if flag == 1:
                need(offset, 3, end, "dest_address")
                ton, npi = buf[offset + 1], buf[offset + 2]
                address, offset = read_cstring(
                    buf, offset + 3, end, 21, _S.ESME_RINVDSTADR, "destination_addr"
                )
                dests.append(SmeAddress(ton, npi, address))
            elif flag == 2:
                name, offset = read_cstring(buf, offset + 1, end, 21, _S.ESME_RINVDLNAME, "dl_name")
                dests.append(DistributionList(name))
            else:
                raise InvalidField(
                    f"dest_flag {flag} is neither 1 nor 2",
                    command_status=_S.ESME_RINVDESTFLAG,
                    field="dest_flag",
                )
        need(offset, 3, end, "esm_class")
        esm_class, protocol_id, priority = buf[offset], buf[offset + 1], buf[offset + 2]
        schedule, offset = read_time(
            buf, offset + 3, end, _S.ESME_RINVSCHED, "schedule_delivery_time"
        )
        validity, offset = read_time(buf, offset, end, _S.ESME_RINVEXPIRY, "validity_period")
        need(offset, 5, end, "registered_delivery")
        registered, replace, coding, default_id, sm_length = buf[offset : offset + 5]
        check_sm_length(sm_length)
        offset += 5
        need(offset, sm_length, end, "short_message")
        short_message = buf[offset : offset + sm_length]
        return cls(
            sequence_number,
            status,
            service_type,
            source_ton,
            source_npi,
            source_addr,
            tuple(dests),
            esm_class,
            protocol_id,
            priority,
            schedule,
            validity,
            registered,
            replace,
            coding,
            default_id,
            short_message,
            _tlvs_from(buf, offset + sm_length, end),
        )

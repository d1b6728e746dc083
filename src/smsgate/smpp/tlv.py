"""Optional parameters (TLVs): tags, the wire codec, and typed access to the values.

A PDU keeps its TLVs as a tuple of ``Tlv(tag, value)`` in wire order, values as raw bytes, so
unknown or vendor tags survive a decode/encode round trip unchanged. Typed reading and writing
(``Tlv.as_int``, ``make_tlv``) use the sizes of section 5.3.2 of SMPP 3.4.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from struct import Struct
from typing import NamedTuple

from smsgate.smpp.errors import InvalidField, PduEncodeError

_TLV_HEAD = Struct(">HH")
_RINVOPTPARSTREAM = 0xC0
_RINVPARLEN = 0xC2


class TlvTag(IntEnum):
    """Optional parameter tags of SMPP 3.4 (section 5.3.2)."""

    DEST_ADDR_SUBUNIT = 0x0005
    DEST_NETWORK_TYPE = 0x0006
    DEST_BEARER_TYPE = 0x0007
    DEST_TELEMATICS_ID = 0x0008
    SOURCE_ADDR_SUBUNIT = 0x000D
    SOURCE_NETWORK_TYPE = 0x000E
    SOURCE_BEARER_TYPE = 0x000F
    SOURCE_TELEMATICS_ID = 0x0010
    QOS_TIME_TO_LIVE = 0x0017
    PAYLOAD_TYPE = 0x0019
    ADDITIONAL_STATUS_INFO_TEXT = 0x001D
    RECEIPTED_MESSAGE_ID = 0x001E
    MS_MSG_WAIT_FACILITIES = 0x0030
    PRIVACY_INDICATOR = 0x0201
    SOURCE_SUBADDRESS = 0x0202
    DEST_SUBADDRESS = 0x0203
    USER_MESSAGE_REFERENCE = 0x0204
    USER_RESPONSE_CODE = 0x0205
    SOURCE_PORT = 0x020A
    DESTINATION_PORT = 0x020B
    SAR_MSG_REF_NUM = 0x020C
    LANGUAGE_INDICATOR = 0x020D
    SAR_TOTAL_SEGMENTS = 0x020E
    SAR_SEGMENT_SEQNUM = 0x020F
    SC_INTERFACE_VERSION = 0x0210
    CALLBACK_NUM_PRES_IND = 0x0302
    CALLBACK_NUM_ATAG = 0x0303
    NUMBER_OF_MESSAGES = 0x0304
    CALLBACK_NUM = 0x0381
    DPF_RESULT = 0x0420
    SET_DPF = 0x0421
    MS_AVAILABILITY_STATUS = 0x0422
    NETWORK_ERROR_CODE = 0x0423
    MESSAGE_PAYLOAD = 0x0424
    DELIVERY_FAILURE_REASON = 0x0425
    MORE_MESSAGES_TO_SEND = 0x0426
    MESSAGE_STATE = 0x0427
    USSD_SERVICE_OP = 0x0501
    DISPLAY_TIME = 0x1201
    SMS_SIGNAL = 0x1203
    MS_VALIDITY = 0x1204
    ALERT_ON_MESSAGE_DELIVERY = 0x130C
    ITS_REPLY_TYPE = 0x1380
    ITS_SESSION_INFO = 0x1383


# Size in octets of the TLVs whose value is an unsigned big-endian integer.
INTEGER_SIZES: dict[int, int] = {
    TlvTag.DEST_ADDR_SUBUNIT: 1,
    TlvTag.DEST_NETWORK_TYPE: 1,
    TlvTag.DEST_BEARER_TYPE: 1,
    TlvTag.DEST_TELEMATICS_ID: 2,
    TlvTag.SOURCE_ADDR_SUBUNIT: 1,
    TlvTag.SOURCE_NETWORK_TYPE: 1,
    TlvTag.SOURCE_BEARER_TYPE: 1,
    TlvTag.SOURCE_TELEMATICS_ID: 1,
    TlvTag.QOS_TIME_TO_LIVE: 4,
    TlvTag.PAYLOAD_TYPE: 1,
    TlvTag.MS_MSG_WAIT_FACILITIES: 1,
    TlvTag.PRIVACY_INDICATOR: 1,
    TlvTag.USER_MESSAGE_REFERENCE: 2,
    TlvTag.USER_RESPONSE_CODE: 1,
    TlvTag.SOURCE_PORT: 2,
    TlvTag.DESTINATION_PORT: 2,
    TlvTag.SAR_MSG_REF_NUM: 2,
    TlvTag.LANGUAGE_INDICATOR: 1,
    TlvTag.SAR_TOTAL_SEGMENTS: 1,
    TlvTag.SAR_SEGMENT_SEQNUM: 1,
    TlvTag.SC_INTERFACE_VERSION: 1,
    TlvTag.CALLBACK_NUM_PRES_IND: 1,
    TlvTag.NUMBER_OF_MESSAGES: 1,
    TlvTag.DPF_RESULT: 1,
    TlvTag.SET_DPF: 1,
    TlvTag.MS_AVAILABILITY_STATUS: 1,
    TlvTag.DELIVERY_FAILURE_REASON: 1,
    TlvTag.MORE_MESSAGES_TO_SEND: 1,
    TlvTag.MESSAGE_STATE: 1,
    TlvTag.USSD_SERVICE_OP: 1,
    TlvTag.DISPLAY_TIME: 1,
    TlvTag.SMS_SIGNAL: 2,
    TlvTag.MS_VALIDITY: 1,
    TlvTag.ITS_REPLY_TYPE: 1,
}

# TLVs whose value is a C-octet string (NUL included in the length), with their maximum size.
CSTRING_SIZES: dict[int, int] = {
    TlvTag.ADDITIONAL_STATUS_INFO_TEXT: 256,
    TlvTag.RECEIPTED_MESSAGE_ID: 65,
}


class Tlv(NamedTuple):
    """One optional parameter as found on the wire."""

    tag: int
    value: bytes

    def as_int(self) -> int:
        """The value read as an unsigned big-endian integer of 1, 2 or 4 octets."""
        if len(self.value) not in (1, 2, 4):
            raise InvalidField(
                f"TLV 0x{self.tag:04X} has {len(self.value)} octets, not an integer",
                command_status=_RINVPARLEN,
                field=f"tlv_0x{self.tag:04X}",
            )
        return int.from_bytes(self.value, "big")

    def as_str(self) -> str:
        """The value read as text, without the C-octet string's NUL terminator."""
        value = self.value
        nul = value.find(b"\0")
        return (value if nul < 0 else value[:nul]).decode("latin-1")


def make_tlv(tag: int, value: int | str | bytes) -> Tlv:
    """Build a TLV from a typed value: an int sized by the spec, a str (C-octet), or raw bytes."""
    if isinstance(value, bytes):
        raw = value
    elif isinstance(value, int):
        size = INTEGER_SIZES.get(tag)
        if size is None:
            raise PduEncodeError(f"TLV 0x{tag:04X} does not hold an integer")
        try:
            raw = value.to_bytes(size, "big")
        except OverflowError as exc:
            raise PduEncodeError(f"TLV 0x{tag:04X} value {value} exceeds {size} octets") from exc
    else:
        raw = value.encode("latin-1") + b"\0" if tag in CSTRING_SIZES else value.encode("latin-1")
    if len(raw) > 0xFFFF:
        raise PduEncodeError(f"TLV 0x{tag:04X} value is {len(raw)} octets, over 65535")
    return Tlv(tag, raw)


def find_tlv(tlvs: Iterable[Tlv], tag: int) -> Tlv | None:
    """The first TLV with ``tag``, or None."""
    for tlv in tlvs:
        if tlv.tag == tag:
            return tlv
    return None


def encode_tlvs(tlvs: Iterable[Tlv]) -> bytes:
    """Write TLVs in order: tag, length, value each."""
    parts = []
    pack = _TLV_HEAD.pack
    for tag, value in tlvs:
        if len(value) > 0xFFFF:
            raise PduEncodeError(f"TLV 0x{tag:04X} value is {len(value)} octets, over 65535")
        parts.append(pack(tag, len(value)))
        parts.append(value)
    return b"".join(parts)


def decode_tlvs(buf: bytes, offset: int, end: int) -> tuple[Tlv, ...]:
    """Read the TLVs in ``buf[offset:end]``; a TLV running past ``end`` is an error."""
    items = []
    unpack_from = _TLV_HEAD.unpack_from
    while offset < end:
        if offset + 4 > end:
            raise InvalidField(
                "truncated TLV header", command_status=_RINVOPTPARSTREAM, field="tlvs"
            )
        tag, length = unpack_from(buf, offset)
        offset += 4
        if offset + length > end:
            raise InvalidField(
                f"TLV 0x{tag:04X} runs past the end of the PDU",
                command_status=_RINVOPTPARSTREAM,
                field="tlvs",
            )
        items.append(Tlv(tag, buf[offset : offset + length]))
        offset += length
    return tuple(items)

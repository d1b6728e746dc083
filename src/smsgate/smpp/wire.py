"""Primitives shared by the PDU codecs: the header, C-octet strings, bounds checks.

Sizes follow the spec's convention: a C-octet string of "max 16" holds 15 characters and its NUL.
Strings are latin-1 on the wire, so any byte sequence decodes and re-encodes unchanged.
"""

from __future__ import annotations

from struct import Struct

from smsgate.smpp.errors import (
    InvalidCommandLength,
    InvalidField,
    PduEncodeError,
    PduError,
    TruncatedPdu,
)

HEADER = Struct(">IIII")
HEADER_SIZE = 16
U32 = Struct(">I")
TIME_SIZE = 17  # "YYMMDDhhmmsstnnp" and its NUL, or a lone NUL
MAX_SM_LENGTH = 254  # short_message limit of SMPP 3.4; longer content goes in message_payload
_RINVMSGLEN = 0x01


def encode_cstring(value: str, max_size: int, field: str) -> bytes:
    """``value`` and its NUL, refusing strings that do not fit ``max_size`` (NUL included)."""
    if not value:
        return b"\0"
    raw = value.encode("latin-1")
    if len(raw) >= max_size:
        raise PduEncodeError(f"{field} is {len(raw)} characters, the limit is {max_size - 1}")
    if b"\0" in raw:
        raise PduEncodeError(f"{field} contains a NUL character")
    return raw + b"\0"


def encode_time(value: str, field: str) -> bytes:
    """A schedule_delivery_time/validity_period: empty or the 16-character SMPP time format."""
    if not value:
        return b"\0"
    if len(value) != TIME_SIZE - 1:
        raise PduEncodeError(f"{field} must be empty or 16 characters, got {value!r}")
    return encode_cstring(value, TIME_SIZE, field)


def encode_octets(value: bytes, max_size: int, field: str) -> bytes:
    """A length-prefixed octet string (sm_length + short_message)."""
    if len(value) > max_size:
        raise PduEncodeError(f"{field} is {len(value)} octets, the limit is {max_size}")
    return bytes((len(value),)) + value


def read_cstring(
    buf: bytes, offset: int, end: int, max_size: int, status: int, field: str
) -> tuple[str, int]:
    """Read a C-octet string at ``offset``; return it and the offset after its NUL."""
    limit = offset + max_size
    nul = buf.find(b"\0", offset, limit if limit < end else end)
    if nul < 0:
        raise cstring_error(offset, end, max_size, status, field)
    return buf[offset:nul].decode("latin-1"), nul + 1


def cstring_error(offset: int, end: int, max_size: int, status: int, field: str) -> PduError:
    """The error for a C-octet string at ``offset`` with no NUL within ``max_size`` octets."""
    if offset + max_size <= end:
        return InvalidField(
            f"{field} is longer than {max_size - 1} characters", command_status=status, field=field
        )
    return TruncatedPdu(f"{field} has no NUL before the end of the PDU", field=field)


def read_time(buf: bytes, offset: int, end: int, status: int, field: str) -> tuple[str, int]:
    """Read a time field: empty or exactly 16 characters."""
    value, offset = read_cstring(buf, offset, end, TIME_SIZE, status, field)
    if value and len(value) != TIME_SIZE - 1:
        raise InvalidField(
            f"{field} {value!r} is not an SMPP time", command_status=status, field=field
        )
    return value, offset


def check_sm_length(sm_length: int) -> None:
    """Refuse an sm_length of 255, one more than SMPP 3.4 allows."""
    if sm_length > MAX_SM_LENGTH:
        raise InvalidField(
            f"sm_length {sm_length} exceeds {MAX_SM_LENGTH}",
            command_status=_RINVMSGLEN,
            field="sm_length",
        )


def need(offset: int, size: int, end: int, field: str) -> None:
    """Fail with TruncatedPdu unless ``size`` octets remain before ``end``."""
    if offset + size > end:
        raise TruncatedPdu(f"the PDU ends inside {field}", field=field)


def expect_end(name: str, offset: int, end: int) -> None:
    """Fail with InvalidCommandLength when octets remain after the last field."""
    if offset != end:
        raise InvalidCommandLength(f"{name} has {end - offset} trailing octets")

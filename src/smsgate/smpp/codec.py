"""Decoding: the table from command_id to PDU class, and ``decode_pdu`` for one whole PDU."""

from __future__ import annotations

from collections.abc import Callable

from smsgate.smpp.errors import InvalidCommandLength, PduError, UnknownCommandId
from smsgate.smpp.messages import (
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    SubmitSm,
    SubmitSmResp,
)
from smsgate.smpp.operations import (
    AlertNotification,
    CancelSm,
    CancelSmResp,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    ReplaceSmResp,
)
from smsgate.smpp.pdu import (
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    Unbind,
    UnbindResp,
)
from smsgate.smpp.submit_multi import SubmitMulti, SubmitMultiResp
from smsgate.smpp.wire import HEADER, HEADER_SIZE

PDU_CLASSES: tuple[type[Pdu], ...] = (
    GenericNack,
    BindReceiver,
    BindReceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    BindTransceiver,
    BindTransceiverResp,
    Outbind,
    Unbind,
    UnbindResp,
    EnquireLink,
    EnquireLinkResp,
    SubmitSm,
    SubmitSmResp,
    DeliverSm,
    DeliverSmResp,
    DataSm,
    DataSmResp,
    SubmitMulti,
    SubmitMultiResp,
    QuerySm,
    QuerySmResp,
    CancelSm,
    CancelSmResp,
    ReplaceSm,
    ReplaceSmResp,
    AlertNotification,
)

_Decoder = Callable[[bytes, int, int, int, int], Pdu]
PDU_CLASS_BY_ID: dict[int, type[Pdu]] = {int(cls.command_id): cls for cls in PDU_CLASSES}
_DECODERS: dict[int, _Decoder] = {cid: cls.decode_body for cid, cls in PDU_CLASS_BY_ID.items()}


def decode_frame(
    buf: bytes, start: int, end: int, command_id: int, command_status: int, sequence_number: int
) -> Pdu:
    """Decode the PDU in ``buf[start:end]`` whose header has already been read.

    Any PduError raised is stamped with the header's sequence number and command id.
    """
    decoder = _DECODERS.get(command_id)
    if decoder is None:
        raise UnknownCommandId(
            f"unknown command_id 0x{command_id:08X}",
            sequence_number=sequence_number,
            command_id=command_id,
        )
    try:
        return decoder(buf, start + HEADER_SIZE, end, sequence_number, command_status)
    except PduError as exc:
        exc.sequence_number = sequence_number
        exc.command_id = command_id
        raise


def decode_pdu(data: bytes | bytearray | memoryview) -> Pdu:
    """Decode exactly one complete PDU; raise a PduError subclass when it is malformed."""
    buf = data if isinstance(data, bytes) else bytes(data)
    size = len(buf)
    if size < HEADER_SIZE:
        raise InvalidCommandLength(f"{size} octets cannot hold a PDU header")
    command_length, command_id, command_status, sequence_number = HEADER.unpack_from(buf, 0)
    if command_length != size:
        raise InvalidCommandLength(
            f"command_length {command_length} but {size} octets given",
            sequence_number=sequence_number,
            command_id=command_id,
        )
    return decode_frame(buf, 0, size, command_id, command_status, sequence_number)

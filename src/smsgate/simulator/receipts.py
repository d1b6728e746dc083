"""Delivery receipts as the simulator sends them: a deliver_sm with esm_class "SMSC delivery
receipt", the text form of SMPP 3.4 appendix B in short_message, and the receipted_message_id
and message_state TLVs.

    id:a0000001 sub:001 dlvrd:001 submit date:2611221000 done date:2611221000 stat:DELIVRD
    err:000 text:Your code is 123456

Dates are UTC; formatting one costs a few microseconds, so the stamp of the current minute is
kept and reused (``MinuteStamps``).
"""

from __future__ import annotations

import time
from typing import NamedTuple

from smsgate.simulator.config import Outcome
from smsgate.smpp import (
    DataSm,
    DeliverSm,
    EsmClass,
    MessageState,
    SubmitMulti,
    SubmitSm,
    Tlv,
    TlvTag,
    find_tlv,
    make_tlv,
)

_UCS2 = 0x08
_UDHI = int(EsmClass.UDHI)
_RECEIPT_ESM_CLASS = int(EsmClass.SMSC_DELIVERY_RECEIPT)
_RECEIPTED_MESSAGE_ID = int(TlvTag.RECEIPTED_MESSAGE_ID)
_RECEIPT_FORMAT = b"id:%s sub:001 dlvrd:%s submit date:%s done date:%s stat:%s err:%03d text:%s"
_TEXT_CHARACTERS = 20
# Printable ASCII stays, anything else becomes "?" (the text field is only a reminder).
_PRINTABLE = bytes(b if 0x20 <= b < 0x7F else 0x3F for b in range(256))

_STATS: dict[Outcome, tuple[bytes, MessageState]] = {
    Outcome.DELIVERED: (b"DELIVRD", MessageState.DELIVERED),
    Outcome.UNDELIVERED: (b"UNDELIV", MessageState.UNDELIVERABLE),
    Outcome.EXPIRED: (b"EXPIRED", MessageState.EXPIRED),
    Outcome.REJECTED: (b"REJECTD", MessageState.REJECTED),
}
_STATE_TLVS: dict[Outcome, Tlv] = {
    outcome: make_tlv(TlvTag.MESSAGE_STATE, int(state)) for outcome, (_, state) in _STATS.items()
}

Message = SubmitSm | DataSm | SubmitMulti


class Address(NamedTuple):
    ton: int
    npi: int
    address: str


class PendingReceipt(NamedTuple):
    """A receipt to send once ``due`` (loop time) has come, to a receiver of ``system_id``."""

    due: float
    system_id: str
    message_id: str  # as the receipt writes it
    outcome: Outcome
    submitted_at: float  # wall-clock seconds
    message: Message
    recipient: Address | None = None  # submit_multi: which of its destinations


class MinuteStamps:
    """``YYMMDDhhmm`` in UTC for a wall-clock time, formatted once per minute."""

    __slots__ = ("_minute", "_stamp")

    def __init__(self) -> None:
        self._minute = -1
        self._stamp = b""

    def stamp(self, wall_time: float) -> bytes:
        minute = int(wall_time // 60)
        if minute != self._minute:
            if minute == self._minute - 1:  # a straggler from the minute before
                return time.strftime("%y%m%d%H%M", time.gmtime(wall_time)).encode()
            self._minute = minute
            self._stamp = time.strftime("%y%m%d%H%M", time.gmtime(wall_time)).encode()
        return self._stamp


def build_receipt(
    pending: PendingReceipt, done_date: bytes, stamps: MinuteStamps, error_code: int
) -> DeliverSm:
    """The deliver_sm carrying ``pending``; it travels from the recipient back to the sender.

    Written for speed (a receipt per message): positional fields, int constants.
    """
    message = pending.message
    recipient = pending.recipient
    if recipient is None:
        assert not isinstance(message, SubmitMulti)
        ton, npi, address = message.dest_addr_ton, message.dest_addr_npi, message.destination_addr
    else:
        ton, npi, address = recipient
    message_id = pending.message_id.encode("latin-1")
    outcome = pending.outcome
    delivered = outcome is Outcome.DELIVERED
    text = _RECEIPT_FORMAT % (
        message_id,
        b"001" if delivered else b"000",
        stamps.stamp(pending.submitted_at),
        done_date,
        _STATS[outcome][0],
        0 if delivered else error_code,
        _text_field(message),
    )
    return DeliverSm(
        0,  # sequence_number, set by the session
        0,  # command_status
        "",  # service_type
        ton,
        npi,
        address,
        message.source_addr_ton,
        message.source_addr_npi,
        message.source_addr,
        _RECEIPT_ESM_CLASS,
        0,  # protocol_id
        0,  # priority_flag
        "",  # schedule_delivery_time
        "",  # validity_period
        0,  # registered_delivery
        0,  # replace_if_present_flag
        0,  # data_coding
        0,  # sm_default_msg_id
        text,
        (Tlv(_RECEIPTED_MESSAGE_ID, message_id + b"\0"), _STATE_TLVS[outcome]),
    )


def _text_field(message: Message) -> bytes:
    """The first characters of the message, printable ASCII only."""
    if isinstance(message, DataSm):
        found = find_tlv(message.tlvs, TlvTag.MESSAGE_PAYLOAD)
        body = found.value if found is not None else b""
    else:
        body = message.short_message
        if not body and isinstance(message, SubmitSm):
            body = message.payload
    if message.esm_class & _UDHI and body:
        body = body[body[0] + 1 :]
    if message.data_coding == _UCS2:
        decoded = body[: 2 * _TEXT_CHARACTERS].decode("utf-16-be", "replace")
        return decoded.encode("latin-1", "replace").translate(_PRINTABLE)
    return body[:_TEXT_CHARACTERS].translate(_PRINTABLE)

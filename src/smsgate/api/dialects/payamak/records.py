"""MessageInfo records and numbers as Payamak shows them, built from our messages.

A record holds plain values (enum members by name); soap.py and rest.py only write them out.
Numbers: Payamak clients use Iranian numbers in their national form (0912...), so +98 numbers
are shown that way; other numbers keep E.164, and short codes (10002188) stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from smsgate.domain.batches import Batch, Message
from smsgate.domain.inbound import InboundMessage
from smsgate.domain.messages import REFUNDED_STATUSES, MessageStatus
from smsgate.domain.phones import parse_phone
from smsgate.domain.text import is_gsm7

S = MessageStatus

# Statuses in which a carrier has taken the message (expired depends on whether one had).
_REACHED_CARRIER = frozenset({S.SUBMITTED, S.DELIVERED, S.UNDELIVERED, S.UNKNOWN})
_SMS_STATUS = {
    S.SCHEDULED: "WaitForSend",
    S.QUEUED: "InQueue",
    S.PAUSED: "WaitForSend",
    S.SENDING: "Sending",
    S.SUBMITTED: "Sent",
    S.DELIVERED: "Sent",
    S.UNDELIVERED: "Sent",
    S.UNKNOWN: "Sent",
    S.REJECTED: "NotSent",
    S.FAILED: "NotSent",
    S.CANCELLED: "Canceled",
}
_SEND_STATUS = {
    S.SUBMITTED: "Sent",
    S.DELIVERED: "Sent",
    S.UNKNOWN: "Sent",
    S.UNDELIVERED: "Error",
    S.REJECTED: "Error",
}


@dataclass(frozen=True, slots=True)
class MessageInfo:
    action_at: datetime
    content: str
    cost_micros: int
    count: int
    flash: bool
    is_read: bool
    lang: str
    message_id: int
    message_type: str
    money_refunded: bool
    not_sent: int
    pages: int
    receiver: str
    send_method: str
    send_status: str
    sender: str
    sent: int
    status: str
    tariff_micros: int
    user_id: int
    desc: str | None = None
    title: str | None = None


def display_number(number: str) -> str:
    """A stored number as Payamak shows it: +98 numbers in national form."""
    if number.startswith("+98"):
        return "0" + number[3:]
    return number


def line_key(raw: str, region: str | None) -> str:
    """A line or sender number as stored: E.164 when it reads as a phone number."""
    phone = parse_phone(raw, region)
    return phone.e164 if phone is not None else raw.strip()


def reached_carrier(message: Message) -> bool:
    if message.status is S.EXPIRED:
        return message.carrier_message_id is not None
    return message.status in _REACHED_CARRIER


def _lang(text: str) -> str:
    return "En" if is_gsm7(text) else "Fa"


def received_info(message: InboundMessage) -> MessageInfo:
    return MessageInfo(
        action_at=message.received_at,
        content=message.text,
        cost_micros=0,
        count=1,
        flash=False,
        is_read=message.is_read,
        lang=_lang(message.text),
        message_id=message.id,
        message_type="In",
        money_refunded=False,
        not_sent=0,
        pages=message.parts,
        receiver=display_number(message.recipient),
        send_method="None",
        send_status="None",
        sender=display_number(message.sender),
        sent=0,
        status="None",
        tariff_micros=0,
        user_id=message.account_id,
    )


def sent_info(message: Message, batch: Batch) -> MessageInfo:
    reached = reached_carrier(message)
    final_unsent = message.status in REFUNDED_STATUSES or (
        message.status is S.EXPIRED and not reached
    )
    if message.status is S.EXPIRED:
        status, send_status = ("Sent", "Error") if reached else ("NotSent", "None")
    else:
        status = _SMS_STATUS[message.status]
        send_status = _SEND_STATUS.get(message.status, "None")
    return MessageInfo(
        action_at=message.created_at,
        content=batch.text,
        cost_micros=message.price_micros,
        count=1,
        flash=batch.flash,
        is_read=False,
        lang="Fa" if batch.encoding == "ucs2" else "En",
        message_id=message.id,
        message_type="Out",
        money_refunded=final_unsent,
        not_sent=1 if final_unsent else 0,
        pages=message.segments,
        receiver=display_number(message.recipient),
        send_method="WebService",
        send_status=send_status,
        sender=display_number(batch.sender or ""),
        sent=1 if reached else 0,
        status=status,
        tariff_micros=message.price_micros // max(message.segments, 1),
        user_id=message.account_id,
    )

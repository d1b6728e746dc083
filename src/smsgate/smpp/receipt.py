"""Delivery receipts: the text form of SMPP 3.4 appendix B, and the TLVs that may accompany it.

    id:IIIIIIIIII sub:SSS dlvrd:DDD submit date:YYMMDDhhmm done date:YYMMDDhhmm stat:DDDDDDD
    err:E Text:...

SMSCs vary: keys in any case, ``submit_date`` for ``submit date``, fields missing, ids longer
than ten characters and in hex or decimal, dates with seconds. The parser accepts all of that;
it returns None only when there is no ``id`` at all. ``message_ids_match`` compares an id from
a receipt with the one from submit_sm_resp across the hex/decimal split.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from smsgate.smpp.fields import ESM_CLASS_TYPE_MASK, EsmClass, MessageState
from smsgate.smpp.messages import DataSm, DeliverSm
from smsgate.smpp.tlv import TlvTag, find_tlv

_KEY = re.compile(
    r"(?:^|(?<=\s))(id|sub|dlvrd|submit[ _]?date|done[ _]?date|stat|err|text)\s*:", re.IGNORECASE
)
_TEXT_KEY = re.compile(r"(?:^|(?<=\s))text\s*:", re.IGNORECASE)

_STATES: dict[str, MessageState] = {
    "ENROUTE": MessageState.ENROUTE,
    "DELIVRD": MessageState.DELIVERED,
    "DELIVERED": MessageState.DELIVERED,
    "EXPIRED": MessageState.EXPIRED,
    "DELETED": MessageState.DELETED,
    "UNDELIV": MessageState.UNDELIVERABLE,
    "UNDELIVERABLE": MessageState.UNDELIVERABLE,
    "ACCEPTD": MessageState.ACCEPTED,
    "ACCEPTED": MessageState.ACCEPTED,
    "UNKNOWN": MessageState.UNKNOWN,
    "REJECTD": MessageState.REJECTED,
    "REJECTED": MessageState.REJECTED,
}


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What a receipt says about one message; fields the SMSC left out are None."""

    message_id: str
    state: MessageState | None = None
    stat: str | None = None  # the stat field as sent, e.g. "DELIVRD"
    error: str | None = None  # the err field as sent, e.g. "000"
    submitted: int | None = None
    delivered: int | None = None
    submit_date: datetime | None = None
    done_date: datetime | None = None
    text: str = ""

    @property
    def is_final(self) -> bool:
        """True unless the message is still on its way (ENROUTE, ACCEPTED) or unknown."""
        return self.state not in (None, MessageState.ENROUTE, MessageState.ACCEPTED)


def parse_receipt(text: str | bytes, *, tz: tzinfo = UTC) -> DeliveryReceipt | None:
    """Parse the text form of a receipt; None when the text carries no ``id:``.

    ``tz`` is the SMSC's time zone for the two dates (the text does not say).
    """
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    body = ""
    text_key = _TEXT_KEY.search(text)
    if text_key is not None:
        body = text[text_key.end() :]
        text = text[: text_key.start()]
    fields: dict[str, str] = {}
    keys = list(_KEY.finditer(text))
    for index, match in enumerate(keys):
        stop = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        name = match.group(1).lower().replace("_", " ")
        if name.endswith("date") and " " not in name:
            name = name[:-4] + " date"
        fields.setdefault(name, text[match.end() : stop].strip())
    message_id = fields.get("id")
    if not message_id:
        return None
    stat = fields.get("stat") or None
    return DeliveryReceipt(
        message_id=message_id,
        state=_state(stat),
        stat=stat,
        error=fields.get("err") or None,
        submitted=_count(fields.get("sub")),
        delivered=_count(fields.get("dlvrd")),
        submit_date=_date(fields.get("submit date"), tz),
        done_date=_date(fields.get("done date"), tz),
        text=body.strip(),
    )


def receipt_from_pdu(pdu: DeliverSm | DataSm, *, tz: tzinfo = UTC) -> DeliveryReceipt | None:
    """The receipt carried by a deliver_sm or data_sm, or None when it is not one.

    The receipted_message_id and message_state TLVs, when present, win over the text.
    """
    is_receipt = pdu.esm_class & ESM_CLASS_TYPE_MASK == EsmClass.SMSC_DELIVERY_RECEIPT
    id_tlv = find_tlv(pdu.tlvs, TlvTag.RECEIPTED_MESSAGE_ID)
    if not is_receipt and id_tlv is None:
        return None
    if isinstance(pdu, DeliverSm):
        payload = pdu.payload
    else:
        payload_tlv = find_tlv(pdu.tlvs, TlvTag.MESSAGE_PAYLOAD)
        payload = payload_tlv.value if payload_tlv is not None else b""
    receipt = parse_receipt(payload, tz=tz)
    state_tlv = find_tlv(pdu.tlvs, TlvTag.MESSAGE_STATE)
    error_tlv = find_tlv(pdu.tlvs, TlvTag.NETWORK_ERROR_CODE)
    message_id = id_tlv.as_str() if id_tlv is not None else None
    state = _state_from_tlv(state_tlv.value) if state_tlv is not None else None
    if receipt is None:
        if not message_id:
            return None
        receipt = DeliveryReceipt(message_id=message_id)
    return DeliveryReceipt(
        message_id=message_id or receipt.message_id,
        state=state or receipt.state,
        stat=receipt.stat,
        error=receipt.error or (error_tlv.value.hex() if error_tlv is not None else None),
        submitted=receipt.submitted,
        delivered=receipt.delivered,
        submit_date=receipt.submit_date,
        done_date=receipt.done_date,
        text=receipt.text,
    )


def message_ids_match(receipt_id: str, submitted_id: str) -> bool:
    """Whether two message ids name the same message, allowing for hex/decimal rewriting.

    SMSCs often answer submit_sm with an id in one base and put it in receipts in the other,
    sometimes zero-padded or in another case.
    """
    a = receipt_id.strip().lower()
    b = submitted_id.strip().lower()
    if a == b:
        return True
    if not a or not b:
        return False
    if a.lstrip("0") == b.lstrip("0"):
        return True
    for base_a, base_b in ((10, 16), (16, 10)):
        number_a, number_b = _as_int(a, base_a), _as_int(b, base_b)
        if number_a is not None and number_a == number_b:
            return True
    return False


def _as_int(value: str, base: int) -> int | None:
    try:
        return int(value, base)
    except ValueError:
        return None


def _state(stat: str | None) -> MessageState | None:
    if not stat:
        return None
    upper = stat.upper()
    found = _STATES.get(upper)
    if found is not None:
        return found
    if upper.isdigit():
        return _state_from_tlv(bytes((int(upper) & 0xFF,)))
    return None


def _state_from_tlv(value: bytes) -> MessageState | None:
    if len(value) != 1:
        return None
    try:
        return MessageState(value[0])
    except ValueError:
        return None


def _count(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


def _date(value: str | None, tz: tzinfo) -> datetime | None:
    if not value or not value.isdigit() or len(value) not in (10, 12):
        return None
    year, month, day, hour, minute = (int(value[i : i + 2]) for i in range(0, 10, 2))
    second = int(value[10:12]) if len(value) == 12 else 0
    try:
        return datetime(2000 + year, month, day, hour, minute, second, tzinfo=tz)
    except ValueError:
        return None

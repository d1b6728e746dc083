"""SMSFactor campaign requests read into a `SendRequest` for the sending service.

The JSON body (or the XML read into the same shape) is
`{"sms": {"message": {"text", "pushtype", "sender", "delay", "unicode"},
"recipients": {"gsm": [{"gsmsmsid", "value"}]}}}`; a single message comes as GET parameters
`to`, `text`, `pushtype`, `sender`, `delay`, `gsmsmsid`. As SMSFactor's PHP server does,
numbers and ids may be JSON numbers or strings, `unicode` 0/1 or "0"/"1", and one `gsm` may
stand alone instead of in a list; anything else of the wrong shape is a data error (-7).
`delay` is "Y-m-d H:i:s" in Europe/Paris; an unreadable one is an incorrect delay (-4).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from smsgate import errors
from smsgate.api.dialects.smsfactor.marketing import PARIS, next_marketing_instant, with_opt_out
from smsgate.domain.messages import MessageKind
from smsgate.domain.recipients import Recipient
from smsgate.services.sending import SendRequest

DELAY_FORMAT = "%Y-%m-%d %H:%M:%S"
MAX_GSMSMSID_LENGTH = 64  # messages.reference
MAX_SENDER_LENGTH = 32
PUSHTYPES = {"alert": MessageKind.TRANSACTIONAL, "marketing": MessageKind.MARKETING}


@dataclass(frozen=True, slots=True)
class CampaignOrder:
    text: str
    kind: MessageKind
    sender: str | None
    delay: datetime | None
    force_unicode: bool
    recipients: tuple[Recipient, ...]


def read_campaign(document: Any) -> CampaignOrder:
    """A `POST /send` body (decoded) as an order; raises InvalidRequest or InvalidSchedule."""
    sms = _mapping(_mapping(document, "the body").get("sms"), "sms")
    message = _mapping(sms.get("message"), "sms.message")
    if message.get("links") not in (None, "", []):
        raise errors.InvalidRequest("short links (links, <-short->) are not supported")
    recipients = _mapping(sms.get("recipients"), "sms.recipients")
    if "gsm" not in recipients:
        raise errors.InvalidRequest("sms.recipients.gsm is required")
    entries = recipients["gsm"]
    if not isinstance(entries, list):
        entries = [entries]
    return CampaignOrder(
        text=_text(message.get("text")),
        kind=_pushtype(message.get("pushtype")),
        sender=_optional_string(message.get("sender"), "sender", MAX_SENDER_LENGTH),
        delay=parse_delay(message.get("delay")),
        force_unicode=_flag(message.get("unicode"), "unicode"),
        recipients=tuple(_recipient(entry) for entry in entries),
    )


def read_single(params: Mapping[str, Any]) -> CampaignOrder:
    """A `GET /send` query (one recipient) as an order."""
    if "to" not in params:
        raise errors.InvalidRequest("the parameter to is required")
    to = _scalar(params["to"], "to")
    gsmsmsid = _optional_string(params.get("gsmsmsid"), "gsmsmsid", MAX_GSMSMSID_LENGTH)
    return CampaignOrder(
        text=_text(params.get("text")),
        kind=_pushtype(params.get("pushtype")),
        sender=_optional_string(params.get("sender"), "sender", MAX_SENDER_LENGTH),
        delay=parse_delay(params.get("delay")),
        force_unicode=_flag(params.get("unicode"), "unicode"),
        recipients=(Recipient(to, gsmsmsid),),
    )


def send_request(order: CampaignOrder, now: datetime, simulate: bool) -> SendRequest:
    """What the sending service is asked: marketing gets its opt-out mention and its hours."""
    text, scheduled_at = order.text, order.delay
    if order.kind is MessageKind.MARKETING:
        text = with_opt_out(text)
        wanted = order.delay if order.delay is not None and order.delay > now else now
        allowed = next_marketing_instant(wanted)
        scheduled_at = order.delay if allowed == wanted else allowed
    return SendRequest(
        recipients=order.recipients,
        text=text,
        sender=order.sender,
        scheduled_at=scheduled_at,
        kind=order.kind,
        force_unicode=order.force_unicode,
        test=simulate,
    )


def parse_delay(value: Any) -> datetime | None:
    """A "Y-m-d H:i:s" Europe/Paris time, or None when absent or empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise errors.InvalidSchedule("delay must be a string 'Y-m-d H:i:s'")
    try:
        local = datetime.strptime(value.strip(), DELAY_FORMAT).replace(tzinfo=PARIS)
    except ValueError as exc:
        raise errors.InvalidSchedule(f"delay {value!r} is not 'Y-m-d H:i:s'") from exc
    return local


def _mapping(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise errors.InvalidRequest(f"{name} must be an object")
    return value


def _scalar(value: Any, name: str) -> str:
    """A string, or a JSON integer written as one (PHP clients send numbers either way)."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    raise errors.InvalidRequest(f"{name} must be a string or a number")


def _text(value: Any) -> str:
    if value is None:
        raise errors.EmptyText("text is required")
    if not isinstance(value, str):
        raise errors.InvalidRequest("text must be a string")
    return value


def _optional_string(value: Any, name: str, max_length: int) -> str | None:
    if value is None or value == "":
        return None
    found = _scalar(value, name)
    if len(found) > max_length:
        raise errors.InvalidRequest(f"{name} is longer than {max_length} characters")
    return found or None


def _pushtype(value: Any) -> MessageKind:
    if value is None or value == "":
        return MessageKind.TRANSACTIONAL
    if not isinstance(value, str) or value.strip().lower() not in PUSHTYPES:
        raise errors.InvalidRequest("pushtype must be alert or marketing")
    return PUSHTYPES[value.strip().lower()]


def _flag(value: Any, name: str) -> bool:
    if value is None or value == "":
        return False
    if isinstance(value, bool):
        return value
    if value in ("0", "1") or (isinstance(value, int) and value in (0, 1)):
        return str(value) == "1"
    raise errors.InvalidRequest(f"{name} must be 0 or 1")


def _recipient(entry: Any) -> Recipient:
    if isinstance(entry, Mapping):
        if "value" not in entry:
            raise errors.InvalidRequest("each gsm needs a value (the number)")
        gsmsmsid = _optional_string(entry.get("gsmsmsid"), "gsmsmsid", MAX_GSMSMSID_LENGTH)
        return Recipient(_scalar(entry["value"], "gsm value"), gsmsmsid)
    return Recipient(_scalar(entry, "gsm"))

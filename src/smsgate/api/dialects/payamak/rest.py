"""The REST twin: `POST /api/v2/RestWebApi/<Operation>` with a JSON body.

Authentication is an smsgate API key in `X-API-Key`, or `userName`/`password` in the body.
Field names are read case-insensitively and values leniently, as ASP.NET model binding does
(`"5"` for 5, `"true"` for true, `toNumbers`/`fromNumbers` as a comma-separated string or a
list). Replies are `{"success": true, "errorMessage": null, "result": {..., "resultCode"}}`;
a request that cannot be read gets `success: false` with an HTTP error status (app.py).
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.dialects.payamak import operations
from smsgate.api.dialects.payamak.codes import Family, Flavour, for_flavour
from smsgate.api.dialects.payamak.contract import (
    SMS_DIRECTION,
    SMS_LANG,
    SMS_SEND_METHOD,
    SMS_SEND_STATUS,
    SMS_STATUS,
)
from smsgate.api.dialects.payamak.operations import Credentials, SendArgs
from smsgate.api.dialects.payamak.records import MessageInfo
from smsgate.bootstrap import Gateway
from smsgate.domain.money import format_credits

REST = Flavour.REST
JSON_TYPE = "application/json; charset=utf-8"
Result = dict[str, Any]
Handler = Callable[[Gateway, "Fields", Credentials], Awaitable[Result]]


class RestError(Exception):
    """A request answered `success: false` with this HTTP status."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class Fields:
    """A JSON object's fields, names compared without case."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = {key.lower(): item for key, item in data.items()}

    def _get(self, name: str) -> Any:
        return self._data.get(name.lower())

    def string(self, name: str) -> str | None:
        found = self._get(name)
        if found is None or isinstance(found, str):
            return found
        if isinstance(found, int | float) and not isinstance(found, bool):
            return str(found)
        raise _wrong_type(name, "a string")

    def numbers(self, name: str) -> list[str]:
        """A list of numbers: a JSON list, or one string with commas between the numbers."""
        found = self._get(name)
        if found is None:
            return []
        if isinstance(found, str):
            return [part.strip() for part in found.split(",") if part.strip()]
        if isinstance(found, list) and all(
            isinstance(item, str | int) and not isinstance(item, bool) for item in found
        ):
            return [str(item).strip() for item in found]
        raise _wrong_type(name, "a list of numbers or a comma-separated string")

    def boolean(self, name: str) -> bool:
        found = self._get(name)
        if found is None:
            return False
        if isinstance(found, bool):
            return found
        if isinstance(found, str) and found.strip().lower() in ("true", "false"):
            return found.strip().lower() == "true"
        raise _wrong_type(name, "true or false")

    def integer(self, name: str, bits: int = 32) -> int:
        return self.optional_integer(name, bits) or 0

    def optional_integer(self, name: str, bits: int = 32) -> int | None:
        found = self._get(name)
        if found is None:
            return None
        number: int | None = None
        if isinstance(found, int) and not isinstance(found, bool):
            number = found
        elif isinstance(found, float) and found.is_integer():
            number = int(found)
        elif isinstance(found, str) and found.strip().lstrip("+-").isdigit():
            number = int(found.strip())
        if number is None or not -(2 ** (bits - 1)) <= number < 2 ** (bits - 1):
            raise _wrong_type(name, f"a {bits}-bit integer")
        return number


def _wrong_type(name: str, expected: str) -> RestError:
    return RestError(400, f"the field {name!r} must be {expected}")


def read_fields(body: bytes) -> Fields:
    if not body.strip():
        return Fields({})
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise RestError(400, "the body is not valid JSON") from exc
    if not isinstance(data, dict):
        raise RestError(400, "the body must be a JSON object")
    return Fields(data)


def _decimal(micros: int) -> orjson.Fragment:
    # JSON numbers written from the exact decimal text: money never passes through a float.
    return orjson.Fragment(format_credits(micros).encode())


# --- operations -------------------------------------------------------------------------


def _send_args(fields: Fields) -> SendArgs:
    return SendArgs(
        sender=fields.string("fromNumber"),
        numbers=fields.numbers("toNumbers"),
        text=fields.string("messageContent") or "",
        flash=fields.boolean("isFlash"),
        delay_s=fields.optional_integer("sendDelay"),
    )


async def send_sms(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    send = _send_args(fields)
    found = await operations.answer(
        gateway,
        credentials,
        Family.SEND,
        REST,
        lambda account: operations.send(gateway, account, send, REST),
    )
    sent = found.value
    return {
        "recId": sent.rec_ids if sent else [],
        # byte[] in JSON, as .NET writes it: base64, one byte per recipient, 1 = sent.
        "status": base64.b64encode(bytes(int(s) for s in sent.sent)).decode() if sent else "",
        "resultCode": found.code,
    }


async def send_batch_sms(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    send = _send_args(fields)
    found = await operations.answer(
        gateway,
        credentials,
        Family.SEND,
        REST,
        lambda account: operations.send(gateway, account, send, REST),
    )
    return {"batchSmsId": found.value.batch_id if found.value else 0, "resultCode": found.code}


async def get_credit(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    found = await operations.answer(
        gateway,
        credentials,
        Family.ACCOUNT,
        REST,
        lambda account: operations.credit(gateway, account),
    )
    return {"credit": _decimal(found.value or 0), "resultCode": found.code}


async def get_inbox_count(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    is_read = fields.boolean("isRead")
    found = await operations.answer(
        gateway,
        credentials,
        Family.ACCOUNT,
        REST,
        lambda account: operations.inbox_count(gateway, account, is_read),
    )
    return {"inboxCount": found.value or 0, "resultCode": found.code}


async def get_sender_numbers(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    found = await operations.answer(
        gateway,
        credentials,
        Family.ACCOUNT,
        REST,
        lambda account: operations.sender_numbers(gateway, account),
    )
    return {"senders": found.value or [], "resultCode": found.code}


async def get_batch_delivery(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    batch_id = fields.integer("batchSmsId")
    index, count = fields.optional_integer("index"), fields.optional_integer("count")
    found = await operations.answer(
        gateway,
        credentials,
        Family.DELIVERY,
        REST,
        lambda account: operations.batch_delivery(gateway, account, batch_id, index, count),
    )
    rows = found.value or []
    return {
        "numbers": [number for number, _ in rows],
        "deliveryStatus": [for_flavour(status, REST) for _, status in rows],
        "resultCode": found.code,
    }


async def get_delivery(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    rec_id = fields.integer("recId", bits=64)
    found = await operations.answer(
        gateway,
        credentials,
        Family.DELIVERY,
        REST,
        lambda account: operations.delivery(gateway, account, rec_id),
    )
    status = None if found.value is None else for_flavour(found.value, REST)
    return {"deliveryStatus": status, "resultCode": found.code}


async def get_messages(gateway: Gateway, fields: Fields, credentials: Credentials) -> Result:
    query = operations.MessagesArgs(
        message_type=fields.integer("messageType"),
        from_numbers=fields.numbers("fromNumbers"),
        index=fields.optional_integer("index"),
        count=fields.optional_integer("count"),
    )
    found = await operations.answer(
        gateway,
        credentials,
        Family.ACCOUNT,
        REST,
        lambda account: operations.messages(gateway, account, query),
    )
    return {"messages": [_message_info(m) for m in found.value or []], "resultCode": found.code}


def _message_info(info: MessageInfo) -> dict[str, Any]:
    return {
        "actionDateTime": info.action_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "content": info.content,
        "cost": _decimal(info.cost_micros),
        "count": info.count,
        "desc": info.desc,
        "flash": info.flash,
        "isRead": info.is_read,
        "lang": SMS_LANG[info.lang],
        "messageId": info.message_id,
        "messageType": SMS_DIRECTION[info.message_type],
        "moneyIsRefunded": info.money_refunded,
        "notSent": info.not_sent,
        "pages": info.pages,
        "receiver": info.receiver,
        "sendMethod": SMS_SEND_METHOD[info.send_method],
        "sendStatus": SMS_SEND_STATUS[info.send_status],
        "sender": info.sender,
        "sent": info.sent,
        "status": SMS_STATUS[info.status],
        "tariff": _decimal(info.tariff_micros),
        "title": info.title,
        "userId": info.user_id,
    }


HANDLERS: dict[str, Handler] = {
    "GetCredit": get_credit,
    "GetInboxCount": get_inbox_count,
    "SendSMS": send_sms,
    "SendBatchSms": send_batch_sms,
    "GetBatchDelivery": get_batch_delivery,
    "GetMessages": get_messages,
    "GetDelivery": get_delivery,
    "GetSenderNumbers": get_sender_numbers,
}
_BY_LOWER_NAME = {name.lower(): handler for name, handler in HANDLERS.items()}


# --- the endpoint -----------------------------------------------------------------------


def envelope(result: Result | None, error: str | None = None) -> bytes:
    return orjson.dumps({"success": error is None, "errorMessage": error, "result": result})


async def post(request: Request) -> Response:
    name = request.path_params["operation"]
    handler = _BY_LOWER_NAME.get(name.lower())
    if handler is None:
        raise RestError(404, f"unknown operation {name!r}")
    fields = read_fields(await request.body())
    api_key = request.headers.get("x-api-key", "").strip() or None
    credentials = Credentials(
        username=fields.string("userName"), password=fields.string("password"), api_key=api_key
    )
    gateway: Gateway = request.app.state.gateway
    result = await handler(gateway, fields, credentials)
    return Response(envelope(result), media_type=JSON_TYPE)

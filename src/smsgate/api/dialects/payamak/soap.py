"""SendService.svc: the SOAP 1.1 endpoint and its WSDL.

Dispatch is on the Body's first element (name and namespace), whatever the prefixes and the
SOAPAction header say. Each handler reads its arguments, calls one operation through
`operations.answer` and writes the response wrapper; business errors become result codes
in the response, anything unreadable a SOAP fault (app.py renders those).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from smsgate.api.dialects.payamak import envelope, operations
from smsgate.api.dialects.payamak.codes import Family, Flavour
from smsgate.api.dialects.payamak.contract import ENDPOINT_PATH, MODELS_NS, MOUNT_PATH, TEMPURI
from smsgate.api.dialects.payamak.envelope import (
    ACTION_NOT_SUPPORTED,
    Arguments,
    SoapFault,
    array,
    base64_value,
    response,
    value,
)
from smsgate.api.dialects.payamak.operations import Credentials, SendArgs
from smsgate.api.dialects.payamak.records import MessageInfo
from smsgate.api.dialects.payamak.wsdl import render_wsdl
from smsgate.bootstrap import Gateway
from smsgate.domain.money import format_credits

SOAP = Flavour.SOAP
Handler = Callable[[Gateway, Arguments], Awaitable[bytes]]


def _credentials(args: Arguments) -> Credentials:
    return Credentials(username=args.string("userName"), password=args.string("password"))


def _send_args(args: Arguments) -> SendArgs:
    return SendArgs(
        sender=args.string("fromNumber"),
        numbers=args.strings("toNumbers"),
        text=args.string("messageContent") or "",
        flash=args.boolean("isFlash"),
    )


async def get_credit(gateway: Gateway, args: Arguments) -> bytes:
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.ACCOUNT,
        SOAP,
        lambda account: operations.credit(gateway, account),
    )
    shown = str(found.code) if found.value is None else format_credits(found.value)
    return response("GetCredit", [value("GetCreditResult", shown)])


async def get_inbox_count(gateway: Gateway, args: Arguments) -> bytes:
    is_read = args.boolean("isRead")
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.ACCOUNT,
        SOAP,
        lambda account: operations.inbox_count(gateway, account, is_read),
    )
    count = found.code if found.value is None else found.value
    return response("GetInboxCount", [value("GetInboxCountResult", str(count))])


async def send_sms(gateway: Gateway, args: Arguments) -> bytes:
    send = _send_args(args)
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.SEND,
        SOAP,
        lambda account: operations.send(gateway, account, send, SOAP),
    )
    sent = found.value
    return response(
        "SendSMS",
        [
            value("SendSMSResult", str(found.code)),
            array("recId", "long", sent.rec_ids if sent else None),
            base64_value("status", bytes(int(s) for s in sent.sent) if sent else None),
        ],
    )


async def send_batch_sms(gateway: Gateway, args: Arguments) -> bytes:
    send = _send_args(args)
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.SEND,
        SOAP,
        lambda account: operations.send(gateway, account, send, SOAP),
    )
    batch_id = found.value.batch_id if found.value else 0
    return response(
        "SendBatchSms",
        [value("SendBatchSmsResult", str(found.code)), value("batchSmsId", str(batch_id))],
    )


async def get_batch_delivery(gateway: Gateway, args: Arguments) -> bytes:
    batch_id = args.integer("batchSmsId")
    index, count = args.optional_integer("index"), args.optional_integer("count")
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.DELIVERY,
        SOAP,
        lambda account: operations.batch_delivery(gateway, account, batch_id, index, count),
    )
    rows = found.value
    return response(
        "GetBatchDelivery",
        [
            value("GetBatchDeliveryResult", str(found.code)),
            array("numbers", "string", [n for n, _ in rows] if rows is not None else None),
            array("deliveryStatus", "int", [s for _, s in rows] if rows is not None else None),
        ],
    )


async def get_messages(gateway: Gateway, args: Arguments) -> bytes:
    query = operations.MessagesArgs(
        message_type=args.integer("messageType"),
        from_numbers=args.strings("fromNumbers"),
        index=args.optional_integer("index"),
        count=args.optional_integer("count"),
    )
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.ACCOUNT,
        SOAP,
        lambda account: operations.messages(gateway, account, query),
    )
    # No slot for a code here: a refused call gets an empty list, as the service does.
    return response("GetMessages", [message_infos("GetMessagesResult", found.value or [])])


async def get_delivery(gateway: Gateway, args: Arguments) -> bytes:
    rec_id = args.integer("recId", "long")
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.DELIVERY,
        SOAP,
        lambda account: operations.delivery(gateway, account, rec_id),
    )
    status = found.code if found.value is None else found.value
    return response("GetDelivery", [value("GetDeliveryResult", str(status))])


async def get_sender_numbers(gateway: Gateway, args: Arguments) -> bytes:
    found = await operations.answer(
        gateway,
        _credentials(args),
        Family.ACCOUNT,
        SOAP,
        lambda account: operations.sender_numbers(gateway, account),
    )
    return response(
        "GetSenderNumbers", [array("GetSenderNumbersResult", "string", found.value or [])]
    )


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


def message_infos(name: str, infos: list[MessageInfo]) -> str:
    items = "".join(f"<a:MessageInfo>{_message_info(info)}</a:MessageInfo>" for info in infos)
    head = f'<{name} xmlns:a="{MODELS_NS}" xmlns:i="{envelope.XSI_NS}"'
    return f"{head}>{items}</{name}>" if items else f"{head}/>"


def _message_info(info: MessageInfo) -> str:
    fields: list[tuple[str, str | None]] = [
        ("ActionDateTime", info.action_at.strftime("%Y-%m-%dT%H:%M:%SZ")),
        ("Content", info.content),
        ("Cost", format_credits(info.cost_micros)),
        ("Count", str(info.count)),
        ("Desc", info.desc),
        ("Flash", _bool(info.flash)),
        ("IsRead", _bool(info.is_read)),
        ("Lang", info.lang),
        ("MessageId", str(info.message_id)),
        ("MessageType", info.message_type),
        ("MoneyIsRefunded", _bool(info.money_refunded)),
        ("NotSent", str(info.not_sent)),
        ("Pages", str(info.pages)),
        ("Receiver", info.receiver),
        ("SendMethod", info.send_method),
        ("SendStatus", info.send_status),
        ("Sender", info.sender),
        ("Sent", str(info.sent)),
        ("Status", info.status),
        ("Tariff", format_credits(info.tariff_micros)),
        ("Title", info.title),
        ("UserId", str(info.user_id)),
    ]
    return "".join(
        f'<a:{name} i:nil="true"/>' if text is None else value(f"a:{name}", text)
        for name, text in fields
    )


def _bool(flag: bool) -> str:
    return "true" if flag else "false"


# --- the endpoint -----------------------------------------------------------------------


def gateway_of(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def post(request: Request) -> Response:
    wrapper = envelope.read_operation(await request.body())
    namespace, name = envelope.split_tag(wrapper.tag)
    handler = HANDLERS.get(name) if namespace == TEMPURI else None
    if handler is None:
        raise SoapFault(
            ACTION_NOT_SUPPORTED,
            f"the service has no operation {{{namespace}}}{name}",
        )
    body = await handler(gateway_of(request), Arguments(wrapper))
    return Response(body, media_type=envelope.CONTENT_TYPE)


async def get(request: Request) -> Response:
    """`?wsdl`, `?WSDL` and `?singleWsdl` give the WSDL; anything else a short help page."""
    keys = {key.lower() for key in request.query_params}
    if keys & {"wsdl", "singlewsdl"}:
        return Response(render_wsdl(service_address(request)), media_type=envelope.CONTENT_TYPE)
    return Response(
        "<html><body><p>SendService: the WSDL is at "
        '<a href="?singleWsdl">?singleWsdl</a>.</p></body></html>',
        media_type="text/html; charset=utf-8",
    )


def service_address(request: Request) -> str:
    """Where clients must post: the configured public URL, else this request's own URL."""
    public_url = gateway_of(request).settings.public_url
    if public_url:
        return f"{public_url.rstrip('/')}{MOUNT_PATH}{ENDPOINT_PATH}"
    return str(request.url.replace(query=""))

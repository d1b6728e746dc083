"""Native REST API v1: parse, call one service, render."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request

from smsgate import errors
from smsgate.api.auth import bearer_account, gateway_of
from smsgate.api.errors import JsonResponse
from smsgate.api.native.schemas import (
    SendMessagesIn,
    render_batch,
    render_cancel,
    render_inbound,
    render_message,
    render_send,
)
from smsgate.domain.accounts import Account, Service
from smsgate.domain.batches import MessageFilter
from smsgate.domain.inbound import InboxFilter
from smsgate.domain.messages import MessageKind, MessageStatus
from smsgate.domain.money import format_credits
from smsgate.domain.phones import parse_phone
from smsgate.domain.recipients import Recipient
from smsgate.services.sending import SendRequest

router = APIRouter(prefix="/api/v1", tags=["v1"])
CurrentAccount = Annotated[Account, Depends(bearer_account)]


def parse_schedule(value: str | None) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise errors.InvalidSchedule(f"not an ISO 8601 time: {value!r}") from exc
    if when.tzinfo is None:
        raise errors.InvalidSchedule("the schedule time needs an offset, e.g. +00:00")
    return when


@router.post("/messages", status_code=202, response_class=JsonResponse)
async def send_messages(
    body: SendMessagesIn,
    request: Request,
    account: CurrentAccount,
    idempotency_key: Annotated[str | None, Header(max_length=255)] = None,
) -> JsonResponse:
    """Send one text to 1..1000 recipients; answers with per-recipient verdicts."""
    recipients = [
        Recipient(item) if isinstance(item, str) else Recipient(item.number, item.reference)
        for item in body.to
    ]
    outcome = await gateway_of(request).sending.send(
        account,
        SendRequest(
            recipients=recipients,
            text=body.text,
            sender=body.sender,
            scheduled_at=parse_schedule(body.schedule_at),
            kind=MessageKind(body.type),
            force_unicode=body.unicode,
            flash=body.flash,
            test=body.test,
            idempotency_key=idempotency_key,
        ),
    )
    headers = {"Idempotent-Replayed": "true"} if outcome.replayed else None
    return JsonResponse(render_send(outcome), status_code=202, headers=headers)


@router.get("/messages/{message_id}", response_class=JsonResponse)
async def get_message(message_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    detail = await gateway_of(request).queries.message(account, message_id)
    return JsonResponse(render_message(detail.message, detail.batch))


@router.get("/messages", response_class=JsonResponse)
async def list_messages(
    request: Request,
    account: CurrentAccount,
    batch_id: int | None = None,
    status: MessageStatus | None = None,
    to: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before: Annotated[int | None, Query(description="cursor: next_before of the last page")] = None,
) -> JsonResponse:
    """Newest first; follow `next_before` for the next page."""
    recipient = None
    if to is not None:
        phone = parse_phone(to, account.default_country)
        if phone is None:
            raise errors.InvalidRequest(f"not a valid phone number: {to!r}", field="to")
        recipient = phone.e164
    found = await gateway_of(request).queries.messages(
        account,
        MessageFilter(
            batch_id=batch_id, status=status, recipient=recipient, before_id=before, limit=limit
        ),
    )
    page: dict[str, Any] = {
        "data": [render_message(m) for m in found],
        "next_before": found[-1].id if len(found) == limit else None,
    }
    return JsonResponse(page)


@router.get("/batches/{batch_id}", response_class=JsonResponse)
async def get_batch(batch_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    report = await gateway_of(request).queries.batch(account, batch_id)
    return JsonResponse(render_batch(report))


@router.post("/batches/{batch_id}/cancel", response_class=JsonResponse)
async def cancel_batch(batch_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    """Cancel the batch's messages still scheduled or queued and refund them."""
    outcome = await gateway_of(request).cancelling.cancel_batch(account, batch_id)
    return JsonResponse(render_cancel(outcome))


@router.get("/balance", response_class=JsonResponse)
async def get_balance(request: Request, account: CurrentAccount) -> JsonResponse:
    balance = await gateway_of(request).queries.balance(account)
    return JsonResponse({"balance": format_credits(balance), "unit": "credits"})


@router.get("/prices", response_class=JsonResponse)
async def get_prices(request: Request, account: CurrentAccount) -> JsonResponse:
    """What one SMS segment or MMS costs per destination country; others cost `default`."""
    table = await gateway_of(request).accounts.price_table()
    return JsonResponse(
        {
            "prices": [
                {"service": str(service), "country": region, "price": format_credits(price)}
                for service, region, price in table.listed()
            ],
            "default": {str(s): format_credits(table.default_price(s)) for s in Service},
        }
    )


@router.get("/inbox", response_class=JsonResponse)
async def list_inbox(
    request: Request,
    account: CurrentAccount,
    read: bool | None = None,
    number: Annotated[str | None, Query(max_length=64, description="your line")] = None,
    sender: Annotated[str | None, Query(max_length=64, alias="from")] = None,
    since: Annotated[str | None, Query(max_length=64)] = None,
    until: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    before: Annotated[int | None, Query(description="cursor: next_before of the last page")] = None,
) -> JsonResponse:
    """Inbound messages on the account's lines, newest first; filter by read state and number."""
    found = await gateway_of(request).inbox.list(
        account,
        InboxFilter(
            is_read=read,
            recipient=_line_number(number, account, "number"),
            sender=_line_number(sender, account, "from"),
            since=_query_time(since, "since"),
            until=_query_time(until, "until"),
            before_id=before,
            limit=limit,
        ),
    )
    return JsonResponse(
        {
            "data": [render_inbound(m) for m in found],
            "next_before": found[-1].id if len(found) == limit else None,
        }
    )


@router.post("/inbox/{message_id}/read", response_class=JsonResponse)
async def read_inbound(message_id: int, request: Request, account: CurrentAccount) -> JsonResponse:
    message = await gateway_of(request).inbox.read_one(account, message_id)
    return JsonResponse(render_inbound(message))


def _line_number(value: str | None, account: Account, field: str) -> str | None:
    if value is None:
        return None
    phone = parse_phone(value, account.default_country)
    if phone is None:
        raise errors.InvalidRequest(f"not a valid phone number: {value!r}", field=field)
    return phone.e164


def _query_time(value: str | None, field: str) -> datetime | None:
    if value is None:
        return None
    try:
        when = datetime.fromisoformat(value)
    except ValueError as exc:
        raise errors.InvalidRequest(f"not an ISO 8601 time: {value!r}", field=field) from exc
    if when.tzinfo is None:
        raise errors.InvalidRequest("the time needs an offset, e.g. +00:00", field=field)
    return when

"""Delivery statuses: every message status mapped to the seed's code, per message and per
batch, with paging by index/count. Statuses are set in the database directly, as the
delivery engine will."""

from __future__ import annotations

import httpx
import pytest

from smsgate.api.dialects.payamak import codes
from smsgate.bootstrap import Gateway
from smsgate.domain.messages import MessageStatus
from smsgate.services.accounts import NewAccount
from tests.api.dialects.payamak_setup import (
    USERNAME,
    create_alice,
    items_of,
    post_soap,
    result_of,
    send_fields,
    set_status,
    soap_call,
)

S = MessageStatus


@pytest.fixture
async def alice(gateway: Gateway) -> str:
    return await create_alice(gateway)


async def send_batch(client: httpx.AsyncClient, numbers: list[str]) -> str:
    response = await post_soap(client, soap_call("SendBatchSms", send_fields(numbers)))
    assert result_of(response, "SendBatchSmsResult") == "0"
    return result_of(response, "batchSmsId")


async def get_delivery(client: httpx.AsyncClient, rec_id: int) -> str:
    response = await post_soap(client, soap_call("GetDelivery", f"<recId>{rec_id}</recId>"))
    return result_of(response, "GetDeliveryResult")


@pytest.mark.parametrize(
    ("status", "carrier_id", "code"),
    [
        (S.SCHEDULED, None, -4),
        (S.QUEUED, None, -4),
        (S.SENDING, None, 0),
        (S.SUBMITTED, "c-1", 5),
        (S.DELIVERED, "c-1", 1),
        (S.UNDELIVERED, "c-1", 2),
        (S.EXPIRED, "c-1", 2),
        (S.EXPIRED, None, 11),
        (S.REJECTED, "c-1", 9),
        (S.FAILED, None, 6),
        (S.CANCELLED, None, 10),
        (S.UNKNOWN, "c-1", 8),
    ],
)
async def test_delivery_status_of_each_message_status(
    client: httpx.AsyncClient,
    gateway: Gateway,
    alice: str,
    status: MessageStatus,
    carrier_id: str | None,
    code: int,
) -> None:
    await send_batch(client, ["09121234567"])
    await set_status(gateway, 1, str(status), carrier_id)
    assert await get_delivery(client, 1) == str(code)
    response = await post_soap(client, soap_call("GetBatchDelivery", "<batchSmsId>1</batchSmsId>"))
    assert items_of(response, "deliveryStatus", "int") == [str(code)]


def test_delivery_status_table_covers_every_message_status() -> None:
    assert set(codes.DELIVERY_STATUS) == set(MessageStatus)
    for status in MessageStatus:
        assert -5 <= codes.delivery_status(status, True) <= 11
        assert -5 <= codes.delivery_status(status, False) <= 11


async def test_get_delivery_of_an_unknown_or_foreign_message_is_minus_two(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await send_batch(client, ["09121234567"])
    await gateway.accounts.create(NewAccount(username="bob", password="secret-pw"))
    foreign = soap_call("GetDelivery", "<recId>1</recId>").replace(
        f"<userName>{USERNAME}</userName>".encode(), b"<userName>bob</userName>"
    )
    assert result_of(await post_soap(client, foreign), "GetDeliveryResult") == "-2"
    assert await get_delivery(client, 999) == "-2"


async def test_get_delivery_wrong_password_is_minus_one(
    client: httpx.AsyncClient, alice: str
) -> None:
    body = soap_call("GetDelivery", "<recId>1</recId>").replace(b"secret-pw", b"bad-pw")
    assert result_of(await post_soap(client, body), "GetDeliveryResult") == "-1"


async def test_batch_delivery_lists_refused_recipients_after_the_messages(
    client: httpx.AsyncClient, gateway: Gateway, alice: str
) -> None:
    await gateway.accounts.blacklist_add(USERNAME, ["09121234569"])
    batch_id = await send_batch(client, ["09121234567", "12", "09121234569", "09121234568"])
    await set_status(gateway, 1, "delivered", "c-1")
    response = await post_soap(
        client, soap_call("GetBatchDelivery", f"<batchSmsId>{batch_id}</batchSmsId>")
    )
    assert result_of(response, "GetBatchDeliveryResult") == "0"
    assert items_of(response, "numbers", "string") == [
        "09121234567",
        "09121234568",
        "12",
        "09121234569",
    ]
    # delivered, queued, not sent (invalid), blocked by the recipient (blacklisted)
    assert items_of(response, "deliveryStatus", "int") == ["1", "-4", "11", "7"]


async def test_batch_delivery_pages_by_index_from_one(
    client: httpx.AsyncClient, alice: str
) -> None:
    numbers = [f"0912123456{n}" for n in range(5)]
    batch_id = await send_batch(client, numbers)
    fields = f"<batchSmsId>{batch_id}</batchSmsId><index>2</index><count>2</count>"
    response = await post_soap(client, soap_call("GetBatchDelivery", fields))
    assert items_of(response, "numbers", "string") == numbers[1:3]
    fields = f"<batchSmsId>{batch_id}</batchSmsId><index>5</index><count>100</count>"
    response = await post_soap(client, soap_call("GetBatchDelivery", fields))
    assert items_of(response, "numbers", "string") == numbers[4:]
    fields = f"<batchSmsId>{batch_id}</batchSmsId><index>9</index><count>100</count>"
    response = await post_soap(client, soap_call("GetBatchDelivery", fields))
    assert result_of(response, "GetBatchDeliveryResult") == "0"
    assert items_of(response, "numbers", "string") == []


@pytest.mark.parametrize(("batch_id", "code"), [("999", "-2"), ("1", "-1")])
async def test_batch_delivery_refusals(
    client: httpx.AsyncClient, alice: str, batch_id: str, code: str
) -> None:
    await send_batch(client, ["09121234567"])
    body = soap_call("GetBatchDelivery", f"<batchSmsId>{batch_id}</batchSmsId>")
    if code == "-1":
        body = body.replace(b"secret-pw", b"bad-pw")
    response = await post_soap(client, body)
    assert result_of(response, "GetBatchDeliveryResult") == code
    assert b'<numbers i:nil="true"' in response.content

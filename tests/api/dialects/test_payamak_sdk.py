"""The official Python SDK `niazpardazSms` (PyPI) driven unchanged against a running smsgate:
uvicorn on a real socket, the SDK's `base_url` pointed at /payamak/api/v2/RestWebApi, an
smsgate API key as its key, nothing else changed. The SDK blocks (urllib), so its calls run
in a worker thread while the server runs in the test's event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from decimal import Decimal
from urllib.error import HTTPError

import pytest
from niazpardaz_sms import (
    CreditResultCode,
    DeliveryResultCode,
    InboxCountResultCode,
    NiazpardazApiException,
    NiazpardazSmsClient,
    SendResultCode,
    SmsDeliveryStatus,
    SmsDirectionType,
    SmsLangType,
    SmsSendMethodType,
    SmsStatusType,
)

from smsgate.bootstrap import Gateway
from tests.api.dialects.payamak_setup import (
    LINE,
    REST,
    USERNAME,
    blocking,
    create_alice,
    receive,
    set_status,
    table_counts,
)
from tests.live_server import live_server


@pytest.fixture
async def key(gateway: Gateway) -> str:
    return await create_alice(gateway)


@pytest.fixture
async def base_url(gateway: Gateway, key: str) -> AsyncIterator[str]:
    async with live_server(gateway) as url:
        yield f"{url}{REST}"


@pytest.fixture
def sdk(base_url: str, key: str) -> NiazpardazSmsClient:
    return NiazpardazSmsClient(key, base_url=base_url)  # the only change: the base URL


async def test_sdk_send_queues_and_charges(sdk: NiazpardazSmsClient, gateway: Gateway) -> None:
    sent = await blocking(lambda: sdk.send(LINE, "09121234567", "سلام!"))
    assert sent.result_code == SendResultCode.SEND_WAS_SUCCESSFUL
    assert sent.batch_sms_id == 1
    assert await table_counts(gateway) == (1, 1, 99_000_000)


async def test_sdk_send_bulk_then_batch_delivery_report(
    sdk: NiazpardazSmsClient, gateway: Gateway
) -> None:
    sent = await blocking(
        lambda: sdk.send_bulk(LINE, ["09121234567", "09121234568", "0912"], "hello")
    )
    assert (sent.result_code, sent.batch_sms_id) == (SendResultCode.SEND_WAS_SUCCESSFUL, 1)
    await set_status(gateway, 1, "delivered", "c-1")

    report = await blocking(lambda: sdk.get_batch_delivery(sent.batch_sms_id))
    assert report.result_code == DeliveryResultCode.SUCCESS
    assert report.numbers == ["09121234567", "09121234568", "0912"]
    assert report.delivery_status == [
        SmsDeliveryStatus.DELIVERED,
        SmsDeliveryStatus.IN_QUEUE,
        SmsDeliveryStatus.NOT_SENT,
    ]
    page = await blocking(lambda: sdk.get_batch_delivery(sent.batch_sms_id, 2, 1))
    assert page.numbers == ["09121234568"]

    missing = await blocking(lambda: sdk.get_batch_delivery(404))
    assert missing.result_code == DeliveryResultCode.INVALID_BATCH_SMS_ID


async def test_sdk_every_delivery_code_is_one_the_sdk_knows(
    sdk: NiazpardazSmsClient, gateway: Gateway
) -> None:
    statuses = ["scheduled", "queued", "sending", "submitted", "delivered", "undelivered"]
    statuses += ["expired", "rejected", "failed", "cancelled", "unknown"]
    numbers = [f"091212345{n:02d}" for n in range(len(statuses))]
    sent = await blocking(lambda: sdk.send_bulk(LINE, numbers, "hello"))
    for message_id, status in enumerate(statuses, start=1):
        await set_status(gateway, message_id, status)
    report = await blocking(lambda: sdk.get_batch_delivery(sent.batch_sms_id))
    assert len(report.delivery_status) == len(statuses)  # each parsed into SmsDeliveryStatus


async def test_sdk_credit(sdk: NiazpardazSmsClient, gateway: Gateway) -> None:
    await gateway.accounts.add_credit(USERNAME, 500_000, None)
    credit = await blocking(sdk.get_credit)
    assert credit.result_code == CreditResultCode.SUCCESS
    assert Decimal(str(credit.credit)) == Decimal("100.5")


async def test_sdk_sender_numbers_and_inbox(sdk: NiazpardazSmsClient, gateway: Gateway) -> None:
    senders = await blocking(sdk.get_sender_numbers)
    assert senders.senders == [LINE]

    at = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
    await receive(gateway, "+989121112222", "لغو", at)
    count = await blocking(lambda: sdk.get_inbox_count(is_read=False))
    assert (count.result_code, count.inbox_count) == (InboxCountResultCode.SUCCESS, 1)

    found = await blocking(lambda: sdk.get_messages(1, LINE))
    assert found.result_code == 0
    [message] = found.messages
    assert message.content == "لغو"
    assert message.sender == "09121112222"
    assert message.receiver == LINE
    assert message.action_date_time == at
    assert message.message_type == SmsDirectionType.IN
    assert message.lang == SmsLangType.FA
    assert (await blocking(lambda: sdk.get_inbox_count(is_read=True))).inbox_count == 1


async def test_sdk_sent_messages(sdk: NiazpardazSmsClient) -> None:
    await blocking(lambda: sdk.send(LINE, "09121234567", "hello", is_flash=True))
    found = await blocking(lambda: sdk.get_messages(2, LINE, page_size=10))
    [message] = found.messages
    assert (message.message_id, message.content, message.flash) == (1, "hello", True)
    assert message.message_type == SmsDirectionType.OUT
    assert message.send_method == SmsSendMethodType.WEB_SERVICE
    assert message.status == SmsStatusType.IN_QUEUE
    assert message.cost == 1.0


async def test_sdk_refusals_are_result_codes(sdk: NiazpardazSmsClient, gateway: Gateway) -> None:
    refused = await blocking(lambda: sdk.send("99999", "09121234567", "hello"))
    assert refused.result_code == SendResultCode.INVALID_SENDER_NUMBER
    assert refused.batch_sms_id == 0
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_sdk_with_a_wrong_key_gets_the_key_codes(base_url: str, key: str) -> None:
    wrong = NiazpardazSmsClient(key[:-2] + "zz", base_url=base_url)
    sent = await blocking(lambda: wrong.send(LINE, "09121234567", "hello"))
    assert sent.result_code == SendResultCode.INVALID_API_KEY
    credit = await blocking(wrong.get_credit)
    assert credit.result_code == CreditResultCode.INVALID_API_KEY


async def test_sdk_raises_its_exception_for_a_refused_request(
    sdk: NiazpardazSmsClient,
) -> None:
    with pytest.raises(NiazpardazApiException) as raised:
        await blocking(lambda: sdk.get_batch_delivery(1, page_size=500))
    assert raised.value.error_code == 400
    # The SDK leaves urllib's HTTPError (and its socket) open; close it for it.
    http_error = raised.value.__context__
    assert isinstance(http_error, HTTPError)
    assert b'"success":false' in http_error.read()
    http_error.close()

"""zeep, a real SOAP stack, generated from the WSDL a running smsgate serves (uvicorn on a
real socket), calls all eight operations and every SendSMS result code 0..10. zeep blocks
(requests), so its calls run in a worker thread while the server runs in the test's loop.
Also: `Expect: 100-continue` over a raw socket, as .NET clients send it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import requests
import zeep
import zeep.exceptions
import zeep.transports

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import AccountStatus
from tests.api.dialects.payamak_setup import (
    ARRAYS,
    LINE,
    PASSWORD,
    SVC,
    USERNAME,
    blocking,
    create_alice,
    receive,
    set_status,
    soap_call,
    table_counts,
)
from tests.live_server import live_server

LOGIN = {"userName": USERNAME, "password": PASSWORD}


@pytest.fixture
async def base_url(gateway: Gateway) -> AsyncIterator[str]:
    await create_alice(gateway)
    async with live_server(gateway) as url:
        yield url


@pytest.fixture
async def soap_client(base_url: str) -> AsyncIterator[zeep.Client]:
    session = requests.Session()
    transport = zeep.transports.Transport(session=session, timeout=30, operation_timeout=30)
    client = await blocking(lambda: zeep.Client(f"{base_url}{SVC}?singleWsdl", transport=transport))
    try:
        yield client
    finally:
        session.close()


def numbers(client: zeep.Client, items: list[str]) -> Any:
    return client.get_type(f"{{{ARRAYS}}}ArrayOfstring")(items)


async def test_zeep_calls_all_eight_operations_and_gets_typed_results(
    soap_client: zeep.Client, gateway: Gateway
) -> None:
    service = soap_client.service
    credit = await blocking(lambda: service.GetCredit(**LOGIN))
    assert credit == Decimal(100)

    to = numbers(soap_client, ["09121234567", "bad", "09121234568"])
    sent = await blocking(
        lambda: service.SendSMS(
            **LOGIN, fromNumber=LINE, toNumbers=to, messageContent="salam", isFlash=False
        )
    )
    assert sent.SendSMSResult == 0
    assert sent.recId.long == [1, 0, 2]
    assert all(type(rec_id) is int for rec_id in sent.recId.long)
    assert sent.status == b"\x01\x00\x01"

    batch = await blocking(
        lambda: service.SendBatchSms(
            **LOGIN,
            fromNumber=LINE,
            toNumbers=numbers(soap_client, ["09121234569"]),
            messageContent="سلام",
            isFlash=True,
        )
    )
    assert (batch.SendBatchSmsResult, batch.batchSmsId) == (0, 2)

    await set_status(gateway, 3, "delivered", "c-3")
    report = await blocking(
        lambda: service.GetBatchDelivery(**LOGIN, batchSmsId=2, index=1, count=100)
    )
    assert report.GetBatchDeliveryResult == 0
    assert report.numbers.string == ["09121234569"]
    assert report.deliveryStatus.int == [1]

    assert await blocking(lambda: service.GetDelivery(**LOGIN, recId=3)) == 1
    assert await blocking(lambda: service.GetDelivery(**LOGIN, recId=1)) == -4
    assert await blocking(lambda: service.GetDelivery(**LOGIN, recId=404)) == -2

    at = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    await receive(gateway, "+989121112222", "hello", at)
    assert await blocking(lambda: service.GetInboxCount(**LOGIN, isRead=False)) == 1
    received = await blocking(
        lambda: service.GetMessages(
            **LOGIN,
            messageType=1,
            fromNumbers=numbers(soap_client, [LINE]),
            index=1,
            count=10,
        )
    )
    assert len(received) == 1
    info = received[0]
    assert info.MessageId == 1
    assert info.Content == "hello"
    assert info.Sender == "09121112222"
    assert info.ActionDateTime == at
    assert info.IsRead is False
    assert info.MessageType == "In"
    assert info.Cost == Decimal(0)
    assert info.Title is None
    assert await blocking(lambda: service.GetInboxCount(**LOGIN, isRead=True)) == 1

    outbox = await blocking(
        lambda: service.GetMessages(**LOGIN, messageType=2, fromNumbers=None, index=1, count=1000)
    )
    assert [m.MessageId for m in outbox] == [3, 2, 1]
    assert (outbox[0].Content, outbox[0].Flash, outbox[0].Lang) == ("سلام", True, "Fa")
    assert (outbox[0].Status, outbox[0].SendStatus, outbox[0].Sent) == ("Sent", "Sent", 1)
    assert outbox[0].Tariff == Decimal(1)

    senders = await blocking(lambda: service.GetSenderNumbers(**LOGIN))
    assert senders == [LINE]


async def _blocked(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.set_status(USERNAME, AccountStatus.BLOCKED)


async def _daily_limit(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.update_settings(USERNAME, daily_limit=0)


async def _inactive_line(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.add_line(USERNAME, "30001234", active=False)


async def _filtered(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.update_settings(USERNAME, filtered_words=["casino"])


async def _no_credit(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.add_credit(USERNAME, -99_500_000, "almost all spent")


async def _updating(gateway: Gateway, monkeypatch: pytest.MonkeyPatch) -> None:
    # smsgate has no maintenance mode: 9 answers the gateway's own failures (the root
    # GatewayError, Conflict, NotFound, InvalidTransition), here a conflict from the store.
    async def refuse(*_args: object, **_kwargs: object) -> None:
        raise errors.Conflict("the store is busy")

    monkeypatch.setattr(gateway.sending, "send", refuse)


async def _web_service_off(gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    await gateway.accounts.update_settings(USERNAME, web_service_enabled=False)


async def _nothing(_gateway: Gateway, _monkeypatch: pytest.MonkeyPatch) -> None:
    return None


Setup = Callable[[Gateway, pytest.MonkeyPatch], Awaitable[None]]
ALL_TO = ["09121234567"]
SEND_CODE_CASES: dict[int, tuple[Setup, dict[str, Any]]] = {
    0: (_nothing, {}),
    1: (_nothing, {"password": "wrong-pw"}),
    2: (_blocked, {}),
    3: (_nothing, {"fromNumber": "50001111"}),
    4: (_daily_limit, {}),
    5: (_nothing, {"toNumbers": [f"0912{n:07d}" for n in range(101)]}),
    6: (_inactive_line, {"fromNumber": "30001234"}),
    7: (_filtered, {"messageContent": "Win at the CASINO tonight"}),
    8: (_no_credit, {"toNumbers": ["09121234567", "09121234568"]}),
    9: (_updating, {}),
    10: (_web_service_off, {}),
}


@pytest.mark.parametrize("code", sorted(SEND_CODE_CASES))
async def test_zeep_send_sms_result_code(
    soap_client: zeep.Client, gateway: Gateway, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    setup, overrides = SEND_CODE_CASES[code]
    await setup(gateway, monkeypatch)
    call: dict[str, Any] = {
        **LOGIN,
        "fromNumber": LINE,
        "toNumbers": ALL_TO,
        "messageContent": "salam",
        "isFlash": False,
        **overrides,
    }
    call["toNumbers"] = numbers(soap_client, call["toNumbers"])
    _, _, balance_before = await table_counts(gateway)
    answer = await blocking(lambda: soap_client.service.SendSMS(**call))
    assert answer.SendSMSResult == code
    if code == 0:
        assert answer.recId.long == [1]
        assert answer.status == b"\x01"
    else:
        assert answer.recId is None or answer.recId.long == []  # nil; zeep reads it empty
        assert answer.status is None
        batches, messages, balance = await table_counts(gateway)
        assert (batches, messages, balance) == (0, 0, balance_before)


async def test_zeep_send_batch_sms_shares_the_codes(
    soap_client: zeep.Client, gateway: Gateway
) -> None:
    await gateway.accounts.update_settings(USERNAME, web_service_enabled=False)
    answer = await blocking(
        lambda: soap_client.service.SendBatchSms(
            **LOGIN,
            fromNumber=LINE,
            toNumbers=numbers(soap_client, ALL_TO),
            messageContent="x",
            isFlash=False,
        )
    )
    assert (answer.SendBatchSmsResult, answer.batchSmsId) == (10, 0)


async def test_zeep_sees_a_fault_for_invalid_input(soap_client: zeep.Client) -> None:
    def call() -> Any:
        return soap_client.service.GetBatchDelivery(**LOGIN, batchSmsId=1, index=1, count=500)

    with pytest.raises(zeep.exceptions.Fault) as raised:
        await blocking(call)
    assert raised.value.message == "count must be between 1 and 100"


async def test_zeep_sees_scheduled_messages_in_the_queue(
    soap_client: zeep.Client, gateway: Gateway
) -> None:
    answer = await blocking(
        lambda: soap_client.service.SendSMS(
            **LOGIN,
            fromNumber=LINE,
            toNumbers=numbers(soap_client, ALL_TO),
            messageContent="later",
            isFlash=False,
        )
    )
    await set_status(gateway, answer.recId.long[0], "scheduled")
    status = await blocking(lambda: soap_client.service.GetDelivery(**LOGIN, recId=1))
    assert status == -4


# --- Expect: 100-continue over a raw socket -----------------------------------------------


def _host_port(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=30)


def _lines(head: bytes) -> Iterator[str]:
    return iter(head.decode("latin-1").split("\r\n"))


async def test_expect_100_continue_gets_continue_then_the_answer(base_url: str) -> None:
    body = soap_call("GetCredit")
    host, port = _host_port(base_url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(
            (
                f"POST {SVC} HTTP/1.1\r\nHost: {host}:{port}\r\n"
                'Content-Type: text/xml; charset=utf-8\r\nSOAPAction: "http://tempuri.org/'
                f'ISendService/GetCredit"\r\nExpect: 100-continue\r\n'
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        assert next(_lines(await _read_head(reader))) == "HTTP/1.1 100 Continue"
        writer.write(body)
        await writer.drain()
        assert next(_lines(await _read_head(reader))) == "HTTP/1.1 200 OK"
        rest = await asyncio.wait_for(reader.read(), timeout=30)
        assert b"<GetCreditResult>100</GetCreditResult>" in rest
    finally:
        writer.close()
        await writer.wait_closed()


async def test_expect_100_continue_with_a_body_too_large_is_refused_unread(
    base_url: str, gateway: Gateway
) -> None:
    host, port = _host_port(base_url)
    reader, writer = await asyncio.open_connection(host, port)
    try:
        size = gateway.settings.max_body_bytes + 1
        writer.write(
            (
                f"POST {SVC} HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: text/xml\r\n"
                f"Expect: 100-continue\r\nContent-Length: {size}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        assert next(_lines(await _read_head(reader))) == "HTTP/1.1 413 Request Entity Too Large"
    finally:
        writer.close()
        await writer.wait_closed()


async def test_plain_requests_client_posts_the_seed_style_envelope(base_url: str) -> None:
    def post() -> requests.Response:
        with requests.Session() as session:
            return session.post(
                f"{base_url}{SVC}",
                data=soap_call("GetCredit"),
                headers={"Content-Type": "text/xml; charset=utf-8"},
                timeout=30,
            )

    response = await blocking(post)
    assert response.status_code == 200
    assert b"<GetCreditResult>100</GetCreditResult>" in response.content

"""The REST twin in-process: envelopes, both ways to authenticate, lenient fields, errors."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from smsgate.api.app import create_api
from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import AccountStatus
from tests.api.dialects.payamak_setup import (
    LINE,
    PASSWORD,
    REST,
    USERNAME,
    create_alice,
    table_counts,
)

LOGIN = {"userName": USERNAME, "password": PASSWORD}


@pytest.fixture
async def key(gateway: Gateway) -> str:
    return await create_alice(gateway)


async def call(
    client: httpx.AsyncClient, operation: str, body: Any, key: str | None = None
) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    return await client.post(f"{REST}/{operation}", json=body, headers=headers)


def result(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    data = response.json()
    assert data["success"] is True
    assert data["errorMessage"] is None
    found: dict[str, Any] = data["result"]
    return found


async def test_rest_send_batch_sms_with_api_key_and_comma_separated_numbers(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    body = {
        "fromNumber": LINE,
        "toNumbers": "09121234567,09121234568",
        "messageContent": "salam",
        "isFlash": False,
        "sendDelay": None,
    }
    response = await call(client, "SendBatchSms", body, key)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert result(response) == {"batchSmsId": 1, "resultCode": 0}
    assert await table_counts(gateway) == (1, 2, 98_000_000)


async def test_rest_send_with_username_and_password_in_the_body(
    client: httpx.AsyncClient, key: str
) -> None:
    body = {**LOGIN, "fromNumber": LINE, "toNumbers": ["09121234567"], "messageContent": "hi"}
    assert result(await call(client, "SendBatchSms", body)) == {"batchSmsId": 1, "resultCode": 0}


async def test_rest_send_sms_answers_rec_ids_and_base64_status(
    client: httpx.AsyncClient, key: str
) -> None:
    body = {"fromNumber": LINE, "toNumbers": "09121234567, 12", "messageContent": "hi"}
    found = result(await call(client, "SendSMS", body, key))
    assert found["recId"] == [1, 0]
    assert base64.b64decode(found["status"]) == bytes([1, 0])
    assert found["resultCode"] == 0


async def test_rest_send_delay_schedules_the_batch(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    body = {"fromNumber": LINE, "toNumbers": "09121234567", "messageContent": "hi", "sendDelay": 90}
    assert result(await call(client, "SendBatchSms", body, key))["resultCode"] == 0
    async with gateway.store.engine.connect() as conn:
        row = (await conn.execute(sa.select(t.messages.c.status, t.messages.c.scheduled_at))).one()
    assert row.status == "scheduled"
    assert row.scheduled_at == datetime(2026, 11, 22, 10, 0, tzinfo=UTC) + timedelta(seconds=90)


async def test_rest_operation_and_field_names_ignore_case(
    client: httpx.AsyncClient, key: str
) -> None:
    body = {"FROMNUMBER": LINE, "tonumbers": "09121234567", "MessageContent": "hi"}
    response = await call(client, "sendbatchsms", body, key)
    assert result(response)["resultCode"] == 0


async def test_rest_lenient_values_are_read(client: httpx.AsyncClient, key: str) -> None:
    body = {"fromNumber": int(LINE), "toNumbers": [9121234567], "messageContent": "hi"}
    body["isFlash"] = "true"
    assert result(await call(client, "SendBatchSms", body, key))["resultCode"] == 0
    found = result(await call(client, "GetBatchDelivery", {"batchSmsId": "1"}, key))
    assert found["numbers"] == ["09121234567"]


async def test_rest_get_credit_is_an_exact_decimal(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    await gateway.accounts.add_credit(USERNAME, 1_400_500_000, None)
    response = await call(client, "GetCredit", {}, key)
    assert b'"credit":1500.5' in response.content
    assert result(response) == {"credit": 1500.5, "resultCode": 0}


async def test_rest_get_inbox_count_and_sender_numbers(client: httpx.AsyncClient, key: str) -> None:
    assert result(await call(client, "GetInboxCount", {"isRead": False}, key)) == {
        "inboxCount": 0,
        "resultCode": 0,
    }
    assert result(await call(client, "GetSenderNumbers", {}, key)) == {
        "senders": [LINE],
        "resultCode": 0,
    }


async def test_rest_delivery_of_queued_messages_is_in_queue(
    client: httpx.AsyncClient, key: str
) -> None:
    body = {"fromNumber": LINE, "toNumbers": "09121234567,12", "messageContent": "hi"}
    result(await call(client, "SendBatchSms", body, key))
    found = result(await call(client, "GetBatchDelivery", {"batchSmsId": 1, "index": 1}, key))
    # 13 is the REST family's "in the send queue" (SOAP says -4); 11: never sent.
    assert found == {"numbers": ["09121234567", "12"], "deliveryStatus": [13, 11], "resultCode": 0}
    assert result(await call(client, "GetDelivery", {"recId": 1}, key)) == {
        "deliveryStatus": 13,
        "resultCode": 0,
    }
    assert result(await call(client, "GetDelivery", {"recId": 99}, key)) == {
        "deliveryStatus": None,
        "resultCode": -2,
    }


@pytest.mark.parametrize(
    ("operation", "expected"),
    [
        ("SendBatchSms", {"batchSmsId": 0, "resultCode": 25}),
        ("SendSMS", {"recId": [], "status": "", "resultCode": 25}),
        ("GetCredit", {"credit": 0, "resultCode": -7}),
        ("GetInboxCount", {"inboxCount": 0, "resultCode": -7}),
        ("GetSenderNumbers", {"senders": [], "resultCode": -7}),
        ("GetMessages", {"messages": [], "resultCode": -7}),
        ("GetBatchDelivery", {"numbers": [], "deliveryStatus": [], "resultCode": -7}),
        ("GetDelivery", {"deliveryStatus": None, "resultCode": -7}),
    ],
)
async def test_rest_invalid_api_key_answers_the_key_code(
    client: httpx.AsyncClient, key: str, operation: str, expected: dict[str, Any]
) -> None:
    body = {"fromNumber": LINE, "toNumbers": "09121234567", "messageContent": "hi"}
    body["messageType"] = 1
    assert result(await call(client, operation, body, key[:-2] + "xx")) == expected


@pytest.mark.parametrize(
    ("operation", "code"),
    [("SendBatchSms", 1), ("GetCredit", -1), ("GetBatchDelivery", -1), ("GetInboxCount", -1)],
)
async def test_rest_wrong_password_answers_the_credentials_code(
    client: httpx.AsyncClient, key: str, operation: str, code: int
) -> None:
    body = {"userName": USERNAME, "password": "wrong-pw", "toNumbers": "09121234567"}
    assert result(await call(client, operation, body))["resultCode"] == code


async def test_rest_without_any_credentials_answers_the_credentials_code(
    client: httpx.AsyncClient, key: str
) -> None:
    assert result(await call(client, "GetCredit", {}))["resultCode"] == -1


@pytest.mark.parametrize(
    ("change", "body", "code"),
    [
        (None, {"toNumbers": "", "messageContent": "hi"}, 16),
        (None, {"toNumbers": "12,13", "messageContent": "hi"}, 16),
        (None, {"toNumbers": "09121234567", "messageContent": ""}, 17),
        (None, {"toNumbers": "09121234567", "messageContent": "x" * 2000}, 21),
        (None, {"toNumbers": "09121234567", "messageContent": "hi", "sendDelay": -5}, 21),
        ("expired", {"toNumbers": "09121234567", "messageContent": "hi"}, 19),
        ("inactive", {"toNumbers": "09121234567", "messageContent": "hi"}, 20),
        ("blocked", {"toNumbers": "09121234567", "messageContent": "hi"}, 2),
    ],
)
async def test_rest_send_refusals_use_the_rest_family_codes(
    client: httpx.AsyncClient,
    gateway: Gateway,
    key: str,
    change: str | None,
    body: dict[str, Any],
    code: int,
) -> None:
    if change == "expired":
        await gateway.accounts.expire(USERNAME, datetime(2026, 1, 1, tzinfo=UTC))
    elif change == "inactive":
        await gateway.accounts.set_status(USERNAME, AccountStatus.INACTIVE)
    elif change == "blocked":
        await gateway.accounts.set_status(USERNAME, AccountStatus.BLOCKED)
    found = result(await call(client, "SendBatchSms", {"fromNumber": LINE, **body}, key))
    assert found == {"batchSmsId": 0, "resultCode": code}
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_rest_more_than_1000_recipients_answers_five(
    client: httpx.AsyncClient, key: str
) -> None:
    numbers = ",".join(f"0912{n:07d}" for n in range(1001))
    body = {"fromNumber": LINE, "toNumbers": numbers, "messageContent": "hi"}
    assert result(await call(client, "SendBatchSms", body, key))["resultCode"] == 5


# --- errors in the envelope ---------------------------------------------------------------


def failure(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    data = response.json()
    assert data["success"] is False
    assert data["result"] is None
    message: str = data["errorMessage"]
    assert "Traceback" not in message
    return message


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{not json", "the body is not valid JSON"),
        (b"[1, 2]", "the body must be a JSON object"),
        (b'{"toNumbers": {"a": 1}}', "the field 'toNumbers' must be"),
        (b'{"toNumbers": "1", "isFlash": "maybe"}', "the field 'isFlash' must be true or false"),
        (b'{"toNumbers": "1", "sendDelay": 1.5}', "the field 'sendDelay' must be"),
        (b'{"toNumbers": "1", "fromNumber": [1]}', "the field 'fromNumber' must be a string"),
    ],
)
async def test_rest_unreadable_body_is_a_400_envelope_and_sends_nothing(
    client: httpx.AsyncClient, gateway: Gateway, key: str, content: bytes, message: str
) -> None:
    response = await client.post(
        f"{REST}/SendBatchSms", content=content, headers={"X-API-Key": key}
    )
    assert failure(response, 400).startswith(message)
    assert await table_counts(gateway) == (0, 0, 100_000_000)


@pytest.mark.parametrize(
    ("operation", "body"),
    [
        ("GetBatchDelivery", {"batchSmsId": 1, "index": 1, "count": 101}),
        ("GetBatchDelivery", {"batchSmsId": 1, "index": 0}),
        ("GetMessages", {"messageType": 1, "count": 1001}),
        ("GetMessages", {"messageType": 7}),
        ("GetBatchDelivery", {"batchSmsId": 2**31}),
    ],
)
async def test_rest_out_of_range_query_is_a_400_envelope(
    client: httpx.AsyncClient, key: str, operation: str, body: dict[str, Any]
) -> None:
    failure(await call(client, operation, body, key), 400)


async def test_rest_unknown_operation_is_a_404_envelope(
    client: httpx.AsyncClient, key: str
) -> None:
    assert failure(await call(client, "SendFax", {}, key), 404) == "unknown operation 'SendFax'"


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", f"{REST}/GetCredit", 405),
        ("POST", "/payamak/api/v9/Nothing", 404),
        ("GET", "/payamak/api", 404),
    ],
)
async def test_rest_http_errors_are_envelopes(
    client: httpx.AsyncClient, method: str, path: str, status: int
) -> None:
    failure(await client.request(method, path), status)


async def test_rest_body_over_the_limit_is_a_413_envelope(
    client: httpx.AsyncClient, gateway: Gateway, key: str
) -> None:
    content = b'{"toNumbers": "' + b"1" * gateway.settings.max_body_bytes + b'"}'
    response = await client.post(
        f"{REST}/SendBatchSms", content=content, headers={"X-API-Key": key}
    )
    assert failure(response, 413) == (
        f"the body is larger than {gateway.settings.max_body_bytes} bytes"
    )
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_rest_unexpected_error_is_a_500_envelope_without_details(
    gateway: Gateway, key: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(_account: object) -> int:
        raise RuntimeError("secret database detail")

    monkeypatch.setattr(gateway.queries, "balance", broken)
    transport = httpx.ASGITransport(app=create_api(gateway), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway.test") as c:
        response = await call(c, "GetCredit", {}, key)
    assert failure(response, 500) == "an unexpected error occurred"

"""Bad input gets a clear 4xx in our error format, and nothing is charged or stored."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import AccountStatus


async def nothing_stored(gateway: Gateway) -> None:
    async with gateway.store.engine.connect() as conn:
        assert (
            await conn.execute(sa.select(sa.func.count()).select_from(t.messages))
        ).scalar() == 0
        assert (await conn.execute(sa.select(sa.func.count()).select_from(t.batches))).scalar() == 0
        balance = (await conn.execute(sa.select(t.accounts.c.balance_micros))).scalar()
        assert balance == 100_000_000


async def post(client: httpx.AsyncClient, auth: dict[str, str], body: Any) -> httpx.Response:
    return await client.post("/api/v1/messages", json=body, headers=auth)


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"to": [], "text": "hi"}, 422, "no_recipients"),
        ({"to": ["09121234567"] * 1001, "text": "hi"}, 422, "too_many_recipients"),
        ({"to": ["09121234567"], "text": ""}, 422, "empty_text"),
        ({"to": ["09121234567"], "text": "x" * 1531}, 422, "text_too_long"),
        ({"to": ["09121234567"], "text": "hi", "schedule_at": "tomorrow"}, 422, "invalid_schedule"),
        (
            {"to": ["09121234567"], "text": "hi", "schedule_at": "2026-12-01T10:00:00"},
            422,
            "invalid_schedule",
        ),
        (
            {"to": ["09121234567"], "text": "hi", "schedule_at": "2099-12-01T10:00:00+00:00"},
            422,
            "invalid_schedule",
        ),
        ({"to": "09121234567", "text": "hi"}, 422, "invalid_request"),
        ({"to": [12345], "text": "hi"}, 422, "invalid_request"),
        ({"to": ["09121234567"], "text": 5}, 422, "invalid_request"),
        ({"to": ["09121234567"], "text": "hi", "unicode": "yes"}, 422, "invalid_request"),
        ({"to": ["09121234567"], "text": "hi", "type": "spam"}, 422, "invalid_request"),
        ({"to": ["09121234567"], "text": "hi", "colour": "red"}, 422, "invalid_request"),
        ({"text": "hi"}, 422, "invalid_request"),
        ([1, 2], 422, "invalid_request"),
        ({"to": ["12", "abc"], "text": "hi"}, 422, "no_deliverable_recipients"),
        ({"to": ["09121234567"], "text": "hi", "sender": "BANK"}, 403, "sender_not_allowed"),
    ],
)
async def test_send_bad_input_clear_error_nothing_stored(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    gateway: Gateway,
    body: Any,
    status: int,
    code: str,
) -> None:
    response = await post(client, auth, body)
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert error["message"]
    await nothing_stored(gateway)


async def test_send_malformed_json_400(
    client: httpx.AsyncClient, auth: dict[str, str], gateway: Gateway
) -> None:
    response = await client.post(
        "/api/v1/messages",
        content=b'{"to": ["0912',
        headers=auth | {"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"
    await nothing_stored(gateway)


async def test_send_ten_megabyte_body_413(
    client: httpx.AsyncClient, auth: dict[str, str], gateway: Gateway
) -> None:
    big = b'{"to": ["09121234567"], "text": "' + b"x" * (10 * 1024 * 1024) + b'"}'
    response = await client.post(
        "/api/v1/messages", content=big, headers=auth | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"
    await nothing_stored(gateway)


async def test_send_chunked_oversize_body_413(
    client: httpx.AsyncClient, auth: dict[str, str], gateway: Gateway
) -> None:
    async def chunks():  # type: ignore[no-untyped-def]
        for _ in range(20):
            yield b"x" * 100_000

    response = await client.post(
        "/api/v1/messages", content=chunks(), headers=auth | {"Content-Type": "application/json"}
    )
    assert response.status_code == 413
    await nothing_stored(gateway)


@pytest.mark.parametrize(
    "header",
    [
        {},
        {"Authorization": "Bearer nonsense"},
        {"Authorization": "Basic abc"},
        {"Authorization": "Bearer sgk_000000000000_" + "a" * 43},
    ],
)
async def test_send_missing_or_unknown_key_401(
    client: httpx.AsyncClient, gateway: Gateway, api_key: str, header: dict[str, str]
) -> None:
    response = await post(client, header, {"to": ["09121234567"], "text": "hi"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    await nothing_stored(gateway)


async def test_send_revoked_key_401(
    client: httpx.AsyncClient, gateway: Gateway, api_key: str, auth: dict[str, str]
) -> None:
    prefix = api_key.split("_")[1]
    await gateway.accounts.revoke_key("alice", prefix)
    response = await post(client, auth, {"to": ["09121234567"], "text": "hi"})
    assert response.status_code == 401
    await nothing_stored(gateway)


@pytest.mark.parametrize(
    ("status", "code"),
    [(AccountStatus.BLOCKED, "account_blocked"), (AccountStatus.INACTIVE, "account_inactive")],
)
async def test_send_blocked_or_inactive_account_403(
    client: httpx.AsyncClient,
    gateway: Gateway,
    auth: dict[str, str],
    status: AccountStatus,
    code: str,
) -> None:
    await gateway.accounts.set_status("alice", status)
    response = await post(client, auth, {"to": ["09121234567"], "text": "hi"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == code
    await nothing_stored(gateway)


async def test_send_expired_account_403(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.expire("alice")
    response = await post(client, auth, {"to": ["09121234567"], "text": "hi"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "account_expired"
    await nothing_stored(gateway)


async def test_send_web_service_disabled_403(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.update_settings("alice", web_service_enabled=False)
    response = await post(client, auth, {"to": ["09121234567"], "text": "hi"})
    assert response.json()["error"]["code"] == "web_service_disabled"
    await nothing_stored(gateway)


async def test_send_filtered_word_422(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.update_settings("alice", filtered_words=["casino"])
    response = await post(client, auth, {"to": ["09121234567"], "text": "Win at CASINO"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "filtered_content"
    await nothing_stored(gateway)


async def test_send_not_enough_credit_402(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    to = [f"0912123{i:04d}" for i in range(101)]
    response = await post(client, auth, {"to": to, "text": "hi"})
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credit"
    await nothing_stored(gateway)


async def test_send_daily_limit_reached_429(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.update_settings("alice", daily_limit=1)
    first = await post(client, auth, {"to": ["09121234567", "09121234568"], "text": "hi"})
    assert first.json()["counts"]["daily_limit"] == 1
    second = await post(client, auth, {"to": ["09121234569"], "text": "hi"})
    assert second.status_code == 429
    assert second.json()["error"]["code"] == "daily_limit_reached"


async def test_unknown_route_and_method_use_error_format(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    missing = await client.get("/api/v1/nothing", headers=auth)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.delete("/api/v1/balance", headers=auth)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"

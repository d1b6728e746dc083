from __future__ import annotations

import asyncio

import httpx

from smsgate.bootstrap import Gateway
from smsgate.domain.accounts import Service
from smsgate.services.accounts import NewAccount


async def test_fifty_concurrent_sends_with_credit_for_twenty_accept_exactly_twenty(
    client: httpx.AsyncClient, gateway: Gateway
) -> None:
    _, issued = await gateway.accounts.create(
        NewAccount(username="bob", password="secret-pw", credit_micros=20_000_000, country="FR")
    )
    auth = {"Authorization": f"Bearer {issued.key}"}

    async def send(i: int) -> int:
        body = {"to": [f"06000000{i:02d}"], "text": "hi"}
        response = await client.post("/api/v1/messages", json=body, headers=auth)
        return response.status_code

    codes = await asyncio.gather(*(send(i) for i in range(50)))
    assert codes.count(202) == 20
    assert codes.count(402) == 30
    account = await gateway.accounts.get("bob")
    assert account.balance_micros == 0
    async with gateway.store.transaction() as tx:
        assert await tx.ledger.total(account.id) == account.balance_micros


async def test_idempotency_key_replays_first_answer(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    body = {"to": ["09121234567", "bad"], "text": "hi"}
    headers = auth | {"Idempotency-Key": "order-42"}
    first = await client.post("/api/v1/messages", json=body, headers=headers)
    again = await client.post("/api/v1/messages", json=body, headers=headers)
    assert first.status_code == again.status_code == 202
    assert again.headers["Idempotent-Replayed"] == "true"
    assert {k: v for k, v in again.json().items() if k != "recipients"} == {
        k: v for k, v in first.json().items() if k != "recipients"
    }
    assert sorted(map(str, again.json()["recipients"])) == sorted(
        map(str, first.json()["recipients"])
    )
    assert (await gateway.accounts.get("alice")).balance_micros == 99_000_000


async def test_idempotency_key_reused_with_a_different_request_is_refused_409(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    headers = auth | {"Idempotency-Key": "order-43"}
    first = await client.post(
        "/api/v1/messages", json={"to": ["09121234567"], "text": "hi"}, headers=headers
    )
    other = await client.post(
        "/api/v1/messages", json={"to": ["09121234567"], "text": "bye"}, headers=headers
    )
    assert first.status_code == 202
    assert other.status_code == 409
    assert other.json()["error"]["code"] == "conflict"
    assert "different request" in other.json()["error"]["message"]
    assert (await gateway.accounts.get("alice")).balance_micros == 99_000_000


async def test_concurrent_same_idempotency_key_charges_once(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    headers = auth | {"Idempotency-Key": "same"}
    body = {"to": ["09121234567"], "text": "hi"}
    responses = await asyncio.gather(
        *(client.post("/api/v1/messages", json=body, headers=headers) for _ in range(5))
    )
    assert {r.status_code for r in responses} == {202}
    assert len({r.json()["batch_id"] for r in responses}) == 1
    assert (await gateway.accounts.get("alice")).balance_micros == 99_000_000


async def test_test_mode_answers_like_real_but_charges_and_stores_nothing(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    body = {"to": ["09121234567", "09121234567"], "text": "hi", "test": True}
    response = await client.post("/api/v1/messages", json=body, headers=auth)
    assert response.status_code == 202
    data = response.json()
    assert data["test"] is True
    assert data["batch_id"] is None
    assert data["counts"]["accepted"] == 1
    assert data["counts"]["duplicated"] == 1
    assert data["cost"] == "1"
    assert data["balance"] == "100"
    assert (await gateway.accounts.get("alice")).balance_micros == 100_000_000
    listed = await client.get("/api/v1/messages", headers=auth)
    assert listed.json()["data"] == []


async def test_scheduled_send_is_scheduled_with_its_time(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = {"to": ["09121234567"], "text": "hi", "schedule_at": "2026-11-23T08:30:00+03:30"}
    response = await client.post("/api/v1/messages", json=body, headers=auth)
    data = response.json()
    assert data["status"] == "scheduled"
    assert data["schedule_at"] == "2026-11-23T05:00:00Z"
    message = await client.get(f"/api/v1/messages/{data['messages'][0]['id']}", headers=auth)
    assert message.json()["status"] == "scheduled"
    assert message.json()["schedule_at"] == "2026-11-23T05:00:00Z"


async def test_past_schedule_sends_at_once(client: httpx.AsyncClient, auth: dict[str, str]) -> None:
    body = {"to": ["09121234567"], "text": "hi", "schedule_at": "2020-01-01T00:00:00Z"}
    response = await client.post("/api/v1/messages", json=body, headers=auth)
    assert response.json()["status"] == "queued"


async def test_unicode_long_text_segments_and_price(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.set_price(Service.SMS, "IR", 250_000)
    body = {"to": ["09121234567"], "text": "سلام " * 20}  # 100 UCS-2 units: 2 segments
    data = (await client.post("/api/v1/messages", json=body, headers=auth)).json()
    assert data["encoding"] == "ucs2"
    assert data["segments"] == 2
    assert data["messages"][0]["price"] == "0.5"
    assert data["cost"] == "0.5"


async def test_get_message_batch_and_list_with_filters_and_pages(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    to = [{"number": f"0912123456{i}", "reference": f"r{i}"} for i in range(5)] + ["x"]
    sent = await client.post("/api/v1/messages", json={"to": to, "text": "hi"}, headers=auth)
    data = sent.json()
    first_id = data["messages"][0]["id"]
    message = (await client.get(f"/api/v1/messages/{first_id}", headers=auth)).json()
    assert message["reference"] == "r0"
    assert message["text"] == "hi"
    assert message["to"] == "+989121234560"
    batch = (await client.get(f"/api/v1/batches/{data['batch_id']}", headers=auth)).json()
    assert batch["statuses"] == {"queued": 5}
    assert batch["recipients"]["accepted"] == 5
    assert batch["recipients"]["invalid"] == 1
    assert batch["refused"] == [
        {"input": "x", "number": None, "reference": None, "verdict": "invalid"}
    ]
    page = (await client.get("/api/v1/messages?limit=2", headers=auth)).json()
    assert len(page["data"]) == 2
    rest = (
        await client.get(f"/api/v1/messages?limit=10&before={page['next_before']}", headers=auth)
    ).json()
    assert len(rest["data"]) == 3
    assert rest["next_before"] is None
    one = (await client.get("/api/v1/messages?to=09121234563", headers=auth)).json()
    assert [m["reference"] for m in one["data"]] == ["r3"]
    by_status = (await client.get("/api/v1/messages?status=delivered", headers=auth)).json()
    assert by_status["data"] == []


async def test_other_tenant_cannot_see_messages_or_batches(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    data = (
        await client.post(
            "/api/v1/messages", json={"to": ["09121234567"], "text": "hi"}, headers=auth
        )
    ).json()
    _, other = await gateway.accounts.create(NewAccount(username="eve", password="secret-pw"))
    eve = {"Authorization": f"Bearer {other.key}"}
    assert (
        await client.get(f"/api/v1/messages/{data['messages'][0]['id']}", headers=eve)
    ).status_code == 404
    assert (await client.get(f"/api/v1/batches/{data['batch_id']}", headers=eve)).status_code == 404
    assert (await client.get("/api/v1/messages", headers=eve)).json()["data"] == []


async def test_blacklisted_number_is_refused_and_counted(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.blacklist_add("alice", ["09121234567"])
    await gateway.accounts.blacklist_add(None, ["+989121234568"])
    body = {"to": ["09121234567", "09121234568", "09121234569"], "text": "hi"}
    data = (await client.post("/api/v1/messages", json=body, headers=auth)).json()
    assert data["counts"]["blacklisted"] == 2
    assert data["counts"]["accepted"] == 1


async def test_sender_allowed_line_and_inactive_line(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.add_sender("alice", "SHOP")
    await gateway.accounts.add_line("alice", "10002188", active=False)
    ok = await client.post(
        "/api/v1/messages",
        json={"to": ["09121234567"], "text": "hi", "sender": "SHOP"},
        headers=auth,
    )
    assert ok.status_code == 202
    inactive = await client.post(
        "/api/v1/messages",
        json={"to": ["09121234567"], "text": "hi", "sender": "10002188"},
        headers=auth,
    )
    assert inactive.status_code == 403
    assert inactive.json()["error"]["code"] == "sender_line_inactive"


async def test_flood_and_country_limits_per_recipient(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.update_settings(
        "alice", flood_limit_24h=1, country_monthly_limits={"FR": 1}
    )
    first = await client.post(
        "/api/v1/messages",
        json={"to": ["09121234567", "+33612345678"], "text": "hi"},
        headers=auth,
    )
    assert first.json()["counts"]["accepted"] == 2
    second = await client.post(
        "/api/v1/messages",
        json={"to": ["09121234567", "+33612345679", "09121234568"], "text": "hi"},
        headers=auth,
    )
    counts = second.json()["counts"]
    assert (counts["flood"], counts["country_limit"], counts["accepted"]) == (1, 1, 1)


async def test_prices_lists_each_country_price_and_the_defaults(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.set_price(Service.SMS, "IR", 250_000)
    response = await client.get("/api/v1/prices", headers=auth)
    assert response.status_code == 200
    assert response.json() == {
        "prices": [{"service": "sms", "country": "IR", "price": "0.25"}],
        "default": {"sms": "1", "mms": "5"},
    }
    assert (await client.get("/api/v1/prices")).status_code == 401

"""API -> dispatcher -> SMPP simulator -> receipt -> status, over real sockets."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.carriers.webhooks import WebhookPoster
from smsgate.db import tables as t
from smsgate.domain.delivery import DeliveryPolicy
from smsgate.services.webhooks import WebhookPolicy
from smsgate.simulator import OutcomeShares, SimulatorConfig, SmscSimulator
from tests.e2e.delivery_helpers import (
    add_link,
    all_final,
    ledger_matches,
    running,
    statuses,
    wait_for,
    wait_until_links_up,
)
from tests.live_server import live_server

pytestmark = pytest.mark.e2e

LINE = "+989350000001"


@pytest.fixture
async def sim() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(SimulatorConfig(receipt_delay_s=0.0)) as simulator:
        await simulator.start()
        yield simulator


async def send(client: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post("/api/v1/messages", json=body, headers=auth)
    assert response.status_code == 202, response.text
    found: dict[str, Any] = response.json()
    return found


async def message(client: httpx.AsyncClient, auth: dict[str, str], message_id: int) -> Any:
    return (await client.get(f"/api/v1/messages/{message_id}", headers=auth)).json()


async def test_a_message_goes_from_queued_to_delivered(
    gateway: Gateway, auth: dict[str, str], sim: SmscSimulator
) -> None:
    # Every hop over a real socket: HTTP client -> API -> dispatcher -> SMPP -> simulator.
    await add_link(gateway, sim.port)
    async with (
        live_server(gateway) as url,
        httpx.AsyncClient(base_url=url) as client,
        running(gateway) as dispatcher,
    ):
        await wait_until_links_up(dispatcher)
        sent = await send(client, auth, to=["+989121234567"], text="hello")
        await wait_for(lambda: all_final(gateway))
        found = await message(client, auth, sent["messages"][0]["id"])
    assert found["status"] == "delivered"
    assert found["error_code"] is None
    assert sim.snapshot()["submits"] == 1


@pytest.mark.parametrize("method", ["udh", "sar", "payload"])
async def test_a_long_message_goes_in_parts_and_is_delivered_when_all_are(
    gateway: Gateway,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    sim: SmscSimulator,
    method: str,
) -> None:
    await add_link(gateway, sim.port, long_method=method)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        sent = await send(client, auth, to=["+989121234567"], text="x" * 400)
        assert sent["segments"] == 3
        await wait_for(lambda: all_final(gateway))
    assert (await message(client, auth, sent["messages"][0]["id"]))["status"] == "delivered"
    async with gateway.store.engine.connect() as conn:
        parts = (await conn.execute(sa.select(t.parts.c.seq, t.parts.c.status))).all()
    expected = 1 if method == "payload" else 3
    assert sorted(parts) == [(seq, "delivered") for seq in range(1, expected + 1)]
    assert sim.snapshot()["submits"] == expected


async def test_one_undelivered_part_makes_the_message_undelivered(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    # Every receipt undelivered with error 1 (unknown subscriber): the number becomes npai.
    config = SimulatorConfig(
        receipt_delay_s=0.0, outcomes=OutcomeShares(delivered=0, undelivered=1)
    )
    async with SmscSimulator(config) as simulator:
        await add_link(gateway, await simulator.start())
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            sent = await send(client, auth, to=["+989121234567"], text="y" * 200)
            await wait_for(lambda: all_final(gateway))
    found = await message(client, auth, sent["messages"][0]["id"])
    assert found["status"] == "undelivered"
    assert found["error_code"] == "001"
    again = await client.post(
        "/api/v1/messages",
        json={"to": ["+989121234567", "+989121234568"], "text": "again"},
        headers=auth,
    )
    assert again.json()["counts"]["npai"] == 1, again.text


async def test_carrier_rejection_and_rejected_receipts_are_refunded(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    config = SimulatorConfig(receipt_delay_s=0.0, outcomes=OutcomeShares(delivered=0, rejected=1))
    async with SmscSimulator(config) as simulator:
        await add_link(gateway, await simulator.start())
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            await send(client, auth, to=["+989121234567", "+989121234568"], text="z")
            await wait_for(lambda: all_final(gateway))
    assert await statuses(gateway) == {"rejected": 2}
    balance = (await client.get("/api/v1/balance", headers=auth)).json()["balance"]
    assert balance == "100"
    account = await gateway.accounts.get("alice")
    assert await ledger_matches(gateway, account.id) == (100_000_000, 100_000_000)


async def test_a_submit_refused_by_the_carrier_is_rejected_and_refunded(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with SmscSimulator(SimulatorConfig(reject_share=1.0)) as simulator:
        await add_link(gateway, await simulator.start())
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            sent = await send(client, auth, to=["+989121234567"], text="z")
            await wait_for(lambda: all_final(gateway))
    found = await message(client, auth, sent["messages"][0]["id"])
    assert (found["status"], found["error_code"]) == ("rejected", "ESME_RINVDSTADR")
    assert (await client.get("/api/v1/balance", headers=auth)).json()["balance"] == "100"


async def test_a_message_without_a_route_fails_with_a_reason_and_is_refunded(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str], sim: SmscSimulator
) -> None:
    link_id = await add_link(gateway, sim.port, name="france-only")
    routes = await gateway.links.routes()
    await gateway.links.remove_route(routes[0].id)
    await gateway.links.add_route("france-only", prefix="+33")
    assert link_id
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        sent = await send(client, auth, to=["+989121234567"], text="z")
        await wait_for(lambda: all_final(gateway))
    found = await message(client, auth, sent["messages"][0]["id"])
    assert (found["status"], found["error_code"]) == ("failed", "no_route")
    assert (await client.get("/api/v1/balance", headers=auth)).json()["balance"] == "100"


async def test_routes_fail_over_to_the_next_link_when_one_is_down(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str], sim: SmscSimulator
) -> None:
    # The preferred link points at a closed port: messages go through the second one.
    await gateway.links.add(
        __import__("smsgate.domain.links", fromlist=["LinkSettings"]).LinkSettings(
            name="dead", host="127.0.0.1", port=1, system_id="x", password="x"
        )
    )
    await gateway.links.add_route("dead", priority=1)
    await add_link(gateway, sim.port, name="alive")
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        await send(client, auth, to=["+989121234567"], text="z")
        await wait_for(lambda: all_final(gateway))
    assert await statuses(gateway) == {"delivered": 1}


async def test_scheduled_messages_wait_and_cancelled_ones_never_go(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str], sim: SmscSimulator
) -> None:
    await add_link(gateway, sim.port)
    when = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    later = await send(client, auth, to=["+989121234567"], text="later", schedule_at=when)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        await send(client, auth, to=["+989121234568"], text="now")

        async def one_delivered() -> bool:
            return (await statuses(gateway)).get("delivered") == 1

        await wait_for(one_delivered)
        assert await dispatcher.claim_once() == 0
    cancelled = await client.post(f"/api/v1/batches/{later['batch_id']}/cancel", headers=auth)
    assert cancelled.status_code == 200, cancelled.text
    assert await statuses(gateway) == {"delivered": 1, "cancelled": 1}
    assert sim.snapshot()["submits"] == 1


async def test_mo_lands_in_the_inbox_and_stop_blacklists_the_sender(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str], sim: SmscSimulator
) -> None:
    await gateway.accounts.add_line("alice", LINE)
    await add_link(gateway, sim.port)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        assert await sim.inject_mo("989121111111", LINE[1:], "Salam! " * 40) == [0, 0]
        assert await sim.inject_mo("989122222222", LINE[1:], "stop") == [0]
    inbox = (await client.get("/api/v1/inbox", headers=auth)).json()["data"]
    assert [(m["from"], m["parts"], m["opt_out"]) for m in inbox] == [
        ("+989122222222", 1, True),
        ("+989121111111", 2, False),
    ]
    assert inbox[1]["text"] == "Salam! " * 40
    unread = (await client.get("/api/v1/inbox?read=false", headers=auth)).json()["data"]
    assert len(unread) == 2
    read = await client.post(f"/api/v1/inbox/{inbox[1]['id']}/read", headers=auth)
    assert read.json()["read"] is True
    unread = (await client.get("/api/v1/inbox?read=false", headers=auth)).json()["data"]
    assert [m["id"] for m in unread] == [inbox[0]["id"]]
    blocked = await client.post(
        "/api/v1/messages",
        json={"to": ["+989122222222", "+989121111111"], "text": "promo"},
        headers=auth,
    )
    assert blocked.json()["counts"]["blacklisted"] == 1, blocked.text


async def test_an_mo_for_a_number_no_one_owns_is_acknowledged_and_dropped(
    gateway: Gateway, sim: SmscSimulator
) -> None:
    await add_link(gateway, sim.port)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        assert await sim.inject_mo("989121111111", "989350000009", "hello") == [0]
    async with gateway.store.engine.connect() as conn:
        assert (await conn.execute(sa.select(sa.func.count()).select_from(t.inbound))).scalar() == 0


class Receiver:
    """A webhook receiver on a real socket that records what it was sent."""

    def __init__(self, fail_first: int = 0) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first

    async def app(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        headers = {k.decode(): v.decode() for k, v in scope["headers"]}
        status = 500 if self.fail_first > 0 else 204
        self.fail_first -= 1
        if status == 204:
            self.received.append((headers, body))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[Receiver, str]]:
    import asyncio

    import uvicorn

    target = Receiver(fail_first=1)
    config = uvicorn.Config(
        target.app, host="127.0.0.1", port=0, log_level="warning", interface="asgi3"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 -- uvicorn offers no event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield target, f"http://127.0.0.1:{port}/hook"
    server.should_exit = True
    await task


async def test_reports_and_inbound_messages_reach_the_webhook_signed(
    gateway: Gateway,
    client: httpx.AsyncClient,
    auth: dict[str, str],
    sim: SmscSimulator,
    receiver: tuple[Receiver, str],
    quick_retries: DeliveryPolicy,
) -> None:
    target, url = receiver
    gateway.webhooks.policy = WebhookPolicy(
        retry_first=timedelta(milliseconds=10), retry_max=timedelta(milliseconds=50)
    )
    account = await gateway.accounts.update_settings("alice", webhook_url=url)
    secret = account.webhook_secret
    assert secret is not None
    assert secret.startswith("whsec_")
    await gateway.accounts.add_line("alice", LINE)
    await add_link(gateway, sim.port)
    poster = WebhookPoster(gateway.webhooks, allow_private=True, idle_poll_s=0.02)
    poster.start()
    try:
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            await send(client, auth, to=[{"number": "+989121234567", "reference": "x"}], text="hi")
            await sim.inject_mo("989121111111", LINE[1:], "hi there")

            async def both_sent() -> bool:
                async with gateway.store.engine.connect() as conn:
                    rows = await conn.execute(sa.select(t.webhook_outbox.c.status))
                    return sorted(rows.scalars()) == ["sent", "sent"]

            await wait_for(both_sent)
    finally:
        await poster.stop()
    events = {}
    for headers, body in target.received:
        timestamp = headers["x-smsgate-timestamp"]
        expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
        assert headers["x-smsgate-signature"] == "v1=" + expected.hexdigest()
        event = json.loads(body)
        events[event["event"]] = event["data"]
    assert events["message.status"]["status"] == "delivered"
    assert events["message.status"]["to"] == "+989121234567"
    assert events["message.status"]["reference"] == "x"
    assert events["message.inbound"]["text"] == "hi there"


async def test_webhooks_to_internal_addresses_are_refused_by_default(gateway: Gateway) -> None:
    from smsgate.carriers.webhooks import UnsafeUrl, check_url

    for url in ("http://127.0.0.1/x", "http://10.1.2.3/x", "http://[::1]/x", "ftp://a.example/"):
        with pytest.raises(UnsafeUrl):
            await check_url(url, allow_private=False)
    await check_url("http://127.0.0.1/x", allow_private=True)

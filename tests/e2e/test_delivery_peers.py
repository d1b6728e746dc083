"""The delivery engine against an SMSC we did not write: the npm `smpp` package (peers/)."""

from __future__ import annotations

import httpx
import pytest

from smsgate.bootstrap import Gateway
from tests.e2e.delivery_helpers import (
    add_link,
    all_final,
    running,
    statuses,
    wait_for,
    wait_until_links_up,
)
from tests.peers import npm_smsc

pytestmark = pytest.mark.e2e

LINE = "+989350000001"


async def test_messages_are_delivered_through_the_npm_smsc_with_receipts(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    async with npm_smsc(receipts=True) as (port, _):
        await add_link(gateway, port)
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            for text in ("hello", "long " * 60, "سلام دنیا"):
                response = await client.post(
                    "/api/v1/messages",
                    json={"to": ["+989121234567", "+989121234568"], "text": text},
                    headers=auth,
                )
                assert response.status_code == 202, response.text
            await wait_for(lambda: all_final(gateway))
    assert await statuses(gateway) == {"delivered": 6}


async def test_mo_and_stop_from_the_npm_smsc_reach_the_inbox_and_the_blacklist(
    gateway: Gateway, client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    await gateway.accounts.add_line("alice", LINE)
    async with npm_smsc(receipts=False) as (port, inject_mo):
        await add_link(gateway, port)
        async with running(gateway) as dispatcher:
            await wait_until_links_up(dispatcher)
            assert await inject_mo("989121111111", LINE[1:], "Hello from npm") == 0
            assert await inject_mo("989122222222", LINE[1:], "STOP") == 0
    inbox = (await client.get("/api/v1/inbox", headers=auth)).json()["data"]
    assert [(m["from"], m["text"], m["opt_out"]) for m in inbox] == [
        ("+989122222222", "STOP", True),
        ("+989121111111", "Hello from npm", False),
    ]
    blocked = await client.post(
        "/api/v1/messages",
        json={"to": ["+989122222222", "+989121111111"], "text": "promo"},
        headers=auth,
    )
    assert blocked.json()["counts"]["blacklisted"] == 1

"""A campaign over real sockets: CSV import and launch over HTTP, the dispatcher delivers its
personalised messages through the SMPP simulator, and the campaign ends `done`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from smsgate.bootstrap import Gateway
from smsgate.simulator import SimulatorConfig, SmscSimulator
from tests.e2e.delivery_helpers import (
    add_link,
    all_final,
    ledger_matches,
    running,
    wait_for,
    wait_until_links_up,
)
from tests.live_server import live_server

pytestmark = pytest.mark.e2e

CSV = (
    "number,name,code\n"
    "+989121234501,Ana,A1\n"
    "+989121234502,Łukasz,B2\n"  # a UCS-2 name: this message goes as UCS-2
    "+989121234503,Zed,C3\n"
    "not-a-number,Bad,D4\n"
    "+989121234501,Ana again,A1\n"  # in the file twice
)


@pytest.fixture
async def sim() -> AsyncIterator[SmscSimulator]:
    async with SmscSimulator(SimulatorConfig(receipt_delay_s=0.0)) as simulator:
        await simulator.start()
        yield simulator


async def test_a_personalised_campaign_is_imported_launched_and_delivered(
    gateway: Gateway, auth: dict[str, str], sim: SmscSimulator
) -> None:
    await add_link(gateway, sim.port)
    async with (
        live_server(gateway) as url,
        httpx.AsyncClient(base_url=url, headers=auth) as client,
        running(gateway) as dispatcher,
    ):
        await wait_until_links_up(dispatcher)
        created = await client.post("/api/v1/lists", json={"name": "customers"})
        assert created.status_code == 201, created.text
        list_id = created.json()["id"]
        imported = await client.post(
            f"/api/v1/lists/{list_id}/import",
            content=CSV.encode(),
            headers={"Content-Type": "text/csv"},
        )
        assert imported.status_code == 200, imported.text

        campaign = await client.post(
            "/api/v1/campaigns",
            json={"name": "codes", "text": "Hi {name}, your code is {code}", "lists": [list_id]},
        )
        assert campaign.status_code == 201, campaign.text
        campaign_id = campaign.json()["id"]
        launched = await client.post(f"/api/v1/campaigns/{campaign_id}/launch")
        assert launched.status_code == 202, launched.text

        await wait_for(lambda: all_final(gateway))
        done = (await client.get(f"/api/v1/campaigns/{campaign_id}")).json()
        report = (await client.get(f"/api/v1/campaigns/{campaign_id}/messages")).json()
    assert done["status"] == "done"
    assert done["progress"] == {"delivered": 3}
    assert sorted(m["status"] for m in report["data"]) == ["delivered"] * 3
    assert sim.snapshot()["submits"] == 3
    balance, ledger_total = await ledger_matches(gateway, 1)
    assert balance == ledger_total == 100_000_000 - 3_000_000  # 3 messages of 1 segment

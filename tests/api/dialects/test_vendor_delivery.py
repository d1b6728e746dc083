"""Messages sent through a vendor API go out through the delivery engine (dispatcher ->
SMSC simulator -> receipt), and their status comes back through the same API in that vendor's
codes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from smsgate.bootstrap import Gateway
from smsgate.simulator import OutcomeShares, SimulatorConfig, SmscSimulator
from tests.api.dialects.conftest import SEED_JSON
from tests.api.dialects.payamak_setup import (
    create_alice,
    items_of,
    post_soap,
    result_of,
    send_fields,
    soap_call,
)
from tests.e2e.delivery_helpers import add_link, all_final, running, wait_for, wait_until_links_up

pytestmark = pytest.mark.e2e


@pytest.fixture
async def sim() -> AsyncIterator[SmscSimulator]:
    config = SimulatorConfig(
        receipt_delay_s=0.0, outcomes=OutcomeShares(delivered=1, undelivered=1), seed=5
    )
    async with SmscSimulator(config) as simulator:
        await simulator.start()
        yield simulator


async def test_smsfactor_messages_are_delivered_and_reported_in_smsfactor_codes(
    gateway: Gateway, client: httpx.AsyncClient, sf_json: dict[str, str], sim: SmscSimulator
) -> None:
    await add_link(gateway, sim.port)
    body = {**SEED_JSON, "sms": {**SEED_JSON["sms"]}}
    body["sms"]["message"] = {**SEED_JSON["sms"]["message"], "delay": ""}
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        sent = (await client.post("/smsfactor/send", json=body, headers=sf_json)).json()
        assert sent["status"] == 1, sent
        await wait_for(lambda: all_final(gateway))
    report = (await client.get(f"/smsfactor/campaign/{sent['ticket']}", headers=sf_json)).json()
    recipients = report["campaign"][0]["recipients"]
    # SMSFactor: 3 delivered, 2 not delivered; gsmsmsid comes back as the message id.
    assert sorted((r["message_id"], r["status"]) for r in recipients) in (
        [("100", a), ("101", b)] for a in (2, 3) for b in (2, 3)
    )
    assert {r["status"] for r in recipients} <= {2, 3}
    assert sim.snapshot()["accepted"] == 2


async def test_payamak_messages_are_delivered_and_reported_in_payamak_codes(
    gateway: Gateway, client: httpx.AsyncClient, sim: SmscSimulator
) -> None:
    await create_alice(gateway)
    await add_link(gateway, sim.port)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        sent = await post_soap(
            client, soap_call("SendSMS", send_fields(["09121234567", "09121234568"]))
        )
        assert result_of(sent, "SendSMSResult") == "0", sent.text
        rec_ids = items_of(sent, "recId", "long")
        await wait_for(lambda: all_final(gateway))
    codes = []
    for rec_id in rec_ids:
        found = await post_soap(client, soap_call("GetDelivery", f"<recId>{rec_id}</recId>"))
        codes.append(result_of(found, "GetDeliveryResult"))
    # Payamak: 1 delivered to the handset, 2 not delivered.
    assert set(codes) <= {"1", "2"}
    assert len(codes) == 2
    assert sim.snapshot()["accepted"] == 2

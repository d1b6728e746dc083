"""The community `smsfactor` SDK (PyPI, 0.0.5) driven unchanged against a running smsgate:
uvicorn on a real socket, the SDK's base URL (`api.url`) pointed at /smsfactor, and nothing
else changed. The SDK is blocking (requests), so its calls run in a worker thread while the
server runs in the test's event loop."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import pytest
from smsfactor.smsfactor import SMSFactorAPI, SMSFactorException

from smsgate.bootstrap import Gateway
from smsgate.domain.messages import MessageStatus
from tests.api.dialects.conftest import SEED_JSON, table_counts
from tests.live_server import live_server

T = TypeVar("T")


@pytest.fixture
async def smsgate_url(gateway: Gateway) -> AsyncIterator[str]:
    """smsgate served by uvicorn on a real socket; the SMSFactor API under /smsfactor."""
    async with live_server(gateway) as url:
        yield f"{url}/smsfactor"


@pytest.fixture
def api(smsgate_url: str, sf_token: str) -> SMSFactorAPI:
    client = SMSFactorAPI(sf_token)
    client.url = smsgate_url  # the only change from code written for SMSFactor
    return client


async def call(fn: Callable[[], T]) -> T:
    return await asyncio.to_thread(fn)


async def test_sdk_credits_reads_the_balance(api: SMSFactorAPI) -> None:
    assert await call(lambda: api.credits) == 100


async def test_sdk_send_campaign_then_report_and_credits(
    api: SMSFactorAPI, gateway: Gateway
) -> None:
    sent: dict[str, Any] = await call(lambda: api.post("/send", copy.deepcopy(SEED_JSON)))
    assert sent["status"] == 1
    assert (sent["sent"], sent["cost"], sent["credits"]) == (2, 2, 98)
    report: dict[str, Any] = await call(lambda: api.get(f"/campaign/{sent['ticket']}"))
    (campaign,) = report["campaign"]
    assert [(r["destination"], r["message_id"]) for r in campaign["recipients"]] == [
        ("33612345678", "100"),
        ("33612345677", "101"),
    ]
    assert await call(lambda: api.credits) == 98
    assert await table_counts(gateway) == (1, 2, 98_000_000)


async def test_sdk_simulate_sends_nothing(api: SMSFactorAPI, gateway: Gateway) -> None:
    simulated: dict[str, Any] = await call(
        lambda: api.post("/send/simulate", copy.deepcopy(SEED_JSON))
    )
    assert (simulated["status"], simulated["sent"]) == (1, 2)
    assert "ticket" not in simulated
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_sdk_single_message_with_its_json_query(api: SMSFactorAPI, gateway: Gateway) -> None:
    params = {"to": "33612345678", "text": "Hello world", "gsmsmsid": "order-7"}
    sent: dict[str, Any] = await call(lambda: api.get("/send", params))
    assert (sent["status"], sent["sent"]) == (1, 1)
    account = await gateway.accounts.get("factor")
    _, messages = await gateway.queries.batch_messages(account, int(sent["ticket"]))
    assert [(m.recipient, m.reference) for m in messages] == [("+33612345678", "order-7")]


async def test_sdk_cancel_a_delayed_campaign_gives_the_credits_back(
    api: SMSFactorAPI, gateway: Gateway
) -> None:
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["message"]["delay"] = "2026-12-24 18:00:00"
    sent: dict[str, Any] = await call(lambda: api.post("/send", body))
    cancelled: dict[str, Any] = await call(lambda: api.delete(f"/send/{sent['ticket']}"))
    assert cancelled == {"status": 1, "message": "OK", "credits": 2}
    assert await call(lambda: api.credits) == 100
    account = await gateway.accounts.get("factor")
    _, messages = await gateway.queries.batch_messages(account, int(sent["ticket"]))
    assert {m.status for m in messages} == {MessageStatus.CANCELLED}


async def test_sdk_raises_its_own_exception_on_smsfactor_errors(
    api: SMSFactorAPI, smsgate_url: str
) -> None:
    stranger = SMSFactorAPI("not-a-token")
    stranger.url = smsgate_url
    with pytest.raises(SMSFactorException, match="Error -1: Authentication error"):
        await call(lambda: stranger.credits)
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["message"]["delay"] = "next week"
    with pytest.raises(SMSFactorException, match="Error -4: Incorrect delay"):
        await call(lambda: api.post("/send", body))

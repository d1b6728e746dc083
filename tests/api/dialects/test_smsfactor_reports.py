"""SMSFactor campaign reports (`GET /campaign/{ticket}`) and cancels (`DELETE /send/{ticket}`).

The delivery engine is not there yet: messages are put in each status directly in the database.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from smsgate.api.dialects.smsfactor.reports import DELIVERY_STATUSES, Dlr
from smsgate.bootstrap import Gateway
from smsgate.domain.messages import MessageStatus
from tests.api.dialects.conftest import SEED_JSON, set_statuses, table_counts

S = MessageStatus
EXPECTED_REPORTS = {
    S.SCHEDULED: 0,
    S.QUEUED: 0,
    S.PAUSED: 0,
    S.SENDING: 0,
    S.SUBMITTED: 1,
    S.DELIVERED: 3,
    S.UNDELIVERED: 2,
    S.EXPIRED: 12,
    S.REJECTED: 9,
    S.FAILED: 7,
    S.CANCELLED: 0,
    S.UNKNOWN: 1,
}


def campaign_to(count: int, delay: str | None = None) -> dict[str, Any]:
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["message"]["delay"] = delay or ""
    body["sms"]["recipients"]["gsm"] = [
        {"gsmsmsid": f"ref-{i}", "value": f"336123456{i:02d}"} for i in range(count)
    ]
    return body


async def send(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    data = (await client.post("/smsfactor/send", json=body, headers=headers)).json()
    assert data["status"] == 1, data
    return str(data["ticket"])


async def message_ids(gateway: Gateway, ticket: str) -> list[int]:
    account = await gateway.accounts.get("factor")
    _, messages = await gateway.queries.batch_messages(account, int(ticket))
    return [m.id for m in messages]


def test_smsfactor_delivery_table_maps_every_message_status() -> None:
    assert set(DELIVERY_STATUSES) == set(MessageStatus)
    assert {s: int(code) for s, code in DELIVERY_STATUSES.items()} == EXPECTED_REPORTS
    assert set(DELIVERY_STATUSES.values()) <= set(Dlr)


async def test_smsfactor_campaign_reports_each_recipient_status_and_gsmsmsid(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    statuses = list(MessageStatus)
    ticket = await send(client, sf_json, campaign_to(len(statuses)))
    ids = await message_ids(gateway, ticket)
    await set_statuses(gateway, {i: str(s) for i, s in zip(ids, statuses, strict=True)})

    data = (await client.get(f"/smsfactor/campaign/{ticket}", headers=sf_json)).json()
    assert data["status"] == 1
    (campaign,) = data["campaign"]
    reports = campaign["recipients"]
    assert [r["status"] for r in reports] == [EXPECTED_REPORTS[s] for s in statuses]
    assert [r["message_id"] for r in reports] == [f"ref-{i}" for i in range(len(statuses))]
    assert reports[0]["destination"] == "33612345600"
    assert {r["campaign_id"] for r in reports} == {ticket}
    assert {r["country_code"] for r in reports} == {"FR"}
    assert campaign["id"] == ticket
    assert campaign["status"] == "Scheduled"  # one message is still scheduled
    assert (campaign["delivered"], campaign["error"], campaign["expired"]) == ("1", "3", "1")
    assert campaign["total"] == str(len(statuses))
    assert campaign["cost"] == str(len(statuses))
    assert campaign["delivery_rate"] == "9"  # 1 delivered of the 11 not cancelled


async def test_smsfactor_campaign_all_delivered_is_sent_at_full_rate(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    ticket = await send(client, sf_json, campaign_to(2))
    await set_statuses(gateway, dict.fromkeys(await message_ids(gateway, ticket), "delivered"))
    (campaign,) = (await client.get(f"/smsfactor/campaign/{ticket}", headers=sf_json)).json()[
        "campaign"
    ]
    assert (campaign["status"], campaign["delivery_rate"], campaign["delivered"]) == (
        "Sent",
        "100",
        "2",
    )


async def test_smsfactor_campaign_report_in_xml_repeats_recipient_elements(
    client: httpx.AsyncClient, gateway: Gateway, sf_token: str
) -> None:
    headers = {"Authorization": f"Bearer {sf_token}", "Accept": "application/json"}
    ticket = await send(client, headers, campaign_to(2))
    response = await client.get(
        f"/smsfactor/campaign/{ticket}", headers={"Authorization": f"Bearer {sf_token}"}
    )
    assert response.headers["content-type"] == "application/xml"
    assert response.text.count("<recipients>") == 2
    assert "<message_id>ref-1</message_id>" in response.text
    assert "<lists/>" not in response.text


async def test_smsfactor_cancel_refunds_only_what_no_dispatcher_claimed(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    ticket = await send(client, sf_json, campaign_to(4, delay="2026-12-24 18:00:00"))
    ids = await message_ids(gateway, ticket)
    await set_statuses(gateway, {ids[1]: "queued", ids[2]: "sending", ids[3]: "delivered"})
    assert (await table_counts(gateway))[2] == 96_000_000

    response = await client.delete(f"/smsfactor/send/{ticket}", headers=sf_json)
    assert response.json() == {"status": 1, "message": "OK", "credits": 2}
    (campaign,) = (await client.get(f"/smsfactor/campaign/{ticket}", headers=sf_json)).json()[
        "campaign"
    ]
    assert [r["status"] for r in campaign["recipients"]] == [0, 0, 0, 3]
    account = await gateway.accounts.get("factor")
    _, messages = await gateway.queries.batch_messages(account, int(ticket))
    assert [m.status for m in messages] == [S.CANCELLED, S.CANCELLED, S.SENDING, S.DELIVERED]
    assert account.balance_micros == 98_000_000
    entries = await gateway.accounts.ledger("factor")
    assert sum(e.amount_micros for e in entries) == account.balance_micros
    assert (entries[-1].kind, entries[-1].amount_micros, entries[-1].batch_id) == (
        "refund",
        2_000_000,
        int(ticket),
    )


async def test_smsfactor_cancel_twice_second_is_a_data_error_and_refunds_nothing(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    ticket = await send(client, sf_json, campaign_to(2, delay="2026-12-24 18:00:00"))
    first = await client.delete(f"/smsfactor/send/{ticket}", headers=sf_json)
    second = await client.delete(f"/smsfactor/send/{ticket}", headers=sf_json)
    assert first.json()["credits"] == 2
    assert second.json()["status"] == -7
    assert (await table_counts(gateway))[2] == 100_000_000
    assert [e.kind for e in await gateway.accounts.ledger("factor")] == [
        "topup",
        "charge",
        "refund",
    ]


async def test_smsfactor_cancel_unknown_campaign_is_a_data_error(
    client: httpx.AsyncClient, sf_json: dict[str, str]
) -> None:
    response = await client.delete("/smsfactor/send/12345", headers=sf_json)
    assert response.json()["status"] == -7

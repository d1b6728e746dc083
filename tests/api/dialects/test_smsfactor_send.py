"""SMSFactor `POST /send` and `GET /send`: what is queued, charged and answered."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from smsgate.api.dialects.smsfactor.marketing import OPT_OUT_MENTION
from smsgate.bootstrap import Gateway
from smsgate.clock import FrozenClock
from smsgate.domain.messages import MessageKind, MessageStatus
from tests.api.dialects.conftest import SEED_JSON, SEED_XML, table_counts

MONDAY_NOON_PARIS = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)


def campaign(text: str = "Message via API", **message: Any) -> dict[str, Any]:
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["message"] = {"text": text, **message}
    return body


async def report(gateway: Gateway, ticket: str) -> Any:
    account = await gateway.accounts.get("factor")
    return await gateway.queries.batch_messages(account, int(ticket))


async def test_smsfactor_seed_campaign_queues_each_gsm_with_its_gsmsmsid(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.post("/smsfactor/send", json=SEED_JSON, headers=sf_json)
    data = response.json()
    assert response.status_code == 200
    assert data["status"] == 1
    assert (data["cost"], data["credits"], data["total"], data["sent"]) == (2, 98, 2, 2)
    batch_report, messages = await report(gateway, data["ticket"])
    assert batch_report.batch.sender == "Illidan"
    assert batch_report.batch.scheduled_at is None  # a delay in the past sends at once
    assert [(m.recipient, m.reference, m.status) for m in messages] == [
        ("+33612345678", "100", MessageStatus.QUEUED),
        ("+33612345677", "101", MessageStatus.QUEUED),
    ]


async def test_smsfactor_xml_campaign_is_read_like_the_json_one(
    client: httpx.AsyncClient, gateway: Gateway, sf_token: str
) -> None:
    headers = {"Authorization": f"Bearer {sf_token}", "Content-Type": "application/xml"}
    response = await client.post("/smsfactor/send", content=SEED_XML, headers=headers)
    assert response.headers["content-type"] == "application/xml"
    assert "<status>1</status><message>OK</message><ticket>1</ticket>" in response.text
    _, messages = await report(gateway, "1")
    assert [m.reference for m in messages] == ["100", "101"]


async def test_smsfactor_simulate_answers_without_ticket_and_charges_nothing(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.post("/smsfactor/send/simulate", json=SEED_JSON, headers=sf_json)
    data = response.json()
    assert data["status"] == 1
    assert "ticket" not in data
    assert (data["cost"], data["credits"], data["sent"]) == (2, 98, 2)
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_smsfactor_delay_is_europe_paris_local_time(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    winter = await client.post(
        "/smsfactor/send", json=campaign(delay="2026-12-01 10:38:06"), headers=sf_json
    )
    summer = await client.post(
        "/smsfactor/send", json=campaign(delay="2027-07-01 10:00:00"), headers=sf_json
    )
    winter_report, messages = await report(gateway, winter.json()["ticket"])
    summer_report, _ = await report(gateway, summer.json()["ticket"])
    assert winter_report.batch.scheduled_at == datetime(2026, 12, 1, 9, 38, 6, tzinfo=UTC)
    assert summer_report.batch.scheduled_at == datetime(2027, 7, 1, 8, 0, tzinfo=UTC)
    assert {m.status for m in messages} == {MessageStatus.SCHEDULED}


@pytest.mark.parametrize("flag", [1, "1", True])
async def test_smsfactor_unicode_1_forces_ucs2_and_70_character_segments(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str], flag: object
) -> None:
    response = await client.post(
        "/smsfactor/send", json=campaign("a" * 71, unicode=flag), headers=sf_json
    )
    data = response.json()
    batch_report, _ = await report(gateway, data["ticket"])
    assert batch_report.batch.encoding == "ucs2"
    assert batch_report.batch.segments == 2
    assert data["cost"] == 4


async def test_smsfactor_unicode_0_keeps_gsm7(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.post(
        "/smsfactor/send", json=campaign("a" * 71, unicode=0), headers=sf_json
    )
    batch_report, _ = await report(gateway, response.json()["ticket"])
    assert (batch_report.batch.encoding, batch_report.batch.segments) == ("gsm7", 1)


async def test_smsfactor_marketing_appends_the_opt_out_mention_and_counts_it(
    client: httpx.AsyncClient, gateway: Gateway, clock: FrozenClock, sf_json: dict[str, str]
) -> None:
    clock.set(MONDAY_NOON_PARIS)
    response = await client.post(
        "/smsfactor/send", json=campaign("a" * 150, pushtype="marketing"), headers=sf_json
    )
    data = response.json()
    batch_report, messages = await report(gateway, data["ticket"])
    assert batch_report.batch.text == "a" * 150 + OPT_OUT_MENTION
    assert batch_report.batch.kind is MessageKind.MARKETING
    assert batch_report.batch.segments == 2  # 150 + 14 characters: the mention tips it over
    assert data["cost"] == 4
    assert batch_report.batch.scheduled_at is None  # Monday noon: sent at once
    assert {m.status for m in messages} == {MessageStatus.QUEUED}


async def test_smsfactor_marketing_on_a_sunday_is_held_until_monday_eight_paris(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.post(  # the clock says Sunday 2026-11-22, 11:00 in Paris
        "/smsfactor/send", json=campaign(pushtype="marketing"), headers=sf_json
    )
    batch_report, messages = await report(gateway, response.json()["ticket"])
    assert batch_report.batch.scheduled_at == datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
    assert {m.status for m in messages} == {MessageStatus.SCHEDULED}


async def test_smsfactor_marketing_delay_in_the_evening_moves_to_the_next_morning(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    body = campaign(pushtype="marketing", delay="2026-11-24 21:30:00")
    response = await client.post("/smsfactor/send", json=body, headers=sf_json)
    batch_report, _ = await report(gateway, response.json()["ticket"])
    assert batch_report.batch.scheduled_at == datetime(2026, 11, 25, 7, 0, tzinfo=UTC)


async def test_smsfactor_marketing_delay_within_hours_is_kept(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    body = campaign(pushtype="marketing", delay="2026-11-24 15:00:00")
    response = await client.post("/smsfactor/send", json=body, headers=sf_json)
    batch_report, _ = await report(gateway, response.json()["ticket"])
    assert batch_report.batch.scheduled_at == datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


async def test_smsfactor_alert_on_a_sunday_goes_at_once_without_mention(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.post(
        "/smsfactor/send", json=campaign(pushtype="alert"), headers=sf_json
    )
    batch_report, messages = await report(gateway, response.json()["ticket"])
    assert batch_report.batch.text == "Message via API"
    assert batch_report.batch.scheduled_at is None
    assert {m.status for m in messages} == {MessageStatus.QUEUED}


async def test_smsfactor_filtering_counters_follow_the_verdicts(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    await gateway.accounts.blacklist_add("factor", ["33612345670"])
    body = copy.deepcopy(SEED_JSON)
    body["sms"]["recipients"]["gsm"] = [
        {"value": "33612345678"},
        {"value": "0612345678"},  # the same number, national form: duplicated
        {"value": "33612345670"},
        {"value": "12"},
        {"value": 33612345677},  # a JSON number, as PHP clients send
    ]
    data = (await client.post("/smsfactor/send", json=body, headers=sf_json)).json()
    assert {k: data[k] for k in ("total", "sent", "duplicated", "blacklisted", "invalid")} == {
        "total": 5,
        "sent": 2,
        "duplicated": 1,
        "blacklisted": 1,
        "invalid": 1,
    }
    assert data["cost"] == 2


@pytest.mark.parametrize(
    ("accept", "content_type"),
    [
        (None, "application/xml"),  # SMSFactor's default
        ("*/*", "application/xml"),
        ("application/json", "application/json"),
        ("text/xml", "application/xml"),
        ("application/json, application/xml;q=0.9", "application/json"),
        ("application/xml, application/json", "application/xml"),
    ],
)
async def test_smsfactor_answer_format_follows_accept(
    client: httpx.AsyncClient, sf_token: str, accept: str | None, content_type: str
) -> None:
    headers = {"Authorization": f"Bearer {sf_token}"}
    if accept is not None:
        headers["Accept"] = accept
    response = await client.get("/smsfactor/credits", headers=headers)
    assert response.headers["content-type"] == content_type


async def test_smsfactor_xml_gsm_forms_one_without_id_and_child_elements(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    body = b"""<sms><message><text><![CDATA[Tom & Jerry <3]]></text><unicode>1</unicode></message>
    <recipients><gsm>33612345678</gsm><gsm><gsmsmsid>7</gsmsmsid><value>33612345677</value></gsm>
    </recipients></sms>"""
    headers = sf_json | {"Content-Type": "text/xml"}
    data = (await client.post("/smsfactor/send", content=body, headers=headers)).json()
    assert data["sent"] == 2
    batch_report, messages = await report(gateway, data["ticket"])
    assert batch_report.batch.text == "Tom & Jerry <3"
    assert batch_report.batch.encoding == "ucs2"
    assert [m.reference for m in messages] == [None, "7"]


async def test_smsfactor_single_message_by_get_with_token_in_the_query(
    client: httpx.AsyncClient, gateway: Gateway, sf_token: str
) -> None:
    response = await client.get(
        "/smsfactor/send",
        params={"to": "33612345678", "text": "Hello world", "token": sf_token, "gsmsmsid": "x1"},
        headers={"Accept": "application/json"},
    )
    data = response.json()
    assert (data["status"], data["sent"], data["cost"]) == (1, 1, 1)
    _, messages = await report(gateway, data["ticket"])
    assert [(m.recipient, m.reference) for m in messages] == [("+33612345678", "x1")]


async def test_smsfactor_single_message_simulate_by_get_charges_nothing(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    response = await client.get(
        "/smsfactor/send/simulate", params={"to": "33612345678", "text": "hi"}, headers=sf_json
    )
    assert response.json()["sent"] == 1
    assert await table_counts(gateway) == (0, 0, 100_000_000)


async def test_smsfactor_credits_is_the_balance_as_a_string(
    client: httpx.AsyncClient, gateway: Gateway, sf_json: dict[str, str]
) -> None:
    await gateway.accounts.add_credit("factor", 500_000, "half a credit")
    data = (await client.get("/smsfactor/credits", headers=sf_json)).json()
    assert data == {
        "status": 1,
        "message": "OK",
        "credits": "100.5",
        "postpaid": "0",
        "postpaid_limit": False,
        "unlimited": False,
    }

"""The native campaign API over in-process HTTP: drafts, estimates, launches, pause, resume,
cancel, their errors, and the per-recipient report."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import Account
from smsgate.domain.contacts import ContactInput
from smsgate.services.accounts import NewAccount
from tests.conftest import in_status

CAMPAIGNS = "/api/v1/campaigns"


def numbers(first: int, count: int) -> list[str]:
    return [f"+336123456{n:02d}" for n in range(first, first + count)]


async def contact_list(gateway: Gateway, account: Account, name: str, listed: list[str]) -> int:
    created = await gateway.contacts.create_list(account, name)
    await gateway.contacts.add_contacts(account, created.id, [ContactInput(n) for n in listed])
    return created.id


async def create(client: httpx.AsyncClient, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = await client.post(
        CAMPAIGNS, json={"name": "promo", "text": "Sale"} | body, headers=auth
    )
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def act(
    client: httpx.AsyncClient, auth: dict[str, str], campaign_id: int, action: str
) -> httpx.Response:
    return await client.post(f"{CAMPAIGNS}/{campaign_id}/{action}", headers=auth)


async def test_campaign_api_draft_estimate_launch_pause_resume_cancel_follows_its_states(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    alice = await gateway.accounts.get("alice")
    listed = await contact_list(gateway, alice, "fans", numbers(0, 4))
    draft = await create(client, auth, lists=[listed], numbers=[numbers(3, 1)[0], "12"])
    assert draft["status"] == "draft"
    assert (draft["type"], draft["lists"], draft["numbers"]) == ("marketing", [listed], 1)
    assert draft["invalid_numbers"] == ["12"]
    assert (draft["batch_id"], draft["progress"], draft["schedule_at"]) == (None, {}, None)
    campaign_id = draft["id"]

    estimate = (await act(client, auth, campaign_id, "estimate")).json()
    assert estimate["recipients"] == estimate["audience"] == 4
    assert (estimate["duplicates"], estimate["invalid"]) == (1, 1)
    assert estimate["verdicts"]["accepted"] == 4
    assert (estimate["segments"], estimate["cost"], estimate["by_region"]) == (4, "4", {"FR": 4})

    launched = await act(client, auth, campaign_id, "launch")
    assert launched.status_code == 202
    body = launched.json()
    assert (body["messages"], body["cost"], body["balance"]) == (4, "4", "96")
    assert body["campaign"]["status"] == "sending"
    assert body["campaign"]["progress"] == {"queued": 4}
    assert body["campaign"]["batch_id"] is not None

    paused = await act(client, auth, campaign_id, "pause")
    assert (paused.status_code, paused.json()["status"]) == (200, "paused")
    assert paused.json()["progress"] == {"paused": 4}
    resumed = await act(client, auth, campaign_id, "resume")
    assert (resumed.json()["status"], resumed.json()["progress"]) == ("sending", {"queued": 4})

    cancelled = (await act(client, auth, campaign_id, "cancel")).json()
    assert (cancelled["cancelled"], cancelled["refund"]) == (4, "4")
    assert cancelled["balance"] == "100"  # everything charged came back
    assert cancelled["campaign"]["status"] == "cancelled"
    assert cancelled["campaign"]["progress"] == {"cancelled": 4}
    shown = (await client.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)).json()
    assert shown["status"] == "cancelled"
    assert (await client.get("/api/v1/balance", headers=auth)).json()["balance"] == "100"


@pytest.mark.parametrize(
    ("schedule_at", "timezone", "instant"),
    [
        ("2026-11-23T09:30:00", "Europe/Paris", "2026-11-23T08:30:00Z"),
        ("2026-11-23T09:30", "UTC+08:00", "2026-11-23T01:30:00Z"),
        ("2026-11-23T09:30:00+08:00", "Europe/Paris", "2026-11-23T01:30:00Z"),  # offset wins
    ],
)
async def test_campaign_api_schedule_without_offset_is_local_to_its_timezone(
    client: httpx.AsyncClient, auth: dict[str, str], schedule_at: str, timezone: str, instant: str
) -> None:
    draft = await create(
        client, auth, numbers=numbers(0, 2), schedule_at=schedule_at, timezone=timezone
    )
    assert (draft["schedule_at"], draft["timezone"]) == (instant, timezone)
    launched = (await act(client, auth, draft["id"], "launch")).json()
    assert launched["campaign"]["status"] == "scheduled"
    assert launched["campaign"]["progress"] == {"scheduled": 2}


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"type": "promo"}, 422, "invalid_request"),
        ({"timezone": "Mars/Olympus"}, 422, "invalid_schedule"),
        ({"schedule_at": "2026-11-23T09:30", "timezone": "Mars/Olympus"}, 422, "invalid_schedule"),
        ({"schedule_at": "next tuesday"}, 422, "invalid_schedule"),
        ({"schedule_at": "2036-11-23T09:30:00Z"}, 422, "invalid_schedule"),
        ({"name": "  "}, 400, "invalid_request"),
        ({"text": ""}, 422, "empty_text"),
        ({"numbers": ["12"]}, 422, "no_recipients"),
        ({"lists": ["1"]}, 422, "invalid_request"),
        ({"colour": "red"}, 422, "invalid_request"),
    ],
)
async def test_campaign_api_create_with_bad_field_answers_error_and_writes_nothing(
    client: httpx.AsyncClient,
    gateway: Gateway,
    auth: dict[str, str],
    body: dict[str, Any],
    status: int,
    code: str,
) -> None:
    sent = {"name": "promo", "text": "Sale", "numbers": numbers(0, 1)} | body
    response = await client.post(CAMPAIGNS, json=sent, headers=auth)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    async with gateway.store.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.campaigns)) == 0


async def test_campaign_api_unknown_list_answers_404(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    response = await client.post(
        CAMPAIGNS, json={"name": "c", "text": "hi", "lists": [999]}, headers=auth
    )
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["details"] == {"lists": [999]}


async def test_campaign_api_other_accounts_campaign_and_list_answer_404(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    _, issued = await gateway.accounts.create(
        NewAccount(username="bob", password="secret-pw", credit_micros=100_000_000)
    )
    bob_auth = {"Authorization": f"Bearer {issued.key}"}
    alice = await gateway.accounts.get("alice")
    listed = await contact_list(gateway, alice, "mine", numbers(0, 2))
    refused = await client.post(
        CAMPAIGNS, json={"name": "c", "text": "hi", "lists": [listed]}, headers=bob_auth
    )
    assert refused.status_code == 404
    campaign_id = (await create(client, auth, lists=[listed]))["id"]

    calls = [client.get(f"{CAMPAIGNS}/{campaign_id}", headers=bob_auth)]
    calls += [client.get(f"{CAMPAIGNS}/{campaign_id}/messages", headers=bob_auth)]
    calls += [
        act(client, bob_auth, campaign_id, action)
        for action in ("estimate", "launch", "pause", "resume", "cancel")
    ]
    for call in calls:
        response = await call
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get(CAMPAIGNS, headers=bob_auth)).json()["data"] == []
    assert (await client.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)).json()[
        "status"
    ] == "draft"


async def test_campaign_api_state_change_it_cannot_make_answers_409(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    campaign_id = (await create(client, auth, numbers=numbers(0, 1)))["id"]
    for action in ("resume", "pause"):  # a draft is neither paused nor launched
        response = await act(client, auth, campaign_id, action)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_transition"
        assert response.json()["error"]["details"]["current"] == "draft"
    assert (await act(client, auth, campaign_id, "launch")).status_code == 202
    resumed = await act(client, auth, campaign_id, "resume")  # sending, not paused
    assert (resumed.status_code, resumed.json()["error"]["details"]) == (
        409,
        {"current": "sending"},
    )
    assert (await act(client, auth, campaign_id, "launch")).status_code == 409
    assert (await act(client, auth, campaign_id, "cancel")).status_code == 200
    assert (await act(client, auth, campaign_id, "cancel")).status_code == 409


async def test_campaign_api_launch_without_credit_answers_402_and_stays_draft(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    await gateway.accounts.add_credit("alice", -98_000_000, None)
    campaign_id = (await create(client, auth, numbers=numbers(0, 3)))["id"]
    response = await act(client, auth, campaign_id, "launch")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_credit"
    assert (await client.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)).json()[
        "status"
    ] == "draft"


async def test_campaign_api_without_key_answers_401(client: httpx.AsyncClient) -> None:
    response = await client.get(CAMPAIGNS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_campaign_api_report_pages_recipients_and_filters_by_status(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    campaign_id = (await create(client, auth, numbers=numbers(0, 5)))["id"]
    empty = (await client.get(f"{CAMPAIGNS}/{campaign_id}/messages", headers=auth)).json()
    assert (empty["status"], empty["data"], empty["next_before"]) == ("draft", [], None)
    launched = (await act(client, auth, campaign_id, "launch")).json()
    async with gateway.store.engine.begin() as conn:
        await conn.execute(
            t.messages.update()
            .where(t.messages.c.recipient.in_(numbers(0, 2)))
            .values(**in_status("failed"), error_code="0x0000000B")
        )

    rows: list[dict[str, Any]] = []
    before: int | None = None
    while True:
        params: dict[str, Any] = {"limit": 2} | ({"before": before} if before else {})
        page = await client.get(f"{CAMPAIGNS}/{campaign_id}/messages", params=params, headers=auth)
        assert page.status_code == 200
        rows += page.json()["data"]
        before = page.json()["next_before"]
        if before is None:
            break
    assert sorted(row["to"] for row in rows) == numbers(0, 5)
    assert [row["id"] for row in rows] == sorted((row["id"] for row in rows), reverse=True)
    assert set(rows[0]) == {
        "id", "to", "country", "status", "error_code", "segments", "price", "updated_at",
    }  # fmt: skip
    assert {(row["segments"], row["price"], row["country"]) for row in rows} == {(1, "1", "FR")}
    assert launched["campaign"]["progress"] == {"queued": 5}

    failed = await client.get(
        f"{CAMPAIGNS}/{campaign_id}/messages", params={"status": "failed"}, headers=auth
    )
    assert sorted((r["to"], r["error_code"]) for r in failed.json()["data"]) == [
        (n, "0x0000000B") for n in numbers(0, 2)
    ]
    shown = (await client.get(f"{CAMPAIGNS}/{campaign_id}", headers=auth)).json()
    assert shown["progress"] == {"failed": 2, "queued": 3}
    wrong = await client.get(
        f"{CAMPAIGNS}/{campaign_id}/messages", params={"status": "lost"}, headers=auth
    )
    assert wrong.status_code == 422


async def test_campaign_api_list_pages_newest_first_without_counts(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    ids = [
        (await create(client, auth, name=f"c{i}", numbers=numbers(i, 1)))["id"] for i in range(3)
    ]
    first = (await client.get(CAMPAIGNS, params={"limit": 2}, headers=auth)).json()
    assert [c["id"] for c in first["data"]] == ids[:0:-1]
    assert "progress" not in first["data"][0]
    second = await client.get(
        CAMPAIGNS, params={"limit": 2, "before": first["next_before"]}, headers=auth
    )
    assert [c["id"] for c in second.json()["data"]] == ids[:1]
    assert second.json()["next_before"] is None
    too_many = await client.get(CAMPAIGNS, params={"limit": 101}, headers=auth)
    assert too_many.status_code == 422

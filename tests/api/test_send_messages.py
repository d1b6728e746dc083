from __future__ import annotations

import httpx


async def test_send_two_valid_one_invalid_one_duplicate_queues_two_and_charges(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    body = {"to": ["09121234567", "+989121234568", "12", "0912 123 4567"], "text": "hello"}
    response = await client.post("/api/v1/messages", json=body, headers=auth)
    assert response.status_code == 202, response.text
    data = response.json()
    assert data["batch_id"] > 0
    assert [m["to"] for m in data["messages"]] == ["+989121234567", "+989121234568"]
    assert all(m["segments"] == 1 and m["status"] == "queued" for m in data["messages"])
    assert data["counts"]["accepted"] == 2
    assert data["counts"]["invalid"] == 1
    assert data["counts"]["duplicated"] == 1
    assert data["cost"] == "2"
    assert data["balance"] == "98"
    balance = await client.get("/api/v1/balance", headers=auth)
    assert balance.json() == {"balance": "98", "unit": "credits"}

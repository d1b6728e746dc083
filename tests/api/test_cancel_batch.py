"""POST /api/v1/batches/{id}/cancel: the batch report after cancelling, with the refund."""

from __future__ import annotations

import httpx

from smsgate.bootstrap import Gateway
from smsgate.services.accounts import NewAccount


async def test_cancel_scheduled_batch_returns_report_and_refunds(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    body = {
        "to": ["09121234567", "09121234568"],
        "text": "hi",
        "schedule_at": "2026-12-01T10:00:00+00:00",
    }
    sent = (await client.post("/api/v1/messages", json=body, headers=auth)).json()
    response = await client.post(f"/api/v1/batches/{sent['batch_id']}/cancel", headers=auth)
    assert response.status_code == 200
    data = response.json()
    assert data["id"] == sent["batch_id"]
    assert data["statuses"] == {"cancelled": 2}
    assert (data["cancelled"], data["refund"], data["balance"]) == (2, "2", "100")
    balance = await client.get("/api/v1/balance", headers=auth)
    assert balance.json()["balance"] == "100"
    entries = await gateway.accounts.ledger("alice")
    assert [e.kind for e in entries] == ["topup", "charge", "refund"]
    assert sum(e.amount_micros for e in entries) == 100_000_000


async def test_cancel_other_accounts_or_unknown_batch_is_404(
    client: httpx.AsyncClient, gateway: Gateway, auth: dict[str, str]
) -> None:
    sent = (
        await client.post(
            "/api/v1/messages", json={"to": ["09121234567"], "text": "hi"}, headers=auth
        )
    ).json()
    _, issued = await gateway.accounts.create(NewAccount(username="bob", password="secret-pw"))
    other = {"Authorization": f"Bearer {issued.key}"}
    foreign = await client.post(f"/api/v1/batches/{sent['batch_id']}/cancel", headers=other)
    unknown = await client.post("/api/v1/batches/999/cancel", headers=auth)
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == "not_found"
    report = await client.get(f"/api/v1/batches/{sent['batch_id']}", headers=auth)
    assert report.json()["statuses"] == {"queued": 1}

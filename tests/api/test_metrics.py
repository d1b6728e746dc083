"""GET /metrics: Prometheus text, with the queue depth counted at scrape time."""

from __future__ import annotations

import httpx


async def test_metrics_show_messages_by_status(
    client: httpx.AsyncClient, auth: dict[str, str]
) -> None:
    sent = await client.post(
        "/api/v1/messages", json={"to": ["+989121234567"], "text": "hi"}, headers=auth
    )
    assert sent.status_code == 202
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert 'smsgate_messages{status="queued"} 1.0' in response.text
    assert 'smsgate_messages{status="delivered"} 0.0' in response.text
    assert "smsgate_submit_seconds" in response.text

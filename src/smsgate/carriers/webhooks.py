"""The webhook poster: events from the outbox, POSTed as signed JSON, retried with back-off.

    X-Smsgate-Timestamp: 1795600000
    X-Smsgate-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>.<body>")>

Receivers recompute the HMAC over the timestamp, a dot and the raw body with the account's
webhook secret, compare in constant time, and refuse old timestamps (replays). A slow or dead
receiver never slows sending: posts run here, apart from the dispatcher, a few at a time, with
a time-out, and failures only move the event's next try later (docs/webhooks.md).

URLs that resolve to loopback, private, link-local or otherwise internal addresses are refused
unless the operator allows them (SMSGATE_WEBHOOK_ALLOW_PRIVATE), so that a customer cannot
make the gateway call into its own network.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import socket
import time
from urllib.parse import urlsplit

import httpx

from smsgate.carriers.metrics import METRICS
from smsgate.ports import OutboxItem
from smsgate.services.webhooks import WebhookOutbox

log = logging.getLogger(__name__)

USER_AGENT = "smsgate-webhooks/1"


class UnsafeUrl(Exception):
    """The URL may not be fetched (scheme, or an internal address)."""


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "v1=" + digest.hexdigest()


async def check_url(url: str, *, allow_private: bool) -> None:
    """Raise UnsafeUrl unless `url` is http(s) to a public address (or private ones allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeUrl("only http(s) URLs with a host")
    if allow_private:
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            parts.hostname,
            parts.port or (443 if parts.scheme == "https" else 80),
            type=socket.SOCK_STREAM,
        )
    except OSError as exc:
        raise UnsafeUrl(f"cannot resolve {parts.hostname}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global or address.is_multicast:
            raise UnsafeUrl(f"{parts.hostname} resolves to an internal address ({address})")


class WebhookPoster:
    def __init__(
        self,
        outbox: WebhookOutbox,
        *,
        timeout_s: float = 10.0,
        allow_private: bool = False,
        concurrency: int = 8,
        idle_poll_s: float = 0.5,
    ) -> None:
        self._outbox = outbox
        self._allow_private = allow_private
        self._limit = asyncio.Semaphore(concurrency)
        self._idle_poll_s = idle_poll_s
        self._client = httpx.AsyncClient(
            timeout=timeout_s,
            follow_redirects=False,
            headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
        )
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="webhook-poster")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self._client.aclose()

    async def _run(self) -> None:
        while True:
            try:
                posted = await self.post_due()
            except Exception:
                log.exception("webhook round failed", extra={"event": "webhooks.failed"})
                posted = 0
            if not posted:
                await asyncio.sleep(self._idle_poll_s)  # poll: events come from any process

    async def post_due(self) -> int:
        """Post every due event once; returns how many were tried."""
        items = await self._outbox.due()
        await asyncio.gather(*(self._post_one(item) for item in items))
        return len(items)

    async def _post_one(self, item: OutboxItem) -> None:
        async with self._limit:
            try:
                await self._post(item)
            except (UnsafeUrl, httpx.HTTPError) as exc:  # retried later, with back-off
                METRICS.webhooks.labels("failed").inc()
                alive = await self._outbox.failed(item, f"{type(exc).__name__}: {exc}")
                log.warning(
                    "webhook failed event=%s account=%s attempts=%s error=%s%s",
                    item.id,
                    item.account_id,
                    item.attempts + 1,
                    exc,
                    "" if alive else " (given up)",
                    extra={"event": "webhooks.post_failed"},
                )
                return
            METRICS.webhooks.labels("sent").inc()
            await self._outbox.posted(item)

    async def _post(self, item: OutboxItem) -> None:
        if not item.url:
            raise UnsafeUrl("the account has no webhook URL any more")
        await check_url(item.url, allow_private=self._allow_private)
        body = item.body.encode()
        timestamp = str(int(time.time()))
        headers = {"X-Smsgate-Timestamp": timestamp, "X-Smsgate-Event": item.event}
        if item.secret:
            headers["X-Smsgate-Signature"] = signature(item.secret, timestamp, body)
        response = await self._client.post(item.url, content=body, headers=headers)
        if not 200 <= response.status_code < 300:
            raise httpx.HTTPStatusError(
                f"answered {response.status_code}", request=response.request, response=response
            )

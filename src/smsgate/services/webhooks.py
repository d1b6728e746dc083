"""The webhook outbox: events enqueued in the transaction of the change they report, then
handed to the poster (carriers/webhooks.py) with a lease, and retried with back-off."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import orjson

from smsgate.ports import Clock, OutboxEvent, OutboxItem, Store, Transaction


@dataclass(frozen=True, slots=True)
class WebhookPolicy:
    lease: timedelta = timedelta(seconds=60)  # an event handed out and not settled by then
    attempts: int = 15  # then the event is kept as dead
    retry_first: timedelta = timedelta(seconds=5)
    retry_max: timedelta = timedelta(hours=6)


async def enqueue_events(
    tx: Transaction,
    events: Sequence[tuple[int, str, Mapping[str, object]]],
    now: datetime,
    targets: set[int] | None = None,
) -> None:
    """Queue `(account_id, event, data)` for the accounts that have a webhook URL
    (`targets`, when the caller has looked them up already)."""
    if not events:
        return
    if targets is None:
        targets = await tx.outbox.webhook_targets([account_id for account_id, _, _ in events])
    await tx.outbox.add_events(
        [
            OutboxEvent(account_id, event, orjson.dumps({"event": event, "data": data}).decode())
            for account_id, event, data in events
            if account_id in targets
        ],
        now,
    )


class WebhookOutbox:
    def __init__(self, store: Store, clock: Clock, policy: WebhookPolicy | None = None) -> None:
        self._store = store
        self._clock = clock
        self.policy = policy or WebhookPolicy()

    async def due(self, limit: int = 100) -> list[OutboxItem]:
        """Events due for a post, leased to the caller for `policy.lease`."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            return await tx.outbox.due_events(now, now + self.policy.lease, limit)

    async def posted(self, item: OutboxItem) -> None:
        async with self._store.transaction(write=True) as tx:
            await tx.outbox.finish_event(
                item.id, "sent", item.attempts + 1, self._clock.now(), None
            )

    async def failed(self, item: OutboxItem, error: str) -> bool:
        """Schedule the next try with back-off; returns False once the event is given up."""
        attempts = item.attempts + 1
        now = self._clock.now()
        dead = attempts >= self.policy.attempts
        delay = min(self.policy.retry_first * (1 << min(attempts - 1, 20)), self.policy.retry_max)
        async with self._store.transaction(write=True) as tx:
            await tx.outbox.finish_event(
                item.id, "dead" if dead else "pending", attempts, now + delay, error[:255]
            )
        return not dead

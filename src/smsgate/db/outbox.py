"""The webhook outbox: events written with the change they report, posted later."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.ports import OutboxEvent, OutboxItem

# Accounts among :ids with a webhook URL: asked once per batch of final messages.
_WEBHOOK_TARGETS = dialects.PerDialect(
    lambda postgresql_: sa.select(t.accounts.c.id).where(
        dialects.in_param(postgresql_, t.accounts.c.id, "ids", sa.BigInteger),
        t.accounts.c.webhook_url.is_not(None),
    )
)


class SqlOutbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _in(self, column: sa.ColumnElement[int], values: Sequence[int]) -> sa.ColumnElement[bool]:
        found: sa.ColumnElement[bool] = dialects.in_values(self._conn, column, values)
        return found

    async def webhook_targets(self, account_ids: Sequence[int]) -> set[int]:
        if not account_ids:
            return set()
        rows = await self._conn.execute(
            _WEBHOOK_TARGETS(self._conn), {"ids": sorted(set(account_ids))}
        )
        return {int(row.id) for row in rows}

    async def add_events(self, events: Sequence[OutboxEvent], now: datetime) -> None:
        if not events:
            return
        await self._conn.execute(
            t.webhook_outbox.insert(),
            [
                {
                    "account_id": e.account_id,
                    "event": e.event,
                    "body": e.body,
                    "status": "pending",
                    "attempts": 0,
                    "next_at": now,
                    "last_error": None,
                    "created_at": now,
                }
                for e in events
            ],
        )

    async def due_events(
        self, now: datetime, lease_until: datetime, limit: int
    ) -> builtins.list[OutboxItem]:
        o = t.webhook_outbox.c
        a = t.accounts.c
        query = (
            sa.select(o.id)
            .where(o.status == "pending", o.next_at <= now)
            .order_by(o.next_at, o.id)
            .limit(limit)
        )
        if dialects.is_postgresql(self._conn):
            query = query.with_for_update(skip_locked=True)
        ids = [row.id for row in await self._conn.execute(query)]
        if not ids:
            return []
        await self._conn.execute(
            t.webhook_outbox.update().where(self._in(o.id, ids)).values(next_at=lease_until)
        )
        rows = await self._conn.execute(
            sa.select(
                o.id, o.account_id, o.event, o.body, o.attempts, a.webhook_url, a.webhook_secret
            )
            .join_from(t.webhook_outbox, t.accounts, a.id == o.account_id)
            .where(self._in(o.id, ids))
            .order_by(o.id)
        )
        return [
            OutboxItem(
                row.id,
                row.account_id,
                row.event,
                row.body,
                row.attempts,
                row.webhook_url,
                row.webhook_secret,
            )
            for row in rows
        ]

    async def finish_event(
        self, event_id: int, status: str, attempts: int, next_at: datetime, error: str | None
    ) -> None:
        o = t.webhook_outbox.c
        await self._conn.execute(
            t.webhook_outbox.update()
            .where(o.id == event_id)
            .values(status=status, attempts=attempts, next_at=next_at, last_error=error)
        )

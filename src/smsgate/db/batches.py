"""Batches and messages: the hot insert path of every send request, and their queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.db.queueing import batch_row, queue_batch
from smsgate.domain.accounts import Service
from smsgate.domain.batches import (
    Batch,
    Message,
    MessageFilter,
    NewBatch,
    NewMessage,
    RefusedRecipient,
)
from smsgate.domain.messages import (
    MessageKind,
    MessageStatus,
    allowed_sources,
)
from smsgate.ports.accounts import QueuedBatch

MESSAGE_COLUMNS = [
    t.messages.c.id,
    t.messages.c.batch_id,
    t.messages.c.account_id,
    t.messages.c.recipient,
    t.messages.c.region,
    t.messages.c.reference,
    t.messages.c.segments,
    t.messages.c.price_micros,
    t.messages.c.status,
    t.messages.c.scheduled_at,
    t.messages.c.created_at,
    t.messages.c.updated_at,
    t.messages.c.error_code,
    t.messages.c.carrier_message_id,
]


def _message(row: sa.Row[Any]) -> Message:
    values = row._asdict()
    values["status"] = MessageStatus(values["status"])
    return Message(**values)


def _batch(row: sa.Row[Any]) -> Batch:
    values = row._asdict()
    values["service"] = Service(values["service"])
    values["kind"] = MessageKind(values["kind"])
    values["refused"] = [RefusedRecipient(**r) for r in values["refused"]]
    replay = values["replay_recipients"]
    values["replay_recipients"] = (
        None if replay is None else [RefusedRecipient(**r) for r in replay]
    )
    return Batch(**values)


class SqlBatches:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, batch: NewBatch) -> int:
        result = await self._conn.execute(
            t.batches.insert().returning(t.batches.c.id), batch_row(batch)
        )
        return int(result.scalar_one())

    async def queue(
        self, batch: NewBatch, messages: Sequence[NewMessage], status: str
    ) -> QueuedBatch | None:
        return await queue_batch(self._conn, batch, messages, status)

    async def get(self, account_id: int, batch_id: int) -> Batch | None:
        query = sa.select(t.batches).where(
            t.batches.c.id == batch_id, t.batches.c.account_id == account_id
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _batch(row)

    async def by_idempotency_key(self, account_id: int, key: str) -> Batch | None:
        query = sa.select(t.batches).where(
            t.batches.c.account_id == account_id, t.batches.c.idempotency_key == key
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _batch(row)

    async def message(self, account_id: int, message_id: int) -> Message | None:
        query = sa.select(*MESSAGE_COLUMNS).where(
            t.messages.c.id == message_id, t.messages.c.account_id == account_id
        )
        row = (await self._conn.execute(query)).first()
        return None if row is None else _message(row)

    async def messages(self, account_id: int, query: MessageFilter) -> list[Message]:
        m = t.messages.c
        where = [m.account_id == account_id]
        if query.batch_id is not None:
            where.append(m.batch_id == query.batch_id)
        if query.status is not None:
            where.append(m.status == str(query.status))
        if query.recipient is not None:
            where.append(m.recipient == query.recipient)
        if query.before_id is not None:
            where.append(m.id < query.before_id)
        select = sa.select(*MESSAGE_COLUMNS).where(*where).order_by(m.id.desc()).limit(query.limit)
        return [_message(row) for row in await self._conn.execute(select)]

    async def messages_of_batch(self, account_id: int, batch_id: int) -> list[Message]:
        m = t.messages.c
        select = (
            sa.select(*MESSAGE_COLUMNS)
            .where(m.account_id == account_id, m.batch_id == batch_id)
            .order_by(m.id)
        )
        return [_message(row) for row in await self._conn.execute(select)]

    async def status_counts(self, account_id: int, batch_id: int) -> dict[str, int]:
        m = t.messages.c
        select = (
            sa.select(m.status, sa.func.count())
            .where(m.account_id == account_id, m.batch_id == batch_id)
            .group_by(m.status)
        )
        return {row[0]: int(row[1]) for row in await self._conn.execute(select)}

    async def cancel_pending(
        self, account_id: int, batch_id: int, now: datetime
    ) -> tuple[int, int]:
        """Cancel the messages the status table lets become cancelled: (how many, their total
        price), summed by the database, not returned row by row (a campaign may have millions).

        Only messages still scheduled, queued or paused match: one a dispatcher has claimed
        (sending) or anything later is left alone, and a row claimed concurrently is re-checked
        after its lock (PostgreSQL: one data-modifying WITH) or never seen (SQLite: sum, then
        update, under its write lock).
        """
        m = t.messages.c
        cancellable = sorted(str(s) for s in allowed_sources(MessageStatus.CANCELLED))
        where = (m.account_id == account_id, m.batch_id == batch_id, m.status.in_(cancellable))
        update = (
            t.messages.update()
            .where(*where)
            .values(status=str(MessageStatus.CANCELLED), due_at=None, updated_at=now)
        )
        if dialects.is_postgresql(self._conn):
            changed = update.returning(m.price_micros).cte("changed")
            totals = sa.select(
                sa.func.count(), sa.func.coalesce(sa.func.sum(changed.c.price_micros), 0)
            )
            row = (await self._conn.execute(totals)).one()
            return int(row[0]), int(row[1])
        row = (
            await self._conn.execute(
                sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(m.price_micros), 0)).where(
                    *where
                )
            )
        ).one()
        await self._conn.execute(update)
        return int(row[0]), int(row[1])

"""Inbound messages (MO) and the parts of concatenated ones still waiting for their rest."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.domain.inbound import InboundMessage, InboxFilter
from smsgate.ports import InboundPart, NewInbound

_COLUMNS = [
    t.inbound.c.id,
    t.inbound.c.account_id,
    t.inbound.c.sender,
    t.inbound.c.recipient,
    t.inbound.c.text,
    t.inbound.c.parts,
    t.inbound.c.is_read,
    t.inbound.c.opt_out,
    t.inbound.c.received_at,
]


def _inbound(row: sa.Row[Any]) -> InboundMessage:
    return InboundMessage(**row._asdict())


class SqlInbox:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, message: NewInbound) -> int:
        result = await self._conn.execute(
            t.inbound.insert().returning(t.inbound.c.id),
            {
                "account_id": message.account_id,
                "link_id": message.link_id,
                "sender": message.sender,
                "recipient": message.recipient,
                "text": message.text,
                "parts": message.parts,
                "is_read": False,
                "opt_out": message.opt_out,
                "received_at": message.received_at,
            },
        )
        return int(result.scalar_one())

    async def list(self, account_id: int, query: InboxFilter) -> builtins.list[InboundMessage]:
        c = t.inbound.c
        where = [c.account_id == account_id]
        if query.is_read is not None:
            where.append(c.is_read == query.is_read)
        if query.recipient is not None:
            where.append(c.recipient == query.recipient)
        if query.sender is not None:
            where.append(c.sender == query.sender)
        if query.since is not None:
            where.append(c.received_at >= query.since)
        if query.until is not None:
            where.append(c.received_at < query.until)
        if query.before_id is not None:
            where.append(c.id < query.before_id)
        select = sa.select(*_COLUMNS).where(*where).order_by(c.id.desc()).limit(query.limit)
        return [_inbound(row) for row in await self._conn.execute(select)]

    async def count(self, account_id: int, is_read: bool | None = None) -> int:
        c = t.inbound.c
        select = sa.select(sa.func.count()).where(c.account_id == account_id)
        if is_read is not None:
            select = select.where(c.is_read == is_read)
        return int((await self._conn.execute(select)).scalar_one())

    async def mark_read(self, account_id: int, ids: Sequence[int]) -> int:
        if not ids:
            return 0
        c = t.inbound.c
        result = await self._conn.execute(
            t.inbound.update()
            .where(c.account_id == account_id, dialects.in_values(self._conn, c.id, list(ids)))
            .values(is_read=True)
        )
        return int(result.rowcount)

    async def add_part(self, part: InboundPart) -> builtins.list[InboundPart] | None:
        c = t.inbound_parts.c
        await self._conn.execute(
            dialects.insert_ignore(
                self._conn,
                t.inbound_parts,
                [
                    {
                        "link_id": part.link_id,
                        "sender": part.sender,
                        "recipient": part.recipient,
                        "reference": part.reference,
                        "total": part.total,
                        "seq": part.seq,
                        "text": part.text,
                        "received_at": part.received_at,
                    }
                ],
            )
        )
        same = (
            c.link_id == part.link_id,
            c.sender == part.sender,
            c.recipient == part.recipient,
            c.reference == part.reference,
        )
        rows = (
            await self._conn.execute(
                sa.select(c.seq, c.total, c.text, c.received_at).where(*same).order_by(c.seq)
            )
        ).all()
        if len(rows) < part.total:
            return None
        await self._conn.execute(t.inbound_parts.delete().where(*same))
        return [
            InboundPart(
                part.link_id,
                part.sender,
                part.recipient,
                part.reference,
                row.total,
                row.seq,
                row.text,
                row.received_at,
            )
            for row in rows
        ]

    async def line_owner(self, number: str) -> int | None:
        row = (
            await self._conn.execute(
                sa.select(t.lines.c.account_id).where(
                    t.lines.c.number == number, t.lines.c.active.is_(True)
                )
            )
        ).first()
        return None if row is None else int(row.account_id)

"""Carrier links and routing rules."""

from __future__ import annotations

import builtins
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import tables as t
from smsgate.domain.links import BindMode, Link, LinkSettings, LongMethod, ReceiptIdFormat
from smsgate.domain.routing import Route


def _link(row: sa.Row[Any]) -> Link:
    values = row._asdict()
    link_id = values.pop("id")
    created_at = values.pop("created_at")
    values["bind_mode"] = BindMode(values["bind_mode"])
    values["long_method"] = LongMethod(values["long_method"])
    values["receipt_id_format"] = ReceiptIdFormat(values["receipt_id_format"])
    return Link(link_id, LinkSettings(**values), created_at)


def _route(row: sa.Row[Any]) -> Route:
    return Route(row.id, row.link_id, row.prefix, row.region, row.service, row.priority)


class SqlLinks:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    async def add(self, settings: LinkSettings, now: datetime) -> int:
        values = {
            k: str(v) if isinstance(v, BindMode | LongMethod | ReceiptIdFormat) else v
            for k, v in asdict(settings).items()
        }
        result = await self._conn.execute(
            t.links.insert().returning(t.links.c.id), values | {"created_at": now}
        )
        return int(result.scalar_one())

    async def _one(self, where: Any) -> Link | None:
        row = (await self._conn.execute(sa.select(t.links).where(where))).first()
        return None if row is None else _link(row)

    async def get(self, link_id: int) -> Link | None:
        return await self._one(t.links.c.id == link_id)

    async def by_name(self, name: str) -> Link | None:
        return await self._one(t.links.c.name == name)

    async def list(self) -> builtins.list[Link]:
        rows = await self._conn.execute(sa.select(t.links).order_by(t.links.c.id))
        return [_link(row) for row in rows]

    async def remove(self, link_id: int) -> bool:
        await self._conn.execute(t.routes.delete().where(t.routes.c.link_id == link_id))
        result = await self._conn.execute(t.links.delete().where(t.links.c.id == link_id))
        return bool(result.rowcount)

    async def set_enabled(self, link_id: int, enabled: bool) -> bool:
        result = await self._conn.execute(
            t.links.update().where(t.links.c.id == link_id).values(enabled=enabled)
        )
        return bool(result.rowcount)

    async def add_route(self, route: Route, now: datetime) -> int:
        result = await self._conn.execute(
            t.routes.insert().returning(t.routes.c.id),
            {
                "link_id": route.link_id,
                "prefix": route.prefix,
                "region": route.region,
                "service": route.service,
                "priority": route.priority,
                "created_at": now,
            },
        )
        return int(result.scalar_one())

    async def routes(self) -> builtins.list[Route]:
        rows = await self._conn.execute(sa.select(t.routes).order_by(t.routes.c.id))
        return [_route(row) for row in rows]

    async def remove_route(self, route_id: int) -> bool:
        result = await self._conn.execute(t.routes.delete().where(t.routes.c.id == route_id))
        return bool(result.rowcount)

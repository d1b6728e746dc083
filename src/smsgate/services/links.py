"""Carrier links and routes: what `smsgate links` and `smsgate routes` change."""

from __future__ import annotations

import builtins
from dataclasses import replace

from smsgate import errors
from smsgate.domain.links import Link, LinkSettings, check_link_settings
from smsgate.domain.routing import Route, RouteTable
from smsgate.ports import Clock, Store

MAX_PRIORITY = 1_000_000  # well inside the database's 32-bit integer column


class LinkService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def add(self, settings: LinkSettings) -> Link:
        check_link_settings(settings)
        async with self._store.transaction(write=True) as tx:
            if await tx.links.by_name(settings.name) is not None:
                raise errors.Conflict(f"a link named {settings.name!r} exists already")
            link_id = await tx.links.add(settings, self._clock.now())
            link = await tx.links.get(link_id)
        assert link is not None
        return link

    async def list(self) -> list[Link]:
        async with self._store.transaction() as tx:
            return await tx.links.list()

    async def get(self, name: str) -> Link:
        async with self._store.transaction() as tx:
            link = await tx.links.by_name(name)
        if link is None:
            raise errors.NotFound(f"no link named {name!r}")
        return link

    async def remove(self, name: str) -> None:
        async with self._store.transaction(write=True) as tx:
            link = await tx.links.by_name(name)
            if link is None:
                raise errors.NotFound(f"no link named {name!r}")
            await tx.links.remove(link.id)

    async def set_enabled(self, name: str, enabled: bool) -> Link:
        async with self._store.transaction(write=True) as tx:
            link = await tx.links.by_name(name)
            if link is None:
                raise errors.NotFound(f"no link named {name!r}")
            await tx.links.set_enabled(link.id, enabled)
        return Link(link.id, replace(link.settings, enabled=enabled), link.created_at)

    async def add_route(
        self,
        link_name: str,
        *,
        prefix: str = "",
        region: str | None = None,
        service: str | None = None,
        priority: int = 100,
    ) -> Route:
        digits = prefix[1:]
        if prefix and not (
            prefix.startswith("+") and digits.isascii() and digits.isdigit() and len(prefix) <= 16
        ):
            raise errors.InvalidRequest(f"a prefix is '+' and digits, e.g. +33: {prefix!r}")
        if region is not None and not (len(region) == 2 and region.isascii() and region.isalpha()):
            raise errors.InvalidRequest(f"a region is a 2-letter country code: {region!r}")
        if service is not None and service not in ("sms", "mms"):
            raise errors.InvalidRequest(f"service is sms or mms: {service!r}")
        if not 0 <= priority <= MAX_PRIORITY:
            raise errors.InvalidRequest(f"priority must be 0 to {MAX_PRIORITY}: {priority}")
        async with self._store.transaction(write=True) as tx:
            link = await tx.links.by_name(link_name)
            if link is None:
                raise errors.NotFound(f"no link named {link_name!r}")
            route = Route(0, link.id, prefix, region.upper() if region else None, service, priority)
            route_id = await tx.links.add_route(route, self._clock.now())
        return replace(route, id=route_id)

    async def routes(self) -> builtins.list[Route]:
        async with self._store.transaction() as tx:
            return await tx.links.routes()

    async def remove_route(self, route_id: int) -> None:
        async with self._store.transaction(write=True) as tx:
            if not await tx.links.remove_route(route_id):
                raise errors.NotFound(f"no route {route_id}")

    async def snapshot(self) -> tuple[builtins.list[Link], RouteTable]:
        """Every link and the route table over the enabled ones, read together."""
        async with self._store.transaction() as tx:
            links = await tx.links.list()
            routes = await tx.links.routes()
        return links, RouteTable(routes, [link.id for link in links if link.settings.enabled])

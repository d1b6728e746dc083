"""Helpers of the delivery end-to-end tests: a simulator, a link to it, waiting for states."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.carriers.dispatcher import Dispatcher, DispatcherConfig
from smsgate.db import tables as t
from smsgate.domain.links import LinkSettings
from smsgate.domain.messages import FINAL_STATUSES
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import NewAccount
from smsgate.services.sending import SendRequest

FAST = DispatcherConfig(idle_poll_s=0.02, flush_interval_s=0.005, refresh_links_s=0.2)


async def add_link(gateway: Gateway, port: int, name: str = "sim", **overrides: Any) -> int:
    values: dict[str, Any] = {
        "name": name,
        "host": "127.0.0.1",
        "port": port,
        "system_id": "smsgate",
        "password": "pw",
        "reconnect_min_s": 0.05,
        "reconnect_max_s": 0.2,
        "window": 20,
    }
    values.update(overrides)
    link = await gateway.links.add(LinkSettings(**values))
    await gateway.links.add_route(name)
    return link.id


@asynccontextmanager
async def running(gateway: Gateway, config: DispatcherConfig = FAST) -> AsyncIterator[Dispatcher]:
    dispatcher = Dispatcher(gateway.delivery, gateway.inbound, gateway.links, config)
    await dispatcher.start()
    try:
        yield dispatcher
    finally:
        await dispatcher.stop(drain_s=2.0)


async def wait_for(condition: Callable[[], Awaitable[bool]], timeout_s: float = 60.0) -> None:
    """Poll until `condition` holds; a bound against hanging, not a timing assertion."""
    async with asyncio.timeout(timeout_s):
        while not await condition():  # noqa: ASYNC110 -- polls the database
            await asyncio.sleep(0.02)


async def statuses(gateway: Gateway) -> dict[str, int]:
    async with gateway.store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.messages.c.status, sa.func.count()).group_by(t.messages.c.status)
        )
        return {row[0]: int(row[1]) for row in rows}


async def all_final(gateway: Gateway) -> bool:
    found = await statuses(gateway)
    return bool(found) and all(status in FINAL_STATUSES for status in found)


async def wait_until_links_up(dispatcher: Dispatcher, count: int = 1) -> None:
    async def up() -> bool:
        return sum(r.is_up for r in dispatcher.runners.values()) >= count

    await wait_for(up)


def numbers(count: int, start: int = 0) -> list[str]:
    """Distinct valid Iranian mobile numbers."""
    return [f"+98912{n:07d}" for n in range(start, start + count)]


async def rich_account(gateway: Gateway, username: str = "bulk", credits: int = 100_000) -> Any:
    account, _ = await gateway.accounts.create(
        NewAccount(username=username, password="pw-secret", credit_micros=credits * 1_000_000)
    )
    return account


async def send_many(gateway: Gateway, account: Any, count: int, text: str = "hello") -> None:
    for start in range(0, count, 1000):
        batch = numbers(min(1000, count - start), start)
        await gateway.sending.send(
            account, SendRequest(recipients=[Recipient(n) for n in batch], text=text)
        )


async def ledger_matches(gateway: Gateway, account_id: int) -> tuple[int, int]:
    """(balance, sum of the ledger) of an account."""
    async with gateway.store.engine.connect() as conn:
        balance = (
            await conn.execute(
                sa.select(t.accounts.c.balance_micros).where(t.accounts.c.id == account_id)
            )
        ).scalar_one()
        total = (
            await conn.execute(
                sa.select(sa.func.coalesce(sa.func.sum(t.ledger.c.amount_micros), 0)).where(
                    t.ledger.c.account_id == account_id
                )
            )
        ).scalar_one()
    return int(balance), int(total)


async def parts_consistent(gateway: Gateway) -> tuple[int, int]:
    """(parts whose message does not exist, parts still submitted of final messages): parts
    have no foreign key (docs/decisions/0006), the dispatcher's writes keep both at 0."""
    m, p = t.messages.c, t.parts.c
    async with gateway.store.engine.connect() as conn:
        orphans = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t.parts.outerjoin(t.messages, m.id == p.message_id))
            .where(m.id.is_(None))
        )
        open_parts = await conn.scalar(
            sa.select(sa.func.count())
            .select_from(t.parts.join(t.messages, m.id == p.message_id))
            .where(p.status == "submitted", m.status == "delivered")
        )
    return int(orphans or 0), int(open_parts or 0)


async def charged_for_kept(gateway: Gateway, account_id: int) -> int:
    """What the account should have paid: the price of every message not refunded."""
    refunded = ("rejected", "failed", "cancelled")
    async with gateway.store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.messages.c.status, t.messages.c.price_micros).where(
                t.messages.c.account_id == account_id
            )
        )
        return sum(price for status, price in rows if status not in refunded)

"""What the dispatcher claims: what its links can take, and no more than one flush batch
ahead of the database (outcomes not recorded yet keep their messages `sending` under the
lease: claiming on while the database lags would widen the duplicates window without bound
and let leases run out on messages that only wait in memory)."""

from __future__ import annotations

from typing import Any, cast

from smsgate.carriers.dispatcher import Dispatcher, DispatcherConfig
from smsgate.domain.routing import Route, RouteTable
from smsgate.services.delivery import DeliveryService, Job, Submitted


class CountingDelivery:
    def __init__(self) -> None:
        self.asked: list[int] = []

    async def claim(self, limit: int) -> list[Job]:
        self.asked.append(limit)
        return []


class OpenLink:
    capacity = 400  # 2 x window 100 x 2 binds, nothing queued or in flight


def dispatcher(delivery: CountingDelivery, flush_batch: int) -> Dispatcher:
    config = DispatcherConfig(claim_batch=500, flush_batch=flush_batch)
    found = Dispatcher(cast(DeliveryService, delivery), cast(Any, None), cast(Any, None), config)
    found._routes = RouteTable([Route(1, 1)], [1])
    found.runners[1] = cast(Any, OpenLink())
    return found


def unrecorded(dispatcher: Dispatcher, count: int) -> None:
    dispatcher._pending.outcomes.extend(
        Submitted(n, 1, ((f"id{n}", f"id{n}"),)) for n in range(count)
    )


async def test_claims_what_the_links_can_take_when_the_database_keeps_up() -> None:
    delivery = CountingDelivery()
    await dispatcher(delivery, flush_batch=1000).claim_once()
    assert delivery.asked == [400]


async def test_claims_only_up_to_one_flush_batch_ahead_of_the_database() -> None:
    delivery = CountingDelivery()
    waiting = dispatcher(delivery, flush_batch=1000)
    unrecorded(waiting, 700)
    await waiting.claim_once()
    assert delivery.asked == [300]


async def test_claims_nothing_while_a_flush_batch_waits_to_be_recorded() -> None:
    delivery = CountingDelivery()
    lagging = dispatcher(delivery, flush_batch=1000)
    unrecorded(lagging, 600)
    lagging._recording = 400  # taken by the flush running now
    assert await lagging.claim_once() == 0
    assert delivery.asked == []

"""What the dispatcher claims: what its links can take, a window at least at a time, and
no more than `max_unrecorded` outcomes ahead of the database (outcomes not recorded yet keep
their messages `sending` under the lease: claiming on while the database lags would widen the
duplicates window without bound and let leases run out on messages waiting in memory)."""

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
    windows = 200  # window 100 x 2 binds
    capacity = 600  # 3 x the windows, nothing queued or in flight


def dispatcher(delivery: CountingDelivery, config: DispatcherConfig | None = None) -> Dispatcher:
    """A dispatcher with one open link; the default config: claims of 500, flushes of 1,000."""
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
    await dispatcher(delivery).claim_once()
    assert delivery.asked == [500]  # the claim batch


async def test_claims_at_least_a_window_at_a_time() -> None:
    delivery = CountingDelivery()
    busy = dispatcher(delivery)
    link = cast(Any, busy.runners[1])
    link.capacity = 150  # less than the windows (200) is free: wait for more
    assert await busy.claim_once() == 0
    link.capacity = 200
    await busy.claim_once()
    assert delivery.asked == [200]


async def test_claims_only_up_to_max_unrecorded_ahead_of_the_database() -> None:
    delivery = CountingDelivery()
    waiting = dispatcher(delivery, DispatcherConfig(max_unrecorded=1000))
    unrecorded(waiting, 750)
    await waiting.claim_once()
    assert delivery.asked == [250]


async def test_claims_nothing_while_max_unrecorded_wait_to_be_recorded() -> None:
    delivery = CountingDelivery()
    lagging = dispatcher(delivery)
    unrecorded(lagging, 1600)
    lagging._recording = 400  # taken by the flush running now
    assert await lagging.claim_once() == 0
    assert delivery.asked == []


async def test_claims_go_on_while_a_whole_flush_batch_is_being_recorded() -> None:
    """With the default config: a flush that took a full batch (1,000) leaves room for a
    claim, so that the links do not run dry until it commits."""
    delivery = CountingDelivery()
    found = dispatcher(delivery)
    found._recording = found.config.flush_batch
    await found.claim_once()
    assert delivery.asked == [found.config.claim_batch]


async def test_once_the_queue_ran_dry_outcomes_no_longer_wake_the_claim_loop() -> None:
    """Each outcome frees a slot; with nothing due, a claim per outcome would be a query per
    message for nothing: the claim loop polls instead."""
    delivery = CountingDelivery()
    dry = dispatcher(delivery)
    await dry.claim_once()  # finds nothing
    dry._claim_wakeup.clear()
    dry._on_outcome(Submitted(1, 1, (("id1", "id1"),)))
    assert not dry._claim_wakeup.is_set()

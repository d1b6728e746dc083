"""The dispatcher: due messages out to carrier links, their outcomes and receipts back in.

    claim loop   takes as many due messages as the links can take now (DeliveryService.claim,
                 under a lease), routes each (RouteTable: first link that is up, by priority)
                 and puts it on that link's queue; no route at all -> failed and refunded;
                 routes whose links are all down -> back to the queue with a back-off
    LinkRunner   submits (window, throttle) and reports an Outcome per message
    flusher      one task writes outcomes, then receipts, in batches (one transaction each),
                 in that order, so a receipt never races the record of its own submit inside
                 one dispatcher; across dispatchers, housekeeping re-matches kept receipts
    deliveries   deliver_sm receipts are acknowledged once their batch has committed; inbound
                 messages once stored (a crash before that makes the carrier send them again)

No links configured: the dispatcher claims nothing (messages wait, and expire per validity).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field

from smsgate.carriers.link import LinkRunner
from smsgate.carriers.metrics import METRICS
from smsgate.carriers.pdus import read_inbound, read_receipt
from smsgate.carriers.waiting import wait_event
from smsgate.domain.links import Link
from smsgate.domain.messages import MessageStatus
from smsgate.domain.routing import RouteTable
from smsgate.ports import PartReceipt
from smsgate.services.delivery import (
    DeliveryService,
    Job,
    Outcome,
    Refused,
    Retry,
    Submitted,
)
from smsgate.services.inbound import InboundService, IncomingMessage
from smsgate.services.links import LinkService
from smsgate.smpp import CommandStatus, DataSm, DeliverSm, SmppClient

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    claim_batch: int = 500
    idle_poll_s: float = 0.1  # how often to look for due messages when there were none
    flush_interval_s: float = 0.25  # the flusher also wakes on every new outcome or receipt
    flush_batch: int = 1000
    refresh_links_s: float = 5.0
    housekeeping_s: float = 30.0


@dataclass
class _Pending:
    outcomes: list[Outcome] = field(default_factory=list)
    # Each receipt with where to acknowledge it once recorded.
    receipts: list[tuple[PartReceipt, SmppClient, DeliverSm | DataSm]] = field(default_factory=list)


class Dispatcher:
    def __init__(
        self,
        delivery: DeliveryService,
        inbound: InboundService,
        links: LinkService,
        config: DispatcherConfig | None = None,
    ) -> None:
        self._delivery = delivery
        self._inbound = inbound
        self._links = links
        self.config = config or DispatcherConfig()
        self.runners: dict[int, LinkRunner] = {}
        self._routes = RouteTable([], [])
        self._pending = _Pending()
        self._flush_wakeup = asyncio.Event()
        self._claim_wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self._flush_lock = asyncio.Lock()

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = True
        await self.refresh_links()
        for name, coro in (
            ("claim", self._claim_loop()),
            ("flush", self._flush_loop()),
            ("links", self._refresh_loop()),
            ("housekeeping", self._housekeeping_loop()),
        ):
            self._tasks.append(asyncio.create_task(coro, name=f"dispatcher-{name}"))
        log.info(
            "dispatcher started links=%s", len(self.runners), extra={"event": "dispatcher.started"}
        )

    async def stop(self, drain_s: float = 10.0) -> None:
        """Stop claiming, drain the windows, unbind, and record everything still pending."""
        self._running = False
        self._claim_wakeup.set()
        # The claim loop ends by itself after its current claim: cancelled inside a statement,
        # its connection would be terminated (on SQLite, closing a terminated aiosqlite
        # connection could leave the test's event loop waiting on its thread at teardown).
        for task in self._tasks:
            if task.get_name() not in ("dispatcher-flush", "dispatcher-claim"):
                task.cancel()
        left: list[Job] = []
        for runner in list(self.runners.values()):
            left.extend(await runner.stop(drain_s))
        self.runners.clear()
        self._pending.outcomes.extend(Retry(job.message.id, "shutdown") for job in left)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.flush()
        log.info("dispatcher stopped", extra={"event": "dispatcher.stopped"})

    # -- links -------------------------------------------------------------------------------

    async def refresh_links(self) -> None:
        links, routes = await self._links.snapshot()
        wanted = {link.id: link for link in links if link.settings.enabled}
        for link_id in list(self.runners):
            runner = self.runners[link_id]
            if link_id not in wanted or wanted[link_id].settings != runner.link.settings:
                del self.runners[link_id]
                left = await runner.stop()
                self._pending.outcomes.extend(Retry(j.message.id, "link_changed") for j in left)
        for link_id, link in wanted.items():
            if link_id not in self.runners:
                self._start_runner(link)
        self._routes = routes

    def _start_runner(self, link: Link) -> None:
        runner = LinkRunner(link, self._on_outcome, self._on_deliver)
        self.runners[link.id] = runner
        runner.start()

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.refresh_links_s)
            try:
                await self.refresh_links()
                for runner in self.runners.values():
                    METRICS.window_in_use.labels(runner.link.name).set(runner.in_flight)
            except Exception:
                log.exception("link refresh failed", extra={"event": "dispatcher.refresh_failed"})

    # -- claiming ----------------------------------------------------------------------------

    async def _claim_loop(self) -> None:
        while self._running:
            try:
                claimed = await self.claim_once()
            except Exception:
                log.exception("claim failed", extra={"event": "dispatcher.claim_failed"})
                claimed = 0
            if claimed == 0:
                self._claim_wakeup.clear()
                await wait_event(self._claim_wakeup, self.config.idle_poll_s)

    async def claim_once(self) -> int:
        """Claim what the links can take now and hand it out; returns how many were claimed."""
        if not self._routes.routes:
            return 0
        capacity = sum(runner.capacity for runner in self.runners.values())
        if capacity <= 0:
            return 0
        jobs = await self._delivery.claim(min(capacity, self.config.claim_batch))
        for job in jobs:
            self._route(job)
        return len(jobs)

    def _route(self, job: Job) -> None:
        message = job.message
        candidates = self._routes.candidates(message.recipient, message.region, job.content.service)
        if not candidates:
            self._on_outcome(Refused(message.id, MessageStatus.FAILED, "no_route"))
            return
        for link_id in candidates:
            runner = self.runners.get(link_id)
            if runner is not None and runner.is_up:
                runner.queue.put_nowait(job)
                return
        self._on_outcome(Retry(message.id, "link_down"))

    # -- outcomes and receipts ---------------------------------------------------------------

    def _on_outcome(self, outcome: Outcome) -> None:
        self._pending.outcomes.append(outcome)
        self._claim_wakeup.set()  # a link slot is free again
        kind = (
            "submitted"
            if isinstance(outcome, Submitted)
            else "retry"
            if isinstance(outcome, Retry)
            else "refused"
        )
        METRICS.outcomes.labels(kind).inc()
        self._flush_wakeup.set()

    def _on_deliver(
        self, runner: LinkRunner, client: SmppClient, pdu: DeliverSm | DataSm
    ) -> int | Awaitable[int] | None:
        link = runner.link
        found = read_receipt(pdu, link.id, link.settings.receipt_id_format)
        if found is True:
            return CommandStatus.ESME_ROK  # en route / accepted: nothing to record
        if isinstance(found, PartReceipt):
            # Acknowledged by the flusher once its batch has committed (no task per receipt).
            self._pending.receipts.append((found, client, pdu))
            self._flush_wakeup.set()
            return None
        return self._receive(link, pdu)

    async def _receive(self, link: Link, pdu: DeliverSm | DataSm) -> int:
        try:
            inbound = read_inbound(pdu)
        except Exception:
            log.exception("unreadable inbound message", extra={"event": "delivery.mo_unreadable"})
            return CommandStatus.ESME_ROK  # resending it would not make it readable
        await self._inbound.receive(
            IncomingMessage(
                link.id,
                inbound.sender,
                inbound.recipient,
                inbound.text,
                inbound.reference,
                inbound.total,
                inbound.seq,
            )
        )
        METRICS.inbound.inc()
        return CommandStatus.ESME_ROK

    async def _flush_loop(self) -> None:
        # Group commit: a flush takes everything that came while the previous one ran, so
        # batches grow with the load and a receipt waits at most one flush for its answer
        # (the carrier's window of unanswered deliver_sm is what that wait costs).
        while True:
            await wait_event(self._flush_wakeup, self.config.flush_interval_s)
            self._flush_wakeup.clear()
            await self.flush()

    async def flush(self) -> None:
        """Write pending outcomes, then pending receipts (never concurrently): both in one
        transaction when both are waiting, else, or if that fails, each on its own."""
        async with self._flush_lock:
            pending = self._pending
            if pending.outcomes and pending.receipts:
                await self._flush_together()
            await self._flush_outcomes()
            await self._flush_receipts()

    async def _flush_together(self) -> None:
        size = self.config.flush_batch
        outcomes, receipts = self._pending.outcomes[:size], self._pending.receipts[:size]
        del self._pending.outcomes[: len(outcomes)], self._pending.receipts[: len(receipts)]
        try:
            matched = await self._delivery.record_and_apply(outcomes, [r[0] for r in receipts])
        except Exception:
            log.exception("recording a flush failed", extra={"event": "dispatcher.flush_failed"})
            # Nothing was written: each goes again on its own path, with its own retries.
            self._pending.outcomes[:0] = outcomes
            self._pending.receipts[:0] = receipts
            return
        self._acknowledge(receipts, matched)

    async def _flush_outcomes(self) -> None:
        while self._pending.outcomes:
            batch = self._pending.outcomes[: self.config.flush_batch]
            del self._pending.outcomes[: len(batch)]
            for attempt in range(5):
                try:
                    await self._delivery.record(batch)
                    break
                except Exception:
                    log.exception(
                        "recording outcomes failed attempt=%s",
                        attempt + 1,
                        extra={"event": "dispatcher.record_failed"},
                    )
                    await asyncio.sleep(0.2 * (attempt + 1))
            else:
                # Left in `sending`: the lease runs out and they are tried again.
                log.error(
                    "outcomes dropped count=%s", len(batch), extra={"event": "dispatcher.dropped"}
                )
        if self._claim_wakeup is not None and self._running:
            self._claim_wakeup.set()

    async def _flush_receipts(self) -> None:
        while self._pending.receipts:
            batch = self._pending.receipts[: self.config.flush_batch]
            del self._pending.receipts[: len(batch)]
            started = time.perf_counter()
            try:
                matched = await self._delivery.apply_receipts([item[0] for item in batch])
            except Exception:
                log.exception("recording receipts failed", extra={"event": "receipts.failed"})
                for _, client, pdu in batch:  # the carrier will deliver them again
                    client.answer(pdu, CommandStatus.ESME_RX_T_APPN)
                continue
            log.debug(
                "receipts recorded count=%s matched=%s in %.1f ms",
                len(batch),
                matched,
                (time.perf_counter() - started) * 1000,
            )
            self._acknowledge(batch, matched)

    def _acknowledge(
        self, receipts: list[tuple[PartReceipt, SmppClient, DeliverSm | DataSm]], matched: int
    ) -> None:
        """Receipts recorded (matched or kept): the carrier may forget them."""
        METRICS.receipts.labels("matched").inc(matched)
        METRICS.receipts.labels("kept").inc(len(receipts) - matched)
        for _, client, pdu in receipts:
            client.answer(pdu, CommandStatus.ESME_ROK)

    # -- housekeeping -------------------------------------------------------------------------

    async def _housekeeping_loop(self) -> None:
        while True:
            await asyncio.sleep(self.config.housekeeping_s)
            try:
                await self.housekeeping()
            except Exception:
                log.exception("housekeeping failed", extra={"event": "dispatcher.housekeeping"})

    async def housekeeping(self) -> None:
        async with self._flush_lock:
            await self._delivery.rematch_kept_receipts()
            dropped = await self._delivery.drop_expired_receipts()
        expired = await self._delivery.expire_overdue()
        if expired:
            log.info(
                "unsent messages expired count=%s", expired, extra={"event": "delivery.expired"}
            )
        if dropped:
            log.info(
                "unmatched receipts expired count=%s",
                dropped,
                extra={"event": "receipts.expired"},
            )

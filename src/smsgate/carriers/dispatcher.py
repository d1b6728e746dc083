"""The dispatcher: due messages out to carrier links, their outcomes and receipts back in.

    claim loop   takes as many due messages as the links can take now (DeliveryService.claim,
                 under a lease), routes each (RouteTable: first link that is up, by priority)
                 and puts it on that link's queue; no route at all -> failed and refunded;
                 routes whose links are all down -> back to the queue with a back-off
    LinkRunner   submits (window, throttle) and reports an Outcome per message
    flusher      one task writes a batch of outcomes, then the receipts that waited or came
                 in meanwhile, in one transaction; a receipt whose submit's outcome is not
                 taken yet waits for it, so a receipt never races the record of its own
                 submit inside one dispatcher; across dispatchers, receipts kept unmatched
                 are tried again later by the same loop (pending.py)
    deliveries   deliver_sm receipts are acknowledged once their batch has committed; inbound
                 messages once stored (a crash before that makes the carrier send them again)

No links configured: the dispatcher claims nothing (messages wait, and expire per validity).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass

from smsgate.carriers.link import LinkRunner
from smsgate.carriers.metrics import METRICS
from smsgate.carriers.pdus import read_inbound, read_receipt
from smsgate.carriers.pending import Pending, Receipt, RematchSchedule
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


_OUTCOME_KINDS = {Submitted: "submitted", Retry: "retry", Refused: "refused"}
# Loops that stop() asks to end and waits for, rather than cancelling them mid-statement.
_ENDED_NOT_CANCELLED = frozenset({"dispatcher-claim", "dispatcher-flush"})


@dataclass(frozen=True, slots=True)
class DispatcherConfig:
    claim_batch: int = 500
    idle_poll_s: float = 0.1  # how often to look for due messages when there were none
    flush_interval_s: float = 0.25  # the flusher also wakes on every new outcome or receipt
    flush_batch: int = 1000
    # Outcomes not recorded yet that the claims may run ahead of the database by: two flush
    # batches, so that the links stay fed while a whole batch is being written.
    max_unrecorded: int = 2000
    refresh_links_s: float = 5.0
    housekeeping_s: float = 30.0


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
        self._pending = Pending()
        self._flush_wakeup = asyncio.Event()
        self._claim_wakeup = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._running = False
        self._flushing = False
        self._recording = 0  # outcomes taken by the flush running now
        self._dry = False  # the last claim found nothing due: poll, outcomes do not wake it
        self._flush_lock = asyncio.Lock()
        self._rematch = RematchSchedule()

    # -- life cycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._running = self._flushing = True
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
        """Stop claiming, drain the windows, unbind, and record everything still pending.

        The claim and flush loops are asked to end and awaited, not cancelled: cancelled
        inside a statement, their connection would be terminated (on SQLite, closing a
        terminated aiosqlite connection could leave the caller's event loop waiting on its
        thread), and a flush cut short would answer nothing to the receipts it held."""
        self._running = False
        self._claim_wakeup.set()
        for task in self._tasks:
            if task.get_name() not in _ENDED_NOT_CANCELLED:
                task.cancel()
        await self._end("dispatcher-claim", drain_s)  # claimed jobs reach a runner, or wait
        left: list[Job] = []
        for runner in list(self.runners.values()):
            left.extend(await runner.stop(drain_s))
        self.runners.clear()
        self._pending.outcomes.extend(Retry(job.message.id, "shutdown") for job in left)
        self._flushing = False
        self._flush_wakeup.set()
        await self._end("dispatcher-flush", drain_s)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.flush()
        log.info("dispatcher stopped", extra={"event": "dispatcher.stopped"})

    async def _end(self, name: str, timeout_s: float) -> None:
        """Wait for a loop that was asked to end; cancel it only if it does not in time."""
        for task in self._tasks:
            if task.get_name() == name and not task.done():
                done, _ = await asyncio.wait([task], timeout=timeout_s)
                if not done:
                    log.warning("%s did not end in time", name, extra={"event": "dispatcher.stop"})
                    task.cancel()

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
            if claimed == 0 or self._dry:
                # Nothing to take now: wait for a free slot (an outcome sets the wake-up), or
                # after the queue ran dry for the idle poll (outcomes do not wake it then).
                self._claim_wakeup.clear()
                await wait_event(self._claim_wakeup, self.config.idle_poll_s)
                self._dry = False

    async def claim_once(self) -> int:
        """Claim what the links can take now and hand it out; returns how many were claimed."""
        if not self._routes.routes:
            return 0
        capacity = sum(runner.capacity for runner in self.runners.values())
        # Outcomes not recorded yet hold their messages in `sending` under the lease: while the
        # database lags, claim no more than max_unrecorded ahead of it (the duplicates window
        # after a crash, and no lease running out on a message that was only waiting here).
        # One flush batch ahead was too few: a flush that took a whole batch stopped the
        # claims until it committed, and the links ran dry meanwhile.
        unrecorded = len(self._pending.outcomes) + self._recording
        capacity = min(capacity, self.config.max_unrecorded - unrecorded)
        # Claims of at least a window: a claim's cost per message falls by a third from 50
        # messages to 200 (the links have another window queued meanwhile).
        least = min(
            sum(runner.windows for runner in self.runners.values()),
            self.config.claim_batch,
            self.config.flush_batch,
        )
        if capacity <= 0 or capacity < least:
            return 0
        jobs = await self._delivery.claim(min(capacity, self.config.claim_batch))
        self._dry = not jobs
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
                runner.put(job)
                return
        self._on_outcome(Retry(message.id, "link_down"))

    # -- outcomes and receipts ---------------------------------------------------------------

    def _on_outcome(self, outcome: Outcome) -> None:
        self._pending.outcomes.append(outcome)
        if not self._dry:
            self._claim_wakeup.set()  # a link slot is free again
        self._flush_wakeup.set()

    @staticmethod
    def _count(outcomes: list[Outcome]) -> None:
        """Outcomes recorded (or given up on) go into the metrics a batch at a time: per
        outcome, the counter's label lookup and lock cost 2.4 us."""
        for kind, count in Counter(type(outcome) for outcome in outcomes).items():
            METRICS.outcomes.labels(_OUTCOME_KINDS[kind]).inc(count)

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
        # (the carrier's window of unanswered deliver_sm is what that wait costs). Kept
        # receipts due for another try go in the same loop, after the flush.
        while self._flushing:
            await wait_event(self._flush_wakeup, self.config.flush_interval_s)
            self._flush_wakeup.clear()
            try:
                await self.flush()
                await self.rematch_due()
            except Exception:
                log.exception("flush failed", extra={"event": "dispatcher.flush_failed"})

    async def flush(self) -> None:
        """Write pending outcomes and receipts until none are left: a batch of outcomes and,
        once they are written, the receipts waiting then, in one transaction (if that fails,
        each on its own path, with its own retries); receipts alone when no outcome waits.
        What arrives meanwhile goes into the next transaction: each costs BEGIN, COMMIT and
        a statement per kind, every round trip waiting its turn on a busy event loop."""
        async with self._flush_lock:
            pending = self._pending
            while pending.outcomes or pending.receipts:
                if pending.outcomes and await self._flush_together():
                    continue
                await self._flush_outcomes()
                await self._flush_receipts()

    async def _flush_together(self) -> bool:
        """A batch of outcomes, then the receipts waiting once they are written (those that
        came in meanwhile, often for these very submits), in one transaction; False if it
        failed (nothing written, both put back)."""
        outcomes = self._pending.outcomes[: self.config.flush_batch]
        del self._pending.outcomes[: len(outcomes)]
        receipts: list[Receipt] = []

        def take() -> list[PartReceipt]:
            receipts.extend(self._pending.take_receipts(self.config.flush_batch))
            return [item[0] for item in receipts]

        self._recording = len(outcomes)
        try:
            matched = await self._delivery.record_and_apply(outcomes, take)
        except Exception:
            log.exception("recording a flush failed", extra={"event": "dispatcher.flush_failed"})
            # Nothing was written: each goes again on its own path, with its own retries.
            self._pending.outcomes[:0] = outcomes
            self._pending.receipts[:0] = receipts
            return False
        finally:
            self._recording = 0
        self._count(outcomes)
        self._acknowledge(receipts, matched)
        self._recorded()
        return True

    async def _flush_outcomes(self) -> None:
        """A batch of outcomes in one transaction, tried up to five times."""
        if not self._pending.outcomes:
            return
        batch = self._pending.outcomes[: self.config.flush_batch]
        del self._pending.outcomes[: len(batch)]
        self._recording = len(batch)
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
        else:  # left in `sending`: the lease runs out and they are tried again
            log.error(
                "outcomes dropped count=%s", len(batch), extra={"event": "dispatcher.dropped"}
            )
        self._recording = 0
        self._count(batch)
        self._recorded()

    def _recorded(self) -> None:
        """Outcomes left the unrecorded count: the claim loop may take more."""
        if self._running and not self._dry:
            self._claim_wakeup.set()

    async def _flush_receipts(self) -> None:
        """A batch of receipts in one transaction; if it fails, the carrier sends them again."""
        batch = self._pending.take_receipts(self.config.flush_batch)
        if not batch:
            return
        try:
            matched = await self._delivery.apply_receipts([item[0] for item in batch])
        except Exception:
            log.exception("recording receipts failed", extra={"event": "receipts.failed"})
            for _, client, pdu in batch:  # the carrier will deliver them again
                client.answer(pdu, CommandStatus.ESME_RX_T_APPN)
            return
        self._acknowledge(batch, matched)  # counted in smsgate_receipts_total{result}

    def _acknowledge(self, receipts: list[Receipt], matched: int) -> None:
        """Receipts recorded (matched or kept): the carrier may forget them."""
        METRICS.receipts.labels("matched").inc(matched)
        METRICS.receipts.labels("kept").inc(len(receipts) - matched)
        if matched < len(receipts):
            keys = [(receipt.link_id, receipt.carrier_key) for receipt, _, _ in receipts]
            self._rematch.add(keys, time.monotonic())
        for _, client, pdu in receipts:
            client.answer(pdu, CommandStatus.ESME_ROK)

    async def rematch_due(self) -> int:
        """Try again the kept receipts whose time has come; returns how many matched."""
        now = time.monotonic()
        due = self._rematch.take_due(now)
        if not due:
            return 0
        try:
            async with self._flush_lock:  # after our own flushes: what they kept has committed
                matched = await self._delivery.rematch_kept([key for e in due for key in e[2]])
        except Exception:
            self._rematch.put_back(due)
            raise
        self._rematch.tried(due, now)
        if matched:
            METRICS.receipts.labels("rematched").inc(matched)
        return matched

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

"""LinkRunner: the SMPP binds of one carrier link, kept up, fed from one queue.

Each bind is a task that connects (with exponential back-off between failures), then runs
`window` workers that take jobs from the link's queue and submit them, so that the window is
full whenever there is work. A job whose submit fails because the link went down is handed
back as a Retry; the dispatcher routes it again later (possibly to another link).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable

from smsgate.carriers.metrics import METRICS
from smsgate.carriers.pdus import submit_pdus
from smsgate.carriers.waiting import wait_event
from smsgate.domain.links import BindMode, Link, submit_key
from smsgate.domain.messages import MessageStatus
from smsgate.services.delivery import Job, Outcome, Refused, Retry, Submitted
from smsgate.smpp import (
    BindType,
    DataSm,
    DeliverSm,
    GenericNack,
    SmppClient,
    SmppError,
    classify_status,
    connect,
    status_name,
)
from smsgate.smpp.commands import StatusClass

log = logging.getLogger(__name__)

OutcomeSink = Callable[[Outcome], None]
DeliverSink = Callable[["LinkRunner", SmppClient, DeliverSm | DataSm], int | Awaitable[int] | None]


class Throttle:
    """At most `rate` submits per second over the whole link (all binds), smoothly spaced."""

    def __init__(self, rate: int | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    async def wait(self) -> None:
        if not self._interval:
            return
        now = time.monotonic()
        at = max(self._next, now)
        self._next = at + self._interval
        if at > now:
            await asyncio.sleep(at - now)


class LinkRunner:
    def __init__(self, link: Link, on_outcome: OutcomeSink, on_deliver: DeliverSink) -> None:
        self.link = link
        self.settings = link.settings
        self.queue: asyncio.Queue[Job] = asyncio.Queue()
        self._on_outcome = on_outcome
        self._on_deliver = on_deliver
        self._throttle = Throttle(self.settings.max_per_second)
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: set[SmppClient] = set()
        self._bound_transmitters = 0
        self._in_flight = 0
        self._idle = asyncio.Event()  # set while nothing is in flight
        self._idle.set()
        self._stopping = False
        # Metric children resolved once: labels() costs a dict lookup and a lock per call.
        self._submitted_ok = METRICS.submits.labels(link.name, "ok")
        self._latency = METRICS.submit_seconds.labels(link.name)

    # -- state -----------------------------------------------------------------------------------

    @property
    def is_up(self) -> bool:
        return self._bound_transmitters > 0 and not self._stopping

    @property
    def capacity(self) -> int:
        """How many more jobs the link should be given now: two windows queued ahead of the
        one in flight, per bind (the dispatcher claims once a window's worth is free)."""
        if not self.is_up:
            return 0
        ahead = self.windows * 3
        return max(ahead - self.queue.qsize() - self._in_flight, 0)

    @property
    def windows(self) -> int:
        """The window of every bound transmitter: how many submits may be outstanding."""
        return self.settings.window * self._bound_transmitters if not self._stopping else 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for index in range(self.settings.binds):
            self._tasks.append(
                asyncio.create_task(self._bind_loop(index), name=f"link-{self.link.name}-{index}")
            )

    async def stop(self, drain_s: float = 10.0) -> list[Job]:
        """Stop taking jobs, let the window drain, unbind; return the jobs never submitted."""
        self._stopping = True
        left: list[Job] = []
        while not self.queue.empty():
            left.append(self.queue.get_nowait())
        await wait_event(self._idle, drain_s)
        for client in list(self._clients):
            with contextlib.suppress(Exception):
                await client.unbind(timeout_s=2.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        METRICS.link_up.labels(self.link.name).set(0)
        return left

    def drop_connections(self) -> None:
        """Abort every bind (tests and operators: force a reconnect)."""
        for client in list(self._clients):
            client.abort()

    # -- binds ----------------------------------------------------------------------------------

    async def _bind_loop(self, index: int) -> None:
        settings = self.settings
        delay = settings.reconnect_min_s
        while not self._stopping:
            try:
                await self._run_bind(index)
                delay = settings.reconnect_min_s  # it was up: start the back-off again
            except asyncio.CancelledError:
                raise
            except (OSError, TimeoutError, SmppError) as exc:
                log.warning(
                    "link bind failed link=%s bind=%s error=%s retry_in=%.1fs",
                    self.link.name,
                    index,
                    exc,
                    delay,
                    extra={"event": "link.bind_failed"},
                )
                METRICS.link_reconnects.labels(self.link.name).inc()
            if self._stopping:
                return
            await asyncio.sleep(delay * (0.8 + 0.4 * random.random()))
            delay = min(delay * 2, settings.reconnect_max_s)

    async def _connect(self, bind: BindType) -> SmppClient:
        s = self.settings
        client = await connect(
            s.host,
            s.port,
            s.system_id,
            s.password,
            bind=bind,
            system_type=s.system_type,
            window_size=s.window,
            enquire_link_interval_s=s.enquire_link_s,
            on_deliver_client=lambda client, pdu: self._on_deliver(self, client, pdu),
        )
        self._clients.add(client)
        return client

    async def _run_bind(self, index: int) -> None:
        if self.settings.bind_mode is BindMode.TRANSCEIVER:
            transmitter = await self._connect(BindType.TRANSCEIVER)
            receiver: SmppClient | None = None
        else:
            transmitter = await self._connect(BindType.TRANSMITTER)
            try:
                receiver = await self._connect(BindType.RECEIVER)
            except BaseException:
                transmitter.abort()
                self._clients.discard(transmitter)
                raise
        log.info("link up link=%s bind=%s", self.link.name, index, extra={"event": "link.up"})
        self._bound_transmitters += 1
        METRICS.link_up.labels(self.link.name).set(self._bound_transmitters)
        workers = [
            asyncio.create_task(self._worker(transmitter), name=f"link-{self.link.name}-w{n}")
            for n in range(self.settings.window)
        ]
        try:
            waits = [asyncio.ensure_future(transmitter.wait_closed())]
            if receiver is not None:
                waits.append(asyncio.ensure_future(receiver.wait_closed()))
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
        finally:
            self._bound_transmitters -= 1
            METRICS.link_up.labels(self.link.name).set(self._bound_transmitters)
            for worker in workers:
                worker.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            for client in (transmitter, receiver):
                if client is not None:
                    client.abort()
                    self._clients.discard(client)
        if not self._stopping:
            log.warning(
                "link down link=%s bind=%s", self.link.name, index, extra={"event": "link.down"}
            )
            raise ConnectionError("connection closed by the carrier")

    async def _worker(self, client: SmppClient) -> None:
        while True:
            job = await self.queue.get()
            if client.is_closed:
                self.queue.put_nowait(job)  # another bind may take it
                return
            self._in_flight += 1
            self._idle.clear()
            try:
                outcome = await self._submit(client, job)
            except asyncio.CancelledError:
                self._on_outcome(Retry(job.message.id, "link_down"))
                raise
            finally:
                self._in_flight -= 1
                if not self._in_flight:
                    self._idle.set()
            self._on_outcome(outcome)

    async def _submit(self, client: SmppClient, job: Job) -> Outcome:
        message = job.message
        fmt = self.settings.receipt_id_format
        try:
            pdus = submit_pdus(job.content, message.recipient, self.settings)
        except (ValueError, SmppError) as exc:
            log.warning(
                "message cannot be encoded message=%s error=%s",
                message.id,
                exc,
                extra={"event": "delivery.encode_failed"},
            )
            return Refused(message.id, MessageStatus.FAILED, "encoding")
        carrier_ids: list[tuple[str, str]] = []
        for pdu in pdus:
            await self._throttle.wait()
            started = time.perf_counter()
            try:
                response = await client.submit(pdu)
            except (SmppError, OSError, TimeoutError) as exc:
                METRICS.submits.labels(self.link.name, "error").inc()
                return Retry(message.id, type(exc).__name__[:32])
            self._latency.observe(time.perf_counter() - started)
            status = response.command_status
            if status == 0 and not isinstance(response, GenericNack):
                self._submitted_ok.inc()
                carrier_ids.append((response.message_id, submit_key(response.message_id, fmt)))
                continue
            name = status_name(status)
            METRICS.submits.labels(self.link.name, name).inc()
            if classify_status(status) is StatusClass.TEMPORARY:
                return Retry(message.id, name)
            return Refused(message.id, MessageStatus.REJECTED, name)
        return Submitted(message.id, self.link.id, tuple(carrier_ids))

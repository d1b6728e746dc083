"""LinkRunner: the SMPP binds of one carrier link, kept up, fed from one queue.

Each bind is a task that connects (with exponential back-off between failures) and waits for
its connection to close. Submitting needs no task: `put` queues a job and sends at once into
any bound transmitter's free window slot; each submit_sm_resp (a callback from the
connection) reports the outcome, or sends the message's next part, and fills the freed slot
from the queue. A job whose submit fails because the link went down is handed back as a
Retry; the dispatcher routes it again later (possibly to another link). With 100 worker
coroutines per bind, each submit cost a queue wake-up and a future, two task steps on the
event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence

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
    SubmitSm,
    SubmitSmResp,
    classify_status,
    connect,
    status_name,
)
from smsgate.smpp.commands import StatusClass
from smsgate.smpp.pdu import Response

log = logging.getLogger(__name__)

OutcomeSink = Callable[[Outcome], None]
DeliverSink = Callable[["LinkRunner", SmppClient, DeliverSm | DataSm], int | Awaitable[int] | None]


class Throttle:
    """At most `rate` submits per second over the whole link (all binds), smoothly spaced."""

    def __init__(self, rate: int | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = 0.0

    def wait_s(self, now: float) -> float:
        """0 when a submit may go at `now` (it takes the slot), else how long until one may."""
        if not self._interval:
            return 0.0
        if self._next > now:
            return self._next - now
        self._next = now + self._interval
        return 0.0


class _Submit:
    """A job being submitted: its PDUs (one per part, sent one after the other) and the
    carrier ids of the parts answered so far. Called with each part's answer."""

    __slots__ = ("_runner", "carrier_ids", "job", "pdus", "sent_at")

    def __init__(self, runner: LinkRunner, job: Job, pdus: Sequence[SubmitSm]) -> None:
        self._runner = runner
        self.job = job
        self.pdus = pdus
        self.carrier_ids: list[tuple[str, str]] = []
        self.sent_at = 0.0

    def __call__(self, answer: Response | SmppError) -> None:
        self._runner._answered(self, answer)


class LinkRunner:
    def __init__(self, link: Link, on_outcome: OutcomeSink, on_deliver: DeliverSink) -> None:
        self.link = link
        self.settings = link.settings
        self._queue: deque[Job] = deque()
        self._next_parts: deque[_Submit] = deque()  # parts 2.. waiting for a slot: first
        self._on_outcome = on_outcome
        self._on_deliver = on_deliver
        self._throttle = Throttle(self.settings.max_per_second)
        self._throttled: asyncio.TimerHandle | None = None  # a pump waiting for its slot
        self._tasks: list[asyncio.Task[None]] = []
        self._clients: set[SmppClient] = set()
        self._transmitters: list[SmppClient] = []  # bound, taking submits
        self._turn = 0  # the transmitter tried first, in turn
        self._in_flight = 0
        self._idle = asyncio.Event()  # set while nothing is in flight
        self._idle.set()
        self._stopping = False
        self._submits = METRICS.submits.link(link.name)  # results and response times

    # -- state -----------------------------------------------------------------------------------

    @property
    def is_up(self) -> bool:
        return bool(self._transmitters) and not self._stopping

    @property
    def capacity(self) -> int:
        """How many more jobs the link should be given now: two windows queued ahead of the
        one in flight, per bind (the dispatcher claims once a window's worth is free)."""
        if not self.is_up:
            return 0
        ahead = self.windows * 3
        return max(ahead - len(self._queue) - self._in_flight, 0)

    @property
    def windows(self) -> int:
        """The window of every bound transmitter: how many submits may be outstanding."""
        return self.settings.window * len(self._transmitters) if not self._stopping else 0

    @property
    def in_flight(self) -> int:
        return self._in_flight

    @property
    def queued(self) -> int:
        return len(self._queue)

    def put(self, job: Job) -> None:
        """Queue a job; it goes at once if a window slot is free."""
        self._queue.append(job)
        self._pump()

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> None:
        for index in range(self.settings.binds):
            self._tasks.append(
                asyncio.create_task(self._bind_loop(index), name=f"link-{self.link.name}-{index}")
            )

    async def stop(self, drain_s: float = 10.0) -> list[Job]:
        """Stop taking jobs, let the window drain, unbind; return the jobs never submitted."""
        self._stopping = True
        left = list(self._queue)
        self._queue.clear()
        await wait_event(self._idle, drain_s)
        for client in list(self._clients):
            with contextlib.suppress(Exception):
                await client.unbind(timeout_s=2.0)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        self._give_up_next_parts()
        if self._throttled is not None:
            self._throttled.cancel()
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
        self._transmitters.append(transmitter)
        METRICS.link_up.labels(self.link.name).set(len(self._transmitters))
        self._pump()
        try:
            waits = [asyncio.ensure_future(transmitter.wait_closed())]
            if receiver is not None:
                waits.append(asyncio.ensure_future(receiver.wait_closed()))
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for wait in waits:
                wait.cancel()
        finally:
            self._transmitters.remove(transmitter)
            METRICS.link_up.labels(self.link.name).set(len(self._transmitters))
            for client in (transmitter, receiver):
                if client is not None:
                    client.abort()  # what it had in flight comes back as a Retry each
                    self._clients.discard(client)
            if not self._transmitters:
                self._give_up_next_parts()
        if not self._stopping:
            log.warning(
                "link down link=%s bind=%s", self.link.name, index, extra={"event": "link.down"}
            )
            raise ConnectionError("connection closed by the carrier")

    # -- submitting ------------------------------------------------------------------------------

    def _pump(self) -> None:
        """Send what waits (next parts first, then queued jobs) while a transmitter has a
        free window slot and the throttle allows."""
        parts, queue = self._next_parts, self._queue
        while parts or (queue and not self._stopping):
            client = self._free_transmitter()
            if client is None:
                return  # an answer frees a slot and pumps again
            wait_s = self._throttle.wait_s(time.monotonic())
            if wait_s:
                if self._throttled is None:
                    self._throttled = asyncio.get_running_loop().call_later(
                        wait_s, self._unthrottle
                    )
                return
            if parts:
                self._send(parts.popleft(), client)
            else:
                self._start(queue.popleft(), client)

    def _unthrottle(self) -> None:
        self._throttled = None
        self._pump()

    def _free_transmitter(self) -> SmppClient | None:
        transmitters = self._transmitters
        count = len(transmitters)
        for step in range(count):
            client = transmitters[(self._turn + step) % count]
            if client.can_send:
                self._turn = (self._turn + step + 1) % count
                return client
        return None

    def _start(self, job: Job, client: SmppClient) -> None:
        message = job.message
        try:
            pdus = submit_pdus(job.content, message.recipient, self.settings)
        except (ValueError, SmppError) as exc:
            log.warning(
                "message cannot be encoded message=%s error=%s",
                message.id,
                exc,
                extra={"event": "delivery.encode_failed"},
            )
            self._on_outcome(Refused(message.id, MessageStatus.FAILED, "encoding"))
            return
        self._in_flight += 1
        self._idle.clear()
        self._send(_Submit(self, job, pdus), client)

    def _send(self, submit: _Submit, client: SmppClient) -> None:
        submit.sent_at = time.perf_counter()
        try:
            sent = client.send_if_window(submit.pdus[len(submit.carrier_ids)], submit)
        except SmppError as exc:  # the session's state forbids it (unbinding, closed)
            self._submits.count("error")
            self._done(Retry(submit.job.message.id, type(exc).__name__[:32]))
            return
        if not sent:
            self._next_parts.appendleft(submit)  # not expected: can_send said yes

    def _answered(self, submit: _Submit, answer: Response | SmppError) -> None:
        """A part's answer: the next part goes, or the message's outcome is reported."""
        message_id = submit.job.message.id
        if not isinstance(answer, SubmitSmResp | GenericNack):
            # A time-out, the link closing, or an answer of another kind than submit_sm_resp.
            self._submits.count("error")
            error = type(answer).__name__ if isinstance(answer, SmppError) else "PeerProtocolError"
            self._done(Retry(message_id, error[:32]))
            return
        self._submits.answered(time.perf_counter() - submit.sent_at)
        status = answer.command_status
        if status == 0 and type(answer) is SubmitSmResp:
            self._submits.count("ok")
            carrier_id = answer.message_id
            fmt = self.settings.receipt_id_format
            submit.carrier_ids.append((carrier_id, submit_key(carrier_id, fmt)))
            if len(submit.carrier_ids) < len(submit.pdus):
                self._next_parts.append(submit)
                self._pump()
                return
            self._done(Submitted(message_id, self.link.id, tuple(submit.carrier_ids)))
            return
        name = status_name(status)
        self._submits.count(name)
        if classify_status(status) is StatusClass.TEMPORARY:
            self._done(Retry(message_id, name))
        else:
            self._done(Refused(message_id, MessageStatus.REJECTED, name))

    def _done(self, outcome: Outcome) -> None:
        self._in_flight -= 1
        if not self._in_flight:
            self._idle.set()
        self._on_outcome(outcome)
        self._pump()

    def _give_up_next_parts(self) -> None:
        """Messages whose next part has no transmitter left to go on: tried again later."""
        stranded = list(self._next_parts)
        self._next_parts.clear()
        for submit in stranded:
            self._done(Retry(submit.job.message.id, "link_down"))

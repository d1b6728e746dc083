"""One SMPP connection on asyncio: a Session driven by an ``asyncio.Protocol``.

The client (ESME) and the server's per-connection object (SMSC) both derive from it. It owns
the I/O duties the sans-IO session leaves out:

- writes are coalesced: everything produced during one loop iteration leaves in one
  ``transport.write`` (scheduled with ``call_soon``);
- ``request()`` waits for a window slot (first come, first served), sends, and returns the
  response future's result; the wait is bounded because every outstanding request ends within
  ``response_timeout_s`` (``tick()`` expires it) or when the connection closes;
- ``send_if_window()`` sends only into a free slot and hands the answer to a callback (or to
  ``on_response``): no future, no task, for a sender that keeps its own queue;
- a periodic tick (``loop.call_later``) drives the session's timers;
- application handlers that return awaitables run as named tasks, kept in a set and logged
  when they fail.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any, cast

from smsgate.smpp.commands import CommandId, CommandStatus, command_name
from smsgate.smpp.errors import (
    ConnectionClosedError,
    PeerProtocolError,
    ResponseTimeoutError,
    SessionError,
    SmppError,
)
from smsgate.smpp.events import (
    Event,
    InvalidPduReceived,
    LinkBroken,
    RequestReceived,
    RequestTimedOut,
    ResponseReceived,
    UnbindReceived,
    UnexpectedResponse,
)
from smsgate.smpp.pdu import EnquireLink, Request, Response, Unbind
from smsgate.smpp.session import Session

logger = logging.getLogger(__name__)
# Gets the answer to a request sent with send_if_window: its response (a GenericNack possibly),
# or the error that ended it (a time-out, a malformed answer, the link closing first).
AnswerCallback = Callable[[Response | SmppError], None]
# Link requests skip the window queue (the session lets them past a full window too).
_OUTSIDE_WINDOW = frozenset({CommandId.ENQUIRE_LINK, CommandId.UNBIND})


class SmppConnection(asyncio.Protocol):
    """A Session over an asyncio transport; subclasses answer the peer's requests."""

    def __init__(self, session: Session, *, tick_interval_s: float = 1.0) -> None:
        self.session = session
        self.peer = "?"
        self._loop = asyncio.get_running_loop()
        self._tick_interval_s = tick_interval_s
        self._transport: asyncio.Transport | None = None
        self._waiters: dict[int, asyncio.Future[Response]] = {}
        self._answers: dict[int, AnswerCallback] = {}  # send_if_window's callbacks
        self._window_waiters: deque[asyncio.Future[None]] = deque()
        self._reserved = 0  # window slots promised to woken waiters not yet running
        self._out: list[bytes] = []
        self._flush_scheduled = False
        self._can_write = asyncio.Event()
        self._can_write.set()
        self._tick_handle: asyncio.TimerHandle | None = None
        self._closed: asyncio.Future[None] = self._loop.create_future()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- asyncio.Protocol ----------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A cast, not an isinstance check: uvloop's transports do not subclass asyncio's.
        self._transport = cast(asyncio.Transport, transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        peername = transport.get_extra_info("peername")
        if peername:
            self.peer = f"{peername[0]}:{peername[1]}"
        self._tick_handle = self._loop.call_later(self._tick_interval_s, self._tick)

    def data_received(self, data: bytes) -> None:
        waiters = self._waiters
        for event in self.session.receive_data(data):
            if type(event) is ResponseReceived:
                sequence_number = event.response.sequence_number
                answer = self._answers.pop(sequence_number, None)
                if answer is not None:
                    self._answer(answer, event.response)
                    continue
                waiter = waiters.pop(sequence_number, None)
                if waiter is None:
                    self.on_response(event.request, event.response)
                elif not waiter.done():
                    waiter.set_result(event.response)
            else:
                self._handle_event(event)
        if self._window_waiters:
            self._wake_window_waiters()
        out = self.session.data_to_send()
        if out:
            self._write(out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._tick_handle is not None:
            self._tick_handle.cancel()
            self._tick_handle = None
        unanswered = self.session.connection_lost()
        error = ConnectionClosedError(f"connection to {self.peer} closed")
        for waiter in self._waiters.values():
            if not waiter.done():
                waiter.set_exception(error)
        answers = self._answers
        unawaited = [
            r
            for r in unanswered
            if r.sequence_number not in self._waiters and r.sequence_number not in answers
        ]
        self._waiters.clear()
        self._answers = {}
        while self._window_waiters:
            waiter_ = self._window_waiters.popleft()
            if not waiter_.done():
                waiter_.set_exception(error)
        self._can_write.set()
        self._out.clear()
        if not self._closed.done():
            self._closed.set_result(None)
        logger.info(
            "smpp connection closed peer=%s reason=%s",
            self.peer,
            exc or "closed",
            extra={"event": "smpp.closed"},
        )
        for answer in answers.values():
            self._answer(answer, error)
        for request in unawaited:
            self.on_response(request, None)
        self.on_closed()

    def pause_writing(self) -> None:
        self._can_write.clear()

    def resume_writing(self) -> None:
        self._can_write.set()

    # -- requests ------------------------------------------------------------------------------

    async def request(self, request: Request) -> Response:
        """Send ``request`` and return its response (a GenericNack possibly).

        Waits while the window is full or the transport's buffer is. Raises
        ResponseTimeoutError, ConnectionClosedError, PeerProtocolError, or the session's
        InvalidStateError when the binding state does not allow the request.
        """
        if request.response_class is None:
            raise SessionError(f"{type(request).__name__} takes no response: use notify()")
        if not self._can_write.is_set():
            async with asyncio.timeout(self.session.response_timeout_s):
                await self._can_write.wait()
        if request.command_id not in _OUTSIDE_WINDOW and (
            self._window_waiters or not self._window_free()
        ):
            await self._acquire_window()
        if self._transport is None or self._transport.is_closing():
            self._wake_window_waiters()
            raise ConnectionClosedError(f"connection to {self.peer} is closed")
        try:
            data = self.session.send_request(request, self._loop.time())
        except SmppError:
            self._wake_window_waiters()
            raise
        waiter: asyncio.Future[Response] = self._loop.create_future()
        self._waiters[request.sequence_number] = waiter
        self._write(data)
        return await waiter

    @property
    def can_send(self) -> bool:
        """Whether send_if_window would send now: a window slot is free and no one waits
        for it, the transport's buffer is not full, and the link is not closing."""
        if self._window_waiters or not self._window_free() or not self._can_write.is_set():
            return False
        return self._transport is not None and not self._transport.is_closing()

    def send_if_window(self, request: Request, on_answer: AnswerCallback | None = None) -> bool:
        """Send ``request`` at once if a window slot is free, without waiting for its response.

        For a sender that keeps its own queue and cannot afford a task per request (an SMSC
        pushing receipts, a gateway submitting): the session still matches the response and
        hands it to ``on_answer`` if given, else to ``on_response``; both also hear of
        time-outs and of requests the link took down with it. Returns False, having sent
        nothing, unless ``can_send``; raises the session's InvalidStateError when the binding
        state does not allow the request.
        """
        if not self.can_send:
            return False
        self._write(self.session.send_request(request, self._loop.time()))
        if on_answer is not None:
            self._answers[request.sequence_number] = on_answer
        return True

    @staticmethod
    def _answer(answer: AnswerCallback, result: Response | SmppError) -> None:
        try:
            answer(result)
        except Exception:
            logger.exception("smpp answer callback failed", extra={"event": "smpp.handler_failed"})

    def notify(self, request: Request) -> None:
        """Send a request that takes no response (alert_notification, outbind)."""
        if self._transport is None or self._transport.is_closing():
            raise ConnectionClosedError(f"connection to {self.peer} is closed")
        self._write(self.session.send_request(request, self._loop.time()))

    async def enquire_link(self) -> Response:
        """Probe the peer; the session also does this by itself when the link is idle."""
        return await self.request(EnquireLink())

    def send_response(self, response: Response) -> None:
        """Queue the answer to one of the peer's requests (dropped if the link has closed)."""
        if self._closed.done():
            logger.debug("smpp response dropped, connection closed peer=%s", self.peer)
            return
        self._write(self.session.send_response(response))

    def _window_free(self) -> bool:
        return self.session.outstanding_count + self._reserved < self.session.window_size

    async def _acquire_window(self) -> None:
        waiter: asyncio.Future[None] = self._loop.create_future()
        self._window_waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._reserved -= 1  # woken, then cancelled: hand the slot on
                self._wake_window_waiters()
            raise
        self._reserved -= 1

    def _wake_window_waiters(self) -> None:
        waiters = self._window_waiters
        while waiters and self._window_free():
            waiter = waiters.popleft()
            if not waiter.done():
                self._reserved += 1
                waiter.set_result(None)

    # -- closing -------------------------------------------------------------------------------

    async def unbind(self, timeout_s: float = 5.0) -> None:
        """Unbind politely (waiting up to ``timeout_s`` for unbind_resp), then close."""
        if self.session.is_bound and not self._closed.done():
            try:
                async with asyncio.timeout(timeout_s):
                    await self.request(Unbind())
            except (TimeoutError, SmppError) as exc:
                logger.warning(
                    "smpp unbind unanswered peer=%s error=%s",
                    self.peer,
                    exc,
                    extra={"event": "smpp.unbind_failed"},
                )
        await self.close(timeout_s)

    async def close(self, timeout_s: float = 5.0) -> None:
        """Flush, close the transport and wait until it is gone (abort after ``timeout_s``)."""
        transport = self._transport
        if transport is not None and not transport.is_closing():
            self._flush()
            transport.close()
        if transport is None:
            return
        try:
            async with asyncio.timeout(timeout_s):
                await asyncio.shield(self._closed)
        except TimeoutError:
            transport.abort()

    def abort(self) -> None:
        """Drop the connection at once, unsent bytes included."""
        if self._transport is not None:
            self._transport.abort()

    async def wait_closed(self) -> None:
        """Return once the connection is closed."""
        await asyncio.shield(self._closed)

    @property
    def is_closed(self) -> bool:
        return self._closed.done()

    # -- internals -----------------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        self._out.append(data)
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        out = self._out
        if not out:
            return
        transport = self._transport
        if transport is not None and not transport.is_closing():
            transport.write(out[0] if len(out) == 1 else b"".join(out))
        out.clear()

    def _tick(self) -> None:
        for event in self.session.tick(self._loop.time()):
            self._handle_event(event)
        if self._window_waiters:
            self._wake_window_waiters()
        out = self.session.data_to_send()
        if out:
            self._write(out)
        if not self._closed.done():
            self._tick_handle = self._loop.call_later(self._tick_interval_s, self._tick)

    def _handle_event(self, event: Event) -> None:
        if isinstance(event, RequestReceived):
            self.on_request(event.request)
        elif isinstance(event, RequestTimedOut):
            self._fail(event.request, ResponseTimeoutError(_describe(event.request, "timed out")))
        elif isinstance(event, UnexpectedResponse):
            logger.warning(
                "smpp unexpected response peer=%s pdu=%s",
                self.peer,
                command_name(event.response.command_id),
                extra={"event": "smpp.unexpected_response"},
            )
            if event.request is not None:
                message = f"{command_name(event.response.command_id)} answered it"
                self._fail(event.request, PeerProtocolError(_describe(event.request, message)))
        elif isinstance(event, InvalidPduReceived):
            logger.warning(
                "smpp invalid pdu peer=%s error=%s",
                self.peer,
                event.error,
                extra={"event": "smpp.invalid_pdu"},
            )
            if event.request is not None:
                error = PeerProtocolError(_describe(event.request, f"bad response: {event.error}"))
                self._fail(event.request, error)
        elif isinstance(event, UnbindReceived):
            logger.info("smpp peer unbound peer=%s", self.peer, extra={"event": "smpp.unbound"})
            self._close_after_flush()
        elif isinstance(event, LinkBroken):
            logger.warning(
                "smpp link broken peer=%s reason=%s",
                self.peer,
                event.reason,
                extra={"event": "smpp.link_broken"},
            )
            self._close_after_flush()

    def _fail(self, request: Request, error: SmppError) -> None:
        answer = self._answers.pop(request.sequence_number, None)
        if answer is not None:
            self._answer(answer, error)
            return
        waiter = self._waiters.pop(request.sequence_number, None)
        if waiter is None:
            self.on_response(request, None)
        elif not waiter.done():
            waiter.set_exception(error)

    def _close_after_flush(self) -> None:
        out = self.session.data_to_send()
        if out:
            self._out.append(out)
        self._flush()
        if self._transport is not None:
            self._transport.close()

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run an application handler as a named task owned by this connection."""
        task = self._loop.create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "smpp handler task failed peer=%s task=%s",
                self.peer,
                task.get_name(),
                exc_info=task.exception(),
                extra={"event": "smpp.task_failed"},
            )

    # -- hooks for subclasses ------------------------------------------------------------------

    def on_request(self, request: Request) -> None:
        """Answer a request from the peer (bind, submit_sm, deliver_sm, ...)."""
        self.answer(request, CommandStatus.ESME_RINVCMDID)

    def on_closed(self) -> None:
        """Called once when the connection is gone."""

    def on_response(self, request: Request, response: Response | None) -> None:
        """The answer to a request sent with ``send_if_window``: its response (a GenericNack
        possibly), or None when it timed out, came back malformed, or the link closed first."""

    def answer(self, request: Request, command_status: int) -> None:
        """Answer ``request`` with ``command_status`` and an empty body (if it takes one)."""
        if request.response_class is not None:
            self.send_response(request.make_response(command_status))


def _describe(request: Request, what: str) -> str:
    return f"{command_name(request.command_id)} seq={request.sequence_number}: {what}"

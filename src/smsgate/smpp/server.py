"""The asyncio SMPP server (SMSC role), for simulators and test benches.

The application supplies an ``SmscHandler``; each hook may be a plain method (fast path, the
answer goes out in the same loop iteration) or a coroutine function (run as a named task):

    class Handler(SmscHandler):
        def authenticate(self, connection, bind):
            return CommandStatus.ESME_ROK if bind.password == "secret" else ...
        def submit_sm(self, connection, pdu):
            return SubmitOutcome(CommandStatus.ESME_ROK, next_id())

    server = SmppServer(Handler(), system_id="smsc")
    await server.start("127.0.0.1", 0)
    await server.connections[0].deliver(DeliverSm(...))
    await server.close()

The defaults refuse: no bind is accepted and no message taken until the hooks say otherwise.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NamedTuple, TypeVar, cast

from smsgate.smpp.commands import CommandStatus, status_name
from smsgate.smpp.connection import SmppConnection
from smsgate.smpp.framing import DEFAULT_MAX_PDU_SIZE
from smsgate.smpp.messages import DataSm, DeliverSm, SubmitSm, SubmitSmResp
from smsgate.smpp.operations import AlertNotification
from smsgate.smpp.pdu import Bind, Request, Response
from smsgate.smpp.session import Role, Session

logger = logging.getLogger(__name__)
_T = TypeVar("_T")


class SubmitOutcome(NamedTuple):
    """The SMSC's answer to a submit_sm: a status and, on success, the message id."""

    command_status: int
    message_id: str = ""


class SmscHandler:
    """Application hooks of SmppServer; override the ones you need (sync or async)."""

    def authenticate(self, connection: SmscConnection, bind: Bind) -> int | Awaitable[int]:
        """Return ESME_ROK to accept the bind, or the refusal status."""
        return CommandStatus.ESME_RBINDFAIL

    def submit_sm(
        self, connection: SmscConnection, pdu: SubmitSm
    ) -> SubmitOutcome | Awaitable[SubmitOutcome]:
        """Take a message; return its status and message id."""
        return SubmitOutcome(CommandStatus.ESME_RSYSERR)

    def handle_request(
        self, connection: SmscConnection, pdu: Request
    ) -> Response | Awaitable[Response]:
        """Answer any other request (data_sm, query_sm, cancel_sm, replace_sm, submit_multi)."""
        return pdu.make_response(CommandStatus.ESME_RINVCMDID)

    def bound(self, connection: SmscConnection) -> None:
        """The ESME on ``connection`` is bound: from now on it may be sent deliver_sm."""

    def closed(self, connection: SmscConnection) -> None:
        """``connection`` is gone."""


class SmscConnection(SmppConnection):
    """One ESME's connection to the server."""

    def __init__(self, server: SmppServer, session: Session, tick_interval_s: float) -> None:
        super().__init__(session, tick_interval_s=tick_interval_s)
        self.server = server
        self.system_id = ""  # the ESME's, once bound
        handler = server.handler
        self._handler = handler
        self._submit_is_async = inspect.iscoroutinefunction(handler.submit_sm)

    async def deliver(self, pdu: DeliverSm | DataSm | AlertNotification) -> Response | None:
        """Send a deliver_sm or data_sm and return the ESME's response.

        alert_notification takes no response: it is written and None returned.
        """
        if isinstance(pdu, AlertNotification):
            self.notify(pdu)
            return None
        return await self.request(pdu)

    def on_request(self, request: Request) -> None:
        if type(request) is SubmitSm:
            if self._submit_is_async:
                self._run(self._submit_later(request), request)
                return
            try:
                outcome = self._handler.submit_sm(self, request)
            except Exception:
                logger.exception(
                    "smsc submit_sm handler failed", extra={"event": "smsc.handler_failed"}
                )
                outcome = SubmitOutcome(CommandStatus.ESME_RSYSERR)
            if isinstance(outcome, SubmitOutcome):
                self.send_response(
                    SubmitSmResp(
                        request.sequence_number, outcome.command_status, outcome.message_id
                    )
                )
            else:
                self._run(self._submit_later(request, outcome), request)
        elif isinstance(request, Bind):
            self._run(self._bind(request), request)
        else:
            self._run(self._other(request), request)

    def _run(self, coro: Coroutine[Any, Any, None], request: Request) -> None:
        self.spawn(coro, name=f"smsc-{type(request).__name__}-{request.sequence_number}")

    async def _submit_later(
        self, pdu: SubmitSm, pending: Awaitable[SubmitOutcome] | None = None
    ) -> None:
        try:
            outcome = await (
                pending if pending is not None else _await(self._handler.submit_sm(self, pdu))
            )
        except Exception:
            logger.exception(
                "smsc submit_sm handler failed", extra={"event": "smsc.handler_failed"}
            )
            outcome = SubmitOutcome(CommandStatus.ESME_RSYSERR)
        self.send_response(
            SubmitSmResp(pdu.sequence_number, outcome.command_status, outcome.message_id)
        )

    async def _bind(self, pdu: Bind) -> None:
        try:
            status = await _await(self._handler.authenticate(self, pdu))
        except Exception:
            logger.exception("smsc authenticate failed", extra={"event": "smsc.handler_failed"})
            status = CommandStatus.ESME_RBINDFAIL
        self.send_response(pdu.make_response(status, self.server.system_id))
        if status != CommandStatus.ESME_ROK or not self.session.is_bound:
            logger.info(
                "smsc bind refused peer=%s system_id=%s status=%s",
                self.peer,
                pdu.system_id,
                status_name(status),
                extra={"event": "smsc.bind_refused"},
            )
            return
        self.system_id = pdu.system_id
        self.server._bound(self)
        logger.info(
            "smsc bound peer=%s system_id=%s bind=%s",
            self.peer,
            pdu.system_id,
            self.session.bind_type,
            extra={"event": "smsc.bound"},
        )
        self._handler.bound(self)

    async def _other(self, pdu: Request) -> None:
        try:
            response = await _await(self._handler.handle_request(self, pdu))
        except Exception:
            logger.exception("smsc request handler failed", extra={"event": "smsc.handler_failed"})
            response = pdu.make_response(CommandStatus.ESME_RSYSERR)
        self.send_response(response)

    def on_closed(self) -> None:
        self.server._forget(self)
        self._handler.closed(self)


# Builds each connection: SmscConnection, or a subclass that adds duties (server, session,
# tick_interval_s).
ConnectionFactory = Callable[["SmppServer", Session, float], SmscConnection]


class SmppServer:
    """Accepts ESME connections and runs an SMSC session on each."""

    def __init__(
        self,
        handler: SmscHandler,
        *,
        system_id: str = "smsgate",
        window_size: int = 10,
        response_timeout_s: float = 30.0,
        enquire_link_interval_s: float | None = 30.0,
        bind_timeout_s: float | None = 30.0,
        tick_interval_s: float = 1.0,
        max_pdu_size: int = DEFAULT_MAX_PDU_SIZE,
        connection_factory: ConnectionFactory | None = None,
    ) -> None:
        self.handler = handler
        self._connection_factory: ConnectionFactory = connection_factory or SmscConnection
        self.system_id = system_id
        self._session_factory: Callable[[float], Session] = lambda now: Session(
            Role.SMSC,
            window_size=window_size,
            response_timeout_s=response_timeout_s,
            enquire_link_interval_s=enquire_link_interval_s,
            bind_timeout_s=bind_timeout_s,
            max_pdu_size=max_pdu_size,
            now=now,
        )
        self._tick_interval_s = tick_interval_s
        self._server: asyncio.Server | None = None
        self._open: set[SmscConnection] = set()
        self._bound_connections: dict[SmscConnection, None] = {}

    @property
    def port(self) -> int:
        """The port actually listened on (useful after ``start(port=0)``)."""
        if self._server is None or not self._server.sockets:
            raise RuntimeError("the server is not started")
        port: int = self._server.sockets[0].getsockname()[1]
        return port

    @property
    def connections(self) -> list[SmscConnection]:
        """Bound connections, oldest first."""
        return list(self._bound_connections)

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        loop = asyncio.get_running_loop()

        def make_connection() -> SmscConnection:
            connection = self._connection_factory(
                self, self._session_factory(loop.time()), self._tick_interval_s
            )
            self._open.add(connection)
            return connection

        self._server = await loop.create_server(make_connection, host, port)
        logger.info(
            "smsc listening host=%s port=%s", host, self.port, extra={"event": "smsc.listening"}
        )

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop accepting, unbind every ESME (waiting up to ``timeout_s``), close everything."""
        if self._server is not None:
            self._server.close()
        connections = list(self._open)
        async with asyncio.TaskGroup() as group:
            for connection in connections:
                group.create_task(
                    connection.unbind(timeout_s), name=f"smsc-close-{connection.peer}"
                )
        if self._server is not None:
            async with asyncio.timeout(timeout_s):
                await self._server.wait_closed()
            self._server = None

    def _bound(self, connection: SmscConnection) -> None:
        self._bound_connections[connection] = None

    def _forget(self, connection: SmscConnection) -> None:
        self._open.discard(connection)
        self._bound_connections.pop(connection, None)


async def _await(value: _T | Awaitable[_T]) -> _T:
    """The value a hook returned, awaited if the hook was asynchronous."""
    if inspect.isawaitable(value):
        return cast(_T, await value)
    return value

"""The asyncio SMPP client (ESME role): connect, bind, submit, receive deliver_sm, unbind.

    client = await connect("smsc.example", 2775, "system_id", "password",
                           window_size=100, on_deliver=handle_deliver)
    response = await client.submit(SubmitSm(source_addr=..., destination_addr=..., ...))
    if response.command_status != 0: ...        # a refusal is a value, not an exception
    await client.unbind()

``on_deliver`` receives every deliver_sm and data_sm and returns the command_status to answer
with, directly or as an awaitable (which then runs as a named task), or None to answer later
itself with ``client.answer(pdu, status)`` (a gateway that acknowledges receipts in batches,
once stored, without a task per PDU). Without a handler, or when the handler raises, the
answer is ESME_RX_T_APPN so that the SMSC delivers again later.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Awaitable, Callable

from smsgate.smpp.commands import CommandStatus, status_name
from smsgate.smpp.connection import SmppConnection
from smsgate.smpp.errors import BindError, PeerProtocolError
from smsgate.smpp.framing import DEFAULT_MAX_PDU_SIZE
from smsgate.smpp.messages import DataSm, DeliverSm, SubmitSm, SubmitSmResp
from smsgate.smpp.operations import AlertNotification
from smsgate.smpp.pdu import Bind, BindResp, GenericNack, Request
from smsgate.smpp.session import BindType, Role, Session

logger = logging.getLogger(__name__)

DeliverHandler = Callable[[DeliverSm | DataSm], int | Awaitable[int] | None]
AlertHandler = Callable[[AlertNotification], None]
# on_deliver that is also given the client, e.g. to answer later with client.answer().
ClientDeliverHandler = Callable[["SmppClient", DeliverSm | DataSm], int | Awaitable[int] | None]


class SmppClient(SmppConnection):
    """An ESME connection: bind, submit, and answer the SMSC's deliveries."""

    def __init__(
        self,
        session: Session,
        *,
        on_deliver: DeliverHandler | None = None,
        on_alert: AlertHandler | None = None,
        tick_interval_s: float = 1.0,
    ) -> None:
        super().__init__(session, tick_interval_s=tick_interval_s)
        self.on_deliver = on_deliver
        self.on_alert = on_alert
        self.smsc_system_id = ""

    async def bind(self, pdu: Bind) -> BindResp:
        """Send a bind PDU; return the response or raise BindError if the SMSC refuses."""
        response = await self.request(pdu)
        if response.command_status != 0:
            raise BindError(
                f"bind refused: {status_name(response.command_status)}", response.command_status
            )
        if not isinstance(response, BindResp):
            raise PeerProtocolError(f"bind answered by {type(response).__name__}")
        self.smsc_system_id = response.system_id
        logger.info(
            "smpp bound peer=%s system_id=%s bind=%s",
            self.peer,
            pdu.system_id,
            self.session.bind_type,
            extra={"event": "smpp.bound"},
        )
        return response

    async def submit(self, pdu: SubmitSm) -> SubmitSmResp | GenericNack:
        """Submit one message; the response's command_status says whether the SMSC took it."""
        response = await self.request(pdu)
        if isinstance(response, SubmitSmResp | GenericNack):
            return response
        raise PeerProtocolError(f"submit_sm answered by {type(response).__name__}")

    def on_request(self, request: Request) -> None:
        if isinstance(request, DeliverSm | DataSm):
            self._deliver(request)
        elif isinstance(request, AlertNotification):
            if self.on_alert is not None:
                self.on_alert(request)
        else:
            logger.warning(
                "smpp request ignored peer=%s pdu=%s",
                self.peer,
                type(request).__name__,
                extra={"event": "smpp.request_ignored"},
            )
            super().on_request(request)

    def _deliver(self, pdu: DeliverSm | DataSm) -> None:
        handler = self.on_deliver
        if handler is None:
            self.answer(pdu, CommandStatus.ESME_RX_T_APPN)
            return
        try:
            result = handler(pdu)
        except Exception:
            logger.exception("smpp deliver handler failed", extra={"event": "smpp.handler_failed"})
            self.answer(pdu, CommandStatus.ESME_RX_T_APPN)
            return
        if result is None:
            return  # the handler answers later with self.answer()
        if isinstance(result, int):
            self.answer(pdu, result)
        else:
            self.spawn(self._deliver_later(pdu, result), name=f"smpp-deliver-{pdu.sequence_number}")

    async def _deliver_later(self, pdu: DeliverSm | DataSm, pending: Awaitable[int]) -> None:
        try:
            status = await pending
        except Exception:
            logger.exception("smpp deliver handler failed", extra={"event": "smpp.handler_failed"})
            status = CommandStatus.ESME_RX_T_APPN
        self.answer(pdu, status)


async def connect(
    host: str,
    port: int,
    system_id: str,
    password: str,
    *,
    bind: BindType = BindType.TRANSCEIVER,
    system_type: str = "",
    addr_ton: int = 0,
    addr_npi: int = 0,
    address_range: str = "",
    window_size: int = 10,
    response_timeout_s: float = 30.0,
    enquire_link_interval_s: float | None = 30.0,
    connect_timeout_s: float = 10.0,
    on_deliver: DeliverHandler | None = None,
    on_alert: AlertHandler | None = None,
    tick_interval_s: float = 1.0,
    max_pdu_size: int = DEFAULT_MAX_PDU_SIZE,
    on_deliver_client: ClientDeliverHandler | None = None,
) -> SmppClient:
    """Open a TCP connection, bind, and return the bound client.

    Raises BindError when the SMSC refuses, TimeoutError when connecting or binding takes
    longer than ``connect_timeout_s``, OSError when the connection fails.
    """
    loop = asyncio.get_running_loop()

    def make_client() -> SmppClient:
        session = Session(
            Role.ESME,
            window_size=window_size,
            response_timeout_s=response_timeout_s,
            enquire_link_interval_s=enquire_link_interval_s,
            max_pdu_size=max_pdu_size,
            now=loop.time(),
        )
        client = SmppClient(
            session, on_deliver=on_deliver, on_alert=on_alert, tick_interval_s=tick_interval_s
        )
        if on_deliver_client is not None:
            # Bound before the bind: an SMSC may deliver as soon as the bind succeeds.
            client.on_deliver = functools.partial(on_deliver_client, client)
        return client

    async with asyncio.timeout(connect_timeout_s):
        _, client = await loop.create_connection(make_client, host, port)
    try:
        async with asyncio.timeout(connect_timeout_s):
            await client.bind(
                bind.pdu_class(
                    system_id=system_id,
                    password=password,
                    system_type=system_type,
                    addr_ton=addr_ton,
                    addr_npi=addr_npi,
                    address_range=address_range,
                )
            )
    except BaseException:
        client.abort()
        raise
    return client

"""SmscSimulator: the simulator's Python API, over SmppServer and the simulated SMSC.

    sim = SmscSimulator(SimulatorConfig(receipt_delay_s=0.2, seed=7))
    port = await sim.start("127.0.0.1", 0)
    control_port = await sim.start_control("127.0.0.1", 0)     # optional HTTP control
    statuses = await sim.inject_mo("+447700900123", "12345", "hello")
    print(sim.snapshot())
    await sim.close()

Everything runs on the caller's event loop; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Coroutine
from typing import Any, Self

from smsgate.simulator.config import SimulatorConfig
from smsgate.simulator.connection import SimulatedConnection
from smsgate.simulator.control import ControlServer
from smsgate.simulator.counters import Counters
from smsgate.simulator.errors import NoReceiverBound, SimulatorError
from smsgate.simulator.routing import ReceiptRouter
from smsgate.simulator.smsc import SimulatedSmsc
from smsgate.simulator.texts import encode_text
from smsgate.smpp import (
    DeliverSm,
    EsmClass,
    Npi,
    Session,
    SmppError,
    SmppServer,
    SmscConnection,
    Ton,
)

logger = logging.getLogger(__name__)


class SmscSimulator:
    """A real SMPP server that behaves like a carrier's SMSC, faults included."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = config or SimulatorConfig()
        self.counters = Counters()
        self._server: SmppServer | None = None
        self._smsc: SimulatedSmsc | None = None
        self._router: ReceiptRouter | None = None
        self._control: ControlServer | None = None
        self._mo_references = itertools.count(1)
        self._tasks: set[asyncio.Task[None]] = set()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # -- life cycle ----------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Listen for ESMEs; return the port (useful with ``port=0``)."""
        if self._server is not None:
            raise SimulatorError("the simulator is already started")
        config = self.config
        counters = self.counters
        router = ReceiptRouter(
            counters,
            delay_s=config.receipt_delay_s,
            retry_s=config.receipt_retry_s,
            error_code=config.failure_error_code,
            max_parked=config.max_parked_receipts,
        )
        smsc = SimulatedSmsc(config, counters, router)

        def make_connection(
            server: SmppServer, session: Session, tick_interval_s: float
        ) -> SmscConnection:
            return SimulatedConnection(server, session, tick_interval_s, counters, router.retry)

        server = SmppServer(
            smsc,
            system_id=config.smsc_system_id,
            window_size=config.window_size,
            enquire_link_interval_s=config.enquire_link_interval_s,
            connection_factory=make_connection,
        )
        await server.start(host, port)
        self._server, self._smsc, self._router = server, smsc, router
        return server.port

    async def start_control(self, host: str = "127.0.0.1", port: int = 0) -> int:
        """Serve the HTTP control interface (POST /mo, GET /stats, POST /drop); return its
        port."""
        if self._control is not None:
            raise SimulatorError("the control port is already started")
        control = ControlServer(self)
        bound_port = await control.start(host, port)
        self._control = control
        return bound_port

    async def close(self, timeout_s: float = 5.0) -> None:
        """Stop the control port, unbind every ESME and stop listening."""
        if self._control is not None:
            await self._control.close()
            self._control = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=timeout_s)
        if self._router is not None:
            self._router.close()
        if self._server is not None:
            await self._server.close(timeout_s)
            self._server = None

    # -- state ---------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._started_server().port

    @property
    def control_port(self) -> int | None:
        return self._control.port if self._control is not None else None

    @property
    def connections(self) -> list[SmscConnection]:
        """Bound connections, oldest first."""
        return self._started_server().connections

    @property
    def receipts_waiting(self) -> int:
        """Receipts scheduled or queued and not sent yet."""
        return self._router.waiting if self._router is not None else 0

    def snapshot(self) -> dict[str, int]:
        """The counters now, plus the number of bound connections and waiting receipts."""
        figures = self.counters.snapshot()
        figures["connections"] = len(self._server.connections) if self._server else 0
        figures["receipts_waiting"] = self.receipts_waiting
        return figures

    # -- faults on demand ----------------------------------------------------------------------

    def drop_connections(self, system_id: str | None = None) -> int:
        """Cut every bound connection (of ``system_id`` only, when given) without unbinding;
        return how many were cut."""
        smsc = self._started_smsc()
        dropped = 0
        for connection in self.connections:
            if system_id is None or connection.system_id == system_id:
                smsc.drop(connection)
                dropped += 1
        return dropped

    # -- MO ------------------------------------------------------------------------------------

    def mo_pdus(
        self, source: str, destination: str, text: str, data_coding: int | None = None
    ) -> list[DeliverSm]:
        """The deliver_sm PDUs of one MO (several when it needs more than one segment).

        Raises ValueError for text the data_coding cannot carry or too long a text.
        """
        encoded = encode_text(text, data_coding, next(self._mo_references) & 0xFF)
        source_ton, source_npi, source_addr = _address(source)
        dest_ton, dest_npi, dest_addr = _address(destination)
        esm_class = EsmClass.UDHI if encoded.has_udh else EsmClass.DEFAULT
        return [
            DeliverSm(
                source_addr_ton=source_ton,
                source_addr_npi=source_npi,
                source_addr=source_addr,
                dest_addr_ton=dest_ton,
                dest_addr_npi=dest_npi,
                destination_addr=dest_addr,
                esm_class=esm_class,
                data_coding=encoded.data_coding,
                short_message=part,
            )
            for part in encoded.parts
        ]

    async def inject_mo(
        self,
        source: str,
        destination: str,
        text: str,
        data_coding: int | None = None,
        *,
        system_id: str | None = None,
        timeout_s: float = 10.0,
    ) -> list[int]:
        """Send an MO to a bound receiver (of ``system_id`` when given); return the
        command_status the ESME answered each part with.

        Raises NoReceiverBound, ValueError (see ``mo_pdus``), TimeoutError, or the
        connection's SmppError when the link fails on the way.
        """
        pdus = self.mo_pdus(source, destination, text, data_coding)
        connection = self._receiver(system_id)
        return await self._deliver(connection, pdus, timeout_s)

    def start_mo(
        self,
        source: str,
        destination: str,
        text: str,
        data_coding: int | None = None,
        *,
        system_id: str | None = None,
    ) -> int:
        """Like ``inject_mo`` but in the background: return the number of parts once the MO
        is encoded and a receiver chosen."""
        pdus = self.mo_pdus(source, destination, text, data_coding)
        connection = self._receiver(system_id)
        self._spawn(self._deliver_logged(connection, pdus), name=f"simulator-mo-{source}")
        return len(pdus)

    def _receiver(self, system_id: str | None) -> SimulatedConnection:
        router = self._router
        connection = router.receiver(system_id) if router is not None else None
        if connection is None:
            wanted = f" of system_id {system_id!r}" if system_id is not None else ""
            raise NoReceiverBound(f"no receiver or transceiver{wanted} is bound")
        return connection

    async def _deliver(
        self, connection: SmscConnection, pdus: list[DeliverSm], timeout_s: float
    ) -> list[int]:
        statuses = []
        for pdu in pdus:
            async with asyncio.timeout(timeout_s):
                response = await connection.deliver(pdu)
            assert response is not None
            statuses.append(response.command_status)
            self.counters.mo_parts_sent += 1
        self.counters.mo_sent += 1
        return statuses

    async def _deliver_logged(self, connection: SmscConnection, pdus: list[DeliverSm]) -> None:
        try:
            await self._deliver(connection, pdus, 10.0)
        except (SmppError, TimeoutError) as exc:
            logger.warning(
                "simulator MO not delivered peer=%s error=%s",
                connection.peer,
                exc,
                extra={"event": "simulator.mo_failed"},
            )

    def _spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "simulator task failed task=%s",
                task.get_name(),
                exc_info=task.exception(),
                extra={"event": "simulator.task_failed"},
            )

    def _started_server(self) -> SmppServer:
        if self._server is None:
            raise SimulatorError("the simulator is not started")
        return self._server

    def _started_smsc(self) -> SimulatedSmsc:
        if self._smsc is None:
            raise SimulatorError("the simulator is not started")
        return self._smsc


def _address(value: str) -> tuple[int, int, str]:
    """TON, NPI and digits of an address: "+33..." international, digits unknown/ISDN,
    anything else alphanumeric."""
    if value.startswith("+") and value[1:].isdigit():
        return Ton.INTERNATIONAL, Npi.ISDN, value[1:]
    if value.isdigit():
        return Ton.UNKNOWN, Npi.ISDN, value
    return Ton.ALPHANUMERIC, Npi.UNKNOWN, value

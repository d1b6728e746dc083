"""Fixtures for the simulator tests: simulators on port 0 and ESMEs bound to them, all closed
after the test; an inbox that collects deliver_sm and lets a test wait for a count."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest

from smsgate.simulator import SimulatorConfig, SmscSimulator
from smsgate.smpp import BindType, CommandStatus, DataSm, DeliverSm, SmppClient, connect

WAIT_S = 5.0


class Inbox:
    """An on_deliver handler that keeps every deliver_sm and answers ESME_ROK."""

    def __init__(self) -> None:
        self.pdus: list[DeliverSm | DataSm] = []
        self._arrived = asyncio.Event()

    def __call__(self, pdu: DeliverSm | DataSm) -> int:
        self.pdus.append(pdu)
        self._arrived.set()
        return CommandStatus.ESME_ROK

    async def wait_for(self, count: int) -> list[DeliverSm | DataSm]:
        """The first ``count`` PDUs, once they have arrived."""
        async with asyncio.timeout(WAIT_S):
            while len(self.pdus) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.pdus[:count]


StartSimulator = Callable[..., Awaitable[SmscSimulator]]
Bind = Callable[..., Awaitable[SmppClient]]


@pytest.fixture
async def start_simulator() -> AsyncIterator[StartSimulator]:
    """Start a simulator with the given SimulatorConfig fields (receipts without delay)."""
    started: list[SmscSimulator] = []

    async def start(**settings: Any) -> SmscSimulator:
        simulator = SmscSimulator(SimulatorConfig(**{"receipt_delay_s": 0.0, **settings}))
        await simulator.start("127.0.0.1", 0)
        started.append(simulator)
        return simulator

    yield start
    for simulator in started:
        await simulator.close(timeout_s=2.0)


@pytest.fixture
async def bind() -> AsyncIterator[Bind]:
    """Bind an ESME (our client) to a simulator; unbound after the test."""
    clients: list[SmppClient] = []

    async def bind_to(
        simulator: SmscSimulator,
        *,
        system_id: str = "esme",
        password: str = "secret",
        bind: BindType = BindType.TRANSCEIVER,
        inbox: Inbox | None = None,
        window_size: int = 10,
    ) -> SmppClient:
        client = await connect(
            "127.0.0.1",
            simulator.port,
            system_id,
            password,
            bind=bind,
            window_size=window_size,
            on_deliver=inbox,
            connect_timeout_s=WAIT_S,
        )
        clients.append(client)
        return client

    yield bind_to
    for client in clients:
        if not client.is_closed:
            await client.unbind(timeout_s=2.0)

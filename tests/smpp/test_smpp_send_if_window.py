"""SmppConnection.send_if_window (send without awaiting the response) and the server's
connection_factory, over a loopback socket."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.smpp import (
    Bind,
    BindType,
    CommandStatus,
    DataSm,
    DeliverSm,
    Session,
    SmppServer,
    SmscConnection,
    SmscHandler,
    connect,
)

pytestmark = pytest.mark.e2e


class CountingConnection(SmscConnection):
    made = 0

    def __init__(self, server: SmppServer, session: Session, tick_interval_s: float) -> None:
        super().__init__(server, session, tick_interval_s)
        CountingConnection.made += 1


class AcceptAll(SmscHandler):
    def __init__(self) -> None:
        self.bound_event = asyncio.Event()

    def authenticate(self, connection: SmscConnection, bind: Bind) -> int:
        return CommandStatus.ESME_ROK

    def bound(self, connection: SmscConnection) -> None:
        self.bound_event.set()


async def test_send_if_window_fills_the_window_then_refuses_until_answers_free_it() -> None:
    CountingConnection.made = 0
    handler = AcceptAll()
    server = SmppServer(handler, window_size=2, connection_factory=CountingConnection)
    await server.start("127.0.0.1", 0)
    release = asyncio.Event()
    two_arrived = asyncio.Event()
    answered: list[DeliverSm | DataSm] = []

    async def on_deliver(pdu: DeliverSm | DataSm) -> int:
        if len(answered) == 1:
            two_arrived.set()
        answered.append(pdu)
        await release.wait()
        return CommandStatus.ESME_ROK

    client = await connect(
        "127.0.0.1", server.port, "esme", "pw", bind=BindType.RECEIVER, on_deliver=on_deliver
    )
    try:
        await asyncio.wait_for(handler.bound_event.wait(), 5.0)
        [connection] = server.connections
        sent = [connection.send_if_window(DeliverSm(short_message=b"%d" % n)) for n in range(3)]
        await asyncio.wait_for(two_arrived.wait(), 5.0)
        outstanding_while_held = connection.session.outstanding_count
        release.set()
        async with asyncio.timeout(5.0):
            while connection.session.outstanding_count:  # one round trip lets answers in
                await connection.enquire_link()
        again = connection.send_if_window(DeliverSm(short_message=b"again"))
    finally:
        await client.unbind(timeout_s=2.0)
        await server.close(timeout_s=2.0)

    assert sent == [True, True, False]
    assert outstanding_while_held == 2
    assert again is True
    assert CountingConnection.made == 1

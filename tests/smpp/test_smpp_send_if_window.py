"""SmppConnection.send_if_window (send without awaiting the response) and the server's
connection_factory, over a loopback socket."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.smpp import (
    Bind,
    BindType,
    CommandStatus,
    ConnectionClosedError,
    DataSm,
    DeliverSm,
    Session,
    SmppServer,
    SmscConnection,
    SmscHandler,
    SubmitOutcome,
    SubmitSm,
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


class TakeSubmits(AcceptAll):
    def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
        return SubmitOutcome(CommandStatus.ESME_ROK, f"id-{pdu.short_message.decode()}")


async def test_send_if_window_hands_each_answer_to_its_callback() -> None:
    """A gateway submitting without a future per message: the submit_sm_resp comes to the
    callback given with the submit, and the submits still outstanding when the link closes
    come back as the error that ended them."""
    handler = TakeSubmits()
    server = SmppServer(handler, window_size=10)
    await server.start("127.0.0.1", 0)
    client = await connect("127.0.0.1", server.port, "esme", "pw", window_size=2)
    answers: list[object] = []
    try:
        sent = [
            client.send_if_window(SubmitSm(short_message=b"%d" % n), answers.append)
            for n in range(3)
        ]
        async with asyncio.timeout(5.0):
            while len(answers) < 2:  # noqa: ASYNC110 -- the callbacks fill it
                await asyncio.sleep(0.01)
        assert client.send_if_window(SubmitSm(short_message=b"late"), answers.append)
        client.abort()
        await client.wait_closed()
    finally:
        await server.close(timeout_s=2.0)

    assert sent == [True, True, False]
    assert [getattr(a, "message_id", None) for a in answers[:2]] == ["id-0", "id-1"]
    assert isinstance(answers[2], ConnectionClosedError)

"""The asyncio client and server over a real loopback socket (port 0); events, no sleeps."""

from __future__ import annotations

import asyncio
import itertools
import socket
from collections.abc import AsyncIterator

import pytest

from smsgate.smpp import (
    AlertNotification,
    Bind,
    BindError,
    BindType,
    CommandStatus,
    ConnectionClosedError,
    DataSm,
    DeliverSm,
    DeliverSmResp,
    EnquireLinkResp,
    QuerySm,
    QuerySmResp,
    ResponseTimeoutError,
    SessionState,
    SmppClient,
    SmppServer,
    SmscConnection,
    SmscHandler,
    SubmitOutcome,
    SubmitSm,
    SubmitSmResp,
    connect,
)

pytestmark = pytest.mark.e2e


class RecordingHandler(SmscHandler):
    """Accepts password "secret", numbers messages, and signals binds and closes."""

    def __init__(self) -> None:
        self.ids = itertools.count(1)
        self.submitted: list[SubmitSm] = []
        self.bound_event = asyncio.Event()
        self.closed_event = asyncio.Event()

    def authenticate(self, connection: SmscConnection, bind: Bind) -> int:
        if bind.password == "secret":
            return CommandStatus.ESME_ROK
        return CommandStatus.ESME_RINVPASWD

    def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
        self.submitted.append(pdu)
        return SubmitOutcome(CommandStatus.ESME_ROK, f"{next(self.ids):08x}")

    def bound(self, connection: SmscConnection) -> None:
        self.bound_event.set()

    def closed(self, connection: SmscConnection) -> None:
        self.closed_event.set()


class AsyncHandler(SmscHandler):
    """Coroutine hooks (they run as tasks)."""

    async def authenticate(self, connection: SmscConnection, bind: Bind) -> int:
        return CommandStatus.ESME_ROK

    async def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
        if pdu.destination_addr == "000":
            return SubmitOutcome(CommandStatus.ESME_RINVDSTADR)
        return SubmitOutcome(CommandStatus.ESME_ROK, "async-id")


@pytest.fixture
def handler() -> RecordingHandler:
    return RecordingHandler()


@pytest.fixture
async def server(handler: RecordingHandler) -> AsyncIterator[SmppServer]:
    smsc = SmppServer(handler, system_id="test-smsc", window_size=10)
    await smsc.start("127.0.0.1", 0)
    yield smsc
    await smsc.close(timeout_s=2.0)


def message(number: int) -> SubmitSm:
    return SubmitSm(
        source_addr="Acme", destination_addr=f"4477009{number:05d}", short_message=b"hi"
    )


async def test_client_server_bind_submit_deliver_unbind_round_trip(
    server: SmppServer, handler: RecordingHandler
) -> None:
    delivered: list[DeliverSm | DataSm] = []
    got_delivery = asyncio.Event()

    def on_deliver(pdu: DeliverSm | DataSm) -> int:
        delivered.append(pdu)
        got_delivery.set()
        return CommandStatus.ESME_ROK

    client = await connect(
        "127.0.0.1", server.port, "esme", "secret", window_size=10, on_deliver=on_deliver
    )
    assert client.session.state is SessionState.BOUND_TRX
    assert client.smsc_system_id == "test-smsc"
    await asyncio.wait_for(handler.bound_event.wait(), 2.0)

    async with asyncio.timeout(10.0), asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(client.submit(message(n)), name=f"test-submit-{n}")
            for n in range(1000)
        ]
    responses = [task.result() for task in tasks]

    assert all(response.command_status == 0 for response in responses)
    message_ids = {
        response.message_id for response in responses if isinstance(response, SubmitSmResp)
    }
    assert len(message_ids) == 1000
    assert len(handler.submitted) == 1000
    assert {pdu.destination_addr for pdu in handler.submitted} == {
        message(n).destination_addr for n in range(1000)
    }

    [connection] = server.connections
    receipt = DeliverSm(
        source_addr="447700900001", destination_addr="Acme", esm_class=4, short_message=b"id:1"
    )
    answer = await asyncio.wait_for(connection.deliver(receipt), 2.0)
    await asyncio.wait_for(got_delivery.wait(), 2.0)

    assert answer == DeliverSmResp(receipt.sequence_number, CommandStatus.ESME_ROK)
    assert delivered == [receipt]

    await client.unbind(timeout_s=2.0)
    await asyncio.wait_for(handler.closed_event.wait(), 2.0)
    assert client.is_closed
    assert server.connections == []


async def test_client_full_window_queues_submits_until_responses_arrive() -> None:
    release = asyncio.Event()
    three_arrived = asyncio.Event()

    class StallingHandler(AsyncHandler):
        def __init__(self) -> None:
            self.submitted: list[SubmitSm] = []

        async def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
            self.submitted.append(pdu)
            if len(self.submitted) == 3:
                three_arrived.set()
            await release.wait()
            return SubmitOutcome(CommandStatus.ESME_ROK, "id")

    handler = StallingHandler()
    server = SmppServer(handler)
    await server.start("127.0.0.1", 0)
    client = await connect("127.0.0.1", server.port, "esme", "secret", window_size=3)
    try:
        async with asyncio.timeout(5.0), asyncio.TaskGroup() as group:
            tasks = [
                group.create_task(client.submit(message(n)), name=f"test-submit-{n}")
                for n in range(10)
            ]
            await three_arrived.wait()
            assert client.session.outstanding_count == 3
            assert not any(task.done() for task in tasks)
            release.set()
        assert all(task.result().command_status == 0 for task in tasks)
        assert len(handler.submitted) == 10
    finally:
        await client.unbind(timeout_s=2.0)
        await server.close(timeout_s=2.0)


async def test_enquire_link_over_the_wire_answered_by_server(server: SmppServer) -> None:
    client = await connect("127.0.0.1", server.port, "esme", "secret")

    response = await asyncio.wait_for(client.enquire_link(), 2.0)

    assert response == EnquireLinkResp(response.sequence_number)
    await client.unbind(timeout_s=2.0)


async def test_server_close_unbinds_bound_clients(handler: RecordingHandler) -> None:
    server = SmppServer(handler)
    await server.start("127.0.0.1", 0)
    client = await connect("127.0.0.1", server.port, "esme", "secret")

    await server.close(timeout_s=2.0)

    await asyncio.wait_for(client.wait_closed(), 2.0)
    assert client.session.state is SessionState.CLOSED
    assert handler.closed_event.is_set()


async def test_bind_with_wrong_password_raises_bind_error(server: SmppServer) -> None:
    with pytest.raises(BindError) as caught:
        await connect("127.0.0.1", server.port, "esme", "wrong", connect_timeout_s=2.0)

    assert caught.value.command_status == CommandStatus.ESME_RINVPASWD


async def test_async_hooks_answer_from_tasks() -> None:
    handler = AsyncHandler()
    server = SmppServer(handler)
    await server.start("127.0.0.1", 0)
    answered = asyncio.Event()

    async def on_deliver(pdu: DeliverSm | DataSm) -> int:
        answered.set()
        return CommandStatus.ESME_RX_P_APPN

    client = await connect(
        "127.0.0.1", server.port, "esme", "any", bind=BindType.TRANSCEIVER, on_deliver=on_deliver
    )
    try:
        ok = await asyncio.wait_for(client.submit(message(1)), 2.0)
        refused = await asyncio.wait_for(client.submit(SubmitSm(destination_addr="000")), 2.0)
        [connection] = server.connections
        answer = await asyncio.wait_for(connection.deliver(DeliverSm(short_message=b"mo")), 2.0)
    finally:
        await client.unbind(timeout_s=2.0)
        await server.close(timeout_s=2.0)

    assert ok.command_status == 0
    assert ok == SubmitSmResp(ok.sequence_number, 0, "async-id")
    assert refused.command_status == CommandStatus.ESME_RINVDSTADR
    assert answered.is_set()
    assert answer is not None
    assert answer.command_status == CommandStatus.ESME_RX_P_APPN


async def test_connection_closed_by_server_fails_pending_submit() -> None:
    release = asyncio.Event()
    arrived = asyncio.Event()

    class StallingHandler(AsyncHandler):
        async def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
            arrived.set()
            await release.wait()
            return SubmitOutcome(CommandStatus.ESME_ROK, "never")

    server = SmppServer(StallingHandler())
    await server.start("127.0.0.1", 0)
    client = await connect("127.0.0.1", server.port, "esme", "secret")
    pending = asyncio.ensure_future(client.submit(message(1)))
    await asyncio.wait_for(arrived.wait(), 2.0)

    server.connections[0].abort()

    with pytest.raises(ConnectionClosedError):
        await asyncio.wait_for(pending, 2.0)
    release.set()
    await client.wait_closed()
    await server.close(timeout_s=2.0)


async def test_client_socket_has_tcp_nodelay(server: SmppServer) -> None:
    client = await connect("127.0.0.1", server.port, "esme", "secret")
    try:
        assert client._transport is not None
        sock = client._transport.get_extra_info("socket")
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        await client.unbind(timeout_s=2.0)


async def test_alert_notification_reaches_client_hook(server: SmppServer) -> None:
    alerts: list[AlertNotification] = []
    alerted = asyncio.Event()

    def on_alert(pdu: AlertNotification) -> None:
        alerts.append(pdu)
        alerted.set()

    client = await connect("127.0.0.1", server.port, "esme", "secret", on_alert=on_alert)
    alert = AlertNotification(source_addr="447700900123", esme_addr="Acme")

    assert await server.connections[0].deliver(alert) is None
    await asyncio.wait_for(alerted.wait(), 2.0)

    assert alerts == [alert]
    await client.unbind(timeout_s=2.0)


async def test_failing_deliver_handler_answers_temporary_error(server: SmppServer) -> None:
    def on_deliver(pdu: DeliverSm | DataSm) -> int:
        raise RuntimeError("database down")

    client = await connect("127.0.0.1", server.port, "esme", "secret", on_deliver=on_deliver)

    answer = await asyncio.wait_for(server.connections[0].deliver(DeliverSm()), 2.0)

    assert answer is not None
    assert answer.command_status == CommandStatus.ESME_RX_T_APPN
    await client.unbind(timeout_s=2.0)


async def test_deliver_handler_returning_none_answers_later_itself(server: SmppServer) -> None:
    held: list[tuple[SmppClient, DeliverSm | DataSm]] = []
    arrived = asyncio.Event()

    def on_deliver(client: SmppClient, pdu: DeliverSm | DataSm) -> None:
        held.append((client, pdu))  # acknowledged later, e.g. once stored
        arrived.set()

    client = await connect("127.0.0.1", server.port, "esme", "secret", on_deliver_client=on_deliver)
    pending = asyncio.ensure_future(server.connections[0].deliver(DeliverSm()))
    await asyncio.wait_for(arrived.wait(), 2.0)
    assert not pending.done()
    assert held[0][0] is client
    client.answer(held[0][1], CommandStatus.ESME_ROK)
    answer = await asyncio.wait_for(pending, 2.0)
    assert answer is not None
    assert answer.command_status == CommandStatus.ESME_ROK
    await client.unbind(timeout_s=2.0)


async def test_unanswered_submit_raises_response_timeout() -> None:
    never = asyncio.Event()

    class SilentHandler(AsyncHandler):
        async def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
            await never.wait()
            return SubmitOutcome(CommandStatus.ESME_ROK)

    server = SmppServer(SilentHandler())
    await server.start("127.0.0.1", 0)
    client = await connect(
        "127.0.0.1", server.port, "esme", "x", response_timeout_s=0.05, tick_interval_s=0.01
    )
    try:
        with pytest.raises(ResponseTimeoutError):
            await asyncio.wait_for(client.submit(message(1)), 2.0)
        assert client.session.outstanding_count == 0
    finally:
        never.set()
        await client.unbind(timeout_s=2.0)
        await server.close(timeout_s=2.0)


async def test_request_without_hook_answered_with_rinvcmdid(server: SmppServer) -> None:
    client = await connect("127.0.0.1", server.port, "esme", "secret")

    response = await asyncio.wait_for(client.request(QuerySm(message_id="1")), 2.0)

    assert response == QuerySmResp(response.sequence_number, CommandStatus.ESME_RINVCMDID)
    await client.unbind(timeout_s=2.0)


async def test_failing_submit_hook_answers_rsyserr_and_keeps_the_link() -> None:
    class BrokenHandler(RecordingHandler):
        def submit_sm(self, connection: SmscConnection, pdu: SubmitSm) -> SubmitOutcome:
            raise RuntimeError("bug")

    server = SmppServer(BrokenHandler())
    await server.start("127.0.0.1", 0)
    client = await connect("127.0.0.1", server.port, "esme", "secret")
    try:
        first = await asyncio.wait_for(client.submit(message(1)), 2.0)
        second = await asyncio.wait_for(client.submit(message(2)), 2.0)
    finally:
        await client.unbind(timeout_s=2.0)
        await server.close(timeout_s=2.0)

    assert first.command_status == CommandStatus.ESME_RSYSERR
    assert second.command_status == CommandStatus.ESME_RSYSERR

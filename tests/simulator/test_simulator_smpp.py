"""The simulator over real loopback sockets, driven by our SMPP client (or raw bytes): binds,
submits, receipts, id formats, outcome shares, and the faults it injects."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from smsgate.simulator import IdFormat, OutcomeShares, ReceiptIdFormat, SmscSimulator
from smsgate.smpp import (
    BindError,
    BindTransceiver,
    BindType,
    CommandStatus,
    ConnectionClosedError,
    DataSm,
    DataSmResp,
    DeliverSm,
    DistributionList,
    EsmClass,
    GenericNack,
    MessageState,
    Pdu,
    PduReader,
    QuerySm,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    TlvTag,
    make_tlv,
    message_ids_match,
    parse_receipt,
    receipt_from_pdu,
)
from tests.simulator.conftest import WAIT_S, Bind, Inbox, StartSimulator

pytestmark = pytest.mark.e2e


def message(number: int = 1, registered_delivery: int = 1) -> SubmitSm:
    return SubmitSm(
        source_addr_ton=5,
        source_addr="Acme",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr=f"4477009{number:05d}",
        registered_delivery=registered_delivery,
        short_message=b"Your code is 123456. It expires soon.",
    )


# -- binds ---------------------------------------------------------------------------------


async def test_bind_any_credentials_in_every_mode_accepted(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()

    for bind_type in BindType:
        client = await bind(simulator, system_id=bind_type.value[:8], bind=bind_type)
        assert client.session.bind_type is bind_type
        assert client.smsc_system_id == "smsgate-sim"

    assert simulator.snapshot()["binds"] == 3
    assert len(simulator.connections) == 3


async def test_bind_with_configured_credentials_refuses_others(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(system_id="acme", password="s3cret")

    with pytest.raises(BindError) as wrong_password:
        await bind(simulator, system_id="acme", password="guess")
    with pytest.raises(BindError) as wrong_system_id:
        await bind(simulator, system_id="other", password="s3cret")
    client = await bind(simulator, system_id="acme", password="s3cret")

    assert wrong_password.value.command_status == CommandStatus.ESME_RINVPASWD
    assert wrong_system_id.value.command_status == CommandStatus.ESME_RINVSYSID
    assert client.session.is_bound
    assert simulator.snapshot()["bind_refusals"] == 2


# -- submit and receipts -------------------------------------------------------------------


async def test_submit_with_registered_delivery_gets_receipt_in_text_and_tlvs(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    response = await client.submit(message(7))
    [pdu] = await inbox.wait_for(1)

    assert isinstance(response, SubmitSmResp)
    assert response.command_status == 0
    assert response.message_id == "a0000000"
    assert isinstance(pdu, DeliverSm)
    assert pdu.esm_class == EsmClass.SMSC_DELIVERY_RECEIPT
    assert (pdu.source_addr_ton, pdu.source_addr) == (1, "447700900007")
    assert (pdu.dest_addr_ton, pdu.destination_addr) == (5, "Acme")
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == response.message_id
    assert receipt.state is MessageState.DELIVERED
    text = parse_receipt(pdu.short_message)
    assert text is not None
    assert (text.message_id, text.stat, text.error) == ("a0000000", "DELIVRD", "000")
    assert (text.submitted, text.delivered) == (1, 1)
    assert text.submit_date is not None
    assert text.done_date is not None
    assert text.text == "Your code is 123456."
    assert pdu.tlv(TlvTag.RECEIPTED_MESSAGE_ID) == make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "a0000000")
    assert pdu.tlv(TlvTag.MESSAGE_STATE) == make_tlv(TlvTag.MESSAGE_STATE, 2)


async def test_submit_without_registered_delivery_gets_no_receipt(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    silent = await client.submit(message(1, registered_delivery=0))
    asked = await client.submit(message(2, registered_delivery=1))
    [pdu] = await inbox.wait_for(1)

    receipt = receipt_from_pdu(pdu)
    assert isinstance(silent, SubmitSmResp)
    assert isinstance(asked, SubmitSmResp)
    assert receipt is not None
    assert receipt.message_id == asked.message_id
    assert simulator.snapshot()["receipts_sent"] == 1


async def test_receipt_after_a_delay_still_arrives_for_every_message(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(receipt_delay_s=0.02)
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    ids = []
    for number in range(5):
        response = await client.submit(message(number))
        assert isinstance(response, SubmitSmResp)
        ids.append(response.message_id)
    pdus = await inbox.wait_for(5)

    assert [receipt_id(pdu) for pdu in pdus] == ids


def receipt_id(pdu: DeliverSm | DataSm) -> str:
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    return receipt.message_id


async def test_receipts_beyond_the_window_wait_and_all_arrive(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(window_size=2)
    in_flight = 0
    most_in_flight = 0
    release = asyncio.Event()
    received: list[DeliverSm | DataSm] = []
    all_received = asyncio.Event()

    async def slow_handler(pdu: DeliverSm | DataSm) -> int:
        nonlocal in_flight, most_in_flight
        in_flight += 1
        most_in_flight = max(most_in_flight, in_flight)
        await release.wait()
        in_flight -= 1
        received.append(pdu)
        if len(received) == 10:
            all_received.set()
        return CommandStatus.ESME_ROK

    client = await bind(simulator, window_size=10)
    client.on_deliver = slow_handler
    async with asyncio.timeout(WAIT_S), asyncio.TaskGroup() as group:
        for number in range(10):
            group.create_task(client.submit(message(number)), name=f"test-submit-{number}")
    release.set()
    async with asyncio.timeout(WAIT_S):
        await all_received.wait()

    assert most_in_flight <= 2
    assert simulator.snapshot()["receipts_sent"] == 10
    assert simulator.receipts_waiting == 0


async def test_receipt_refused_by_the_esme_is_sent_again(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(receipt_retry_s=0.01)
    answers = iter([CommandStatus.ESME_RX_T_APPN, CommandStatus.ESME_ROK])
    inbox = Inbox()

    def refuse_once(pdu: DeliverSm | DataSm) -> int:
        inbox(pdu)
        return next(answers)

    client = await bind(simulator)
    client.on_deliver = refuse_once
    await client.submit(message())
    first, second = await inbox.wait_for(2)

    assert receipt_id(first) == receipt_id(second) == "a0000000"
    assert simulator.snapshot()["receipts_refused"] == 1


async def test_receipt_unanswered_when_the_link_drops_goes_to_the_next_bind(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(receipt_retry_s=0.01)
    arrived = asyncio.Event()
    never = asyncio.Event()

    async def hold(pdu: DeliverSm | DataSm) -> int:
        arrived.set()
        await never.wait()
        return CommandStatus.ESME_ROK

    first = await bind(simulator)
    first.on_deliver = hold
    await first.submit(message())
    await asyncio.wait_for(arrived.wait(), WAIT_S)
    first.abort()  # a crash: the receipt was never answered
    await first.wait_closed()
    never.set()
    inbox = Inbox()
    await bind(simulator, inbox=inbox)
    [pdu] = await inbox.wait_for(1)

    assert receipt_id(pdu) == "a0000000"
    assert simulator.snapshot()["receipts_unanswered"] == 1


# -- routing -------------------------------------------------------------------------------


async def test_receipts_go_round_robin_to_receivers_of_the_same_system_id(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    first, second, stranger = Inbox(), Inbox(), Inbox()
    transmitter = await bind(simulator, bind=BindType.TRANSMITTER)
    await bind(simulator, bind=BindType.RECEIVER, inbox=first)
    await bind(simulator, bind=BindType.RECEIVER, inbox=second)
    await bind(simulator, system_id="other", bind=BindType.RECEIVER, inbox=stranger)

    for number in range(4):
        await transmitter.submit(message(number))
    await first.wait_for(2)
    await second.wait_for(2)

    assert len(first.pdus) == 2
    assert len(second.pdus) == 2
    assert stranger.pdus == []


async def test_receipts_wait_for_a_receiver_to_bind(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    transmitter = await bind(simulator, bind=BindType.TRANSMITTER)
    for number in range(3):
        await transmitter.submit(message(number))

    inbox = Inbox()
    await bind(simulator, bind=BindType.RECEIVER, inbox=inbox)
    pdus = await inbox.wait_for(3)

    assert [receipt_id(pdu) for pdu in pdus] == ["a0000000", "a0000001", "a0000002"]


# -- id formats ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("id_format", "receipt_id_format", "response_id", "receipt_form"),
    [
        (IdFormat.HEX, ReceiptIdFormat.SAME, "a0000000", "a0000000"),
        (IdFormat.DECIMAL, ReceiptIdFormat.SAME, "2684354560", "2684354560"),
        (IdFormat.HEX, ReceiptIdFormat.DECIMAL, "a0000000", "2684354560"),
        (IdFormat.DECIMAL, ReceiptIdFormat.HEX, "2684354560", "a0000000"),
    ],
)
async def test_id_formats_in_response_and_receipt(
    start_simulator: StartSimulator,
    bind: Bind,
    id_format: IdFormat,
    receipt_id_format: ReceiptIdFormat,
    response_id: str,
    receipt_form: str,
) -> None:
    simulator = await start_simulator(id_format=id_format, receipt_id_format=receipt_id_format)
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    response = await client.submit(message())
    [pdu] = await inbox.wait_for(1)

    assert isinstance(response, SubmitSmResp)
    assert response.message_id == response_id
    assert isinstance(pdu, DeliverSm)
    text = parse_receipt(pdu.short_message)
    assert text is not None
    assert text.message_id == receipt_form
    assert receipt_id(pdu) == receipt_form
    assert message_ids_match(receipt_id(pdu), response.message_id)


# -- outcomes ------------------------------------------------------------------------------


async def outcomes_of_run(
    start_simulator: StartSimulator, bind: Bind, count: int, **settings: object
) -> list[tuple[str, MessageState | None, str | None]]:
    simulator = await start_simulator(**settings)
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)
    for number in range(count):
        await client.submit(message(number))
    results = []
    for pdu in await inbox.wait_for(count):
        receipt = receipt_from_pdu(pdu)
        assert receipt is not None
        results.append((receipt.message_id, receipt.state, receipt.error))
    return results


async def test_outcome_shares_with_a_seed_repeat_and_mix(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    shares = OutcomeShares(delivered=0.5, undelivered=0.2, expired=0.2, rejected=0.1)
    settings = {"outcomes": shares, "seed": 42, "failure_error_code": 12}

    first = await outcomes_of_run(start_simulator, bind, 200, **settings)
    second = await outcomes_of_run(start_simulator, bind, 200, **settings)

    assert first == second
    states = Counter(state for _, state, _ in first)
    assert set(states) == {
        MessageState.DELIVERED,
        MessageState.UNDELIVERABLE,
        MessageState.EXPIRED,
        MessageState.REJECTED,
    }
    assert states[MessageState.DELIVERED] > states[MessageState.REJECTED]
    assert {error for _, state, error in first if state is MessageState.DELIVERED} == {"000"}
    assert {error for _, state, error in first if state is not MessageState.DELIVERED} == {"012"}


async def test_receipt_on_failure_only_skips_delivered_messages(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(outcomes=OutcomeShares(delivered=1, undelivered=1), seed=3)
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    for number in range(40):
        await client.submit(message(number, registered_delivery=2))
    await client.enquire_link()  # a round trip after the last submit
    sent = simulator.snapshot()["receipts_sent"]
    pdus = await inbox.wait_for(sent)

    assert 0 < sent < 40
    states = {receipt.state for pdu in pdus if (receipt := receipt_from_pdu(pdu)) is not None}
    assert states == {MessageState.UNDELIVERABLE}


# -- faults --------------------------------------------------------------------------------


async def test_throttle_rate_answers_rthrottled_beyond_the_limit(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(throttle_per_second=5)
    client = await bind(simulator, window_size=50)

    async with asyncio.timeout(WAIT_S), asyncio.TaskGroup() as group:
        tasks = [
            group.create_task(client.submit(message(n, 0)), name=f"test-submit-{n}")
            for n in range(50)
        ]
    statuses = Counter(task.result().command_status for task in tasks)

    # 50 submits within at most two one-second windows: 5 to 10 pass.
    assert 5 <= statuses[CommandStatus.ESME_ROK] <= 10
    assert statuses[CommandStatus.ESME_RTHROTTLED] == 50 - statuses[CommandStatus.ESME_ROK]
    assert simulator.snapshot()["throttled"] == statuses[CommandStatus.ESME_RTHROTTLED]


async def test_throttle_share_with_a_seed_throttles_some(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(throttle_share=0.5, seed=1)
    client = await bind(simulator)

    statuses = Counter([(await client.submit(message(n, 0))).command_status for n in range(100)])

    assert set(statuses) == {CommandStatus.ESME_ROK, CommandStatus.ESME_RTHROTTLED}
    assert simulator.snapshot()["throttled"] == statuses[CommandStatus.ESME_RTHROTTLED]


async def test_reject_share_answers_the_configured_status(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(reject_share=1.0)
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    response = await client.submit(message())
    await client.enquire_link()

    assert response.command_status == CommandStatus.ESME_RINVDSTADR
    assert inbox.pdus == []
    assert simulator.snapshot()["rejected"] == 1


async def test_drop_after_n_submits_cuts_the_connection(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator(drop_after_submits=3)
    client = await bind(simulator)

    answered = [await client.submit(message(n, 0)) for n in range(3)]
    with pytest.raises(ConnectionClosedError):
        await client.submit(message(4, 0))
    await asyncio.wait_for(client.wait_closed(), WAIT_S)

    assert [response.command_status for response in answered] == [0, 0, 0]
    assert simulator.snapshot()["drops"] == 1


async def test_drop_connections_on_demand_cuts_every_bound_esme(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    clients = [await bind(simulator, system_id=f"esme-{n}") for n in range(2)]

    dropped = simulator.drop_connections()
    for client in clients:
        await asyncio.wait_for(client.wait_closed(), WAIT_S)

    assert dropped == 2
    assert simulator.snapshot()["drops"] == 2


# -- raw bytes -----------------------------------------------------------------------------


class RawEsme:
    """A bound transceiver speaking bytes, to see the order of PDUs and send garbage."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self._pdus = PduReader()
        self._ready: list[object] = []

    @classmethod
    async def bind(cls, simulator: SmscSimulator) -> RawEsme:
        reader, writer = await asyncio.open_connection("127.0.0.1", simulator.port)
        esme = cls(reader, writer)
        await esme.send(BindTransceiver(sequence_number=1, system_id="raw", password="x").encode())
        answer = await esme.next_pdu()
        assert answer.command_status == 0
        return esme

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def next_pdu(self) -> Pdu:
        async with asyncio.timeout(WAIT_S):
            while not self._ready:
                data = await self.reader.read(65536)
                assert data, "the simulator closed the connection"
                self._ready.extend(self._pdus.feed(data))
        item = self._ready.pop(0)
        assert isinstance(item, Pdu), item
        return item

    async def close(self) -> None:
        self.writer.close()
        await self.writer.wait_closed()


def header(length: int, command_id: int, sequence_number: int) -> bytes:
    return b"".join(n.to_bytes(4, "big") for n in (length, command_id, 0, sequence_number))


@pytest.mark.parametrize(
    ("share", "first_kind"), [(1.0, DeliverSm), (0.0, SubmitSmResp)], ids=["early", "normal"]
)
async def test_receipt_before_response_share_sends_the_receipt_first(
    start_simulator: StartSimulator, share: float, first_kind: type[Pdu]
) -> None:
    simulator = await start_simulator(receipt_before_response_share=share)
    esme = await RawEsme.bind(simulator)

    submit = SubmitSm(sequence_number=2, destination_addr="123", registered_delivery=1)
    await esme.send(submit.encode())
    first = await esme.next_pdu()
    second = await esme.next_pdu()

    assert isinstance(first, first_kind)
    assert {type(first), type(second)} == {DeliverSm, SubmitSmResp}
    await esme.close()


async def test_malformed_pdus_get_generic_nack_and_the_link_stays_up(
    start_simulator: StartSimulator,
) -> None:
    simulator = await start_simulator()
    esme = await RawEsme.bind(simulator)

    await esme.send(header(16, 0x00000099, 5))  # unknown command_id
    unknown = await esme.next_pdu()
    await esme.send(header(20, 0x00000004, 6) + b"\x00abc")  # submit_sm cut short
    truncated = await esme.next_pdu()
    valid = message()
    valid.sequence_number = 7
    await esme.send(valid.encode())
    answered = await esme.next_pdu()

    assert unknown == GenericNack(5, CommandStatus.ESME_RINVCMDID)
    assert truncated == GenericNack(6, CommandStatus.ESME_RINVCMDLEN)
    assert isinstance(answered, SubmitSmResp)
    assert answered.sequence_number == 7
    assert answered.command_status == 0
    await esme.close()


# -- other operations ----------------------------------------------------------------------


async def test_data_sm_is_taken_like_submit_sm_with_a_receipt(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    response = await client.request(
        DataSm(
            source_addr="Acme",
            destination_addr="447700900123",
            registered_delivery=1,
            tlvs=(make_tlv(TlvTag.MESSAGE_PAYLOAD, b"hello by data_sm"),),
        )
    )
    [pdu] = await inbox.wait_for(1)

    assert isinstance(response, DataSmResp)
    assert response.command_status == 0
    receipt = receipt_from_pdu(pdu)
    assert receipt is not None
    assert receipt.message_id == response.message_id
    assert receipt.text == "hello by data_sm"


async def test_submit_multi_answers_one_id_and_refuses_distribution_lists(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    response = await client.request(
        SubmitMulti(
            source_addr="Acme",
            dest_addresses=(
                SmeAddress(1, 1, "447700900001"),
                SmeAddress(1, 1, "447700900002"),
                DistributionList("friends"),
            ),
            registered_delivery=1,
            short_message=b"to many",
        )
    )
    pdus = await inbox.wait_for(2)

    assert isinstance(response, SubmitMultiResp)
    assert response.command_status == 0
    assert [sme.address for sme in response.unsuccess_smes] == ["friends"]
    assert {pdu.source_addr for pdu in pdus} == {"447700900001", "447700900002"}
    assert {receipt_id(pdu) for pdu in pdus} == {response.message_id}


async def test_query_sm_answered_with_rqueryfail(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    client = await bind(simulator)

    response = await client.request(QuerySm(message_id="a0000000", source_addr="Acme"))

    assert response.command_status == CommandStatus.ESME_RQUERYFAIL


async def test_snapshot_counts_submits_and_receipts(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    client = await bind(simulator, inbox=inbox)

    for number in range(3):
        await client.submit(message(number))
    await inbox.wait_for(3)

    figures = simulator.snapshot()
    assert figures["submits"] == 3
    assert figures["accepted"] == 3
    assert figures["receipts_sent"] == 3
    assert figures["connections"] == 1
    assert figures["receipts_waiting"] == 0

"""The sans-IO session, tested as an ESME/SMSC pair passing bytes in memory, with a fake now."""

from __future__ import annotations

import pytest

from smsgate.smpp import (
    BindReceiver,
    BindTransceiver,
    BindTransmitter,
    BindType,
    CommandStatus,
    DeliverSm,
    DeliverSmResp,
    EnquireLink,
    EnquireLinkResp,
    Event,
    GenericNack,
    InvalidPduReceived,
    InvalidStateError,
    LinkBroken,
    PduReader,
    Request,
    RequestReceived,
    RequestTimedOut,
    Response,
    ResponseReceived,
    Role,
    Session,
    SessionState,
    SubmitSm,
    SubmitSmResp,
    Unbind,
    UnbindReceived,
    UnbindResp,
    UnexpectedResponse,
    WindowFullError,
)


def make_pair(
    window_size: int = 10,
    response_timeout_s: float = 30.0,
    enquire_link_interval_s: float | None = None,
) -> tuple[Session, Session]:
    sessions = (
        Session(
            role,
            window_size=window_size,
            response_timeout_s=response_timeout_s,
            enquire_link_interval_s=enquire_link_interval_s,
        )
        for role in (Role.ESME, Role.SMSC)
    )
    esme, smsc = sessions
    return esme, smsc


def responses_in(data: bytes) -> list[Response]:
    items = PduReader().feed(data)
    responses = [item for item in items if isinstance(item, Response)]
    assert len(responses) == len(items)
    return responses


def requests_in(events: list[Event]) -> list[Request]:
    requests = [event.request for event in events if isinstance(event, RequestReceived)]
    assert len(requests) == len(events)
    return requests


def bind(esme: Session, smsc: Session, bind_type: BindType = BindType.TRANSCEIVER) -> None:
    wire = esme.send_request(bind_type.pdu_class(system_id="esme", password="pw"), now=0.0)
    [event] = smsc.receive_data(wire)
    assert isinstance(event, RequestReceived)
    assert event.request.command_status == 0
    response = event.request.make_response(CommandStatus.ESME_ROK)
    [answer] = esme.receive_data(smsc.send_response(response))
    assert isinstance(answer, ResponseReceived)


def submit(destination: str = "447700900123") -> SubmitSm:
    return SubmitSm(destination_addr=destination, short_message=b"hi")


def test_bind_transceiver_accepted_binds_both_ends() -> None:
    esme, smsc = make_pair()

    bind(esme, smsc)

    assert esme.state is SessionState.BOUND_TRX
    assert smsc.state is SessionState.BOUND_TRX
    assert esme.bind_type is BindType.TRANSCEIVER
    assert smsc.bind_type is BindType.TRANSCEIVER


@pytest.mark.parametrize(
    ("pdu_class", "state"),
    [(BindTransmitter, SessionState.BOUND_TX), (BindReceiver, SessionState.BOUND_RX)],
)
def test_bind_kind_sets_matching_state(pdu_class: type, state: SessionState) -> None:
    esme, smsc = make_pair()
    [event] = smsc.receive_data(esme.send_request(pdu_class(system_id="e"), 0.0))
    assert isinstance(event, RequestReceived)

    esme.receive_data(smsc.send_response(event.request.make_response(0)))

    assert esme.state is state
    assert smsc.state is state


def test_bind_refused_leaves_both_ends_open() -> None:
    esme, smsc = make_pair()
    [event] = smsc.receive_data(esme.send_request(BindTransceiver(system_id="e"), 0.0))
    assert isinstance(event, RequestReceived)

    [answer] = esme.receive_data(
        smsc.send_response(event.request.make_response(CommandStatus.ESME_RINVPASWD))
    )

    assert isinstance(answer, ResponseReceived)
    assert answer.response.command_status == CommandStatus.ESME_RINVPASWD
    assert esme.state is SessionState.OPEN
    assert smsc.state is SessionState.OPEN


def test_submit_before_bind_send_raises_invalid_state() -> None:
    esme, _ = make_pair()

    with pytest.raises(InvalidStateError):
        esme.send_request(submit(), 0.0)


def test_submit_received_before_bind_answered_with_rinvbndsts() -> None:
    _, smsc = make_pair()

    events = smsc.receive_data(SubmitSm(sequence_number=12).encode())

    assert events == []
    assert responses_in(smsc.data_to_send()) == [SubmitSmResp(12, CommandStatus.ESME_RINVBNDSTS)]


def test_second_bind_received_answered_with_ralybnd() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)

    smsc.receive_data(BindTransceiver(sequence_number=40, system_id="again").encode())

    [answer] = responses_in(smsc.data_to_send())
    assert answer.command_status == CommandStatus.ESME_RALYBND
    assert answer.sequence_number == 40


def test_deliver_sm_to_transmitter_refused_both_ways() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc, BindType.TRANSMITTER)

    with pytest.raises(InvalidStateError):
        smsc.send_request(DeliverSm(), 0.0)
    esme.receive_data(DeliverSm(sequence_number=3).encode())

    assert responses_in(esme.data_to_send()) == [DeliverSmResp(3, CommandStatus.ESME_RINVBNDSTS)]


def test_submit_round_trip_matches_response_to_request() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    request = submit()

    [received] = smsc.receive_data(esme.send_request(request, 1.0))
    assert isinstance(received, RequestReceived)
    assert isinstance(received.request, SubmitSm)
    [event] = esme.receive_data(smsc.send_response(received.request.make_response(0, "m1")))

    assert event == ResponseReceived(request, SubmitSmResp(request.sequence_number, 0, "m1"))
    assert esme.outstanding_count == 0


def test_responses_out_of_order_each_matched_to_its_request() -> None:
    esme, smsc = make_pair(window_size=3)
    bind(esme, smsc)
    requests = [submit(f"4477009001{n}") for n in range(3)]
    wire = b"".join(esme.send_request(request, 0.0) for request in requests)
    received = requests_in(smsc.receive_data(wire))

    answers = b"".join(
        smsc.send_response(SubmitSmResp(received[n].sequence_number, 0, f"id{n}"))
        for n in (2, 0, 1)
    )
    events = esme.receive_data(answers)

    assert events == [
        ResponseReceived(requests[n], SubmitSmResp(requests[n].sequence_number, 0, f"id{n}"))
        for n in (2, 0, 1)
    ]


def test_window_full_send_raises_until_a_response_frees_a_slot() -> None:
    esme, smsc = make_pair(window_size=2)
    bind(esme, smsc)
    first = submit()
    esme.send_request(first, 0.0)
    esme.send_request(submit(), 0.0)

    assert not esme.has_window
    with pytest.raises(WindowFullError):
        esme.send_request(submit(), 0.0)
    esme.receive_data(SubmitSmResp(first.sequence_number, 0, "x").encode())

    assert esme.has_window
    esme.send_request(submit(), 0.0)
    assert esme.outstanding_count == 2


def test_enquire_link_answered_by_session_without_event() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    probe = EnquireLink()

    events = smsc.receive_data(esme.send_request(probe, 0.0))
    [answer] = esme.receive_data(smsc.data_to_send())

    assert events == []
    assert answer == ResponseReceived(probe, EnquireLinkResp(probe.sequence_number))


def test_enquire_link_allowed_before_bind() -> None:
    _, smsc = make_pair()

    smsc.receive_data(EnquireLink(sequence_number=5).encode())

    assert responses_in(smsc.data_to_send()) == [EnquireLinkResp(5)]


def test_unbind_answered_and_both_ends_unbound() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    unbind = Unbind()

    [event] = smsc.receive_data(esme.send_request(unbind, 0.0))
    [answer] = esme.receive_data(smsc.data_to_send())

    assert event == UnbindReceived(unbind)
    assert answer == ResponseReceived(unbind, UnbindResp(unbind.sequence_number))
    assert esme.state is SessionState.UNBOUND
    assert smsc.state is SessionState.UNBOUND
    with pytest.raises(InvalidStateError):
        esme.send_request(submit(), 0.0)


def test_requests_without_response_time_out_in_sending_order() -> None:
    esme, smsc = make_pair(response_timeout_s=5.0)
    bind(esme, smsc)
    first, second = submit(), submit()
    esme.send_request(first, now=10.0)
    esme.send_request(second, now=11.0)

    assert esme.tick(14.9) == []
    assert esme.tick(15.0) == [RequestTimedOut(first)]
    assert esme.tick(16.0) == [RequestTimedOut(second)]
    assert esme.outstanding_count == 0


def test_late_response_after_timeout_reported_unexpected() -> None:
    esme, smsc = make_pair(response_timeout_s=5.0)
    bind(esme, smsc)
    request = submit()
    esme.send_request(request, now=0.0)
    esme.tick(5.0)

    events = esme.receive_data(SubmitSmResp(request.sequence_number, 0, "late").encode())

    assert events == [UnexpectedResponse(SubmitSmResp(request.sequence_number, 0, "late"))]


def test_idle_link_probed_with_enquire_link_and_answer_swallowed() -> None:
    esme, smsc = make_pair(enquire_link_interval_s=30.0, response_timeout_s=10.0)
    bind(esme, smsc)
    esme.tick(0.0)

    assert esme.tick(29.0) == []
    assert esme.data_to_send() == b""
    assert esme.tick(30.0) == []
    probe = esme.data_to_send()
    assert PduReader().feed(probe)[0].command_id == EnquireLink.command_id
    smsc.receive_data(probe)
    assert esme.receive_data(smsc.data_to_send()) == []
    assert esme.tick(45.0) == []


def test_unanswered_enquire_link_reports_link_broken() -> None:
    esme, smsc = make_pair(enquire_link_interval_s=30.0, response_timeout_s=10.0)
    bind(esme, smsc)
    esme.tick(0.0)
    esme.tick(30.0)

    events = esme.tick(40.0)

    assert events == [LinkBroken("enquire_link got no response")]


def test_traffic_received_postpones_keepalive() -> None:
    esme, smsc = make_pair(enquire_link_interval_s=30.0)
    bind(esme, smsc)
    esme.tick(0.0)
    esme.receive_data(EnquireLink(sequence_number=99).encode())
    esme.data_to_send()

    esme.tick(20.0)
    esme.tick(40.0)

    assert esme.data_to_send() == b""


def test_smsc_without_bind_in_time_reports_link_broken_once() -> None:
    smsc = Session(Role.SMSC, bind_timeout_s=10.0, now=100.0)

    assert smsc.tick(109.0) == []
    assert isinstance(smsc.tick(110.0)[0], LinkBroken)
    assert smsc.tick(120.0) == []


def test_unknown_command_id_answered_with_generic_nack() -> None:
    _, smsc = make_pair()
    garbage = bytes.fromhex("00000010 00000099 00000000 0000002a")

    [event] = smsc.receive_data(garbage)

    assert isinstance(event, InvalidPduReceived)
    assert responses_in(smsc.data_to_send()) == [GenericNack(42, CommandStatus.ESME_RINVCMDID)]


def test_bad_field_in_submit_answered_with_submit_sm_resp_status() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    body = b"\x00\x01\x01" + b"9" * 25 + b"\x00" * 30
    wire = (16 + len(body)).to_bytes(4, "big") + bytes.fromhex("00000004 00000000 00000007") + body

    [event] = smsc.receive_data(wire)

    assert isinstance(event, InvalidPduReceived)
    assert responses_in(smsc.data_to_send()) == [SubmitSmResp(7, CommandStatus.ESME_RINVSRCADR)]


def test_bad_command_length_nacks_and_breaks_the_link() -> None:
    _, smsc = make_pair()

    events = smsc.receive_data(bytes.fromhex("00000008 00000004 00000000 00000003"))

    assert isinstance(events[0], InvalidPduReceived)
    assert isinstance(events[1], LinkBroken)
    assert responses_in(smsc.data_to_send()) == [GenericNack(3, CommandStatus.ESME_RINVCMDLEN)]


def test_malformed_response_finishes_the_request_it_names() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    request = submit()
    esme.send_request(request, 0.0)
    bad = bytes.fromhex("00000014 80000004 00000000") + request.sequence_number.to_bytes(4, "big")
    bad += b"abcd"  # message_id without NUL

    events: list[Event] = esme.receive_data(bad)

    assert len(events) == 1
    assert isinstance(events[0], InvalidPduReceived)
    assert events[0].request is request
    assert esme.outstanding_count == 0
    assert esme.data_to_send() == b""


def test_response_of_wrong_kind_reported_with_its_request() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    request = submit()
    esme.send_request(request, 0.0)

    events = esme.receive_data(DeliverSmResp(request.sequence_number).encode())

    assert events == [UnexpectedResponse(DeliverSmResp(request.sequence_number), request)]


def test_generic_nack_completes_the_request() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    request = submit()
    esme.send_request(request, 0.0)
    nack = GenericNack(request.sequence_number, CommandStatus.ESME_RINVCMDLEN)

    events = esme.receive_data(nack.encode())

    assert events == [ResponseReceived(request, nack)]


def test_sequence_numbers_wrap_after_max_to_one() -> None:
    esme = Session(Role.ESME, window_size=5, first_sequence_number=0x7FFFFFFE)

    numbers = []
    for _ in range(3):
        probe = EnquireLink()
        esme.send_request(probe, 0.0)
        numbers.append(probe.sequence_number)

    assert numbers == [0x7FFFFFFE, 0x7FFFFFFF, 1]


def test_connection_lost_returns_unanswered_requests_and_closes() -> None:
    esme, smsc = make_pair()
    bind(esme, smsc)
    request = submit()
    esme.send_request(request, 0.0)

    pending = esme.connection_lost()

    assert pending == [request]
    assert esme.state is SessionState.CLOSED
    assert esme.receive_data(EnquireLink(1).encode()) == []

"""PDU codec: golden bytes checked by hand against SMPP 3.4, and round trips for every PDU."""

from __future__ import annotations

import random

import pytest

from smsgate.smpp import (
    PDU_CLASSES,
    AlertNotification,
    BindReceiver,
    BindReceiverResp,
    BindTransceiver,
    BindTransceiverResp,
    BindTransmitter,
    BindTransmitterResp,
    CancelSm,
    CancelSmResp,
    CommandId,
    CommandStatus,
    DataSm,
    DataSmResp,
    DeliverSm,
    DeliverSmResp,
    DistributionList,
    EnquireLink,
    EnquireLinkResp,
    GenericNack,
    Outbind,
    Pdu,
    PduEncodeError,
    PduError,
    QuerySm,
    QuerySmResp,
    ReplaceSm,
    ReplaceSmResp,
    SmeAddress,
    SubmitMulti,
    SubmitMultiResp,
    SubmitSm,
    SubmitSmResp,
    Tlv,
    TlvTag,
    Unbind,
    UnbindResp,
    UnsuccessSme,
    decode_pdu,
    make_tlv,
)

SAMPLES: list[Pdu] = [
    GenericNack(7, CommandStatus.ESME_RINVCMDID),
    BindTransmitter(1, 0, "esme", "pw", "VMS", 0x34, 1, 1, "^44"),
    BindTransmitterResp(1, 0, "smsc", (make_tlv(TlvTag.SC_INTERFACE_VERSION, 0x34),)),
    BindReceiver(2, 0, "esme", "pw"),
    BindReceiverResp(2, CommandStatus.ESME_RBINDFAIL),
    BindTransceiver(3, 0, "esme", "pw"),
    BindTransceiverResp(3, 0, "smsc"),
    Outbind(4, 0, "smsc", "pw"),
    Unbind(5),
    UnbindResp(5),
    EnquireLink(6),
    EnquireLinkResp(6),
    SubmitSm(
        8,
        0,
        service_type="CMT",
        source_addr_ton=5,
        source_addr="Acme",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        esm_class=0x40,
        priority_flag=1,
        schedule_delivery_time="240101123000000+",
        validity_period="000001000000000R",
        registered_delivery=1,
        data_coding=8,
        short_message=b"\x05\x00\x03\x01\x02\x01\x00H\x00i",
        tlvs=(make_tlv(TlvTag.USER_MESSAGE_REFERENCE, 513), Tlv(0x1400, b"vendor")),
    ),
    SubmitSmResp(8, 0, "a1b2c3"),
    SubmitSmResp(9, CommandStatus.ESME_RTHROTTLED),
    DeliverSm(10, 0, source_addr="447700900123", destination_addr="Acme", short_message=b"hi"),
    DeliverSmResp(10),
    DataSm(
        11,
        0,
        source_addr="447700900123",
        destination_addr="Acme",
        esm_class=4,
        tlvs=(make_tlv(TlvTag.MESSAGE_PAYLOAD, b"x" * 300),),
    ),
    DataSmResp(11, 0, "m-1", (make_tlv(TlvTag.DELIVERY_FAILURE_REASON, 2),)),
    SubmitMulti(
        12,
        0,
        source_addr="Acme",
        dest_addresses=(SmeAddress(1, 1, "447700900123"), DistributionList("friends")),
        short_message=b"hello all",
    ),
    SubmitMultiResp(12, 0, "multi-1", (UnsuccessSme(1, 1, "447700900999", 0x0B),)),
    QuerySm(13, 0, "a1b2c3", 5, 0, "Acme"),
    QuerySmResp(13, 0, "a1b2c3", "240101123000000+", 2, 0),
    CancelSm(14, 0, "", "a1b2c3", 5, 0, "Acme", 1, 1, "447700900123"),
    CancelSmResp(14),
    ReplaceSm(15, 0, "a1b2c3", 5, 0, "Acme", "", "", 1, 0, b"new text"),
    ReplaceSmResp(15),
    AlertNotification(
        16, 0, 1, 1, "447700900123", 5, 0, "Acme", (make_tlv(TlvTag.MS_AVAILABILITY_STATUS, 0),)
    ),
]


def test_samples_cover_every_pdu_class() -> None:
    assert {type(pdu) for pdu in SAMPLES} == set(PDU_CLASSES)


@pytest.mark.parametrize("pdu", SAMPLES, ids=lambda pdu: type(pdu).__name__)
def test_pdu_encoded_then_decoded_is_equal(pdu: Pdu) -> None:
    wire = pdu.encode()

    decoded = decode_pdu(wire)

    assert decoded == pdu
    assert type(decoded) is type(pdu)
    assert decoded.encode() == wire
    assert int.from_bytes(wire[:4], "big") == len(wire)


def test_bind_transceiver_encoded_matches_spec_bytes() -> None:
    pdu = BindTransceiver(
        sequence_number=1,
        system_id="SMPP3TEST",
        password="secret08",
        system_type="SUBMIT1",
        interface_version=0x34,
        addr_ton=1,
        addr_npi=1,
    )
    expected = bytes.fromhex(
        "0000002f"  # command_length 47
        "00000009"  # command_id bind_transceiver
        "00000000"  # command_status
        "00000001"  # sequence_number
        "534d50503354455354 00"  # system_id "SMPP3TEST" NUL
        "7365637265743038 00"  # password "secret08" NUL
        "5355424d495431 00"  # system_type "SUBMIT1" NUL
        "34"  # interface_version 3.4
        "01"  # addr_ton international
        "01"  # addr_npi E.164
        "00"  # address_range empty
    )

    assert pdu.encode() == expected
    assert decode_pdu(expected) == pdu


def test_submit_sm_with_udh_encoded_matches_spec_bytes() -> None:
    udh = bytes.fromhex("050003cc0201")  # concatenation, ref 0xCC, 2 parts, part 1
    pdu = SubmitSm(
        sequence_number=2,
        source_addr_ton=5,
        source_addr="Acme",
        dest_addr_ton=1,
        dest_addr_npi=1,
        destination_addr="447700900123",
        esm_class=0x40,
        registered_delivery=1,
        short_message=udh + b"Hello",
    )
    expected = bytes.fromhex(
        "0000003c"  # command_length 60
        "00000004"  # submit_sm
        "00000000"
        "00000002"
        "00"  # service_type default
        "05 00"  # source_addr_ton alphanumeric, source_addr_npi unknown
        "41636d65 00"  # source_addr "Acme"
        "01 01"  # dest_addr_ton, dest_addr_npi
        "343437373030393030313233 00"  # destination_addr "447700900123"
        "40"  # esm_class UDHI
        "00"  # protocol_id
        "00"  # priority_flag
        "00"  # schedule_delivery_time immediate
        "00"  # validity_period default
        "01"  # registered_delivery receipt
        "00"  # replace_if_present_flag
        "00"  # data_coding default
        "00"  # sm_default_msg_id
        "0b"  # sm_length 11
        "050003cc0201 48656c6c6f"  # UDH + "Hello"
    )

    assert pdu.encode() == expected
    assert decode_pdu(expected) == pdu


def test_deliver_sm_receipt_with_tlvs_encoded_matches_spec_bytes() -> None:
    text = (
        b"id:0A1B2C sub:001 dlvrd:001 submit date:2401011230 done date:2401011231"
        b" stat:DELIVRD err:000 Text:Hello"
    )
    pdu = DeliverSm(
        sequence_number=0x10,
        source_addr_ton=1,
        source_addr_npi=1,
        source_addr="447700900123",
        dest_addr_ton=5,
        destination_addr="Acme",
        esm_class=0x04,
        short_message=text,
        tlvs=(
            make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "0A1B2C"),
            make_tlv(TlvTag.MESSAGE_STATE, 2),
        ),
    )
    expected = (
        bytes.fromhex(
            "000000a8"  # command_length 168
            "00000005"  # deliver_sm
            "00000000"
            "00000010"
            "00"  # service_type
            "01 01 343437373030393030313233 00"  # source 447700900123
            "05 00 41636d65 00"  # destination "Acme"
            "04"  # esm_class: SMSC delivery receipt
            "00 00"  # protocol_id, priority_flag
            "00 00"  # schedule_delivery_time, validity_period: NULL in deliver_sm
            "00 00 00 00"  # registered_delivery, replace_if_present, data_coding, default id
            "67"  # sm_length 103
        )
        + text
        + bytes.fromhex(
            "001e 0007 304131423243 00"  # receipted_message_id "0A1B2C" NUL
            "0427 0001 02"  # message_state DELIVERED
        )
    )

    assert pdu.encode() == expected
    assert decode_pdu(expected) == pdu


def test_submit_sm_resp_with_error_encoded_omits_body() -> None:
    wire = SubmitSmResp(3, CommandStatus.ESME_RTHROTTLED).encode()

    assert wire == bytes.fromhex("00000010 80000004 00000058 00000003")


def test_request_make_response_copies_sequence_number() -> None:
    request = SubmitSm(sequence_number=77)

    response = request.make_response(CommandStatus.ESME_ROK, "id-1")

    assert response == SubmitSmResp(77, 0, "id-1")
    assert response.command_id == CommandId.SUBMIT_SM_RESP
    assert response.is_response
    assert not request.is_response


@pytest.mark.parametrize(
    "pdu",
    [
        SubmitSm(source_addr="x" * 21),
        SubmitSm(short_message=b"x" * 255),
        SubmitSm(esm_class=256),
        SubmitSm(validity_period="tomorrow"),
        SubmitSm(destination_addr="snow\u2603man"),
        BindTransceiver(system_id="a-system-id-too-long"),
        EnquireLink(sequence_number=1 << 32),
        SubmitSm(destination_addr="nul\0inside"),
    ],
    ids=[
        "long_source_addr",
        "long_short_message",
        "esm_class_over_255",
        "bad_time",
        "not_latin1",
        "long_system_id",
        "sequence_over_32_bits",
        "nul_in_string",
    ],
)
def test_pdu_with_invalid_field_encode_raises_pdu_encode_error(pdu: Pdu) -> None:
    with pytest.raises(PduEncodeError):
        pdu.encode()


def test_short_message_payload_falls_back_to_message_payload_tlv() -> None:
    pdu = DeliverSm(tlvs=(make_tlv(TlvTag.MESSAGE_PAYLOAD, b"long text"),))

    assert pdu.payload == b"long text"
    assert DeliverSm(short_message=b"short").payload == b"short"


def test_decode_mutated_pdus_raises_only_pdu_errors() -> None:
    rng = random.Random(3_4)
    seeds = [pdu.encode() for pdu in SAMPLES]
    for _ in range(5000):
        wire = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 4)):
            position = rng.randrange(len(wire))
            wire[position] = rng.randrange(256)
        if rng.random() < 0.3:
            wire = wire[: rng.randrange(16, len(wire) + 1)]
        wire[:4] = len(wire).to_bytes(4, "big")

        try:
            decoded = decode_pdu(bytes(wire))
        except PduError:
            continue
        assert decode_pdu(decoded.encode()) == decoded

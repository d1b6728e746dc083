"""Stream framing and TLV values."""

from __future__ import annotations

import pytest

from smsgate.smpp import (
    CommandStatus,
    DeliverSm,
    EnquireLink,
    InvalidField,
    PduEncodeError,
    PduReader,
    SubmitSm,
    SubmitSmResp,
    Tlv,
    TlvTag,
    decode_pdu,
    find_tlv,
    make_tlv,
)


def test_reader_one_byte_at_a_time_yields_each_pdu_once() -> None:
    pdus = [SubmitSm(1, destination_addr="447700900123", short_message=b"a"), EnquireLink(2)]
    stream = b"".join(pdu.encode() for pdu in pdus)
    reader = PduReader()

    received = []
    for index in range(len(stream)):
        received += reader.feed(stream[index : index + 1])

    assert received == pdus
    assert reader.buffered == 0


def test_reader_many_pdus_in_one_chunk_yields_all_in_order() -> None:
    responses = [SubmitSmResp(n, 0, f"id{n}") for n in range(1, 501)]
    reader = PduReader()

    received = reader.feed(b"".join(pdu.encode() for pdu in responses))

    assert received == responses


def test_reader_chunk_ending_mid_pdu_keeps_the_remainder() -> None:
    wire = EnquireLink(1).encode() + EnquireLink(2).encode()
    reader = PduReader()

    first = reader.feed(wire[:20])
    second = reader.feed(wire[20:])

    assert first == [EnquireLink(1)]
    assert second == [EnquireLink(2)]


def test_make_tlv_integer_uses_spec_width() -> None:
    assert make_tlv(TlvTag.SAR_MSG_REF_NUM, 0x1234) == Tlv(0x020C, b"\x12\x34")
    assert make_tlv(TlvTag.SAR_TOTAL_SEGMENTS, 3) == Tlv(0x020E, b"\x03")
    assert make_tlv(TlvTag.QOS_TIME_TO_LIVE, 60) == Tlv(0x0017, b"\x00\x00\x00\x3c")


def test_make_tlv_cstring_tag_appends_nul() -> None:
    tlv = make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "abc")

    assert tlv.value == b"abc\x00"
    assert tlv.as_str() == "abc"


@pytest.mark.parametrize(
    ("tag", "value"),
    [(TlvTag.MESSAGE_PAYLOAD, 5), (TlvTag.SAR_TOTAL_SEGMENTS, 256), (0x0424, b"x" * 70000)],
    ids=["int_for_octets", "int_too_big", "value_too_long"],
)
def test_make_tlv_bad_value_raises_pdu_encode_error(tag: int, value: int | bytes) -> None:
    with pytest.raises(PduEncodeError):
        make_tlv(tag, value)


def test_tlv_as_int_of_odd_length_raises_rinvparlen() -> None:
    with pytest.raises(InvalidField) as caught:
        Tlv(TlvTag.MESSAGE_STATE, b"\x00\x01\x02").as_int()

    assert caught.value.command_status == CommandStatus.ESME_RINVPARLEN


def test_unknown_tlv_round_trip_keeps_raw_bytes_and_order() -> None:
    tlvs = (Tlv(0x1401, b"\xff\x00vendor"), make_tlv(TlvTag.MESSAGE_STATE, 2), Tlv(0x1401, b""))
    pdu = DeliverSm(1, short_message=b"x", tlvs=tlvs)

    decoded = decode_pdu(pdu.encode())

    assert isinstance(decoded, DeliverSm)
    assert decoded.tlvs == tlvs
    found = find_tlv(decoded.tlvs, TlvTag.MESSAGE_STATE)
    assert found is not None
    assert found.as_int() == 2
    assert decoded.tlv(0x9999) is None

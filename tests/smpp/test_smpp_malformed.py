"""Malformed PDUs: each failure is a specific PduError with the status a server answers with."""

from __future__ import annotations

import pytest

from smsgate.smpp import (
    CommandStatus,
    EnquireLink,
    InvalidCommandLength,
    InvalidField,
    PduError,
    PduReader,
    SubmitSm,
    SubmitSmResp,
    TruncatedPdu,
    UnknownCommandId,
    decode_pdu,
)


def header(length: int, command_id: int, sequence_number: int = 9, status: int = 0) -> bytes:
    return b"".join(n.to_bytes(4, "big") for n in (length, command_id, status, sequence_number))


def with_length(body: bytes, command_id: int, sequence_number: int = 9) -> bytes:
    return header(16 + len(body), command_id, sequence_number) + body


def test_decode_shorter_than_header_raises_invalid_command_length() -> None:
    with pytest.raises(InvalidCommandLength) as caught:
        decode_pdu(b"\x00\x00\x00\x10\x00\x00")

    assert caught.value.command_status == CommandStatus.ESME_RINVCMDLEN


def test_decode_length_disagreeing_with_data_raises_with_sequence_number() -> None:
    wire = EnquireLink(sequence_number=33).encode() + b"\x00"

    with pytest.raises(InvalidCommandLength) as caught:
        decode_pdu(wire)

    assert caught.value.sequence_number == 33
    assert caught.value.command_status == CommandStatus.ESME_RINVCMDLEN


def test_decode_unknown_command_id_raises_with_rinvcmdid() -> None:
    with pytest.raises(UnknownCommandId) as caught:
        decode_pdu(header(16, 0x00000099, sequence_number=5))

    assert caught.value.command_status == CommandStatus.ESME_RINVCMDID
    assert caught.value.sequence_number == 5
    assert caught.value.command_id == 0x99


def test_decode_truncated_c_string_raises_truncated_pdu() -> None:
    wire = SubmitSm(sequence_number=4, source_addr="12345").encode()
    cut = wire[:20]  # inside source_addr, no NUL
    cut = len(cut).to_bytes(4, "big") + cut[4:]

    with pytest.raises(TruncatedPdu) as caught:
        decode_pdu(cut)

    assert caught.value.command_status == CommandStatus.ESME_RINVCMDLEN
    assert caught.value.sequence_number == 4
    assert caught.value.field == "source_addr"


def test_decode_source_addr_over_limit_raises_invalid_field_rinvsrcadr() -> None:
    body = b"\x00" + b"\x01\x01" + b"9" * 30 + b"\x00" + b"\x00" * 20
    with pytest.raises(InvalidField) as caught:
        decode_pdu(with_length(body, 0x00000004))

    assert caught.value.command_status == CommandStatus.ESME_RINVSRCADR
    assert caught.value.field == "source_addr"


def test_decode_bad_schedule_time_raises_invalid_field_rinvsched() -> None:
    good = SubmitSm(schedule_delivery_time="240101123000000+").encode()
    bad = good.replace(b"240101123000000+", b"24010112300000+\x00")

    with pytest.raises(InvalidField) as caught:
        decode_pdu(bad)

    assert caught.value.command_status == CommandStatus.ESME_RINVSCHED


def test_decode_sm_length_past_end_raises_truncated_pdu() -> None:
    wire = SubmitSm(short_message=b"hello").encode()
    chopped = wire[:-2]
    chopped = len(chopped).to_bytes(4, "big") + chopped[4:]

    with pytest.raises(TruncatedPdu):
        decode_pdu(chopped)


def test_decode_tlv_running_past_end_raises_rinvoptparstream() -> None:
    wire = SubmitSm().encode() + bytes.fromhex("0424 0010 4142")
    wire = len(wire).to_bytes(4, "big") + wire[4:]

    with pytest.raises(InvalidField) as caught:
        decode_pdu(wire)

    assert caught.value.command_status == CommandStatus.ESME_RINVOPTPARSTREAM


def test_decode_header_only_pdu_with_body_raises_invalid_command_length() -> None:
    with pytest.raises(InvalidCommandLength):
        decode_pdu(with_length(b"\x00", 0x00000015))


def test_reader_command_length_below_header_reports_once_and_breaks() -> None:
    reader = PduReader()

    items = reader.feed(header(8, 0x15, sequence_number=3) + EnquireLink(4).encode())

    assert len(items) == 1
    error = items[0]
    assert isinstance(error, InvalidCommandLength)
    assert error.sequence_number == 3
    assert reader.broken
    assert reader.feed(EnquireLink(5).encode()) == []


def test_reader_huge_command_length_reports_error_without_waiting() -> None:
    reader = PduReader(max_pdu_size=65536)

    items = reader.feed((70_000).to_bytes(4, "big"))

    assert len(items) == 1
    assert isinstance(items[0], InvalidCommandLength)
    assert reader.broken


def test_reader_bad_pdu_between_good_ones_keeps_stream_usable() -> None:
    reader = PduReader()
    unknown = header(16, 0x99, sequence_number=2)

    items = reader.feed(EnquireLink(1).encode() + unknown + SubmitSmResp(3, 0, "x").encode())

    assert items[0] == EnquireLink(1)
    assert isinstance(items[1], PduError)
    assert items[1].command_status == CommandStatus.ESME_RINVCMDID
    assert items[2] == SubmitSmResp(3, 0, "x")
    assert not reader.broken


def test_decode_sm_length_255_raises_invalid_field_rinvmsglen() -> None:
    wire = bytearray(SubmitSm(short_message=b"x" * 254).encode() + b"x")
    wire[:4] = len(wire).to_bytes(4, "big")
    wire[-256] = 255  # sm_length

    with pytest.raises(InvalidField) as caught:
        decode_pdu(bytes(wire))

    assert caught.value.command_status == CommandStatus.ESME_RINVMSGLEN

"""Delivery receipt parsing (text form and TLVs) and status classification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from smsgate.smpp import (
    CommandStatus,
    DataSm,
    DeliverSm,
    MessageState,
    StatusClass,
    TlvTag,
    classify_status,
    is_temporary,
    make_tlv,
    message_ids_match,
    parse_receipt,
    receipt_from_pdu,
    status_name,
)

SPEC_FORM = (
    "id:1234567890 sub:001 dlvrd:001 submit date:2401011230 done date:2401011231"
    " stat:DELIVRD err:000 Text:Hello world"
)


def test_parse_receipt_spec_form_reads_every_field() -> None:
    receipt = parse_receipt(SPEC_FORM)

    assert receipt is not None
    assert receipt.message_id == "1234567890"
    assert receipt.submitted == 1
    assert receipt.delivered == 1
    assert receipt.submit_date == datetime(2024, 1, 1, 12, 30, tzinfo=UTC)
    assert receipt.done_date == datetime(2024, 1, 1, 12, 31, tzinfo=UTC)
    assert receipt.state is MessageState.DELIVERED
    assert receipt.stat == "DELIVRD"
    assert receipt.error == "000"
    assert receipt.text == "Hello world"
    assert receipt.is_final


def test_parse_receipt_upper_case_keys_underscores_and_seconds_are_accepted() -> None:
    text = "ID:7f3a9c0e12b4d5e6f7a8 SUB:1 DLVRD:0 SUBMIT_DATE:240101123045 DONE_DATE:2401011231"
    text += " STAT:UNDELIV ERR:0x0B TEXT:"

    receipt = parse_receipt(text.encode())

    assert receipt is not None
    assert receipt.message_id == "7f3a9c0e12b4d5e6f7a8"
    assert receipt.submit_date == datetime(2024, 1, 1, 12, 30, 45, tzinfo=UTC)
    assert receipt.state is MessageState.UNDELIVERABLE
    assert receipt.error == "0x0B"
    assert receipt.text == ""


def test_parse_receipt_missing_fields_are_none() -> None:
    receipt = parse_receipt("id:42 stat:ENROUTE")

    assert receipt is not None
    assert receipt.message_id == "42"
    assert receipt.state is MessageState.ENROUTE
    assert receipt.submitted is None
    assert receipt.submit_date is None
    assert receipt.error is None
    assert not receipt.is_final


def test_parse_receipt_text_containing_keys_is_not_split() -> None:
    receipt = parse_receipt("id:1 stat:DELIVRD text:id:2 stat:REJECTD")

    assert receipt is not None
    assert receipt.message_id == "1"
    assert receipt.state is MessageState.DELIVERED
    assert receipt.text == "id:2 stat:REJECTD"


def test_parse_receipt_dates_in_given_time_zone() -> None:
    zone = timezone(timedelta(hours=2))

    receipt = parse_receipt("id:1 submit date:2402291200", tz=zone)

    assert receipt is not None
    assert receipt.submit_date == datetime(2024, 2, 29, 12, 0, tzinfo=zone)


@pytest.mark.parametrize(
    ("stat", "state"),
    [
        ("DELIVRD", MessageState.DELIVERED),
        ("expired", MessageState.EXPIRED),
        ("DELETED", MessageState.DELETED),
        ("UNDELIV", MessageState.UNDELIVERABLE),
        ("ACCEPTD", MessageState.ACCEPTED),
        ("UNKNOWN", MessageState.UNKNOWN),
        ("REJECTD", MessageState.REJECTED),
        ("2", MessageState.DELIVERED),
        ("BOGUS", None),
    ],
)
def test_parse_receipt_stat_maps_to_message_state(stat: str, state: MessageState | None) -> None:
    receipt = parse_receipt(f"id:9 stat:{stat}")

    assert receipt is not None
    assert receipt.state is state


def test_parse_receipt_without_id_returns_none() -> None:
    assert parse_receipt("Hello, this is a mobile-originated message") is None


def test_parse_receipt_invalid_date_is_none() -> None:
    receipt = parse_receipt("id:1 submit date:2413451299 done date:soon")

    assert receipt is not None
    assert receipt.submit_date is None
    assert receipt.done_date is None


def test_receipt_from_pdu_tlvs_win_over_text() -> None:
    pdu = DeliverSm(
        esm_class=0x04,
        short_message=b"id:123 stat:ENROUTE err:000",
        tlvs=(
            make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "7B"),
            make_tlv(TlvTag.MESSAGE_STATE, MessageState.DELIVERED),
        ),
    )

    receipt = receipt_from_pdu(pdu)

    assert receipt is not None
    assert receipt.message_id == "7B"
    assert receipt.state is MessageState.DELIVERED
    assert receipt.error == "000"


def test_receipt_from_pdu_data_sm_with_tlvs_only() -> None:
    pdu = DataSm(
        esm_class=0x04,
        tlvs=(
            make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "abc"),
            make_tlv(TlvTag.MESSAGE_STATE, MessageState.EXPIRED),
            make_tlv(TlvTag.NETWORK_ERROR_CODE, b"\x03\x00\x01"),
        ),
    )

    receipt = receipt_from_pdu(pdu)

    assert receipt is not None
    assert receipt.message_id == "abc"
    assert receipt.state is MessageState.EXPIRED
    assert receipt.error == "030001"


def test_receipt_from_pdu_mobile_originated_message_returns_none() -> None:
    assert receipt_from_pdu(DeliverSm(short_message=b"id:1 stat:DELIVRD")) is None


@pytest.mark.parametrize(
    ("receipt_id", "submitted_id", "expected"),
    [
        ("abc123", "ABC123", True),
        ("000123", "123", True),
        ("123", "7B", True),  # decimal in the receipt, hex in submit_sm_resp
        ("7b", "123", True),
        ("123", "124", False),
        ("", "0", False),
        ("x-1", "x-2", False),
    ],
)
def test_message_ids_match_across_bases(receipt_id: str, submitted_id: str, expected: bool) -> None:
    assert message_ids_match(receipt_id, submitted_id) is expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (CommandStatus.ESME_ROK, StatusClass.OK),
        (CommandStatus.ESME_RTHROTTLED, StatusClass.TEMPORARY),
        (CommandStatus.ESME_RMSGQFUL, StatusClass.TEMPORARY),
        (CommandStatus.ESME_RSYSERR, StatusClass.TEMPORARY),
        (CommandStatus.ESME_RX_T_APPN, StatusClass.TEMPORARY),
        (CommandStatus.ESME_RINVDSTADR, StatusClass.PERMANENT),
        (CommandStatus.ESME_RX_P_APPN, StatusClass.PERMANENT),
        (CommandStatus.ESME_RINVDCS, StatusClass.PERMANENT),
        (0x0400, StatusClass.PERMANENT),  # vendor specific
    ],
)
def test_classify_status_splits_temporary_from_permanent(
    status: int, expected: StatusClass
) -> None:
    assert classify_status(status) is expected
    assert is_temporary(status) is (expected is StatusClass.TEMPORARY)


def test_status_name_of_unknown_value_is_hex() -> None:
    assert status_name(0x58) == "ESME_RTHROTTLED"
    assert status_name(0x401) == "0x00000401"

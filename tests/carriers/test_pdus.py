"""Messages to submit_sm PDUs, and deliver_sm to receipts or inbound messages."""

from __future__ import annotations

import random

import pytest

from smsgate.carriers import pdus
from smsgate.carriers.pdus import e164, read_inbound, read_receipt, submit_pdus, text_error
from smsgate.domain.links import LinkSettings, LongMethod, ReceiptIdFormat
from smsgate.domain.messages import MessageStatus
from smsgate.ports import BatchContent, PartReceipt
from smsgate.smpp import DeliverSm, EsmClass, MessageState
from smsgate.smpp.tlv import TlvTag, find_tlv, make_tlv

LINK = LinkSettings(name="l", host="h", port=1, system_id="s", password="p")
S = MessageStatus


def content(text: str, sender: str | None = "Acme", encoding: str = "gsm7") -> BatchContent:
    return BatchContent(1, 1, "sms", text, sender, encoding, False)


def test_a_short_message_is_one_submit_with_receipt_requested() -> None:
    (pdu,) = submit_pdus(content("hello"), "+33612345678", LINK)
    assert (pdu.destination_addr, pdu.short_message, pdu.registered_delivery) == (
        "33612345678",
        b"hello",
        1,
    )
    assert (pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi) == ("Acme", 5, 0)


def test_numeric_senders_take_the_links_ton_npi() -> None:
    (pdu,) = submit_pdus(content("x", sender="+33700000000"), "+33612345678", LINK)
    assert (pdu.source_addr, pdu.source_addr_ton, pdu.source_addr_npi) == ("33700000000", 1, 1)


@pytest.mark.parametrize("method", list(LongMethod))
def test_long_messages_follow_the_links_method(method: LongMethod) -> None:
    link = LinkSettings(name="l", host="h", port=1, system_id="s", password="p", long_method=method)
    pdus = submit_pdus(content("a" * 200), "+33612345678", link, reference=7)
    if method is LongMethod.PAYLOAD:
        (pdu,) = pdus
        payload = find_tlv(pdu.tlvs, TlvTag.MESSAGE_PAYLOAD)
        assert payload is not None
        assert payload.value == b"a" * 200
        return
    assert len(pdus) == 2
    if method is LongMethod.UDH:
        assert [p.short_message[:6] for p in pdus] == [
            bytes((5, 0, 3, 7, 2, 1)),
            bytes((5, 0, 3, 7, 2, 2)),
        ]
        assert all(p.esm_class & EsmClass.UDHI for p in pdus)
    else:
        seqs = [find_tlv(p.tlvs, TlvTag.SAR_SEGMENT_SEQNUM) for p in pdus]
        assert [s.as_int() for s in seqs if s is not None] == [1, 2]


def test_unicode_text_goes_as_ucs2() -> None:
    (pdu,) = submit_pdus(content("سلام"), "+989121234567", LINK)
    assert pdu.data_coding == 8
    assert pdu.short_message == "سلام".encode("utf-16-be")


@pytest.mark.parametrize(("text", "data_coding"), [("hello", 0x10), ("سلام", 0x18)])
def test_flash_messages_are_class_0_in_their_alphabet(text: str, data_coding: int) -> None:
    flash = BatchContent(1, 1, "sms", text, "Acme", "gsm7", True)
    (pdu,) = submit_pdus(flash, "+33612345678", LINK)
    assert pdu.data_coding == data_coding


def receipt_pdu(text: bytes, tlvs: bool) -> DeliverSm:
    extra = (
        (
            make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "1A2B"),
            make_tlv(TlvTag.MESSAGE_STATE, int(MessageState.UNDELIVERABLE)),
        )
        if tlvs
        else ()
    )
    return DeliverSm(esm_class=int(EsmClass.SMSC_DELIVERY_RECEIPT), short_message=text, tlvs=extra)


TEXT = b"id:1A2B sub:001 dlvrd:000 submit date:2611221000 done date:2611221001 stat:UNDELIV err:001"


@pytest.mark.parametrize("tlvs", [True, False])
def test_receipts_read_the_same_with_or_without_tlvs(tlvs: bool) -> None:
    found = read_receipt(receipt_pdu(TEXT, tlvs), 3, ReceiptIdFormat.SAME)
    assert found == PartReceipt(3, "1a2b", S.UNDELIVERED, "001")


def test_delivered_receipts_drop_a_zero_error_and_en_route_ones_are_ignored() -> None:
    delivered = TEXT.replace(b"UNDELIV", b"DELIVRD").replace(b"err:001", b"err:000")
    found = read_receipt(receipt_pdu(delivered, False), 3, ReceiptIdFormat.SAME)
    assert found == PartReceipt(3, "1a2b", S.DELIVERED, None)
    en_route = TEXT.replace(b"UNDELIV", b"ENROUTE")
    assert read_receipt(receipt_pdu(en_route, False), 3, ReceiptIdFormat.SAME) is True


def test_a_plain_deliver_sm_is_no_receipt() -> None:
    assert read_receipt(DeliverSm(short_message=b"hi"), 3, ReceiptIdFormat.SAME) is None


def test_receipt_ids_in_another_base_are_matched_by_key() -> None:
    found = read_receipt(
        receipt_pdu(TEXT.replace(b"1A2B", b"6699"), False), 3, ReceiptIdFormat.DECIMAL
    )
    assert isinstance(found, PartReceipt)
    assert found.carrier_key == "6699"


def test_inbound_concatenated_parts_and_numbers() -> None:
    udh = bytes((5, 0, 3, 9, 2, 1))
    pdu = DeliverSm(
        source_addr="989121111111",
        source_addr_ton=1,
        destination_addr="10002188",
        esm_class=int(EsmClass.UDHI),
        data_coding=8,
        short_message=udh + "سلام".encode("utf-16-be"),
    )
    inbound = read_inbound(pdu)
    assert (inbound.sender, inbound.recipient, inbound.text) == (
        "+989121111111",
        "10002188",
        "سلام",
    )
    assert (inbound.reference, inbound.total, inbound.seq) == (9, 2, 1)


def test_e164_adds_the_plus_to_international_numbers_only() -> None:
    assert e164("33612345678", 1) == "+33612345678"
    assert e164("12345", 0) == "12345"
    assert e164("+33612345678", 0) == "+33612345678"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (TEXT, "001"),
        (b"err:7", "7"),
        (b"stat:UNDELIV ERR:0A1", "0A1"),
        (b"stat:UNDELIV err:  042 text:x", "042"),
        (b"stat:UNDELIV err:042,text", "042"),  # stops at punctuation
        (b"suberr:5 err:6", "6"),  # `err:` inside a word is not the field
        (b"err: text", "text"),
        (b"err:", None),
        (b"stat:DELIVRD", None),
        (b"xerr:1", None),
    ],
)
def test_the_error_field_of_a_receipt_text(text: bytes, error: str | None) -> None:
    assert text_error(text) == error


def test_the_error_field_is_read_as_the_regular_expression_reads_it() -> None:
    """The fast path against the regular expression it stands in for, on texts built from
    the pieces that could tell them apart."""
    pieces = [b"err:", b"ERR:", b"Err:", b"x", b"0", b"_", b",", b" ", b"\t", b"\n", b"e", b"rr:"]
    chooser = random.Random(7)
    for _ in range(20_000):
        text = b"".join(chooser.choice(pieces) for _ in range(chooser.randint(0, 8)))
        found = pdus._ERR.search(text)
        assert text_error(text) == (found.group(1).decode("latin-1") if found else None), text


def test_a_message_state_outside_smpp_s_list_is_read_the_long_way() -> None:
    """The TLV fast path looks states up by value: one it does not know leaves the receipt
    to the text reader, as an unknown MessageState did."""
    pdu = DeliverSm(
        esm_class=int(EsmClass.SMSC_DELIVERY_RECEIPT),
        short_message=TEXT,
        tlvs=(make_tlv(TlvTag.RECEIPTED_MESSAGE_ID, "1A2B"), make_tlv(TlvTag.MESSAGE_STATE, 99)),
    )
    assert read_receipt(pdu, 3, ReceiptIdFormat.SAME) == PartReceipt(
        3, "1a2b", S.UNDELIVERED, "001"
    )

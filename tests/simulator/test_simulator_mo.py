"""MO injection: the text encoder (GSM-7, UCS-2, Latin-1, concatenated parts) and the
deliver_sm that reach a bound receiver."""

from __future__ import annotations

import pytest

from smsgate.simulator import NoReceiverBound, encode_text, fits_gsm7
from smsgate.smpp import BindType, CommandStatus, DataCoding, DeliverSm, EsmClass
from tests.simulator.conftest import Bind, Inbox, StartSimulator

LONG_UCS2 = "Привет, это длинное сообщение! " * 5  # 155 characters, Cyrillic
EMOJI = "🙂"


def udh_of(part: bytes) -> tuple[int, int, int]:
    """(reference, total, index) of a part's 8-bit concatenation UDH."""
    assert part[:3] == b"\x05\x00\x03"
    return part[3], part[4], part[5]


# -- the encoder ---------------------------------------------------------------------------


def test_encode_short_gsm7_text_is_one_unpacked_part() -> None:
    encoded = encode_text("Hello @ £5")

    assert encoded.data_coding == DataCoding.SMSC_DEFAULT
    assert encoded.parts == (b"Hello \x00 \x015",)
    assert not encoded.has_udh


def test_encode_gsm7_extension_characters_take_an_escape() -> None:
    encoded = encode_text("{€}")

    assert encoded.parts == (b"\x1b\x28\x1b\x65\x1b\x29",)


def test_encode_text_outside_gsm7_falls_back_to_ucs2() -> None:
    encoded = encode_text("Ça va? ça")

    assert not fits_gsm7("ça")
    assert encoded.data_coding == DataCoding.UCS2
    assert encoded.parts == ("Ça va? ça".encode("utf-16-be"),)


def test_encode_160_gsm7_characters_fit_one_part_161_need_two() -> None:
    assert len(encode_text("a" * 160).parts) == 1

    encoded = encode_text("a" * 161)

    assert encoded.has_udh
    assert [len(part) - 6 for part in encoded.parts] == [153, 8]


def test_encode_never_splits_a_gsm7_escape_pair() -> None:
    encoded = encode_text("a" * 152 + "€" + "b" * 10)  # 165 septets: two parts

    assert encoded.parts[0][6:] == b"a" * 152
    assert encoded.parts[1][6:] == b"\x1b\x65" + b"b" * 10


def test_encode_long_ucs2_in_parts_of_67_characters_with_one_reference() -> None:
    encoded = encode_text(LONG_UCS2, reference=300)

    headers = [udh_of(part) for part in encoded.parts]
    assert encoded.data_coding == DataCoding.UCS2
    assert headers == [(44, 3, 1), (44, 3, 2), (44, 3, 3)]
    assert all(len(part) <= 140 for part in encoded.parts)
    assert b"".join(part[6:] for part in encoded.parts).decode("utf-16-be") == LONG_UCS2


def test_encode_never_splits_a_surrogate_pair() -> None:
    text = "x" * 66 + EMOJI * 3

    encoded = encode_text(text)

    bodies = [part[6:] for part in encoded.parts]
    assert [body.decode("utf-16-be") for body in bodies] == ["x" * 66, EMOJI * 3]


def test_encode_latin1_when_asked() -> None:
    encoded = encode_text("café", DataCoding.LATIN_1)

    assert encoded.parts == (b"caf\xe9",)


@pytest.mark.parametrize(
    ("text", "data_coding"),
    [("Привет", DataCoding.SMSC_DEFAULT), ("Привет", DataCoding.LATIN_1), ("hi", 0x04)],
)
def test_encode_refuses_text_the_coding_cannot_carry(text: str, data_coding: int) -> None:
    with pytest.raises(ValueError, match=r"data_coding|GSM|Latin-1"):
        encode_text(text, data_coding)


def test_encode_refuses_more_than_255_parts() -> None:
    with pytest.raises(ValueError, match="255"):
        encode_text("a" * 153 * 256)


# -- over the wire -------------------------------------------------------------------------


@pytest.mark.e2e
async def test_inject_short_mo_reaches_the_receiver(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    await bind(simulator, bind=BindType.RECEIVER, inbox=inbox)

    statuses = await simulator.inject_mo("+447700900123", "12345", "hello")
    [pdu] = await inbox.wait_for(1)

    assert statuses == [CommandStatus.ESME_ROK]
    assert isinstance(pdu, DeliverSm)
    assert (pdu.source_addr_ton, pdu.source_addr_npi, pdu.source_addr) == (1, 1, "447700900123")
    assert pdu.destination_addr == "12345"
    assert pdu.esm_class == 0
    assert pdu.data_coding == DataCoding.SMSC_DEFAULT
    assert pdu.short_message == b"hello"
    assert simulator.snapshot()["mo_sent"] == 1


@pytest.mark.e2e
async def test_inject_long_ucs2_mo_arrives_in_concatenated_parts(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    inbox = Inbox()
    await bind(simulator, bind=BindType.TRANSCEIVER, inbox=inbox)

    statuses = await simulator.inject_mo("+33612345678", "Acme", LONG_UCS2)
    pdus = await inbox.wait_for(3)

    assert statuses == [0, 0, 0]
    assert all(pdu.esm_class & EsmClass.UDHI for pdu in pdus)
    assert all(pdu.data_coding == DataCoding.UCS2 for pdu in pdus)
    assert all(isinstance(pdu, DeliverSm) for pdu in pdus)
    parts = [pdu.short_message for pdu in pdus if isinstance(pdu, DeliverSm)]
    headers = [udh_of(part) for part in parts]
    assert len({reference for reference, _, _ in headers}) == 1
    assert [(total, index) for _, total, index in headers] == [(3, 1), (3, 2), (3, 3)]
    assert b"".join(part[6:] for part in parts).decode("utf-16-be") == LONG_UCS2
    assert simulator.snapshot()["mo_parts_sent"] == 3


@pytest.mark.e2e
async def test_inject_mo_goes_to_the_named_system_id(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    ours, theirs = Inbox(), Inbox()
    await bind(simulator, system_id="ours", bind=BindType.RECEIVER, inbox=ours)
    await bind(simulator, system_id="theirs", bind=BindType.RECEIVER, inbox=theirs)

    await simulator.inject_mo("+447700900123", "12345", "for theirs", system_id="theirs")
    [pdu] = await theirs.wait_for(1)

    assert isinstance(pdu, DeliverSm)
    assert pdu.short_message == b"for theirs"
    assert ours.pdus == []


@pytest.mark.e2e
async def test_inject_mo_without_a_receiver_raises_no_receiver_bound(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    await bind(simulator, bind=BindType.TRANSMITTER)

    with pytest.raises(NoReceiverBound):
        await simulator.inject_mo("+447700900123", "12345", "hello")


@pytest.mark.e2e
async def test_inject_mo_answered_with_an_error_reports_the_status(
    start_simulator: StartSimulator, bind: Bind
) -> None:
    simulator = await start_simulator()
    await bind(simulator, bind=BindType.RECEIVER)  # no handler: the client answers RX_T_APPN

    statuses = await simulator.inject_mo("+447700900123", "12345", "hello")

    assert statuses == [CommandStatus.ESME_RX_T_APPN]

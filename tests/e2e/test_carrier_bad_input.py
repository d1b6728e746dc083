"""Bad input from the carrier side: answered per SMPP and logged, and the link stays up.

The SMSC here is a raw socket script (not our server), so it can send anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.smpp import (
    BindTransceiver,
    CommandId,
    CommandStatus,
    DeliverSm,
    EsmClass,
    GenericNack,
    PduReader,
)
from smsgate.smpp.pdu import BindTransceiverResp
from tests.e2e.delivery_helpers import add_link, running, wait_until_links_up

pytestmark = pytest.mark.e2e


class RawSmsc:
    """Accepts binds and lets the test write raw bytes and read what the ESME answers."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.binds = 0
        self.writers: list[asyncio.StreamWriter] = []

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        frames = PduReader()
        self.writers.append(writer)
        while True:
            data = await reader.read(4096)
            if not data:
                return
            for pdu in frames.feed(data):
                if isinstance(pdu, BindTransceiver):
                    self.binds += 1
                    writer.write(
                        BindTransceiverResp(
                            sequence_number=pdu.sequence_number, system_id="raw"
                        ).encode()
                    )
                    await writer.drain()
                    await self.connections.put((reader, writer))
                    return  # the test reads from here on


async def answer(reader: asyncio.StreamReader, frames: PduReader) -> object:
    async with asyncio.timeout(5):
        while True:
            found = frames.feed(await reader.read(4096))
            for pdu in found:
                if not isinstance(pdu, Exception) and pdu.command_id != CommandId.ENQUIRE_LINK:
                    return pdu


@pytest.fixture
async def smsc() -> AsyncIterator[tuple[RawSmsc, int]]:
    raw = RawSmsc()
    server = await asyncio.start_server(raw.handle, "127.0.0.1", 0)
    yield raw, server.sockets[0].getsockname()[1]
    for writer in raw.writers:
        writer.close()
    server.close()
    await server.wait_closed()


def header(length: int, command_id: int, sequence_number: int) -> bytes:
    return b"".join(n.to_bytes(4, "big") for n in (length, command_id, 0, sequence_number))


async def test_malformed_pdus_get_generic_nack_and_the_link_stays_up(
    gateway: Gateway, smsc: tuple[RawSmsc, int]
) -> None:
    raw, port = smsc
    await add_link(gateway, port)
    async with running(gateway) as dispatcher:
        await wait_until_links_up(dispatcher)
        reader, writer = await raw.connections.get()
        frames = PduReader()

        writer.write(header(16, 0x00000999, 41))  # unknown command id
        nack = await answer(reader, frames)
        assert isinstance(nack, GenericNack)
        assert (nack.sequence_number, nack.command_status) == (41, CommandStatus.ESME_RINVCMDID)

        # A deliver_sm whose body is cut short of its mandatory fields.
        writer.write(header(20, CommandId.DELIVER_SM, 42) + b"\x00\x01\x01\x00")
        nack = await answer(reader, frames)
        assert getattr(nack, "sequence_number", None) == 42
        assert getattr(nack, "command_status", 0) != 0

        # A receipt for an id nobody submitted: acknowledged, kept for a while, no error.
        receipt = DeliverSm(
            sequence_number=43,
            esm_class=int(EsmClass.SMSC_DELIVERY_RECEIPT),
            short_message=b"id:ffff0000 sub:001 dlvrd:001 submit date:2611221000 "
            b"done date:2611221000 stat:DELIVRD err:000 text:x",
        )
        writer.write(receipt.encode())
        response = await answer(reader, frames)
        assert (getattr(response, "sequence_number", None), response.command_status) == (  # type: ignore[attr-defined]
            43,
            CommandStatus.ESME_ROK,
        )
        assert raw.binds == 1  # still the same connection
        assert next(iter(dispatcher.runners.values())).is_up
        async with gateway.store.engine.connect() as conn:
            kept = (await conn.execute(sa.select(t.pending_receipts.c.carrier_key))).scalars()
            assert list(kept) == ["ffff0000"]

        # An oversize command_length cannot be skipped: nack, close, and bind again.
        writer.write(header(10_000_000, CommandId.DELIVER_SM, 44))
        nack = await answer(reader, frames)
        assert getattr(nack, "command_status", None) == CommandStatus.ESME_RINVCMDLEN
        await raw.connections.get()  # the link bound again by itself
        assert raw.binds == 2

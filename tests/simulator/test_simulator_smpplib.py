"""smpplib (PyPI), an SMPP client we did not write, drives the simulator: bind transceiver,
submit, get the receipt through its message handler, then an injected MO.

smpplib is blocking: it runs in a thread while the simulator serves on the test's loop.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from typing import Any

import pytest
import smpplib.client
import smpplib.consts

from smsgate.simulator import SmscSimulator
from smsgate.smpp import message_ids_match, parse_receipt
from tests.simulator.conftest import WAIT_S, StartSimulator

pytestmark = pytest.mark.e2e

READS = 50  # smpplib reads one PDU per call; a bound on how many the thread waits for


@dataclass
class SmpplibSession:
    """What the smpplib thread saw."""

    sent_ids: list[str] = field(default_factory=list)
    receipts: list[bytes] = field(default_factory=list)
    mos: list[bytes] = field(default_factory=list)
    receipt_seen: asyncio.Event = field(default_factory=asyncio.Event)


def as_text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def run_smpplib(
    port: int,
    seen: SmpplibSession,
    loop: asyncio.AbstractEventLoop,
) -> None:
    client = smpplib.client.Client("127.0.0.1", port, timeout=WAIT_S, allow_unknown_opt_params=True)

    def on_sent(pdu: Any, **_: Any) -> None:
        seen.sent_ids.append(as_text(pdu.message_id))

    def on_received(pdu: Any, **_: Any) -> int:
        if pdu.esm_class & 0x04:  # SMSC delivery receipt
            seen.receipts.append(pdu.short_message)
            loop.call_soon_threadsafe(seen.receipt_seen.set)
        else:
            seen.mos.append(pdu.short_message)
        return 0

    client.set_message_sent_handler(on_sent)
    client.set_message_received_handler(on_received)
    client.connect()
    try:
        client.bind_transceiver(system_id="smpplib", password="secret")
        client.send_message(
            source_addr_ton=smpplib.consts.SMPP_TON_ALNUM,
            source_addr="Acme",
            dest_addr_ton=smpplib.consts.SMPP_TON_INTL,
            dest_addr_npi=smpplib.consts.SMPP_NPI_ISDN,
            destination_addr="447700900123",
            short_message=b"Hello from smpplib",
            registered_delivery=1,
        )
        for _ in range(READS):
            if seen.sent_ids and seen.receipts:
                break
            client.read_once()
        for _ in range(READS):  # until the MO the test injects once the receipt is in
            if seen.mos:
                break
            client.read_once()
        client.unbind()
    finally:
        client.disconnect()


async def test_smpplib_binds_submits_gets_receipt_and_mo(
    start_simulator: StartSimulator,
) -> None:
    simulator: SmscSimulator = await start_simulator()
    seen = SmpplibSession()
    loop = asyncio.get_running_loop()
    thread = asyncio.create_task(
        asyncio.to_thread(run_smpplib, simulator.port, seen, loop),
        name="test-smpplib",
    )
    try:
        async with asyncio.timeout(WAIT_S):
            await seen.receipt_seen.wait()
        statuses = await simulator.inject_mo("+447700900999", "Acme", "Reply from a handset")
    except BaseException:
        simulator.drop_connections()  # the thread's next read fails instead of waiting
        with contextlib.suppress(Exception):
            await thread
        raise
    async with asyncio.timeout(WAIT_S):
        await thread

    assert len(seen.sent_ids) == 1
    [receipt_text] = seen.receipts
    receipt = parse_receipt(receipt_text)
    assert receipt is not None
    assert message_ids_match(receipt.message_id, seen.sent_ids[0])
    assert receipt.stat == "DELIVRD"
    assert statuses == [0]
    assert seen.mos == [b"Reply from a handset"]
    assert simulator.snapshot()["binds"] == 1

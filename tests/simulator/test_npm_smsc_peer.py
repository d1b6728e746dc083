"""Our SMPP client against an SMSC we did not write: the npm `smpp` package (peers/npm-smsc,
installed by `make peers`; skipped where node is missing)."""

from __future__ import annotations

import asyncio

import pytest

from smsgate.smpp import (
    DeliverSm,
    MessageState,
    SubmitSm,
    SubmitSmResp,
    connect,
    receipt_from_pdu,
)
from tests.peers import npm_smsc
from tests.simulator.conftest import WAIT_S, Inbox

pytestmark = pytest.mark.e2e


async def test_our_client_binds_submits_gets_receipt_and_mo_from_npm_smsc() -> None:
    async with npm_smsc(receipts=True, receipt_delay_ms=10) as (port, inject_mo):
        inbox = Inbox()
        client = await connect(
            "127.0.0.1", port, "esme", "secret", on_deliver=inbox, connect_timeout_s=WAIT_S
        )
        try:
            async with asyncio.timeout(WAIT_S), asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(
                        client.submit(
                            SubmitSm(
                                source_addr="Acme",
                                destination_addr=f"44770090{n:04d}",
                                registered_delivery=1,
                                short_message=b"Hello npm",
                            )
                        ),
                        name=f"test-submit-{n}",
                    )
                    for n in range(5)
                ]
            receipts = await inbox.wait_for(5)
            status = await inject_mo("+447700900999", "Acme", "Reply from a handset")
            [*_, mo] = await inbox.wait_for(6)
        finally:
            await client.unbind(timeout_s=2.0)

    responses = [task.result() for task in tasks]
    assert all(isinstance(r, SubmitSmResp) and r.command_status == 0 for r in responses)
    submitted = {r.message_id for r in responses if isinstance(r, SubmitSmResp)}
    assert len(submitted) == 5
    parsed = [receipt_from_pdu(pdu) for pdu in receipts]
    assert all(r is not None and r.state is MessageState.DELIVERED for r in parsed)
    receipt_ids = {r.message_id for r in parsed if r is not None}
    assert receipt_ids == submitted
    assert status == 0
    assert isinstance(mo, DeliverSm)
    assert receipt_from_pdu(mo) is None
    assert mo.source_addr == "447700900999"
    assert mo.short_message == b"Reply from a handset"


async def test_npm_smsc_without_receipts_only_answers_submits() -> None:
    async with npm_smsc(receipts=False) as (port, _):
        inbox = Inbox()
        client = await connect("127.0.0.1", port, "esme", "secret", on_deliver=inbox)
        try:
            response = await client.submit(SubmitSm(destination_addr="1234", registered_delivery=1))
            await client.enquire_link()
        finally:
            await client.unbind(timeout_s=2.0)

    assert isinstance(response, SubmitSmResp)
    assert response.message_id == "1"
    assert inbox.pdus == []

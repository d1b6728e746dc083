"""Two dispatchers matching the receipts of one long message's parts at the same moment: the
message still ends once, in its final status (PostgreSQL: concurrent transactions)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.db.receipts import SqlReceipts
from smsgate.domain.messages import MessageStatus
from smsgate.domain.recipients import Recipient
from smsgate.ports import Matching, PartReceipt
from smsgate.services.accounts import NewAccount
from smsgate.services.delivery import Submitted
from smsgate.services.sending import SendRequest
from tests.conftest import PG_URL


@pytest.mark.skipif(not PG_URL, reason="SQLite runs one write transaction at a time")
async def test_the_parts_of_one_message_matched_at_once_by_two_dispatchers_finish_it(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each transaction marks its part, then reads the statuses of all the parts: without
    the message's row lock in between, each saw the other's part still submitted, and the
    message stayed `submitted` for good."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="pw-secret", credit_micros=10_000_000)
    )
    await gateway.sending.send(account, SendRequest([Recipient("+33612345601")], "x" * 200))
    [job] = await gateway.delivery.claim(10)
    message_id = job.message.id
    await gateway.delivery.record([Submitted(message_id, 1, (("p1", "p1"), ("p2", "p2")))])

    both_marked = asyncio.Barrier(2)
    match = SqlReceipts.match_parts

    async def match_then_wait(
        self: SqlReceipts, receipts: Sequence[PartReceipt], now: datetime
    ) -> Matching:
        found = await match(self, receipts, now)
        await both_marked.wait()  # each has marked its part, neither has committed
        return found

    statuses = SqlReceipts.part_statuses

    async def read_then_linger(self: SqlReceipts, message_ids: Sequence[int]) -> Any:
        found = await statuses(self, message_ids)
        await asyncio.sleep(0.3)  # the other transaction reads meanwhile, unless it waits
        return found

    monkeypatch.setattr(SqlReceipts, "match_parts", match_then_wait)
    monkeypatch.setattr(SqlReceipts, "part_statuses", read_then_linger)
    delivered = MessageStatus.DELIVERED
    async with asyncio.timeout(10):
        matched = await asyncio.gather(
            gateway.delivery.apply_receipts([PartReceipt(1, "p1", delivered, None)]),
            gateway.delivery.apply_receipts([PartReceipt(1, "p2", delivered, None)]),
        )
    assert matched == [1, 1]
    async with gateway.store.engine.connect() as conn:
        status = await conn.scalar(
            sa.select(t.messages.c.status).where(t.messages.c.id == message_id)
        )
    assert status == "delivered"

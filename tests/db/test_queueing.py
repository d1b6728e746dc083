"""Batches.queue: batch, messages, debit, ledger row and usage counters, all or nothing
(on PostgreSQL one statement, run without an explicit transaction: docs/decisions/0008)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import Service
from smsgate.domain.batches import NewBatch, NewMessage
from smsgate.domain.messages import MessageKind
from smsgate.services.accounts import NewAccount

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)


def batch_of(account_id: int, messages: list[NewMessage]) -> NewBatch:
    return NewBatch(
        account_id=account_id,
        service=Service.SMS,
        text="hello",
        sender=None,
        encoding="gsm7",
        segments=1,
        flash=False,
        kind=MessageKind.TRANSACTIONAL,
        scheduled_at=None,
        created_at=NOW,
        idempotency_key=None,
        total=len(messages),
        verdict_counts={"accepted": len(messages)},
        refused=[],
        cost_micros=sum(m.price_micros for m in messages),
    )


async def counts(gateway: Gateway) -> dict[str, int]:
    async with gateway.store.engine.connect() as conn:
        return {
            table.name: int(await conn.scalar(sa.select(sa.func.count()).select_from(table)))
            for table in (t.batches, t.messages, t.ledger, t.usage)
        }


async def test_queue_writes_everything_or_nothing(gateway: Gateway) -> None:
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=3_000_000)
    )
    before = await counts(gateway)
    messages = [
        NewMessage("+33612345601", "FR", "a", 1, 1_000_000),
        NewMessage("+33612345602", "FR", None, 1, 1_000_000),
        NewMessage("+447700900123", "GB", "c", 1, 500_000),
    ]

    async with gateway.store.transaction(write=True, autocommit=True) as tx:
        queued = await tx.batches.queue(batch_of(account.id, messages), messages, "queued")
    assert queued is not None
    assert queued.balance_micros == 500_000
    assert len(queued.message_ids) == 3
    assert queued.message_ids == sorted(queued.message_ids)

    async with gateway.store.transaction() as tx:
        stored = await tx.batches.messages_of_batch(account.id, queued.batch_id)
        charge = await tx.ledger.charge_of(account.id, queued.batch_id)
    assert [(m.id, m.recipient, m.reference) for m in stored] == [
        (i, m.recipient, m.reference) for i, m in zip(queued.message_ids, messages, strict=True)
    ]
    assert charge is not None
    assert (charge.amount_micros, charge.balance_after_micros) == (-2_500_000, 500_000)
    async with gateway.store.engine.connect() as conn:
        usage = {(r.period, r.region): r.count for r in await conn.execute(sa.select(t.usage))}
    assert usage == {("2026-11-22", "*"): 3, ("2026-11", "FR"): 2, ("2026-11", "GB"): 1}

    # The balance (0.5 credit) does not cover one more credit: nothing at all is written.
    after_first = await counts(gateway)
    more = [NewMessage("+33612345603", "FR", None, 1, 1_000_000)]
    async with gateway.store.transaction(write=True, autocommit=True) as tx:
        assert await tx.batches.queue(batch_of(account.id, more), more, "queued") is None
    assert await counts(gateway) == after_first
    assert after_first["messages"] == before["messages"] + 3
    assert (await gateway.accounts.get("alice")).balance_micros == 500_000


async def test_queue_without_a_transaction_holds_no_lock_once_it_returns(gateway: Gateway) -> None:
    """On PostgreSQL the account row is free as soon as `queue` returns, before the
    transaction block ends; in an explicit transaction it stays locked until commit."""
    if gateway.store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one write lock for the whole transaction")
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10_000_000)
    )
    messages = [NewMessage("+33612345601", "FR", None, 1, 1_000_000)]
    touch = sa.text("UPDATE accounts SET email = email WHERE id = :id")

    async def row_is_free() -> bool:
        async with gateway.store.engine.connect() as other:
            await other.execute(sa.text("SET lock_timeout = '300ms'"))
            try:
                await other.execute(touch, {"id": account.id})
            except sa.exc.DBAPIError:
                return False
            await other.rollback()
            return True

    for autocommit in (True, False):
        async with gateway.store.transaction(write=True, autocommit=autocommit) as tx:
            assert await tx.batches.queue(batch_of(account.id, messages), messages, "queued")
            assert await row_is_free() is autocommit

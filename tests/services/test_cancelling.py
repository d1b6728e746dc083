"""Cancelling a batch: scheduled and queued messages become cancelled and are refunded in one
ledger row; anything a dispatcher has claimed, or later, is left alone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.accounts import Account
from smsgate.domain.messages import MessageStatus, earns_refund
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import NewAccount
from smsgate.services.cancelling import CANCELLABLE
from smsgate.services.sending import SendRequest
from tests.conftest import in_status

S = MessageStatus
NUMBERS = [f"+3361234560{i}" for i in range(5)]


async def account_named(gateway: Gateway, name: str) -> Account:
    account, _ = await gateway.accounts.create(
        NewAccount(username=name, password="secret-pw", credit_micros=10_000_000, country="FR")
    )
    return account


async def scheduled_batch(gateway: Gateway, account: Account) -> tuple[int, list[int]]:
    outcome = await gateway.sending.send(
        account,
        SendRequest(
            recipients=[Recipient(n) for n in NUMBERS],
            text="hello",
            scheduled_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        ),
    )
    assert outcome.batch_id is not None
    return outcome.batch_id, [m.id for m in outcome.messages if m.id is not None]


async def set_statuses(gateway: Gateway, statuses: dict[int, MessageStatus]) -> None:
    async with gateway.store.engine.begin() as conn:
        for message_id, status in statuses.items():
            await conn.execute(
                sa.update(t.messages)
                .where(t.messages.c.id == message_id)
                .values(**in_status(status))
            )


def test_cancellable_statuses_are_the_unclaimed_ones_and_each_earns_a_refund() -> None:
    assert frozenset({S.SCHEDULED, S.QUEUED, S.PAUSED}) == CANCELLABLE
    assert all(earns_refund(status, S.CANCELLED) for status in CANCELLABLE)


async def test_cancel_batch_refunds_scheduled_and_queued_and_leaves_claimed_ones(
    gateway: Gateway,
) -> None:
    account = await account_named(gateway, "carol")
    batch_id, ids = await scheduled_batch(gateway, account)
    await set_statuses(gateway, {ids[1]: S.QUEUED, ids[2]: S.SENDING, ids[3]: S.SUBMITTED})

    outcome = await gateway.cancelling.cancel_batch(account, batch_id)

    assert (outcome.cancelled, outcome.refund_micros) == (3, 3_000_000)
    assert outcome.balance_micros == 8_000_000
    assert outcome.report.status_counts == {"cancelled": 3, "sending": 1, "submitted": 1}
    fresh = await gateway.accounts.get("carol")
    entries = await gateway.accounts.ledger("carol")
    assert fresh.balance_micros == 8_000_000 == sum(e.amount_micros for e in entries)
    refund = entries[-1]
    assert (refund.kind, refund.amount_micros, refund.batch_id) == ("refund", 3_000_000, batch_id)
    assert refund.balance_after_micros == 8_000_000
    async with gateway.store.transaction() as tx:
        assert await tx.ledger.total(account.id) == fresh.balance_micros


async def test_cancel_batch_again_cancels_and_refunds_nothing(gateway: Gateway) -> None:
    account = await account_named(gateway, "carol")
    batch_id, _ = await scheduled_batch(gateway, account)
    await gateway.cancelling.cancel_batch(account, batch_id)
    again = await gateway.cancelling.cancel_batch(account, batch_id)
    assert (again.cancelled, again.refund_micros, again.balance_micros) == (0, 0, 10_000_000)
    assert [e.kind for e in await gateway.accounts.ledger("carol")] == [
        "topup",
        "charge",
        "refund",
    ]


async def test_cancel_batch_of_another_account_or_unknown_is_not_found(
    gateway: Gateway,
) -> None:
    owner = await account_named(gateway, "carol")
    other = await account_named(gateway, "mallory")
    batch_id, _ = await scheduled_batch(gateway, owner)
    with pytest.raises(errors.NotFound):
        await gateway.cancelling.cancel_batch(other, batch_id)
    with pytest.raises(errors.NotFound):
        await gateway.cancelling.cancel_batch(owner, batch_id + 100)
    report = await gateway.queries.batch(owner, batch_id)
    assert report.status_counts == {"scheduled": 5}
    assert (await gateway.accounts.get("mallory")).balance_micros == 10_000_000

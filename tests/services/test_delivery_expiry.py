"""Validity: unsent messages expire and are refunded even when no dispatcher can claim them."""

from __future__ import annotations

from datetime import timedelta

from smsgate.bootstrap import Gateway
from smsgate.clock import FrozenClock
from smsgate.domain.batches import MessageFilter
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import NewAccount
from smsgate.services.sending import SendRequest


async def test_unsent_messages_past_validity_expire_with_a_refund(
    gateway: Gateway, clock: FrozenClock
) -> None:
    account, _ = await gateway.accounts.create(
        NewAccount(username="bob", password="pw-secret", credit_micros=10_000_000)
    )
    await gateway.sending.send(
        account, SendRequest(recipients=[Recipient("+33612345678")], text="hello")
    )
    later = clock.now() + timedelta(hours=1)
    await gateway.sending.send(
        account,
        SendRequest(recipients=[Recipient("+33612345679")], text="later", scheduled_at=later),
    )
    clock.advance(gateway.delivery.policy.validity - timedelta(minutes=1))
    assert await gateway.delivery.expire_overdue() == 0

    clock.advance(timedelta(minutes=2))  # the first is past its validity, the second not yet
    assert await gateway.delivery.expire_overdue() == 1
    found = await gateway.queries.messages(account, MessageFilter())
    assert sorted((m.recipient, str(m.status)) for m in found) == [
        ("+33612345678", "expired"),
        ("+33612345679", "scheduled"),
    ]
    assert (await gateway.accounts.get("bob")).balance_micros == 9_000_000

"""Messages carry no foreign keys (docs/decisions/0006): every writer must still give each
message an existing batch of the same account."""

from __future__ import annotations

import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.messages import MessageKind
from smsgate.domain.recipients import Recipient
from smsgate.services.accounts import NewAccount
from smsgate.services.campaigns import CampaignDraft
from smsgate.services.sending import SendRequest


async def test_messages_of_sends_and_launches_belong_to_a_batch_of_their_account(
    gateway: Gateway,
) -> None:
    for name in ("alice", "bob"):
        account, _ = await gateway.accounts.create(
            NewAccount(username=name, password="secret-pw", credit_micros=10**9, country="FR")
        )
        numbers = [f"+3361234560{i}" for i in range(5)]
        await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
        await gateway.sending.send(
            account,
            SendRequest([Recipient(numbers[0])], "promo", kind=MessageKind.MARKETING),
        )
        draft = await gateway.campaigns.create(
            account, CampaignDraft(name="c", text="sale", numbers=numbers)
        )
        await gateway.campaigns.launch(account, draft.campaign.id)

    m, b = t.messages.c, t.batches.c
    orphans = (
        sa.select(sa.func.count())
        .select_from(t.messages.outerjoin(t.batches, b.id == m.batch_id))
        .where(sa.or_(b.id.is_(None), b.account_id != m.account_id))
    )
    async with gateway.store.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.messages)) == 22
        assert await conn.scalar(orphans) == 0

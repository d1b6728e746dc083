"""Final statuses reported to webhooks: one `message.status` event per message of the
accounts that have a webhook URL, none for the others, from the same batch of receipts."""

from __future__ import annotations

import orjson
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.domain.messages import MessageStatus
from smsgate.domain.recipients import Recipient
from smsgate.ports import PartReceipt
from smsgate.services.accounts import NewAccount
from smsgate.services.delivery import Submitted
from smsgate.services.sending import SendRequest


async def test_a_batch_of_receipts_reports_only_to_the_accounts_with_a_webhook(
    gateway: Gateway,
) -> None:
    for name in ("alice", "bob"):
        await gateway.accounts.create(
            NewAccount(username=name, password="pw-secret", credit_micros=10_000_000)
        )
    await gateway.accounts.update_settings("alice", webhook_url="https://hooks.example/sms")
    sent = {}
    for name, number in (("alice", "+33612345601"), ("bob", "+33612345602")):
        account = await gateway.accounts.get(name)
        batch = await gateway.sending.send(account, SendRequest([Recipient(number)], "hi"))
        sent[name] = int(batch.messages[0].id or 0)
    jobs = await gateway.delivery.claim(10)
    assert sorted(job.message.id for job in jobs) == sorted(sent.values())
    await gateway.delivery.record(
        [Submitted(mid, 1, ((f"c{mid}", f"c{mid}"),)) for mid in sent.values()]
    )
    matched = await gateway.delivery.apply_receipts(
        [PartReceipt(1, f"c{mid}", MessageStatus.DELIVERED, None) for mid in sent.values()]
    )
    assert matched == 2
    async with gateway.store.engine.connect() as conn:
        rows = (await conn.execute(sa.select(t.webhook_outbox.c.body))).all()
    events = [orjson.loads(row.body) for row in rows]
    assert [(e["event"], e["data"]["id"], e["data"]["status"]) for e in events] == [
        ("message.status", sent["alice"], "delivered")
    ]

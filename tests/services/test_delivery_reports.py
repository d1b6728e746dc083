"""Final statuses reported to webhooks: one `message.status` event per message of the
accounts that have a webhook URL, none for the others, from the same batch of receipts."""

from __future__ import annotations

from collections.abc import Sequence

import orjson
import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.db.outbox import SqlOutbox
from smsgate.domain.messages import MessageStatus
from smsgate.domain.recipients import Recipient
from smsgate.ports import PartReceipt
from smsgate.services.accounts import NewAccount
from smsgate.services.delivery import Submitted
from smsgate.services.sending import SendRequest
from tests.conftest import PG_URL, in_status


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


async def test_one_batch_of_receipts_finishes_settles_and_reports_each_kind_of_message(
    gateway: Gateway,
) -> None:
    """On PostgreSQL the matching statement itself finishes single-part messages; the
    service finishes the rest. Either way each message ends once, with its refund, its npai
    mark and its event: a rejected one refunded, an undelivered one (error 1) npai, a
    two-part one only when both parts are in, a final one left as it is."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="pw-secret", credit_micros=10_000_000)
    )
    await gateway.accounts.update_settings("alice", webhook_url="https://hooks.example/sms")
    numbers = ["+33612345601", "+33612345602", "+33612345603"]
    short = await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    long = await gateway.sending.send(account, SendRequest([Recipient("+33612345604")], "x" * 200))
    rejected, undelivered, cancelled = (int(m.id or 0) for m in short.messages)
    two_parts = int(long.messages[0].id or 0)
    await gateway.delivery.claim(10)
    await gateway.delivery.record(
        [Submitted(mid, 1, ((f"c{mid}", f"c{mid}"),)) for mid in (rejected, undelivered, cancelled)]
        + [Submitted(two_parts, 1, (("p1", "p1"), ("p2", "p2")))]
    )
    async with gateway.store.engine.begin() as conn:  # final meanwhile (an operator's hand)
        await conn.execute(
            t.messages.update().where(t.messages.c.id == cancelled).values(**in_status("cancelled"))
        )
    balance = (await gateway.accounts.get("alice")).balance_micros
    S = MessageStatus
    matched = await gateway.delivery.apply_receipts(
        [
            PartReceipt(1, f"c{rejected}", S.REJECTED, "11"),
            PartReceipt(1, f"c{undelivered}", S.UNDELIVERED, "1"),
            PartReceipt(1, f"c{cancelled}", S.DELIVERED, None),
            PartReceipt(1, "p1", S.DELIVERED, None),
        ]
    )
    assert matched == 4
    assert await gateway.delivery.apply_receipts([PartReceipt(1, "p2", S.DELIVERED, None)]) == 1

    m = t.messages.c
    async with gateway.store.engine.connect() as conn:
        statuses = dict((await conn.execute(sa.select(m.id, m.status))).all())
        errors = dict((await conn.execute(sa.select(m.id, m.error_code))).all())
        npai = (await conn.execute(sa.select(t.npai.c.number))).scalars().all()
        bodies = (await conn.execute(sa.select(t.webhook_outbox.c.body))).scalars().all()
    assert statuses == {
        rejected: "rejected",
        undelivered: "undelivered",
        cancelled: "cancelled",
        two_parts: "delivered",
    }
    assert (errors[rejected], errors[undelivered]) == ("11", "1")
    assert npai == ["+33612345602"]
    price = short.messages[0].price_micros
    assert (await gateway.accounts.get("alice")).balance_micros == balance + price
    events = sorted((e["data"]["id"], e["data"]["status"]) for e in map(orjson.loads, bodies))
    assert events == sorted(
        [(rejected, "rejected"), (undelivered, "undelivered"), (two_parts, "delivered")]
    )


@pytest.mark.skipif(not PG_URL, reason="the matching statement's own lookup is PostgreSQL's")
async def test_the_matching_statement_says_which_accounts_have_a_webhook(
    gateway: Gateway, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No round trip per batch of receipts to ask which accounts have a webhook: the
    statement that finishes the messages says so for each (a flush waits on every round trip
    its event loop is slow to answer)."""
    lookups: list[Sequence[int]] = []
    lookup = SqlOutbox.webhook_targets

    async def counted(self: SqlOutbox, account_ids: Sequence[int]) -> set[int]:
        lookups.append(account_ids)
        return await lookup(self, account_ids)

    monkeypatch.setattr(SqlOutbox, "webhook_targets", counted)
    await test_a_batch_of_receipts_reports_only_to_the_accounts_with_a_webhook(gateway)
    assert lookups == []

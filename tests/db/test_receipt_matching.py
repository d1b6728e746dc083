"""Receipt matching (SqlReceipts.match_parts): the newest submitted part of a key wins, a key
given twice in one batch matches once, unknown keys are returned unmatched; on PostgreSQL
one statement per link, elsewhere a lookup and an update."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from smsgate.bootstrap import Gateway
from smsgate.db import tables as t
from smsgate.db.delivery import _PG_SUBMIT_SENDING
from smsgate.db.kept_receipts import _PG_TAKE_KEPT, _PG_TAKE_MATCHABLE
from smsgate.db.receipts import _PG_INSERT_PARTS_TAKING_KEPT, _PG_MATCH_PARTS
from smsgate.domain.messages import MessageStatus
from smsgate.domain.recipients import Recipient
from smsgate.ports import MessageUpdate, PartReceipt, PartRecord
from smsgate.services.accounts import NewAccount
from smsgate.services.delivery import Submitted
from smsgate.services.sending import SendRequest
from tests.conftest import PG_URL, in_status

NOW = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
DELIVERED, UNDELIVERED = MessageStatus.DELIVERED, MessageStatus.UNDELIVERED


async def test_match_parts_takes_the_newest_part_of_a_key_once(gateway: Gateway) -> None:
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**9)
    )
    numbers = ["+33612345601", "+33612345602", "+33612345603"]
    sent = await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    first, second, third = (int(m.id or 0) for m in sent.messages)
    async with gateway.store.transaction(write=True) as tx:
        # The carrier reused id "a1": the later submit is the one its receipt is about.
        await tx.receipts.add_parts([PartRecord(first, 1, 7, "a1")], NOW - timedelta(hours=1))
        await tx.receipts.add_parts(
            [PartRecord(second, 1, 7, "a1"), PartRecord(third, 1, 7, "b2")], NOW
        )
    receipts = [
        PartReceipt(7, "a1", DELIVERED, None),
        PartReceipt(7, "a1", UNDELIVERED, "1"),  # the same key again in one batch
        PartReceipt(7, "b2", UNDELIVERED, "34"),
        PartReceipt(7, "zz", DELIVERED, None),  # no such part (yet)
        PartReceipt(8, "b2", DELIVERED, None),  # another link's id
    ]
    async with gateway.store.transaction(write=True) as tx:
        matched, unmatched, *_ = await tx.receipts.match_parts(receipts, NOW)
        statuses = await tx.receipts.part_statuses([first, second, third])
    assert [(mid, seq, segments, r) for mid, seq, segments, r in matched] == [
        (second, 1, 1, receipts[0]),
        (third, 1, 1, receipts[2]),
    ]
    assert unmatched == [receipts[1], receipts[3], receipts[4]]
    assert statuses == {
        first: {1: "submitted"},
        second: {1: "delivered"},
        third: {1: "undelivered"},
    }


async def test_a_receipt_kept_while_its_submit_was_recorded_elsewhere_is_rematched(
    gateway: Gateway,
) -> None:
    """Dispatcher B keeps a receipt whose submit dispatcher A records meanwhile: B's kept
    row commits after A took the kept receipts, so A cannot see it; rematch_kept finds it."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**9)
    )
    sent = await gateway.sending.send(account, SendRequest([Recipient("+33612345601")], "hi"))
    message_id = int(sent.messages[0].id or 0)
    async with gateway.store.transaction(write=True) as tx:  # A: the part, nothing kept yet
        assert await tx.receipts.add_parts([PartRecord(message_id, 1, 7, "a1")], NOW) == []
    async with gateway.store.transaction(write=True) as tx:  # B: the receipt, kept
        await tx.receipts.keep_receipts(
            [PartReceipt(7, "a1", DELIVERED, None)], NOW, NOW + timedelta(days=3)
        )

    assert await gateway.delivery.rematch_kept([(7, "a1"), (7, "nothing-kept")]) == 1
    assert await gateway.delivery.rematch_kept([(7, "a1")]) == 0  # taken once only
    async with gateway.store.transaction() as tx:
        assert await tx.receipts.part_statuses([message_id]) == {message_id: {1: "delivered"}}


async def test_submits_are_recorded_with_their_parts_and_the_receipts_that_came_first(
    gateway: Gateway,
) -> None:
    """record_submits (one statement on PostgreSQL): the messages still sending move, their
    parts are inserted and the receipts kept for their keys taken; a message at its second
    try has its earlier parts replaced; one no longer sending is left alone."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**9)
    )
    numbers = [Recipient("+33612345601"), Recipient("+33612345602")]
    await gateway.sending.send(account, SendRequest(numbers, "hi"))
    first, second = sorted(job.message.id for job in await gateway.delivery.claim(10))
    async with gateway.store.transaction(write=True) as tx:
        await tx.receipts.keep_receipts(
            [PartReceipt(7, "k1", DELIVERED, None), PartReceipt(7, "other", DELIVERED, None)],
            NOW,
            NOW + timedelta(days=3),
        )

    def submitted(message_id: int, key: str) -> MessageUpdate:
        return MessageUpdate(message_id, MessageStatus.SUBMITTED, link_id=7, carrier_message_id=key)

    async with gateway.store.transaction(write=True) as tx:
        moved, early = await tx.delivery.record_submits(
            [submitted(first, "k1"), submitted(second, "k2")],
            [
                PartRecord(first, 1, 7, "k1"),
                PartRecord(second, 1, 7, "k2"),
                PartRecord(second, 2, 7, "k3"),
            ],
            NOW,
        )
    assert moved == 2
    assert early == [PartReceipt(7, "k1", DELIVERED, None)]

    async with gateway.store.engine.begin() as conn:  # the second's lease ran out: a new try
        await conn.execute(
            t.messages.update()
            .where(t.messages.c.id == second)
            .values(attempts=2, **in_status("sending"), due_at=NOW)
        )
    async with gateway.store.transaction(write=True) as tx:
        moved, early = await tx.delivery.record_submits(
            [submitted(first, "k8"), submitted(second, "k9")],
            [PartRecord(first, 1, 7, "k8"), PartRecord(second, 1, 7, "k9")],
            NOW,
        )
        parts = (
            await tx.receipts._conn.execute(
                sa.select(t.parts.c.message_id, t.parts.c.seq, t.parts.c.carrier_key).order_by(
                    t.parts.c.message_id, t.parts.c.seq
                )
            )
        ).all()
    assert (moved, early) == (1, [])
    assert [tuple(row) for row in parts] == [(first, 1, "k1"), (second, 1, "k9")]


# Arguments of the probed statements: PostgreSQL type and a value, by parameter name.
_PARAMETERS = {
    "link_id": ("bigint", "1"),
    "keys": ("text[]", "ARRAY['a']"),
    "statuses": ("text[]", "ARRAY['delivered']"),
    "errors": ("text[]", "ARRAY[NULL]::text[]"),
    "now": ("timestamptz", "now()"),
    "status": ("text", "'submitted'"),
    "messages": ("bigint[]", "ARRAY[1]::bigint[]"),
    "seqs": ("integer[]", "ARRAY[1]"),
    "links": ("bigint[]", "ARRAY[1]::bigint[]"),
    "part_keys": ("text[]", "ARRAY['a']"),
    "ids": ("bigint[]", "ARRAY[1]::bigint[]"),
    "carriers": ("text[]", "ARRAY['a']"),
    "part_links": ("bigint[]", "ARRAY[1]::bigint[]"),
}


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL caches generic plans of prepared statements")
@pytest.mark.parametrize(
    "statement",
    [
        _PG_MATCH_PARTS,
        _PG_TAKE_KEPT,
        _PG_INSERT_PARTS_TAKING_KEPT,
        _PG_TAKE_MATCHABLE,
        _PG_SUBMIT_SENDING,
    ],
    ids=[
        "match parts",
        "take kept",
        "insert parts taking kept",
        "take kept now matchable",
        "submits with their parts",
    ],
)
async def test_cached_plans_look_each_key_up_even_when_made_on_empty_tables(
    gateway: Gateway, statement: sa.TextClause | sa.TextualSelect
) -> None:
    """asyncpg prepares every statement, and PostgreSQL may then keep one generic plan per
    connection, made with the statistics of that moment: a dispatcher starts while `parts`
    and `pending_receipts` are empty. That plan must still look each (link, key) up in the
    index, not read every row of the link: it did the latter with `carrier_key = ANY(:keys)`,
    and 100 receipts took 25 ms at 30,000 parts."""
    plan = await _generic_plan(gateway, statement)
    lookups = [line for line in plan.splitlines() if "Index Cond" in line and "link_id" in line]
    assert lookups, plan
    assert all("carrier_key" in line for line in lookups), plan


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's plan")
async def test_matching_updates_the_part_and_message_it_found_by_their_ctid(
    gateway: Gateway,
) -> None:
    """Not through a second probe of each primary key (27 -> 22 buffer reads per receipt)."""
    plan = await _generic_plan(gateway, _PG_MATCH_PARTS)
    assert "Tid Scan on parts" in plan, plan
    assert "Tid Scan on messages" in plan, plan


async def _generic_plan(gateway: Gateway, statement: sa.TextClause | sa.TextualSelect) -> str:
    """EXPLAIN of the plan PostgreSQL caches for `statement` once it goes generic."""
    sql = statement.element.text if isinstance(statement, sa.TextualSelect) else statement.text
    names = list(dict.fromkeys(re.findall(r"(?<!:):(\w+)", sql)))
    for n, name in enumerate(names, start=1):
        sql = re.sub(rf"(?<!:):{name}\b", f"${n}", sql)
    types = ", ".join(_PARAMETERS[name][0] for name in names)
    values = ", ".join(_PARAMETERS[name][1] for name in names)
    async with gateway.store.engine.connect() as conn:
        await conn.exec_driver_sql("SET plan_cache_mode = force_generic_plan")
        await conn.exec_driver_sql(f"PREPARE probe({types}) AS {sql}")
        rows = await conn.exec_driver_sql(f"EXPLAIN EXECUTE probe({values})")
        plan = "\n".join(row[0] for row in rows)
        await conn.rollback()
    return plan


@pytest.mark.skipif(not PG_URL, reason="fillfactor and HOT updates are PostgreSQL's")
async def test_a_receipt_updates_its_part_in_place(gateway: Gateway) -> None:
    """Parts leave half of each page free (migration 0006): a receipt's update of its part
    stays on the page, a HOT update that writes no index entry. With full pages none of 300
    parts inserted together was updated in place; with half-free pages all but those at a
    page's end are (their first versions are only pruned once the transaction is over)."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**9)
    )
    numbers = [f"+336123{n:05d}" for n in range(300)]
    sent = await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    ids = [int(m.id or 0) for m in sent.messages]
    async with gateway.store.transaction(write=True) as tx:
        await tx.receipts.add_parts([PartRecord(mid, 1, 7, f"k{mid}") for mid in ids], NOW)
        matched, *_ = await tx.receipts.match_parts(
            [PartReceipt(7, f"k{mid}", DELIVERED, None) for mid in ids], NOW
        )
        conn = tx.receipts._conn
        hot = await conn.scalar(
            sa.text("SELECT pg_stat_get_xact_tuples_hot_updated('parts'::regclass)")
        )
    assert len(matched) == 300
    assert hot >= 270, hot


@pytest.mark.skipif(not PG_URL, reason="fillfactor and HOT updates are PostgreSQL's")
async def test_a_receipt_finishes_its_message_in_place(gateway: Gateway) -> None:
    """The finish changes no indexed column (due_at was cleared when the message left the
    queue, and the claim index is over due_at, not status: migration 0007) and finds room on
    the message's page (fillfactor 60): a HOT update, no entry written in the four indexes.
    With the claim index over status, none of them was; here 290, at fillfactor 70 238."""
    account, _ = await gateway.accounts.create(
        NewAccount(username="alice", password="secret-pw", credit_micros=10**9)
    )
    numbers = [f"+336123{n:05d}" for n in range(300)]
    await gateway.sending.send(account, SendRequest([Recipient(n) for n in numbers], "hi"))
    jobs = await gateway.delivery.claim(300)
    await gateway.delivery.record(
        [
            Submitted(job.message.id, 7, ((f"k{job.message.id}", f"k{job.message.id}"),))
            for job in jobs
        ]
    )
    async with gateway.store.transaction(write=True) as tx:
        matched, _, finished, _ = await tx.receipts.match_parts(
            [PartReceipt(7, f"k{job.message.id}", DELIVERED, None) for job in jobs], NOW
        )
        hot = await tx.receipts._conn.scalar(
            sa.text("SELECT pg_stat_get_xact_tuples_hot_updated('messages'::regclass)")
        )
    assert len(matched) == len(finished) == 300
    assert hot >= 270, hot

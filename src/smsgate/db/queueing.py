"""Queueing a charged batch: the batch, its messages, the debit, the ledger row and the usage
counters, all or nothing.

PostgreSQL does it in one statement (data-modifying WITH): the conditional debit comes
first and everything else selects from it, so a short balance writes nothing. Run without
an explicit transaction (Store.transaction(autocommit=True)), the account row is then
locked for the statement and its commit only, never across a round trip to this process:
the requests of one account otherwise queue behind each other's event-loop latency (seen
in bench/ingest.py: most PostgreSQL backends waiting on the account row's lock, with the
holder "idle in transaction"). SQLite holds its one write lock for the transaction anyway
and runs the same steps as separate statements.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.db.repositories import SqlScreenings, usage_rows
from smsgate.domain.batches import NewBatch, NewMessage, RefusedRecipient
from smsgate.domain.messages import message_priority
from smsgate.ports.accounts import QueuedBatch

_PG_QUEUE = dialects.typed_arrays(
    sa.text(
        """
    WITH debit AS (
        UPDATE accounts SET balance_micros = balance_micros - :cost
        WHERE id = :account_id AND balance_micros >= :cost
        RETURNING balance_micros
    ), batch AS (
        INSERT INTO batches (account_id, service, text, sender, encoding, segments, flash,
            kind, scheduled_at, created_at, idempotency_key, total, verdict_counts, refused,
            replay_recipients, request_hash, cost_micros)
        SELECT :account_id, :service, :text, :sender, :encoding, :batch_segments, :flash,
            :kind, :scheduled_at, :created_at, :idempotency_key, :total,
            CAST(:verdict_counts AS json), CAST(:refused AS json),
            CAST(:replay_recipients AS json), :request_hash, :cost
        FROM debit
        RETURNING id
    ), queued AS (
        INSERT INTO messages (batch_id, account_id, recipient, region, reference, segments,
            price_micros, status, due_at, scheduled_at, created_at, updated_at, priority)
        SELECT batch.id, :account_id, v.recipient, v.region, v.reference, v.segments,
            v.price, :status, :due_at, :scheduled_at, :created_at, :created_at, :priority
        FROM batch, unnest(
            CAST(:recipients AS text[]), CAST(:regions AS text[]),
            CAST(:references AS text[]), CAST(:segments AS integer[]),
            CAST(:prices AS bigint[])
        ) WITH ORDINALITY AS v(recipient, region, reference, segments, price, ord)
        ORDER BY v.ord
        RETURNING id
    ), charge AS (
        INSERT INTO ledger (account_id, amount_micros, kind, balance_after_micros, batch_id,
            note, created_at)
        SELECT :account_id, -CAST(:cost AS bigint), 'charge', debit.balance_micros, batch.id,
            NULL, :created_at
        FROM debit, batch
    ), counted AS (
        INSERT INTO usage (account_id, period, region, count)
        SELECT :account_id, u.period, u.region, u.count
        FROM debit, unnest(
            CAST(:usage_periods AS text[]), CAST(:usage_regions AS text[]),
            CAST(:usage_counts AS bigint[])
        ) AS u(period, region, count)
        ON CONFLICT (account_id, period, region) DO UPDATE SET count = usage.count + excluded.count
    )
    SELECT debit.balance_micros, batch.id, ARRAY(SELECT id FROM queued ORDER BY id)
    FROM debit, batch
    """
    ).bindparams(
        sa.bindparam("due_at", type_=t.UtcDateTime),
        sa.bindparam("scheduled_at", type_=t.UtcDateTime),
        sa.bindparam("created_at", type_=t.UtcDateTime),
        sa.bindparam("verdict_counts", type_=sa.JSON),
        sa.bindparam("refused", type_=sa.JSON),
        sa.bindparam("replay_recipients", type_=sa.JSON(none_as_null=True)),
    )
)


async def queue_batch(
    conn: AsyncConnection, batch: NewBatch, messages: Sequence[NewMessage], status: str
) -> QueuedBatch | None:
    """Write a charged batch and its messages; None, writing nothing, if the balance is short."""
    if dialects.is_postgresql(conn):
        return await _queue_postgresql(conn, batch, messages, status)
    return await _queue_sqlite(conn, batch, messages, status)


def batch_row(batch: NewBatch) -> dict[str, Any]:
    return {
        "account_id": batch.account_id,
        "service": str(batch.service),
        "text": batch.text,
        "sender": batch.sender,
        "encoding": batch.encoding,
        "segments": batch.segments,
        "flash": batch.flash,
        "kind": str(batch.kind),
        "scheduled_at": batch.scheduled_at,
        "created_at": batch.created_at,
        "idempotency_key": batch.idempotency_key,
        "total": batch.total,
        "verdict_counts": dict(batch.verdict_counts),
        "refused": recipients_json(batch.refused),
        "replay_recipients": None
        if batch.replay_recipients is None
        else recipients_json(batch.replay_recipients),
        "cost_micros": batch.cost_micros,
        "request_hash": batch.request_hash,
    }


def recipients_json(recipients: Sequence[RefusedRecipient]) -> list[dict[str, Any]]:
    return [
        {"raw": r.raw, "reference": r.reference, "number": r.number, "verdict": r.verdict}
        for r in recipients
    ]


async def _queue_postgresql(
    conn: AsyncConnection, batch: NewBatch, messages: Sequence[NewMessage], status: str
) -> QueuedBatch | None:
    row = batch_row(batch)
    usage = usage_rows(batch.created_at.date(), Counter(m.region for m in messages))
    params = {
        **row,
        "batch_segments": row["segments"],
        "cost": row["cost_micros"],
        "recipients": [m.recipient for m in messages],
        "regions": [m.region for m in messages],
        "references": [m.reference for m in messages],
        "segments": [m.segments for m in messages],
        "prices": [m.price_micros for m in messages],
        "status": status,
        "due_at": batch.scheduled_at or batch.created_at,
        "priority": message_priority(batch.kind),
        "usage_periods": [u[0] for u in usage],
        "usage_regions": [u[1] for u in usage],
        "usage_counts": [u[2] for u in usage],
    }
    del params["cost_micros"]
    found = (await conn.execute(_PG_QUEUE, params)).first()
    if found is None:
        return None
    balance, batch_id, ids = found
    return QueuedBatch(int(batch_id), [int(i) for i in ids], int(balance))


async def _queue_sqlite(
    conn: AsyncConnection, batch: NewBatch, messages: Sequence[NewMessage], status: str
) -> QueuedBatch | None:
    accounts = t.accounts.c
    debit = await conn.execute(
        t.accounts.update()
        .where(accounts.id == batch.account_id, accounts.balance_micros >= batch.cost_micros)
        .values(balance_micros=accounts.balance_micros - batch.cost_micros)
        .returning(accounts.balance_micros)
    )
    balance = debit.scalar_one_or_none()
    if balance is None:
        return None
    inserted = await conn.execute(t.batches.insert().returning(t.batches.c.id), batch_row(batch))
    batch_id = int(inserted.scalar_one())
    due_at = batch.scheduled_at or batch.created_at
    priority = message_priority(batch.kind)
    rows = [
        {
            "batch_id": batch_id,
            "account_id": batch.account_id,
            "recipient": m.recipient,
            "region": m.region,
            "reference": m.reference,
            "segments": m.segments,
            "price_micros": m.price_micros,
            "status": status,
            "due_at": due_at,
            "scheduled_at": batch.scheduled_at,
            "created_at": batch.created_at,
            "updated_at": batch.created_at,
            "priority": priority,
        }
        for m in messages
    ]
    # One executemany without RETURNING (with it, SQLAlchemy sends SQLite one row at a time
    # to keep the ids in order: a hundred trips to aiosqlite's thread for a hundred messages),
    # then the ids: the batch is new, and within it ids grow in insertion order.
    await conn.execute(t.messages.insert(), rows)
    result = await conn.execute(
        sa.select(t.messages.c.id)
        .where(t.messages.c.batch_id == batch_id)
        .order_by(t.messages.c.id)
    )
    ids = [int(i) for i in result.scalars()]
    await conn.execute(
        t.ledger.insert(),
        {
            "account_id": batch.account_id,
            "amount_micros": -batch.cost_micros,
            "kind": "charge",
            "balance_after_micros": balance,
            "batch_id": batch_id,
            "note": None,
            "created_at": batch.created_at,
        },
    )
    await SqlScreenings(conn).record_usage(
        batch.account_id, batch.created_at.date(), Counter(m.region for m in messages)
    )
    return QueuedBatch(batch_id, ids, int(balance))

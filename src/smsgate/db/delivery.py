"""The delivery bookkeeping: claims under a lease, parts and receipts, MO owners, the outbox.

The messages table is the queue. `claim` takes due messages (scheduled or queued whose time
has come, or sending whose lease ran out) and marks them sending with `due_at` moved to the
end of the lease, in one statement; on PostgreSQL the candidate rows are picked with
FOR UPDATE SKIP LOCKED so that several dispatchers never take the same message.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.db.receipts import SqlReceipts
from smsgate.domain.messages import IN_QUEUE, MessageStatus
from smsgate.ports import (
    BatchContent,
    Claimed,
    MessageState,
    MessageUpdate,
    PartReceipt,
    PartRecord,
)

S = MessageStatus
# A message's due_at is set exactly while it is in the queue (tables.QUEUE_SQL, checked by
# the table): `due_at <= :now` alone picks what may be claimed, from the partial claim index.
# An update to a status out of the queue clears it; one to a status in the queue keeps it or
# takes the one given.

m = t.messages.c
p = t.parts.c

_UPDATE_MESSAGE = (
    t.messages.update()
    .where(m.id == sa.bindparam("b_id"))
    .values(
        status=sa.bindparam("b_status"),
        error_code=sa.func.coalesce(sa.bindparam("b_error", type_=sa.String), m.error_code),
        due_at=sa.case(
            (
                sa.or_(*(sa.bindparam("b_status") == str(s) for s in IN_QUEUE)),
                sa.func.coalesce(sa.bindparam("b_due", type_=t.UtcDateTime), m.due_at),
            ),
            else_=sa.null(),
        ),
        attempts=sa.func.coalesce(sa.bindparam("b_attempts", type_=sa.Integer), m.attempts),
        link_id=sa.func.coalesce(sa.bindparam("b_link", type_=t.Id), m.link_id),
        carrier_message_id=sa.func.coalesce(
            sa.bindparam("b_carrier", type_=sa.String), m.carrier_message_id
        ),
        updated_at=sa.bindparam("b_now", type_=t.UtcDateTime),
    )
)

_PG_UPDATE_MESSAGES = dialects.typed_arrays(
    sa.text(
        f"""
    UPDATE messages AS m SET
        status = v.status,
        error_code = COALESCE(v.error, m.error_code),
        due_at = CASE WHEN v.{t.QUEUE_SQL} THEN COALESCE(v.due, m.due_at) END,
        link_id = COALESCE(v.link, m.link_id),
        carrier_message_id = COALESCE(v.carrier, m.carrier_message_id),
        updated_at = :now
    FROM unnest(
        CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:errors AS text[]),
        CAST(:dues AS timestamptz[]), CAST(:links AS bigint[]), CAST(:carriers AS text[])
    ) AS v(id, status, error, due, link, carrier)
    WHERE m.id = v.id
    """  # noqa: S608 -- the statuses in the queue, a constant of tables.py
    ).bindparams(sa.bindparam("now", type_=t.UtcDateTime))
)

_PG_FINISH_SUBMITTED = (
    dialects.typed_arrays(
        sa.text(
            """
    UPDATE messages AS m SET
        status = v.status, error_code = COALESCE(v.error, m.error_code), updated_at = :now
    FROM unnest(CAST(:ids AS bigint[]), CAST(:statuses AS text[]), CAST(:errors AS text[]))
        AS v(id, status, error)
    WHERE m.id = v.id AND m.status = 'submitted'
    RETURNING m.id, m.batch_id, m.account_id, m.segments, m.price_micros, m.recipient,
        m.reference, m.attempts, m.created_at, m.scheduled_at
    """
        )
    )
    .bindparams(sa.bindparam("now", type_=t.UtcDateTime))
    .columns(created_at=t.UtcDateTime, scheduled_at=t.UtcDateTime)
)

# Submits recorded on PostgreSQL: sending -> submitted, the parts of the first tries inserted
# and the receipts kept for their keys taken, in one statement (a round trip fewer per
# flush, each waiting on a busy event loop). A message moved at its second try or later has
# its parts left out: the earlier try's parts go first, in statements of their own. The
# kept receipts are found as the matching finds parts (receipts.py): a LATERAL probe per key
# that stays parameterized whatever the statistics, then each row by its ctid. It answers
# with the exceptions (later tries, receipts taken) and how many moved, not a row per
# message: a thousand rows a flush, read in pieces by a busy event loop.
_PG_SUBMIT_SENDING = dialects.typed_arrays(
    sa.text(
        """
    WITH moved AS (
        UPDATE messages AS m SET
            status = 'submitted', due_at = NULL, link_id = v.link, carrier_message_id = v.carrier,
            updated_at = :now
        FROM unnest(
            CAST(:ids AS bigint[]), CAST(:links AS bigint[]), CAST(:carriers AS text[])
        ) AS v(id, link, carrier)
        WHERE m.id = v.id AND m.status = 'sending'
        RETURNING m.id, m.attempts
    ), inserted AS (
        INSERT INTO parts (message_id, seq, link_id, carrier_key, status, submitted_at)
        SELECT v.message_id, v.seq, v.link_id, v.carrier_key, 'submitted', :now
        FROM unnest(
            CAST(:messages AS bigint[]), CAST(:seqs AS integer[]), CAST(:part_links AS bigint[]),
            CAST(:part_keys AS text[])
        ) AS v(message_id, seq, link_id, carrier_key)
        JOIN moved ON moved.id = v.message_id AND moved.attempts = 1
        RETURNING parts.link_id, parts.carrier_key
    ), taken AS (
        DELETE FROM pending_receipts AS r
        USING (
            SELECT x.tid FROM (SELECT DISTINCT link_id, carrier_key FROM inserted) AS k
            CROSS JOIN LATERAL (
                SELECT ctid AS tid FROM pending_receipts
                WHERE link_id = k.link_id AND carrier_key = k.carrier_key
                LIMIT 1000
            ) AS x
        ) AS f
        WHERE r.ctid = f.tid
        RETURNING r.link_id, r.carrier_key, r.status, r.error_code
    )
    SELECT moved.id, moved.attempts, NULL AS link_id, NULL AS carrier_key, NULL AS status,
        NULL AS error_code
    FROM moved WHERE moved.attempts > 1
    UNION ALL
    SELECT NULL, NULL, taken.link_id, taken.carrier_key, taken.status, taken.error_code
    FROM taken
    UNION ALL
    SELECT NULL, count(*), NULL, NULL, NULL, NULL FROM moved
    """
    ).bindparams(sa.bindparam("now", type_=t.UtcDateTime))
)


class SqlDelivery:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _in(self, column: Any, values: Sequence[int] | Sequence[str]) -> Any:
        return dialects.in_values(self._conn, column, values)

    async def claim(self, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
        if dialects.is_postgresql(self._conn):
            # The first `limit` rows of the claim index, in its order, never every due row:
            # when the statistics say few messages are due (a table never analysed, or last
            # analysed before a campaign queued a million), the planner reads every due row
            # through a bitmap and sorts them all to keep `limit` of them (20,000 due: 19 ms
            # of a 30 ms claim of 500). smsgate_due_messages() (migration 0008) plans its
            # SELECT ... FOR UPDATE SKIP LOCKED with no sort allowed, so only the ordered
            # scan is left, and the claim is this one statement, in a transaction block or
            # not. The ids as an array (an InitPlan), each updated through the primary key:
            # as `id IN (subquery)`, PostgreSQL hashed the claimed ids and read the whole
            # table to find them (a 20,000-row queue: 22 ms per claim of 500, 7 ms this way).
            due = sa.select(
                sa.func.smsgate_due_messages(
                    sa.literal(now, t.UtcDateTime), sa.literal(limit, sa.Integer)
                ).column_valued()
            )
            chosen = m.id == sa.any_(sa.func.array(due.scalar_subquery()))
        else:
            # Every due transactional message (priority 0) before any marketing one.
            candidates = (
                sa.select(m.id).where(m.due_at <= now).order_by(m.priority, m.due_at).limit(limit)
            )
            chosen = m.id.in_(candidates.scalar_subquery())
        statement = (
            t.messages.update()
            .where(chosen)
            .values(
                status=str(S.SENDING),
                due_at=lease_until,
                attempts=m.attempts + 1,
                updated_at=now,
            )
            .returning(
                m.id,
                m.batch_id,
                m.account_id,
                m.recipient,
                m.region,
                m.segments,
                m.price_micros,
                m.attempts,
                m.created_at,
                m.scheduled_at,
                m.priority,
                m.text,
            )
        )
        rows = (await self._conn.execute(statement)).all()
        # Positional: the RETURNING list is Claimed's field order (cheaper than a dict per row).
        claimed = [Claimed(*row) for row in rows]
        claimed.sort(key=lambda c: c.id)
        return claimed

    async def hold_marketing(
        self, account_id: int, claimed: Sequence[int], until: datetime, now: datetime
    ) -> int:
        moved = 0
        if claimed:
            result = await self._conn.execute(
                t.messages.update()
                .where(self._in(m.id, sorted(claimed)), m.status == str(S.SENDING))
                .values(
                    status=str(S.QUEUED),
                    due_at=until,
                    scheduled_at=until,  # its validity runs from the opening
                    attempts=m.attempts - 1,
                    updated_at=now,
                )
            )
            moved += int(result.rowcount or 0)
        result = await self._conn.execute(
            t.messages.update()
            .where(
                m.account_id == account_id,
                m.priority > 0,
                m.status.in_([str(S.SCHEDULED), str(S.QUEUED)]),
                m.due_at < until,
            )
            .values(due_at=until, scheduled_at=until, updated_at=now)
        )
        return moved + int(result.rowcount or 0)

    async def overdue(self, cutoff: datetime, limit: int) -> builtins.list[int]:
        """Unsent messages whose send time is before `cutoff` (their validity ran out while no
        dispatcher could claim them), locked; a sending message under its lease is not due."""
        query = (
            sa.select(m.id)
            .where(
                m.due_at <= cutoff,
                sa.func.coalesce(m.scheduled_at, m.created_at) <= cutoff,
            )
            .order_by(m.due_at)
            .limit(limit)
        )
        if dialects.is_postgresql(self._conn):
            query = query.with_for_update(skip_locked=True)
        return [int(row.id) for row in await self._conn.execute(query)]

    async def batch_contents(self, batch_ids: Sequence[int]) -> dict[int, BatchContent]:
        if not batch_ids:
            return {}
        b = t.batches.c
        rows = await self._conn.execute(
            sa.select(b.id, b.account_id, b.service, b.text, b.sender, b.encoding, b.flash).where(
                self._in(b.id, list(batch_ids))
            )
        )
        return {row.id: BatchContent(**row._asdict()) for row in rows}

    async def lock_messages(self, ids: Sequence[int]) -> dict[int, MessageState]:
        if not ids:
            return {}
        query = (
            sa.select(
                m.id,
                m.batch_id,
                m.account_id,
                m.status,
                m.segments,
                m.price_micros,
                m.recipient,
                m.reference,
                m.attempts,
                m.created_at,
                m.scheduled_at,
            )
            .where(self._in(m.id, sorted(set(ids))))
            .order_by(m.id)
        )
        rows = await self._conn.execute(dialects.lock_rows(self._conn, query))
        found: dict[int, MessageState] = {}
        for row in rows:
            values = row._asdict()
            values["status"] = S(values["status"])
            found[row.id] = MessageState(**values)
        return found

    async def update_messages(self, updates: Sequence[MessageUpdate], now: datetime) -> None:
        if not updates:
            return
        ordered = sorted(updates, key=lambda u: u.id)
        if dialects.is_postgresql(self._conn):
            # One statement for the whole batch: the rows come in as arrays.
            await self._conn.execute(
                _PG_UPDATE_MESSAGES,
                {
                    "ids": [u.id for u in ordered],
                    "statuses": [str(u.status) for u in ordered],
                    "errors": [u.error_code for u in ordered],
                    "dues": [u.due_at for u in ordered],
                    "links": [u.link_id for u in ordered],
                    "carriers": [u.carrier_message_id for u in ordered],
                    "now": now,
                },
            )
            return
        await self._conn.execute(
            _UPDATE_MESSAGE,
            [
                {
                    "b_id": u.id,
                    "b_status": str(u.status),
                    "b_error": u.error_code,
                    "b_due": u.due_at,
                    "b_attempts": u.attempts,
                    "b_link": u.link_id,
                    "b_carrier": u.carrier_message_id,
                    "b_now": now,
                }
                for u in ordered
            ],
        )

    async def record_submits(
        self, updates: Sequence[MessageUpdate], parts: Sequence[PartRecord], now: datetime
    ) -> tuple[int, builtins.list[PartReceipt]]:
        if not updates:
            return 0, []
        ordered = sorted(updates, key=lambda u: u.id)
        receipts = SqlReceipts(self._conn)
        if not dialects.is_postgresql(self._conn):
            moved = await self._move_from(S.SENDING, ordered, now)
            moved_ids = {state.id for state in moved}
            replacing = [state.id for state in moved if state.attempts > 1]
            recorded = [part for part in parts if part.message_id in moved_ids]
            return len(moved), await receipts.add_parts(recorded, now, replacing)
        rows = await self._conn.execute(
            _PG_SUBMIT_SENDING,
            {
                "ids": [u.id for u in ordered],
                "links": [u.link_id for u in ordered],
                "carriers": [u.carrier_message_id for u in ordered],
                "messages": [part.message_id for part in parts],
                "seqs": [part.seq for part in parts],
                "part_links": [part.link_id for part in parts],
                "part_keys": [part.carrier_key for part in parts],
                "now": now,
            },
        )
        moved_count = 0
        again: set[int] = set()
        early = []
        for row in rows:
            if row[0] is not None:  # moved at a later try
                again.add(row[0])
            elif row[2] is not None:  # a kept receipt taken
                early.append(PartReceipt(row[2], row[3], S(row[4]), row[5]))
            else:  # how many moved
                moved_count = int(row[1])
        if again:  # their parts were left out: in place of the earlier try's
            early += await receipts.add_parts(
                [part for part in parts if part.message_id in again], now, sorted(again)
            )
        return moved_count, early

    async def finish_submitted(
        self, updates: Sequence[MessageUpdate], now: datetime
    ) -> builtins.list[MessageState]:
        """Move submitted messages to their final status; the rows changed, as they were."""
        if not updates:
            return []
        ordered = sorted(updates, key=lambda u: u.id)
        if dialects.is_postgresql(self._conn):
            rows = await self._conn.execute(
                _PG_FINISH_SUBMITTED,
                {
                    "ids": [u.id for u in ordered],
                    "statuses": [str(u.status) for u in ordered],
                    "errors": [u.error_code for u in ordered],
                    "now": now,
                },
            )
            # RETURNING gives MessageState's fields in order, but for the status (submitted).
            return [
                MessageState(
                    row[0],
                    row[1],
                    row[2],
                    S.SUBMITTED,
                    row[3],
                    row[4],
                    row[5],
                    row[6],
                    row[7],
                    row[8],
                    row[9],
                )
                for row in rows
            ]
        return await self._move_from(S.SUBMITTED, ordered, now)

    async def _move_from(
        self, source: MessageStatus, updates: Sequence[MessageUpdate], now: datetime
    ) -> builtins.list[MessageState]:
        """Without PostgreSQL's UPDATE ... FROM unnest: lock, keep the rows still in `source`,
        update those; returns them as they were."""
        states = await self.lock_messages([u.id for u in updates])
        changed = [u for u in updates if u.id in states and states[u.id].status is source]
        await self.update_messages(changed, now)
        return [states[u.id] for u in changed]

    async def mark_npai(self, numbers: Sequence[str], reason: str, now: datetime) -> None:
        if not numbers:
            return
        rows = [{"number": n, "reason": reason, "created_at": now} for n in sorted(set(numbers))]
        await self._conn.execute(dialects.insert_ignore(self._conn, t.npai, rows))

    async def queue_counts(self) -> dict[str, int]:
        rows = await self._conn.execute(sa.select(m.status, sa.func.count()).group_by(m.status))
        return {row[0]: int(row[1]) for row in rows}

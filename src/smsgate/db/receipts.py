"""Parts and receipts: each submitted segment with its carrier id key, and delivery receipts
matched to them by an indexed equality on (link_id, carrier_key); receipts that came before
their submit wait in pending_receipts (kept_receipts.py, SqlReceipts' base)."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.db.kept_receipts import TAKE_KEPT_SQL, SqlKeptReceipts, keys_by_link, part_receipts
from smsgate.domain.messages import MessageStatus
from smsgate.ports import Matching, MessageState, PartReceipt, PartRecord

S = MessageStatus
m = t.messages.c
p = t.parts.c

_UPDATE_PART = (
    t.parts.update()
    .where(p.message_id == sa.bindparam("b_message"), p.seq == sa.bindparam("b_seq"))
    .values(
        status=sa.bindparam("b_status"),
        error_code=sa.bindparam("b_error", type_=sa.String),
        done_at=sa.bindparam("b_now", type_=t.UtcDateTime),
    )
)


# The parts inserted, then the receipts kept for them taken (TAKE_KEPT_SQL, kept_receipts.py):
# one round trip for a flush's parts on one link.
_INSERT_PARTS_SQL = """
    WITH inserted AS (
        INSERT INTO parts (message_id, seq, link_id, carrier_key, status, submitted_at)
        SELECT v.message_id, v.seq, v.link_id, v.carrier_key, :status, :now
        FROM unnest(
            CAST(:messages AS bigint[]), CAST(:seqs AS integer[]), CAST(:links AS bigint[]),
            CAST(:part_keys AS text[])
        ) AS v(message_id, seq, link_id, carrier_key)
    )
"""
_PG_INSERT_PARTS_TAKING_KEPT = dialects.typed_arrays(
    sa.text(_INSERT_PARTS_SQL + TAKE_KEPT_SQL).bindparams(sa.bindparam("now", type_=t.UtcDateTime))
)
# Matching on PostgreSQL: find the newest submitted part of each key, mark it with its
# receipt's status, finish the single-part messages those parts belong to, and say which part
# each receipt matched: one statement (one per link), where the statuses of a multi-part
# message's other parts decide in the service.
#
# The parts are found by one index probe per key, whatever the statistics: asyncpg prepares
# each statement, and PostgreSQL may keep one generic plan per connection, made with the
# statistics of that moment. A dispatcher starts while `parts` is empty, and for
# `carrier_key = ANY(:keys)` such a plan looked up the link alone and filtered every part of
# it (seen in bench/dispatch.py: 25 ms for 100 receipts at 30,000 parts, growing with the
# table until autovacuum analysed it). A LATERAL subquery with LIMIT is not flattened: its
# probe stays parameterized by the key. The takes of kept receipts above do the same on
# `pending_receipts` (without LIMIT, the LATERAL form was flattened back into the link-only
# plan), then fetch each row they found by its ctid (a TID scan per row).
#
# The part and its message are then updated through the ctids `found` read (a TID scan, not
# a second probe of each primary key: 27 -> 22 buffer reads and ~8% of the statement's time
# per receipt). A row another transaction changed since this statement's snapshot has another
# ctid and is left alone: only another dispatcher's matching of the same key changes a
# submitted part (its receipt won; this one is kept), and nothing changes a submitted message
# but its finish.
#
# `finished` returns the message as it was (status submitted, as `finish_submitted` does):
# its RETURNING gives the columns the update leaves alone, and whether its account has a
# webhook (a primary-key probe per finished message, instead of a round trip per flush to
# ask which of the accounts do).
_PG_MATCH_PARTS = (
    dialects.typed_arrays(
        sa.text(
            """
    WITH found AS (
        SELECT f.part_tid, f.message_tid, f.segments, v.status, v.error
        FROM unnest(
            CAST(:keys AS text[]), CAST(:statuses AS text[]), CAST(:errors AS text[])
        ) AS v(carrier_key, status, error)
        CROSS JOIN LATERAL (
            SELECT p.ctid AS part_tid, m.ctid AS message_tid, m.segments
            FROM parts AS p JOIN messages AS m ON m.id = p.message_id
            WHERE p.link_id = :link_id AND p.carrier_key = v.carrier_key
                AND p.status = 'submitted'
            ORDER BY p.submitted_at DESC
            LIMIT 1
        ) AS f
    ), marked AS (
        UPDATE parts AS p SET status = found.status, error_code = found.error, done_at = :now
        FROM found
        WHERE p.ctid = found.part_tid
        RETURNING p.message_id, p.seq, p.carrier_key, found.segments, found.status,
            found.error, found.message_tid
    ), finished AS (
        UPDATE messages AS m SET
            status = marked.status, error_code = COALESCE(marked.error, m.error_code),
            updated_at = :now
        FROM marked
        WHERE m.ctid = marked.message_tid AND marked.segments = 1 AND m.status = 'submitted'
        RETURNING m.id, m.batch_id, m.account_id, m.price_micros, m.recipient, m.reference,
            m.attempts, m.created_at, m.scheduled_at,
            EXISTS (
                SELECT 1 FROM accounts AS a
                WHERE a.id = m.account_id AND a.webhook_url IS NOT NULL
            ) AS webhook
    )
    SELECT marked.message_id, marked.seq, marked.carrier_key, marked.segments,
        finished.id AS finished_id, finished.batch_id, finished.account_id,
        finished.price_micros, finished.recipient, finished.reference, finished.attempts,
        finished.created_at, finished.scheduled_at, finished.webhook
    FROM marked LEFT JOIN finished ON finished.id = marked.message_id
    """
        )
    )
    .bindparams(sa.bindparam("now", type_=t.UtcDateTime))
    .columns(created_at=t.UtcDateTime, scheduled_at=t.UtcDateTime)
)


class SqlReceipts(SqlKeptReceipts):
    """Parts and their matching; the kept receipts' side comes from SqlKeptReceipts."""

    async def add_parts(
        self, parts: Sequence[PartRecord], now: datetime, replacing: Sequence[int] = ()
    ) -> builtins.list[PartReceipt]:
        """Insert the parts; take and return the receipts kept for them (they came first)."""
        if not parts:
            return []
        if replacing:
            # Messages submitted again (their lease ran out) replace the first try's parts.
            await self._conn.execute(
                t.parts.delete().where(self._in(p.message_id, sorted(set(replacing))))
            )
        keys = keys_by_link((part.link_id, part.carrier_key) for part in parts)
        links = list(keys)
        if dialects.is_postgresql(self._conn):
            rows = list(
                await self._conn.execute(
                    _PG_INSERT_PARTS_TAKING_KEPT,
                    {
                        "messages": [part.message_id for part in parts],
                        "seqs": [part.seq for part in parts],
                        "links": [part.link_id for part in parts],
                        "part_keys": [part.carrier_key for part in parts],
                        "status": str(S.SUBMITTED),
                        "now": now,
                        "link_id": links[0],
                        "keys": keys[links[0]],
                    },
                )
            )
            for link_id in links[1:]:
                rows += await self._take_kept(link_id, keys[link_id])
        else:
            await self._conn.execute(
                t.parts.insert(),
                [
                    {
                        "message_id": part.message_id,
                        "seq": part.seq,
                        "link_id": part.link_id,
                        "carrier_key": part.carrier_key,
                        "status": str(S.SUBMITTED),
                        "error_code": None,
                        "submitted_at": now,
                        "done_at": None,
                    }
                    for part in parts
                ],
            )
            rows = []
            for link_id in links:
                rows += await self._take_kept(link_id, keys[link_id])
        return part_receipts(rows)

    async def match_parts(self, receipts: Sequence[PartReceipt], now: datetime) -> Matching:
        if not receipts:
            return Matching([], [], {})
        # One indexed lookup per link: (link_id, carrier_key) is the index's order, so matching
        # costs the same however many parts and receipts are waiting. A key given twice in
        # one batch matches once; the other receipt is kept, as if it came first.
        first: dict[tuple[int, str], PartReceipt] = {}
        for receipt in receipts:
            first.setdefault((receipt.link_id, receipt.carrier_key), receipt)
        finished: dict[int, MessageState] = {}
        webhooks: frozenset[int] | None = None
        if dialects.is_postgresql(self._conn):
            by_key, finished, webhooks = await self._match_postgresql(list(first.values()), now)
        else:
            by_key = await self._match_each(list(first.values()), now)
        matched: list[tuple[int, int, int, PartReceipt]] = []
        unmatched: list[PartReceipt] = []
        for receipt in receipts:
            key = (receipt.link_id, receipt.carrier_key)
            part = by_key.pop(key, None) if first.get(key) is receipt else None
            if part is None:
                unmatched.append(receipt)
                continue
            matched.append((part[0], part[1], part[2], receipt))
        return Matching(matched, unmatched, finished, webhooks)

    async def _match_postgresql(
        self, receipts: Sequence[PartReceipt], now: datetime
    ) -> tuple[
        dict[tuple[int, str], tuple[int, int, int]], dict[int, MessageState], frozenset[int]
    ]:
        """Mark the newest submitted part of each receipt's key (one receipt per key):
        (message, seq, segments) by key, the single-part messages finished on the way, as
        they were, by id, and which of their accounts have a webhook."""
        by_link: dict[int, list[PartReceipt]] = {}
        for receipt in receipts:
            by_link.setdefault(receipt.link_id, []).append(receipt)
        by_key: dict[tuple[int, str], tuple[int, int, int]] = {}
        finished: dict[int, MessageState] = {}
        webhooks: set[int] = set()
        for link_id, found in sorted(by_link.items()):
            rows = await self._conn.execute(
                _PG_MATCH_PARTS,
                {
                    "link_id": link_id,
                    "keys": [r.carrier_key for r in found],
                    "statuses": [str(r.status) for r in found],
                    "errors": [r.error_code for r in found],
                    "now": now,
                },
            )
            for row in rows:
                message_id, seq, key, segments = row[0], row[1], row[2], row[3]
                by_key[(link_id, key)] = (message_id, seq, segments)
                if row[4] is not None:
                    # RETURNING gives MessageState's fields in order, but status and segments.
                    finished[message_id] = MessageState(
                        message_id, row[5], row[6], S.SUBMITTED, 1, *row[7:13]
                    )
                    if row[13]:
                        webhooks.add(row[6])
        return by_key, finished, frozenset(webhooks)

    async def _match_each(
        self, receipts: Sequence[PartReceipt], now: datetime
    ) -> dict[tuple[int, str], tuple[int, int, int]]:
        """Without UPDATE ... FROM: find the parts, then update them, in two statements."""
        by_key: dict[tuple[int, str], tuple[int, int, int]] = {}
        for link_id, keys in keys_by_link((r.link_id, r.carrier_key) for r in receipts).items():
            rows = await self._conn.execute(
                sa.select(p.message_id, p.seq, p.carrier_key, m.segments)
                .join_from(t.parts, t.messages, m.id == p.message_id)
                .where(
                    p.link_id == link_id,
                    self._in(p.carrier_key, keys),
                    p.status == str(S.SUBMITTED),
                )
                .order_by(p.submitted_at)
            )
            # The newest part wins if a carrier ever reused an id.
            for row in rows:
                by_key[(link_id, row.carrier_key)] = (row.message_id, row.seq, row.segments)
        by_receipt = {(r.link_id, r.carrier_key): r for r in receipts}  # one per key
        params = [
            {
                "b_message": part[0],
                "b_seq": part[1],
                "b_status": str(by_receipt[key].status),
                "b_error": by_receipt[key].error_code,
                "b_now": now,
            }
            for key, part in sorted(by_key.items(), key=lambda item: item[1][:2])
        ]
        if params:
            await self._conn.execute(_UPDATE_PART, params)
        return by_key

    async def part_statuses(self, message_ids: Sequence[int]) -> dict[int, dict[int, str]]:
        if not message_ids:
            return {}
        rows = await self._conn.execute(
            sa.select(p.message_id, p.seq, p.status).where(
                self._in(p.message_id, sorted(set(message_ids)))
            )
        )
        found: dict[int, dict[int, str]] = {}
        for row in rows:
            found.setdefault(row.message_id, {})[row.seq] = row.status
        return found

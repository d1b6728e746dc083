"""Receipts that came before their submit was recorded, kept in `pending_receipts`: taken
back by the submit that records their part (`SqlReceipts.add_parts`) or by a later rematch,
dropped once expired. The base of SqlReceipts (receipts.py), which matches receipts to
parts."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.domain.messages import MessageStatus
from smsgate.ports import PartReceipt

S = MessageStatus
p = t.parts.c


# Receipts kept for a link's keys, taken (deleted and returned) in one statement: one index
# probe per key, then each row by its ctid, whatever the statistics (see _PG_MATCH_PARTS in
# receipts.py).
TAKE_KEPT_SQL = """
    DELETE FROM pending_receipts AS r
    USING (
        SELECT x.tid FROM unnest(CAST(:keys AS text[])) AS k(carrier_key)
        CROSS JOIN LATERAL (
            SELECT ctid AS tid FROM pending_receipts
            WHERE link_id = :link_id AND carrier_key = k.carrier_key
            LIMIT 1000
        ) AS x
    ) AS f
    WHERE r.ctid = f.tid
    RETURNING r.link_id, r.carrier_key, r.status, r.error_code
"""
_PG_TAKE_KEPT = dialects.typed_arrays(sa.text(TAKE_KEPT_SQL))
# The take of kept receipts, only for keys whose submitted part exists now (a rematch): the
# part is probed per key too, through a LATERAL with LIMIT (an EXISTS would become a
# semi-join, with the plan choice that brings). Written out whole, like the take above, so
# that each statement reads as PostgreSQL runs it.
_PG_TAKE_MATCHABLE = dialects.typed_arrays(
    sa.text(
        """
    DELETE FROM pending_receipts AS r
    USING (
        SELECT x.tid FROM unnest(CAST(:keys AS text[])) AS k(carrier_key)
        CROSS JOIN LATERAL (
            SELECT 1 FROM parts AS p
            WHERE p.link_id = :link_id AND p.carrier_key = k.carrier_key
                AND p.status = 'submitted'
            LIMIT 1
        ) AS submitted
        CROSS JOIN LATERAL (
            SELECT ctid AS tid FROM pending_receipts
            WHERE link_id = :link_id AND carrier_key = k.carrier_key
            LIMIT 1000
        ) AS x
    ) AS f
    WHERE r.ctid = f.tid
    RETURNING r.link_id, r.carrier_key, r.status, r.error_code
    """
    )
)


def part_receipts(rows: Iterable[Any]) -> builtins.list[PartReceipt]:
    """Receipts from rows of (link_id, carrier_key, status, error_code)."""
    return [PartReceipt(row[0], row[1], S(row[2]), row[3]) for row in rows]


def keys_by_link(pairs: Iterable[tuple[int, str]]) -> dict[int, list[str]]:
    """The distinct carrier keys of (link id, carrier key) pairs, per link, links and keys in
    order."""
    found: dict[int, set[str]] = {}
    for link_id, key in pairs:
        found.setdefault(link_id, set()).add(key)
    return {link_id: sorted(keys) for link_id, keys in sorted(found.items())}


class SqlKeptReceipts:
    """The kept receipts' half of the receipts repository (ports.Receipts): SqlReceipts adds
    the parts and the matching."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    def _in(self, column: Any, values: Sequence[int] | Sequence[str]) -> Any:
        return dialects.in_values(self._conn, column, values)

    async def _take_kept(self, link_id: int, keys: Sequence[str]) -> builtins.list[Any]:
        """Take (delete and return) the receipts kept for these keys of a link: rows of
        (link_id, carrier_key, status, error_code)."""
        if dialects.is_postgresql(self._conn):
            return list(await self._conn.execute(_PG_TAKE_KEPT, {"link_id": link_id, "keys": keys}))
        c = t.pending_receipts.c
        found = list(
            await self._conn.execute(
                sa.select(c.id, c.link_id, c.carrier_key, c.status, c.error_code).where(
                    c.link_id == link_id, self._in(c.carrier_key, keys)
                )
            )
        )
        if found:
            await self._conn.execute(
                t.pending_receipts.delete().where(self._in(c.id, [row.id for row in found]))
            )
        return [tuple(row)[1:] for row in found]

    async def take_matchable_for(
        self, keys: Sequence[tuple[int, str]]
    ) -> builtins.list[PartReceipt]:
        """Kept receipts for these (link, key) whose submitted part exists now: taken."""
        c = t.pending_receipts.c
        found: list[PartReceipt] = []
        for link_id, link_keys in keys_by_link(keys).items():
            if dialects.is_postgresql(self._conn):
                rows = await self._conn.execute(
                    _PG_TAKE_MATCHABLE, {"link_id": link_id, "keys": link_keys}
                )
            else:
                part_exists = sa.exists().where(
                    p.link_id == c.link_id,
                    p.carrier_key == c.carrier_key,
                    p.status == str(S.SUBMITTED),
                )
                rows = await self._conn.execute(
                    t.pending_receipts.delete()
                    .where(c.link_id == link_id, self._in(c.carrier_key, link_keys), part_exists)
                    .returning(c.link_id, c.carrier_key, c.status, c.error_code)
                )
            found += part_receipts(rows)
        return found

    async def keep_receipts(
        self, receipts: Sequence[PartReceipt], now: datetime, expires_at: datetime
    ) -> None:
        if not receipts:
            return
        await self._conn.execute(
            t.pending_receipts.insert(),
            [
                {
                    "link_id": r.link_id,
                    "carrier_key": r.carrier_key,
                    "status": str(r.status),
                    "error_code": r.error_code,
                    "received_at": now,
                    "expires_at": expires_at,
                }
                for r in receipts
            ],
        )

    async def take_matchable_receipts(self, limit: int) -> builtins.list[PartReceipt]:
        c = t.pending_receipts.c
        rows = (
            await self._conn.execute(
                sa.select(c.id, c.link_id, c.carrier_key, c.status, c.error_code)
                .join_from(
                    t.pending_receipts,
                    t.parts,
                    sa.and_(
                        p.link_id == c.link_id,
                        p.carrier_key == c.carrier_key,
                        p.status == str(S.SUBMITTED),
                    ),
                )
                .order_by(c.id)
                .limit(limit)
            )
        ).all()
        if not rows:
            return []
        await self._conn.execute(
            t.pending_receipts.delete().where(self._in(c.id, sorted({row.id for row in rows})))
        )
        seen: set[int] = set()
        found: list[PartReceipt] = []
        for row in rows:
            if row.id not in seen:
                seen.add(row.id)
                found.append(
                    PartReceipt(row.link_id, row.carrier_key, S(row.status), row.error_code)
                )
        return found

    async def drop_expired_receipts(self, now: datetime) -> int:
        c = t.pending_receipts.c
        result = await self._conn.execute(t.pending_receipts.delete().where(c.expires_at <= now))
        return int(result.rowcount)

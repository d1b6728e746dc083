"""Campaigns: drafts, and the set-based fan-out of a launch.

A launch counts and writes its messages from the screened audience (db/audience.py) in
INSERT ... SELECT statements: no Python loop per recipient, and memory that does not grow with
the audience.
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
from smsgate.db.audience import screened_audience
from smsgate.domain.campaigns import Campaign, CampaignStatus, NewCampaign
from smsgate.domain.messages import (
    FINAL_STATUSES,
    MessageKind,
    MessageStatus,
    message_priority,
)
from smsgate.ports import FanOut, FanOutResult, ScreenedGroup

cm = t.campaigns.c
lm = t.list_members.c
m = t.messages.c

WRITTEN = "#written"  # marks the rows of a fan-out's answer that count written messages
MESSAGE_COLUMNS = [
    "batch_id",
    "account_id",
    "recipient",
    "region",
    "segments",
    "price_micros",
    "status",
    "due_at",
    "scheduled_at",
    "created_at",
    "updated_at",
    "priority",
    "text",
]


def _campaign(row: sa.Row[Any], numbers: int) -> Campaign:
    values = row._asdict()
    values["kind"] = MessageKind(values["kind"])
    values["status"] = CampaignStatus(values["status"])
    values["list_ids"] = [int(i) for i in values["list_ids"]]
    return Campaign(**values, numbers=numbers)


class SqlCampaigns:
    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn

    # --- Drafts -------------------------------------------------------------------------------

    async def add(self, campaign: NewCampaign) -> int:
        result = await self._conn.execute(
            t.campaigns.insert().returning(cm.id),
            {
                "account_id": campaign.account_id,
                "name": campaign.name,
                "kind": str(campaign.kind),
                "status": str(CampaignStatus.DRAFT),
                "text": campaign.text,
                "sender": campaign.sender,
                "force_unicode": campaign.force_unicode,
                "flash": campaign.flash,
                "scheduled_at": campaign.scheduled_at,
                "timezone": campaign.timezone,
                "list_ids": list(campaign.list_ids),
                "invalid_numbers": list(campaign.invalid_numbers),
                "created_at": campaign.created_at,
                "updated_at": campaign.created_at,
            },
        )
        campaign_id = int(result.scalar_one())
        if campaign.numbers:
            await self._conn.execute(
                t.campaign_numbers.insert(),
                [
                    {"campaign_id": campaign_id, "number": number, "region": region}
                    for number, region in campaign.numbers
                ],
            )
        return campaign_id

    async def get(
        self, account_id: int, campaign_id: int, *, lock: bool = False
    ) -> Campaign | None:
        query = sa.select(t.campaigns).where(cm.id == campaign_id, cm.account_id == account_id)
        if lock:
            query = dialects.lock_rows(self._conn, query)
        row = (await self._conn.execute(query)).first()
        if row is None:
            return None
        numbers = await self._conn.scalar(
            sa.select(sa.func.count()).where(t.campaign_numbers.c.campaign_id == campaign_id)
        )
        return _campaign(row, int(numbers or 0))

    async def list(
        self, account_id: int, limit: int, before_id: int | None = None
    ) -> builtins.list[Campaign]:
        query = sa.select(t.campaigns).where(cm.account_id == account_id)
        if before_id is not None:
            query = query.where(cm.id < before_id)
        rows = await self._conn.execute(query.order_by(cm.id.desc()).limit(limit))
        return [_campaign(row, 0) for row in rows]

    async def set_status(
        self, campaign_id: int, status: CampaignStatus, now: datetime, batch_id: int | None = None
    ) -> None:
        values: dict[str, Any] = {"status": str(status), "updated_at": now}
        if batch_id is not None:
            values["batch_id"] = batch_id
        await self._conn.execute(t.campaigns.update().where(cm.id == campaign_id).values(values))

    async def owned_lists(self, account_id: int, list_ids: Sequence[int]) -> set[int]:
        if not list_ids:
            return set()
        rows = await self._conn.execute(
            sa.select(t.contact_lists.c.id).where(
                t.contact_lists.c.account_id == account_id,
                t.contact_lists.c.id.in_(list(list_ids)),
            )
        )
        return {int(row[0]) for row in rows}

    # --- Screening and fan-out --------------------------------------------------------------

    async def listed(self, campaign: Campaign) -> int:
        """Audience entries before deduplication: list memberships plus explicit numbers."""
        memberships = 0
        if campaign.list_ids:
            memberships = int(
                await self._conn.scalar(
                    sa.select(sa.func.count())
                    .select_from(t.list_members)
                    .where(lm.list_id.in_(list(campaign.list_ids)))
                )
                or 0
            )
        return memberships + campaign.numbers

    async def screen(self, plan: FanOut) -> builtins.list[ScreenedGroup]:
        """The audience's recipients counted by (verdict, region, segments)."""
        screened = screened_audience(self._conn, plan).subquery("s")
        query = sa.select(
            screened.c.verdict, screened.c.region, screened.c.segments, sa.func.count()
        ).group_by(screened.c.verdict, screened.c.region, screened.c.segments)
        rows = await self._conn.execute(query)
        return [ScreenedGroup(str(r[0]), str(r[1]), int(r[2]), int(r[3])) for r in rows]

    async def fan_out(
        self,
        plan: FanOut,
        batch_id: int,
        status: MessageStatus,
        due_at: datetime,
        now: datetime,
    ) -> FanOutResult:
        """Write one message per accepted recipient of the campaign's audience; the audience
        counted by verdict, and what was written. PostgreSQL screens the audience once, for
        the counts and the insert together (a data-modifying WITH); SQLite screens it twice."""
        screened = screened_audience(self._conn, plan)
        if dialects.is_postgresql(self._conn):
            return await self._fan_out_once(plan, screened, batch_id, status, due_at, now)
        groups = await self.screen(plan)
        source = self._messages_of(plan, screened.subquery("s"), batch_id, status, due_at, now)
        await self._conn.execute(t.messages.insert().from_select(MESSAGE_COLUMNS, source))
        written, cost, by_region = await self._batch_totals(batch_id)
        return FanOutResult(groups, written, cost, by_region)

    async def _fan_out_once(
        self,
        plan: FanOut,
        screened: sa.Select[Any],
        batch_id: int,
        status: MessageStatus,
        due_at: datetime,
        now: datetime,
    ) -> FanOutResult:
        s = screened.cte("s").prefix_with("MATERIALIZED")
        inserted = (
            t.messages.insert()
            .from_select(MESSAGE_COLUMNS, self._messages_of(plan, s, batch_id, status, due_at, now))
            .returning(m.region, m.price_micros)
            .cte("inserted")
        )
        counts = sa.select(
            s.c.verdict, s.c.region, s.c.segments, sa.func.count(), sa.literal(0, sa.BigInteger)
        ).group_by(s.c.verdict, s.c.region, s.c.segments)
        written = sa.select(
            sa.literal(WRITTEN),
            inserted.c.region,
            sa.literal(0),
            sa.func.count(),
            sa.func.sum(inserted.c.price_micros),
        ).group_by(inserted.c.region)
        rows = await self._conn.execute(sa.union_all(counts, written))
        groups: builtins.list[ScreenedGroup] = []
        total = cost = 0
        by_region: dict[str, int] = {}
        for verdict, region, segments, count, price in rows:
            if verdict == WRITTEN:
                total += int(count)
                cost += int(price or 0)
                by_region[str(region)] = int(count)
            else:
                groups.append(ScreenedGroup(str(verdict), str(region), int(segments), int(count)))
        return FanOutResult(groups, total, cost, by_region)

    def _messages_of(
        self,
        plan: FanOut,
        screened: Any,
        batch_id: int,
        status: MessageStatus,
        due_at: datetime,
        now: datetime,
    ) -> sa.Select[Any]:
        price = sa.func.coalesce(screened.c.unit_price, plan.default_price_micros)
        return sa.select(
            sa.literal(batch_id, t.Id),
            sa.literal(plan.account.id, t.Id),
            screened.c.number,
            screened.c.region,
            screened.c.segments,
            price * screened.c.segments,
            sa.literal(str(status)),
            sa.literal(due_at, t.UtcDateTime),
            # When it may first go out: its validity runs from there (held by marketing
            # hours, that is the opening, not the campaign's time).
            sa.literal(due_at if due_at > now else plan.campaign.scheduled_at, t.UtcDateTime),
            sa.literal(now, t.UtcDateTime),
            sa.literal(now, t.UtcDateTime),
            sa.literal(message_priority(plan.campaign.kind), sa.SmallInteger),
            screened.c.text,
        ).where(screened.c.verdict == "accepted")

    async def _batch_totals(self, batch_id: int) -> tuple[int, int, dict[str, int]]:
        """(messages, cost, messages per region) of a batch, as written."""
        rows = await self._conn.execute(
            sa.select(m.region, sa.func.count(), sa.func.sum(m.price_micros))
            .where(m.batch_id == batch_id)
            .group_by(m.region)
        )
        total, cost, by_region = 0, 0, {}
        for region, count, price in rows:
            total += int(count)
            cost += int(price or 0)
            by_region[str(region)] = int(count)
        return total, cost, by_region

    async def finish_batch(
        self, batch_id: int, total: int, verdicts: dict[str, int], segments: int, cost: int
    ) -> None:
        """Write the counts of a fanned-out batch on its row (known once it is written)."""
        await self._conn.execute(
            t.batches.update()
            .where(t.batches.c.id == batch_id)
            .values(total=total, verdict_counts=verdicts, segments=segments, cost_micros=cost)
        )

    # --- Pause and resume ---------------------------------------------------------------------

    async def hold(self, batch_id: int, now: datetime) -> int:
        """Pause a batch's unclaimed messages (scheduled or queued); how many."""
        result = await self._conn.execute(
            t.messages.update()
            .where(m.batch_id == batch_id, m.status.in_(["scheduled", "queued"]))
            .values(status=str(MessageStatus.PAUSED), due_at=None, updated_at=now)
        )
        return int(result.rowcount or 0)

    async def release(self, batch_id: int, now: datetime) -> int:
        """Resume a batch's paused messages: scheduled if their time is ahead, else queued."""
        result = await self._conn.execute(
            t.messages.update()
            .where(m.batch_id == batch_id, m.status == str(MessageStatus.PAUSED))
            .values(
                status=sa.case(
                    (m.scheduled_at > now, str(MessageStatus.SCHEDULED)),
                    else_=str(MessageStatus.QUEUED),
                ),
                # Out of the queue while paused (no due_at): due at its time again.
                due_at=sa.func.coalesce(m.scheduled_at, m.created_at),
                updated_at=now,
            )
        )
        return int(result.rowcount or 0)

    async def pending(self, batch_id: int) -> int:
        """The batch's messages not in a final state."""
        final = sorted(str(status) for status in FINAL_STATUSES)
        count = await self._conn.scalar(
            sa.select(sa.func.count()).where(m.batch_id == batch_id, m.status.not_in(final))
        )
        return int(count or 0)

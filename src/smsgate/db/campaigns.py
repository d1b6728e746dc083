"""Campaigns: drafts, and the set-based fan-out of a launch.

A campaign's audience is its lists' contacts and its explicit numbers, deduplicated by number
(a contact is one row per account and number, so a contact in two lists is one recipient).
Screening, segment counts, prices and the messages themselves are computed by the database
in INSERT ... SELECT statements: no Python loop per recipient, and memory that does not grow
with the audience. The verdicts follow domain/recipients.screen_recipients, in its order:
blacklisted, npai, not_allowed, flood, country_limit, daily_limit.
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
from smsgate.domain.campaigns import Campaign, CampaignStatus, NewCampaign, template_pieces
from smsgate.domain.messages import (
    FINAL_STATUSES,
    MessageKind,
    MessageStatus,
    message_priority,
)
from smsgate.domain.text import MULTIPART_SEPTETS, SINGLE_PART_SEPTETS
from smsgate.ports import FanOut, FanOutResult, ScreenedGroup

cm = t.campaigns.c
c = t.contacts.c
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
EXTENSION_CHARS = ("\f", "^", "{", "}", "\\", "[", "~", "]", "|", "€")
UCS2_SINGLE, UCS2_MULTI = 70, 67


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
        screened = self._screened(plan).subquery("s")
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
        screened = self._screened(plan)
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
            sa.literal(plan.campaign.scheduled_at, t.UtcDateTime),
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

    def _audience(self, campaign: Campaign) -> sa.Subquery:
        account_id = campaign.account_id
        in_lists = sa.exists().where(lm.contact_id == c.id, lm.list_id.in_(campaign.list_ids))
        listed = sa.select(c.number, c.region, c.name, c.fields, c.gsm7.label("gsm7")).where(
            c.account_id == account_id, in_lists
        )
        n = t.campaign_numbers.c
        known = t.contacts.alias("known")
        other = t.contacts.alias("other")
        listed_already = (
            sa.exists().where(
                other.c.account_id == account_id,
                other.c.number == n.number,
                sa.exists().where(lm.contact_id == other.c.id, lm.list_id.in_(campaign.list_ids)),
            )
            if campaign.list_ids
            else sa.false()
        )
        explicit = (
            sa.select(
                n.number,
                n.region,
                known.c.name,
                known.c.fields,
                sa.func.coalesce(known.c.gsm7, sa.true()).label("gsm7"),
            )
            .select_from(
                t.campaign_numbers.outerjoin(
                    known, sa.and_(known.c.account_id == account_id, known.c.number == n.number)
                )
            )
            .where(n.campaign_id == campaign.id, ~listed_already)
        )
        if not campaign.list_ids:
            return explicit.subquery("audience")
        return sa.union_all(listed, explicit).subquery("audience")

    def _screened(self, plan: FanOut) -> sa.Select[Any]:
        """The audience with each recipient's verdict, segments, unit price and own text."""
        account = plan.account
        a = self._audience(plan.campaign)
        number, region = a.c.number, a.c.region
        cases: list[tuple[Any, str]] = [
            (
                sa.or_(
                    sa.exists().where(
                        t.blacklist.c.account_id == account.id, t.blacklist.c.number == number
                    ),
                    sa.exists().where(t.global_blacklist.c.number == number),
                ),
                "blacklisted",
            ),
            (sa.exists().where(t.npai.c.number == number), "npai"),
        ]
        if account.allowed_countries is not None:
            cases.append((~region.in_(sorted(account.allowed_countries) or [""]), "not_allowed"))
        if account.flood_limit_24h is not None:
            flooded = (
                sa.select(m.recipient)
                .where(m.account_id == account.id, m.created_at >= plan.since_24h)
                .group_by(m.recipient)
                .having(sa.func.count() >= account.flood_limit_24h)
            )
            cases.append((number.in_(flooded), "flood"))
        first = sa.case(*cases, else_=sa.literal("accepted")) if cases else sa.literal("accepted")
        text = self._text(plan, a)
        prices = t.prices.c
        screened = sa.select(
            number,
            region,
            first.label("verdict"),
            self._segments(plan, a, text).label("segments"),
            prices.price_micros.label("unit_price"),
            text.label("text"),
        ).select_from(
            a.outerjoin(
                t.prices,
                sa.and_(prices.service == "sms", prices.region == region),
            )
        )
        return self._limit(plan, screened)

    def _limit(self, plan: FanOut, screened: sa.Select[Any]) -> sa.Select[Any]:
        """Monthly per-country and daily limits: the first recipients by number fit, the
        rest get country_limit or daily_limit (numbered by window functions)."""
        account = plan.account
        limits = dict(account.country_monthly_limits)
        if not limits and account.daily_limit is None:
            return screened
        s = screened.subquery("first")
        verdict: Any = s.c.verdict
        if limits:
            left = sa.case(
                *[
                    (s.c.region == r, max(0, n - plan.sent_this_month.get(r, 0)))
                    for r, n in sorted(limits.items())
                ],
                else_=None,
            )
            rank = sa.func.row_number().over(
                partition_by=(s.c.verdict, s.c.region), order_by=s.c.number
            )
            verdict = sa.case(
                (
                    sa.and_(s.c.verdict == "accepted", left.is_not(None), rank > left),
                    "country_limit",
                ),
                else_=s.c.verdict,
            )
        stepped = sa.select(
            s.c.number, s.c.region, verdict.label("verdict"), s.c.segments, s.c.unit_price, s.c.text
        ).subquery("limited")
        if account.daily_limit is None:
            return sa.select(stepped)
        daily_left = max(0, account.daily_limit - plan.sent_today)
        rank = sa.func.row_number().over(partition_by=stepped.c.verdict, order_by=stepped.c.number)
        daily = sa.case(
            (sa.and_(stepped.c.verdict == "accepted", rank > daily_left), "daily_limit"),
            else_=stepped.c.verdict,
        )
        return sa.select(
            stepped.c.number,
            stepped.c.region,
            daily.label("verdict"),
            stepped.c.segments,
            stepped.c.unit_price,
            stepped.c.text,
        )

    def _text(self, plan: FanOut, a: sa.Subquery) -> Any:
        """The personalised text as a SQL expression, or NULL (the batch's text) if none."""
        if plan.segments is not None:
            return sa.null()
        expression: Any = sa.literal("")
        for piece, is_field in template_pieces(plan.campaign.text):
            if not is_field:
                value: Any = sa.literal(piece)
            elif piece == "name":
                value = sa.func.coalesce(a.c.name, "")
            else:
                value = sa.func.coalesce(a.c.fields[piece].as_string(), "")
            expression = expression + value
        return expression

    def _segments(self, plan: FanOut, a: sa.Subquery, text: Any) -> Any:
        """Segments per message: the plan's for a fixed text; for a personalised one, counted
        in SQL: exact, but for an escape or a surrogate pair at a segment's end, where it
        counts one character less per segment (at worst one segment more than needed)."""
        if plan.segments is not None:
            return sa.literal(plan.segments)
        length = sa.func.length(text)
        units = dialects.utf16_units(self._conn, text)
        astral = units - length
        ucs2 = sa.case(
            (units <= UCS2_SINGLE, 1),
            (astral == 0, (units + UCS2_MULTI - 1) // UCS2_MULTI),
            else_=(units + UCS2_MULTI - 2) // (UCS2_MULTI - 1),
        )
        if plan.ucs2:
            return sa.cast(ucs2, sa.Integer)
        escapes: Any = sa.literal(0)
        for char in EXTENSION_CHARS:
            escapes = escapes + (length - sa.func.length(sa.func.replace(text, char, "")))
        septets = length + escapes
        gsm = sa.case(
            (septets <= SINGLE_PART_SEPTETS, 1),
            (escapes == 0, (septets + MULTIPART_SEPTETS - 1) // MULTIPART_SEPTETS),
            else_=(septets + MULTIPART_SEPTETS - 2) // (MULTIPART_SEPTETS - 1),
        )
        return sa.cast(sa.case((a.c.gsm7, gsm), else_=ucs2), sa.Integer)

    # --- Pause and resume ---------------------------------------------------------------------

    async def hold(self, batch_id: int, now: datetime) -> int:
        """Pause a batch's unclaimed messages (scheduled or queued); how many."""
        result = await self._conn.execute(
            t.messages.update()
            .where(m.batch_id == batch_id, m.status.in_(["scheduled", "queued"]))
            .values(status=str(MessageStatus.PAUSED), updated_at=now)
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

"""A campaign's screened audience: one SELECT that a launch counts and inserts its messages from.

The audience is the campaign's lists' contacts and its explicit numbers, deduplicated by number
(a contact is one row per account and number, so a contact in two lists is one recipient).
Screening, segment counts, prices and personalised texts are computed by the database, so the
fan-out (db/campaigns.py) needs no Python loop per recipient and no memory that grows with the
audience. The verdicts follow domain/recipients.screen_recipients, in its order: blacklisted,
npai, not_allowed, flood, country_limit, daily_limit.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from smsgate.db import dialects
from smsgate.db import tables as t
from smsgate.domain.campaigns import Campaign, template_pieces
from smsgate.domain.text import (
    EXTENSION_CHARS,
    MULTIPART_SEPTETS,
    MULTIPART_UCS2_UNITS,
    SINGLE_PART_SEPTETS,
    SINGLE_PART_UCS2_UNITS,
)
from smsgate.ports import FanOut

c = t.contacts.c
lm = t.list_members.c
m = t.messages.c


def screened_audience(conn: AsyncConnection, plan: FanOut) -> sa.Select[Any]:
    """The audience with each recipient's verdict, segments, unit price and own text."""
    account = plan.account
    a = _audience(plan.campaign)
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
    text = _text(plan, a)
    prices = t.prices.c
    screened = sa.select(
        number,
        region,
        first.label("verdict"),
        _segments(conn, plan, a, text).label("segments"),
        prices.price_micros.label("unit_price"),
        text.label("text"),
    ).select_from(
        a.outerjoin(
            t.prices,
            sa.and_(prices.service == "sms", prices.region == region),
        )
    )
    return _limit(plan, screened)


def _audience(campaign: Campaign) -> sa.Subquery:
    """The lists' contacts, and the explicit numbers that are in none of those lists."""
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


def _limit(plan: FanOut, screened: sa.Select[Any]) -> sa.Select[Any]:
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


def _text(plan: FanOut, a: sa.Subquery) -> Any:
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


def _segments(conn: AsyncConnection, plan: FanOut, a: sa.Subquery, text: Any) -> Any:
    """Segments per message: the plan's for a fixed text; for a personalised one, counted
    in SQL: exact, but for an escape or a surrogate pair at a segment's end, where it
    counts one character less per segment (at worst one segment more than needed)."""
    if plan.segments is not None:
        return sa.literal(plan.segments)
    length = sa.func.length(text)
    units = dialects.utf16_units(conn, text)
    astral = units - length
    ucs2 = sa.case(
        (units <= SINGLE_PART_UCS2_UNITS, 1),
        (astral == 0, (units + MULTIPART_UCS2_UNITS - 1) // MULTIPART_UCS2_UNITS),
        else_=(units + MULTIPART_UCS2_UNITS - 2) // (MULTIPART_UCS2_UNITS - 1),
    )
    if plan.ucs2:
        return sa.cast(ucs2, sa.Integer)
    escapes: Any = sa.literal(0)
    for char in sorted(EXTENSION_CHARS):
        escapes = escapes + (length - sa.func.length(sa.func.replace(text, char, "")))
    septets = length + escapes
    gsm = sa.case(
        (septets <= SINGLE_PART_SEPTETS, 1),
        (escapes == 0, (septets + MULTIPART_SEPTETS - 1) // MULTIPART_SEPTETS),
        else_=(septets + MULTIPART_SEPTETS - 2) // (MULTIPART_SEPTETS - 1),
    )
    return sa.cast(sa.case((a.c.gsm7, gsm), else_=ucs2), sa.Integer)

"""Campaigns: audience screening and fan-out, the campaign life cycle, schedules in a time
zone, marketing hours, personalisation, and priority of transactional traffic."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from smsgate import errors
from smsgate.bootstrap import Gateway
from smsgate.clock import FrozenClock
from smsgate.db import tables as t
from smsgate.domain.accounts import Account
from smsgate.domain.campaigns import CampaignStatus
from smsgate.domain.hours import SendingHours
from smsgate.domain.messages import MessageKind, MessageStatus
from smsgate.domain.recipients import Recipient
from smsgate.domain.text import is_gsm7, plan_segments
from smsgate.services.accounts import NewAccount
from smsgate.services.campaigns import CampaignDraft
from smsgate.services.sending import SendRequest
from tests.conftest import in_status

C = CampaignStatus
S = MessageStatus
PRICE = 1_000_000  # the built-in price of one SMS segment


async def account_named(gateway: Gateway, name: str, credit: int = 100_000_000) -> Account:
    account, _ = await gateway.accounts.create(
        NewAccount(username=name, password="secret-pw", credit_micros=credit, country="FR")
    )
    return account


async def contact_list(
    gateway: Gateway,
    account: Account,
    name: str,
    contacts: Sequence[tuple[str, str | None]],
    fields: dict[str, dict[str, str]] | None = None,
) -> int:
    """A list with the given (number, name) contacts; a number is one contact per account."""
    now = datetime(2026, 11, 1, tzinfo=UTC)
    async with gateway.store.engine.begin() as conn:
        list_id = (
            await conn.execute(
                t.contact_lists.insert().returning(t.contact_lists.c.id),
                {"account_id": account.id, "name": name, "created_at": now},
            )
        ).scalar_one()
        for number, contact_name in contacts:
            found = await conn.scalar(
                sa.select(t.contacts.c.id).where(
                    t.contacts.c.account_id == account.id, t.contacts.c.number == number
                )
            )
            if found is None:
                values = (fields or {}).get(number, {})
                found = (
                    await conn.execute(
                        t.contacts.insert().returning(t.contacts.c.id),
                        {
                            "account_id": account.id,
                            "number": number,
                            "region": "FR",
                            "name": contact_name,
                            "fields": values,
                            "gsm7": all(is_gsm7(v) for v in [contact_name or "", *values.values()]),
                            "created_at": now,
                        },
                    )
                ).scalar_one()
            await conn.execute(t.list_members.insert(), {"list_id": list_id, "contact_id": found})
    return int(list_id)


async def blacklist(gateway: Gateway, account: Account, number: str) -> None:
    async with gateway.store.transaction(write=True) as tx:
        await tx.blacklist.add(account.id, [number], datetime(2026, 11, 1, tzinfo=UTC))


async def statuses(gateway: Gateway, batch_id: int) -> dict[str, S]:
    async with gateway.store.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(t.messages.c.recipient, t.messages.c.status).where(
                t.messages.c.batch_id == batch_id
            )
        )
        return {row[0]: S(row[1]) for row in rows}


async def ledger_kinds(gateway: Gateway, account: Account) -> list[tuple[str, int]]:
    async with gateway.store.transaction() as tx:
        return [(e.kind, e.amount_micros) for e in await tx.ledger.entries(account.id)]


def numbers(first: int, count: int) -> list[str]:
    return [f"+336123456{n:02d}" for n in range(first, first + count)]


async def test_campaign_to_overlapping_lists_sends_each_number_once_and_skips_blacklisted(
    gateway: Gateway,
) -> None:
    alice = await account_named(gateway, "alice")
    one = await contact_list(gateway, alice, "one", [(n, None) for n in numbers(0, 6)])
    two = await contact_list(gateway, alice, "two", [(n, None) for n in numbers(4, 6)])
    await blacklist(gateway, alice, numbers(0, 1)[0])
    draft = await gateway.campaigns.create(
        alice,
        CampaignDraft(
            name="promo", text="Sale today", lists=[one, two], numbers=["12", numbers(9, 1)[0]]
        ),
    )
    assert draft.status is C.DRAFT

    estimate = await gateway.campaigns.estimate(alice, draft.campaign.id)
    assert estimate.audience == 10  # 00..09: 04, 05 in both lists, 09 listed and explicit
    assert estimate.duplicates == 3
    assert estimate.invalid == 1
    assert estimate.verdicts["blacklisted"] == 1
    assert estimate.accepted == 9
    assert estimate.cost_micros == 9 * PRICE

    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.messages == 9
    assert launched.cost_micros == 9 * PRICE
    assert launched.balance_micros == 100_000_000 - 9 * PRICE
    assert launched.view.status is C.SENDING
    batch_id = launched.view.campaign.batch_id
    assert batch_id is not None
    sent = await statuses(gateway, batch_id)
    assert sorted(sent) == numbers(1, 9)  # one message each, blacklisted 00 skipped
    assert set(sent.values()) == {S.QUEUED}
    assert await ledger_kinds(gateway, alice) == [("topup", 100_000_000), ("charge", -9 * PRICE)]

    outcome = await gateway.campaigns.cancel(alice, draft.campaign.id)
    assert (outcome.view.status, outcome.cancelled, outcome.refund_micros) == (
        C.CANCELLED,
        9,
        9 * PRICE,
    )
    assert outcome.balance_micros == 100_000_000
    assert set((await statuses(gateway, batch_id)).values()) == {S.CANCELLED}
    assert (await gateway.queries.balance(alice)) == 100_000_000


async def test_campaign_life_cycle_pause_resume_done_with_message_states(
    gateway: Gateway,
) -> None:
    alice = await account_named(gateway, "alice")
    listed = await contact_list(gateway, alice, "all", [(n, None) for n in numbers(0, 4)])
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="hi", lists=[listed])
    )
    campaign_id = draft.campaign.id
    launched = await gateway.campaigns.launch(alice, campaign_id)
    batch_id = launched.view.campaign.batch_id
    assert batch_id is not None

    jobs = await gateway.delivery.claim(1)  # one message is taken by a dispatcher
    assert len(jobs) == 1
    paused = await gateway.campaigns.pause(alice, campaign_id)
    assert paused.status is C.PAUSED
    assert paused.status_counts == {"paused": 3, "sending": 1}
    assert await gateway.delivery.claim(10) == []  # paused messages are never claimed

    resumed = await gateway.campaigns.resume(alice, campaign_id)
    assert resumed.status is C.SENDING
    assert resumed.status_counts == {"queued": 3, "sending": 1}
    with pytest.raises(errors.InvalidTransition):
        await gateway.campaigns.resume(alice, campaign_id)

    async with gateway.store.engine.begin() as conn:
        await conn.execute(
            t.messages.update()
            .where(t.messages.c.batch_id == batch_id)
            .values(**in_status("delivered"))
        )
    done = await gateway.campaigns.get(alice, campaign_id)
    assert done.status is C.DONE
    with pytest.raises(errors.InvalidTransition):
        await gateway.campaigns.pause(alice, campaign_id)


async def test_draft_cancelled_writes_no_message_and_cannot_launch(gateway: Gateway) -> None:
    alice = await account_named(gateway, "alice")
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="hi", numbers=numbers(0, 2))
    )
    outcome = await gateway.campaigns.cancel(alice, draft.campaign.id)
    assert (outcome.view.status, outcome.cancelled, outcome.refund_micros) == (C.CANCELLED, 0, 0)
    with pytest.raises(errors.InvalidTransition):
        await gateway.campaigns.launch(alice, draft.campaign.id)
    async with gateway.store.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.messages)) == 0


@pytest.mark.parametrize(
    ("local", "zone", "instant"),
    [
        (datetime(2026, 11, 23, 9, 30), "UTC+08:00", datetime(2026, 11, 23, 1, 30, tzinfo=UTC)),
        (datetime(2026, 11, 23, 9, 30), "Europe/Paris", datetime(2026, 11, 23, 8, 30, tzinfo=UTC)),
        (datetime(2027, 7, 1, 9, 30), "Europe/Paris", datetime(2027, 7, 1, 7, 30, tzinfo=UTC)),
    ],
)
async def test_scheduled_campaign_goes_out_at_its_instant_in_its_time_zone(
    gateway: Gateway, clock: FrozenClock, local: datetime, zone: str, instant: datetime
) -> None:
    alice = await account_named(gateway, "alice")
    draft = await gateway.campaigns.create(
        alice,
        CampaignDraft(
            name="c", text="hi", numbers=numbers(0, 2), scheduled_at=local, timezone=zone
        ),
    )
    assert draft.campaign.scheduled_at == instant
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.view.status is C.SCHEDULED
    assert launched.view.status_counts == {"scheduled": 2}

    clock.set(instant - timedelta(seconds=1))
    assert await gateway.delivery.claim(10) == []
    clock.set(instant)
    assert len(await gateway.delivery.claim(10)) == 2
    assert (await gateway.campaigns.get(alice, draft.campaign.id)).status is C.SENDING


async def test_marketing_hours_hold_marketing_and_let_transactional_through(
    gateway: Gateway, clock: FrozenClock
) -> None:
    alice = await account_named(gateway, "alice")
    hours = SendingHours(time(8), time(20), "Europe/Paris")
    await gateway.accounts.update_settings("alice", marketing_hours=hours.as_json())
    clock.set(datetime(2026, 11, 23, 21, 0, tzinfo=UTC))  # 22:00 in Paris: quiet
    # A marketing batch sent through the plain API before the hours were... queued at once:
    await gateway.sending.send(
        alice, SendRequest([Recipient(numbers(0, 1)[0])], "promo", kind=MessageKind.MARKETING)
    )
    await gateway.sending.send(alice, SendRequest([Recipient(numbers(1, 1)[0])], "your code 1"))
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="promo", numbers=numbers(2, 3))
    )
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    opening = datetime(2026, 11, 24, 7, 0, tzinfo=UTC)  # 08:00 in Paris
    async with gateway.store.engine.connect() as conn:
        due = await conn.scalar(
            sa.select(sa.func.min(t.messages.c.due_at)).where(
                t.messages.c.batch_id == launched.view.campaign.batch_id
            )
        )
    assert due == opening  # the campaign's messages wait for the opening

    jobs = await gateway.delivery.claim(10)
    assert [j.message.recipient for j in jobs] == numbers(1, 1)  # only the transactional one
    assert await gateway.delivery.claim(10) == []  # the marketing one went back, due at 08:00

    clock.set(opening)
    claimed = {j.message.recipient for j in await gateway.delivery.claim(10)}
    assert {numbers(0, 1)[0], *numbers(2, 3)} <= claimed  # (and the lapsed transactional lease)


async def test_transactional_messages_are_claimed_before_due_marketing(gateway: Gateway) -> None:
    alice = await account_named(gateway, "alice")
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="promo", numbers=numbers(0, 5))
    )
    await gateway.campaigns.launch(alice, draft.campaign.id)
    await gateway.sending.send(alice, SendRequest([Recipient(numbers(10, 1)[0])], "code 1"))
    jobs = await gateway.delivery.claim(1)
    assert [(j.message.recipient, j.message.priority) for j in jobs] == [(numbers(10, 1)[0], 0)]
    assert [j.message.priority for j in await gateway.delivery.claim(10)] == [1] * 5


async def test_personalised_campaign_renders_each_contact_and_counts_its_segments(
    gateway: Gateway,
) -> None:
    alice = await account_named(gateway, "alice")
    listed = await contact_list(
        gateway,
        alice,
        "vip",
        [(numbers(0, 1)[0], "Ana"), (numbers(1, 1)[0], "Łukasz"), (numbers(2, 1)[0], "Jean")],
        # Contact 2's code makes its text 164 characters: two GSM-7 segments.
        fields={numbers(0, 1)[0]: {"code": "X1"}, numbers(2, 1)[0]: {"code": "7" * 150}},
    )
    draft = await gateway.campaigns.create(
        alice,
        CampaignDraft(name="c", text="Hi {name}, code {code}", lists=[listed]),
    )
    estimate = await gateway.campaigns.estimate(alice, draft.campaign.id)
    assert estimate.segments == 1 + 1 + 2
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.cost_micros == 4 * PRICE
    jobs = {j.message.recipient: j for j in await gateway.delivery.claim(10)}
    assert jobs[numbers(0, 1)[0]].content.text == "Hi Ana, code X1"
    assert jobs[numbers(1, 1)[0]].content.text == "Hi Łukasz, code "  # UCS-2: still one segment
    assert jobs[numbers(2, 1)[0]].message.segments == 2


async def test_campaign_of_another_account_is_not_found(gateway: Gateway) -> None:
    alice = await account_named(gateway, "alice")
    bob = await account_named(gateway, "bob")
    listed = await contact_list(gateway, alice, "mine", [(numbers(0, 1)[0], None)])
    with pytest.raises(errors.NotFound):
        await gateway.campaigns.create(bob, CampaignDraft(name="c", text="hi", lists=[listed]))
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="hi", lists=[listed])
    )
    for call in (gateway.campaigns.get, gateway.campaigns.launch, gateway.campaigns.estimate):
        with pytest.raises(errors.NotFound):
            await call(bob, draft.campaign.id)


async def test_launch_without_enough_credit_charges_and_queues_nothing(gateway: Gateway) -> None:
    alice = await account_named(gateway, "alice", credit=2 * PRICE)
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="hi", numbers=numbers(0, 3))
    )
    with pytest.raises(errors.InsufficientCredit):
        await gateway.campaigns.launch(alice, draft.campaign.id)
    assert (await gateway.campaigns.get(alice, draft.campaign.id)).status is C.DRAFT
    assert await ledger_kinds(gateway, alice) == [("topup", 2 * PRICE)]
    async with gateway.store.engine.connect() as conn:
        assert await conn.scalar(sa.select(sa.func.count()).select_from(t.messages)) == 0


async def test_personalised_segments_counted_in_sql_match_the_text_rules(
    gateway: Gateway,
) -> None:
    """SQL counts segments per rendered text: exact, or one more (never fewer) where an
    escape or a surrogate pair could straddle a segment boundary."""
    alice = await account_named(gateway, "alice")
    names = [
        "Ana",
        "Zoë",  # GSM-7 (ë is not: UCS-2)
        "Łukasz",
        "😀 Joy",
        "{[~]}",
        "x" * 120,
        "€" * 70,
        "😀" * 40,
        "é" * 100,
    ]
    listed = await contact_list(
        gateway, alice, "all", [(numbers(i, 1)[0], n) for i, n in enumerate(names)]
    )
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="Dear {name}, our sale starts now", lists=[listed])
    )
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    async with gateway.store.engine.connect() as conn:
        rows = (
            await conn.execute(
                sa.select(t.messages.c.text, t.messages.c.segments).where(
                    t.messages.c.batch_id == launched.view.campaign.batch_id
                )
            )
        ).all()
    assert len(rows) == len(names)
    for text, segments in rows:
        exact = plan_segments(text).segments
        tricky = any(c in "{}[]~€^|\\\f" or ord(c) > 0xFFFF for c in text)
        assert segments == exact or (tricky and segments == exact + 1), (text, segments, exact)


async def test_marketing_held_over_a_weekend_goes_out_monday_and_does_not_expire(
    gateway: Gateway, clock: FrozenClock
) -> None:
    """Validity (48 h) runs from the opening a held message waits for, not from its creation."""
    alice = await account_named(gateway, "alice")
    hours = SendingHours(time(8), time(20), "Europe/Paris", frozenset(range(5)))  # Mon-Fri
    await gateway.accounts.update_settings("alice", marketing_hours=hours.as_json())
    clock.set(datetime(2026, 11, 27, 20, 0, tzinfo=UTC))  # Friday 21:00 in Paris
    await gateway.sending.send(
        alice, SendRequest([Recipient(numbers(0, 1)[0])], "promo", kind=MessageKind.MARKETING)
    )
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="promo", numbers=numbers(1, 2))
    )
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.view.status_counts == {"scheduled": 2}
    assert await gateway.delivery.claim(10) == []  # the API one is claimed, then held

    clock.set(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))  # Monday 08:00 in Paris, 59 h later
    jobs = await gateway.delivery.claim(10)
    assert sorted(j.message.recipient for j in jobs) == numbers(0, 3)


async def test_transactional_campaign_goes_at_once_whatever_its_schedule(
    gateway: Gateway,
) -> None:
    alice = await account_named(gateway, "alice")
    draft = await gateway.campaigns.create(
        alice,
        CampaignDraft(
            name="c",
            text="your order shipped",
            kind=MessageKind.TRANSACTIONAL,
            numbers=numbers(0, 2),
            scheduled_at=datetime(2026, 12, 1, 9, 0),
            timezone="Europe/Paris",
        ),
    )
    assert draft.campaign.scheduled_at is None
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.view.status is C.SENDING
    assert len(await gateway.delivery.claim(10)) == 2


@pytest.mark.parametrize(
    ("draft", "error"),
    [
        (CampaignDraft(name=" ", text="hi", numbers=["+33612345600"]), errors.InvalidRequest),
        (CampaignDraft(name="c", text="", numbers=["+33612345600"]), errors.EmptyText),
        (
            CampaignDraft(name="c", text="hi", sender="S" * 33, numbers=["+33612345600"]),
            errors.InvalidRequest,
        ),
        (CampaignDraft(name="c", text="hi", numbers=["12"]), errors.NoRecipients),
        (CampaignDraft(name="c", text="hi", lists=[999]), errors.NotFound),
        (
            CampaignDraft(name="c", text="hi", numbers=["+33612345600"], timezone="Mars/Base"),
            errors.InvalidSchedule,
        ),
        (CampaignDraft(name="c", text="x" * 2000, numbers=["+33612345600"]), errors.TextTooLong),
    ],
)
async def test_campaign_draft_with_bad_input_is_refused_and_nothing_written(
    gateway: Gateway, draft: CampaignDraft, error: type[Exception]
) -> None:
    alice = await account_named(gateway, "alice")
    with pytest.raises(error):
        await gateway.campaigns.create(alice, draft)
    assert await gateway.campaigns.list(alice) == []


@pytest.mark.parametrize(
    ("settings", "verdicts"),
    [
        ({"daily_limit": 4}, {"accepted": 3, "daily_limit": 2}),  # one sent today already
        ({"country_monthly_limits": {"FR": 3}}, {"accepted": 2, "country_limit": 3}),
        ({"flood_limit_24h": 1}, {"accepted": 4, "flood": 1}),  # numbers(0) had one today
        ({"allowed_countries": ["DE"]}, {"not_allowed": 5}),
    ],
)
async def test_campaign_screening_applies_the_account_limits_like_the_send_path(
    gateway: Gateway, settings: dict[str, object], verdicts: dict[str, int]
) -> None:
    alice = await account_named(gateway, "alice")
    await gateway.sending.send(alice, SendRequest([Recipient(numbers(0, 1)[0])], "earlier"))
    await gateway.accounts.update_settings("alice", **settings)
    alice = await gateway.accounts.get("alice")
    draft = await gateway.campaigns.create(
        alice, CampaignDraft(name="c", text="promo", numbers=numbers(0, 5))
    )
    estimate = await gateway.campaigns.estimate(alice, draft.campaign.id)
    assert {k: n for k, n in estimate.verdicts.items() if n} == verdicts
    if not estimate.accepted:
        with pytest.raises(errors.NoDeliverableRecipients):
            await gateway.campaigns.launch(alice, draft.campaign.id)
        return
    launched = await gateway.campaigns.launch(alice, draft.campaign.id)
    assert launched.messages == estimate.accepted
    assert launched.cost_micros == estimate.accepted * PRICE

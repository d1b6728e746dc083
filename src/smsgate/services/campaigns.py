"""Campaigns: drafts, estimates, and launches that fan out to whole contact lists at once.

Invariants: a launch screens, prices, writes every message and charges in one transaction,
set-based (db/campaigns.py), so a launch that fails charges nothing and queues nothing; the
charge is one ledger row for the whole campaign; pausing holds the unclaimed messages
(status `paused`), resuming releases them, cancelling cancels and refunds them in the same
transaction as the campaign's status.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from smsgate import errors
from smsgate.domain import accounts as account_rules
from smsgate.domain.accounts import Account, Service
from smsgate.domain.batches import NewBatch
from smsgate.domain.campaigns import (
    Campaign,
    CampaignStatus,
    Estimate,
    NewCampaign,
    placeholders,
    schedule_instant,
    status_after,
    template_pieces,
    transition,
)
from smsgate.domain.hours import read_timezone
from smsgate.domain.messages import FINAL_STATUSES, MessageKind, MessageStatus
from smsgate.domain.pricing import PriceTable
from smsgate.domain.recipients import Recipient, Verdict, read_recipients
from smsgate.domain.text import Encoding, is_gsm7
from smsgate.ports import Clock, FanOut, ScreenedGroup, Store, Transaction
from smsgate.services.cancelling import cancel_and_refund
from smsgate.services.sending import SendingPolicy, SendingService, current_sender

log = logging.getLogger(__name__)
C = CampaignStatus


@dataclass(frozen=True, slots=True)
class CampaignDraft:
    """A campaign as the caller writes it; `scheduled_at` naive means in `timezone`."""

    name: str
    text: str
    kind: MessageKind = MessageKind.MARKETING
    sender: str | None = None
    force_unicode: bool = False
    flash: bool = False
    scheduled_at: datetime | None = None
    timezone: str = "UTC"
    lists: Sequence[int] = ()
    numbers: Sequence[str] = ()


@dataclass(frozen=True, slots=True)
class CampaignView:
    """A campaign with its status as of now and its messages counted by status."""

    campaign: Campaign
    status: CampaignStatus
    status_counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LaunchOutcome:
    view: CampaignView
    estimate: Estimate
    messages: int
    cost_micros: int
    balance_micros: int


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """A cancelled campaign, how many messages were cancelled, the refund and the balance."""

    view: CampaignView
    cancelled: int
    refund_micros: int
    balance_micros: int


@dataclass(frozen=True, slots=True)
class CampaignPolicy:
    max_numbers: int = 100_000  # explicit numbers per campaign; lists have no cap


class CampaignService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        sending: SendingPolicy,
        policy: CampaignPolicy | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._checks = SendingService(store, clock, sending)
        self._sending = sending
        self._policy = policy or CampaignPolicy()

    async def create(self, account: Account, draft: CampaignDraft) -> CampaignView:
        """Write a draft: its numbers parsed, its lists checked, its schedule resolved."""
        now = self._clock.now()
        name = draft.name.strip()
        if not name or len(name) > 128:
            raise errors.InvalidRequest("a campaign needs a name of 1 to 128 characters")
        if not draft.text:
            raise errors.EmptyText("the message text is empty")
        if draft.sender and len(draft.sender) > 32:
            raise errors.InvalidRequest("a sender id has at most 32 characters")
        if len(draft.numbers) > self._policy.max_numbers:
            raise errors.TooManyRecipients(
                f"at most {self._policy.max_numbers} explicit numbers; use a contact list",
                max_recipients=self._policy.max_numbers,
            )
        if not placeholders(draft.text):
            self._checks.plan_text(draft.text, draft.force_unicode)
        read_timezone(draft.timezone)  # refused if unreadable, even beside an offset
        scheduled_at = None
        if draft.scheduled_at is not None:
            instant = schedule_instant(draft.scheduled_at, draft.timezone)
            scheduled_at = self._checks.check_schedule(instant, now)
        if draft.kind is MessageKind.TRANSACTIONAL:
            # Transactional campaigns go at once; only marketing waits for its schedule (the
            # vendors' rule, e.g. Spread's SendMMS). The schedule was still checked above.
            scheduled_at = None
        parsed = read_recipients([Recipient(n) for n in draft.numbers], account.default_country)
        numbers = [(v.number, v.region or "") for v in parsed if v.accepted and v.number]
        invalid = [v.raw for v in parsed if v.verdict is Verdict.INVALID]
        list_ids = sorted(set(draft.lists))
        async with self._store.transaction(write=True) as tx:
            owned = await tx.campaigns.owned_lists(account.id, list_ids)
            missing = sorted(set(list_ids) - owned)
            if missing:
                raise errors.NotFound(f"no contact list {missing[0]}", lists=missing)
            if not list_ids and not numbers:
                raise errors.NoRecipients("a campaign needs contact lists or valid numbers")
            campaign_id = await tx.campaigns.add(
                NewCampaign(
                    account_id=account.id,
                    name=name,
                    kind=draft.kind,
                    text=draft.text,
                    sender=draft.sender or None,
                    force_unicode=draft.force_unicode,
                    flash=draft.flash,
                    scheduled_at=scheduled_at,
                    timezone=draft.timezone,
                    list_ids=list_ids,
                    numbers=numbers,
                    invalid_numbers=invalid,
                    created_at=now,
                )
            )
            campaign = await tx.campaigns.get(account.id, campaign_id)
        assert campaign is not None
        log.info(
            "campaign %s drafted",
            campaign_id,
            extra={"event": "campaign_drafted", "account_id": account.id},
        )
        return CampaignView(campaign, C.DRAFT)

    async def get(self, account: Account, campaign_id: int) -> CampaignView:
        async with self._store.transaction() as tx:
            campaign = await self._require(tx, account, campaign_id)
            return await self._view(tx, campaign)

    async def list(
        self, account: Account, limit: int = 50, before_id: int | None = None
    ) -> list[CampaignView]:
        async with self._store.transaction() as tx:
            found = await tx.campaigns.list(account.id, limit, before_id)
            return [await self._view(tx, campaign, counts=False) for campaign in found]

    async def estimate(self, account: Account, campaign_id: int) -> Estimate:
        """Recipients after screening, segments and cost, as a launch now would find them."""
        async with self._store.transaction() as tx:
            campaign = await self._require(tx, account, campaign_id)
            current = await tx.accounts.get(account.id)
            assert current is not None
            prices = await tx.prices.table()
            plan = await self._plan(tx, current, campaign, prices)
            groups = await tx.campaigns.screen(plan)
            listed = await tx.campaigns.listed(campaign)
        return _estimate(campaign, groups, listed, prices)

    async def launch(self, account: Account, campaign_id: int) -> LaunchOutcome:
        """Screen, price, write and charge the whole audience; scheduled or sending after."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            campaign = await self._require(tx, account, campaign_id, lock=True)
            due_now = campaign.scheduled_at is None or campaign.scheduled_at <= now
            status = transition(campaign.status, C.SENDING if due_now else C.SCHEDULED)
            current = await current_sender(
                tx, account.id, Service.SMS, campaign.sender, now, lock=True
            )
            account_rules.check_words(current, campaign.text)
            prices = await tx.prices.table()
            plan = await self._plan(tx, current, campaign, prices)
            due_at = campaign.scheduled_at if campaign.scheduled_at and not due_now else now
            if campaign.kind is MessageKind.MARKETING and current.marketing_hours is not None:
                due_at = current.marketing_hours.next_opening(due_at)
            message_status = MessageStatus.SCHEDULED if due_at > now else MessageStatus.QUEUED
            listed = await tx.campaigns.listed(campaign)
            # Screened and written in one go; anything refused below rolls it all back.
            batch_id = await tx.batches.add(_batch(campaign, plan, now))
            result = await tx.campaigns.fan_out(plan, batch_id, message_status, due_at, now)
            estimate = _estimate(campaign, result.groups, listed, prices)
            self._check_launchable(estimate, result.groups, current)
            written, cost = result.messages, result.cost_micros
            await tx.campaigns.finish_batch(
                batch_id,
                estimate.audience + estimate.invalid + estimate.duplicates,
                dict(estimate.verdicts),
                plan.segments or max(1, round(estimate.segments / max(1, written))),
                cost,
            )
            balance = await tx.ledger.debit(current.id, cost, batch_id, now)
            if balance is None:
                raise errors.InsufficientCredit("not enough credit", needed=cost)
            await tx.screenings.record_usage(current.id, now.date(), Counter(result.by_region))
            await tx.campaigns.set_status(campaign.id, status, now, batch_id=batch_id)
        launched = replace(campaign, status=status, batch_id=batch_id, updated_at=now)
        view = CampaignView(launched, status, {str(message_status): written})
        log.info(
            "campaign %s launched: %d messages, cost %d",
            campaign_id,
            written,
            cost,
            extra={"event": "campaign_launched", "account_id": account.id, "batch_id": batch_id},
        )
        return LaunchOutcome(view, estimate, written, cost, balance)

    async def pause(self, account: Account, campaign_id: int) -> CampaignView:
        """Hold the messages no dispatcher has taken yet; those taken finish."""
        return await self._hold_or_release(account, campaign_id, C.PAUSED)

    async def resume(self, account: Account, campaign_id: int) -> CampaignView:
        return await self._hold_or_release(account, campaign_id, C.SENDING)

    async def cancel(self, account: Account, campaign_id: int) -> CancelOutcome:
        """Cancel a draft, or a launched campaign's unsent messages with their refund."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            campaign = await self._require(tx, account, campaign_id, lock=True)
            current = await self._current(tx, campaign, now)
            transition(current, C.CANCELLED)
            cancelled = refund = 0
            if campaign.batch_id is not None:
                cancelled, refund, balance = await cancel_and_refund(
                    tx,
                    account.id,
                    campaign.batch_id,
                    now,
                    f"messages cancelled (campaign {campaign_id})",
                )
            else:
                after = await tx.accounts.get(account.id)
                balance = after.balance_micros if after is not None else 0
            await tx.campaigns.set_status(campaign.id, C.CANCELLED, now)
            view = await self._view(tx, await self._require(tx, account, campaign_id))
        log.info(
            "campaign %s cancelled: %d messages, refund %d",
            campaign_id,
            cancelled,
            refund,
            extra={"event": "campaign_cancelled", "account_id": account.id},
        )
        return CancelOutcome(view, cancelled, refund, balance)

    # --- Internals ----------------------------------------------------------------------------

    async def _hold_or_release(
        self, account: Account, campaign_id: int, target: CampaignStatus
    ) -> CampaignView:
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            campaign = await self._require(tx, account, campaign_id, lock=True)
            current = await self._current(tx, campaign, now)
            if target is C.PAUSED:
                transition(current, C.PAUSED)
                assert campaign.batch_id is not None  # a draft cannot be paused
                moved = await tx.campaigns.hold(campaign.batch_id, now)
                stored = C.PAUSED
            else:
                if current is not C.PAUSED:
                    raise errors.InvalidTransition(
                        f"a {current} campaign cannot be resumed", current=str(current)
                    )
                assert campaign.batch_id is not None
                moved = await tx.campaigns.release(campaign.batch_id, now)
                ahead = campaign.scheduled_at is not None and campaign.scheduled_at > now
                stored = transition(current, C.SCHEDULED if ahead else C.SENDING)
            await tx.campaigns.set_status(campaign.id, stored, now)
            view = await self._view(tx, await self._require(tx, account, campaign_id))
        log.info(
            "campaign %s %s: %d messages",
            campaign_id,
            "paused" if target is C.PAUSED else "resumed",
            moved,
            extra={"event": f"campaign_{'paused' if target is C.PAUSED else 'resumed'}"},
        )
        return view

    async def _require(
        self, tx: Transaction, account: Account, campaign_id: int, *, lock: bool = False
    ) -> Campaign:
        campaign = await tx.campaigns.get(account.id, campaign_id, lock=lock)
        if campaign is None:
            raise errors.NotFound(f"no campaign {campaign_id}")
        return campaign

    async def _current(self, tx: Transaction, campaign: Campaign, now: datetime) -> CampaignStatus:
        if campaign.batch_id is None:
            return campaign.status
        pending = await tx.campaigns.pending(campaign.batch_id)
        return status_after(campaign.status, campaign.scheduled_at, now, pending)

    async def _view(
        self, tx: Transaction, campaign: Campaign, *, counts: bool = True
    ) -> CampaignView:
        if not counts or campaign.batch_id is None:
            return CampaignView(campaign, await self._current(tx, campaign, self._clock.now()))
        # The counts tell how many are pending: no second pass over the batch's messages.
        found = await tx.batches.status_counts(campaign.account_id, campaign.batch_id)
        final = {str(s) for s in FINAL_STATUSES}
        pending = sum(n for status, n in found.items() if status not in final)
        status = status_after(campaign.status, campaign.scheduled_at, self._clock.now(), pending)
        return CampaignView(campaign, status, found)

    async def _plan(
        self, tx: Transaction, account: Account, campaign: Campaign, prices: PriceTable
    ) -> FanOut:
        now = self._clock.now()
        usage = await tx.screenings.screening(account, [], now - timedelta(hours=24), now.date())
        fixed = not placeholders(campaign.text)
        segments = None
        if fixed:
            segments = self._checks.plan_text(campaign.text, campaign.force_unicode).segments
        literal = "".join(
            piece for piece, is_field in template_pieces(campaign.text) if not is_field
        )
        return FanOut(
            campaign=campaign,
            account=account,
            since_24h=now - timedelta(hours=24),
            sent_today=usage.sent_today,
            sent_this_month=dict(usage.sent_this_month),
            segments=segments,
            ucs2=campaign.force_unicode or not is_gsm7(literal),
            default_price_micros=prices.default_price(Service.SMS),
        )

    def _check_launchable(
        self, estimate: Estimate, groups: Sequence[ScreenedGroup], account: Account
    ) -> None:
        if not estimate.accepted:
            counts = {k: n for k, n in estimate.verdicts.items() if n}
            if estimate.verdicts.get(str(Verdict.DAILY_LIMIT)):
                raise errors.DailyLimitReached("the daily sending limit is reached")
            raise errors.NoDeliverableRecipients("no recipient can be sent to", counts=counts)
        longest = max((g.segments for g in groups if g.verdict == "accepted"), default=0)
        if longest > self._sending.max_segments:
            raise errors.TextTooLong(
                f"a personalised text needs {longest} segments; at most "
                f"{self._sending.max_segments} are allowed",
                segments=longest,
                max_segments=self._sending.max_segments,
            )
        if estimate.cost_micros > account.balance_micros:
            raise errors.InsufficientCredit(
                "not enough credit", needed=estimate.cost_micros, balance=account.balance_micros
            )


def _estimate(
    campaign: Campaign, groups: Sequence[ScreenedGroup], listed: int, prices: PriceTable
) -> Estimate:
    verdicts: Counter[str] = Counter({str(v): 0 for v in Verdict})
    by_region: Counter[str] = Counter()
    segments = cost = 0
    for group in groups:
        verdicts[group.verdict] += group.count
        if group.verdict == "accepted":
            by_region[group.region] += group.count
            segments += group.segments * group.count
            cost += prices.message_price(Service.SMS, group.region, group.segments) * group.count
    audience = sum(g.count for g in groups)
    verdicts[str(Verdict.INVALID)] = len(campaign.invalid_numbers)
    verdicts[str(Verdict.DUPLICATED)] = listed - audience
    return Estimate(
        audience=audience,
        duplicates=listed - audience,
        invalid=len(campaign.invalid_numbers),
        verdicts=dict(verdicts),
        segments=segments,
        cost_micros=cost,
        by_region=dict(by_region),
    )


def _batch(campaign: Campaign, plan: FanOut, now: datetime) -> NewBatch:
    """The campaign's batch as the launch starts it; its counts follow (finish_batch)."""
    return NewBatch(
        account_id=campaign.account_id,
        service=Service.SMS,
        text=campaign.text,
        sender=campaign.sender,
        encoding=str(Encoding.UCS2 if plan.ucs2 else Encoding.GSM7),
        segments=plan.segments or 1,
        flash=campaign.flash,
        kind=campaign.kind,
        scheduled_at=campaign.scheduled_at
        if campaign.scheduled_at and campaign.scheduled_at > now
        else None,
        created_at=now,
        idempotency_key=None,
        total=0,
        verdict_counts={},
        refused=[],
        cost_micros=0,
    )

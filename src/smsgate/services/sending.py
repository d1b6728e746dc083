"""Sending: a request becomes a screened, charged, queued batch in one transaction.

Invariants: a request that fails charges nothing and queues nothing; the charge and the
queued messages commit together; the balance never goes negative (the account row is
locked for the write, and the debit is conditional).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from smsgate import errors
from smsgate.domain import accounts as account_rules
from smsgate.domain.accounts import Account, Service
from smsgate.domain.batches import (
    Batch,
    Message,
    NewBatch,
    NewMessage,
    RefusedRecipient,
    request_fingerprint,
)
from smsgate.domain.messages import MessageKind, MessageStatus
from smsgate.domain.recipients import (
    Recipient,
    RecipientVerdict,
    Verdict,
    candidate_numbers,
    count_verdicts,
    read_recipients,
    screen_recipients,
)
from smsgate.domain.text import SegmentPlan, plan_segments
from smsgate.ports import Clock, Store, Transaction

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class SendingPolicy:
    max_recipients: int = 1000
    max_segments: int = 10
    max_schedule_ahead: timedelta = timedelta(days=365)


@dataclass(frozen=True, slots=True)
class SendRequest:
    recipients: Sequence[Recipient]
    text: str
    sender: str | None = None
    scheduled_at: datetime | None = None
    kind: MessageKind = MessageKind.TRANSACTIONAL
    force_unicode: bool = False
    flash: bool = False
    test: bool = False
    idempotency_key: str | None = None
    service: Service = Service.SMS


class QueuedMessage(NamedTuple):  # a tuple: one is made per recipient (decisions/0009)
    id: int | None
    recipient: str
    reference: str | None
    segments: int
    price_micros: int
    status: MessageStatus


@dataclass(frozen=True, slots=True)
class SendOutcome:
    """What the caller is told: per-recipient verdicts, the queued messages, the cost."""

    batch_id: int | None
    test: bool
    plan: SegmentPlan
    status: MessageStatus
    scheduled_at: datetime | None
    kind: MessageKind
    verdicts: Sequence[RecipientVerdict]
    messages: Sequence[QueuedMessage]
    counts: dict[Verdict, int]
    cost_micros: int
    balance_micros: int
    replayed: bool = False
    refused: Sequence[RefusedRecipient] = field(default_factory=tuple)


class SendingService:
    def __init__(self, store: Store, clock: Clock, policy: SendingPolicy) -> None:
        self._store = store
        self._clock = clock
        self._policy = policy

    def plan_text(self, text: str, force_unicode: bool) -> SegmentPlan:
        """Segment the text, refusing empty text and text past the segment cap."""
        if not text:
            raise errors.EmptyText("the message text is empty")
        plan = plan_segments(text, force_unicode=force_unicode)
        if plan.segments > self._policy.max_segments:
            raise errors.TextTooLong(
                f"the text needs {plan.segments} segments; at most "
                f"{self._policy.max_segments} are allowed",
                segments=plan.segments,
                max_segments=self._policy.max_segments,
            )
        return plan

    def check_schedule(self, scheduled_at: datetime | None, now: datetime) -> datetime | None:
        """A schedule in the past sends at once; one past the horizon is refused."""
        if scheduled_at is None:
            return None
        if scheduled_at.tzinfo is None or scheduled_at.utcoffset() is None:
            raise errors.InvalidSchedule("the schedule time needs a time zone offset")
        if scheduled_at - now > self._policy.max_schedule_ahead:
            raise errors.InvalidSchedule("the schedule time is too far ahead")
        return scheduled_at.astimezone(UTC) if scheduled_at > now else None

    async def send(self, account: Account, request: SendRequest) -> SendOutcome:
        """Screen, price, charge and queue one request; raise if it must be refused whole."""
        now = self._clock.now()
        if not request.recipients:
            raise errors.NoRecipients("at least one recipient is required")
        if len(request.recipients) > self._policy.max_recipients:
            raise errors.TooManyRecipients(
                f"at most {self._policy.max_recipients} recipients per request",
                max_recipients=self._policy.max_recipients,
            )
        plan = self.plan_text(request.text, request.force_unicode)
        scheduled_at = self.check_schedule(request.scheduled_at, now)
        account_rules.check_may_send(account, request.service, now)
        account_rules.check_words(account, request.text)
        first_pass = read_recipients(request.recipients, account.default_country)

        fingerprint = None
        if request.idempotency_key and not request.test:
            fingerprint = fingerprint_of(request)
            replay = await self._replay(account.id, request.idempotency_key, fingerprint)
            if replay is not None:
                return replay
        try:
            return await self._charge_and_queue(
                account, request, plan, scheduled_at, first_pass, fingerprint
            )
        except errors.Conflict:
            if not request.idempotency_key or fingerprint is None:
                raise
            # Two requests raced with the same key: the other one won; answer as it did.
            replay = await self._replay(account.id, request.idempotency_key, fingerprint)
            if replay is None:
                raise
            return replay

    async def _charge_and_queue(
        self,
        account: Account,
        request: SendRequest,
        plan: SegmentPlan,
        scheduled_at: datetime | None,
        first_pass: list[RecipientVerdict],
        fingerprint: str | None,
    ) -> SendOutcome:
        now = self._clock.now()
        # Limits that count past sending must see every concurrent request: lock the account
        # row first, for the whole transaction. Without them the conditional debit inside
        # `queue` is the only race: every call below is atomic alone, and the account row is
        # locked only while `queue` runs.
        lock_early = has_usage_limits(account) and not request.test
        async with self._store.transaction(write=not request.test, autocommit=not lock_early) as tx:
            if lock_early:
                current = await current_sender(
                    tx, account.id, request.service, request.sender, now, lock=True
                )
            else:
                # The caller read the account moments ago, and the debit in `queue` is
                # conditional: no second read (one round trip less per request).
                current = await checked_sender(tx, account, request.service, request.sender, now)
            screening = await tx.screenings.screening(
                current, candidate_numbers(first_pass), now - timedelta(hours=24), now.date()
            )
            verdicts = screen_recipients(first_pass, current, screening)
            counts = count_verdicts(verdicts)
            accepted = [v for v in verdicts if v.accepted]
            if not accepted:
                if counts[Verdict.DAILY_LIMIT]:
                    raise errors.DailyLimitReached("the daily sending limit is reached")
                raise errors.NoDeliverableRecipients(
                    "no recipient can be sent to",
                    counts={str(k): n for k, n in counts.items() if n},
                )
            prices = await tx.prices.table()
            new_messages = [
                NewMessage(
                    recipient=v.number or "",
                    region=v.region or "",
                    reference=v.reference,
                    segments=plan.segments,
                    price_micros=prices.message_price(
                        request.service, v.region or "", plan.segments
                    ),
                )
                for v in accepted
            ]
            cost = sum(m.price_micros for m in new_messages)
            if cost > current.balance_micros:
                raise errors.InsufficientCredit(
                    "not enough credit", needed=cost, balance=current.balance_micros
                )
            status = MessageStatus.SCHEDULED if scheduled_at else MessageStatus.QUEUED
            refused = [
                RefusedRecipient(v.raw, v.reference, v.number, str(v.verdict))
                for v in verdicts
                if not v.accepted
            ]
            answer = SendOutcome(
                batch_id=None,
                test=request.test,
                plan=plan,
                status=status,
                scheduled_at=scheduled_at,
                kind=request.kind,
                verdicts=verdicts,
                messages=_queued([None] * len(new_messages), new_messages, status)
                if request.test
                else [],
                counts=counts,
                cost_micros=cost,
                balance_micros=current.balance_micros,
                refused=refused,
            )
            if request.test:
                return answer
            batch = NewBatch(
                account_id=current.id,
                service=request.service,
                text=request.text,
                sender=request.sender or None,
                encoding=str(plan.encoding),
                segments=plan.segments,
                flash=request.flash,
                kind=request.kind,
                scheduled_at=scheduled_at,
                created_at=now,
                idempotency_key=request.idempotency_key,
                total=len(verdicts),
                verdict_counts={str(k): n for k, n in counts.items()},
                refused=refused,
                cost_micros=cost,
                replay_recipients=[
                    RefusedRecipient(v.raw, v.reference, v.number, str(v.verdict)) for v in verdicts
                ]
                if request.idempotency_key
                else None,
                request_hash=fingerprint,
            )
            queued = await tx.batches.queue(batch, new_messages, str(status))
            if queued is None:
                raise errors.InsufficientCredit("not enough credit", needed=cost)
        log.info(
            "batch %s queued: %d messages, cost %d",
            queued.batch_id,
            len(queued.message_ids),
            cost,
            extra={
                "event": "batch_queued",
                "account_id": current.id,
                "batch_id": queued.batch_id,
            },
        )
        return replace(
            answer,
            batch_id=queued.batch_id,
            messages=_queued(queued.message_ids, new_messages, status),
            balance_micros=queued.balance_micros,
        )

    async def _replay(self, account_id: int, key: str, fingerprint: str) -> SendOutcome | None:
        async with self._store.transaction() as tx:
            batch = await tx.batches.by_idempotency_key(account_id, key)
            if batch is None:
                return None
            if batch.request_hash is not None and batch.request_hash != fingerprint:
                raise errors.Conflict(
                    "this Idempotency-Key was already used with a different request",
                    idempotency_key=key,
                )
            messages = await tx.batches.messages_of_batch(account_id, batch.id)
            charge = await tx.ledger.charge_of(account_id, batch.id)
        balance = charge.balance_after_micros if charge is not None else 0
        return replay_outcome(batch, messages, balance)


async def current_sender(
    tx: Transaction,
    account_id: int,
    service: Service,
    sender: str | None,
    now: datetime,
    *,
    lock: bool,
) -> Account:
    """The account as it is in this transaction, checked that it may send `service` now and
    as `sender`: the checks a send request and a campaign launch share."""
    current = await tx.accounts.get(account_id, lock=lock)
    if current is None:
        raise errors.AuthenticationFailed("the account no longer exists")
    return await checked_sender(tx, current, service, sender, now)


async def checked_sender(
    tx: Transaction, account: Account, service: Service, sender: str | None, now: datetime
) -> Account:
    """`account`, checked that it may send `service` now and as `sender`."""
    account_rules.check_may_send(account, service, now)
    if sender:
        line = await tx.accounts.line(account.id, sender)
        account_rules.check_sender(account, sender, line)
    return account


def fingerprint_of(request: SendRequest) -> str:
    """What makes two send requests the same request, for their idempotency key."""
    return request_fingerprint(
        {
            "to": [[r.raw, r.reference] for r in request.recipients],
            "text": request.text,
            "sender": request.sender,
            "scheduled_at": request.scheduled_at.isoformat() if request.scheduled_at else None,
            "kind": str(request.kind),
            "unicode": request.force_unicode,
            "flash": request.flash,
            "service": str(request.service),
        }
    )


def has_usage_limits(account: Account) -> bool:
    """Whether screening depends on counts that concurrent requests change."""
    return bool(
        account.daily_limit is not None
        or account.flood_limit_24h is not None
        or account.country_monthly_limits
    )


def replay_outcome(batch: Batch, messages: Sequence[Message], balance_micros: int) -> SendOutcome:
    """The outcome of a stored batch, as its first answer said it."""
    plan = plan_segments(batch.text, force_unicode=batch.encoding == "ucs2")
    regions = {m.recipient: m.region for m in messages}
    verdicts = [
        RecipientVerdict(
            r.raw, r.reference, r.number, regions.get(r.number or ""), Verdict(r.verdict)
        )
        for r in batch.replay_recipients or batch.refused
    ]
    counts = {Verdict(k): n for k, n in batch.verdict_counts.items()}
    status = MessageStatus.SCHEDULED if batch.scheduled_at else MessageStatus.QUEUED
    queued = [
        QueuedMessage(m.id, m.recipient, m.reference, m.segments, m.price_micros, status)
        for m in messages
    ]
    return SendOutcome(
        batch_id=batch.id,
        test=False,
        plan=plan,
        status=status,
        scheduled_at=batch.scheduled_at,
        kind=batch.kind,
        verdicts=verdicts,
        messages=queued,
        counts=counts,
        cost_micros=batch.cost_micros,
        balance_micros=balance_micros,
        replayed=True,
        refused=batch.refused,
    )


def _queued(
    ids: Sequence[int | None], new_messages: Sequence[NewMessage], status: MessageStatus
) -> list[QueuedMessage]:
    return [
        QueuedMessage(id_, m.recipient, m.reference, m.segments, m.price_micros, status)
        for id_, m in zip(ids, new_messages, strict=True)
    ]

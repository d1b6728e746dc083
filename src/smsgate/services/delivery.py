"""Delivery bookkeeping: claim due messages, record what carriers said, apply receipts.

The carrier side (SMPP sockets, windows, throttles) lives in `smsgate.carriers`; it calls this
service with batches of outcomes so that one transaction records many messages. Status
changes follow `domain.messages.TRANSITIONS`: the two hot ones (sending -> submitted, submitted
-> a receipt's final status) check their single source status in the UPDATE itself, the rest
are checked against the table by `services/settlement.py`, which also does what a final state
brings (the refund, npai, the webhook event), in the same transaction.

The guarantee is at least once (docs/delivery.md): a claim carries a lease, and a message whose
outcome was not recorded before the lease ran out is claimed and submitted again.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import NamedTuple

from smsgate.domain.delivery import DeliveryPolicy, retry_delay, status_of_parts
from smsgate.domain.messages import MessageStatus
from smsgate.ports import (
    BatchContent,
    Claimed,
    Clock,
    MessageState,
    MessageUpdate,
    PartReceipt,
    PartRecord,
    Store,
    Transaction,
)
from smsgate.services.settlement import DEFAULT_NPAI_ERRORS, Final, Settlement

log = logging.getLogger(__name__)
S = MessageStatus


@dataclass(frozen=True, slots=True)
class Job:
    """A claimed message with its batch's content: what a link needs to submit it."""

    message: Claimed
    content: BatchContent


class Submitted(NamedTuple):
    message_id: int
    link_id: int
    carrier_ids: Sequence[tuple[str, str]]  # per part, in order: (id as given, canonical key)


class Retry(NamedTuple):
    message_id: int
    reason: str


class Refused(NamedTuple):
    message_id: int
    status: MessageStatus  # rejected (the carrier said no) or failed (no route, ...)
    error_code: str


Outcome = Submitted | Retry | Refused


class DeliveryService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        policy: DeliveryPolicy | None = None,
        *,
        npai_errors: frozenset[int] = DEFAULT_NPAI_ERRORS,
    ) -> None:
        self._store = store
        self._clock = clock
        self.policy = policy or DeliveryPolicy()
        self._settlement = Settlement(npai_errors)
        self._contents: dict[int, BatchContent] = {}  # batches never change: cache them

    # --- claiming -------------------------------------------------------------------------

    async def claim(self, limit: int) -> list[Job]:
        """Take up to `limit` due messages under a lease; those past validity expire here."""
        now = self._clock.now()
        # The claim commits by itself (one round trip on PostgreSQL): what follows it for some
        # messages is a transaction of its own. A crash in between leaves them in `sending`
        # under the lease, claimed again once it runs out, like any other claimed message.
        async with self._store.transaction(write=True, autocommit=True) as tx:
            claimed = await tx.delivery.claim(now, now + self.policy.lease, limit)
            if not claimed:
                return []
            missing = sorted({c.batch_id for c in claimed} - self._contents.keys())
            if missing:
                self._contents.update(await tx.delivery.batch_contents(missing))
        overdue = {
            c.id: Final(S.EXPIRED, "validity")
            for c in claimed
            if (c.scheduled_at or c.created_at) + self.policy.validity <= now
        }
        live = [c for c in claimed if c.id not in overdue]
        marketing = any(c.priority > 0 for c in live)
        if overdue or marketing:
            async with self._store.transaction(write=True) as tx:
                if overdue:
                    await self._settlement.finish(tx, overdue, now)
                if marketing:
                    held = await self._hold_quiet_marketing(tx, live, now)
                    live = [c for c in live if c.id not in held]
        jobs = [
            Job(c, self._contents[c.batch_id])
            if c.text is None
            else Job(c, replace(self._contents[c.batch_id], text=c.text))
            for c in live
        ]
        if len(self._contents) > 10_000:
            self._contents.clear()  # a cheap bound; refilled by the next claims
        return jobs

    async def _hold_quiet_marketing(
        self, tx: Transaction, claimed: Sequence[Claimed], now: datetime
    ) -> set[int]:
        """Marketing claimed outside its account's marketing hours goes back to the queue,
        due at the next opening, with the account's other due marketing (one statement)."""
        by_account: dict[int, list[int]] = defaultdict(list)
        for c in claimed:
            if c.priority > 0:
                by_account[c.account_id].append(c.id)
        held: set[int] = set()
        for account_id, ids in sorted(by_account.items()):
            account = await tx.accounts.get(account_id)
            hours = account.marketing_hours if account is not None else None
            if hours is None or hours.allows(now):
                continue
            opening = hours.next_opening(now)
            moved = await tx.delivery.hold_marketing(account_id, ids, opening, now)
            held.update(ids)
            log.info(
                "marketing of account %s held until %s: %d messages",
                account_id,
                opening.isoformat(),
                moved,
                extra={"event": "marketing_held", "account_id": account_id},
            )
        return held

    # --- outcomes of submission -------------------------------------------------------------

    async def record(self, outcomes: Sequence[Outcome]) -> None:
        """Record a batch of submit outcomes in one transaction.

        Only messages still `sending` take an outcome: one recorded already (its lease ran out
        and another try won) or cancelled meanwhile is left as it is.
        """
        if not outcomes:
            return
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            await self._record(tx, outcomes, now)

    async def record_and_apply(
        self, outcomes: Sequence[Outcome], receipts: Callable[[], Sequence[PartReceipt]]
    ) -> int:
        """`record` then `apply_receipts` in one transaction (one commit for a dispatcher's
        flush); returns how many receipts matched. `receipts` is asked for once the outcomes
        are written, so that the receipts which came in meanwhile go in too: a receipt for a
        submit recorded here matches at once."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            await self._record(tx, outcomes, now)
            taken = receipts()
            return await self._apply(tx, taken, now) if taken else 0

    async def _record(self, tx: Transaction, outcomes: Sequence[Outcome], now: datetime) -> None:
        submitted = [o for o in outcomes if isinstance(o, Submitted)]
        others = [o for o in outcomes if not isinstance(o, Submitted)]
        if submitted:
            await self._record_submitted(tx, submitted, now)
        if others:
            await self._record_unsent(tx, others, now)

    async def _record_submitted(
        self, tx: Transaction, outcomes: Sequence[Submitted], now: datetime
    ) -> None:
        # The hot path: one statement moves sending -> submitted, says which moved, and
        # records their parts (where the store can).
        moved, early = await tx.delivery.record_submits(
            [
                MessageUpdate(
                    o.message_id,
                    S.SUBMITTED,
                    link_id=o.link_id,
                    carrier_message_id=o.carrier_ids[0][0][:64],
                )
                for o in outcomes
            ],
            [
                PartRecord(o.message_id, seq, o.link_id, key[:64])
                for o in outcomes
                for seq, (_, key) in enumerate(o.carrier_ids, start=1)
            ],
            now,
        )
        if moved < len(outcomes):
            log.info(
                "delivery outcomes ignored count=%s (no longer sending)",
                len(outcomes) - moved,
                extra={"event": "delivery.outcome_ignored"},
            )
        # Receipts that overtook their submit_sm_resp come back with the parts: apply them now.
        if early:
            await self._apply(tx, early, now)

    async def _record_unsent(
        self, tx: Transaction, outcomes: Sequence[Retry | Refused], now: datetime
    ) -> None:
        states = await tx.delivery.lock_messages([o.message_id for o in outcomes])
        updates: list[MessageUpdate] = []
        finals: dict[int, Final] = {}
        for outcome in outcomes:
            state = states.get(outcome.message_id)
            if state is None or state.status is not S.SENDING:
                continue
            if isinstance(outcome, Retry):
                update = self._retry(state, outcome.reason, now, finals)
                if update is not None:
                    updates.append(update)
            else:
                finals[state.id] = Final(outcome.status, outcome.error_code)
        await tx.delivery.update_messages(updates, now)
        if finals:
            await self._settlement.finish(tx, finals, now, states)

    def _retry(
        self, state: MessageState, reason: str, now: datetime, finals: dict[int, Final]
    ) -> MessageUpdate | None:
        """Back to the queue after a back-off, or expired if its validity runs out first."""
        due = now + retry_delay(self.policy, state.attempts)
        if due >= (state.scheduled_at or state.created_at) + self.policy.validity:
            finals[state.id] = Final(S.EXPIRED, reason[:32])
            return None
        log.info(
            "delivery retry message=%s reason=%s attempts=%s",
            state.id,
            reason,
            state.attempts,
            extra={"event": "delivery.retry"},
        )
        return MessageUpdate(state.id, S.QUEUED, error_code=reason[:32], due_at=due)

    # --- receipts -----------------------------------------------------------------------------

    async def apply_receipts(self, receipts: Sequence[PartReceipt]) -> int:
        """Apply a batch of delivery receipts; returns how many matched a submitted part."""
        if not receipts:
            return 0
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            return await self._apply(tx, receipts, now)

    async def _apply(self, tx: Transaction, receipts: Sequence[PartReceipt], now: datetime) -> int:
        matched, unmatched, finished, webhooks = await tx.receipts.match_parts(receipts, now)
        if unmatched:
            await tx.receipts.keep_receipts(unmatched, now, now + self.policy.receipt_wait)
        if not matched:
            return 0
        multipart = sorted({mid for mid, _, segments, _ in matched if segments > 1})
        statuses: dict[int, dict[int, str]] = {}
        if multipart:
            # Another dispatcher may be marking the same messages' other parts: each would see
            # the other's part still submitted, and neither finish the message. Locked first,
            # the second waits for the first to commit, then reads both parts.
            await tx.delivery.lock_messages(multipart)
            statuses = await tx.receipts.part_statuses(multipart)
        finals: dict[int, Final] = {}
        for message_id, _, segments, receipt in matched:
            if segments > 1:
                overall = status_of_parts(S(s) for s in statuses.get(message_id, {}).values())
                if overall is None:
                    continue  # other parts still on their way
                earlier = finals.get(message_id)
                error = earlier.error_code if earlier is not None else None
                finals[message_id] = Final(overall, error or receipt.error_code)
            else:
                finals[message_id] = Final(receipt.status, receipt.error_code)
        # The store may have finished single-part messages with the matching (PostgreSQL);
        # the others finish here, submitted ones only: one statement, no separate lock.
        changed = list(finished.values())
        rest = [
            MessageUpdate(mid, final.status, final.error_code)
            for mid, final in finals.items()
            if mid not in finished
        ]
        if rest:
            changed += await tx.delivery.finish_submitted(rest, now)
            webhooks = None  # not known for those
        await self._settlement.settle(
            tx, [(state, finals[state.id]) for state in changed], now, webhooks
        )
        return len(matched)

    # --- housekeeping ------------------------------------------------------------------------

    async def rematch_kept_receipts(self, limit: int = 1000) -> int:
        """Apply kept receipts whose submit has been recorded since (by another dispatcher)."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            found = await tx.receipts.take_matchable_receipts(limit)
            return await self._apply(tx, found, now) if found else 0

    async def rematch_kept(self, keys: Sequence[tuple[int, str]]) -> int:
        """Apply the receipts kept for these (link id, carrier key) whose submit has been
        recorded since: a receipt that reached one dispatcher while another was recording
        its submit is otherwise left to the housekeeping pass. Returns how many matched."""
        if not keys:
            return 0
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            found = await tx.receipts.take_matchable_for(keys)
            return await self._apply(tx, found, now) if found else 0

    async def expire_overdue(self, limit: int = 1000) -> int:
        """Expire (and refund) unsent messages past their validity that no dispatcher claimed,
        e.g. while no link was up; returns how many."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            ids = await tx.delivery.overdue(now - self.policy.validity, limit)
            if ids:
                await self._settlement.finish(
                    tx, dict.fromkeys(ids, Final(S.EXPIRED, "validity")), now
                )
        return len(ids)

    async def drop_expired_receipts(self) -> int:
        async with self._store.transaction(write=True) as tx:
            return await tx.receipts.drop_expired_receipts(self._clock.now())

    async def queue_counts(self) -> dict[str, int]:
        async with self._store.transaction() as tx:
            return await tx.delivery.queue_counts()

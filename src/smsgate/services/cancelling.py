"""Cancelling: a batch's messages that no dispatcher has claimed yet are cancelled and refunded.

Invariants: the status change and the refund commit together, in one write transaction; only
messages the status table lets become `cancelled` change (scheduled and queued: a message a
dispatcher has claimed, or anything later, is left as it is); a batch's refund is one ledger
`refund` row, so the balance still equals the sum of the ledger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from smsgate import errors
from smsgate.domain.accounts import Account
from smsgate.domain.messages import MessageStatus, allowed_sources
from smsgate.ports import Clock, Store, Transaction
from smsgate.services.queries import BatchReport

log = logging.getLogger(__name__)

# The statuses a cancellation starts from; each of them earns a refund when cancelled
# (domain/messages.earns_refund; a test checks it), so every cancelled price comes back.
CANCELLABLE = allowed_sources(MessageStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class CancelOutcome:
    """The batch after cancelling, how many messages were cancelled and what came back."""

    report: BatchReport
    cancelled: int
    refund_micros: int
    balance_micros: int


class CancellingService:
    def __init__(self, store: Store, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    async def cancel_batch(self, account: Account, batch_id: int) -> CancelOutcome:
        """Cancel what is still waiting in one of the account's batches and refund it."""
        now = self._clock.now()
        async with self._store.transaction(write=True) as tx:
            batch = await tx.batches.get(account.id, batch_id)
            if batch is None:
                raise errors.NotFound(f"no batch {batch_id}")
            cancelled, refund, balance = await cancel_and_refund(
                tx, account.id, batch_id, now, "messages cancelled"
            )
            counts = await tx.batches.status_counts(account.id, batch_id)
        if cancelled:
            log.info(
                "batch %s cancelled: %d messages, refund %d",
                batch_id,
                cancelled,
                refund,
                extra={"event": "batch_cancelled", "account_id": account.id, "batch_id": batch_id},
            )
        return CancelOutcome(BatchReport(batch, counts), cancelled, refund, balance)


async def cancel_and_refund(
    tx: Transaction, account_id: int, batch_id: int, now: datetime, note: str
) -> tuple[int, int, int]:
    """Cancel a batch's unclaimed messages and refund them in one ledger row: (messages
    cancelled, refund, balance after). Shared by batch and campaign cancels."""
    cancelled, refund = await tx.batches.cancel_pending(account_id, batch_id, now)
    if refund:
        balance = await tx.ledger.credit(
            account_id, refund, "refund", f"{cancelled} {note}", now, batch_id=batch_id
        )
        return cancelled, refund, balance
    current = await tx.accounts.get(account_id)
    if current is None:
        raise errors.NotFound("no such account")
    return cancelled, refund, current.balance_micros

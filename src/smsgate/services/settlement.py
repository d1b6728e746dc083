"""What follows messages reaching a final state, in the caller's transaction: the status
written (only where `domain.messages.TRANSITIONS` allows it: a stale outcome or a message
final already is left alone), the refund it earns per `earns_refund` (docs/credit.md, one
ledger row per account and batch), the number marked npai for an unknown subscriber, and a
`message.status` event in the outbox for the accounts with a webhook."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import NamedTuple

from smsgate.domain.messages import TRANSITIONS, MessageStatus, earns_refund
from smsgate.ports import MessageState, MessageUpdate, Transaction
from smsgate.services.webhooks import enqueue_events

S = MessageStatus

# Carrier error codes (receipt `err`, as an integer) that mean the number does not exist:
# GSM MAP "unknown subscriber" (1) and "absent subscriber / not provisioned" forms seen in
# the wild. A message undelivered with one of them marks the number npai.
DEFAULT_NPAI_ERRORS = frozenset({1})


class Final(NamedTuple):
    status: MessageStatus
    error_code: str | None = None


class Settlement:
    """Finishes and settles messages for the delivery service (one per service)."""

    def __init__(self, npai_errors: frozenset[int] = DEFAULT_NPAI_ERRORS) -> None:
        self._npai_errors = npai_errors

    async def finish(
        self,
        tx: Transaction,
        finals: Mapping[int, Final],
        now: datetime,
        states: Mapping[int, MessageState] | None = None,
    ) -> None:
        """Move each message to its final status where the transitions allow it, then settle
        those (`states`: the messages as the caller locked them, if it has them all)."""
        if states is None or not finals.keys() <= states.keys():
            states = await tx.delivery.lock_messages(list(finals))
        updates: list[MessageUpdate] = []
        done: list[tuple[MessageState, Final]] = []
        for message_id, final in sorted(finals.items()):
            state = states.get(message_id)
            if state is None or final.status not in TRANSITIONS[state.status]:
                continue  # final already, or a stale outcome
            updates.append(MessageUpdate(message_id, final.status, final.error_code))
            done.append((state, final))
        await tx.delivery.update_messages(updates, now)
        await self.settle(tx, done, now)

    async def settle(
        self,
        tx: Transaction,
        done: Sequence[tuple[MessageState, Final]],
        now: datetime,
        webhooks: frozenset[int] | None = None,
    ) -> None:
        """What follows messages reaching a final state: refunds, npai, webhook events
        (`webhooks`: which of their accounts have a webhook, if known already)."""
        refunds: dict[tuple[int, int], int] = defaultdict(int)
        npai: list[str] = []
        for state, final in done:
            if earns_refund(state.status, final.status):
                refunds[(state.account_id, state.batch_id)] += state.price_micros
            if final.status is S.UNDELIVERED and self._is_npai(final.error_code):
                npai.append(state.recipient)
        for (account_id, batch_id), amount in sorted(refunds.items()):
            if amount:
                await tx.ledger.credit(account_id, amount, "refund", None, now, batch_id)
        if npai:
            await tx.delivery.mark_npai(npai, "unknown subscriber", now)
        await self._report(tx, done, now, webhooks)

    def _is_npai(self, error_code: str | None) -> bool:
        if not error_code:
            return False
        try:
            return int(error_code, 10) in self._npai_errors
        except ValueError:
            return False

    async def _report(
        self,
        tx: Transaction,
        done: Sequence[tuple[MessageState, Final]],
        now: datetime,
        webhooks: frozenset[int] | None,
    ) -> None:
        """A `message.status` event per message, for the accounts with a webhook: looked up
        first (unless `webhooks` says), so that no event is built for the others (most,
        often all, of a batch)."""
        if not done:
            return
        targets = (
            set(webhooks)
            if webhooks is not None
            else await tx.outbox.webhook_targets(sorted({state.account_id for state, _ in done}))
        )
        if not targets:
            return
        at = now.isoformat()
        await enqueue_events(
            tx,
            [
                (
                    state.account_id,
                    "message.status",
                    {
                        "id": state.id,
                        "batch_id": state.batch_id,
                        "to": state.recipient,
                        "reference": state.reference,
                        "status": str(final.status),
                        "error_code": final.error_code,
                        "at": at,
                    },
                )
                for state, final in done
                if state.account_id in targets
            ],
            now,
            targets,
        )

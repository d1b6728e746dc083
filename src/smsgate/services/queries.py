"""Read-only use cases: messages, batches and balance, always within one account."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from smsgate import errors
from smsgate.domain.accounts import Account
from smsgate.domain.batches import Batch, Message, MessageFilter
from smsgate.ports import Store

MAX_PAGE = 1000
MAX_OFFSET = 100_000  # position-based paging walks this far at most


@dataclass(frozen=True, slots=True)
class BatchReport:
    batch: Batch
    status_counts: dict[str, int]


@dataclass(frozen=True, slots=True)
class MessageDetail:
    message: Message
    batch: Batch


class QueryService:
    def __init__(self, store: Store) -> None:
        self._store = store

    async def message(self, account: Account, message_id: int) -> MessageDetail:
        async with self._store.transaction() as tx:
            message = await tx.batches.message(account.id, message_id)
            if message is None:
                raise errors.NotFound(f"no message {message_id}")
            batch = await tx.batches.get(account.id, message.batch_id)
        assert batch is not None
        return MessageDetail(message, batch)

    async def messages(self, account: Account, query: MessageFilter) -> list[Message]:
        if not 1 <= query.limit <= MAX_PAGE:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        async with self._store.transaction() as tx:
            return await tx.batches.messages(account.id, query)

    async def batch(self, account: Account, batch_id: int) -> BatchReport:
        async with self._store.transaction() as tx:
            batch = await tx.batches.get(account.id, batch_id)
            if batch is None:
                raise errors.NotFound(f"no batch {batch_id}")
            counts = await tx.batches.status_counts(account.id, batch_id)
        return BatchReport(batch, counts)

    async def batch_messages(
        self, account: Account, batch_id: int
    ) -> tuple[BatchReport, list[Message]]:
        """A batch's report and every one of its messages (in id order), read together."""
        async with self._store.transaction() as tx:
            batch = await tx.batches.get(account.id, batch_id)
            if batch is None:
                raise errors.NotFound(f"no batch {batch_id}")
            counts = await tx.batches.status_counts(account.id, batch_id)
            messages = await tx.batches.messages_of_batch(account.id, batch_id)
        return BatchReport(batch, counts), messages

    async def sent_page(
        self,
        account: Account,
        *,
        senders: Collection[str] | None,
        offset: int,
        limit: int,
    ) -> list[MessageDetail]:
        """Sent messages `offset`..`offset + limit` (newest first) with their batches, only
        those sent from one of `senders` when given; for APIs that page by position."""
        if not 1 <= limit <= MAX_PAGE:
            raise errors.InvalidRequest(f"limit must be between 1 and {MAX_PAGE}")
        if not 0 <= offset <= MAX_OFFSET:
            raise errors.InvalidRequest(f"offset must be between 0 and {MAX_OFFSET}")
        wanted = offset + limit
        found: list[MessageDetail] = []
        batches: dict[int, Batch] = {}
        before: int | None = None
        async with self._store.transaction() as tx:
            while len(found) < wanted:
                chunk = await tx.batches.messages(
                    account.id, MessageFilter(before_id=before, limit=MAX_PAGE)
                )
                for message in chunk:
                    batch = batches.get(message.batch_id)
                    if batch is None:
                        batch = await tx.batches.get(account.id, message.batch_id)
                        assert batch is not None
                        batches[message.batch_id] = batch
                    if senders is None or (batch.sender or "") in senders:
                        found.append(MessageDetail(message, batch))
                if len(chunk) < MAX_PAGE:
                    break
                before = chunk[-1].id
        return found[offset:wanted]

    async def balance(self, account: Account) -> int:
        async with self._store.transaction() as tx:
            fresh = await tx.accounts.get(account.id)
        if fresh is None:
            raise errors.NotFound("no such account")
        return fresh.balance_micros
